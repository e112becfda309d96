"""GET /api/v1/modules: the module catalogue the editor builds its palette from."""

from flask import Blueprint, jsonify

from ..services.runtime import runtime

bp = Blueprint("modules", __name__, url_prefix="/api/v1/modules")


@bp.get("")
def list_modules():
    """Every module spec: ports, parameters with defaults, ranges and choices."""
    specs = sorted(runtime().modules.values(), key=lambda s: (s.category, s.label))
    return jsonify({"modules": [s.describe() for s in specs]})
