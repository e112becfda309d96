"""The runs API through the test client: submit, execute, read, outputs, cancel, events."""

import io
import json
import threading

import pandas as pd
import pytest
from sqlalchemy import select

from app.engine.artifacts import ArtifactRef
from app.extensions import db
from app.models import Run, StepRun
from app.services.dispatcher import recover_interrupted
from app.services.runtime import runtime

CSV = "x,y,c\n" + "\n".join(f"{i},{2 * i + (i % 3)},{'ab'[i % 2]}" for i in range(40))
TINY = {
    "name": "Tiny regression",
    "parameters": [{"name": "fraction", "type": "float", "default": 0.75}],
    "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": CSV}},
        {"id": "split", "module": "split_data", "params": {"fraction": {"$param": "fraction"}}},
        {"id": "lr", "module": "linear_regression", "params": {}},
        {"id": "train", "module": "train_model", "params": {"label_column": "y"}},
        {"id": "score", "module": "score_model", "params": {}},
        {"id": "eval", "module": "evaluate_model", "params": {}},
    ],
    "edges": [
        {"from": {"node": "data", "port": "dataset"}, "to": {"node": "split", "port": "dataset"}},
        {"from": {"node": "lr", "port": "untrained_model"},
         "to": {"node": "train", "port": "untrained_model"}},
        {"from": {"node": "split", "port": "results1"}, "to": {"node": "train", "port": "dataset"}},
        {"from": {"node": "train", "port": "trained_model"},
         "to": {"node": "score", "port": "trained_model"}},
        {"from": {"node": "split", "port": "results2"}, "to": {"node": "score", "port": "dataset"}},
        {"from": {"node": "score", "port": "scored_dataset"},
         "to": {"node": "eval", "port": "scored_dataset"}},
    ],
}


def submit(client, document=TINY, **body):
    return client.post("/api/v1/runs", json={"document": document, **body})


def finished_run(client, run_queued, **body):
    response = submit(client, **body)
    assert response.status_code == 202, response.get_json()
    run_queued()
    return client.get(f"/api/v1/runs/{response.get_json()['id']}").get_json()


def test_submit_runs_to_finished_with_metrics(client, run_queued):
    response = submit(client, experiment="exp-a", description="first")
    assert response.status_code == 202
    queued = response.get_json()
    assert queued["status"] == "Queued"
    assert response.headers["Location"].endswith(queued["id"])
    assert run_queued() == 1
    run = client.get(f"/api/v1/runs/{queued['id']}").get_json()
    assert run["status"] == "Finished"
    assert run["experiment"] == "exp-a" and run["description"] == "first"
    assert run["parameters"] == {"fraction": 0.75}
    assert [s["status"] for s in run["steps"]] == ["Finished"] * 6
    assert set(run["metrics"]["eval"]) == {
        "mae", "rmse", "r2", "relative_absolute_error", "relative_squared_error"}
    assert run["duration"] >= 0


def test_second_run_is_reused_with_its_source(client, run_queued):
    first = finished_run(client, run_queued)
    second = finished_run(client, run_queued)
    assert {s["status"] for s in second["steps"]} == {"Reused"}
    assert {s["reused_from"] for s in second["steps"]} == {first["id"]}
    assert second["metrics"] == first["metrics"]
    forced = finished_run(client, run_queued, regenerate_outputs=True)
    assert {s["status"] for s in forced["steps"]} == {"Finished"}


def test_parameter_values_change_the_run(client, run_queued):
    run = finished_run(client, run_queued, parameters={"fraction": "0.5"})
    assert run["parameters"] == {"fraction": 0.5}
    preview = client.get(f"/api/v1/runs/{run['id']}/steps/split/outputs/results1/preview")
    assert preview.get_json()["row_count"] == 20


@pytest.mark.parametrize("body, status, message", [
    ({"parameters": {"nope": 1}}, 422, "Unknown pipeline parameter 'nope' (parameters: fraction)"),
    ({"parameters": {"fraction": "half"}}, 422,
     "The pipeline parameter 'fraction' must be a float. Got 'half' instead."),
    ({"parameters": {"fraction": 3}}, 422, "invalid pipeline"),
    ({"experiment": ""}, 400, "invalid request body"),
    ({"experiment": "   "}, 422, "'experiment' must be a name of 1-200 characters, not only"),
    ({"regenerate_outputs": "sometimes"}, 400, "invalid request body"),
])
def test_bad_submissions_create_no_run(client, body, status, message):
    response = submit(client, **body)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert client.get("/api/v1/runs").get_json()["runs"] == []


