"""Caps on open live-update streams, so no user (nor all of them) can hold every server thread."""

from __future__ import annotations

import threading
from collections import Counter

from ..errors import AppError


class TooManyStreams(AppError):
    """A live-update stream refused: the page polls instead."""

    status = 429
    title = "too many live-update streams"


class StreamSlots:
    """Counts open streams per principal and overall; ``acquire`` refuses past the caps."""

    def __init__(self):
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def acquire(self, who: str, per_user: int, overall: int) -> Slot:
        """A slot for one stream of ``who``, or TooManyStreams (429)."""
        with self._lock:
            if self._open[who] >= per_user:
                raise TooManyStreams(
                    f"{who} already has {self._open[who]} live-update streams open (the limit "
                    f"is {per_user} per user); this page checks for updates every few seconds "
                    "instead.", limit=per_user)
            if self._open.total() >= overall:
                raise TooManyStreams(
                    f"The server already has {self._open.total()} live-update streams open (the "
                    f"limit is {overall}); this page checks for updates every few seconds "
                    "instead.", limit=overall)
            self._open[who] += 1
        return Slot(self, who)

    def _release(self, who: str) -> None:
        with self._lock:
            self._open[who] -= 1
            if self._open[who] <= 0:
                del self._open[who]

    def open_count(self) -> int:
        """Streams open right now."""
        with self._lock:
            return self._open.total()


class Slot:
    """One open stream; ``release`` (idempotent) gives the slot back."""

    def __init__(self, slots: StreamSlots, who: str):
        self._slots, self._who = slots, who
        self._released = False
        self._lock = threading.Lock()

    def release(self) -> None:
        """Give the slot back, once."""
        with self._lock:
            if self._released:
                return
            self._released = True
        self._slots._release(self._who)
