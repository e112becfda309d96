"""Request and response hardening: bounded JSON bodies and security headers on every page."""

from __future__ import annotations

import json

from flask import Flask
from flask.json.provider import DefaultJSONProvider

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


def init(app: Flask) -> None:
    """Install the bounded JSON parser."""
    app.json = BoundedJSONProvider(app)
