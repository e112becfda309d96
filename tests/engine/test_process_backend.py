"""The process backend: steps in worker processes that Cancel and limits can kill."""

import threading
import time

import pytest

from app.engine.artifacts import ArtifactStore
from app.engine.backends.process import ProcessBackend, rss
from app.engine.context import CancelToken
from app.engine.datastores import Datastores
from app.engine.executor import execute, make_plan
from app.engine.registry import module
from app.engine.spec import DATAFRAME, Port
from app.engine.steps import Limits, StepTask
from tests.engine.test_executor import CHAIN, Recorder, SlowWrites
from tests.engine.toy import TOY, doc

STUCK = doc([("a", "source", {}), ("s", "stuck", {"seconds": 60}), ("b", "double", {})],
            [("a.dataset", "s.dataset"), ("s.dataset", "b.dataset")])


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def backend():
    b = ProcessBackend(2, native_threads=2)
    yield b
    b.shutdown()


def run(d, store, backend, registry=TOY, **kw):
    rec = kw.pop("on_event", None) or Recorder()
    return execute(make_plan(d, registry), store, backend, on_event=rec, **kw), rec


def wait_for(condition, timeout=30):
    """Poll ``condition`` until it is true (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_cancel_kills_a_step_stuck_in_a_long_call_and_the_pool_replaces_its_worker(
        store, backend):
    assert run(CHAIN, store, backend)[0].status == "Finished"
    before = backend.pids()
    token = CancelToken()
    # The step's log line reaches us while it runs: that is when we cancel.
    rec = Recorder(cancel=(token, "s", "Log"))
    started = time.monotonic()
    result, _ = run(STUCK, store, backend, token=token, on_event=rec)
    assert time.monotonic() - started < 15
    assert result.status == "Canceled"
    assert [result.steps[n].status for n in "asb"] == ["Finished", "Canceled", "Canceled"]
    wait_for(lambda: len(backend.pids()) == 2)
    assert len(backend.pids() - before) == 1
    again = doc([("a", "source", {"rows": 5}), ("b", "double", {})], [("a.dataset", "b.dataset")])
    assert run(again, store, backend)[0].status == "Finished"


def test_a_step_stuck_past_its_time_limit_is_killed_and_fails_naming_the_limit(store, backend):
    result, _ = run(STUCK, store, backend, limits=Limits(step_seconds=1))
    assert result.status == "Failed"
    assert [result.steps[n].status for n in "asb"] == ["Finished", "Failed", "Skipped"]
    error = result.steps["s"].error
    assert error["message"] == "Step exceeded the time limit of 1 seconds (DESIGNER_STEP_SECONDS)"
    assert error["inputs"]["dataset"]["rows"] == 3


def test_a_step_over_the_memory_limit_is_killed_and_fails_naming_the_limit(store, backend):
    wait_for(lambda: len(backend.pids()) == 2)
    idle = max(rss(pid) for pid in backend.pids()) // 2**20
    limit = idle + 150
    hog = doc([("a", "source", {}), ("h", "hog", {"mb": 600, "seconds": 60})],
              [("a.dataset", "h.dataset")])
    result, _ = run(hog, store, backend, limits=Limits(step_memory_mb=limit))
    assert result.status == "Failed"
    assert result.steps["h"].error["message"] == (
        f"Step exceeded the memory limit of {limit} MB (DESIGNER_STEP_MEMORY_MB)")


def test_a_run_over_a_limit_leaves_a_run_beside_it_alone(store, backend):
    outcome = {}
    slow_one = threading.Thread(target=lambda: outcome.update(
        stuck=run(STUCK, store, backend, limits=Limits(step_seconds=1))[0]))
    slow_one.start()
    beside = doc([("a", "source", {"rows": 7}), ("s", "slow", {"seconds": 1.5}),
                  ("m", "measure", {})], [("a.dataset", "s.dataset"), ("s.dataset", "m.dataset")])
    result, _ = run(beside, store, backend)
    slow_one.join()
    assert outcome["stuck"].steps["s"].status == "Failed"
    assert result.status == "Finished"
    assert result.steps["m"].metrics == {"rows": 7}


def test_a_worker_that_dies_fails_its_step_and_is_replaced(store, backend):
    d = doc([("a", "source", {}), ("c", "crash", {})], [("a.dataset", "c.dataset")])
    result, _ = run(d, store, backend)
    assert result.status == "Failed"
    assert result.steps["c"].error["message"] == (
        "The worker process running the step exited unexpectedly (exit code 3).")
    wait_for(lambda: len(backend.pids()) == 2)
    assert run(CHAIN, store, backend)[0].status == "Finished"


def test_a_module_a_worker_cannot_import_fails_with_a_clear_message(store, backend):
    registry = dict(TOY)

    @module("local_only", label="Local Only", category="Toy", inputs=[Port("dataset", DATAFRAME)],
            outputs=[Port("dataset", DATAFRAME)], registry=registry)
    def local_only(dataset):
        return {"dataset": dataset}

    d = doc([("a", "source", {}), ("l", "local_only", {})], [("a.dataset", "l.dataset")])
    result, _ = run(d, store, backend, registry=registry)
    assert result.status == "Failed"
    assert result.steps["l"].error["message"].startswith(
        "Local Only cannot run in a worker process: ")


def task(name: str, store: ArtifactStore, **params) -> StepTask:
    spec = TOY[name]
    return StepTask(name, spec, spec.resolve_params(params), "0" * 64, {}, store, Datastores({}))


def test_steps_in_workers_share_the_openmp_budget(store, backend):
    def openmp_threads() -> str:
        lines = []
        future = backend.submit_step(task("threads", store),
                                     lambda status, **i: lines.append(i.get("line", "")),
                                     CancelToken())
        assert future.result(timeout=60)["status"] == "Finished"
        return lines[-1].split("] ")[1]

    assert openmp_threads() == "openmp 2"
    token, busy = CancelToken(), threading.Event()
    holder = backend.submit_step(
        StepTask("h", TOY["stuck"], {"seconds": 60}, "1" * 64, {"dataset": None}, store,
                 Datastores({})),
        lambda status, **i: busy.set() if status == "Log" else None, token)
    assert busy.wait(timeout=60)
    assert openmp_threads() == "openmp 1"
    token.cancel()
    assert holder.result(timeout=30)["status"] == "Canceled"
    assert openmp_threads() == "openmp 2"


WHERE_CHAIN = doc([("a", "source", {"rows": 5}), ("w1", "where", {}), ("w2", "where", {}),
                   ("w3", "where", {})],
                  [("a.dataset", "w1.dataset"), ("w1.dataset", "w2.dataset"),
                   ("w2.dataset", "w3.dataset")])


def held(backend) -> set[str]:
    """Artifact keys of the outputs the backend's workers hold."""
    return set().union(*(w.held for w in backend._pool))


