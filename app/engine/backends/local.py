"""The in-process backend: a thread pool shared by every run of this process."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor


class LocalBackend:
    """Runs steps on ``workers`` threads; independent branches overlap."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="step")

    def submit(self, fn, *args) -> Future:
        """Schedule ``fn(*args)``."""
        return self._pool.submit(fn, *args)

    def shutdown(self) -> None:
        """Stop accepting work and wait for running steps."""
        self._pool.shutdown(wait=True)
