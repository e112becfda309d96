"""Pipeline drafts: CRUD with optimistic concurrency, validation, run submission."""

from flask import Blueprint, Response, jsonify, url_for

from ..services import export, pipelines, runs
from . import answers, body, requires, who
from .bodies import PipelineBody, PipelineUpdate, SubmitRun

bp = Blueprint("pipelines", __name__, url_prefix="/api/v1/pipelines")


@bp.get("")
def list_pipelines():
    """Every draft, last edited first (without documents)."""
    return jsonify({"pipelines": [pipelines.as_dict(p, full=False) for p in pipelines.list_all()]})


@bp.post("")
@answers(201, 422)
@body(PipelineBody)
def create_pipeline(payload: PipelineBody):
    """Create a draft from a pipeline document."""
    pipeline = pipelines.create(payload.document)
    location = url_for(".get_pipeline", pipeline_id=pipeline.id)
    return jsonify(pipelines.as_dict(pipeline)), 201, {"Location": location}


@bp.get("/<pipeline_id>")
def get_pipeline(pipeline_id):
    """One draft with its document and revision."""
    return jsonify(pipelines.as_dict(pipelines.get(pipeline_id)))


@bp.put("/<pipeline_id>")
@answers(200, 422)
@body(PipelineUpdate)
def update_pipeline(pipeline_id, payload: PipelineUpdate):
    """Replace the document; 409 when ``revision`` is not the stored one."""
    pipeline = pipelines.update(pipeline_id, payload.document, payload.revision)
    return jsonify(pipelines.as_dict(pipeline))


@bp.delete("/<pipeline_id>")
@answers(204)
def delete_pipeline(pipeline_id):
    """Delete a draft (its runs stay)."""
    pipelines.delete(pipeline_id)
    return "", 204


@bp.post("/validate")
@requires("viewer")
@answers(200, 422)
@body(PipelineBody)
def validate_document(payload: PipelineBody):
    """Validate a document without storing it: per-node errors and warnings."""
    return jsonify(_validation(payload.document))


@bp.post("/columns")
@requires("viewer")
@answers(200, 422)
@body(PipelineBody)
def document_columns(payload: PipelineBody):
    """Columns each data set input will have, known before any run (null when unknown)."""
    return jsonify({"columns": pipelines.columns(payload.document)})


@bp.get("/<pipeline_id>/validate")
def validate_pipeline(pipeline_id):
    """Validate a stored draft."""
    doc = pipelines.parse(pipelines.get(pipeline_id).document)
    return jsonify(_validation(doc))


@bp.get("/<pipeline_id>/export.py")
@answers(200, 422)
def export_pipeline(pipeline_id):
    """The draft as one standalone Python script (pandas, scikit-learn), downloaded."""
    return python_file(*export.draft_script(pipeline_id))


def python_file(text: str, name: str) -> Response:
    """A script as a download named ``name``."""
    return Response(text, mimetype="text/x-python",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _validation(doc) -> dict:
    grouped = pipelines.group_errors(pipelines.check(doc))
    grouped["valid"] = not grouped["node_errors"] and not grouped["errors"]
    return grouped


@bp.post("/<pipeline_id>/runs")
@answers(202, 422)
@body(SubmitRun)
def submit_run(pipeline_id, payload: SubmitRun):
    """Submit a run of the draft as it is now, with parameter values and an experiment."""
    document = pipelines.document_of(pipeline_id)
    by, source = who()
    run = runs.submit(document, pipeline_id=pipeline_id, source=source,
                      submitted_by=by, **payload.model_dump())
    location = url_for("runs.get_run", run_id=run.id)
    return jsonify(runs.as_dict(run, full=False)), 202, {"Location": location}
