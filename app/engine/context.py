"""The object a running module receives: its log, cancellation and datastores."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .datastores import Datastores
from .outbound import OutboundPolicy


class Cancelled(Exception):  # noqa: N818 - reads as a state, like asyncio.CancelledError
    """Raised inside a step when its run was canceled."""


class ModuleError(Exception):
    """A problem a module reports to the user (bad data, missing column): no traceback noise."""


class CancelToken:
    """Shared by every step of a run; set once to cancel.

    ``event`` is anything with ``set()`` and ``is_set()``: a worker process passes a
    multiprocessing Event its parent sets.
    """

    def __init__(self, event=None):
        self._event = event if event is not None else threading.Event()

    def cancel(self) -> None:
        """Ask every step of the run to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._event.is_set()


@dataclass(frozen=True)
class Limits:
    """What a run, each of its steps and the modules may use (None: unlimited); plain data,
    so it travels to a worker process."""

    run_seconds: float | None = None
    step_seconds: float | None = None
    step_memory_mb: int | None = None
    sql_seconds: float = 60.0  # one Apply SQL Transformation script
    sql_max_rows: int = 5_000_000  # rows of its result
    sql_max_bytes: int = 1024**3  # its result in memory, and the tables it may create

    def as_dict(self) -> dict:
        """JSON form, as the run API shows it."""
        return dataclasses.asdict(self)

    def run_message(self) -> str:
        """What a step stopped by the run's time limit, and the run, report."""
        return f"Run exceeded the time limit of {self.run_seconds:g} seconds (DESIGNER_RUN_SECONDS)"

    def time_exceeded(self, started: float, deadline: float | None, now: float) -> str | None:
        """The message of the time limit a step started at ``started`` is past, or None."""
        if self.step_seconds is not None and now - started > self.step_seconds:
            return (f"Step exceeded the time limit of {self.step_seconds:g} seconds "
                    f"(DESIGNER_STEP_SECONDS)")
        if deadline is not None and now > deadline:
            return self.run_message()
        return None

    def memory_exceeded(self, rss_bytes: int) -> str | None:
        """The memory limit message when ``rss_bytes`` is above it, or None."""
        if self.step_memory_mb is not None and rss_bytes > self.step_memory_mb * 1024 * 1024:
            return (f"Step exceeded the memory limit of {self.step_memory_mb} MB "
                    f"(DESIGNER_STEP_MEMORY_MB)")
        return None


class StepContext:
    """Per-step services: ``log`` lines (the step's log), ``check_cancelled``, ``resolve``,
    ``outbound``, and the ``limits`` the module must keep to."""

    def __init__(
        self,
        node_id: str,
        datastores: Datastores | None = None,
        token: CancelToken | None = None,
        on_log: Callable[[str, str], None] | None = None,
        run_id: str | None = None,
        limits: Limits | None = None,
        store=None,
        deadline: float | None = None,
    ):
        self.node_id = node_id
        self.store = store  # the ArtifactStore: saved models and transformations are read from it
        self.run_id = run_id
        self.limits = limits or Limits()
        self.datastores = datastores if datastores is not None else Datastores({})
        self.token = token or CancelToken()
        self.lines: list[str] = []
        self._on_log = on_log
        self._start = time.monotonic()
        self.deadline = deadline  # time.monotonic() at which the run's time is up

    def time_exceeded(self) -> str | None:
        """The message of the step or run time limit this step is past, or None."""
        return self.limits.time_exceeded(self._start, self.deadline, time.monotonic())

    def log(self, message: str) -> None:
        """Append a line to the step's log."""
        line = f"[{time.monotonic() - self._start:7.3f}s] {message}"
        self.lines.append(line)
        if self._on_log:
            self._on_log(self.node_id, line)

    def check_cancelled(self) -> None:
        """Raise Cancelled if the run was canceled; call between chunks of long work."""
        if self.token.cancelled:
            raise Cancelled(f"step {self.node_id} canceled")

    @property
    def outbound(self) -> OutboundPolicy:
        """What this run may fetch from the network (allow-list, size and time limits)."""
        return self.datastores.outbound

    def saved(self, key: str, what: str):
        """An object an earlier run stored (a trained model, a transformation) by its key."""
        from .artifacts import ArtifactRef

        ref = ArtifactRef(str(key), "joblib")
        if self.store is None or not re.fullmatch(r"[0-9a-f]{64}", ref.key) \
                or not self.store.exists(ref):
            raise ModuleError(f"The saved {what} {str(key)[:80]!r} is not in this server's "
                              "artifact store (it may have been deleted).")
        return self.store.get(ref)

    def resolve(self, datastore: str, path: str) -> Path:
        """The absolute path of ``path`` inside ``datastore``; refuses anything escaping it."""
        return self.datastores.resolve(datastore, path)
