"""Plan and execute a pipeline: reuse by cache key, concurrency, cancellation, isolation.

The executor knows nothing of Flask or databases: progress leaves through
``on_event(node_id, status, **info)`` and the caller persists it.
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd

from .artifacts import ArtifactRef, ArtifactStore, digest
from .column_rules import label_columns, with_labels
from .context import CancelToken
from .datastores import Datastores
from .document import PipelineDocument, resolve_parameter_values, substitute
from .graph import NodeError, build_graph, validate
from .spec import ModuleSpec
from .steps import (  # noqa: F401 - the statuses are part of the executor's vocabulary
    CANCELED,
    FAILED,
    FINISHED,
    LOG,
    NOT_STARTED,
    QUEUED,
    REUSED,
    RUNNING,
    SKIPPED,
    Limits,
    StepTask,
    error_info,
    output_key,
    store_outputs,
    summarize,
)

log = logging.getLogger(__name__)

RUN_STATUSES = (NOT_STARTED, QUEUED, RUNNING, FINISHED, FAILED, CANCELED)
DONE = (FINISHED, REUSED)

EventCallback = Callable[..., None]


class PipelineInvalid(Exception):  # noqa: N818 - names the state of the pipeline
    """The document cannot run: ``errors`` lists every problem by node."""

    def __init__(self, errors: list[NodeError]):
        super().__init__("invalid pipeline: " + "; ".join(e.message for e in errors[:5]))
        self.errors = errors


@dataclass
class Step:
    """One node, ready to run: resolved literal params and where each input comes from."""

    node_id: str
    spec: ModuleSpec
    params: dict[str, Any]
    inputs: dict[str, tuple[str, str]]
    regenerate: bool = False


@dataclass
class Plan:
    """What a run executes: steps in topological order, their successors, parameter values."""

    steps: dict[str, Step]
    order: list[str]
    successors: dict[str, list[str]]
    parameters: dict[str, Any]


@dataclass
class StepResult:
    """The outcome of one step."""

    node_id: str
    status: str = NOT_STARTED
    outputs: dict[str, ArtifactRef] = field(default_factory=dict)
    cache_key: str | None = None
    reused_from: str | None = None
    error: dict | None = None
    metrics: dict | None = None
    started: float | None = None
    finished: float | None = None


@dataclass
class RunResult:
    """The outcome of a run: its status and every step's result."""

    status: str
    steps: dict[str, StepResult]
    reason: str = ""  # why the run as a whole stopped, when no single step says it


def failure_reason(plan: Plan, result: RunResult) -> str:
    """'Import Data failed: <message>': the first failed step named by its module, or ''.

    A run's reason is read by people and scripts that do not know the node ids.
    """
    failed = next((result.steps[n] for n in plan.order
                   if n in result.steps and result.steps[n].status == FAILED), None)
    if failed is None:
        return ""
    message = (failed.error or {}).get("message", "")
    label = plan.steps[failed.node_id].spec.label
    return f"{label} failed: {message}" if message else f"{label} failed"


def make_plan(
    doc: PipelineDocument,
    registry: Mapping[str, ModuleSpec],
    parameter_values: Mapping[str, Any] | None = None,
    regenerate_outputs: bool = False,
) -> Plan:
    """Resolve parameters and validate; raise ParamError or PipelineInvalid before any work."""
    values = resolve_parameter_values(doc, dict(parameter_values or {}))
    errors = [e for e in validate(doc, registry, values) if e.severity == "error"]
    if errors:
        raise PipelineInvalid(errors)
    graph = build_graph(doc)
    steps = {}
    labels = label_columns(doc.nodes)
    for node in doc.nodes:
        spec = registry[node.module]
        inputs = {e.target.port: (e.source.node, e.source.port) for e in doc.edges
                  if e.target.node == node.id}
        steps[node.id] = Step(
            node_id=node.id,
            spec=spec,
            params=with_labels(spec.resolve_params(substitute(node.params, values)), labels),
            inputs=inputs,
            regenerate=regenerate_outputs or node.regenerate_output,
        )
    order = list(nx.lexicographical_topological_sort(graph))
    return Plan(steps, order, {n: sorted(graph.successors(n)) for n in graph}, values)


