"""GET /api/openapi.json, generated from the URL map and the request models; GET /health."""

from __future__ import annotations

import inspect
import re

from flask import Blueprint, current_app, jsonify

bp = Blueprint("openapi", __name__)
ERROR = {"type": "object", "properties": {"error": {"type": "string"}},
         "required": ["error"]}


@bp.get("/health")
def health():
    """Liveness probe."""
    return jsonify({"status": "ok"})


@bp.get("/api/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of every JSON route."""
    return jsonify(build(current_app))


def _path_type(rule, argument: str) -> str:
    converter = rule._converters.get(argument)  # noqa: SLF001 - werkzeug keeps them here
    return "integer" if type(converter).__name__ == "IntegerConverter" else "string"


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
                                "schema": {"type": _path_type(rule, a)}}
                               for a in sorted(rule.arguments)],
                "responses": {
                    "200": {"description": "OK"},
                    "4XX": {"description": "Client error",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }
            op["parameters"] += [
                {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
                for name, kind in getattr(view, "query_params", {}).items()]
            model = getattr(view, "body_model", None)
            if model is not None:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(schema.pop("$defs", {}))
                components[model.__name__] = schema
                op["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pipeline Designer API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components},
    }
