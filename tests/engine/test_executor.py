"""Execution: reuse, concurrency, cancellation, failure isolation (app/engine/executor.py).

Every test runs on each backend (tests/engine/conftest.py): threads in this process, the pool of
worker processes and a Dask cluster.
"""

import threading
import time

import pandas as pd
import pytest

from app.engine.artifacts import ArtifactStore
from app.engine.context import CancelToken
from app.engine.executor import PipelineInvalid, execute, make_plan
from app.engine.spec import ParamError
from app.engine.steps import Limits
from tests.engine.toy import TOY, doc


class Recorder:
    """Collects on_event calls in order (thread safe); ``cancel=(token, node, status)``
    cancels the token when that event arrives."""

    def __init__(self, cancel=None):
        self.events = []
        self._lock = threading.Lock()
        self._cancel = cancel

    def __call__(self, node, status, **info):
        with self._lock:
            self.events.append((node, status, info))
        if self._cancel and self._cancel[1:] == (node, status):
            self._cancel[0].cancel()

    def statuses(self, node):
        return [s for n, s, _ in self.events if n == node and s != "Log"]

    def logs(self, node=None):
        """(node, line without its timestamp) of every log event, in order."""
        return [(n, i["line"].split("] ", 1)[1]) for n, s, i in self.events
                if s == "Log" and node in (None, n)]


def run(d, store, backend, values=None, regenerate=False, **kw):
    rec = Recorder()
    plan = make_plan(d, TOY, values, regenerate_outputs=regenerate)
    return execute(plan, store, backend, on_event=rec, **kw), rec


CHAIN = doc([("a", "source", {"rows": 4}), ("b", "double", {}), ("m", "measure", {})],
            [("a.dataset", "b.dataset"), ("b.dataset", "m.dataset")])

SLOW_CHAIN = doc([("a", "source", {}), ("s", "slow", {"seconds": 30}), ("b", "double", {})],
                 [("a.dataset", "s.dataset"), ("s.dataset", "b.dataset")])


def test_chain_runs_and_stores_outputs(store, backend):
    result, rec = run(CHAIN, store, backend)
    assert result.status == "Finished"
    out = store.get(result.steps["b"].outputs["dataset"])
    pd.testing.assert_frame_equal(out, pd.DataFrame({"x": [0.0, 2.0, 4.0, 6.0]}))
    assert result.steps["m"].metrics == {"rows": 4}
    assert rec.statuses("b") == ["Queued", "Running", "Finished"]


def test_second_run_reuses_every_step(store, backend):
    first, rec = run(CHAIN, store, backend, run_id="r1")
    assert rec.logs("a") == [("a", "called")]
    second, rec = run(CHAIN, store, backend, run_id="r2")
    assert {s.status for s in second.steps.values()} == {"Reused"}
    assert second.steps["b"].reused_from == "r1"
    assert second.steps["m"].metrics == {"rows": 4}
    assert rec.logs() == []
    assert rec.statuses("a") == ["Reused"]


def test_changed_param_recomputes_downstream_only(store, backend):
    run(CHAIN, store, backend)
    d = doc([("a", "source", {"rows": 4}), ("b", "double", {}), ("m", "measure", {})],
            [("a.dataset", "b.dataset"), ("b.dataset", "m.dataset")])
    d.nodes[1].params["sleep"] = 0.001
    result, _ = run(d, store, backend)
    assert [result.steps[n].status for n in "abm"] == ["Reused", "Finished", "Finished"]


def test_regenerate_output_on_a_node_and_for_the_run(store, backend):
    run(CHAIN, store, backend)
    d = CHAIN.model_copy(deep=True)
    d.nodes[1].regenerate_output = True
    result, _ = run(d, store, backend)
    # b recomputes to the same key, so m can still be reused.
    assert [result.steps[n].status for n in "abm"] == ["Reused", "Finished", "Reused"]
    result, _ = run(CHAIN, store, backend, regenerate=True)
    assert {s.status for s in result.steps.values()} == {"Finished"}


