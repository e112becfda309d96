"""The JSON API under /api/v1: blueprints, one authentication hook, request helpers."""

from __future__ import annotations

import re
from functools import wraps

from flask import Flask, current_app, g, request
from flask_login import current_user
from pydantic import BaseModel

from ..errors import BadRequest, Forbidden, Unauthorized
from ..models import INT_MAX
from ..services import auth

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def current_principal() -> tuple[auth.Principal | None, str]:
    """A bearer token's client, else the signed-in user; or None and why."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "Send 'Authorization: Bearer <access token>'."
        return auth.bearer_principal(token.strip())
    if current_user.is_authenticated:
        return auth.Principal("user", current_user.username, current_user.role), ""
    return None, "Sign in, or send a bearer token from POST /oauth2/token."


def authenticate() -> None:
    """The single gate every /api request passes: identity, role, CSRF for sessions."""
    principal, reason = current_principal()
    if principal is None:
        raise Unauthorized(reason)
    view = current_app.view_functions.get(request.endpoint)
    needed = getattr(view, "required_role", None) or (
        "viewer" if request.method in SAFE_METHODS else "editor")
    if not principal.allows(needed):
        raise Forbidden(f"This needs the {needed} role; {principal.label} is a {principal.role}.")
    if principal.kind == "user" and request.method not in SAFE_METHODS and not auth.csrf_ok(
            request.headers.get("X-CSRF-Token")):
        raise Forbidden("Missing or invalid CSRF token (send the page's X-CSRF-Token header).")
    g.principal = principal


def requires(role: str):
    """Declare the least role a route needs (default: viewer to read, editor to write)."""

    def decorate(view):
        view.required_role = role
        return view

    return decorate


def _gate():
    if request.path.startswith("/api/"):
        return authenticate()
    return None


def body(model: type[BaseModel]):
    """Validate the JSON body with ``model`` and pass it as ``payload``; listed in OpenAPI."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            data = request.get_json(silent=True, force=True)
            if data is None:
                raw = request.get_data(cache=True)
                reason = "is empty" if not raw else "is not valid JSON"
                raise BadRequest(f"The request body {reason}; send a JSON object.")
            if not isinstance(data, dict):
                raise BadRequest("The request body must be a JSON object.")
            return view(*args, payload=model.model_validate(data), **kwargs)

        wrapper.body_model = model
        return wrapper

    return decorate


def query(**params: str | dict):
    """Declare a view's query parameters (name=JSON Schema, or just its type) and check them
    before the view runs: the OpenAPI document and the checks come from this one declaration.
    ``"required": True`` in a schema makes the parameter required; the bounds every value
    gets (ints within the database's Integer, strings of at most 4096 characters) are added."""
    schemas = {name: _bounded({"type": s} if isinstance(s, str) else dict(s))
               for name, s in params.items()}

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            for name, schema in schemas.items():
                check_query(name, schema, request.args.get(name))
            return view(*args, **kwargs)

        wrapper.query_params = schemas
        return wrapper

    return decorate


def _bounded(schema: dict) -> dict:
    if schema.get("type") == "integer":
        return {"minimum": 0, "maximum": INT_MAX} | schema
    if schema.get("type") == "string" and "enum" not in schema:
        return {"maxLength": 4096} | schema
    return schema


def check_query(name: str, schema: dict, value: str | None) -> None:
    """Refuse a query value that does not fit ``schema``, naming the parameter."""
    if value is None:
        if schema.get("required"):
            raise BadRequest(f"'{name}' is required as ?{name}=...", field=name)
        return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(schema["enum"])
        raise BadRequest(f"'{name}' must be one of {choices}; got {value[:100]!r}.", field=name)
    if schema.get("type") == "integer":
        int_arg(value, name, schema["minimum"], schema["maximum"])
    longest = schema.get("maxLength", 4096)
    if len(value) > longest:
        raise BadRequest(f"'{name}' is longer than {longest} characters.", field=name)
    if len(value) < schema.get("minLength", 0):
        raise BadRequest(f"'{name}' must not be empty.", field=name)
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise BadRequest(f"'{name}' {schema.get('description', 'has an invalid form')}.",
                         field=name)


def form(media_type: str, schema: dict):
    """Declare a form request body (a multipart upload, an OAuth form) for the OpenAPI document."""

    def decorate(view):
        view.form_body = {media_type: {"schema": schema}}
        return view

    return decorate


def answers(*statuses: int):
    """Declare the statuses of a route for the OpenAPI document: its success (default 200),
    and 422 where a request that fits the document can still be refused."""

    def decorate(view):
        view.statuses = statuses
        return view

    return decorate


def int_arg(text: str, name: str, low: int, high: int, message: str | None = None) -> int:
    """A query or header value as an int in [low, high], or BadRequest naming ``name``.

    ASCII digits only, and few of them: str.isdigit() also accepts '²', and int() refuses
    strings of over 4,300 digits; both used to end in a 500.
    """
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high))
            and low <= int(text) <= high):
        raise BadRequest(message or f"'{name}' must be an int in the range [{low}, {high}].",
                         field=name)
    return int(text)


def who() -> tuple[str, str]:
    """(principal label, source) of the current request: recorded on what it creates."""
    principal = g.get("principal")
    if principal is None:
        return "", "api"
    return principal.label, "ui" if principal.kind == "user" else "api"


def register(app: Flask) -> None:
    """Register every API blueprint behind the authentication hook."""
    from . import (
        accounts,
        datastores,
        endpoints,
        experiments,
        models,
        modules,
        oauth,
        openapi,
        parameters,
        pipelines,
        realtime,
        runs,
        schedules,
        webhooks,
    )

    app.before_request(_gate)
    oauth.init(app)
    for module in (modules, pipelines, parameters, runs, experiments, datastores, endpoints,
                   schedules, webhooks, models, realtime, accounts, openapi):
        app.register_blueprint(module.bp)
