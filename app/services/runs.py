"""Runs: submit (validated before a row exists), read, cancel, events, step outputs."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from .. import database
from ..engine.artifacts import ArtifactRef
from ..engine.datastores import DatastoreError
from ..engine.executor import (
    CANCELED,
    NOT_STARTED,
    QUEUED,
    RUNNING,
    PipelineInvalid,
    make_plan,
)
from ..engine.graph import describe_node, upstream_document
from ..engine.spec import ParamError
from ..errors import BadRequest, InvalidPipeline, NotFound, Unprocessable
from ..extensions import db
from ..models import Experiment, Run, RunEvent, StepRun, iso, new_id, now
from . import datastores, pipelines
from .notices import CANCEL, NEW_RUN, add_event, notices
from .runtime import runtime

log = logging.getLogger(__name__)
DEFAULT_EXPERIMENT = "default"


def plan_for(doc, parameters: Any, regenerate: bool = False):
    """Validate a document with parameter values into a plan, or raise a 4xx AppError (422
    for values that do not fit their parameters, missing input files, an invalid pipeline)."""
    if parameters is not None and not isinstance(parameters, dict):
        raise BadRequest("'parameters' must be an object of name -> value.", field="parameters")
    plan = validated_plan(doc, parameters, regenerate)
    _check_input_files(plan)
    return plan


def validated_plan(doc, parameters: dict | None = None, regenerate: bool = False):
    """The document's plan, or a 422 naming the parameter or the invalid nodes."""
    try:
        return make_plan(doc, runtime().modules, parameters, regenerate_outputs=regenerate)
    except ParamError as exc:
        raise Unprocessable(str(exc), parameter=exc.param) from None
    except PipelineInvalid as exc:
        raise InvalidPipeline(**pipelines.group_errors(exc.errors)) from None


def _check_input_files(plan) -> None:
    """Every data path a module reads must exist before the run is created."""
    stores = None  # read only when a step reads a file: most submits need no query for it
    for step in plan.steps.values():
        for param in step.spec.params:
            value = step.params.get(param.name)
            if param.kind != "data_path" or not value or not getattr(param, "must_exist", False):
                continue
            stores = stores or datastores.mapping()
            where = f"{step.spec.label} ({step.node_id}) '{param.name}'"
            try:
                path = stores.resolve_file(value["datastore"], value["path"])
            except DatastoreError as exc:
                log.warning("refused data path %r of %s: %s", value, where, exc)
                raise Unprocessable(f"{where}: {exc}", node=step.node_id,
                                    field=param.name) from None
            if not path.is_file():
                raise Unprocessable(
                    f"{where}: file '{value['path']}' does not exist in datastore "
                    f"'{value['datastore']}'.", node=step.node_id, field=param.name)


def experiment_name(name: Any) -> str:
    """``name`` as an experiment's name (the default one when empty), or a 4xx naming it."""
    name = DEFAULT_EXPERIMENT if name in (None, "") else name
    if not isinstance(name, str) or len(name) > 200:
        raise BadRequest("'experiment' must be a name of 1-200 characters.", field="experiment")
    if not name.strip():
        raise Unprocessable("'experiment' must be a name of 1-200 characters, not only spaces.",
                            field="experiment")
    return name.strip()


def experiment_id(name: str) -> int:
    """The id of the experiment called ``name`` (a valid name), created on first use."""
    known = runtime().experiment_ids.get(name)
    if known is not None:
        return known
    query = select(Experiment.id).where(Experiment.name == name)
    found = db.session.scalar(query)
    if found is None:
        try:
            with db.session.begin_nested():  # another request may create it at the same time
                found = db.session.execute(Experiment.__table__.insert().values(
                    name=name, created=now())).inserted_primary_key[0]
        except IntegrityError:
            found = db.session.scalar(query)
    return found


def _remember_experiment(name: str, found: int) -> None:
    """Keep a committed experiment's id for the next submits (at most a few thousand)."""
    known = runtime().experiment_ids
    if len(known) >= 5000:
        known.clear()
    known[name] = found


