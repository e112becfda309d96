"""The model registry: trained models of runs as numbered versions with their lineage.

Every run of a pipeline endpoint that finishes registers each model its Train Model steps
produced, under the endpoint's name; any finished run's trained model can be registered by
hand. A version keeps what is needed to tell where it came from (run, endpoint version,
parameter values, each data file's SHA-256, the run's evaluation metrics) and points at the
artifact the run stored, so it can be scored and downloaded in MLflow's model format.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..engine.artifacts import ArtifactRef, ArtifactStore
from ..engine.datastores import DatastoreError, file_sha256
from ..engine.document import PipelineDocument, name_problem
from ..engine.executor import FINISHED, make_plan
from ..engine.spec import TRAINED_MODEL, DataPath
from ..errors import BadRequest, Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models import ModelVersion, PipelineEndpoint, RegisteredModel, Run, StepRun, iso
from . import audit, datastores
from . import runs as run_service
from .runtime import runtime

log = logging.getLogger(__name__)


def trained_model_steps(run: Run) -> list[tuple[str, str]]:
    """(node id, output port) of every trained model a run's document produces."""
    found = []
    for node in run.document.get("nodes", []):
        spec = runtime().modules.get(node.get("module"))
        if spec is None:
            continue
        found += [(node["id"], p.name) for p in spec.outputs if p.type == TRAINED_MODEL]
    return found


def _file_facts(store_name: str, path: str, stores) -> dict:
    """A data path with its file's size, modification time and SHA-256 (or why not)."""
    facts: dict[str, Any] = {"datastore": store_name, "path": path}
    try:
        file = stores.resolve_file(store_name, path)
        stat = file.stat()
        sha = file_sha256(file)
    except (DatastoreError, OSError) as exc:
        return facts | {"problem": str(exc)}
    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    return facts | {"sha256": sha, "size": stat.st_size, "modified": iso(modified)}


def data_lineage(run: Run) -> list[dict]:
    """Every data path the run read, with the fingerprint of the file as it is now."""
    plan = make_plan(PipelineDocument.model_validate(run.document), runtime().modules,
                     run.parameters)
    return plan_lineage(plan, datastores.mapping())


def plan_lineage(plan, stores) -> list[dict]:
    """Every data path ``plan`` reads, with the fingerprint of its file as it is now (no
    database: a dispatcher takes it while the run's steps execute)."""
    out = []
    for node_id in plan.order:
        step = plan.steps[node_id]
        for param in step.spec.params:
            value = step.params.get(param.name)
            if isinstance(param, DataPath) and isinstance(value, dict):
                facts = _file_facts(value["datastore"], value["path"], stores)
                out.append({"node": node_id, "field": param.name} | facts)
    return out


def _metrics(run: Run) -> dict:
    """The scalar metrics of the run's steps, by node id (Evaluate Model's, typically); the
    two columns alone, not the steps' logs and outputs."""
    rows = db.session.execute(select(StepRun.node_id, StepRun.metrics)
                              .where(StepRun.run_id == run.id).order_by(StepRun.position))
    return {node_id: dict(metrics) for node_id, metrics in rows if metrics}


def _model_named(name: str) -> RegisteredModel:
    model = db.session.scalar(select(RegisteredModel).filter_by(name=name))
    if model is None:
        model = RegisteredModel(name=name)
        db.session.add(model)
        db.session.flush()
    return model


def _check_name(name: Any) -> str:
    if problem := name_problem("Model name", name):
        raise BadRequest(problem, field="name")
    return name


def register_step(run_id: str, node_id: str, name: Any, *, by: str,
                  store: ArtifactStore) -> ModelVersion:
    """"Register model" on a finished run's Train Model output."""
    run = run_service.get(run_id)
    if run.status != FINISHED:
        raise Conflict(f"Run '{run.id}' is {run.status}; only a finished run's model can be "
                       "registered.")
    return register(run, node_id, name, source="manual", by=by, store=store)


def register(run: Run, node_id: str, name: str, *, source: str, by: str,
             store: ArtifactStore, lineage: list[dict] | None = None,
             loaded: Mapping[str, Any] | None = None) -> ModelVersion:
    """Register the trained model of ``node_id`` in ``run`` as the next version of ``name``
    (``lineage``: the run's data paths with their files' fingerprints, when taken already;
    ``loaded``: models read from the store already, by artifact key)."""
    _check_name(name)
    ports = dict(trained_model_steps(run))
    run_service.step(run.id, node_id)  # NotFound when the run has no such step
    if node_id not in ports:
        raise Unprocessable(f"Step '{node_id}' of run '{run.id}' does not output a trained model "
                         f"(steps that do: {', '.join(ports) or 'none'}).")
    ref = run_service.output_ref(run.id, node_id, ports[node_id])
    trained = (loaded or {}).get(ref.key)
    if trained is None:
        trained = store.get(ref)
    endpoint = db.session.get(PipelineEndpoint, run.endpoint_id) if run.endpoint_id else None
    for attempt in range(3):  # two registrations of one name may race for a number
        model = _model_named(name)
        number = (db.session.scalar(select(func.max(ModelVersion.version))
                                    .filter_by(model_id=model.id)) or 0) + 1
        version = ModelVersion(
            model=model, version=number, artifact_key=ref.key, run_id=run.id, node_id=node_id,
            pipeline_id=run.pipeline_id,
            endpoint_name=endpoint.name if endpoint else None,
            endpoint_version=run.endpoint_version, parameters=dict(run.parameters or {}),
            data=data_lineage(run) if lineage is None else lineage, metrics=_metrics(run),
            task=trained.task,
            label_column=trained.label_column, feature_columns=list(trained.feature_columns),
            source=source, registered_by=by)
        db.session.add(version)
        audit.record("model.register", f"{name}:{number}",
                     {"run": run.id, "node": node_id, "source": source}, actor=by or None,
                     commit=False)  # in the version's own transaction
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
            continue
        return version
    raise AssertionError("unreachable")


