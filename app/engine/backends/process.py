"""The process backend: steps run in a warm pool of worker processes, which can be killed.

A thread stuck in a library call (a huge fit) cannot be stopped; a process can. Each worker
runs one step at a time; the parent watches every running step and, on Cancel, sets the
worker's cancel flag (a module's ``ctx.check_cancelled`` sees it) and after ``grace`` seconds
kills the worker (SIGTERM, then SIGKILL). A step past its time or memory limit is killed at
once and fails naming the limit. A worker that dies is replaced.

Workers come from a fork server that imported the modules once (``warm``): a replacement
starts in milliseconds, and no worker is forked from this multi-threaded server (OpenMP and
held locks do not survive a fork). Steps share the OpenMP thread budget as on the local
backend (NativeBudget): the parent decides each step's share and the worker applies it.

A worker writes the outputs it computed to the artifact store itself, behind its next step
(see ``worker``): the parent gets their refs, never the data. A step goes to the idle worker
that holds most of its inputs (the outputs of the step that worker ran last), so a chain's data
sets never cross a pipe; a step needing an output still being written waits for the write
unless the worker writing it takes the step. A worker left idle for ``hold`` seconds is told to
let its outputs go.

A step submitted ``after`` a step still queued or running (the executor does this for a step
waiting on that one step alone) goes to that step's worker while it runs, as its follower: the
worker starts it the moment the first is done, without the round trip through this process (a
few milliseconds a step, more when the server is busy). It inherits the first step's share of
the thread budget. If the first step does not finish, the follower is skipped.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from concurrent.futures import Future

from ..artifacts import ArtifactRef
from ..context import CancelToken
from ..steps import (
    CANCELED,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    SKIPPED,
    StepTask,
    output_key,
    portable,
    stopped,
)
from . import worker as worker_main
from .budget import NativeBudget

log = logging.getLogger(__name__)
PRELOAD = ("app.engine.backends.warm",)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _context():
    """A fork server where the platform has one (Linux, macOS), else spawn; never fork."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")


