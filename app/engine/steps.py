"""One step's work, wherever a backend runs it: the task, its limits and the module call.

A ``StepTask`` holds everything a step needs (the module, resolved params, inputs in memory or
as artifact references), so a backend can run it on a thread of this process or hand it to a
worker process. ``run_step`` reports through ``emit(status, **info)`` (Running, log lines) and
returns the outcome as a plain dict.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .artifacts import ArtifactRef, ArtifactStore, digest, kind_of
from .context import Cancelled, CancelToken, Limits, StepContext
from .datastores import Datastores
from .spec import METRICS, ModuleSpec

NOT_STARTED, QUEUED, RUNNING = "NotStarted", "Queued", "Running"
FINISHED, FAILED, CANCELED = "Finished", "Failed", "Canceled"
REUSED, SKIPPED = "Reused", "Skipped"
LOG = "Log"  # on_event status of a log line, not a step state


@dataclass
class StepTask:
    """A step ready to run: its module, params, inputs (values or references) and limits."""

    node_id: str
    spec: ModuleSpec
    params: dict[str, Any]
    key: str
    inputs: dict[str, Any]
    store: ArtifactStore
    datastores: Datastores
    run_id: str = ""
    limits: Limits = field(default_factory=Limits)
    deadline: float | None = None  # time.monotonic() at which the run's time is up
    sources: dict[str, str] = field(default_factory=dict)  # port: key of the output it reads


def output_key(step_key: str, port: str) -> str:
    """The artifact key of output ``port`` of the step whose cache key is ``step_key``: known
    before the step runs, so a consumer can be handed to the step's worker beforehand."""
    return digest([step_key, port])


def portable(task: StepTask) -> StepTask:
    """The task as another process receives it: the module function travels by reference,
    and the spec's helpers that only the executor calls (fingerprint, columns) stay here."""
    spec = dataclasses.replace(task.spec, fingerprint=None, columns=None)
    return dataclasses.replace(task, spec=spec)


def summarize(value: Any) -> dict:
    """A short description of an input, recorded with a failure."""
    if isinstance(value, pd.DataFrame):
        return {
            "type": "dataframe",
            "rows": int(len(value)),
            "columns": int(value.shape[1]),
            "dtypes": {str(c): str(t) for c, t in list(value.dtypes.items())[:50]},
        }
    return {"type": type(value).__name__}


def error_info(exc: BaseException, inputs: dict[str, Any]) -> dict:
    """What a failed step records: exception type, message, traceback, input summary."""
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
        "inputs": {port: summarize(v) for port, v in inputs.items()},
    }


def stopped(status: str, message: str, task: StepTask, started: float | None) -> dict:
    """The outcome of a step the backend stopped (a limit, a cancel, a dead worker)."""
    outcome: dict = {"status": status, "started": started}
    if status == FAILED:
        outcome["error"] = {"type": "StepStopped", "message": message, "traceback": "",
                            "inputs": {p: _summary(v, task.store) for p, v in task.inputs.items()}}
    return outcome


def _summary(value: Any, store: ArtifactStore) -> dict:
    """``summarize`` of an input given as a value or as a reference to a stored one."""
    if not isinstance(value, ArtifactRef):
        return summarize(value)
    try:
        return store.describe(value)
    except (OSError, ValueError):  # not written yet (its worker is still writing it)
        return {"type": value.kind}


def store_outputs(store: ArtifactStore, refs: dict[str, ArtifactRef],
                  values: dict[str, Any]) -> dict | None:
    """Write a step's outputs under their refs; None, or the error the step fails with."""
    for port, ref in refs.items():
        try:
            store.put(ref.key, values[port])
        except Exception as exc:
            error = error_info(exc, {})
            error["message"] = f"output '{port}' could not be stored: {exc}"
            return error
    return None


def run_step(task: StepTask, emit, token: CancelToken) -> dict:
    """Load the inputs and call the module; the outcome with its output values and refs."""
    ctx = StepContext(task.node_id, task.datastores, token,
                      on_log=lambda _node, line: emit(LOG, line=line), run_id=task.run_id,
                      limits=task.limits, store=task.store, deadline=task.deadline)
    started = time.time()
    emit(RUNNING, started=started)
    loaded = {}
    try:
        ctx.check_cancelled()
        loaded = {p: task.store.get(v) if isinstance(v, ArtifactRef) else v
                  for p, v in task.inputs.items()}
        values = task.spec.call(loaded, task.params, ctx)
        ctx.check_cancelled()
    except Cancelled:
        return {"status": CANCELED, "started": started}
    except Exception as exc:
        ctx.log(f"{type(exc).__name__}: {exc}")
        return {"status": FAILED, "started": started, "error": error_info(exc, loaded)}
    metrics = next((values[p.name].get("metrics") for p in task.spec.outputs
                    if p.type == METRICS and isinstance(values.get(p.name), dict)), None)
    refs = {p: ArtifactRef(output_key(task.key, p), kind_of(v)) for p, v in values.items()}
    return {"status": FINISHED, "started": started, "values": values, "refs": refs,
            "metrics": metrics}