def test_a_chain_stays_on_the_worker_holding_its_inputs_and_gets_the_same_data(store, backend):
    result, rec = run(WHERE_CHAIN, store, backend)
    assert result.status == "Finished"
    pids = {line for _, line in rec.logs() if line.startswith("pid ")}
    assert len(pids) == 1 and int(pids.pop()[4:]) in backend.pids()
    assert [line for _, line in rec.logs() if line.startswith("rows ")] == ["rows 5"] * 3
    assert store.get(result.steps["w3"].outputs["dataset"]).to_dict("list") == {
        "x": [0.0, 1.0, 2.0, 3.0, 4.0]}


def test_an_idle_worker_lets_its_outputs_go_and_consumers_then_read_them_from_the_store(store):
    backend = ProcessBackend(2, native_threads=2, hold=3)
    try:
        first, _ = run(WHERE_CHAIN, store, backend)
        assert held(backend) == {first.steps["w3"].outputs["dataset"].key}
        wait_for(lambda: not held(backend))
        plan = make_plan(WHERE_CHAIN, TOY, regenerate_outputs=True)
        again = execute(plan, store, backend)
        assert again.status == "Finished"
        assert store.get(again.steps["w3"].outputs["dataset"]).equals(
            store.get(first.steps["w3"].outputs["dataset"]))
    finally:
        backend.shutdown()


