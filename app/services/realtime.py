"""Real-time endpoints: inference pipelines derived from runs, deployed and scored in memory.

Creating a real-time inference pipeline from a finished run registers the model it trained
(unless it is registered already) and stores the derived pipeline as a new draft. Deploying a
draft creates or updates an endpoint: its graph is compiled once per process and deployment
(``InferenceGraph``) and every request is a direct call of the modules on the request's rows.
Each deployment (deploy, promote, roll back) is kept in the endpoint's history; requests are
counted in memory and written to the request log apart from them (``request_log``).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flask import current_app
from pandas.api import types as ptypes
from sqlalchemy import bindparam, select

from ..engine.context import ModuleError
from ..engine.document import PipelineDocument, name_problem
from ..engine.executor import FINISHED, PipelineInvalid, make_plan
from ..engine.inference import INPUT, InferenceError, InferenceGraph, derive
from ..errors import BadRequest, Conflict, InvalidPipeline, NotFound, TooLarge, Unprocessable
from ..extensions import db
from ..models import ModelVersion, Pipeline, RealtimeDeployment, RealtimeEndpoint, iso, now
from . import audit, models, pipelines, request_log
from . import runs as run_service
from .request_log import Tally as _Stats  # what score() counts each request in (memory only)
from .runtime import runtime

KEPT_DEPLOYMENTS = 3


# -- creating and deploying -------------------------------------------------------------------
def create_inference_pipeline(run_id: str, *, by: str) -> Pipeline:
    """A new draft: the real-time inference pipeline of a finished training run."""
    run = run_service.get(run_id)
    if run.status != FINISHED:
        raise Conflict(f"Run '{run.id}' is {run.status}; an inference pipeline is made from a "
                       "finished run.")
    outputs = {s.node_id: s.outputs or {} for s in run.steps}
    try:
        document = derive(run.document, outputs, runtime().modules, run.id)
    except InferenceError as exc:
        raise Unprocessable(str(exc)) from None
    for node in document["nodes"]:
        if node["module"] == "saved_model":
            version = _registered(run, node, by)
            node["params"]["source"] = (f"model {version.model.name} version {version.version} "
                                        f"(run {run.id}, step {version.node_id})")
    pipeline = pipelines.create(document)
    audit.record("pipeline.inference", pipeline.id, {"run": run.id, "name": pipeline.name},
                 actor=by or None)
    return pipeline


def _registered(run, node: dict, by: str) -> ModelVersion:
    """The model version of a frozen model node; registered now if it is not yet."""
    found = _version_of_artifact(node["params"]["artifact"])
    if found is not None:
        return found
    name = run.document.get("name", "model")
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower()).strip("-_")
    slug = slug.lstrip("0123456789-_") or "model"
    return models.register(run, node["id"], slug[:64], source="inference", by=by,
                           store=runtime().store)


def _version_of_artifact(key: str) -> ModelVersion | None:
    return db.session.scalar(select(ModelVersion).filter_by(artifact_key=key)
                             .order_by(ModelVersion.id.desc()).limit(1))


def deploy(pipeline_id: str, name: Any, description: Any, *, by: str) -> tuple[RealtimeEndpoint,
                                                                                 bool]:
    """Create or update the real-time endpoint ``name`` from an inference pipeline draft;
    (endpoint, created)."""
    if problem := name_problem("Endpoint name", name):
        raise BadRequest(problem, field="name")
    pipeline = pipelines.get(pipeline_id)
    doc = PipelineDocument.model_validate(pipeline.document)
    plan = _plan(doc)
    graph = _compile(plan)
    served = _served_version(doc)
    schema, example = _input_schema(plan, served)
    endpoint = db.session.scalar(select(RealtimeEndpoint).filter_by(name=name))
    created = endpoint is None
    if created:
        endpoint = RealtimeEndpoint(name=name, created_by=by, deployment=0)
        db.session.add(endpoint)
    endpoint.description = str(description or endpoint.description or "")[:5000]
    endpoint.pipeline_id = pipeline.id
    endpoint.document = doc.dump()
    endpoint.input_schema, endpoint.example = schema, example
    endpoint.model_version = served
    endpoint.deployment += 1
    endpoint.updated = now()
    db.session.flush()  # the new endpoint's id
    record_deployment(endpoint, "deploy", by=by)
    install(endpoint, graph)
    db.session.commit()
    audit.record("realtime.deploy", name, {"pipeline": pipeline.id,
                                           "deployment": endpoint.deployment}, actor=by or None)
    return endpoint, created


def _plan(doc: PipelineDocument):
    try:
        return make_plan(doc, runtime().modules, {})
    except PipelineInvalid as exc:
        raise InvalidPipeline(**pipelines.group_errors(exc.errors)) from None


def compiled(doc: PipelineDocument) -> InferenceGraph:
    """The in-memory graph of an inference document (its frozen nodes loaded)."""
    return _compile(_plan(doc))


def _compile(plan) -> InferenceGraph:
    try:
        return InferenceGraph(plan, runtime().store)
    except (InferenceError, ModuleError) as exc:
        raise Unprocessable(str(exc)) from None


def _served_version(doc: PipelineDocument) -> ModelVersion | None:
    key = next((n.params.get("artifact") for n in doc.nodes if n.module == "saved_model"), None)
    return _version_of_artifact(key) if key else None


def _input_schema(plan, version: ModelVersion | None) -> tuple[dict, dict]:
    """The columns each Web Service Input receives (from the design-time data of the run the
    served model came from) and an example row of each."""
    schema, example = {}, {}
    for node_id, step in plan.steps.items():
        if step.spec.name != INPUT:
            continue
        source = step.inputs.get("dataset")
        frame = _design_time_rows(version, source) if source else None
        if frame is None:
            raise Unprocessable(
                f"Web Service Input '{node_id}': its columns are not known; wire the Import "
                "Data of the training run into it and deploy a pipeline created from a run.")
        name = step.params["name"]
        schema[name] = [{"name": str(c), "type": _json_type(frame[c]), "dtype": str(frame[c].dtype)}
                        for c in frame.columns]
        example[name] = _records(frame.head(1))[0] if len(frame) else {}
    return schema, example


def _design_time_rows(version: ModelVersion | None, source) -> pd.DataFrame | None:
    if version is None or version.run_id is None:
        return None
    try:
        return runtime().store.get(run_service.output_ref(version.run_id, *source))
    except NotFound:
        return None


def _json_type(series: pd.Series) -> str:
    if ptypes.is_bool_dtype(series.dtype):
        return "boolean"
    if ptypes.is_integer_dtype(series.dtype):
        return "integer"
    if ptypes.is_numeric_dtype(series.dtype):
        return "number"
    return "string"


def record_deployment(endpoint: RealtimeEndpoint, action: str, *, by: str,
                      reason: str = "") -> None:
    """Add the endpoint's current deployment to its history (the caller commits)."""
    version = endpoint.model_version
    db.session.add(RealtimeDeployment(
        endpoint_id=endpoint.id, deployment=endpoint.deployment, action=action,
        model_name=version.model.name if version else None,
        model_version=version.version if version else None,
        pipeline_id=endpoint.pipeline_id, reason=reason, deployed_by=by or ""))


