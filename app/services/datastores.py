"""Datastores: register named root folders and resolve paths inside them."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from ..engine.datastores import Datastores
from ..errors import BadRequest, Conflict
from ..extensions import db
from ..models import Datastore

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


def add(name: str, root: str | Path, *, replace: bool = False) -> Datastore:
    """Register ``root`` (an existing folder) as datastore ``name``."""
    if not isinstance(name, str) or not NAME.match(name):
        raise BadRequest(
            f"Datastore name {name!r} must be 1-64 letters, digits, '_' or '-', "
            "starting with a letter.", field="name")
    try:
        folder = Path(root).expanduser().resolve()
        is_dir = folder.is_dir()
    except (OSError, ValueError, RuntimeError):  # NUL bytes, unknown ~user, symlink loops
        is_dir = False
    if not is_dir:
        raise BadRequest(f"Datastore root {str(root)!r} is not an existing folder.", field="root")
    existing = db.session.scalar(select(Datastore).filter_by(name=name))
    if existing and not replace:
        raise Conflict(f"Datastore '{name}' already exists.", field="name")
    store = existing or Datastore(name=name)
    store.root = str(folder)
    db.session.add(store)
    db.session.commit()
    return store


def list_all() -> list[Datastore]:
    """Every datastore by name."""
    return list(db.session.scalars(select(Datastore).order_by(Datastore.name)))


def mapping() -> Datastores:
    """The name -> root mapping the executor resolves data paths with."""
    return Datastores({d.name: d.root for d in list_all()})


def as_dict(store: Datastore) -> dict:
    """JSON form."""
    return {"name": store.name, "root": store.root}
