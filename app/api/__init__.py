"""The JSON API under /api/v1: blueprints, one authentication hook, request helpers."""

from __future__ import annotations

from functools import wraps

from flask import Flask, request
from pydantic import BaseModel

from ..errors import BadRequest


def authenticate() -> None:
    """The single gate every /api/v1 request passes; it admits everyone until auth lands."""
    return None


def _gate():
    if request.path.startswith("/api/v1/"):
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


def query(**params: str):
    """Declare a view's query parameters (name=JSON Schema type) for the OpenAPI document."""

    def decorate(view):
        view.query_params = params
        return view

    return decorate


def register(app: Flask) -> None:
    """Register every API blueprint behind the authentication hook."""
    from . import (
        datastores,
        endpoints,
        experiments,
        modules,
        openapi,
        parameters,
        pipelines,
        runs,
    )

    app.before_request(_gate)
    for module in (modules, pipelines, parameters, runs, experiments, datastores, endpoints,
                   openapi):
        app.register_blueprint(module.bp)
