"""The in-process backend: up to ``workers`` steps at once, each on a thread of its own."""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future

from threadpoolctl import ThreadpoolController

from ..context import CancelToken
from ..steps import CANCELED, FAILED, StepTask, run_step, stopped
from .budget import NativeBudget


class LocalBackend:
    """Runs steps in this process; independent branches overlap.

    Learners such as the boosted trees run OpenMP thread teams inside a step, and that shapes
    two choices here (measured with the boosted-tree fit of the Income sample on 2 cores):

    - OpenMP keeps a team for every thread that ever ran a parallel region, and once the teams
      hold more threads than there are cores, every parallel region in the process waits in the
      kernel instead of spinning: the fit took 1.3 s instead of 0.27 s. A step therefore runs
      on a fresh thread that ends with it, so only running steps own teams.
    - The steps running at a given moment share ``native_threads`` OpenMP threads (see
      NativeBudget).

    A thread cannot be stopped: Cancel and the time limits take effect at the step's
    cancellation checks, and the memory limit is not enforced (the process backend does both).
    """

    def __init__(self, workers: int = 2, native_threads: int | None = None):
        self.workers = workers
        self.budget = NativeBudget(native_threads)
        self._lock = threading.Condition()
        self._queue: deque = deque()
        self._threads: set[threading.Thread] = set()
        self._closed = False

    def submit_step(self, task: StepTask, emit, token: CancelToken) -> Future:
        """Run a step on a thread; its time limits stop it at its cancellation checks."""
        return self.submit(_run_limited, task, emit, token)

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
        return self.budget.threads

    @property
    def controller(self) -> ThreadpoolController:
        """Native thread pools loaded in this process."""
        return self.budget.controller

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
        share = self.budget.acquire()
        try:
            # OpenMP's thread count is per calling thread, so this limit touches this step only.
            with self.controller.limit(limits=share, user_api="openmp"):
                return fn(*args)
        finally:
            self.budget.release()


class _LimitedToken(CancelToken):
    """A step's view of its run's token: also set once one of the step's time limits passed."""

    def __init__(self, token: CancelToken, task: StepTask):
        super().__init__()
        self.run_token, self.task = token, task
        self.started = time.monotonic()
        self.exceeded: str | None = None

    @property
    def cancelled(self) -> bool:
        """True once the run was canceled or the step ran out of time."""
        if self.exceeded is None:
            self.exceeded = self.task.limits.time_exceeded(self.started, self.task.deadline,
                                                           time.monotonic())
        return self.exceeded is not None or self.run_token.cancelled


def _run_limited(task: StepTask, emit, token: CancelToken) -> dict:
    """run_step, failing the step with the limit's message when a time limit stopped it."""
    limited = _LimitedToken(token, task)
    outcome = run_step(task, emit, limited)
    if outcome["status"] == CANCELED and limited.exceeded:
        return stopped(FAILED, limited.exceeded, task, outcome.get("started"))
    return outcome
