"""Execution backends: anything with ``submit_step(task, emit, token) -> Future`` and
``shutdown()``."""

from __future__ import annotations

BACKENDS = ("process", "local", "dask")


def make_backend(url: str, workers: int = 2, dask_address: str = "local"):
    """The backend named by ``url``: ``process`` (a pool of worker processes), ``local``
    (threads in this process) or ``dask`` (the cluster at ``dask_address``; ``local`` starts
    a cluster of ``workers`` processes)."""
    if url in ("", "process"):
        from .process import ProcessBackend

        return ProcessBackend(workers)
    if url == "local":
        from .local import LocalBackend

        return LocalBackend(workers)
    if url == "dask":
        try:
            from .dask_cluster import DaskBackend
        except ImportError as exc:
            raise ValueError("The 'dask' executor needs the dask extra: "
                             "pip install 'pipeline-designer[dask]'.") from exc
        return DaskBackend(dask_address, workers)
    raise ValueError(f"Unknown executor {url!r}: this version supports "
                     f"{', '.join(repr(b) for b in BACKENDS)}.")
