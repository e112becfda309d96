"""Notices between the parts that submit, cancel, execute and watch runs.

A queued run, a cancel request and each run event are announced inside the transaction that
records them and heard once it commits: in this process through an in-process signal; on
PostgreSQL through NOTIFY on a channel named after the schema, so servers and workers in other
processes hear them at once; on a SQLite file through a Unix datagram socket of each listening
process of the machine (`designer serve --processes`, `designer worker`), in a folder named
after the database. Every listener keeps polling as a fallback, so a lost notice only delays;
it never loses work.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

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
        self._neighbours: Neighbours | None | bool = False  # False: not looked at yet
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    # -- announcing ------------------------------------------------------------------------
    def announce(self, kind: str, value: str = "") -> None:
        """Tell every process ``kind`` happened to ``value`` once this transaction commits."""
        if self.channel is None:
            self.neighbours  # noqa: B018 - looked up here, where the app's engine is at hand
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

    @property
    def neighbours(self) -> Neighbours | None:
        """The other processes on a SQLite file of this machine; None on other databases."""
        if self._neighbours is False:
            self._neighbours = None
            if db.engine.dialect.name == "sqlite" and hasattr(socket, "AF_UNIX"):
                self._neighbours = Neighbours.of(db.engine.url.database)
        return self._neighbours

    def committed(self, kind: str, value: str) -> None:
        """A notice's transaction committed (SQLite): hear it here, and tell the neighbours."""
        self.hear(kind, value)
        if self._neighbours:
            self._neighbours.tell(kind, value)

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
        if self._neighbours:
            self._neighbours.wake()
        if self._listener is not None:
            self._listener.join(timeout=5)

    def _listen(self) -> None:
        """Start the thread that hears other processes (LISTEN on PostgreSQL, a datagram
        socket on a SQLite file), once."""
        with self.app.app_context():
            channel, neighbours = self.channel, self.neighbours
        if channel is None and neighbours is None:
            return
        with self._lock:
            if self._listener is not None:
                return
            loop = self._listen_loop if channel else self._neighbours_loop
            self._listener = threading.Thread(target=loop, name="notices", daemon=True)
        self._listener.start()

    # -- the SQLite listener ---------------------------------------------------------------
    def _neighbours_loop(self) -> None:
        neighbours = self._neighbours
        assert neighbours
        try:
            neighbours.open()
        except OSError as exc:
            log.warning("no notices from other processes (%s): they are polled", exc)
            return
        try:
            self.hear(NEW_RUN, "")  # runs queued while nobody listened are claimed now
            while not self._stop.is_set():
                heard = neighbours.receive()
                if heard is not None:
                    self.hear(*heard)
        finally:
            neighbours.close()

    # -- the PostgreSQL listener -----------------------------------------------------------

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
    add_events([{"run_id": run_id, "node_id": node_id, "status": status, "data": data or {}}])


def add_events(events: list[dict]) -> None:
    """Record run events (dicts of run_id, node_id, status, data) in one statement, and
    announce each of their runs once."""
    created = now()
    db.session.connection().execute(_INSERT_EVENT, [e | {"created": created} for e in events])
    for run_id in dict.fromkeys(e["run_id"] for e in events):
        notices().announce(EVENT, run_id)


@event.listens_for(Session, "before_commit")
def _notify(session: Session) -> None:
    """PostgreSQL: NOTIFY this transaction's notices in one statement, each once (a batch of
    step events announces its run many times). They are delivered when it commits, to every
    listening process, this one included."""
    pending = session.info.get(_PENDING)
    if not pending or not any(owner._channel for owner, *_ in pending):
        return
    notify = [func.pg_notify(owner._channel, f"{kind}:{value}")
              for owner, kind, value in dict.fromkeys(pending) if owner._channel]
    session.info[_PENDING] = [p for p in pending if not p[0]._channel]
    session.execute(select(*notify))


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for owner, kind, value in dict.fromkeys(session.info.pop(_PENDING, ())):
        owner.committed(kind, value)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit
        session.info.pop(_PENDING, None)


class Neighbours:
    """The processes of this machine on one SQLite file that listen for notices: each binds a
    Unix datagram socket in a folder of the system's temporary folder named after the file
    (private to its user); a notice is one datagram sent to every socket there but one's own.
    A socket nobody holds any more (its process died) is removed by the next sender."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._socket: socket.socket | None = None

    @classmethod
    def of(cls, database: str | None) -> Neighbours | None:
        """The neighbours of a SQLite file (None for a database in memory)."""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        key = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:16]
        folder = Path(tempfile.gettempdir()) / f"designer-notices-{key}"
        try:
            if folder.stat().st_uid != os.getuid():
                log.warning("%s belongs to another user: other processes are polled", folder)
                return None
        except FileNotFoundError:
            pass  # the first listener makes it
        return cls(folder)

    def open(self) -> None:
        """Bind this process's socket (it hears from now on)."""
        self.folder.mkdir(mode=0o700, exist_ok=True)
        if self.folder.stat().st_uid != os.getuid():
            raise OSError(f"{self.folder} belongs to another user")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(str(self.folder / self.name))
        listener.settimeout(1.0)
        self._socket = listener

    def receive(self) -> tuple[str, str] | None:
        """The next notice (kind, value), or None after a second without one."""
        assert self._socket is not None
        try:
            data = self._socket.recv(1024)
        except TimeoutError:
            return None
        kind, _, value = data.decode("utf-8", "replace").partition(":")
        return (kind, value) if kind != "wake" else None

    def tell(self, kind: str, value: str) -> None:
        """Send a notice to every other listening process."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        self._send([name for name in names if name != self.name], f"{kind}:{value}".encode())

    def wake(self) -> None:
        """Make this process's receive() return now (stopping)."""
        if self._socket is not None:
            self._send([self.name], b"wake:")

    def _send(self, names: list[str], message: bytes) -> None:
        if not names:
            return
        try:
            sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        except OSError:  # no Unix datagram sockets here: the others poll
            return
        with sender:
            sender.setblocking(False)  # a full queue drops the notice: the poll catches up
            for name in names:
                path = self.folder / name
                try:
                    sender.sendto(message, str(path))
                except (ConnectionRefusedError, FileNotFoundError):
                    path.unlink(missing_ok=True)  # left by a process that is gone
                except OSError:
                    pass  # its queue is full: it is busy hearing, and polls as well

    def close(self) -> None:
        """Stop hearing and remove this process's socket."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            (self.folder / self.name).unlink(missing_ok=True)
            try:
                self.folder.rmdir()  # the last one out
            except OSError:
                pass  # others listen still