def test_invalid_pipeline_lists_node_errors(client):
    response = submit(client, parameters={"fraction": 3})
    errors = response.get_json()["node_errors"]
    assert errors == {"split": ["The 'fraction' parameter of Split Data must be a float in the "
                                "range [0.0, 1.0]. Got 3.0 instead. The value comes from "
                                "pipeline parameter 'fraction'."]}


@pytest.mark.parametrize("path, message", [
    ("income/missing.csv", "file 'income/missing.csv' does not exist in datastore 'samples'"),
    ("../../etc/passwd", "contains '..'"),
    ("%2e%2e/secret", "contains '..'"),
    ("/etc/passwd", "is absolute"),
])
def test_data_path_problems_are_refused_before_the_run(client, path, message):
    pid = next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
               if p["name"] == "Income prediction")
    response = client.post(f"/api/v1/pipelines/{pid}/runs", json={
        "parameters": {"training_data": {"datastore": "samples", "path": path}}})
    assert response.status_code == 422
    body = response.get_json()
    assert message in body["error"] and body["node"] == "import"


def test_unknown_datastore_is_named(client):
    pid = client.get("/api/v1/pipelines").get_json()["pipelines"][0]["id"]
    response = client.post(f"/api/v1/pipelines/{pid}/runs", json={
        "parameters": {"training_data": "elsewhere:x.csv"}})
    assert response.status_code == 422
    assert "Unknown datastore 'elsewhere' (registered: samples)" in response.get_json()["error"]


def test_failing_step_records_error_and_skips_downstream(client, run_queued):
    doc = json.loads(json.dumps(TINY))
    doc["nodes"][3]["params"]["label_column"] = "incme"
    run = finished_run(client, run_queued, document=doc)
    assert run["status"] == "Failed"
    assert run["status_reason"].startswith("Train Model failed: ")  # the module, not the node id
    assert "incme" in run["status_reason"]
    steps = {s["node_id"]: s for s in run["steps"]}
    assert steps["train"]["status"] == "Failed"
    assert "incme" in steps["train"]["error"]["message"]
    assert "Traceback" in steps["train"]["error"]["traceback"]
    assert steps["train"]["error"]["inputs"]["dataset"]["rows"] == 30
    assert steps["score"]["status"] == steps["eval"]["status"] == "Skipped"
    log = client.get(f"/api/v1/runs/{run['id']}/steps/train/logs").get_json()["log"]
    assert "incme" in log


def test_outputs_preview_and_download(client, run_queued):
    run = finished_run(client, run_queued)
    base = f"/api/v1/runs/{run['id']}/steps"
    preview = client.get(f"{base}/data/outputs/dataset/preview?rows=5").get_json()
    assert preview["row_count"] == 40 and preview["column_count"] == 3
    assert preview["column_names"] == ["x", "y", "c"] and len(preview["rows"]) == 5
    stats = {c["name"]: c for c in preview["columns"]}
    assert stats["x"]["mean"] == 19.5 and stats["x"]["min"] == 0 and stats["x"]["max"] == 39
    assert stats["c"]["top"] == [{"value": "a", "count": 20}, {"value": "b", "count": 20}]
    csv = client.get(f"{base}/data/outputs/dataset")
    assert csv.mimetype == "text/csv"
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(csv.data)),
                                  pd.read_csv(io.StringIO(CSV)))
    parquet = client.get(f"{base}/data/outputs/dataset?format=parquet")
    assert len(pd.read_parquet(io.BytesIO(parquet.data))) == 40
    metrics = client.get(f"{base}/eval/outputs/evaluation_results/preview").get_json()
    assert metrics["kind"] == "json" and "rmse" in metrics["value"]["metrics"]
    model = client.get(f"{base}/train/outputs/trained_model")
    assert model.status_code == 200 and len(model.data) > 100
    assert "attachment" in model.headers["Content-Disposition"]


