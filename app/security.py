"""Hardening: bounded JSON bodies, private instance files, security headers, HTTPS awareness."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.engine import make_url
from werkzeug.middleware.proxy_fix import ProxyFix

from .errors import BadRequest

# No inline script and no eval anywhere. Inline styles stay allowed: plotly.js writes its
# own stylesheet rules into a <style> element at run time and sets style attributes through
# d3 (its strict-CSP mode needs a plotly.css the Python package does not ship); styles cannot
# run script, so the protection that matters stays.
CSP = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"


class HttpsSessionInterface(SecureCookieSessionInterface):
    """The session cookie is marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        """DESIGNER_SECURE_COOKIES, or the request itself is HTTPS."""
        return bool(super().get_cookie_secure(app) or request.is_secure)


def _headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


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
    """Whether objects/arrays in ``data`` nest more than ``limit`` levels: a level at a time,
    without recursion (parsed JSON holds no containers but dicts and lists)."""
    level, depth = [data], 0
    while True:
        containers = [v for v in level if type(v) is dict or type(v) is list]
        if not containers:
            return False
        depth += 1
        if depth > limit:
            return True
        level = []
        for container in containers:
            level.extend(container.values() if type(container) is dict else container)


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
    """Bounded JSON parsing, private instance files, security headers, trusted proxies."""
    app.json = BoundedJSONProvider(app)
    private_files(app.config)
    app.session_interface = HttpsSessionInterface()
    app.after_request(_headers)
    proxies = app.config["DESIGNER_TRUSTED_PROXIES"]
    if proxies:  # only then may X-Forwarded-Proto/-For/-Host say the request was HTTPS
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