def test_an_imported_file_is_reused_until_it_changes(store, backend, tmp_path):
    from app.engine.datastores import Datastores
    from app.engine.registry import REGISTRY

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("x\n1\n2\n")
    d = doc([("imp", "import_data", {"path": "s:a.csv"})])

    def once():
        plan = make_plan(d, REGISTRY)
        return execute(plan, store, backend, datastores=Datastores({"s": folder})).steps["imp"]

    assert once().status == "Finished"
    assert once().status == "Reused"
    (folder / "a.csv").write_text("x\n1\n2\n3\n")  # rewritten in place
    changed = once()
    assert changed.status == "Finished"
    assert len(store.get(changed.outputs["dataset"])) == 3


def test_non_deterministic_module_is_never_reused(store, backend):
    d = doc([("r", "random", {}), ("b", "double", {})], [("r.dataset", "b.dataset")])
    run(d, store, backend)
    result, rec = run(d, store, backend)
    assert rec.logs("r") == [("r", "called")]
    assert result.steps["b"].status == "Finished"


def test_parameter_values_feed_bound_fields_and_change_cache_key(store, backend):
    d = doc([("a", "source", {"rows": {"$param": "n"}}), ("m", "measure", {})],
            [("a.dataset", "m.dataset")],
            parameters=[{"name": "n", "type": "int", "default": 2}])
    first, _ = run(d, store, backend)
    second, _ = run(d, store, backend, values={"n": "5"})
    assert first.steps["m"].metrics == {"rows": 2}
    assert second.steps["m"].metrics == {"rows": 5}
    assert second.steps["a"].status == "Finished"


def test_bad_parameter_value_is_refused_before_running(store, backend):
    d = doc([("a", "source", {"rows": {"$param": "n"}})],
            parameters=[{"name": "n", "type": "int", "default": 2}])
    with pytest.raises(ParamError, match="'n' must be an int"):
        make_plan(d, TOY, {"n": "x"})
    with pytest.raises(PipelineInvalid, match="'rows' parameter of Source"):
        make_plan(d, TOY, {"n": 99999})


def test_independent_branches_run_concurrently(store, backend):
    d = doc([("a", "source", {}), ("b1", "double", {"sleep": 0.3}),
             ("b2", "double", {"sleep": 0.3}), ("c", "combine", {})],
            [("a.dataset", "b1.dataset"), ("a.dataset", "b2.dataset"),
             ("b1.dataset", "c.left"), ("b2.dataset", "c.right")])
    result, rec = run(d, store, backend)
    assert result.status == "Finished"
    # Both branches were inside their module before either returned.
    lines = [line for node, line in rec.logs() if node in ("b1", "b2")]
    assert lines[:2] == ["called", "called"]
    assert len(store.get(result.steps["c"].outputs["dataset"])) == 6


def test_failure_skips_downstream_and_keeps_independent_branch(store, backend):
    d = doc([("a", "source", {}), ("f", "fail", {"column": "incme"}), ("x", "double", {}),
             ("ok", "double", {})],
            [("a.dataset", "f.dataset"), ("f.dataset", "x.dataset"), ("a.dataset", "ok.dataset")])
    result, rec = run(d, store, backend)
    assert result.status == "Failed"
    failed = result.steps["f"]
    assert failed.status == "Failed"
    assert failed.error["type"] == "ModuleError"
    assert failed.error["message"] == "Fail: column 'incme' is not in the data set"
    assert "Traceback" in failed.error["traceback"]
    assert failed.error["inputs"] == {"dataset": {
        "type": "dataframe", "rows": 3, "columns": 1, "dtypes": {"x": "float64"}}}
    assert result.steps["x"].status == "Skipped"
    assert result.steps["ok"].status == "Finished"
    assert rec.statuses("x") == ["Skipped"]


def test_cancel_inside_a_step(store, backend):
    token = CancelToken()
    rec = Recorder(cancel=(token, "s", "Running"))
    started = time.monotonic()
    result = execute(make_plan(SLOW_CHAIN, TOY), store, backend, on_event=rec, token=token)
    assert time.monotonic() - started < 10
    assert result.status == "Canceled"
    assert [result.steps[n].status for n in "asb"] == ["Finished", "Canceled", "Canceled"]


def test_cancel_before_start(store, backend):
    token = CancelToken()
    token.cancel()
    result, _ = run(CHAIN, store, backend, token=token)
    assert result.status == "Canceled"
    assert {s.status for s in result.steps.values()} == {"Canceled"}


