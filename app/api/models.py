"""The model registry: models, their versions with lineage, MLflow downloads, registering."""

from flask import Blueprint, Response, jsonify, url_for

from ..services import models
from ..services.runtime import runtime
from . import answers, body, who
from .bodies import RegisterModel

bp = Blueprint("models", __name__, url_prefix="/api/v1")


@bp.get("/models")
def list_models():
    """Every registered model with its latest version."""
    return jsonify({"models": [models.as_dict(m) for m in models.list_all()]})


@bp.get("/models/<name>")
def get_model(name):
    """One model with all its versions, newest first."""
    return jsonify(models.as_dict(models.find(name), full=True))


@bp.get("/models/<name>/versions/<int:number>")
def get_version(name, number):
    """One model version: its run, endpoint version, parameter values, data and metrics."""
    version = models.version_of(name, number)
    return jsonify(models.version_dict(version) | {
        "download_url": url_for(".download", name=name, number=number, _external=True)})


@bp.get("/models/<name>/versions/<int:number>/download")
def download(name, number):
    """The version as a zipped MLflow model (MLmodel file, scikit-learn flavour)."""
    version = models.version_of(name, number)
    data = models.mlflow_zip(version, runtime().store)
    filename = f"{version.model.name}-{version.version}-mlflow.zip"
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/runs/<run_id>/steps/<node_id>/register")
@answers(201, 422)
@body(RegisterModel)
def register(run_id, node_id, payload: RegisterModel):
    """Register a finished run's trained model (Train Model's output) as a model version."""
    version = models.register_step(run_id, node_id, payload.name, by=who()[0],
                                   store=runtime().store)
    return jsonify(models.version_dict(version)), 201, {
        "Location": url_for(".get_version", name=version.model.name, number=version.version)}