def experiment_summaries() -> list[dict]:
    """Experiments, most recently used first, with run counts and the latest run (one query)."""
    latest = aliased(Run)
    last_status = (select(latest.status).where(latest.experiment_id == Experiment.id)
                   .order_by(latest.created.desc()).limit(1).correlate(Experiment)
                   .scalar_subquery())
    rows = db.session.execute(
        select(Experiment.name, func.count(Run.id), func.max(Run.created), last_status)
        .join(Run, Run.experiment_id == Experiment.id, isouter=True)
        .group_by(Experiment.id, Experiment.name)
        .order_by(func.max(Run.created).desc())).all()
    return [{"name": name, "runs": count, "last_run": iso(when), "last_status": status}
            for name, count, when, status in rows]


def submit(
    document: Any,
    *,
    parameters: Any = None,
    experiment: Any = None,
    description: Any = "",
    pipeline_id: str | None = None,
    regenerate_outputs: bool = False,
    source: str = "api",
    worker: str | None = None,
    submitted_by: str = "",
    endpoint: tuple[str, int] | None = None,
    to_node: str | None = None,
    stored: dict | None = None,
) -> Run:
    """Create a run (Queued, or Running when ``worker`` claims it at once); with ``to_node``,
    a run of that node and what it depends on only. ``stored`` is ``document`` as JSON data
    when the caller has it already (a published version's), so it is not dumped again."""
    if not isinstance(description, str) or len(description) > 5000:
        raise BadRequest("'description' must be text of at most 5000 characters.",
                         field="description")
    if not isinstance(regenerate_outputs, bool):
        raise BadRequest("'regenerate_outputs' must be true or false.", field="regenerate_outputs")
    doc = pipelines.parse(document)
    if to_node is not None:
        doc = _up_to(doc, to_node)
        description = description or f"Run to here: {_node_label(doc, to_node)}"
    plan = plan_for(doc, parameters, regenerate_outputs)
    experiment = experiment_name(experiment)
    stamp = now()
    run = Run(
        id=new_id(),
        pipeline_id=pipeline_id,
        document=stored if stored is not None and to_node is None else doc.dump(),
        parameters=plan.parameters,
        description=description,
        status_reason="",
        regenerate_outputs=regenerate_outputs,
        cancel_requested=False,
        source=source,
        submitted_by=submitted_by,
        endpoint_id=endpoint[0] if endpoint else None,
        endpoint_version=endpoint[1] if endpoint else None,
        status=RUNNING if worker else QUEUED,
        worker=worker or "",
        created=stamp,
        started=stamp if worker else None,
        heartbeat=stamp if worker else None,
    )
    order = {node_id: i for i, node_id in enumerate(plan.order)}
    steps = [{"run_id": run.id, "node_id": n.id, "module": n.module, "position": order[n.id]}
             for n in doc.nodes]
    with database.writing(db.engine):
        run.experiment_id = experiment_id(experiment)  # may write: inside the writer's lock
        _insert(run, steps)
        db.session.commit()
    _remember_experiment(experiment, run.experiment_id)
    # The answer is made from what was written, not read back: the run is a detached copy.
    run.experiment = Experiment(id=run.experiment_id, name=experiment)
    run.steps = [StepRun(**s, status=NOT_STARTED) for s in steps]
    return run


def _insert(run: Run, steps: list[dict]) -> None:
    """Write a new run, its steps (one executemany) and its first event, and announce it.

    Core inserts: the ORM's unit of work cost more than the rest of a submit together."""
    connection, table = db.session.connection(), Run.__table__
    connection.execute(table.insert(), {c.key: getattr(run, c.key) for c in table.columns})
    if steps:
        connection.execute(StepRun.__table__.insert(), steps)
    add_event(run.id, run.status)
    if run.status == QUEUED:
        notices().announce(NEW_RUN, run.id)


def _up_to(doc, node_id: str):
    """The document cut down to ``node_id`` and its ancestors, or a 422 naming the node."""
    if doc.node(node_id) is None:
        raise Unprocessable(f"'to_node': the pipeline has no node '{node_id}'.", field="to_node")
    return upstream_document(doc, node_id)


def _node_label(doc, node_id: str) -> str:
    return describe_node(doc, node_id, runtime().modules)


def get(run_id: str) -> Run:
    """The run or NotFound."""
    run = db.session.get(Run, run_id)
    if run is None:
        raise NotFound(f"Run '{run_id}' does not exist.")
    return run


def step(run_id: str, node_id: str) -> StepRun:
    """One step of a run or NotFound."""
    found = db.session.scalar(select(StepRun).filter_by(run_id=get(run_id).id, node_id=node_id))
    if found is None:
        raise NotFound(f"Run '{run_id}' has no step '{node_id}'.")
    return found