def served_before(endpoint: RealtimeEndpoint, version: ModelVersion) -> bool:
    """Whether an earlier deployment of the endpoint served ``version``."""
    return db.session.scalar(select(RealtimeDeployment.id).filter_by(
        endpoint_id=endpoint.id, model_name=version.model.name,
        model_version=version.version).limit(1)) is not None


def deployments(endpoint: RealtimeEndpoint) -> list[dict]:
    """Every deployment the endpoint has had, newest first."""
    rows = db.session.scalars(select(RealtimeDeployment).filter_by(endpoint_id=endpoint.id)
                              .order_by(RealtimeDeployment.id.desc()))
    return [{"deployment": d.deployment, "action": d.action,
             "model": {"name": d.model_name, "version": d.model_version}
             if d.model_name else None,
             "pipeline_id": d.pipeline_id, "reason": d.reason, "deployed_by": d.deployed_by,
             "created": iso(d.created)} for d in rows]


# -- reading ----------------------------------------------------------------------------------
def find(ref: str) -> RealtimeEndpoint:
    """A real-time endpoint by id or name, or NotFound."""
    endpoint = db.session.scalar(select(RealtimeEndpoint).filter_by(name=ref)) or \
        db.session.get(RealtimeEndpoint, ref)
    if endpoint is None:
        raise NotFound(f"Real-time endpoint '{ref}' does not exist.")
    return endpoint


