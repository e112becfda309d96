"""The dispatcher: claims queued runs from the database and executes them on the backend.

Claiming is one conditional UPDATE (``WHERE status = 'Queued'``, candidates read with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several server and worker processes can share one
database without running a run twice. A free slot is filled as soon as a run ends or a run is
queued (a notice, see ``notices``); the poll every ``poll_seconds`` is only the fallback. Step
events are written behind the steps by one thread (``step_events``), under the process's one
SQLite writer lock; a run is announced as ended once its events are written.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select

from .. import database
from ..engine.artifacts import ArtifactRef
from ..engine.context import CancelToken, Limits
from ..engine.document import PipelineDocument
from ..engine.executor import (
    CANCELED,
    FAILED,
    FINISHED,
    NOT_STARTED,
    QUEUED,
    RUNNING,
    PipelineInvalid,
    execute,
    failure_reason,
    make_plan,
)
from ..engine.spec import TRAINED_MODEL, ModuleSpec, ParamError
from ..extensions import db
from ..models import Run, StepRun, now
from . import datastores
from .notices import CANCEL, NEW_RUN, Notices, add_event
from .step_events import StepEvents

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


def worker_name() -> str:
    """How this process names itself on the runs it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    """Owns this process's running runs: their threads, cancel tokens and heartbeats."""

    def __init__(self, app: Flask, modules: Mapping[str, ModuleSpec], backend, store,
                 max_runs: int = 2, limits: Limits | None = None,
                 notices: Notices | None = None):
        self.app, self.modules, self.backend, self.store = app, modules, backend, store
        self.limits = limits or Limits()
        self.notices = notices
        self.worker = worker_name()
        self.tokens: dict[str, CancelToken] = {}
        self.poll_seconds = app.config["DESIGNER_POLL_SECONDS"]
        self.stale_after = timedelta(seconds=app.config["DESIGNER_STALE_SECONDS"])
        # A live run's heartbeat is renewed several times within the stale interval.
        self.heartbeat_seconds = min(HEARTBEAT_SECONDS, self.stale_after.total_seconds() / 4)
        self._runs = ThreadPoolExecutor(max_workers=max_runs, thread_name_prefix="run")
        self._beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lineage")
        self._slots = threading.Semaphore(max_runs)
        self._write = database.Writer(app)  # shared with submits: one SQLite writer
        self.step_events = StepEvents(app, self._write)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_beat = 0.0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Recover interrupted runs, then claim queued runs in a background thread."""
        with self.app.app_context():
            recover_interrupted(self.stale_after)
        if self.notices is not None:
            self.notices.subscribe(self._heard)
        self._thread = threading.Thread(target=self._loop, name="dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop claiming, cancel this process's runs and wait for them."""
        self._stop.set()
        self._wake.set()
        for token in list(self.tokens.values()):
            token.cancel()
        self._runs.shutdown(wait=True)
        self._beside.shutdown(wait=True)
        self.step_events.stop()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wake(self) -> None:
        """A run was queued or a slot freed: look now instead of at the next poll."""
        self._wake.set()

    def _heard(self, kind: str, value: str) -> None:
        """A notice from any process: a cancel reaches its run at once, a new run wakes."""
        if kind == CANCEL:
            self.cancel_local(value)
        elif kind == NEW_RUN:
            self.wake()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before looking: a wake-up during the look is not lost
            try:
                with self.app.app_context():
                    self._fill_slots()
                    self._cancels_and_liveness()
            except Exception:
                log.exception("dispatcher loop error")
            # Heartbeats and the scan for runs of dead processes keep their own pace, even
            # when the poll is slow because notices wake the loop.
            beat_in = max(0.0, self._next_beat - time.monotonic())
            self._wake.wait(timeout=min(self.poll_seconds, beat_in))

    def _fill_slots(self) -> None:
        """Claim queued runs while a slot is free."""
        while not self._stop.is_set() and self._slots.acquire(blocking=False):
            run_id = self.claim()
            if run_id is None:
                self._slots.release()
                return
            self._runs.submit(self._run_and_release, run_id)

    def _run_and_release(self, run_id: str) -> None:
        try:
            self.run(run_id)
        finally:
            self._slots.release()
            self.wake()  # the freed slot takes the next queued run now

    # -- claiming and running ---------------------------------------------------------------
    def claim(self) -> str | None:
        """Atomically take the oldest queued run for this process; its id, or None."""
        candidates = db.session.scalars(
            select(Run.id).where(Run.status == QUEUED).order_by(Run.created).limit(5)
            .with_for_update(skip_locked=True)).all()  # PostgreSQL: others take the next ones
        for run_id in candidates:
            taken = db.session.execute(
                Run.__table__.update().where(Run.id == run_id, Run.status == QUEUED)
                .values(status=RUNNING, worker=self.worker, started=now(), heartbeat=now())
            ).rowcount
            if taken == 1:
                add_event(run_id, RUNNING)
                db.session.commit()
                return run_id
        db.session.rollback()
        return None

    def run_pending(self) -> int:
        """Claim and run queued runs in this thread until none is left (CLI and tests)."""
        count = 0
        with self.app.app_context():
            while (run_id := self.claim()) is not None:
                self.run(run_id)
                count += 1
        return count

    def run(self, run_id: str) -> str:
        """Execute a claimed run to its end; returns the final status."""
        from .models import plan_lineage  # models reads runs, whose module imports this one

        token = self.tokens.setdefault(run_id, CancelToken())
        lineage = None
        trained: dict[str, Future] = {}  # artifact key: the trained model, read ahead
        with self.app.app_context():
            try:
                run = db.session.get(Run, run_id)
                if run.cancel_requested:
                    token.cancel()
                plan = make_plan(PipelineDocument.model_validate(run.document), self.modules,
                                 run.parameters, regenerate_outputs=run.regenerate_outputs)
                stores = datastores.mapping()
                models_of = {}
                if run.endpoint_id:  # its models are registered with their data's SHA-256,
                    # taken while the steps run rather than after them, and the models
                    # themselves are read as soon as they are stored
                    lineage = self._beside.submit(plan_lineage, plan, stores)
                    models_of = {n: ports for n, step in plan.steps.items()
                                 if (ports := [p.name for p in step.spec.outputs
                                               if p.type == TRAINED_MODEL])}
                db.session.remove()
                result = execute(plan, self.store, self.backend, token=token,
                                 on_event=self._recorder(run_id, models_of, trained),
                                 datastores=stores, run_id=run_id, limits=self.limits)
                status = result.status
                reason = result.reason or failure_reason(plan, result)
                if status == CANCELED:
                    reason = "canceled"
            except (ParamError, PipelineInvalid) as exc:  # the registry changed since submit
                status, reason = FAILED, str(exc)
            except Exception as exc:
                log.exception("run %s crashed", run_id)
                status, reason = FAILED, f"{type(exc).__name__}: {exc}"
            finally:
                self.tokens.pop(run_id, None)
            self._finish(run_id, status, reason, lineage, trained)
            return status

    def _finish(self, run_id: str, status: str, reason: str, lineage=None,
                trained: Mapping[str, Future] | None = None) -> None:
        self.step_events.flush(run_id)
        if status == FINISHED:
            status, reason = self._register_models(run_id, lineage, trained)
        with self._write:
            run = db.session.get(Run, run_id)
            run.status, run.status_reason, run.finished = status, reason, now()
            db.session.execute(
                StepRun.__table__.update()
                .where(StepRun.run_id == run_id,
                       StepRun.status.in_((NOT_STARTED, QUEUED, RUNNING)))
                .values(status=CANCELED if status == CANCELED else FAILED))
            add_event(run_id, status, data={"reason": reason})
            db.session.commit()
            self.app.extensions["designer"].run_ended(run_id)
            db.session.remove()

    def _register_models(self, run_id: str, lineage=None,
                         trained: Mapping[str, Future] | None = None) -> tuple[str, str]:
        """Register the models a finished endpoint run trained, before it is announced
        (``lineage``: the future of its data paths' fingerprints; ``trained``: futures of
        the trained models read ahead, by artifact key)."""
        from . import models, promotion  # they read runs, whose module imports this one

        try:
            facts = lineage.result() if lineage is not None else None
            loaded = {key: model.result() for key, model in (trained or {}).items()}
            with self._write:
                registered = models.register_run(run_id, self.store, lineage=facts,
                                                 loaded=loaded)
        except Exception as exc:
            log.exception("run %s: registering its models failed", run_id)
            db.session.rollback()
            return FAILED, f"registering the trained model failed: {type(exc).__name__}: {exc}"
        try:  # a promotion rule that fails is logged; the run stays finished
            with self._write:
                promotion.after_retrain(registered)
        except Exception:
            log.exception("run %s: applying promotion rules failed", run_id)
            db.session.rollback()
        return FINISHED, ""

    def _recorder(self, run_id: str, models_of: Mapping[str, list[str]],
                  trained: dict[str, Future]):
        """The on_event callback: queues each step event for the writer (any thread), and
        reads each trained model of ``models_of`` (node id: its trained model ports) once it
        is stored, while the steps after it run, into ``trained``."""

        def record(node_id: str, status: str, **info) -> None:
            self.step_events.record(run_id, node_id, status, info)
            if status == FINISHED and node_id in models_of:
                for port in models_of[node_id]:
                    ref = info.get("outputs", {}).get(port)
                    if ref:
                        trained[ref["key"]] = self._beside.submit(
                            self.store.get, ArtifactRef(**ref))

        return record

    # -- cancellation and liveness ---------------------------------------------------------
    def cancel_local(self, run_id: str) -> None:
        """Cancel a run executing in this process (no-op elsewhere)."""
        token = self.tokens.get(run_id)
        if token:
            token.cancel()

    def _cancels_and_liveness(self) -> None:
        """The fallbacks of notices: cancel requests seen by polling, heartbeats, recovery."""
        mine = list(self.tokens)
        beat = time.monotonic() >= self._next_beat
        if mine:
            with self._write:
                for run in db.session.scalars(select(Run).where(Run.id.in_(mine))):
                    if run.cancel_requested:
                        self.cancel_local(run.id)
                    if beat:
                        run.heartbeat = now()
                db.session.commit()
        if beat:
            self._next_beat = time.monotonic() + self.heartbeat_seconds
            recover_interrupted(self.stale_after)


