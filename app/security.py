"""Request and response hardening: bounded JSON bodies and security headers on every page."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.engine import make_url

from .errors import BadRequest


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing request bodies nested deeper than DESIGNER_JSON_MAX_DEPTH."""

    def loads(self, s, **kwargs):
        """Parse ``s``; BadRequest (400) when it is nested too deeply."""
        limit = self._app.config["DESIGNER_JSON_MAX_DEPTH"]
        try:
            data = json.loads(s, **kwargs)
        except RecursionError:  # deeper than the parser can go: far past the limit
            data = None
            too_deep = True
        else:
            too_deep = _deeper_than(data, limit)
        if too_deep:
            raise BadRequest(f"The JSON body is nested too deeply: at most {limit} levels of "
                             "objects and arrays are accepted.", field="body")
        return data


def _deeper_than(data, limit: int) -> bool:
    """Whether objects/arrays in ``data`` nest more than ``limit`` levels (no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False


def private_files(config) -> None:
    """The instance folder (0700) and the SQLite database (0600) readable by their owner only."""
    Path(config["DESIGNER_HOME"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    database = Path(url.database)
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:  # create it before SQLite does, which would follow the umask (often world-readable)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    # SQLite gives its -wal and -shm files the database's permissions; tighten older files too.
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        try:
            path.chmod(0o600)
        except OSError:  # absent, or another user's file: leave it be
            pass


def init(app: Flask) -> None:
    """Install the bounded JSON parser; keep the instance's files private."""
    app.json = BoundedJSONProvider(app)
    private_files(app.config)
