"""The Dask backend: outputs stay on the workers, Cancel and limits stop steps on the cluster,
a worker that dies fails its step (app/engine/backends/dask_cluster.py).

Every test here runs under a timeout: a wait that never ends must fail, not hang CI. The tests
that end or crash a worker run on a cluster of their own, so a worker slow to come back never
holds up the other tests.
"""

import os
import threading
import time

import pytest

from app.engine.context import CancelToken
from app.engine.datastores import Datastores
from app.engine.executor import execute, make_plan
from app.engine.steps import Limits, StepTask
from tests.conftest import (
    DASK_WAIT_SECONDS,
    DASK_WORKERS,
    ON_DASK,
    full_strength,
    start_dask_cluster,
)
from tests.engine.test_executor import CHAIN, Recorder
from tests.engine.toy import TOY, doc

pytestmark = [pytest.mark.timeout(120), ON_DASK]

STUCK = doc([("a", "source", {}), ("s", "stuck", {"seconds": 60}), ("b", "double", {})],
            [("a.dataset", "s.dataset"), ("s.dataset", "b.dataset")])


# Starting a cluster of its own and a worker coming back take their time on a busy machine.
BREAKS = pytest.mark.timeout(300)


@pytest.fixture
def dask(dask_backend):
    return dask_backend


@pytest.fixture(scope="module")
def cluster_to_break():
    backend = start_dask_cluster()
    yield backend
    backend.shutdown()


@pytest.fixture
def breakable(cluster_to_break):
    """A cluster (not the session's) for tests that end or crash a worker, once all its
    workers are up."""
    return full_strength(cluster_to_break)


def run(d, store, backend, **kw):
    rec = kw.pop("on_event", None) or Recorder()
    return execute(make_plan(d, TOY), store, backend, on_event=rec, **kw), rec


