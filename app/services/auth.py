"""Users, service principals, bearer tokens, roles and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import session
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import BadRequest, Conflict, NotFound
from ..extensions import db
from ..models import ROLES, AccessToken, ServiceClient, User, new_id, now

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


def set_role(username: str, role: str) -> User:
    """Change a user's role (their sessions end: a role change is a security event)."""
    user = get_user(username)
    user.role = _check_role(role)
    user.session_token = new_id()
    db.session.commit()
    return user


def set_user_active(username: str, active: bool) -> User:
    """Disable (ending every session at once) or enable a user."""
    user = get_user(username)
    user.active = active
    user.session_token = new_id()
    db.session.commit()
    return user


def set_password(username: str, password: str) -> User:
    """Replace a user's password and end their sessions."""
    if len(password or "") < MIN_PASSWORD:
        raise BadRequest(f"Passwords need at least {MIN_PASSWORD} characters.", field="password")
    user = get_user(username)
    user.password_hash = generate_password_hash(password)
    user.session_token = new_id()
    db.session.commit()
    return user


def check_login(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None:
        check_password_hash(generate_password_hash("x"), password)  # even out the timing
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


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
    return client, secret


def list_clients() -> list[ServiceClient]:
    """Every service principal by name."""
    return list(db.session.scalars(select(ServiceClient).order_by(ServiceClient.name)))


def set_client_active(name: str, active: bool) -> ServiceClient:
    """Disable (its tokens stop working at once) or enable a service principal."""
    client = db.session.scalar(select(ServiceClient).filter_by(name=name))
    if client is None:
        raise NotFound(f"Client '{name}' does not exist.")
    client.active = active
    db.session.commit()
    return client


def find_client(client_id: str) -> ServiceClient | None:
    """An active client by its public id."""
    client = db.session.scalar(select(ServiceClient).filter_by(client_id=client_id))
    return client if client is not None and client.active else None


def digest(token: str) -> str:
    """SHA-256 hex of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


def store_token(client: ServiceClient, token: str, expires_in: int) -> None:
    """Remember an issued token (its hash) until it expires; forget expired ones."""
    db.session.execute(AccessToken.__table__.delete().where(AccessToken.expires < now()))
    db.session.add(AccessToken(token_hash=digest(token), client_id=client.id,
                               expires=now() + timedelta(seconds=expires_in)))
    db.session.commit()


def bearer_principal(token: str) -> tuple[Principal | None, str]:
    """The client behind a bearer token, or None with the reason it is refused."""
    found = db.session.scalar(select(AccessToken).filter_by(token_hash=digest(token)))
    if found is None:
        return None, "The access token is not valid."
    expires = found.expires if found.expires.tzinfo else found.expires.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        return None, "The access token has expired."
    if not found.client.active:
        return None, "The client of this access token is disabled."
    return Principal("client", found.client.name, found.client.role), ""


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
