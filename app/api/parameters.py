"""Pipeline parameters of a draft: add, change, rename, delete, attach and detach fields."""

from flask import Blueprint, jsonify, request

from ..engine import parameters as edits
from ..models import INT_MAX
from ..services import pipelines
from ..services.runtime import runtime
from . import answers, body, query
from .bodies import BindingBody, ParameterCreate, ParameterUpdate

bp = Blueprint("parameters", __name__, url_prefix="/api/v1/pipelines/<pipeline_id>")


# The revision you edited, for deletes (which have no body).
REVISION = {"type": "integer", "minimum": 0, "maximum": INT_MAX - 1, "required": True}


def _revision() -> int:
    return int(request.args["revision"])


def _answer(pipeline):
    return jsonify(pipelines.as_dict(pipeline))


@bp.post("/parameters")
@answers(201, 422)
@body(ParameterCreate)
def add_parameter(pipeline_id, payload: ParameterCreate):
    """Add a parameter; ``attach`` binds fields to it (types must fit)."""
    targets = [(f.node, f.field) for f in payload.attach]
    return _answer(pipelines.edit(pipeline_id, payload.revision, lambda doc: edits.add(
        doc, runtime().modules, payload.parameter, targets))), 201


@bp.patch("/parameters/<name>")
@answers(200, 422)
@body(ParameterUpdate)
def update_parameter(pipeline_id, name, payload: ParameterUpdate):
    """Change a parameter; a new name updates every binding."""
    return _answer(pipelines.edit(pipeline_id, payload.revision, lambda doc: edits.update(
        doc, runtime().modules, name, payload.changes)))


@bp.delete("/parameters/<name>")
@answers(200, 422)
@query(revision=REVISION)
def delete_parameter(pipeline_id, name):
    """Delete a parameter: every bound field keeps the parameter's value as its own."""
    return _answer(pipelines.edit(pipeline_id, _revision(),
                                  lambda doc: edits.delete(doc, name)))


@bp.put("/bindings/<node_id>/<field>")
@answers(200, 422)
@body(BindingBody)
def attach(pipeline_id, node_id, field, payload: BindingBody):
    """Bind a node's field to an existing parameter of a fitting type."""
    return _answer(pipelines.edit(pipeline_id, payload.revision, lambda doc: edits.attach(
        doc, runtime().modules, node_id, field, payload.parameter)))


@bp.delete("/bindings/<node_id>/<field>")
@answers(200, 422)
@query(revision=REVISION)
def detach(pipeline_id, node_id, field):
    """Unbind a field; it keeps the parameter's current value."""
    return _answer(pipelines.edit(pipeline_id, _revision(),
                                  lambda doc: edits.detach(doc, node_id, field)))
