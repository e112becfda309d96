"""Step events written behind the run, in order, several to a transaction.

The executor and the backend's threads report each step's Queued, Running, log lines and end
as they happen. Written in the reporting thread, one transaction each, every report held the
next step back by a database commit, several times a step. Here a report is queued and one
thread writes the queue in order, as many events to a transaction as have arrived; a run is
announced as ended only once ``flush`` has seen all its events written.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter

from flask import Flask
from sqlalchemy import func

from ..engine.executor import LOG
from ..extensions import db
from ..models import StepRun
from .notices import add_events

log = logging.getLogger(__name__)
BATCH = 200  # events in one transaction at most
# How long the first event of a batch waits for the others: a step's end comes with its
# successor's Queued and Running and a log line or two, a millisecond apart; written one to a
# transaction they took three times the work, on the cores the steps run on.
LINGER = 0.003
_STEPS = StepRun.__table__
STEP_FIELDS = ("started", "finished", "cache_key", "reused_from", "metrics", "error", "outputs")


class StepEvents:
    """This process's writer of step events (a thread started at the first event)."""

    def __init__(self, app: Flask, lock: threading.Lock):
        self.app, self._lock = app, lock  # the lock: this process's one SQLite writer
        self._queue: queue.Queue = queue.Queue()
        self._pending: Counter[str] = Counter()  # run id: events reported, not yet written
        self._written = threading.Condition()
        self._flushing = 0  # flush calls waiting: no lingering meanwhile
        self._hurry = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, run_id: str, node_id: str, status: str, info: dict) -> None:
        """Queue one event of a step (any thread)."""
        with self._written:
            self._pending[run_id] += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="step-events",
                                                daemon=True)
                self._thread.start()
        self._queue.put((run_id, node_id, status, info))

    def flush(self, run_id: str, timeout: float = 60.0) -> None:
        """Wait until every event reported for ``run_id`` is written."""
        with self._written:
            self._flushing += 1
            self._hurry.set()
            try:
                if not self._written.wait_for(lambda: not self._pending[run_id], timeout):
                    log.warning("run %s: %s step events still unwritten after %s s", run_id,
                                self._pending[run_id], timeout)
            finally:
                self._flushing -= 1
                if not self._flushing:
                    self._hurry.clear()
            del self._pending[run_id]

    def stop(self) -> None:
        """Write what is queued, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._hurry.set()
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            if batch[-1] is not None:
                self._hurry.wait(LINGER)  # set: a run waits for its events to end
            while batch[-1] is not None and len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            events = [e for e in batch if e is not None]
            try:
                self._write(events)
            finally:
                with self._written:
                    self._pending.subtract(run_id for run_id, *_ in events)
                    self._written.notify_all()
            if batch[-1] is None:
                return

    def _write(self, events: list[tuple]) -> None:
        """All of ``events`` in one transaction; one at a time when that fails (each failure
        is logged and the others are kept)."""
        with self._lock, self.app.app_context():
            try:
                self._apply(events)
                db.session.commit()
            except Exception:
                db.session.rollback()
                for event in events:
                    try:
                        self._apply([event])
                        db.session.commit()
                    except Exception:
                        log.exception("step event %s could not be written", event[:3])
                        db.session.rollback()
            finally:
                db.session.remove()

    def _apply(self, events: list[tuple]) -> None:
        """Write ``events``: one UPDATE a step (its last status and fields, its log lines
        appended) and one INSERT of all the events, without loading any row."""
        changes: dict[tuple[str, str], dict] = {}
        rows = []
        for run_id, node_id, status, info in events:
            change = changes.setdefault((run_id, node_id), {"lines": []})
            if status == LOG:
                change["lines"].append(info["line"] + "\n")
                data = {"line": info["line"]}
            else:
                change["status"] = status
                change.update((name, info[name]) for name in STEP_FIELDS if name in info)
                data = {k: info[k] for k in ("reused_from", "metrics") if info.get(k)}
                if info.get("error"):
                    data["error"] = {k: info["error"][k] for k in ("type", "message")}
            rows.append({"run_id": run_id, "node_id": node_id, "status": status, "data": data})
        connection = db.session.connection()
        for (run_id, node_id), change in changes.items():
            if lines := change.pop("lines"):
                change["log"] = func.coalesce(_STEPS.c.log, "") + "".join(lines)
            updated = connection.execute(
                _STEPS.update().where(_STEPS.c.run_id == run_id, _STEPS.c.node_id == node_id)
                .values(change)).rowcount
            if updated != 1:
                raise LookupError(f"run {run_id} has no step {node_id!r}")
        add_events(rows)
