"""The OpenMP thread budget the steps running at a given moment share."""

from __future__ import annotations

import threading

from threadpoolctl import ThreadpoolController


class NativeBudget:
    """``threads`` OpenMP threads split among running steps: a step alone gets them all, a
    step starting beside others gets its share, and keeps the share it started with.

    By default the budget is what OpenMP would use in this process (which honours
    ``OMP_NUM_THREADS``), read at the first step: the modules, and the OpenMP runtime they
    load, are imported by then.
    """

    def __init__(self, threads: int | None = None):
        self._threads = threads
        self._controller: ThreadpoolController | None = None
        self._lock = threading.Lock()
        self._active = 0

    @property
    def threads(self) -> int:
        """The OpenMP thread budget shared by the running steps."""
        if self._threads is None:
            teams = self.controller.select(user_api="openmp").lib_controllers
            self._threads = max([lib.num_threads for lib in teams] or [1])
        return self._threads

    @property
    def controller(self) -> ThreadpoolController:
        """Native thread pools loaded in this process."""
        with self._lock:
            if self._controller is None:
                self._controller = ThreadpoolController()
            return self._controller

    def acquire(self) -> int:
        """Count a step as running; the OpenMP threads it may use."""
        budget = self.threads
        with self._lock:
            self._active += 1
            return max(1, budget // self._active)

    def inherit(self) -> int:
        """The OpenMP threads of a step that takes over the running count of the step it
        follows (that one's ``release`` is then not called)."""
        budget = self.threads
        with self._lock:
            return max(1, budget // max(self._active, 1))

    def release(self) -> None:
        """A step stopped running."""
        with self._lock:
            self._active -= 1
