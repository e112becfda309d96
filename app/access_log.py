"""One log line per request on the "designer.access" logger: method, path, status, time, who."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from .services.audit import request_actor

log = logging.getLogger("designer.access")


def init(app: Flask) -> None:
    """Time every request from its first hook to its response (before an event stream's body)."""

    @app.before_request
    def _start():
        g.access_started = time.perf_counter()

    @app.after_request
    def _line(response):
        started = g.get("access_started")
        took = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        # Only a session user this request already loaded: logging never costs a query.
        actor = request_actor(load_user=False) or "-"
        log.info("%s %s %s %.1f ms %s %s", request.method, request.path, response.status_code,
                 took, actor, request.remote_addr or "-",
                 extra={"method": request.method, "path": request.path,
                        "status": response.status_code, "duration_ms": round(took, 1),
                        "actor": actor, "remote_addr": request.remote_addr})
        return response
