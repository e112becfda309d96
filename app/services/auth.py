"""Users, service principals, bearer tokens, roles and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from flask import session
from sqlalchemy import bindparam, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import BadRequest, Conflict, NotFound
from ..extensions import db
from ..models import ROLES, AccessToken, ServiceClient, User, new_id, now
from . import audit

ACCOUNT_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.@-]{0,63}$"
NAME = re.compile(ACCOUNT_NAME_PATTERN)
MIN_PASSWORD = 10


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user or a service principal, with a role."""

    kind: str  # "user" | "client"
    name: str
    role: str

    @property
    def label(self) -> str:
        """'user:alice' / 'client:nightly', recorded on runs."""
        return f"{self.kind}:{self.name}"

    def allows(self, role: str) -> bool:
        """Whether this principal's role is at least ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r} (roles: {', '.join(ROLES)}).", field="role")
    return role


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise BadRequest(f"{what} {name!r} must be 1-64 characters: letters, digits, '_', '.', "
                         "'@' or '-', starting with a letter.", field="name")
    return name


# -- users -------------------------------------------------------------------------------------

def add_user(username: str, password: str | None = None, role: str = "viewer") -> tuple[User, str]:
    """Create a user; returns it and its password (generated when not given)."""
    _check_name(username, "User name")
    _check_role(role)
    if db.session.scalar(select(User).filter_by(username=username)):
        raise Conflict(f"User '{username}' already exists.", field="username")
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"Passwords need at least {MIN_PASSWORD} characters.", field="password")
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    db.session.add(user)
    db.session.commit()
    audit.record("user.create", username, {"role": role})
    return user, password


def get_user(username: str) -> User:
    """The user or NotFound."""
    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None:
        raise NotFound(f"User '{username}' does not exist.")
    return user


def list_users() -> list[User]:
    """Every user by name."""
    return list(db.session.scalars(select(User).order_by(User.username)))


def update_user(username: str, *, role: str | None = None, active: bool | None = None) -> User:
    """Change a user's role and/or active flag in one step; their sessions end (a security
    event). Refused when it would leave no active admin."""
    user = get_user(username)
    role = user.role if role is None else _check_role(role)
    active = user.active if active is None else active
    _keep_an_admin(user, role, active)
    changes = {}
    if role != user.role:
        changes["user.role"] = {"role": role, "was": user.role}
    if active != user.active:
        changes["user.enable" if active else "user.disable"] = {}
    user.role, user.active = role, active
    user.session_token = new_id()
    db.session.commit()
    for action, details in changes.items():
        audit.record(action, username, details)
    return user


def _keep_an_admin(user: User, role: str, active: bool) -> None:
    """Nobody could manage accounts any more without an active admin."""
    if user.role != "admin" or not user.active or (role == "admin" and active):
        return
    others = db.session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id))
    if not others:
        raise Conflict(f"User '{user.username}' is the last active admin: make another user "
                       "an admin first.", field="username")


def set_role(username: str, role: str) -> User:
    """Change a user's role (their sessions end)."""
    return update_user(username, role=role)


def set_user_active(username: str, active: bool) -> User:
    """Disable (ending every session at once) or enable a user."""
    return update_user(username, active=active)


def set_password(username: str, password: str) -> User:
    """Replace a user's password and end their sessions."""
    if len(password or "") < MIN_PASSWORD:
        raise BadRequest(f"Passwords need at least {MIN_PASSWORD} characters.", field="password")
    user = get_user(username)
    user.password_hash = generate_password_hash(password)
    user.session_token = new_id()
    db.session.commit()
    audit.record("user.password", username)
    return user


def _by_name(username: str) -> User | None:
    # PostgreSQL refuses NUL in text; no user name has one.
    if "\x00" in username:
        return None
    return db.session.scalar(select(User).filter_by(username=username))


@cache
def _dummy_hash() -> str:
    """A hash no password matches: checking it costs what checking a real one does, so the
    answer time does not tell which names exist (made once per process, when first needed)."""
    return generate_password_hash(secrets.token_hex(16))


def _check_secret(stored: str | None, given: str) -> bool:
    """Whether ``given`` matches ``stored``; the same hashing work when nothing is stored."""
    matches = check_password_hash(stored or _dummy_hash(), given)
    return matches and stored is not None


