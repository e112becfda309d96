"""The model registry: retrains register versions with lineage; MLflow downloads load."""

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from app.config import ROOT
from app.services import runs
from app.services.runtime import runtime
from tests.conftest import principal_headers

SAMPLES = ROOT / "sample_data"


def retrain(client, path=None, description=""):
    body = {"ExperimentName": "retrain", "Description": description}
    if path:
        body["DataPathAssignments"] = {"training_data": {
            "DataStoreName": "samples", "RelativePath": path}}
    response = client.post("/api/v1/endpoints/income-retrain/submit", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["Id"]


def test_each_retrain_registers_a_version_with_its_lineage(client, run_queued):
    assert client.get("/api/v1/models").get_json() == {"models": []}
    first = retrain(client)
    second = retrain(client, "income/non_us.csv", "non-US")
    run_queued()

    (model,) = client.get("/api/v1/models").get_json()["models"]
    assert model["name"] == "income-retrain" and model["versions"] == 2
    assert model["latest"]["version"] == 2 and model["latest"]["run_id"] == second

    detail = client.get("/api/v1/models/income-retrain").get_json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    v1 = client.get("/api/v1/models/income-retrain/versions/1").get_json()
    assert v1["run_id"] == first and v1["source"] == "retrain"
    assert (v1["endpoint"], v1["endpoint_version"]) == ("income-retrain", 0)
    assert v1["registered_by"] == "client:tests"
    assert v1["task"] == "binary" and v1["label_column"] == "income"
    assert "income" not in v1["feature_columns"] and "age" in v1["feature_columns"]
    assert v1["download_url"].endswith("/api/v1/models/income-retrain/versions/1/download")

    # Lineage: the data file read, with its content hash; the parameter values; the metrics
    # the run's Evaluate Model step reported.
    v2 = client.get("/api/v1/models/income-retrain/versions/2").get_json()
    (data,) = v2["data"]
    assert (data["datastore"], data["path"]) == ("samples", "income/non_us.csv")
    file = SAMPLES / "income" / "non_us.csv"
    assert data["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert data["size"] == file.stat().st_size
    assert v2["parameters"] == {
        "training_data": {"datastore": "samples", "path": "income/non_us.csv"}}
    run = client.get(f"/api/v1/runs/{second}").get_json()
    assert v2["metrics"] == run["metrics"] and v2["metrics"]["evaluate"]["auc"] > 0.5
    assert v1["metrics"]["evaluate"] != v2["metrics"]["evaluate"]


def test_a_run_outside_an_endpoint_registers_nothing_until_asked(client, run_queued):
    pid = next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
               if p["name"] == "Income prediction")
    run_id = client.post(f"/api/v1/pipelines/{pid}/runs", json={}).get_json()["id"]
    run_queued()
    assert client.get("/api/v1/models").get_json()["models"] == []

    registered = client.post(f"/api/v1/runs/{run_id}/steps/train/register",
                             json={"name": "income-manual"})
    assert registered.status_code == 201, registered.get_json()
    body = registered.get_json()
    assert (body["model"], body["version"], body["source"]) == ("income-manual", 1, "manual")
    assert body["endpoint"] is None and body["run_id"] == run_id
    assert registered.headers["Location"].endswith("/api/v1/models/income-manual/versions/1")
    again = client.post(f"/api/v1/runs/{run_id}/steps/train/register",
                        json={"name": "income-manual"})
    assert again.get_json()["version"] == 2


@pytest.mark.parametrize(("node", "body", "status", "words"), [
    ("evaluate", {"name": "m"}, 422, "does not output a trained model"),
    ("train", {"name": "../m"}, 400, "name"),
    ("train", {}, 400, "name"),
    ("nope", {"name": "m"}, 404, "'nope'"),
])
def test_registering_refusals_name_the_culprit(client, run_queued, node, body, status, words):
    run_id = retrain(client)
    run_queued()
    response = client.post(f"/api/v1/runs/{run_id}/steps/{node}/register", json=body)
    assert response.status_code == status
    assert words in str(response.get_json())


def test_unfinished_runs_unknown_models_and_roles(app, client):
    run_id = retrain(client)  # queued, never run
    response = client.post(f"/api/v1/runs/{run_id}/steps/train/register", json={"name": "m"})
    assert response.status_code == 409 and "Queued" in response.get_json()["error"]
    missing = client.get("/api/v1/models/nope")
    assert missing.status_code == 404 and "'nope'" in missing.get_json()["error"]
    assert client.get("/api/v1/models/nope/versions/1").status_code == 404
    viewer = principal_headers(app, "looker", "viewer")
    assert app.test_client().get("/api/v1/models", headers=viewer).status_code == 200
    refused = app.test_client().post(f"/api/v1/runs/{run_id}/steps/train/register",
                                     json={"name": "m"}, headers=viewer)
    assert refused.status_code == 403


def test_a_version_missing_names_the_versions_there_are(client, run_queued):
    retrain(client)
    run_queued()
    response = client.get("/api/v1/models/income-retrain/versions/7")
    assert response.status_code == 404
    assert "versions: 1" in response.get_json()["error"]


def test_registering_is_audited(client, run_queued):
    retrain(client)
    run_queued()
    entries = client.get("/api/v1/audit?action=model.register").get_json()["entries"]
    assert [e["target"] for e in entries] == ["income-retrain:1"]


def test_mlflow_download_loads_and_predicts_without_this_app(client, run_queued, tmp_path):
    run_id = retrain(client)
    run_queued()
    response = client.get("/api/v1/models/income-retrain/versions/1/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "income-retrain-1-mlflow.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert "income-retrain-1/MLmodel" in names
        mlmodel = archive.read("income-retrain-1/MLmodel").decode()
        archive.extractall(tmp_path)
    assert "sklearn:" in mlmodel and "python_function:" in mlmodel
    assert "registered_model: income-retrain" in mlmodel

    rows = pd.read_csv(SAMPLES / "income" / "us.csv").head(40)
    rows.drop(columns=["income"]).to_csv(tmp_path / "rows.csv", index=False)
    # A separate interpreter that cannot import this app (its folder is not on the path).
    script = (
        "import sys, pandas as pd, mlflow.pyfunc\n"
        "assert 'app' not in sys.modules\n"
        "model = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "print(','.join(map(str, model.predict(pd.read_csv(sys.argv[2])))))\n")
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "income-retrain-1"),
         str(tmp_path / "rows.csv")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    predicted = done.stdout.strip().splitlines()[-1].split(",")
    assert set(predicted) <= {"<=50K", ">50K"} and len(predicted) == 40

    # The same predictions as the stored model gives in this process.
    with client.application.app_context():
        model = runtime().store.get(runs.output_ref(run_id, "train", "trained_model"))
    expected = model.pipeline.predict(rows.drop(columns=["income"]))
    assert predicted == [str(v) for v in expected]
    assert Path(tmp_path / "income-retrain-1" / "requirements.txt").read_text().count("==") >= 3
