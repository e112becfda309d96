"""The local backend shares OpenMP threads among the steps running at once."""

import threading
import time

import pytest
import sklearn.ensemble  # noqa: F401 - loads the OpenMP runtime the learners use
from threadpoolctl import ThreadpoolController

from app.engine.backends.local import LocalBackend


def omp_threads() -> int:
    """What an OpenMP parallel region started by the calling thread would use."""
    return ThreadpoolController().select(user_api="openmp").info()[0]["num_threads"]


@pytest.fixture
def backend():
    b = LocalBackend(2, native_threads=2)
    yield b
    b.shutdown()


def test_a_step_alone_gets_the_whole_budget(backend):
    assert backend.submit(omp_threads).result(timeout=10) == 2


def test_a_step_starting_beside_another_gets_its_share_and_the_budget_returns(backend):
    first_running, release = threading.Event(), threading.Event()

    def first():
        seen = omp_threads()
        first_running.set()
        release.wait(timeout=10)
        return seen

    a = backend.submit(first)
    assert first_running.wait(timeout=10)
    b = backend.submit(omp_threads)
    assert b.result(timeout=10) == 1
    release.set()
    assert a.result(timeout=10) == 2
    assert backend.submit(omp_threads).result(timeout=10) == 2


def test_the_default_budget_is_what_openmp_would_use():
    b = LocalBackend(2)
    try:
        assert b.native_threads == omp_threads()
    finally:
        b.shutdown()


def test_a_failing_step_releases_its_share(backend):
    def boom():
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError, match="step failed"):
        backend.submit(boom).result(timeout=10)
    assert backend.submit(omp_threads).result(timeout=10) == 2


def test_each_step_runs_on_a_thread_that_ends_with_it(backend):
    threads = [backend.submit(threading.current_thread).result(timeout=10) for _ in range(3)]
    assert len({id(t) for t in threads}) == 3
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_no_more_than_workers_steps_run_at_once(backend):
    lock, running, peak = threading.Lock(), [0], [0]
    release = threading.Event()

    def step(n):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        release.wait(timeout=10)
        with lock:
            running[0] -= 1
        return n

    futures = [backend.submit(step, n) for n in range(5)]
    deadline = time.monotonic() + 10
    while running[0] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # room for a third step to start, were the limit broken
    assert running[0] == 2
    assert [f.running() or f.done() for f in futures] == [True, True, False, False, False]
    release.set()
    assert [f.result(timeout=10) for f in futures] == [0, 1, 2, 3, 4]
    assert peak[0] == 2


def test_steps_start_in_the_order_submitted_and_shutdown_waits_for_them():
    b = LocalBackend(1, native_threads=1)
    done = []
    futures = [b.submit(lambda n=n: done.append(n)) for n in range(3)]
    b.shutdown()
    assert done == [0, 1, 2] and all(f.done() for f in futures)
    with pytest.raises(RuntimeError, match="shut down"):
        b.submit(print)
