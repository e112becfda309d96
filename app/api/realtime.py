"""Real-time inference: create an inference pipeline from a run, deploy it, score rows."""

import json

from flask import Blueprint, current_app, jsonify, request, url_for

from ..services import models, pipelines, promotion, realtime
from . import answers, body, query, requires, who
from .bodies import DeployBody, PromoteBody, RealtimeSettings, ScoreBody

bp = Blueprint("realtime", __name__, url_prefix="/api/v1")


def _endpoint_dict(endpoint) -> dict:
    return realtime.as_dict(endpoint) | promotion.settings_dict(endpoint) | {
        "scoring_url": url_for(".score", ref=endpoint.name, _external=True)}


@bp.post("/runs/<run_id>/inference-pipeline")
@answers(201, 422)
def create_inference_pipeline(run_id):
    """A new draft: the real-time inference pipeline of a finished training run."""
    pipeline = realtime.create_inference_pipeline(run_id, by=who()[0])
    return jsonify(pipelines.as_dict(pipeline)), 201, {
        "Location": url_for("pipelines.get_pipeline", pipeline_id=pipeline.id)}


@bp.post("/pipelines/<pipeline_id>/deploy")
@answers(200, 201, 422)
@body(DeployBody)
def deploy(pipeline_id, payload: DeployBody):
    """Create (201) or update (200) the real-time endpoint ``name`` from this draft."""
    endpoint, created = realtime.deploy(pipeline_id, payload.name, payload.description,
                                        by=who()[0])
    return jsonify(_endpoint_dict(endpoint)), 201 if created else 200


@bp.get("/realtime-endpoints")
def list_endpoints():
    """Every real-time endpoint with what it serves and its request statistics."""
    return jsonify({"endpoints": [_endpoint_dict(e) for e in realtime.list_all()]})


@bp.get("/realtime-endpoints/<ref>")
def get_endpoint(ref):
    """One real-time endpoint: scoring URL, served model version, input schema, requests."""
    return jsonify(_endpoint_dict(realtime.find(ref)))


@bp.post("/score/<ref>")
@requires("runner")
@answers(200, 422)
@body(ScoreBody)
def score(ref, payload: ScoreBody):
    """Score rows: Azure's {"Inputs": {"WebServiceInput0": [row, ...]}} body; answers
    {"Results": {"WebServiceOutput0": [row with "Scored Labels", ...]}}."""
    del payload  # the shape is checked; the rows are read as sent, in their order
    answer = realtime.score(ref, request.get_json())
    # Columns in the scored frame's order, compact: the answer is written once per request.
    text = json.dumps(answer, default=current_app.json.default, separators=(",", ":"))
    return current_app.response_class(text, mimetype="application/json")


@bp.patch("/realtime-endpoints/<ref>")
@answers(200, 422)
@body(RealtimeSettings)
def configure(ref, payload: RealtimeSettings):
    """Link to a pipeline endpoint (its retrains are challengers) and set the promotion rule."""
    changes = payload.model_dump(exclude_unset=True)
    return jsonify(_endpoint_dict(promotion.configure(ref, changes, by=who()[0])))


@bp.get("/realtime-endpoints/<ref>/challengers")
def challengers(ref):
    """Model versions that could replace the champion, newest first."""
    return jsonify({"challengers": [models.version_dict(v) for v in
                                    promotion.challengers(realtime.find(ref))]})


@bp.get("/realtime-endpoints/<ref>/compare")
@answers(200, 422)
@query(model={"type": "string", "required": True, "maxLength": 64},
       version={"type": "integer", "minimum": 1, "required": True})
def compare(ref):
    """Champion and a challenger scored on the same held-out rows: metrics and curves."""
    version = models.version_of(request.args["model"], int(request.args["version"]))
    return jsonify(promotion.compare(realtime.find(ref), version))


@bp.post("/realtime-endpoints/<ref>/promote")
@answers(200, 422)
@body(PromoteBody)
def promote(ref, payload: PromoteBody):
    """Serve a model version from now on: promote a challenger or roll back; no request
    fails during the swap."""
    decision = promotion.promote(ref, payload.model, payload.version, by=who()[0],
                                 reason=payload.reason or "promoted by hand")
    return jsonify(_endpoint_dict(realtime.find(ref)) | {"decision": {
        "champion": decision.champion, "challenger": decision.challenger}})


@bp.get("/realtime-endpoints/<ref>/deployments")
def deployments(ref):
    """Every deployment the endpoint has served: deploy, promote, roll back; newest first."""
    return jsonify({"deployments": realtime.deployments(realtime.find(ref))})


@bp.get("/realtime-endpoints/<ref>/decisions")
def decisions(ref):
    """Every promotion decision, by hand or by the rule, newest first, with its reason."""
    return jsonify({"decisions": promotion.decisions(realtime.find(ref))})