def wait_for(condition, timeout=DASK_WAIT_SECONDS):
    """Poll ``condition`` until it is true (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def idle(backend) -> bool:
    """No task of any step is processing on the cluster."""
    return not any(backend.client.processing().values())


def replaced(backend, before: dict[str, int]) -> set[int]:
    """Wait until the cluster is back to full strength and idle; the pids of ``before`` gone."""
    wait_for(lambda: len(backend.client.nthreads()) == DASK_WORKERS and idle(backend)
             and set(before) != set(backend.client.nthreads()))
    return set(before.values()) - set(backend.pids().values())


def task(name, store, key, inputs=None, **params) -> StepTask:
    spec = TOY[name]
    return StepTask(name, spec, spec.resolve_params(params), key, inputs or {}, store,
                    Datastores({}))


def submit(backend, t, token=None):
    lines = []
    future = backend.submit_step(t, lambda status, **i: lines.append(i.get("line", "")),
                                 token or CancelToken())
    return future, lines


def test_outputs_stay_on_the_worker_that_wrote_them_and_reach_consumers_as_futures(
        store, dask):
    outcome = submit(dask, task("source", store, "1" * 64, rows=4))[0].result(timeout=60)
    assert outcome["status"] == "Finished"
    assert outcome["written"].result(timeout=0) is None  # written by the step task itself
    ref = outcome["refs"]["dataset"]
    assert store.get(ref)["x"].tolist() == [0.0, 1.0, 2.0, 3.0]
    held = outcome["values"]["dataset"]  # no data set here: a future on the cluster
    assert held.ref == ref
    holder = held.worker
    wait_for(lambda: held.future.status == "finished")  # the report comes just before
    assert dask.client.who_has([held.future])[held.future.key] == (holder,)
    consumer, lines = submit(dask, task("where", store, "2" * 64, {"dataset": held}))
    assert consumer.result(timeout=60)["status"] == "Finished"
    # It ran where its input was, and got every row.
    assert [line.split("] ")[1] for line in lines[-2:]] == [
        f"pid {dask.pids()[holder]}", "rows 4"]


def test_a_queued_step_is_cancelled_and_never_runs(store, dask):
    tokens = [CancelToken() for _ in range(DASK_WORKERS + 1)]
    busy = [submit(dask, task("slow", store, f"{n}" * 64, {"dataset": None}, seconds=30),
                   tokens[n]) for n in range(DASK_WORKERS)]
    wait_for(lambda: all(lines for _, lines in busy))  # both workers are inside a step
    queued, lines = submit(dask, task("source", store, "9" * 64, rows=2), tokens[-1])
    time.sleep(0.3)
    tokens[-1].cancel()
    assert queued.result(timeout=10) == {"status": "Canceled"}
    for token in tokens[:-1]:
        token.cancel()
    assert [f.result(timeout=30)["status"] for f, _ in busy] == ["Canceled"] * DASK_WORKERS
    assert lines == []  # the queued step never started
    wait_for(lambda: idle(dask))


@BREAKS
def test_cancel_restarts_the_worker_of_a_step_stuck_in_a_long_call(store, breakable):
    dask = breakable
    before = dask.pids()
    token = CancelToken()
    started = time.monotonic()
    result, _ = run(STUCK, store, dask, token=token,
                    on_event=Recorder(cancel=(token, "s", "Log")))
    assert time.monotonic() - started < 30
    assert result.status == "Canceled"
    assert [result.steps[n].status for n in "asb"] == ["Finished", "Canceled", "Canceled"]
    # Nothing of the run goes on: the stuck step's worker was restarted.
    assert len(replaced(dask, before)) == 1
    assert run(CHAIN, store, dask)[0].status == "Finished"


@BREAKS
def test_a_step_stuck_past_its_time_limit_fails_naming_the_limit(store, breakable):
    dask = breakable
    before = dask.pids()
    result, _ = run(STUCK, store, dask, limits=Limits(step_seconds=1))
    assert result.status == "Failed"
    assert [result.steps[n].status for n in "asb"] == ["Finished", "Failed", "Skipped"]
    error = result.steps["s"].error
    assert error["message"] == "Step exceeded the time limit of 1 seconds (DESIGNER_STEP_SECONDS)"
    assert error["inputs"]["dataset"]["rows"] == 3  # read from the store, not the worker
    assert len(replaced(dask, before)) == 1


@BREAKS
def test_a_worker_that_dies_fails_its_step_naming_the_worker_and_it_is_not_retried(
        store, breakable):
    dask = breakable
    before = dask.pids()
    d = doc([("a", "source", {}), ("c", "crash", {})], [("a.dataset", "c.dataset")])
    result, _ = run(d, store, dask)
    assert result.status == "Failed"
    message = result.steps["c"].error["message"]
    dead = message.split()[3]
    assert message == (f"The Dask worker {dead} running the step died; the step is not "
                       f"retried on another worker.")
    assert dead in before
    # One worker died (the nanny started a new one); the step did not kill a second.
    assert replaced(dask, before) == {before[dead]}
    assert run(CHAIN, store, dask)[0].status == "Finished"


def test_a_step_alone_on_its_host_gets_its_cores_and_shares_them_with_a_step_beside_it(
        store, dask):
    cores = len(os.sched_getaffinity(0))  # the local cluster's workers run on this host

    def openmp_threads() -> str:
        future, lines = submit(dask, task("threads", store, "7" * 64))
        outcome = future.result(timeout=60)
        assert outcome["status"] == "Finished", outcome.get("error")
        return lines[-1].split("] ")[1]

    assert openmp_threads() == f"openmp {cores}"
    token = CancelToken()
    holder, lines = submit(dask, task("slow", store, "8" * 64, {"dataset": None}, seconds=30),
                           token)
    wait_for(lambda: lines)  # inside its step on one worker
    assert openmp_threads() == f"openmp {max(1, cores // 2)}"
    token.cancel()
    assert holder.result(timeout=60)["status"] == "Canceled"


def test_local_workers_keep_glibc_s_adaptive_malloc_thresholds(store, dask):
    # Dask's nannies set MALLOC_TRIM_THRESHOLD_=65536, which made a boosted-tree fit 1.7 x slower.
    future, lines = submit(dask, task("environment", store, "6" * 64,
                                      variable="MALLOC_TRIM_THRESHOLD_"))
    assert future.result(timeout=60)["status"] == "Finished"
    assert lines[-1].split("] ")[1] == "MALLOC_TRIM_THRESHOLD_=None"


def test_runs_side_by_side_share_the_cluster(store, dask):
    outcome = {}
    beside = doc([("a", "source", {"rows": 7}), ("s", "slow", {"seconds": 0.5}),
                  ("m", "measure", {})], [("a.dataset", "s.dataset"), ("s.dataset", "m.dataset")])
    other = threading.Thread(target=lambda: outcome.update(chain=run(CHAIN, store, dask)[0]))
    other.start()
    result, _ = run(beside, store, dask)
    other.join(timeout=60)
    assert outcome["chain"].status == "Finished"
    assert result.steps["m"].metrics == {"rows": 7}


@BREAKS
def test_a_local_worker_whose_nanny_closed_is_replaced_and_the_cluster_keeps_its_size(
        store, breakable):
    # A nanny closes for good when its new worker process fails to join the scheduler (as
    # one can on a busy machine); the backend starts another worker in its place.
    from distributed.utils import sync

    dask = breakable
    before = dask.pids()
    name, nanny = next(iter(dask.cluster.workers.items()))
    sync(dask.cluster.loop, nanny.close)
    assert len(replaced(dask, before)) == 1
    assert name not in dask.cluster.workers
    assert run(CHAIN, store, dask)[0].status == "Finished"