def test_a_data_set_stored_as_parquet_by_an_earlier_version_previews_and_downloads(
        app, client, run_queued):
    run = finished_run(client, run_queued)
    data = next(s for s in run["steps"] if s["node_id"] == "data")
    assert data["outputs"]["dataset"]["kind"] == "arrow"
    with app.app_context():
        step = db.session.scalar(select(StepRun).filter_by(run_id=run["id"], node_id="data"))
        store = runtime().store
        old = ArtifactRef(step.outputs["dataset"]["key"], "parquet")
        store.get(ArtifactRef(**step.outputs["dataset"])).to_parquet(store.path(old), index=False)
        step.outputs = {"dataset": old.as_dict()}
        db.session.commit()
    base = f"/api/v1/runs/{run['id']}/steps/data/outputs/dataset"
    assert client.get(f"{base}/preview?rows=5").get_json()["row_count"] == 40
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(client.get(base).data)),
                                  pd.read_csv(io.StringIO(CSV)))
    assert client.get(f"{base}?format=parquet").data == store.path(old).read_bytes()


@pytest.mark.parametrize("url, status, message", [
    ("/steps/data/outputs/dataset/preview?rows=abc", 400, "'rows' must be an int"),
    ("/steps/data/outputs/dataset/preview?rows=5000", 400,
     "'rows' must be an int in the range [0, 1000]"),
    ("/steps/data/outputs/dataset?format=xlsx", 400, "'format' must be one of csv, parquet"),
    ("/steps/data/outputs/nope/preview", 404, "has no output 'nope' (outputs: dataset)"),
    ("/steps/ghost/logs", 404, "has no step 'ghost'"),
])
def test_output_errors(client, run_queued, url, status, message):
    run = finished_run(client, run_queued)
    response = client.get(f"/api/v1/runs/{run['id']}{url}")
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_list_filters(client, run_queued):
    finished_run(client, run_queued, experiment="a")
    submit(client, experiment="b")
    everything = client.get("/api/v1/runs").get_json()["runs"]
    assert len(everything) == 2
    assert [r["experiment"] for r in
            client.get("/api/v1/runs?experiment=a").get_json()["runs"]] == ["a"]
    assert [r["status"] for r in
            client.get("/api/v1/runs?status=Queued").get_json()["runs"]] == ["Queued"]
    assert client.get("/api/v1/runs?status=Nope").status_code == 400
    assert client.get("/api/v1/runs?limit=0").status_code == 400


def test_experiments_summary(client, run_queued):
    finished_run(client, run_queued, experiment="a")
    submit(client, experiment="b")
    listed = client.get("/api/v1/experiments").get_json()["experiments"]
    assert [(e["name"], e["runs"], e["last_status"]) for e in listed] == [
        ("b", 1, "Queued"), ("a", 1, "Finished")]


def test_cancel_a_queued_run(client, run_queued):
    run_id = submit(client).get_json()["id"]
    response = client.post(f"/api/v1/runs/{run_id}/cancel")
    assert response.status_code == 202
    assert response.get_json()["status"] == "Canceled"
    assert run_queued() == 0
    run = client.get(f"/api/v1/runs/{run_id}").get_json()
    assert {s["status"] for s in run["steps"]} == {"Canceled"}


def test_unknown_run_is_404(client):
    assert client.get("/api/v1/runs/nope").status_code == 404
    assert client.post("/api/v1/runs/nope/cancel").status_code == 404