def register_run(run_id: str, store: ArtifactStore, lineage: list[dict] | None = None,
                 loaded: Mapping[str, Any] | None = None) -> list[ModelVersion]:
    """When a pipeline endpoint's run has finished, before it is announced: register each
    model it trained (``lineage`` and ``loaded`` as ``register`` takes them).

    The model is named after the endpoint; a pipeline with several Train Model steps names
    each ``<endpoint>-<node id>``.
    """
    run = db.session.get(Run, run_id)
    if run is None or not run.endpoint_id:
        return []
    endpoint = db.session.get(PipelineEndpoint, run.endpoint_id)
    if endpoint is None:
        return []
    steps = trained_model_steps(run)
    made = []
    for node_id, _port in steps:
        name = endpoint.name if len(steps) == 1 else f"{endpoint.name}-{node_id}"[:64]
        made.append(register(run, node_id, name, source="retrain", by=run.submitted_by,
                             store=store, lineage=lineage, loaded=loaded))
    return made


# -- reading ---------------------------------------------------------------------------------
def find(name: str) -> RegisteredModel:
    """A registered model by name, or NotFound."""
    model = db.session.scalar(select(RegisteredModel).filter_by(name=name))
    if model is None:
        raise NotFound(f"Model '{name}' does not exist.")
    return model


def version_of(name: str, number: int) -> ModelVersion:
    """One version of a model, or NotFound naming the versions there are."""
    model = find(name)
    found = next((v for v in model.versions if v.version == number), None)
    if found is None:
        have = ", ".join(str(v.version) for v in model.versions) or "none"
        raise NotFound(f"Model '{name}' has no version {number} (versions: {have}).")
    return found


def list_all() -> list[RegisteredModel]:
    """Every registered model, by name."""
    return list(db.session.scalars(select(RegisteredModel).order_by(RegisteredModel.name)))


def version_dict(v: ModelVersion) -> dict:
    """JSON form of a version with its lineage."""
    return {
        "model": v.model.name, "version": v.version, "created": iso(v.created),
        "registered_by": v.registered_by, "source": v.source,
        "run_id": v.run_id, "node_id": v.node_id, "pipeline_id": v.pipeline_id,
        "endpoint": v.endpoint_name, "endpoint_version": v.endpoint_version,
        "parameters": v.parameters, "data": v.data, "metrics": v.metrics,
        "task": v.task, "label_column": v.label_column, "feature_columns": v.feature_columns,
    }


def as_dict(model: RegisteredModel, *, full: bool = False) -> dict:
    """JSON form of a model; ``full`` lists every version, else only the latest."""
    latest = model.versions[-1] if model.versions else None
    out = {"name": model.name, "description": model.description, "created": iso(model.created),
           "versions": len(model.versions),
           "latest": version_dict(latest) if latest else None}
    if full:
        out["versions"] = [version_dict(v) for v in reversed(model.versions)]
    return out


# -- MLflow format ---------------------------------------------------------------------------
def mlflow_zip(version: ModelVersion, store: ArtifactStore) -> bytes:
    """The version as a zipped MLflow model directory (MLmodel file, scikit-learn flavour).

    The fitted scikit-learn Pipeline is saved with cloudpickle, with this app's own helper
    functions pickled by value, so the model loads wherever scikit-learn and pandas are
    installed (``mlflow.pyfunc.load_model``, ``mlflow models serve``) without this app.
    """
    import cloudpickle
    import numpy
    import pandas
    import sklearn

    from ..modules import training

    with warnings.catch_warnings():  # MLflow warns about its own type hints on import
        warnings.simplefilter("ignore")
        import mlflow.pyfunc
        import mlflow.sklearn

    trained = store.get(ArtifactRef(version.artifact_key, "joblib"))
    if not hasattr(trained, "pipeline"):  # Create Python Model: user code, not scikit-learn
        raise Unprocessable(f"Model '{version.model.name}' version {version.version} was "
                            "written in Python (Create Python Model): it has no MLflow form.")
    requirements = [f"scikit-learn=={sklearn.__version__}", f"pandas=={pandas.__version__}",
                    f"numpy=={numpy.__version__}", f"cloudpickle=={cloudpickle.__version__}"]
    cloudpickle.register_pickle_by_value(training)
    folder = Path(tempfile.mkdtemp(prefix="model-"))
    try:
        target = folder / "model"
        mlflow.sklearn.save_model(
            trained.pipeline, str(target), serialization_format="cloudpickle",
            pip_requirements=requirements, metadata=_metadata(version))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(target.rglob("*")):
                if file.is_file():
                    archive.write(file, f"{version.model.name}-{version.version}/"
                                        f"{file.relative_to(target).as_posix()}")
        return buffer.getvalue()
    finally:
        cloudpickle.unregister_pickle_by_value(training)
        shutil.rmtree(folder, ignore_errors=True)


def _metadata(version: ModelVersion) -> dict:
    return {"registered_model": version.model.name, "version": version.version,
            "run_id": version.run_id, "endpoint": version.endpoint_name,
            "endpoint_version": version.endpoint_version, "label_column": version.label_column,
            "task": version.task}
