"""Execution backends: anything with ``submit(fn, *args) -> Future`` and ``shutdown()``."""

from __future__ import annotations


def make_backend(url: str, workers: int = 2):
    """The backend named by ``url``; only ``local`` (threads in this process) exists so far."""
    if url in ("", "local"):
        from .local import LocalBackend

        return LocalBackend(workers)
    raise ValueError(f"Unknown executor {url!r}: this version supports 'local' only.")