def _dead_here(worker: str) -> bool:
    """True if ``worker`` ("host:pid") names a process of this host that no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_interrupted(stale_after: timedelta = timedelta(seconds=60)) -> int:
    """Mark runs left Running by a dead process as Failed ("interrupted"); count them.

    A run is orphaned when its worker was a process of this host that is gone, or when its
    heartbeat is older than ``stale_after`` (a process elsewhere that died). The update is
    conditional, so a run two processes recover at once is marked by one of them, which then
    sends its run.failed webhooks like any failed run's.
    """
    cutoff = now() - stale_after
    failed = []
    for run in db.session.scalars(select(Run).where(Run.status == RUNNING)).all():
        beat = run.heartbeat
        if beat is not None and beat.tzinfo is None:
            beat = beat.replace(tzinfo=cutoff.tzinfo)
        if beat is not None and beat > cutoff and not _dead_here(run.worker):
            continue
        taken = db.session.execute(
            Run.__table__.update()
            .where(Run.id == run.id, Run.status == RUNNING, Run.worker == run.worker)
            .values(status=FAILED, status_reason="interrupted", finished=now())).rowcount
        if taken != 1:
            continue
        for s in run.steps:
            if s.status in (NOT_STARTED, QUEUED, RUNNING):
                s.status = FAILED if s.status == RUNNING else CANCELED
        add_event(run.id, FAILED, data={"reason": "interrupted"})
        failed.append(run.id)
    db.session.commit()
    for run_id in failed:
        current_app.extensions["designer"].run_ended(run_id)
    return len(failed)