def list_all() -> list[RealtimeEndpoint]:
    """Every real-time endpoint, by name."""
    return list(db.session.scalars(select(RealtimeEndpoint).order_by(RealtimeEndpoint.name)))


def as_dict(endpoint: RealtimeEndpoint) -> dict:
    """JSON form: what it serves, its input schema and example, request statistics."""
    version = endpoint.model_version
    return {
        "id": endpoint.id, "name": endpoint.name, "description": endpoint.description,
        "status": "Healthy", "deployment": endpoint.deployment,
        "pipeline_id": endpoint.pipeline_id, "created_by": endpoint.created_by,
        "created": iso(endpoint.created), "updated": iso(endpoint.updated),
        "model": {"name": version.model.name, "version": version.version} if version else None,
        "input_schema": endpoint.input_schema, "example": endpoint.example,
        "requests": request_log.summary(endpoint.id),
    }


# -- scoring ----------------------------------------------------------------------------------
@dataclass
class _Deployed:
    deployment: int
    graph: InferenceGraph
    schema: dict


_BUILD = threading.Lock()


def _cache() -> dict[str, dict[int, _Deployed]]:
    return runtime().served


def _stats() -> dict[str, _Stats]:
    return runtime().serving_stats


def install(endpoint: RealtimeEndpoint, graph: InferenceGraph) -> None:
    """Make ``graph`` this process's graph of the endpoint's deployment number (set, not yet
    committed): requests that read the previous number keep the previous graph, so a swap
    fails none. The last few deployments are kept for requests still reading them."""
    with _BUILD:
        kept = dict(_cache().get(endpoint.id, {}))
        kept[endpoint.deployment] = _Deployed(endpoint.deployment, graph, endpoint.input_schema)
        _cache()[endpoint.id] = {n: kept[n] for n in sorted(kept)[-KEPT_DEPLOYMENTS:]}
    request_log.start_flusher()  # a process serving an endpoint keeps its request log


# Built once, as the bearer-token lookup: building a statement costs more than running it.
_SERVING = select(RealtimeEndpoint.id, RealtimeEndpoint.deployment)
_SERVING_BY_NAME = _SERVING.where(RealtimeEndpoint.name == bindparam("ref"))
_SERVING_BY_ID = _SERVING.where(RealtimeEndpoint.id == bindparam("ref"))


def _serving(ref: str) -> tuple[str, int]:
    """The endpoint's id and current deployment number: all a request reads of its row (the
    document and schemas are read once, when this process compiles the deployment)."""
    row = db.session.execute(_SERVING_BY_NAME, {"ref": ref}).first() or \
        db.session.execute(_SERVING_BY_ID, {"ref": ref}).first()
    if row is None:
        raise NotFound(f"Real-time endpoint '{ref}' does not exist.")
    return row.id, row.deployment


def _deployed(endpoint_id: str, deployment: int) -> _Deployed:
    """This process's compiled graph of the endpoint's deployment ``deployment``."""
    current = _cache().get(endpoint_id, {}).get(deployment)
    if current is not None:
        return current
    endpoint = db.session.get(RealtimeEndpoint, endpoint_id)
    graph = compiled(PipelineDocument.model_validate(endpoint.document))
    install(endpoint, graph)
    return _cache()[endpoint_id][endpoint.deployment]


def score(ref: str, body: dict) -> dict:
    """Answer Azure's scoring body: {"Inputs": {input: [row, ...]}} -> {"Results": ...}."""
    started = time.perf_counter()
    endpoint_id, deployment = _serving(ref)
    stats = _stats().setdefault(endpoint_id, _Stats())
    ok = False
    try:
        deployed = _deployed(endpoint_id, deployment)
        frames = _frames(body.get("Inputs"), deployed.schema)
        try:
            results = deployed.graph.score(frames)
        except ModuleError as exc:
            raise Unprocessable(str(exc)) from None
        answer = {"Results": {name: _records(frame) for name, frame in results.items()}}
        ok = True
        return answer
    finally:
        stats.add(time.perf_counter() - started, ok)


