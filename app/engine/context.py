"""The object a running module receives: its log, cancellation and datastores."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from .datastores import Datastores
from .outbound import OutboundPolicy


class Cancelled(Exception):  # noqa: N818 - reads as a state, like asyncio.CancelledError
    """Raised inside a step when its run was canceled."""


class ModuleError(Exception):
    """A problem a module reports to the user (bad data, missing column): no traceback noise."""


class CancelToken:
    """Shared by every step of a run; set once to cancel."""

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask every step of the run to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._event.is_set()


class StepContext:
    """Per-step services: ``log`` lines (the step's log), ``check_cancelled``, ``resolve``,
    ``outbound``."""

    def __init__(
        self,
        node_id: str,
        datastores: Datastores | None = None,
        token: CancelToken | None = None,
        on_log: Callable[[str, str], None] | None = None,
        run_id: str | None = None,
    ):
        self.node_id = node_id
        self.run_id = run_id
        self.datastores = datastores if datastores is not None else Datastores({})
        self.token = token or CancelToken()
        self.lines: list[str] = []
        self._on_log = on_log
        self._start = time.monotonic()

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

    def resolve(self, datastore: str, path: str) -> Path:
        """The absolute path of ``path`` inside ``datastore``; refuses anything escaping it."""
        return self.datastores.resolve(datastore, path)