def test_a_worker_writes_its_outputs_itself_and_hands_back_only_their_refs(store, backend):
    outcome = backend.submit_step(task("source", store, rows=4), lambda *a, **k: None,
                                  CancelToken()).result(timeout=60)
    assert outcome["status"] == "Finished" and "values" not in outcome
    assert outcome["written"].result(timeout=30) is None
    assert store.get(outcome["refs"]["dataset"])["x"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_a_step_waits_for_an_input_a_worker_is_still_writing(tmp_path, backend):
    store = SlowWrites(tmp_path / "artifacts")  # each data set takes 0.3 s to write
    d = doc([("a", "source", {"rows": 3}), ("b", "source", {"rows": 4}), ("c", "combine", {})],
            [("a.dataset", "c.left"), ("b.dataset", "c.right")])
    result, _ = run(d, store, backend)
    assert result.status == "Finished", result.steps["c"].error
    assert len(store.get(result.steps["c"].outputs["dataset"])) == 7


# -- followers: a step waiting on one running step goes to that step's worker beforehand -----
def followers(backend) -> list:
    """The jobs handed to a worker to start after its running step."""
    return [w.follower for w in backend._pool if w.follower is not None]


def test_a_step_waiting_on_a_running_step_is_handed_to_its_worker_beforehand(store, backend):
    d = doc([("a", "source", {"rows": 3}), ("s", "slow", {"seconds": 1.0}),
             ("b", "double", {})], [("a.dataset", "s.dataset"), ("s.dataset", "b.dataset")])
    seen, done = set(), threading.Event()

    def watch():
        while not done.is_set():
            seen.update(job.task.node_id for job in followers(backend))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    rec = Recorder()
    try:
        result, _ = run(d, store, backend, on_event=rec)
    finally:
        done.set()
        watcher.join()
    assert result.status == "Finished"
    assert seen == {"s", "b"}  # b went to s's worker while s slept a second
    # Queued only once the step it follows is done, as for a step submitted then.
    events = [(n, s) for n, s, _ in rec.events if s != "Log"]
    assert events.index(("b", "Queued")) > events.index(("s", "Running"))
    assert rec.statuses("b") == ["Queued", "Running", "Finished"]
    assert store.get(result.steps["b"].outputs["dataset"])["x"].tolist() == [0.0, 2.0, 4.0]
    assert not followers(backend) and backend.budget._active == 0


def test_a_follower_of_a_step_whose_worker_dies_is_skipped_and_the_run_ends(store, backend):
    d = doc([("a", "source", {}), ("c", "crash", {}), ("b", "double", {}),
             ("m", "measure", {})],
            [("a.dataset", "c.dataset"), ("c.dataset", "b.dataset"), ("b.dataset", "m.dataset")])
    result, rec = run(d, store, backend)
    assert result.status == "Failed"
    assert result.steps["c"].error["message"] == (
        "The worker process running the step exited unexpectedly (exit code 3).")
    assert [result.steps[n].status for n in "bm"] == ["Skipped", "Skipped"]
    assert rec.statuses("b") == ["Skipped"] and rec.statuses("m") == ["Skipped"]
    wait_for(lambda: len(backend.pids()) == 2)
    assert run(CHAIN, store, backend)[0].status == "Finished"


def test_a_step_follows_a_step_that_waited_for_a_worker(store):
    """One worker: y waits in the queue while x runs, z waits for y; each then follows."""
    backend = ProcessBackend(1, native_threads=1)
    try:
        d = doc([("a", "source", {"rows": 2}), ("x", "slow", {"seconds": 0.3}),
                 ("y", "slow", {"seconds": 0.3}), ("z", "double", {}), ("w", "double", {})],
                [("a.dataset", "x.dataset"), ("a.dataset", "y.dataset"),
                 ("y.dataset", "z.dataset"), ("z.dataset", "w.dataset")])
        result, _ = run(d, store, backend)
        assert result.status == "Finished", {n: s.error for n, s in result.steps.items()}
        assert store.get(result.steps["w"].outputs["dataset"])["x"].tolist() == [0.0, 4.0]
        assert backend.budget._active == 0  # every share taken was given back
    finally:
        backend.shutdown()


def test_the_second_consumer_of_a_running_step_reads_its_output_once_it_is_done(store, backend):
    d = doc([("a", "source", {"rows": 2}), ("s", "slow", {"seconds": 0.3}),
             ("b1", "double", {}), ("b2", "measure", {})],
            [("a.dataset", "s.dataset"), ("s.dataset", "b1.dataset"),
             ("s.dataset", "b2.dataset")])
    result, rec = run(d, store, backend)
    assert result.status == "Finished"
    assert store.get(result.steps["b1"].outputs["dataset"])["x"].tolist() == [0.0, 2.0]
    assert result.steps["b2"].metrics == {"rows": 2}
    assert rec.statuses("b2") == ["Queued", "Running", "Finished"]
    assert backend.budget._active == 0
