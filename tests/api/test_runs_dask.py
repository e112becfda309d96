"""Runs through the API with DESIGNER_EXECUTOR=dask: statuses, reuse, logs, metrics, previews
and downloads as with the other executors, the steps running on a Dask cluster.

The app connects to the session's local cluster by its scheduler address, as a server does to
a cluster of its own (DESIGNER_DASK_ADDRESS=tcp://host:8786).
"""

import io
import json

import pandas as pd
import pytest

from app.engine.backends.dask_cluster import DaskBackend
from tests.api.test_runs import CSV, TINY, finished_run
from tests.conftest import ON_DASK, bearer, make_app

pytestmark = [pytest.mark.timeout(180), ON_DASK]


@pytest.fixture
def dask_app(tmp_path, dask_backend):
    application = make_app({
        "DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
        "DESIGNER_EXECUTOR": "dask",
        "DESIGNER_DASK_ADDRESS": dask_backend.cluster.scheduler_address})
    yield application
    application.extensions["designer"].shutdown()


@pytest.fixture
def dask_client(dask_app):
    test_client = dask_app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(dask_app)}"
    return test_client


def test_a_run_on_the_cluster_finishes_is_reused_and_its_outputs_preview_and_download(
        dask_app, dask_client):
    run_queued = dask_app.extensions["designer"].dispatcher.run_pending
    run = finished_run(dask_client, run_queued)
    assert isinstance(dask_app.extensions["designer"].backend, DaskBackend)
    assert run["status"] == "Finished"
    assert [s["status"] for s in run["steps"]] == ["Finished"] * 6
    assert set(run["metrics"]["eval"]) == {
        "mae", "rmse", "r2", "relative_absolute_error", "relative_squared_error"}
    base = f"/api/v1/runs/{run['id']}/steps"
    preview = dask_client.get(f"{base}/data/outputs/dataset/preview?rows=5").get_json()
    assert preview["row_count"] == 40 and preview["column_names"] == ["x", "y", "c"]
    csv = dask_client.get(f"{base}/data/outputs/dataset")
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(csv.data)),
                                  pd.read_csv(io.StringIO(CSV)))
    model = dask_client.get(f"{base}/train/outputs/trained_model")
    assert model.status_code == 200 and len(model.data) > 100
    again = finished_run(dask_client, run_queued)
    assert [s["status"] for s in again["steps"]] == ["Reused"] * 6
    assert again["metrics"] == run["metrics"]


def test_a_failing_step_on_the_cluster_records_its_error_log_and_inputs(dask_app, dask_client):
    run_queued = dask_app.extensions["designer"].dispatcher.run_pending
    doc = json.loads(json.dumps(TINY))
    doc["nodes"][3]["params"]["label_column"] = "incme"
    run = finished_run(dask_client, run_queued, document=doc)
    assert run["status"] == "Failed"
    assert run["status_reason"].startswith("Train Model failed: ")
    steps = {s["node_id"]: s for s in run["steps"]}
    assert "incme" in steps["train"]["error"]["message"]
    assert "Traceback" in steps["train"]["error"]["traceback"]
    assert steps["train"]["error"]["inputs"]["dataset"]["rows"] == 30
    assert steps["score"]["status"] == steps["eval"]["status"] == "Skipped"
    log = dask_client.get(f"{base(run)}/train/logs").get_json()["log"]
    assert "incme" in log


def base(run) -> str:
    return f"/api/v1/runs/{run['id']}/steps"