def test_events_stream_replays_and_resumes(client, run_queued):
    run_id = submit(client).get_json()["id"]
    run_queued()
    text = client.get(f"/api/v1/runs/{run_id}/events").get_data(as_text=True)
    blocks = [b for b in text.split("\n\n") if b.startswith("id:")]
    assert "event: run" in blocks[0] and '"status": "Queued"' in blocks[0]
    assert any('"node_id": "eval"' in b and '"status": "Finished"' in b for b in blocks)
    assert text.rstrip().endswith("event: end\ndata: {}")
    middle = blocks[len(blocks) // 2].split("\n")[0].removeprefix("id: ")
    resumed = client.get(f"/api/v1/runs/{run_id}/events",
                         headers={"Last-Event-ID": middle}).get_data(as_text=True)
    assert resumed.count("id: ") == len(blocks) - len(blocks) // 2 - 1
    bad = client.get(f"/api/v1/runs/{run_id}/events", headers={"Last-Event-ID": "x"})
    assert bad.status_code == 400


def test_run_of_a_dead_local_process_is_recovered_despite_fresh_heartbeat(app, client):
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    run_id = submit(client).get_json()["id"]
    with app.app_context():
        from app.models import now

        run = db.session.get(Run, run_id)
        run.status, run.heartbeat = "Running", now()
        run.worker = f"{socket.gethostname()}:{dead}"
        db.session.commit()
        assert recover_interrupted() == 1
    assert client.get(f"/api/v1/runs/{run_id}").get_json()["status_reason"] == "interrupted"


def test_live_run_with_fresh_heartbeat_is_left_alone(app, client):
    import os
    import socket

    run_id = submit(client).get_json()["id"]
    with app.app_context():
        from app.models import now

        run = db.session.get(Run, run_id)
        run.status, run.heartbeat = "Running", now()
        run.worker = f"{socket.gethostname()}:{os.getppid()}"
        db.session.commit()
        assert recover_interrupted() == 0


def test_interrupted_runs_are_failed_at_start_up(app, client):
    run_id = submit(client).get_json()["id"]
    with app.app_context():
        run = db.session.get(Run, run_id)
        run.status, run.heartbeat = "Running", None
        run.steps[0].status = "Finished"
        db.session.commit()
        assert recover_interrupted() == 1
    run = client.get(f"/api/v1/runs/{run_id}").get_json()
    assert run["status"] == "Failed" and run["status_reason"] == "interrupted"
    assert run["steps"][0]["status"] == "Finished"
    assert {s["status"] for s in run["steps"][1:]} == {"Canceled"}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_background_dispatcher_runs_concurrent_submits(request, database):
    from tests.conftest import bearer

    app = request.getfixturevalue("app" if database == "sqlite" else "pg_app")
    client = app.test_client()
    token = bearer(app)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    dispatcher = app.extensions["designer"].start_dispatcher()
    ids, errors = [], []

    def post(i):
        with app.test_client() as c:
            c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            r = c.post("/api/v1/runs", json={"document": TINY, "experiment": f"e{i % 2}",
                                             "parameters": {"fraction": 0.5 + i / 100}})
            (ids if r.status_code == 202 else errors).append(r.get_json())

    threads = [threading.Thread(target=post, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(ids) == 6
    import time
    deadline = time.monotonic() + 180  # generous: CI machines are busy
    while time.monotonic() < deadline:
        statuses = [client.get(f"/api/v1/runs/{r['id']}").get_json()["status"] for r in ids]
        if all(s == "Finished" for s in statuses):
            break
        time.sleep(0.2)
    assert statuses == ["Finished"] * 6, statuses
    dispatcher.stop()


def test_cancel_a_running_run_stops_inside_the_step(app, client):
    import time

    slow_sql = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 1000000000) SELECT count(*) AS n FROM c;")
    doc = {"name": "Slow", "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": "a\n1\n"}},
        {"id": "sql", "module": "apply_sql_transformation", "params": {"sql": slow_sql}},
        {"id": "after", "module": "select_columns", "params": {}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "sql", "port": "t1"}},
                  {"from": {"node": "sql", "port": "dataset"},
                   "to": {"node": "after", "port": "dataset"}}]}
    dispatcher = app.extensions["designer"].start_dispatcher()
    run_id = submit(client, document=doc).get_json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        steps = {s["node_id"]: s["status"] for s in
                 client.get(f"/api/v1/runs/{run_id}").get_json()["steps"]}
        if steps["sql"] == "Running":
            break
        time.sleep(0.05)
    assert client.post(f"/api/v1/runs/{run_id}/cancel").status_code == 202
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/runs/{run_id}").get_json()
        if run["status"] not in ("Queued", "Running"):
            break
        time.sleep(0.05)
    assert run["status"] == "Canceled"
    assert [s["status"] for s in run["steps"]] == ["Finished", "Canceled", "Canceled"]
    dispatcher.stop()