def test_log_lines_are_emitted(store, backend):
    d = doc([("a", "source", {}), ("s", "slow", {"seconds": 0.01})], [("a.dataset", "s.dataset")])
    _, rec = run(d, store, backend)
    lines = [i["line"] for n, s, i in rec.events if s == "Log" and n == "s"]
    assert len(lines) == 1 and lines[0].endswith("slept")


def test_a_failing_event_callback_does_not_break_the_run(store, backend):
    def boom(*a, **k):
        raise RuntimeError("db down")

    result = execute(make_plan(CHAIN, TOY), store, backend, on_event=boom)
    assert result.status == "Finished"


def test_missing_artifact_file_means_no_reuse(store, backend):
    first, _ = run(CHAIN, store, backend)
    store.path(first.steps["b"].outputs["dataset"]).unlink()
    second, _ = run(CHAIN, store, backend)
    assert second.steps["b"].status == "Finished"


class SlowWrites(ArtifactStore):
    """A store whose data-set writes take 0.3 s, and fail for a column named 'boom'."""

    def put(self, key, value):
        if isinstance(value, pd.DataFrame):
            if "boom" in value.columns:
                raise OSError(28, "No space left on device")
            time.sleep(0.3)
        return super().put(key, value)


# On Dask a consumer gets its producer's future, which resolves once the step task has written
# its outputs: one task per step, so no write can wait on data lost with a worker.
@pytest.mark.parametrize("backend", ["process", "local"], indirect=True)
def test_consumers_start_while_their_input_is_still_being_written(tmp_path, backend):
    store = SlowWrites(tmp_path / "artifacts")
    result, rec = run(CHAIN, store, backend)
    assert result.status == "Finished"
    order = [(n, s) for n, s, _ in rec.events]
    assert order.index(("b", "Running")) < order.index(("a", "Finished"))
    assert store.get_manifest(result.steps["a"].cache_key) is not None
    out = store.get(result.steps["b"].outputs["dataset"])
    pd.testing.assert_frame_equal(out, pd.DataFrame({"x": [0.0, 2.0, 4.0, 6.0]}))


def test_an_output_that_cannot_be_stored_fails_its_step_and_skips_what_has_not_started(
        tmp_path, backend):
    store = SlowWrites(tmp_path / "artifacts")
    d = doc([("a", "source", {"name": "boom"}), ("other", "source", {}),
             ("s", "slow", {"seconds": 1.0}), ("c", "combine", {})],
            [("a.dataset", "c.left"), ("other.dataset", "s.dataset"), ("s.dataset", "c.right")])
    result, rec = run(d, store, backend)
    assert result.status == "Failed"
    failed = result.steps["a"]
    assert failed.status == "Failed"
    assert failed.error["type"] == "OSError"
    assert failed.error["message"] == (
        "output 'dataset' could not be stored: [Errno 28] No space left on device")
    assert store.get_manifest(failed.cache_key) is None
    assert result.steps["s"].status == "Finished"
    assert rec.statuses("c") == ["Skipped"]


def warm_up(store, backend):
    """One step first, so the time a new worker process takes to start counts against no limit."""
    assert run(doc([("w", "source", {"rows": 1})]), store, backend)[0].status == "Finished"


def test_a_step_over_its_time_limit_fails_naming_the_limit(store, backend):
    warm_up(store, backend)
    started = time.monotonic()
    result, rec = run(SLOW_CHAIN, store, backend, limits=Limits(step_seconds=0.5))
    assert time.monotonic() - started < 10
    assert result.status == "Failed"
    assert [result.steps[n].status for n in "asb"] == ["Finished", "Failed", "Skipped"]
    assert result.steps["s"].error["message"] == (
        "Step exceeded the time limit of 0.5 seconds (DESIGNER_STEP_SECONDS)")
    assert rec.statuses("b") == ["Skipped"]


def test_a_run_over_its_time_limit_fails_its_running_step_and_skips_the_rest(store, backend):
    warm_up(store, backend)
    result, _ = run(SLOW_CHAIN, store, backend, limits=Limits(run_seconds=0.5))
    assert result.status == "Failed"
    assert [result.steps[n].status for n in "asb"] == ["Finished", "Failed", "Skipped"]
    message = "Run exceeded the time limit of 0.5 seconds (DESIGNER_RUN_SECONDS)"
    assert result.steps["s"].error["message"] == message
    assert result.reason == message
