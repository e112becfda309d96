"""The Dask backend: every step is a task on a dask.distributed cluster.

One task per step computes the module, writes its outputs to the artifact store (a folder or
fsspec URL every worker reaches) and returns the output values, which stay on the worker as the
task's result. The executor hands a consumer its producers' futures (``DaskOutput``), so data
moves worker to worker and never through this process. What this process learns of a step
(Running, log lines, then refs, metrics or the error) comes as cluster events on a topic of
this backend's own, never as the task's result.

Every wait here has a failure path: events and future completions land on one queue read by
the ``dask-steps`` thread, which also checks every ``poll`` seconds for Cancel, the time limits,
and a finished task whose report never came. A queued step is cancelled (``future.cancel``); a
running one gets its cancel flag set on its worker (a module's ``ctx.check_cancelled`` sees
it), and a worker whose step has not stopped ``grace`` seconds later is ended (its nanny starts
a new one), so nothing of a canceled run goes on computing.

Native threads: Dask starts its workers with one OpenMP thread each. A step gets its host's
cores divided among this backend's steps running there when it starts (a boosted-tree fit
alone on a two-core host uses both cores, as with the local executors), and keeps that share.

A worker that dies during a step fails that step, naming the worker: it is not retried
elsewhere, since a step that killed one worker (a crash in native code, memory) would kill the
next. A local cluster is started with ``allowed-failures: 0``; on any cluster the step is failed
and its future cancelled as soon as the scheduler reports the worker gone. A step that was only
waiting on that worker (never started) is submitted again. Dask recomputes a finished step's
outputs lost with a worker when a consumer still needs them.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import pickle
import queue
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from distributed import Client, LocalCluster, get_worker
from distributed.client import FutureCancelledError
from distributed.comm import get_address_host
from distributed.utils import sync
from threadpoolctl import ThreadpoolController

from ..artifacts import ArtifactRef
from ..context import CancelToken
from ..steps import (
    CANCELED,
    FAILED,
    FINISHED,
    RUNNING,
    StepTask,
    portable,
    run_step,
    stopped,
    store_outputs,
)

log = logging.getLogger(__name__)
LOCAL = "local"
PRELOAD = "app.engine.backends.warm"  # importing it imports the modules
RESUBMITS = 3  # times a step that never started is sent again after its worker died
REPORT_SECONDS = 10.0  # how long a finished task's outcome event may lag its completion
REPLACE_SECONDS = 60.0  # how long a local worker may stay away before a new one replaces it


@dataclass(frozen=True)
class DaskOutput:
    """An output that stays on the cluster: the producer task's future, the port, its ref,
    and the worker that holds it."""

    future: Any
    port: str
    ref: ArtifactRef
    worker: str | None = None


# -- on the workers -------------------------------------------------------------------------------
_flags: dict[str, tuple[float, threading.Event]] = {}
_flags_lock = threading.Lock()


def _flag(job: str) -> threading.Event:
    """The cancel flag of step ``job`` in this worker (made by whichever comes first: the step
    or its cancel); flags older than an hour are dropped."""
    with _flags_lock:
        now = time.monotonic()
        for stale in [j for j, (made, _) in _flags.items() if now - made > 3600]:
            del _flags[stale]
        return _flags.setdefault(job, (now, threading.Event()))[1]


def cancel_steps(jobs: list[str]) -> None:
    """Run on a worker by ``Client.run``: set the cancel flags of ``jobs``."""
    for job in jobs:
        _flag(job).set()


def end_worker() -> None:
    """Run on a worker by ``Client.run``: end its process a moment later (once it has
    answered), stopping a step stuck in a long call; its nanny starts a new worker."""
    threading.Timer(0.2, os._exit, args=(70,)).start()


_controller: list[ThreadpoolController] = []


def _native() -> ThreadpoolController:
    """The native thread pools of this worker: looked up once the OpenMP runtime is loaded
    (it takes milliseconds; a step before the modules were imported looks again)."""
    if not _controller or not _controller[0].select(user_api="openmp").lib_controllers:
        _controller[:] = [ThreadpoolController()]
    return _controller[0]


def run_on_worker(task: StepTask, topic: str, job: str, produced: dict, ports: dict,
                  sharing: int = 1):
    """The step task: run the module, write its outputs, report; the output values or None.

    ``produced`` maps an input port to its producer's result (Dask resolved the futures),
    ``ports`` to the producer's port; ``sharing`` steps of the backend (this one included)
    share this host's cores.
    """
    worker = get_worker()
    threads = max(1, len(os.sched_getaffinity(0)) // max(1, sharing))

    def send(kind: str, payload, sure: bool = False) -> None:
        message = {"job": job, "worker": worker.address, "kind": kind,
                   "data": pickle.dumps(payload)}
        if sure:  # returns once the scheduler has it, so it outlives this worker
            sync(worker.loop, worker.scheduler.log_event, topic=topic, msg=message)
        else:
            worker.log_event(topic, message)

    def emit(status: str, **info) -> None:
        # Running is sent before the module is called, and surely: a step that kills its
        # worker must be known to have started, or it would be sent to another worker.
        send("event", (status, info), sure=status == RUNNING)

    lost = sorted(p for p, values in produced.items() if not isinstance(values, dict))
    if lost:
        send("outcome", stopped(FAILED, f"The input {', '.join(repr(p) for p in lost)} was lost "
                                "with a Dask worker and could not be computed again.",
                                dataclasses.replace(task, inputs={}), time.time()))
        return None
    inputs = {**task.inputs, **{p: values[ports[p]] for p, values in produced.items()}}
    task = dataclasses.replace(task, inputs=inputs)
    try:
        with _native().limit(limits=threads, user_api="openmp"):
            outcome = run_step(task, emit, CancelToken(_flag(job)))
        values = outcome.pop("values", None)
        if outcome["status"] == FINISHED:
            outcome["stored"] = store_outputs(task.store, outcome["refs"], values)
        send("outcome", outcome)
        return values if outcome["status"] == FINISHED and outcome["stored"] is None else None
    finally:
        with _flags_lock:
            _flags.pop(job, None)


# -- in the executor's process --------------------------------------------------------------------
@dataclass(eq=False)
class _Job:
    """A submitted step and what this process knows of it."""

    task: StepTask
    emit: Any
    token: CancelToken
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    future: Future = field(default_factory=Future)  # the executor's
    dask: Any = None  # the distributed Future of the current attempt
    args: tuple = ()
    attempts: int = 0
    placed: str | None = None  # the worker it was sent to
    worker: str | None = None  # address of the worker running it, once it said Running
    started: float | None = None  # monotonic, when its Running event came
    running_since: float | None = None  # wall clock, as the step reported it
    reported: bool = False  # its outcome event came
    done_at: float | None = None  # monotonic, when its task ended (without a report yet)
    stop: dict | None = None  # the outcome, when this backend stopped the step
    stop_at: float | None = None
    restarted: bool = False

    def resolve(self, outcome: dict) -> None:
        """Hand the outcome to the executor (once)."""
        if not self.future.done():
            self.future.set_result(outcome)


def _worker_gone(address: str, expected: bool) -> dict:
    how = "was removed from the cluster" if expected else "died"
    return {"type": "WorkerDied", "traceback": "", "inputs": {},
            "message": f"The Dask worker {address} running the step {how}; the step is not "
                       f"retried on another worker."}


class DaskBackend:
    """Runs steps as tasks on the cluster at ``address`` (``local``: a LocalCluster of
    ``workers`` processes with one thread each, started with this backend)."""

    def __init__(self, address: str = LOCAL, workers: int = 2, grace: float = 1.0,
                 poll: float = 0.05, warm: tuple[str, ...] = (__name__, PRELOAD)):
        import dask

        self.grace, self.poll = grace, poll
        self.cluster = None
        self.size = workers
        if address == LOCAL:
            # A step never retried after killing a worker; a worker runs one step at a time
            # and is sent the next only when it is free.
            # Nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's
            # adaptive mmap threshold: a boosted-tree fit then maps and unmaps its buffers
            # over and over and took 1.7 x as long. None unsets it.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                                  "distributed.scheduler.worker-saturation": 1.0,
                                  "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                                      None}):
                # The scheduler's HTTP server (the dashboard, with bokeh) on a free port.
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                            processes=True, dashboard_address=":0")
            self.client = Client(self.cluster, set_as_default=False)
        else:
            self.client = Client(address, set_as_default=False)
        self.topic = f"designer-steps-{uuid.uuid4().hex}"
        self._lock = threading.Condition()
        self._jobs: dict[str, _Job] = {}
        self._inbox: queue.Queue = queue.Queue()
        self._closed = False
        self.client.subscribe_topic(self.topic, lambda event: self._inbox.put(("step", event[1])))
        self.client.subscribe_topic("all", lambda event: self._inbox.put(("cluster", event[1])))
        self._thread = threading.Thread(target=self._pump, name="dask-steps", daemon=True)
        self._thread.start()
        self._short = threading.Event()  # set when a worker went: look at once
        self._names = itertools.count(workers)  # of the workers that replace lost ones
        self._keeper = None
        if self.cluster is not None:
            self._keeper = threading.Thread(target=self._keep, name="dask-keeper", daemon=True)
            self._keeper.start()
        if warm:  # in the background: whoever creates the backend is not held up
            threading.Thread(target=self._warm, args=(warm,), name="dask-warm",
                             daemon=True).start()

    def _warm(self, modules: tuple[str, ...]) -> None:
        """Import ``modules`` on every worker now, so no first step waits for them."""
        import importlib

        try:
            for name in modules:
                self.client.run(importlib.import_module, name, on_error="ignore")
        except Exception:  # closed meanwhile, or a worker went: its steps import them
            log.debug("warming the Dask workers failed", exc_info=True)

    # -- the executor's side -----------------------------------------------------------------
    def submit_step(self, task: StepTask, emit, token: CancelToken) -> Future:
        """Send a step to the cluster; inputs given as ``DaskOutput`` go as their futures."""
        produced = {p: v.future for p, v in task.inputs.items() if isinstance(v, DaskOutput)}
        ports = {p: v.port for p, v in task.inputs.items() if isinstance(v, DaskOutput)}
        rest = {p: v for p, v in task.inputs.items() if p not in produced}
        job = _Job(task, emit, token)
        job.args = (dataclasses.replace(portable(task), inputs=rest), self.topic, job.id,
                    produced, ports)
        with self._lock:
            if self._closed:
                raise RuntimeError("the backend is shut down")
            self._jobs[job.id] = job
        self._send(job)
        return job.future

    def shutdown(self) -> None:
        """Wait for submitted steps, then close the client (and the local cluster)."""
        with self._lock:
            self._closed = True
            self._lock.wait_for(lambda: all(j.future.done() for j in self._jobs.values()))
        self._inbox.put(None)
        self._thread.join(timeout=30)
        if self._keeper is not None:
            self._short.set()
            self._keeper.join(timeout=30)
        for topic in (self.topic, "all"):
            self.client.unsubscribe_topic(topic)
        self.client.close(timeout=30)
        if self.cluster is not None:
            self.cluster.close(timeout=30)

    def pids(self) -> dict[str, int]:
        """Process id of each worker, by address."""
        return self.client.run(os.getpid)

    # -- submitting --------------------------------------------------------------------------
    def _place(self, job: _Job) -> tuple[str | None, int]:
        """A worker with a free thread, preferring one that holds the step's inputs (None when
        every worker is busy with steps of this backend), and how many of this backend's
        steps will be running on that worker's host with this one.

        Dask sends a task to a worker holding its inputs even when that worker is busy and
        another is idle, so independent branches fed by one step would take turns.
        """
        with self._lock:
            busy = Counter(j.worker or j.placed for j in self._jobs.values()
                           if j is not job and not j.future.done())
        free = [a for a, n in self.client.nthreads().items() if busy[a] < n]
        holds = Counter(v.worker for v in job.task.inputs.values() if isinstance(v, DaskOutput))
        placed = max(free, key=lambda a: holds[a], default=None)
        if placed is None:
            return None, 1
        here = get_address_host(placed)
        return placed, 1 + sum(n for a, n in busy.items() if a and get_address_host(a) == here)

    def _send(self, job: _Job) -> None:
        job.attempts += 1
        try:
            job.placed, sharing = self._place(job)
            job.dask = self.client.submit(run_on_worker, *job.args, sharing, pure=False,
                                          key=f"{job.task.node_id}-{job.id}-{job.attempts}",
                                          workers=job.placed,
                                          allow_other_workers=job.placed is not None)
        except Exception as exc:  # the task cannot be serialized
            job.reported = True  # nothing will come of it
            self._resolve(job, self._stopped(job, FAILED, f"{job.task.spec.label} cannot run "
                                                          f"on the Dask cluster: {exc}"))
            return
        job.dask.add_done_callback(lambda f, j=job: self._inbox.put(("done", (j, f))))

    def _stopped(self, job: _Job, status: str, message: str) -> dict:
        """``stopped`` with the inputs kept on the cluster summarized from the store."""
        inputs = {p: v.ref if isinstance(v, DaskOutput) else v for p, v in job.task.inputs.items()}
        return stopped(status, message, dataclasses.replace(job.task, inputs=inputs),
                       job.running_since)

    def _resolve(self, job: _Job, outcome: dict) -> None:
        job.resolve(outcome)
        with self._lock:
            self._lock.notify_all()

    # -- the dask-steps thread -----------------------------------------------------------------
    def _pump(self) -> None:
        """Hand events on, settle jobs, and every ``poll`` seconds check limits and cancels."""
        checked = time.monotonic()
        while True:
            try:
                item = self._inbox.get(timeout=self.poll)
            except queue.Empty:
                item = ()
            if item is None:
                return
            try:
                if item:
                    kind, message = item
                    if kind == "step":
                        self._on_step(message)
                    elif kind == "done":
                        self._on_done(*message)
                    elif isinstance(message, dict) and message.get("action") == "remove-worker":
                        self._short.set()
                        self._on_removed(message["worker"], bool(message.get("expected")))
                now = time.monotonic()
                if now - checked >= self.poll:
                    checked = now
                    self._check_all(now)
            except Exception:
                log.exception("Dask backend error")

    def _on_step(self, message: dict) -> None:
        job = self._jobs.get(message["job"])
        if job is None:
            return
        payload = pickle.loads(message["data"])  # noqa: S301 - sent by this backend's task
        if message["kind"] == "event":
            status, info = payload
            if status == RUNNING:
                job.worker, job.started = message["worker"], time.monotonic()
                job.running_since = info.get("started")
                if job.future.done() or job.stop is not None:  # stopped before it began
                    job.stop_at = None  # its grace starts now
                    self._stop(job, job.stop or {"status": CANCELED}, time.monotonic())
                    return
            if not job.future.done():
                job.emit(status, **info)
            return
        job.reported = True
        self._resolve(job, job.stop or self._outcome(job, payload))

    def _outcome(self, job: _Job, outcome: dict) -> dict:
        """The executor's view: values as futures on the cluster, the write already done (a
        failed write fails the step at once, so no consumer is sent its missing values)."""
        stored = outcome.pop("stored", None)
        if stored is not None:
            return {"status": FAILED, "started": outcome.get("started"), "error": stored}
        if outcome["status"] == FINISHED:
            outcome["values"] = {p: DaskOutput(job.dask, p, ref, job.worker)
                                 for p, ref in outcome["refs"].items()}
            outcome["written"] = Future()
            outcome["written"].set_result(None)
        return outcome

    def _on_done(self, job: _Job, future) -> None:
        """A task ended: a failure no report will tell, or wait for its report."""
        if future is not job.dask or job.reported:
            return
        if future.status == "finished":
            job.done_at = time.monotonic()
            return
        try:
            exc = future.exception(timeout=5) if future.status == "error" else None
        except (FutureCancelledError, TimeoutError) as error:
            exc = error
        if exc is not None and type(exc).__name__ == "KilledWorker":
            if job.worker is None and job.attempts <= RESUBMITS and not job.future.done():
                self._send(job)  # it only waited on the dead worker: it never started
                return
            self._resolve(job, {"status": FAILED, "started": job.running_since,
                                "error": _worker_gone(exc.last_worker.address, False)})
        elif job.token.cancelled:
            self._resolve(job, job.stop or {"status": CANCELED})
        elif exc is not None:
            self._resolve(job, self._stopped(job, FAILED, f"{job.task.spec.label} could not "
                                                          f"run on the Dask cluster: {exc}"))
        else:
            self._resolve(job, job.stop or self._stopped(
                job, FAILED, f"The Dask cluster dropped the step ({future.status})."))
        job.done_at = time.monotonic()

    def _snapshot(self) -> list[_Job]:
        with self._lock:
            return list(self._jobs.values())

    def _on_removed(self, address: str, expected: bool) -> None:
        for job in self._snapshot():
            if job.worker == address and not job.reported:
                job.reported = True  # nothing more will come from it
                if not job.future.done():
                    job.dask.cancel()  # never retried elsewhere
                    self._resolve(job, job.stop or {"status": FAILED,
                                                    "started": job.running_since,
                                                    "error": _worker_gone(address, expected)})

    def _check_all(self, now: float) -> None:
        for job in self._snapshot():
            if self._settled(job, now):
                with self._lock:
                    del self._jobs[job.id]
                continue
            if job.stop is not None:
                if job.worker is not None and not job.reported and not job.restarted \
                        and now - job.stop_at > self.grace:
                    self._restart(job)
                continue
            if job.future.done():  # settled by a failure path; waiting for its last news
                continue
            limits = job.task.limits
            message = None
            if job.started is not None:
                message = limits.time_exceeded(job.started, job.task.deadline, now)
            elif job.task.deadline is not None and now > job.task.deadline:
                message = limits.run_message()
            if message is not None:
                self._stop(job, self._stopped(job, FAILED, message), now)
            elif job.token.cancelled:
                self._stop(job, {"status": CANCELED}, now)
            elif job.done_at is not None and now - job.done_at > REPORT_SECONDS:
                job.reported = True
                self._resolve(job, self._stopped(
                    job, FAILED, "The step ended on the Dask cluster without reporting."))

    def _settled(self, job: _Job, now: float) -> bool:
        """Nothing more can come of ``job``: it reported, or its worker went, or it ended (or
        was dropped) without starting a while ago."""
        if not job.future.done():
            return False
        if job.reported or job.restarted:
            return True
        return ((job.worker is None and job.stop_at is not None and now - job.stop_at > 30)
                or (job.done_at is not None and now - job.done_at > REPORT_SECONDS))

    def _stop(self, job: _Job, outcome: dict, now: float) -> None:
        """Stop a step: a queued one is cancelled, a running one is asked to stop (and its
        worker ended after ``grace`` if it goes on)."""
        job.stop, job.stop_at = outcome, job.stop_at or now
        if job.worker is None:
            job.dask.cancel()
            self._resolve(job, outcome)
            return
        try:
            self.client.run(cancel_steps, [job.id], workers=[job.worker], on_error="ignore")
        except Exception:  # the worker is gone: its removal settles the step
            log.warning("could not reach Dask worker %s to cancel a step", job.worker)

    def _restart(self, job: _Job) -> None:
        """The step did not stop: drop its task and end its worker's process (in the
        background); the worker's nanny starts a new one (on a local cluster, ``_keep``
        replaces it if the nanny does not).

        Not ``Client.restart_workers``: a worker whose thread is stuck does not close within
        the nanny's grace, and the nanny was then seen to close itself instead of restarting.
        """
        job.restarted = True
        job.dask.cancel()
        self._resolve(job, job.stop)

        def restart(address=job.worker):
            try:
                self.client.run(end_worker, workers=[address], on_error="ignore")
            except Exception:
                log.exception("could not end Dask worker %s", address)
            self._short.set()  # a local cluster is brought back to its size

        threading.Thread(target=restart, name="dask-restart", daemon=True).start()


    # -- the dask-keeper thread (a local cluster) ------------------------------------------------
    def _keep(self) -> None:
        """Keep the local cluster at its size: every second (at once when a worker went), a
        worker whose nanny cannot bring it back is replaced by a new one."""
        away: dict = {}  # worker name -> monotonic time it was first seen missing
        while not self._closed:
            self._short.wait(timeout=1.0)
            self._short.clear()
            if self._closed:
                return
            try:
                sync(self.cluster.loop, self._replace_lost, away)
            except Exception:  # the cluster is closing, or the next look will do
                log.debug("checking the local Dask cluster failed", exc_info=True)

    async def _replace_lost(self, away: dict) -> None:
        """On the cluster's loop: replace each worker whose nanny closed or failed to start
        a new process, or that has been missing for ``REPLACE_SECONDS``.

        A nanny starts a new worker process when its process ends, but when that worker
        fails to join the scheduler (under load, the old one can still hold its name) the
        nanny closes for good, and ``scale`` alone would not replace it: it only starts
        workers for names it has no nanny for. So the lost name leaves the spec, and a new
        worker under a name never used (the old one may still be registered) takes its place.
        """
        from distributed.core import Status

        cluster = self.cluster
        if cluster.status != Status.running:
            return
        joined = {ws.name for ws in cluster.scheduler.workers.values()}
        now = time.monotonic()
        lost = []
        for name, nanny in list(cluster.workers.items()):
            if name not in cluster.worker_spec:  # already being replaced
                continue
            if name in joined:
                away.pop(name, None)
                continue
            since = away.setdefault(name, now)
            process = getattr(nanny, "process", None)
            broken = (nanny.status in (Status.closing, Status.closed, Status.failed)
                      or (process is not None and process.status == Status.failed))
            if broken or now - since > REPLACE_SECONDS:
                lost.append(name)
        for name in lost:
            log.warning("replacing Dask worker %s, which its nanny did not bring back", name)
            away.pop(name, None)
            del cluster.worker_spec[name]
        if len(cluster.worker_spec) < self.size:
            while len(cluster.worker_spec) < self.size:
                name = next(self._names)
                if name not in cluster.worker_spec and name not in cluster.workers \
                        and name not in joined:
                    cluster.worker_spec[name] = dict(cluster.new_spec)
            cluster.scale(self.size)  # closes the lost nannies, starts the new workers