def output_ref(run_id: str, node_id: str, port: str) -> ArtifactRef:
    """Where a step's output is stored, or NotFound naming what is missing."""
    found = step(run_id, node_id)
    if port not in (found.outputs or {}):
        available = ", ".join(found.outputs or {}) or "none yet"
        raise NotFound(f"Step '{node_id}' has no output '{port}' (outputs: {available}).")
    return ArtifactRef(**found.outputs[port])


def list_runs(pipeline_id=None, experiment=None, status=None, limit=100,
              endpoint_id=None) -> list[Run]:
    """Runs, newest first, filtered by pipeline id, experiment name, status and endpoint."""
    query = select(Run).order_by(Run.created.desc())
    if endpoint_id:
        query = query.where(Run.endpoint_id == endpoint_id)
    if pipeline_id:
        query = query.where(Run.pipeline_id == pipeline_id)
    if experiment:
        query = query.join(Experiment).where(Experiment.name == experiment)
    if status:
        query = query.where(Run.status == status)
    return list(db.session.scalars(query.limit(limit)))


def cancel(run_id: str) -> Run:
    """Cancel a queued run at once; ask a running one to stop (its process hears it now)."""
    run = get(run_id)
    if run.status == QUEUED:
        claimed = db.session.execute(
            Run.__table__.update().where(Run.id == run_id, Run.status == QUEUED)
            .values(status=CANCELED, finished=now(), status_reason="canceled before start")
        ).rowcount
        if claimed:
            for s in run.steps:
                s.status = CANCELED
            add_event(run_id, CANCELED)
        db.session.commit()
        if claimed:
            runtime().run_ended(run_id)
    elif run.status == RUNNING:
        run.cancel_requested = True
        notices().announce(CANCEL, run_id)
        db.session.commit()
    db.session.refresh(run)
    return run


def events_since(run_id: str, after: int) -> list[Row]:
    """Events of a run with an id greater than ``after`` (id, node_id, status, data): rows,
    not objects, as a live page asks after every step event."""
    return list(db.session.execute(
        select(RunEvent.id, RunEvent.node_id, RunEvent.status, RunEvent.data)
        .where(RunEvent.run_id == run_id, RunEvent.id > after)
        .order_by(RunEvent.id).limit(500)))


def status_of(run_id: str) -> str | None:
    """The run's status alone (None when there is no such run), without loading it."""
    return db.session.scalar(select(Run.status).where(Run.id == run_id))


def _seconds(start: datetime | float | None, end: datetime | float | None) -> float | None:
    if start is None or end is None:
        return None
    if isinstance(start, datetime):
        return (end - start).total_seconds()
    return round(end - start, 3)


def step_dict(s: StepRun) -> dict:
    """JSON form of a step."""
    spec = runtime().modules.get(s.module)
    return {
        "node_id": s.node_id,
        "module": s.module,
        "label": spec.label if spec else s.module,
        "status": s.status,
        "started": s.started,
        "finished": s.finished,
        "duration": _seconds(s.started, s.finished),
        "reused_from": s.reused_from,
        "outputs": {p: {"kind": r["kind"]} for p, r in (s.outputs or {}).items()},
        "metrics": s.metrics,
        "error": s.error,
    }


def as_dict(run: Run, *, full: bool = True) -> dict:
    """JSON form of a run; ``full`` adds steps and the document."""
    out = {
        "id": run.id,
        "pipeline_id": run.pipeline_id,
        "name": run.document.get("name"),
        "experiment": run.experiment.name,
        "description": run.description,
        "status": run.status,
        "status_reason": run.status_reason,
        "parameters": run.parameters,
        "source": run.source,
        "submitted_by": run.submitted_by,
        "endpoint_id": run.endpoint_id,
        "endpoint_version": run.endpoint_version,
        "created": iso(run.created),
        "started": iso(run.started),
        "finished": iso(run.finished),
        "duration": _seconds(run.started, run.finished),
        "metrics": {s.node_id: s.metrics for s in run.steps if s.metrics},
    }
    if full:
        out["limits"] = runtime().limits.as_dict()
        out["steps"] = [step_dict(s) for s in run.steps]
        out["last_event_id"] = db.session.scalar(
            select(func.max(RunEvent.id)).where(RunEvent.run_id == run.id)) or 0
        out["document"] = run.document
    return out
