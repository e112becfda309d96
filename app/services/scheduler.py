"""The scheduler: a daemon thread that fires due schedules and polls new-data triggers.

Every process may run one; the database claims make sure a slot starts one run. The clock is
injectable, so tests step through time with ``tick(now)`` instead of waiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask

from . import schedules
from .triggers import Watcher

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


class Scheduler:
    """Fires this process's share of schedules and triggers every ``every`` seconds."""

    def __init__(self, app: Flask, every: float, grace: float,
                 clock: Callable[[], datetime] = utc_now):
        self.app, self.every, self.clock = app, every, clock
        self.grace = timedelta(seconds=grace)
        self.watcher = Watcher()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Tick in a background thread until stopped."""
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking (a tick under way finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def tick(self, now: datetime | None = None) -> list[dict]:
        """Fire what is due at ``now`` (default: the clock); the fires, as JSON."""
        now = now or self.clock()
        with self.app.app_context():
            fires = schedules.fire_due(now, self.grace) + self.watcher.poll(now)
            return [schedules.fire_dict(f) for f in fires]

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            self._stop.wait(self.every)