def rss(pid: int) -> int:
    """Resident memory of process ``pid`` in bytes (0 where /proc is not available)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


class _Job:
    """A submitted step: its task, where its events go, and what the parent decided."""

    def __init__(self, task: StepTask, emit, token: CancelToken, after: _Job | None = None):
        self.task, self.emit, self.token = task, emit, token
        self.after = after  # the job not yet done whose outputs it reads, as its follower
        self.outputs = frozenset(output_key(task.key, p.name) for p in task.spec.outputs)
        self.future: Future = Future()
        self.started: float | None = None  # monotonic, when the worker began the step
        self.running_since: float | None = None  # wall clock, as the step reported it
        self.cancel_at: float | None = None
        self.stop: dict | None = None  # the outcome when the parent stops the step
        self.share = 0  # OpenMP threads taken from the budget while running

    def resolve(self, outcome: dict) -> None:
        """Hand the outcome to the executor (once)."""
        if not self.future.done():
            self.future.set_result(outcome)


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.cancel = ctx.Event()
        self.process = ctx.Process(target=worker_main.main, name="step-worker", daemon=True,
                                   args=(child, self.cancel, PRELOAD))
        self.process.start()
        child.close()
        self.job: _Job | None = None
        self.follower: _Job | None = None  # sent while ``job`` runs, to start after it
        self.held: set[str] = set()  # artifact keys of the outputs it kept from its last step
        self.writing: deque[tuple[Future, set[str]]] = deque()  # writes in order, their keys
        self.idle_since = time.monotonic()
        self.killed_at: float | None = None
        self.reader: threading.Thread | None = None

    def kill(self) -> None:
        """SIGTERM now; the monitor sends SIGKILL if the worker is still there after grace."""
        if self.killed_at is None:
            self.killed_at = time.monotonic()
            self.process.terminate()


def _portable(task: StepTask, held: set[str]) -> StepTask:
    """The task as a worker receives it: the module function travels by reference, and inputs
    the worker holds are named, not sent."""
    inputs = {p: worker_main.Held(task.sources[p]) if task.sources.get(p) in held else v
              for p, v in task.inputs.items()}
    return dataclasses.replace(portable(task), inputs=inputs)


class ProcessBackend:
    """Up to ``workers`` steps at once, each in a worker process of a warm pool."""

    chains = True  # takes a step ``after`` a step still queued or running

    def __init__(self, workers: int = 2, native_threads: int | None = None,
                 grace: float = 1.0, poll: float = 0.05, hold: float = 2.0):
        self.workers, self.grace, self.poll, self.hold = workers, grace, poll, hold
        self.budget = NativeBudget(native_threads)
        self._ctx = _context()
        self._lock = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._pool: set[_Worker] = set()
        self._idle: list[_Worker] = []
        self._writing: set[str] = set()  # artifact keys a worker has yet to store
        self._closed = False
        self._stop = threading.Event()
        # The first workers wait for the fork server to import the modules (seconds): start
        # them in the background so whoever creates the backend is not held up.
        self._starter = threading.Thread(target=self._start_pool, name="step-pool", daemon=True)
        self._starter.start()
        self._monitor = threading.Thread(target=self._watch, name="step-monitor", daemon=True)
        self._monitor.start()

    # -- the executor's side -----------------------------------------------------------------
    def submit_step(self, task: StepTask, emit, token: CancelToken,
                    after: Future | None = None) -> Future | None:
        """Queue a step; it starts when a worker is free. ``after``: the future of a step
        submitted here whose outputs it reads: it then starts right after that step, in its
        worker, and is skipped if that step does not finish; None (nothing queued) when that
        step is done already. The step's Queued event is then this backend's to report."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the backend is shut down")
            first = None
            if after is not None:
                first = next((j for j in self._pending() if j.future is after), None)
                if first is None:
                    return None
            job = _Job(task, emit, token, first)
            self._queue.append(job)
        self._dispatch()
        return job.future

    def _pending(self) -> list[_Job]:
        """The jobs not yet done: queued, running, and followers (lock held)."""
        running = [j for w in self._pool for j in (w.job, w.follower) if j is not None]
        return [*self._queue, *running]

    def shutdown(self) -> None:
        """Stop accepting work, wait for queued and running steps, stop the workers."""
        with self._lock:
            self._closed = True
            self._lock.wait_for(lambda: not self._queue and all(
                w.job is None and w.follower is None for w in self._pool))
            workers = list(self._pool)
        self._stop.set()
        self._monitor.join()
        # A worker still being started is dropped by the starter once it sees the backend
        # closed; wait for that, so none outlives the backend (or its parent process).
        self._starter.join()
        for w in workers:
            try:
                worker_main.send(w.conn, None)
            except OSError:
                pass
        for w in workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
            if w.reader is not None:
                w.reader.join(timeout=5)

    def pids(self) -> set[int]:
        """Process ids of the live workers."""
        with self._lock:
            return {w.process.pid for w in self._pool if w.killed_at is None}

    # -- the pool ------------------------------------------------------------------------------
    def _start_pool(self) -> None:
        for _ in range(self.workers):
            self._add_worker()
        self._dispatch()

    def _add_worker(self) -> None:
        w = _Worker(self._ctx)
        w.reader = threading.Thread(target=self._read, args=(w,), name="step-reader",
                                    daemon=True)
        with self._lock:
            # Shut down while the fork server was starting: this worker is not wanted.
            closed = self._closed
            if not closed:
                self._pool.add(w)
                self._idle.append(w)
        if closed:
            w.process.terminate()
            w.process.join(timeout=5)
            w.conn.close()
            return
        w.reader.start()

    def _dispatch(self) -> None:
        """Hand queued steps to idle workers."""
        while True:
            with self._lock:
                for job in [j for j in self._queue if j.token.cancelled]:
                    self._queue.remove(job)
                    job.resolve({"status": CANCELED})
                job, w = self._next()
                if job is None:
                    return
                self._queue.remove(job)
                if w.job is not None:  # a follower: it reads the outputs of w's step
                    w.follower, held = job, w.job.outputs
                    w.job.share, job.share = 0, self.budget.inherit()
                else:
                    self._idle.remove(w)
                    w.cancel.clear()
                    w.job = job
                    held, w.held = w.held, set()  # the worker drops what the task does not name
                    # Under the lock: a follower may take this share over as soon as it is.
                    job.share = self.budget.acquire()
            try:
                worker_main.send(w.conn, (_portable(job.task, held), job.share))
            except OSError:
                continue  # the worker is gone: its reader fails the step and replaces it
            except Exception as exc:  # the task cannot be pickled
                failed = stopped(FAILED, f"{job.task.spec.label} cannot run in a worker "
                                         f"process: {exc}", job.task, None)
                orphans = []
                with self._lock:
                    follower = w.follower is job
                    if follower:  # never sent: the step it followed keeps its share
                        w.follower = None
                        if w.job is not None:
                            w.job.share, job.share = job.share, 0
                        self._release(job)
                        orphans = self._orphans(job, failed)
                if not follower:
                    self._finished(w, job, failed)
                    continue
                job.resolve(failed)
                for orphan in orphans:
                    orphan.resolve({"status": SKIPPED})

    def _next(self) -> tuple[_Job | None, _Worker | None]:
        """The first queued job a worker can take, and the worker: the idle worker holding
        most of its inputs, a job can go to a worker once its inputs are stored or held there;
        or, for a job ``after`` the outputs of a step not yet done, that step's worker once the
        step runs there with no follower yet (lock held)."""
        for job in self._queue:
            if job.after is not None:
                producer = next((w for w in self._pool if w.job is job.after), None)
                if (producer is not None and producer.follower is None
                        and producer.killed_at is None):
                    return job, producer
                continue  # its step is queued, or its worker has a follower already
            wanted = set(job.task.sources.values())
            unstored = wanted & self._writing
            able = [w for w in reversed(self._idle) if unstored <= w.held]
            if able:
                return job, max(able, key=lambda w: len(w.held & wanted))
        return None, None

    def _read(self, w: _Worker) -> None:
        """The reader thread of one worker: events, outcomes, and its death."""
        while True:
            try:
                kind, *rest = worker_main.recv(w.conn)
            except (EOFError, OSError):
                break
            if kind == "stored":
                self._stored(w, *rest)
                continue
            job = w.job
            if job is None:
                continue
            if kind == "event":
                status, info = rest
                if status == RUNNING:
                    job.started, job.running_since = time.monotonic(), info.get("started")
                job.emit(status, **info)
            else:
                outcome = rest[0]
                if outcome["status"] == FINISHED:
                    self._writes(w, job, outcome)
                self._finished(w, job, outcome)
        self._died(w)

    def _writes(self, w: _Worker, job: _Job, outcome: dict) -> None:
        """A step finished on ``w``: it holds the outputs and is writing them."""
        keys = {ref.key for ref in outcome["refs"].values()}
        outcome["written"] = Future()
        with self._lock:
            w.held = keys
            w.writing.append((outcome["written"], keys))
            self._writing |= keys

    def _stored(self, w: _Worker, error: dict | None) -> None:
        """``w`` wrote the outputs of its oldest write (or failed to: ``error``)."""
        with self._lock:
            written, keys = w.writing.popleft()
            self._writing -= keys
        written.set_result(error)
        self._dispatch()

    def _finished(self, w: _Worker, job: _Job, outcome: dict) -> None:
        with self._lock:  # under the lock: a follower may be taking over the job's share
            self._release(job)
            w.job, w.follower = w.follower, None  # the worker takes its follower now
            if w.job is not None:
                w.held = set()
            elif w.killed_at is None:  # a killed worker's reader replaces it when it is gone
                w.idle_since = time.monotonic()
                self._idle.append(w)
            orphans = self._orphans(job, outcome)
            adopted = self._adopt(job, outcome, w.job)
            self._lock.notify_all()
        for follower in adopted:  # queued from now on, as if submitted now
            follower.emit(QUEUED)
        job.resolve(outcome)
        for orphan in orphans:
            orphan.resolve({"status": SKIPPED})
        self._dispatch()

    def _adopt(self, job: _Job, outcome: dict, follower: _Job | None) -> list[_Job]:
        """``job`` finished: its ``follower`` (now running) and the queued jobs that were to
        follow it become ordinary jobs, their inputs from it its outputs' refs (a failure
        report describes them); returned (lock held)."""
        if outcome["status"] != FINISHED:
            return []
        refs = {ref.key: ref for ref in outcome["refs"].values()}
        adopted = [j for j in self._queue if j.after is job]
        adopted += [follower] if follower is not None else []
        for waiting in adopted:
            inputs = {p: refs.get(v.key, v) if isinstance(v, ArtifactRef) else v
                      for p, v in waiting.task.inputs.items()}
            waiting.task = dataclasses.replace(waiting.task, inputs=inputs)
            waiting.after = None
        return adopted

    def _orphans(self, job: _Job, outcome: dict, follower: _Job | None = None) -> list[_Job]:
        """The queued jobs waiting for outputs of ``job``, which did not finish, or of its
        ``follower`` (not run then), or of those: taken from the queue, to be skipped (lock
        held)."""
        if outcome["status"] == FINISHED:
            return []
        lost = [job] + ([follower] if follower is not None else [])
        orphans = []
        while waiting := [j for j in self._queue if any(j.after is gone for gone in lost)]:
            for orphan in waiting:
                self._queue.remove(orphan)
            lost += waiting
            orphans += waiting
        return orphans

    def _release(self, job: _Job) -> None:
        if job.share:
            job.share = 0
            self.budget.release()

    def _died(self, w: _Worker) -> None:
        w.process.join(timeout=5)
        with self._lock:
            job, w.job = w.job, None
            follower, w.follower = w.follower, None
            orphans = (self._orphans(job, {"status": FAILED}, follower) if job is not None
                       else [])
            self._pool.discard(w)
            if w in self._idle:
                self._idle.remove(w)
            replace = not self._closed
            self._lock.notify_all()
        w.conn.close()
        for written, keys in w.writing:
            with self._lock:
                self._writing -= keys
            written.set_result({
                "type": "StepStopped", "traceback": "", "inputs": {},
                "message": f"The worker process exited before storing the step's outputs "
                           f"(exit code {w.process.exitcode})."})
        w.writing.clear()
        if job is not None:
            self._release(job)
            job.resolve(job.stop or stopped(
                FAILED, f"The worker process running the step exited unexpectedly "
                        f"(exit code {w.process.exitcode}).", job.task, job.running_since))
        for orphan in ([follower] if follower is not None else []) + orphans:
            self._release(orphan)
            orphan.resolve({"status": SKIPPED})
        if replace:
            self._add_worker()
            self._dispatch()

    # -- limits and cancellation -----------------------------------------------------------------
    def _watch(self) -> None:
        """Every ``poll`` seconds: stop canceled steps and steps past a limit, and let idle
        workers drop the outputs they hold."""
        while not self._stop.wait(self.poll):
            try:
                now = time.monotonic()
                self._check_all(now)
                self._release_held(now)
            except Exception:
                log.exception("step monitor error")

    def _release_held(self, now: float) -> None:
        with self._lock:
            # Out of the idle list while the message goes, so no step is sent meanwhile.
            stale = [w for w in self._idle if w.held and now - w.idle_since > self.hold]
            for w in stale:
                self._idle.remove(w)
                w.held = set()
        for w in stale:
            try:
                worker_main.send(w.conn, worker_main.RELEASE)
            except OSError:
                pass  # the worker is gone: its reader replaces it
        with self._lock:
            self._idle.extend(w for w in stale if w.killed_at is None and w in self._pool)
        if stale:
            self._dispatch()

    def _check_all(self, now: float) -> None:
        expired = []
        with self._lock:
            for job in list(self._queue):
                if job.token.cancelled:
                    expired.append((job, {"status": CANCELED}))
                elif job.task.deadline is not None and now > job.task.deadline:
                    expired.append((job, stopped(FAILED, job.task.limits.run_message(),
                                                 job.task, None)))
            for job, _ in expired:
                self._queue.remove(job)
            busy = [(w, w.job) for w in self._pool if w.job is not None]
            self._lock.notify_all()
        for job, outcome in expired:
            job.resolve(outcome)
        for w, job in busy:
            self._check(w, job, now)

    def _check(self, w: _Worker, job: _Job, now: float) -> None:
        if w.killed_at is not None:
            if now - w.killed_at > self.grace and w.process.is_alive():
                w.process.kill()
            return
        limits = job.task.limits
        message = limits.time_exceeded(job.started or now, job.task.deadline, now)
        if message is None and limits.step_memory_mb is not None:
            message = limits.memory_exceeded(rss(w.process.pid))
        with self._lock:
            if w.job is not job:  # it finished meanwhile
                return
            if message is not None:
                job.stop = stopped(FAILED, message, job.task, job.running_since)
                w.kill()
            elif job.token.cancelled:
                if job.cancel_at is None:
                    job.cancel_at = now
                    w.cancel.set()  # a module that checks for cancellation stops by itself
                elif now - job.cancel_at > self.grace:
                    job.stop = stopped(CANCELED, "", job.task, job.running_since)
                    w.kill()
