"""GET /api/openapi.json, generated from the URL map and the request models; GET /health."""

from __future__ import annotations

import inspect
import re
from http import HTTPStatus

from flask import Blueprint, current_app, jsonify

from ..models import INT_MAX

bp = Blueprint("openapi", __name__)
ERROR = {"type": "object", "properties": {"error": {"type": "string"}},
         "required": ["error"]}
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
# Client errors a route declares beside the 4XX every route may answer.
REFUSALS = {422: "Unprocessable: the request fits this document, but the server cannot act "
                 "on it (a value outside its own parameter's range, a folder or file that does "
                 "not exist, a file type not accepted); the message names the culprit"}
# Bearer tokens come from the client credentials grant; browsers use their signed-in session.
SECURITY_SCHEMES = {"oauth2": {"type": "oauth2", "flows": {
    "clientCredentials": {"tokenUrl": "/oauth2/token", "scopes": {}}}}}


@bp.get("/health")
def health():
    """Liveness probe."""
    return jsonify({"status": "ok"})


@bp.get("/api/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of every JSON route."""
    return jsonify(build(current_app))


def _path_schema(rule, argument: str) -> dict:
    converter = rule._converters.get(argument)  # noqa: SLF001 - werkzeug keeps them here
    if type(converter).__name__ == "IntegerConverter":
        return {"type": "integer", "minimum": 0, "maximum": INT_MAX}
    return {"type": "string", "minLength": 1}


def _responses(statuses) -> dict:
    """Each status a route declares, and the client errors every route may answer."""
    answers = {}
    for code in statuses:
        if code in REFUSALS:
            answers[str(code)] = {"description": REFUSALS[code], "content": ERROR_CONTENT}
        else:
            answers[str(code)] = {"description": HTTPStatus(code).phrase}
    answers["4XX"] = {"description": "Client error (400 a request this document calls "
                                     "malformed, 401 without credentials, 403 without the role, "
                                     "404, 409, 413, 429 ...)", "content": ERROR_CONTENT}
    return answers


def build(app) -> dict:
    """Walk the URL map: paths, parameters, summaries and request body schemas."""
    paths: dict = {}
    components: dict = {"Error": ERROR}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/oauth2/", "/health")):
            continue
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict = {
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "summary": (inspect.getdoc(view) or "").split("\n")[0],
                "parameters": [{"name": a, "in": "path", "required": True,
                                "schema": _path_schema(rule, a)}
                               for a in sorted(rule.arguments)],
                "responses": _responses(getattr(view, "statuses", (200,))),
                "security": [{"oauth2": []}] if path.startswith("/api/") else [],
            }
            for name, schema in getattr(view, "query_params", {}).items():
                schema = dict(schema)
                required = schema.pop("required", False)
                op["parameters"].append(
                    {"name": name, "in": "query", "required": required, "schema": schema})
            model = getattr(view, "body_model", None)
            if model is not None:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(schema.pop("$defs", {}))
                components[model.__name__] = schema
                op["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
            form = getattr(view, "form_body", None)
            if form is not None:
                op["requestBody"] = {"required": True, "content": form}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pipeline Designer API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
    }