def check_login(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer and work for every
    failure); the attempt goes into the audit log."""
    user = _by_name(username)
    ok = _check_secret(user.password_hash if user else None, password)
    if ok and user.active:
        audit.record("signin.ok", username, actor=f"user:{username}")
        return user
    reason = "unknown user" if user is None else "disabled" if ok else "wrong password"
    audit.record("signin.failed", username, {"reason": reason},
                 actor=f"user:{username}" if user else audit.ANONYMOUS)
    return None


def load_session_user(identity: str) -> User | None:
    """Flask-Login's loader: 'id:session_token' must match an active user's current token."""
    user_id, _, token = identity.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def end_sessions(user: User) -> None:
    """Rotate the session token: every cookie issued so far stops working."""
    user.session_token = new_id()
    db.session.commit()
    audit.record("signout", user.username, actor=f"user:{user.username}")


# -- service principals and tokens ---------------------------------------------------------

def create_client(name: str, role: str = "runner", by: str = "") -> tuple[ServiceClient, str]:
    """Create a service principal; returns it and its secret (shown once, stored hashed)."""
    _check_name(name, "Client name")
    _check_role(role)
    if db.session.scalar(select(ServiceClient).filter_by(name=name)):
        raise Conflict(f"Client '{name}' already exists.", field="name")
    # Hex, so a secret never starts with '-' (a command line would read it as an option).
    secret = secrets.token_hex(32)
    client = ServiceClient(client_id=secrets.token_hex(16), name=name, role=role, created_by=by,
                           secret_hash=generate_password_hash(secret))
    db.session.add(client)
    db.session.commit()
    audit.record("client.create", name, {"role": role, "client_id": client.client_id})
    return client, secret


def list_clients() -> list[ServiceClient]:
    """Every service principal by name."""
    return list(db.session.scalars(select(ServiceClient).order_by(ServiceClient.name)))


def set_client_active(name: str, active: bool, by: str = "") -> ServiceClient:
    """Disable (its tokens stop working at once) or enable a service principal; ``by`` (the
    caller's label) may not disable the client it authenticates with."""
    client = db.session.scalar(select(ServiceClient).filter_by(name=name))
    if client is None:
        raise NotFound(f"Client '{name}' does not exist.")
    if not active and by == f"client:{name}":
        raise Conflict(f"Client '{name}' authenticates this request, so it cannot disable "
                         "itself; use another admin account.", field="name")
    client.active = active
    db.session.commit()
    audit.record("client.enable" if active else "client.disable", name)
    return client


def client_by_id(client_id: str) -> ServiceClient | None:
    """A client (active or not) by its public id."""
    if "\x00" in client_id:
        return None
    return db.session.scalar(select(ServiceClient).filter_by(client_id=client_id))


def verify_client(client_id: str, secret: str) -> ServiceClient | None:
    """The active client with these credentials, or None; an unknown id costs the same
    hashing work as a wrong secret."""
    client = client_by_id(client_id)
    ok = _check_secret(client.secret_hash if client else None, secret)
    return client if ok and client.active else None


def digest(token: str) -> str:
    """SHA-256 hex of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


def store_token(client: ServiceClient, token: str, expires_in: int) -> None:
    """Remember an issued token (its hash) until it expires; forget expired ones."""
    db.session.execute(AccessToken.__table__.delete().where(AccessToken.expires < now()))
    db.session.add(AccessToken(token_hash=digest(token), client_id=client.id,
                               expires=now() + timedelta(seconds=expires_in)))
    db.session.commit()
    audit.record("token.issued", client.name, {"expires_in": expires_in},
                 actor=f"client:{client.name}")


# Built once, of the tables' own columns: building the statement cost more than running it,
# and a Core statement on the session's connection skips the ORM's per-query set-up.
_TOKENS, _CLIENTS = AccessToken.__table__.c, ServiceClient.__table__.c
_TOKEN_ROW = (
    select(_TOKENS.expires, _CLIENTS.active, _CLIENTS.name, _CLIENTS.role)
    .join_from(AccessToken.__table__, ServiceClient.__table__,
               _TOKENS.client_id == _CLIENTS.id)
    .where(_TOKENS.token_hash == bindparam("token_hash")))


def bearer_principal(token: str) -> tuple[Principal | None, str]:
    """The client behind a bearer token, or None with the reason it is refused."""
    # One row of four columns: this runs on every API request, scoring included.
    found = db.session.connection().execute(_TOKEN_ROW, {"token_hash": digest(token)}).first()
    if found is None:
        return None, "The access token is not valid."
    expires = found.expires if found.expires.tzinfo else found.expires.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        return None, "The access token has expired."
    if not found.active:
        return None, "The client of this access token is disabled."
    return Principal("client", found.name, found.role), ""


# -- CSRF -------------------------------------------------------------------------------------

def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(sent: str | None) -> bool:
    """Whether ``sent`` is this session's CSRF token."""
    expected = session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(expected, sent))
