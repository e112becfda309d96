"""Execution backends: anything with ``submit_step(task, emit, token) -> Future`` and
``shutdown()``."""

from __future__ import annotations

BACKENDS = ("process", "local")


def make_backend(url: str, workers: int = 2):
    """The backend named by ``url``: ``process`` (a pool of worker processes) or ``local``
    (threads in this process)."""
    if url in ("", "process"):
        from .process import ProcessBackend

        return ProcessBackend(workers)
    if url == "local":
        from .local import LocalBackend

        return LocalBackend(workers)
    raise ValueError(f"Unknown executor {url!r}: this version supports "
                     f"{' and '.join(repr(b) for b in BACKENDS)}.")
