"""Users, service principals and the audit log, for administrators."""

from flask import Blueprint, jsonify, request

from ..models import iso
from ..services import audit, auth
from . import answers, body, query, requires, who
from .bodies import ClientCreate, UserCreate, UserUpdate

bp = Blueprint("accounts", __name__, url_prefix="/api/v1")
# The database keeps no NUL character, so a filter holding one could never match.
NO_NUL = {"type": "string", "pattern": "^[^\\x00]*$",
          "description": "may not contain NUL characters"}


def _user(user) -> dict:
    return {"username": user.username, "role": user.role, "active": user.active,
            "created": iso(user.created)}


def _client(client) -> dict:
    return {"name": client.name, "client_id": client.client_id, "role": client.role,
            "active": client.active, "created": iso(client.created),
            "created_by": client.created_by}


@bp.get("/users")
@requires("admin")
def list_users():
    """Every user: name, role, active."""
    return jsonify({"users": [_user(u) for u in auth.list_users()]})


@bp.post("/users")
@requires("admin")
@answers(201)
@body(UserCreate)
def add_user(payload: UserCreate):
    """Create a user; a generated password is returned once when none is given."""
    user, password = auth.add_user(payload.username, payload.password, payload.role)
    answer = _user(user)
    if payload.password is None:
        answer["password"] = password
    return jsonify(answer), 201


@bp.patch("/users/<username>")
@requires("admin")
@body(UserUpdate)
def update_user(username, payload: UserUpdate):
    """Change a user's role or enable/disable them (their sessions end); never the last admin."""
    return jsonify(_user(auth.update_user(username, role=payload.role, active=payload.active)))


@bp.get("/clients")
@requires("admin")
def list_clients():
    """Every service principal (never its secret)."""
    return jsonify({"clients": [_client(c) for c in auth.list_clients()]})


@bp.post("/clients")
@requires("admin")
@answers(201)
@body(ClientCreate)
def create_client(payload: ClientCreate):
    """Create a service principal; the secret is in this answer only."""
    client, secret = auth.create_client(payload.name, payload.role, by=who()[0])
    return jsonify(_client(client) | {"client_secret": secret}), 201


@bp.post("/clients/<name>/disable")
@requires("admin")
def disable_client(name):
    """Disable a client: its tokens stop working at once (not the one making this request)."""
    return jsonify(_client(auth.set_client_active(name, False, by=who()[0])))


@bp.post("/clients/<name>/enable")
@requires("admin")
def enable_client(name):
    """Enable a client again."""
    return jsonify(_client(auth.set_client_active(name, True)))


@bp.get("/audit")
@requires("admin")
@query(action=NO_NUL, actor=NO_NUL, since={"type": "string", "format": "date-time"},
       limit={"type": "integer", "minimum": 1, "maximum": audit.MAX_LIMIT})
def audit_log():
    """Audit entries newest first; filters ?action=&actor=&since=ISO time&limit=100 (max 1000)."""
    found = audit.entries(action=request.args.get("action") or None,
                          actor=request.args.get("actor") or None,
                          since=request.args.get("since") or None,
                          limit=request.args.get("limit", "100"))
    return jsonify({"entries": [audit.as_dict(e) for e in found]})
