"""Engine fixtures: an artifact store, and each backend the executor's tests run on.

The Dask backend's LocalCluster is started once per test session (worker processes take
seconds to start); each test waits until all its workers are up, since a test may have
restarted one.
"""

import pytest

from app.engine.artifacts import ArtifactStore
from app.engine.backends import BACKENDS, make_backend
from tests.conftest import missing

DASK_WORKERS = 2


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture(scope="session")
def dask_backend():
    """One local Dask cluster of two single-threaded worker processes for the session."""
    try:
        from app.engine.backends.dask_cluster import DaskBackend
    except ImportError:
        missing("distributed is not installed (the dask extra)")
    b = DaskBackend("local", DASK_WORKERS)
    yield b
    b.shutdown()


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each backend in turn: threads, worker processes, the session's Dask cluster."""
    if request.param == "dask":
        b = request.getfixturevalue("dask_backend")
        b.client.wait_for_workers(DASK_WORKERS, timeout=60)
        yield b
        return
    b = make_backend(request.param, 2)
    yield b
    b.shutdown()
