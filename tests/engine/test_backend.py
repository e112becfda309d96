"""The local backend shares OpenMP threads among the steps running at once."""

import threading

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
    changed = threading.Condition()
    inside, seen = set(), []  # steps inside their call; who was inside as each one began
    releases = [threading.Event() for _ in range(5)]

    def step(n):
        with changed:
            inside.add(n)
            seen.append(sorted(inside))
            changed.notify_all()
        releases[n].wait(timeout=10)
        with changed:
            inside.discard(n)
        return n

    def begun(n):
        with changed:
            assert changed.wait_for(lambda: n in inside, timeout=10), (n, seen)

    futures = [backend.submit(step, n) for n in range(5)]
    for n in range(5):  # end each step once the next one has begun beside it
        if n + 1 < 5:
            begun(n + 1)
        releases[n].set()
        assert futures[n].result(timeout=10) == n
    # The first two began together; each later one began when one ended, beside the other.
    assert seen[1:] == [[0, 1], [1, 2], [2, 3], [3, 4]], seen


def test_steps_start_in_the_order_submitted_and_shutdown_waits_for_them():
    b = LocalBackend(1, native_threads=1)
    done = []
    futures = [b.submit(lambda n=n: done.append(n)) for n in range(3)]
    b.shutdown()
    assert done == [0, 1, 2] and all(f.done() for f in futures)
    with pytest.raises(RuntimeError, match="shut down"):
        b.submit(print)
