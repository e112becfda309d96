"""Datastores: list and register named server folders."""

from flask import Blueprint, jsonify

from ..services import datastores
from . import body
from .schemas import DatastoreBody

bp = Blueprint("datastores", __name__, url_prefix="/api/v1/datastores")


@bp.get("")
def list_datastores():
    """Every registered datastore."""
    return jsonify({"datastores": [datastores.as_dict(d) for d in datastores.list_all()]})


@bp.post("")
@body(DatastoreBody)
def add_datastore(payload: DatastoreBody):
    """Register an existing server folder under a name."""
    store = datastores.add(payload.name, payload.root)
    return jsonify(datastores.as_dict(store)), 201
