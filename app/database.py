"""The database schema: brought to the newest migration whenever the app starts.

Revisions live in app/migrations/versions. A database made by a build from before migrations
existed (tables, no ``alembic_version``) is taken to be at the first revision, then upgraded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
_LOCK = 7_305_112  # PostgreSQL advisory lock: one process migrates at a time
WRITE_LOCK = threading.Lock()  # this process's writers to SQLite, one at a time
_WRITER_FILES: dict[tuple[str, int], int] = {}  # (database file, pid) -> lock file descriptor


@contextmanager
def writing(engine: Engine) -> Iterator[None]:
    """Hold the block's writes and commit as the only SQLite writer of this process, and of
    every process on the database file (`designer serve --processes`, `designer worker`).

    SQLite lets one connection write at a time; the others wait in its busy handler, which
    sleeps up to 100 ms between tries while the lock may long be free. Queuing the threads on
    a lock, and the processes on an flock of a file beside the database, instead hands the
    database over at once. PostgreSQL locks rows: nothing to do.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    with WRITE_LOCK, _other_processes(engine):
        yield


class Writer:
    """``with writer:`` around the executing side's writes (claims, step events, a run's end):
    this process's writer lock on every database, and on a SQLite file also the lock file that
    the writers of every process queue on (see ``writing``)."""

    def __init__(self, app):
        self.app = app
        self._engine: Engine | None = None
        self._held: ExitStack | None = None  # the locks taken (one holder: WRITE_LOCK)

    def __enter__(self) -> None:
        if self._engine is None:
            from .extensions import db

            with self.app.app_context():
                self._engine = db.engine
        with ExitStack() as locks:
            locks.enter_context(WRITE_LOCK)
            locks.enter_context(_other_processes(self._engine))
            self._held = locks.pop_all()

    def __exit__(self, *exc) -> None:
        held, self._held = self._held, None
        held.__exit__(*exc)


@contextmanager
def _other_processes(engine: Engine) -> Iterator[None]:
    """Hold the lock file of a SQLite database against the writers of other processes (no-op
    on other databases, in memory, and where flock does not exist)."""
    descriptor = (_writer_file(engine.url.database) if engine.dialect.name == "sqlite"
                  else None)
    if descriptor is None:
        yield
        return
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


def _writer_file(database: str | None) -> int | None:
    """This process's descriptor of the database's writer lock file; None for a database in
    memory, or where flock does not exist (Windows: the busy handler alone then)."""
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = (database, os.getpid())  # a forked process opens its own: flock is per open file
    if key not in _WRITER_FILES:
        _WRITER_FILES[key] = os.open(f"{database}-writer", os.O_RDWR | os.O_CREAT, 0o600)
    return _WRITER_FILES[key]


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, without an .ini file, running on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        tables = set(inspect(connection).get_table_names())
        config = alembic_config(connection)
        if not tables:
            # A new database: the tables as the models declare them, which is what running
            # every revision gives (tests/test_database.py checks that), only quicker.
            from . import models  # noqa: F401 - registers the tables

            models.db.metadata.create_all(connection)
            command.stamp(config, "head")
            return
        if "alembic_version" not in tables:
            command.stamp(config, BASELINE)
            log.info("database from before migrations: taken to be at revision %s", BASELINE)
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
        if after != before:
            log.info("database schema upgraded from revision %s to %s", before, after)


def current(engine: Engine) -> str:
    """The revision the database is at."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() or "(none)"


def head() -> str:
    """The newest revision."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def revision(engine: Engine, message: str) -> None:
    """Write a new revision with the differences between the models and the database."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
