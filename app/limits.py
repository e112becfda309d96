"""Limits on failed sign-ins and token requests, per client address and per account."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from .extensions import limiter

log = logging.getLogger(__name__)
_LIMITED: set = set()  # the views failed_attempts decorated: the only ones with limits


def _failed(response) -> bool:
    # Only refusals count: successes never lock anybody out, and 429s do not extend the wait.
    return response.status_code in (400, 401)


def _address() -> str:
    return f"address:{get_remote_address()}"


def failed_attempts(account_key):
    """Limit a view's failed POSTs per client address and per account (``account_key()``)."""

    def decorate(view):
        per_account = limiter.limit(
            lambda: current_app.config["DESIGNER_SIGNIN_LIMIT_ACCOUNT"], key_func=account_key,
            methods=["POST"], deduct_when=_failed, scope="account")
        per_address = limiter.limit(
            lambda: current_app.config["DESIGNER_SIGNIN_LIMIT_ADDRESS"], key_func=_address,
            methods=["POST"], deduct_when=_failed, scope="address")
        limited = per_address(per_account(view))
        _LIMITED.add(limited)
        return limited

    return decorate


@limiter.request_filter
def _unlimited() -> bool:
    """Whether this request's view has no limit: the limiter then skips its look-ups, which
    cost a tenth of a millisecond on every other request (a submit, a scoring call)."""
    return current_app.view_functions.get(request.endpoint) not in _LIMITED


def retry_after() -> int:
    """Whole seconds until the breached limit of this request lets the next attempt in."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.reset_at - time.time()))


def init(app: Flask) -> None:
    """Bind the limiter (storage from DESIGNER_RATE_LIMIT_STORAGE) and its 429 answers."""
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def too_many(_exc):
        wait = retry_after()
        headers = {"Retry-After": str(wait)}
        message = f"Too many failed attempts. Try again in {wait} seconds."
        log.warning("refused %s %s from %s: %s", request.method, request.path,
                    request.remote_addr, message)
        if request.path.startswith("/oauth2/"):  # the OAuth 2.0 error shape (RFC 8628 code)
            return jsonify({"error": "slow_down", "error_description": message}), 429, headers
        if request.endpoint == "auth.login":
            from .services.auth import csrf_token

            return render_template("login.html", error=message, csrf=csrf_token()), 429, headers
        return jsonify({"error": message}), 429, headers