def test_experiments_summary_on_postgresql(pg_app):
    from tests.conftest import bearer

    client = pg_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(pg_app)}"
    for name in ("a", "b", "a"):
        response = client.post("/api/v1/endpoints/income-retrain/submit",
                               json={"ExperimentName": name})
        assert response.status_code == 202
    listed = client.get("/api/v1/experiments").get_json()["experiments"]
    assert [(e["name"], e["runs"], e["last_status"]) for e in listed] == [
        ("a", 2, "Queued"), ("b", 1, "Queued")]


def test_a_run_shows_the_limits_that_apply(client, run_queued):
    run = finished_run(client, run_queued)
    assert run["limits"] | {"run_seconds": 21600, "step_seconds": 3600, "step_memory_mb": 4096,
                            "sql_seconds": 60.0} == run["limits"]


def test_a_step_over_its_time_limit_fails_and_a_run_beside_it_finishes(tmp_path, monkeypatch):
    """Two runs at once: the one stuck in a long call is stopped at DESIGNER_STEP_SECONDS."""
    import time

    from app import create_app
    from app.engine.registry import REGISTRY
    from tests.conftest import _principals, bearer
    from tests.engine.toy import TOY

    monkeypatch.setitem(REGISTRY, "stuck", TOY["stuck"])
    app = create_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
                      "DESIGNER_STEP_SECONDS": 2.0})
    with app.app_context():
        _principals(app)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(app)}"
    stuck = {"name": "Stuck", "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": "a\n1\n"}},
        {"id": "stuck", "module": "stuck", "params": {"seconds": 60}},
        {"id": "after", "module": "select_columns", "params": {}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "stuck", "port": "dataset"}},
                  {"from": {"node": "stuck", "port": "dataset"},
                   "to": {"node": "after", "port": "dataset"}}]}
    try:
        app.extensions["designer"].start_dispatcher()
        ids = [submit(client, document=stuck).get_json()["id"], submit(client).get_json()["id"]]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = [client.get(f"/api/v1/runs/{i}").get_json() for i in ids]
            if all(r["status"] not in ("Queued", "Running") for r in runs):
                break
            time.sleep(0.1)
    finally:
        app.extensions["designer"].shutdown()
    stuck_run, tiny_run = runs
    assert tiny_run["status"] == "Finished"
    assert stuck_run["status"] == "Failed"
    assert stuck_run["limits"]["step_seconds"] == 2
    assert [s["status"] for s in stuck_run["steps"]] == ["Finished", "Failed", "Skipped"]
    assert stuck_run["steps"][1]["error"]["message"] == (
        "Step exceeded the time limit of 2 seconds (DESIGNER_STEP_SECONDS)")


def test_a_submit_on_postgresql_needs_one_connection_of_the_pool(pg_app):
    """Requests at once may take every connection of the pool: a request that held one and
    asked for a second (as a new server's first notices did) waited out the pool's timeout.
    Here the pool has a single connection: every submit must still be served at once."""
    import threading
    import time

    from app import create_app
    from app.extensions import db
    from tests.conftest import bearer

    token = bearer(pg_app)
    options = pg_app.config["SQLALCHEMY_ENGINE_OPTIONS"] | {
        "pool_size": 1, "max_overflow": 0, "pool_timeout": 5}
    fresh = create_app({key: pg_app.config[key] for key in (
        "DESIGNER_HOME", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")}
        | {"SQLALCHEMY_ENGINE_OPTIONS": options})
    headers = {"Authorization": f"Bearer {token}"}
    statuses, start = [], time.monotonic()

    def submit_one():
        pipeline = fresh.test_client().get("/api/v1/pipelines", headers=headers).get_json()[
            "pipelines"][0]["id"]
        answer = fresh.test_client().post(f"/api/v1/pipelines/{pipeline}/runs", json={},
                                          headers=headers)
        statuses.append(answer.status_code)

    try:
        submit_one()  # the first: it also finds the notice channel
        threads = [threading.Thread(target=submit_one) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert statuses == [202] * 9
        assert time.monotonic() - start < 5  # the pool's wait
    finally:
        fresh.extensions["designer"].shutdown()
        with fresh.app_context():
            db.engine.dispose()