def cache_key(step: Step, input_keys: dict[str, str], datastores: Datastores) -> str:
    """The hash that identifies a step's computation; unique per run when not reusable."""
    fingerprint = ""
    if step.spec.fingerprint is not None:
        fingerprint = step.spec.fingerprint(step.params, datastores)
    if not step.spec.deterministic or fingerprint is None:
        fingerprint = uuid.uuid4().hex
    return digest({
        "module": step.spec.name,
        "version": step.spec.version,
        "params": step.params,
        "inputs": input_keys,
        "fingerprint": fingerprint,
    })


class _Runner:
    """The state of one execution; the loop runs in the caller's thread.

    A step's outputs go to its consumers as soon as its module returns, and are written to the
    artifact store meanwhile (write-behind): the writes overlap the next steps instead of
    delaying them. On threads the outputs are handed over in memory and one writer thread
    writes them; a backend that writes them where they were computed (worker processes)
    returns their refs and a ``written`` future instead of the values. A step is Finished once
    its outputs and manifest are stored; a failed write fails the step, and consumers not yet
    started are skipped.
    """

    def __init__(self, plan, store, backend, on_event, token, datastores, run_id, limits):
        self.plan, self.store, self.backend = plan, store, backend
        self.limits = limits or Limits()
        self.deadline = None
        if self.limits.run_seconds is not None:
            self.deadline = time.monotonic() + self.limits.run_seconds
        self.out_of_time = False
        self.on_event = on_event or (lambda *a, **k: None)
        self.token = token or CancelToken()
        self.datastores = datastores if datastores is not None else Datastores({})
        self.run_id = run_id
        self.results = {n: StepResult(n) for n in plan.order}
        self.values: dict[tuple[str, str], Any] = {}
        self.pending_consumers = {n: len(plan.successors[n]) for n in plan.order}
        self.computed: set[str] = set()  # outputs in memory, perhaps still being written
        # A backend that ``chains`` takes a step waiting on one submitted step alone as that
        # step's follower (see _follows).
        self.chains = getattr(backend, "chains", False)
        self.submitted: dict[str, Future] = {}  # steps whose module has not returned
        self.unchained: set[str] = set()  # steps that could not follow (reused, or too late)
        self.follows: dict[str, str] = {}  # follower: the step it follows
        self.done: queue.Queue = queue.Queue()
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artifact-writer")

    def emit(self, node_id: str, status: str, **info) -> None:
        try:
            self.on_event(node_id, status, **info)
        except Exception:
            log.exception("on_event failed for %s %s", node_id, status)

    def run(self) -> RunResult:
        try:
            return self._loop()
        finally:
            self.writer.shutdown(wait=True)

    def _usable(self, node_id: str) -> bool:
        """True when a consumer of ``node_id`` may start."""
        status = self.results[node_id].status
        return status in DONE or (node_id in self.computed and status == QUEUED)

    def _loop(self) -> RunResult:
        remaining = list(self.plan.order)
        waiting_on = {n: set(self.plan.steps[n].inputs[p][0] for p in self.plan.steps[n].inputs)
                      for n in remaining}
        in_flight = 0
        while remaining or in_flight:
            if self.token.cancelled:
                for node_id in remaining:
                    self._finish(node_id, CANCELED)
                remaining = []
            # Followers whose step has not returned count as not started (the backend skips
            # them once it stops that step).
            waiting = remaining or any(a not in self.computed for a in self.follows.values())
            if (waiting and not self.out_of_time and self.deadline is not None
                    and time.monotonic() > self.deadline):
                # Running steps are stopped by the backend, which fails them naming the limit.
                self.out_of_time = True
                for node_id in remaining:
                    self._finish(node_id, SKIPPED)
                remaining = []
            ready = [n for n in remaining if all(self._usable(d) for d in waiting_on[n])]
            for node_id in ready:
                remaining.remove(node_id)
                in_flight += self._start(node_id)
            blocked = [n for n in remaining if any(
                self.results[d].status in (FAILED, SKIPPED, CANCELED) for d in waiting_on[n])]
            for node_id in blocked:
                remaining.remove(node_id)
                self._finish(node_id, SKIPPED if not self.token.cancelled else CANCELED)
            if ready or blocked:
                continue
            for node_id in list(remaining):
                after = self._follows(node_id, waiting_on[node_id])
                if after is not None and self._start(node_id, after=after):
                    remaining.remove(node_id)
                    in_flight += 1
                elif after is not None:
                    self.unchained.add(node_id)
            if not in_flight:
                break
            try:
                node_id, stage, future = self.done.get(timeout=0.2)
            except queue.Empty:
                continue
            in_flight -= 1
            if stage == "computed":
                in_flight += self._computed(node_id, future)
            else:
                self._stored(node_id, future)
        reason = self.limits.run_message() if self.out_of_time else ""
        return RunResult(self._run_status(), self.results, reason)

    def _run_status(self) -> str:
        statuses = {r.status for r in self.results.values()}
        if FAILED in statuses or self.out_of_time:
            return FAILED
        if CANCELED in statuses or self.token.cancelled:
            return CANCELED
        return FINISHED

    def _follows(self, node_id: str, deps: set[str]) -> str | None:
        """The step a waiting step can follow on the backend: the one step it waits for that
        is on the backend and has not returned, when its other inputs are all stored (a
        follower's inputs are either held by the worker or read from the store)."""
        if (not self.chains or node_id in self.unchained or self.token.cancelled
                or self.out_of_time):
            return None
        pending = [d for d in deps if self.results[d].status not in DONE]
        if len(pending) == 1 and pending[0] in self.submitted:
            return pending[0]
        return None

    def _start(self, node_id: str, after: str | None = None) -> int:
        """Reuse or submit a step; 1 if it went to the backend. ``after``: a step on the
        backend whose outputs it reads (their keys are known before they exist); the step
        goes to the backend as its follower only if it is not to be reused (0 otherwise,
        nothing done: it starts the usual way once ``after`` is done)."""
        step = self.plan.steps[node_id]
        result = self.results[node_id]
        input_keys = {port: (output_key(self.results[src].cache_key, src_port) if src == after
                             else self.results[src].outputs[src_port].key)
                      for port, (src, src_port) in step.inputs.items()}
        try:
            key = cache_key(step, input_keys, self.datastores)
        except Exception as exc:  # a fingerprint that cannot be taken (e.g. missing file)
            if after is not None:
                return 0
            result.error = error_info(exc, {})
            self._finish(node_id, FAILED, error=result.error)
            return 0
        manifest = None if step.regenerate else self.store.get_manifest(key)
        if after is not None and manifest is not None:
            return 0
        if manifest is not None:
            result.cache_key = key
            result.outputs = {p: ArtifactRef(**r) for p, r in manifest["outputs"].items()}
            result.reused_from = manifest.get("run_id")
            result.metrics = manifest.get("metrics")
            self._release_inputs(step)
            self._finish(node_id, REUSED, reused_from=result.reused_from,
                         source_node=manifest.get("node_id"), metrics=result.metrics,
                         outputs={p: r.as_dict() for p, r in result.outputs.items()})
            return 0
        # A follower's inputs from ``after`` are in its worker's memory when it starts: they
        # travel by key (the refs' kind is not known before the step returns).
        inputs = {port: ArtifactRef(input_keys[port], "") if src == after
                  else self._input_value(src, src_port)
                  for port, (src, src_port) in step.inputs.items()}
        task = StepTask(node_id, step.spec, step.params, key, inputs, self.store,
                        self.datastores, self.run_id, self.limits, self.deadline, input_keys)
        emit = lambda status, n=node_id, **info: self.emit(n, status, **info)  # noqa: E731
        if after is None:
            result.cache_key, result.status = key, QUEUED
            self.emit(node_id, QUEUED)
            future = self.backend.submit_step(task, emit, self.token)
        else:  # the backend reports it Queued once the step it follows is done
            future = self.backend.submit_step(task, emit, self.token,
                                              after=self.submitted[after])
            if future is None:  # that step is done already: this one starts the usual way
                return 0
            result.cache_key, result.status = key, QUEUED
            self.follows[node_id] = after
        self.submitted[node_id] = future
        future.add_done_callback(lambda f, n=node_id: self.done.put((n, "computed", f)))
        self._release_inputs(step)
        return 1

    def _input_value(self, src: str, port: str):
        """The in-memory value, or a reference the worker loads from the store."""
        if (src, port) in self.values:
            value = self.values[(src, port)]
            # Copy-on-write makes a shallow copy cheap and keeps consumers from sharing edits.
            return value.copy(deep=False) if isinstance(value, pd.DataFrame) else value
        return self.results[src].outputs[port]

    def _release_inputs(self, step: Step) -> None:
        """Drop in-memory outputs once every consumer has taken them."""
        for src in {src for src, _ in step.inputs.values()}:
            self.pending_consumers[src] -= 1
            if self.pending_consumers[src] == 0:
                for key in [k for k in self.values if k[0] == src]:
                    del self.values[key]

    def _computed(self, node_id: str, future) -> int:
        """A module returned: hand its outputs on and queue their write; 1 if queued."""
        result = self.results[node_id]
        self.submitted.pop(node_id, None)
        self.follows.pop(node_id, None)
        try:
            outcome = future.result()
        except BaseException as exc:  # the backend itself failed (worker died)
            outcome = {"status": FAILED, "error": error_info(exc, {})}
        result.started = outcome.get("started")
        if outcome["status"] != FINISHED:
            result.error = outcome.get("error")
            status = outcome["status"]
            if status == SKIPPED and self.token.cancelled:  # a follower of a canceled step
                status = CANCELED
            self._finish(node_id, status, error=result.error)
            return 0
        result.outputs = outcome["refs"]
        result.metrics = outcome["metrics"]
        values = outcome.get("values", {})
        if self.pending_consumers[node_id]:
            for port, value in values.items():
                self.values[(node_id, port)] = value
        self.computed.add(node_id)
        written = outcome.get("written")
        if written is None:  # the values are here: write them on the writer thread
            self._queue_store(node_id, values, None)
        else:  # the backend writes them where they were computed; then the manifest
            written.add_done_callback(lambda w, n=node_id: self._queue_store(n, {}, w))
        return 1

    def _queue_store(self, node_id: str, values: dict[str, Any], written) -> None:
        write = self.writer.submit(self._store, node_id, values, written)
        write.add_done_callback(lambda f, n=node_id: self.done.put((n, "stored", f)))

    def _store(self, node_id: str, values: dict[str, Any], written) -> dict | None:
        """On the writer thread: write a step's outputs (unless ``written``, the backend's
        future of their write, says how that went), then its manifest; an error or None."""
        result = self.results[node_id]
        error = written.result() if written is not None else \
            store_outputs(self.store, result.outputs, values)
        if error is not None:
            return error
        self.store.put_manifest(result.cache_key, {
            "outputs": {p: r.as_dict() for p, r in result.outputs.items()},
            "run_id": self.run_id, "node_id": node_id, "metrics": result.metrics,
        })
        return None

    def _stored(self, node_id: str, future) -> None:
        result = self.results[node_id]
        try:
            error = future.result()
        except Exception as exc:  # the manifest could not be written
            error = error_info(exc, {})
        if error is None:
            self._finish(node_id, FINISHED, metrics=result.metrics,
                         outputs={p: r.as_dict() for p, r in result.outputs.items()})
        else:
            result.error = error
            self._finish(node_id, FAILED, error=error)

    def _finish(self, node_id: str, status: str, **info) -> None:
        result = self.results[node_id]
        result.status = status
        result.finished = time.time()
        if result.started is None:
            result.started = result.finished
        self.emit(node_id, status, started=result.started, finished=result.finished,
                  cache_key=result.cache_key, **info)


def execute(
    plan: Plan,
    store: ArtifactStore,
    backend,
    *,
    on_event: EventCallback | None = None,
    token: CancelToken | None = None,
    datastores: Datastores | None = None,
    run_id: str = "",
    limits: Limits | None = None,
) -> RunResult:
    """Run ``plan`` on ``backend`` (anything with ``submit_step(task, emit, token) -> Future``)."""
    return _Runner(plan, store, backend, on_event, token, datastores, run_id, limits).run()