def _frames(inputs: Any, schema: dict) -> dict[str, pd.DataFrame]:
    if not isinstance(inputs, dict):
        raise BadRequest("'Inputs' must be an object: {\"WebServiceInput0\": [row, ...]}.",
                         field="Inputs")
    unknown = [k for k in inputs if k not in schema]
    if unknown:
        raise BadRequest(f"Unknown input {unknown[0]!r} (inputs: {', '.join(schema)}).",
                         field="Inputs")
    most = current_app.config["DESIGNER_SCORE_MAX_ROWS"]
    frames = {}
    for name, columns in schema.items():
        rows = inputs.get(name)
        if not isinstance(rows, list) or not rows:
            raise BadRequest(f"Input {name!r} needs a non-empty list of rows.",
                             field=f"Inputs.{name}")
        if len(rows) > most:
            raise TooLarge(f"Input {name!r} has {len(rows)} rows; at most {most} per request "
                           "(DESIGNER_SCORE_MAX_ROWS).", field=f"Inputs.{name}")
        frames[name] = rows_frame(name, rows, columns)
    return frames


_EXPECTED = {"integer": "an integer", "number": "a number", "boolean": "true or false",
             "string": "a string"}
# The JSON types a column of each kind takes as they are; a float in an integer column must
# be whole and one in a number column finite, which only those values are checked for.
_TAKES = {"integer": {int, type(None)}, "number": {int, float, type(None)},
          "boolean": {bool, type(None)}, "string": {str, type(None)}}


def _fits(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and math.isfinite(value)
    return isinstance(value, str)


def _all_fit(kind: str, values: list) -> bool:
    """Whether every value fits ``kind``: by the set of types present, a column at a time."""
    kinds = set(map(type, values))
    if not kinds <= _TAKES[kind]:
        return all(_fits(kind, v) for v in values)
    if kind == "number" and float in kinds:  # JSON's NaN and Infinity parse as floats
        return all(map(math.isfinite, [v for v in values if v is not None]))
    return True


def _row_fault(name: str, i: int, row: Any, names: list[str]) -> BadRequest:
    """What is wrong with a row whose columns are not exactly the input's."""
    if not isinstance(row, dict):
        return BadRequest(f"Input {name!r} row {i}: a row is an object of column: value.")
    extra = next((k for k in row if k not in names), None)
    if extra is not None:
        return BadRequest(f"Input {name!r} row {i}: unknown column {extra!r} (columns: "
                          f"{', '.join(names)}).")
    absent = next(c for c in names if c not in row)
    return BadRequest(f"Input {name!r} row {i}: column {absent!r} is missing.")


def rows_frame(name: str, rows: list, columns: list[dict]) -> pd.DataFrame:
    """The request's rows as a data frame of the design-time column types, or BadRequest
    naming the row and column at fault. Checked a column at a time: per-value Python work
    only where a column holds a value of another type than its kind's."""
    names = [c["name"] for c in columns]
    known = dict.fromkeys(names).keys()
    for i, row in enumerate(rows):
        if type(row) is not dict or row.keys() != known:
            raise _row_fault(name, i, row, names)
    values = {c: [row[c] for row in rows] for c in names}
    for column in columns:
        kind, column_values = column["type"], values[column["name"]]
        if not _all_fit(kind, column_values):
            i, value = next((i, v) for i, v in enumerate(column_values) if not _fits(kind, v))
            raise BadRequest(f"Input {name!r} row {i}, column {column['name']!r}: expected "
                             f"{_EXPECTED[kind]}, got {value!r:.80}.")
    frame = pd.DataFrame(values)  # one construction; only columns inferred otherwise convert
    wanted = {c["name"]: _dtype(values[c["name"]], c) for c in columns}
    wrong = {name: dtype for name, dtype in wanted.items()
             if dtype is not None and str(frame[name].dtype) != dtype}
    return frame.astype(wrong) if wrong else frame


def _dtype(values: list, column: dict) -> str | None:
    """The dtype the column has when Import Data reads the same values from a file."""
    kind = column["type"]
    gaps = None in values
    if kind == "integer":
        return "float64" if gaps else "int64"
    if kind == "number":
        return "float64"
    if kind == "boolean":
        return "boolean" if gaps else "bool"
    return None if column["dtype"] == "category" else column["dtype"]


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts in the frame's column order: Python numbers, missing values
    as null (found a column at a time)."""
    names = [str(c) for c in frame.columns]
    columns = []
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        values = series.tolist()
        for gap in np.flatnonzero(series.isna().to_numpy()):
            values[gap] = None
        columns.append(values)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
