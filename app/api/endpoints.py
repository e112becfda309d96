"""Pipeline endpoints: publish, list, versions, default, enable/disable, submit (Azure body)."""

from flask import Blueprint, jsonify, request, url_for

from ..services import export, publishing, runs, version_diff
from . import answers, body, query, requires, who
from .bodies import DefaultVersion, EndpointSubmit, PublishBody
from .pipelines import python_file

bp = Blueprint("endpoints", __name__, url_prefix="/api/v1")


@bp.post("/pipelines/<pipeline_id>/publish")
@answers(201, 422)
@body(PublishBody)
def publish(pipeline_id, payload: PublishBody):
    """Publish the draft as the next immutable version of an endpoint."""
    version = publishing.publish(
        pipeline_id, endpoint=payload.endpoint,
        new_endpoint=payload.new_endpoint.model_dump() if payload.new_endpoint else None,
        set_default=payload.set_default, description=payload.description, by=who()[0])
    return jsonify(publishing.version_dict(version) | {
        "endpoint": publishing.as_dict(version.endpoint)}), 201


@bp.get("/endpoints")
def list_endpoints():
    """Every pipeline endpoint with its default version, version count, status, last run."""
    return jsonify({"endpoints": [publishing.as_dict(e) for e in publishing.list_all()]})


@bp.get("/endpoints/<ref>")
def get_endpoint(ref):
    """One endpoint (by id or name) with its published versions and REST URL."""
    endpoint = publishing.find(ref)
    return jsonify(publishing.as_dict(endpoint, full=True) | {
        "rest_url": url_for(".submit", ref=endpoint.id, _external=True)})


@bp.get("/endpoints/<ref>/versions/<int:number>")
def get_version(ref, number):
    """One published version: frozen document and parameter schema."""
    return jsonify(publishing.version_dict(publishing.version_of(publishing.find(ref), number)))


@bp.get("/endpoints/<ref>/versions/<int:number>/export.py")
@answers(200, 422)
def export_version(ref, number):
    """A published version as one standalone Python script, downloaded."""
    return python_file(*export.version_script(ref, number))


@bp.get("/endpoints/<ref>/versions/<int:number>/diff")
@answers(200, 422)
@query(to="integer", pipeline="string")
def diff_version(ref, number):
    """Nodes, wires, fields and parameters added, removed or changed from version ``number``
    to version ``?to=`` or the draft ``?pipeline=`` (default: the draft it came from)."""
    to = request.args.get("to")
    return jsonify(version_diff.compare(ref, number, to=None if to is None else int(to),
                                        pipeline=request.args.get("pipeline")))


@bp.get("/pipelines/<pipeline_id>/published")
def published_from(pipeline_id):
    """The endpoints a draft was published to, with their versions (to compare the draft)."""
    return jsonify({"endpoints": version_diff.published_from(pipeline_id)})


@bp.post("/endpoints/<ref>/default")
@body(DefaultVersion)
def set_default(ref, payload: DefaultVersion):
    """Make a version the default one."""
    return jsonify(publishing.as_dict(publishing.set_default(ref, payload.version)))


@bp.post("/endpoints/<ref>/disable")
def disable(ref):
    """Refuse submissions until enabled again."""
    return jsonify(publishing.as_dict(publishing.set_enabled(ref, False)))


@bp.post("/endpoints/<ref>/enable")
def enable(ref):
    """Accept submissions again."""
    return jsonify(publishing.as_dict(publishing.set_enabled(ref, True)))


@bp.get("/endpoints/<ref>/runs")
def endpoint_runs(ref):
    """This endpoint's runs, newest first."""
    endpoint = publishing.find(ref)
    return jsonify({"runs": [runs.as_dict(r, full=False)
                             for r in runs.list_runs(endpoint_id=endpoint.id)]})


@bp.post("/endpoints/<ref>/submit")
@requires("runner")
@answers(202, 422)
@query(pipelineVersion={"type": "integer", "minimum": 0})
@body(EndpointSubmit)
def submit(ref, payload: EndpointSubmit):
    """Submit a run of the default (or ?pipelineVersion=N) version; Azure ML's body."""
    by, source = who()
    run = publishing.submit(ref, request.args.get("pipelineVersion"), payload.model_dump(),
                            by=by, source=source)
    return jsonify({
        "Id": run.id, "Status": {"StatusCode": run.status}, "EndpointId": run.endpoint_id,
        "PipelineVersion": run.endpoint_version, "ParameterAssignments": run.parameters,
        "ExperimentName": run.experiment.name,
    }), 202, {"Location": url_for("runs.get_run", run_id=run.id)}
