"""The in-process backend: up to ``workers`` steps at once, each on a thread of its own."""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future

from threadpoolctl import ThreadpoolController


class LocalBackend:
    """Runs steps in this process; independent branches overlap.

    Learners such as the boosted trees run OpenMP thread teams inside a step, and that shapes
    two choices here (measured with the boosted-tree fit of the Income sample on 2 cores):

    - OpenMP keeps a team for every thread that ever ran a parallel region, and once the teams
      hold more threads than there are cores, every parallel region in the process waits in the
      kernel instead of spinning: the fit took 1.3 s instead of 0.27 s. A step therefore runs
      on a fresh thread that ends with it, so only running steps own teams.
    - The steps running at a given moment share ``native_threads`` OpenMP threads (by default
      what OpenMP would use, which honours ``OMP_NUM_THREADS``): a step alone gets them all,
      a step starting beside another gets its share. A step keeps the share it started with.
    """

    def __init__(self, workers: int = 2, native_threads: int | None = None):
        self.workers = workers
        self._native = native_threads
        self._controller: ThreadpoolController | None = None
        self._lock = threading.Condition()
        self._queue: deque = deque()
        self._threads: set[threading.Thread] = set()
        self._active = 0  # steps inside their module call
        self._closed = False

    def submit(self, fn, *args) -> Future:
        """Schedule ``fn(*args)``; it starts when fewer than ``workers`` steps are running."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the backend is shut down")
            self._queue.append((future, fn, args))
            self._start_ready()
        return future

    def shutdown(self) -> None:
        """Stop accepting work and wait for queued and running steps."""
        with self._lock:
            self._closed = True
            self._lock.wait_for(lambda: not self._queue and not self._threads)

    @property
    def native_threads(self) -> int:
        """The OpenMP thread budget shared by the running steps."""
        if self._native is None:
            teams = self.controller.select(user_api="openmp").lib_controllers
            self._native = max([lib.num_threads for lib in teams] or [1])
        return self._native

    @property
    def controller(self) -> ThreadpoolController:
        """Native thread pools loaded in this process, inspected at the first step (the
        modules, and the OpenMP runtime they load, are imported by then)."""
        with self._lock:
            if self._controller is None:
                self._controller = ThreadpoolController()
            return self._controller

    def _start_ready(self) -> None:
        """Start a thread for each queued step that has a free worker (lock held)."""
        while self._queue and len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, args=self._queue.popleft(),
                                      name="step", daemon=True)
            self._threads.add(thread)
            thread.start()

    def _work(self, future: Future, fn, args) -> None:
        try:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(self._call(fn, args))
                except BaseException as exc:  # handed to whoever waits on the future
                    future.set_exception(exc)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
                self._start_ready()
                self._lock.notify_all()

    def _call(self, fn, args):
        budget = self.native_threads
        with self._lock:
            self._active += 1
            share = max(1, budget // self._active)
        try:
            # OpenMP's thread count is per calling thread, so this limit touches this step only.
            with self.controller.limit(limits=share, user_api="openmp"):
                return fn(*args)
        finally:
            with self._lock:
                self._active -= 1
