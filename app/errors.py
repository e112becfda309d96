"""One error family and one handler: JSON under /api, plain pages elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error with an HTTP status and details safe to show to the user."""

    status = 400
    title = "bad request"

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.title)
        self.message = message or self.title
        self.details = details

    def body(self) -> dict:
        """The JSON answer."""
        return {"error": self.message, **self.details}


class BadRequest(AppError):
    """Malformed input: a request that breaks the schema its route documents."""


class Unauthorized(AppError):
    """No valid credentials: sign in or send a bearer token."""

    status = 401
    title = "authentication required"


class Forbidden(AppError):
    """Valid credentials without the right to do this."""

    status = 403
    title = "forbidden"


class NotFound(AppError):
    """A resource that does not exist."""

    status = 404
    title = "not found"


class Conflict(AppError):
    """A stale revision or a name already taken."""

    status = 409
    title = "conflict"


class TooLarge(AppError):
    """Content over a configured size limit."""

    status = 413
    title = "content too large"


class Unprocessable(AppError):
    """A well-formed request the server cannot act on: a default outside its own range, a
    folder that does not exist, a file type not accepted (rules no JSON Schema states)."""

    status = 422
    title = "unprocessable content"


class InvalidPipeline(Unprocessable):
    """A pipeline that cannot run; ``node_errors`` maps node ids to messages."""

    title = "invalid pipeline"


def pydantic_details(exc: ValidationError) -> list[dict]:
    """Where and what, for each problem pydantic found."""
    return [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
        for e in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def invalid_data(exc: ValidationError, message: str) -> AppError:
    """400 when the data breaks its JSON Schema; 422 when only our own validators refused it
    (they raise ValueError, which pydantic reports as ``value_error``)."""
    details = pydantic_details(exc)
    semantic = all(e["type"] == "value_error" for e in exc.errors(include_url=False))
    return (Unprocessable if semantic else BadRequest)(message, details=details)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/oauth2/")


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(AppError)
    def app_error(exc: AppError):
        headers = {"WWW-Authenticate": 'Bearer realm="designer"'} if exc.status == 401 else {}
        if _wants_json():
            return jsonify(exc.body()), exc.status, headers
        return f"{exc.status} {exc.message}", exc.status, {"Content-Type": "text/plain"}

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):
        return app_error(invalid_data(exc, "invalid request body"))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        limit = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        message = f"The request is larger than the limit of {limit} MB."
        if _wants_json():
            return jsonify({"error": message}), 413
        return message, 413, {"Content-Type": "text/plain"}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _wants_json():
            # Keep what the exception says beyond its body, such as a 405's Allow header.
            headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
            return jsonify({"error": exc.description or exc.name}), exc.code, headers
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _internal()

    def _internal():
        if _wants_json():
            return jsonify({"error": "internal server error"}), 500
        return "500 internal server error", 500, {"Content-Type": "text/plain"}
