"""Notices between the parts that submit, cancel, execute and watch runs.

A queued run, a cancel request and each run event are announced inside the transaction that
records them and heard once it commits: in this process through an in-process signal, and on
PostgreSQL through NOTIFY on a channel named after the schema, so servers and workers in other
processes hear them at once. Every listener keeps polling as a fallback, so a lost notice only
delays; it never loses work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import RunEvent, now

log = logging.getLogger(__name__)
NEW_RUN, CANCEL, EVENT = "new-run", "cancel", "event"
_PENDING = "designer.notices"  # Session.info key: notices waiting for the commit
RECONNECT_SECONDS = 2.0


class Notices:
    """One per app: announces notices and hands the ones heard to subscribers and watchers."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[str, str], None]] = []
        self._watchers: dict[str, set[threading.Event]] = {}
        self._channel: str | None = None
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    # -- announcing ------------------------------------------------------------------------
    def announce(self, kind: str, value: str = "") -> None:
        """Tell every process ``kind`` happened to ``value`` once this transaction commits."""
        if self.channel:
            db.session.execute(select(func.pg_notify(self.channel, f"{kind}:{value}")))
        else:
            db.session.info.setdefault(_PENDING, []).append((self, kind, value))

    @property
    def channel(self) -> str | None:
        """The NOTIFY channel on PostgreSQL (one per schema); None elsewhere."""
        if self._channel is None and db.engine.dialect.name == "postgresql":
            # On the session's own connection: a request holding one that asked the pool for
            # a second could wait for ever once as many requests did the same (the first
            # burst of submits to a new server waited out the pool's 30 s).
            schema = db.session.scalar(text("SELECT current_schema()"))
            self._channel = f"designer_{schema}"[:63]
        return self._channel

    # -- hearing ---------------------------------------------------------------------------
    def subscribe(self, handler: Callable[[str, str], None]) -> None:
        """Call ``handler(kind, value)`` for every notice heard (from a listener thread)."""
        with self._lock:
            self._subscribers.append(handler)
        self._listen()

    @contextmanager
    def watching(self, kind: str, value: str) -> Iterator[threading.Event]:
        """An event set whenever ``kind`` of ``value`` is heard, while the block lasts."""
        woken = threading.Event()
        topic = f"{kind}:{value}"
        with self._lock:
            self._watchers.setdefault(topic, set()).add(woken)
        self._listen()
        try:
            yield woken
        finally:
            with self._lock:
                watchers = self._watchers.get(topic, set())
                watchers.discard(woken)
                if not watchers:
                    self._watchers.pop(topic, None)

    def hear(self, kind: str, value: str) -> None:
        """Deliver a notice to this process's subscribers and watchers."""
        with self._lock:
            subscribers = list(self._subscribers)
            for woken in self._watchers.get(f"{kind}:{value}", ()):
                woken.set()
        for handler in subscribers:
            try:
                handler(kind, value)
            except Exception:
                log.exception("a handler of notice %s:%s failed", kind, value)

    def stop(self) -> None:
        """Stop listening and wait for the listener to close its connection."""
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)

    # -- the PostgreSQL listener -----------------------------------------------------------
    def _listen(self) -> None:
        """Start the LISTEN thread on PostgreSQL, once."""
        with self.app.app_context():
            if self.channel is None:
                return
        with self._lock:
            if self._listener is not None:
                return
            self._listener = threading.Thread(target=self._listen_loop, name="notices",
                                              daemon=True)
        self._listener.start()

    def _listen_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen_once()
            except Exception as exc:
                log.warning("LISTEN on %s failed (%s); polling until it is back", self.channel,
                            exc)
            self._stop.wait(RECONNECT_SECONDS)

    def _listen_once(self) -> None:
        """Hear notices on one dedicated connection until it breaks or the app stops."""
        with self.app.app_context():
            pooled = db.engine.raw_connection()
        connection = pooled.driver_connection
        pooled.detach()  # this connection never goes back to the pool
        try:
            connection.autocommit = True
            connection.execute(f'LISTEN "{self.channel}"')
            self.hear(NEW_RUN, "")  # runs queued while nobody listened are claimed now
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=1.0):
                    kind, _, value = notice.payload.partition(":")
                    self.hear(kind, value)
        finally:
            connection.close()


def notices() -> Notices:
    """The notices of the current app."""
    return current_app.extensions["designer"].notices


_INSERT_EVENT = RunEvent.__table__.insert()  # built once: events are written often


def add_event(run_id: str, status: str, node_id: str | None = None,
              data: dict | None = None) -> None:
    """Record a run event and announce it to the pages watching that run."""
    db.session.connection().execute(_INSERT_EVENT, {
        "run_id": run_id, "node_id": node_id, "status": status, "data": data or {},
        "created": now()})
    notices().announce(EVENT, run_id)


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for owner, kind, value in session.info.pop(_PENDING, ()):
        owner.hear(kind, value)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit
        session.info.pop(_PENDING, None)
