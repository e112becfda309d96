"""Engine fixtures: an artifact store, and each backend the executor's tests run on (the Dask
one is the session's cluster, see tests/conftest.py)."""

import pytest

from app.engine.artifacts import ArtifactStore
from app.engine.backends import BACKENDS, make_backend
from tests.conftest import ON_DASK


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture(params=[pytest.param(b, marks=ON_DASK) if b == "dask" else b for b in BACKENDS])
def backend(request):
    """Each backend in turn: threads, worker processes, the session's Dask cluster."""
    if request.param == "dask":
        yield request.getfixturevalue("dask_backend")
        return
    b = make_backend(request.param, 2)
    yield b
    b.shutdown()
