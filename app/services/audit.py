"""The audit log: who did what, when and from where (sign-ins, tokens, every change)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from ..errors import BadRequest
from ..extensions import db
from ..models import AuditEntry, iso

MAX_LIMIT = 1000
ANONYMOUS = "anonymous"


def request_actor(*, load_user: bool = True) -> str:
    """'user:alice' / 'client:nightly' of the current request ('' when nobody signed in).

    ``load_user=False`` only uses a session user already loaded, so it costs no query.
    """
    principal = g.get("principal")
    if principal is not None:
        return principal.label
    user = current_user if load_user else g.get("_login_user")
    if user is not None and user.is_authenticated:
        return f"user:{user.username}"
    return ""


def record(action: str, target: str = "", details: dict | None = None, *,
           actor: str | None = None, commit: bool = True) -> AuditEntry:
    """Append an entry; who and from where come from the request ('cli', 'local' without one).
    ``commit=False`` leaves it in the caller's transaction (written with the change or not at
    all)."""
    if has_request_context():
        who = request_actor() or ANONYMOUS
        address = request.remote_addr or ""
    else:
        who, address = "cli", "local"
    entry = AuditEntry(actor=_text(actor or who), address=_text(address, 64), action=action,
                       target=_text(target),
                       details={k: _text(v) if isinstance(v, str) else v
                                for k, v in (details or {}).items()})
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


def _text(value, size: int = 200) -> str:
    # Names come from the request as typed (a failed sign-in's user name): NUL is kept out,
    # since PostgreSQL refuses it in text.
    return str(value).replace("\x00", "\\0")[:size]


def entries(*, action: str | None = None, actor: str | None = None,
            since: str | None = None, limit: int | str = 100) -> list[AuditEntry]:
    """Entries newest first; ``since`` is an ISO 8601 time, ``limit`` at most 1000."""
    try:
        limit = int(limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"'limit' must be an int in the range [1, {MAX_LIMIT}].", field="limit")
    for name, value in (("action", action), ("actor", actor)):
        if value and "\x00" in value:
            raise BadRequest(f"'{name}' may not contain NUL characters.", field=name)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if since:
        query = query.where(AuditEntry.created >= _time(since))
    return list(db.session.scalars(query))


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"'since' must be an ISO 8601 time such as 2026-01-31T12:00:00Z, "
                         f"got {text!r}.", field="since") from None
    try:
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:  # year 1 or 9999 shifted past the calendar by its UTC offset
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


def as_dict(entry: AuditEntry) -> dict:
    """The JSON form of an entry."""
    return {"id": entry.id, "time": iso(entry.created), "actor": entry.actor,
            "address": entry.address, "action": entry.action, "target": entry.target,
            "details": entry.details}


def as_line(entry: AuditEntry) -> str:
    """One tab-separated line: time, actor, address, action, target, details."""
    details = " ".join(f"{k}={v}" for k, v in entry.details.items())
    return "\t".join([iso(entry.created) or "", entry.actor, entry.address, entry.action,
                      entry.target, details])
