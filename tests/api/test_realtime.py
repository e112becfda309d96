"""Real-time inference through HTTP: a run's inference pipeline, deployed, scoring rows."""

import io
import math
import re

import pandas as pd
import pytest
from sqlalchemy import event, func, select

from app import create_app
from app.config import ROOT
from app.errors import BadRequest
from app.extensions import db
from app.models import RealtimeEndpoint, RequestBucket
from app.services import realtime, request_log
from tests.conftest import principal_headers, wait_for

ROWS = pd.read_csv(ROOT / "sample_data" / "income" / "non_us.csv").head(60)


def income_id(client):
    return next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
                if p["name"] == "Income prediction")


@pytest.fixture
def trained(client, run_queued):
    """A finished run of the Income sample."""
    run_id = client.post(f"/api/v1/pipelines/{income_id(client)}/runs", json={}).get_json()["id"]
    run_queued()
    assert client.get(f"/api/v1/runs/{run_id}").get_json()["status"] == "Finished"
    return run_id


@pytest.fixture
def inference(client, trained):
    answer = client.post(f"/api/v1/runs/{trained}/inference-pipeline")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.fixture
def deployed(client, inference):
    answer = client.post(f"/api/v1/pipelines/{inference['id']}/deploy",
                         json={"name": "income-scoring", "description": "Income, live"})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def rows_json(frame):
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v)
             for k, v in row.items()} for row in frame.to_dict(orient="records")]


def test_the_inference_pipeline_replaces_training_with_what_it_learned(client, trained,
                                                                       inference):
    doc = inference["document"]
    modules = {n["id"]: n["module"] for n in doc["nodes"]}
    assert modules == {
        "import": "import_data", "web_service_input": "web_service_input",
        "clean": "apply_transformation", "clean_transformation": "saved_transformation",
        "select": "select_columns", "train": "saved_model", "score": "score_model",
        "web_service_output": "web_service_output"}
    wires = {(e["from"]["node"], e["from"]["port"], e["to"]["node"], e["to"]["port"])
             for e in doc["edges"]}
    assert ("import", "dataset", "web_service_input", "dataset") in wires
    assert ("web_service_input", "dataset", "clean", "dataset") in wires
    assert ("select", "dataset", "score", "dataset") in wires  # Split Data is gone
    assert ("score", "scored_dataset", "web_service_output", "dataset") in wires
    train = next(n for n in doc["nodes"] if n["id"] == "train")
    assert train["params"]["source"].startswith("model income-prediction version 1 (run ")
    # The draft is a pipeline like any other: it validates, and its model is registered.
    assert client.get(f"/api/v1/pipelines/{inference['id']}/validate").get_json()["valid"]
    version = client.get("/api/v1/models/income-prediction/versions/1").get_json()
    assert (version["run_id"], version["source"]) == (trained, "inference")


def test_scores_equal_a_batch_run_of_the_same_graph_exactly(client, run_queued, deployed,
                                                            inference, tmp_path):
    assert deployed["model"] == {"name": "income-prediction", "version": 1}
    assert deployed["scoring_url"].endswith("/api/v1/score/income-scoring")
    schema = deployed["input_schema"]["WebServiceInput0"]
    assert {"name": "age", "type": "integer", "dtype": "int64"} in schema
    assert deployed["example"]["WebServiceInput0"]["age"] is not None

    answer = client.post("/api/v1/score/income-scoring", json={
        "Inputs": {"WebServiceInput0": rows_json(ROWS)}, "GlobalParameters": {}})
    assert answer.status_code == 200, answer.get_json()
    scored = answer.get_json()["Results"]["WebServiceOutput0"]
    assert len(scored) == len(ROWS)

    # The same rows through a batch run of the deployed graph (Import Data reads them).
    folder = tmp_path / "rows"
    folder.mkdir()
    (folder / "rows.csv").write_text(ROWS.to_csv(index=False))
    added = client.post("/api/v1/datastores", json={"name": "rows", "root": str(folder)})
    assert added.status_code == 201, added.get_json()
    doc = inference["document"]
    for node in doc["nodes"]:
        if node["id"] == "import":
            node["params"]["path"] = {"datastore": "rows", "path": "rows.csv"}
    doc["parameters"] = []
    run = client.post("/api/v1/runs", json={"document": doc})
    assert run.status_code == 202, run.get_json()
    run_queued()
    batch = pd.read_parquet(io.BytesIO(client.get(
        f"/api/v1/runs/{run.get_json()['id']}/steps/web_service_output/outputs/dataset"
        "?format=parquet").data))
    assert [r["Scored Labels"] for r in scored] == batch["Scored Labels"].tolist()
    assert [r["Scored Probabilities"] for r in scored] == batch["Scored Probabilities"].tolist()


@pytest.mark.parametrize(("inputs", "status", "words"), [
    ({"WebServiceInput0": []}, 400, "non-empty list of rows"),
    ({"Other": [{}]}, 400, "Unknown input 'Other'"),
    ({"WebServiceInput0": [{"age": 30}]}, 400, "row 0: column 'workclass' is missing"),
    ("first-row-unknown", 400, "row 1: unknown column 'colour'"),
    ("first-row-wrong", 400, "row 1, column 'age': expected an integer, got 'old'"),
    ("first-row-fraction", 400, "row 1, column 'age': expected an integer, got 30.5"),
    ("first-row-not-object", 400, "Inputs.WebServiceInput0.1"),
])
def test_bad_rows_are_refused_naming_the_row_and_column(client, deployed, inputs, status,
                                                        words):
    good = rows_json(ROWS.head(2))
    if inputs == "first-row-unknown":
        inputs = {"WebServiceInput0": [good[0], good[1] | {"colour": "red"}]}
    elif inputs == "first-row-wrong":
        inputs = {"WebServiceInput0": [good[0], good[1] | {"age": "old"}]}
    elif inputs == "first-row-fraction":
        inputs = {"WebServiceInput0": [good[0] | {"age": 30.0}, good[1] | {"age": 30.5}]}
    elif inputs == "first-row-not-object":
        inputs = {"WebServiceInput0": [good[0], [1, 2]]}
    answer = client.post("/api/v1/score/income-scoring", json={"Inputs": inputs})
    assert answer.status_code == status
    error = answer.get_json()
    assert words in error["error"] + str([d["field"] for d in error.get("details", [])])
    # The endpoint stays up: a good request right after is answered.
    again = client.post("/api/v1/score/income-scoring",
                        json={"Inputs": {"WebServiceInput0": good}})
    assert again.status_code == 200


def test_too_many_rows_and_malformed_bodies(app, client, deployed):
    app.config["DESIGNER_SCORE_MAX_ROWS"] = 3
    rows = rows_json(ROWS.head(4))
    answer = client.post("/api/v1/score/income-scoring", json={"Inputs": {
        "WebServiceInput0": rows}})
    assert answer.status_code == 413 and "at most 3" in answer.get_json()["error"]
    assert client.post("/api/v1/score/income-scoring", data="{",
                       content_type="application/json").status_code == 400
    assert client.post("/api/v1/score/income-scoring",
                       json={"Inputs": {"WebServiceInput0": ["x"]}}).status_code == 400
    assert client.post("/api/v1/score/nope", json={"Inputs": {}}).status_code == 404


def test_request_counts_and_latency_are_kept(client, deployed):
    rows = rows_json(ROWS.head(3))
    for _ in range(3):
        client.post("/api/v1/score/income-scoring", json={"Inputs": {"WebServiceInput0": rows}})
    client.post("/api/v1/score/income-scoring", json={"Inputs": {"WebServiceInput0": []}})
    endpoint = client.get("/api/v1/realtime-endpoints/income-scoring").get_json()
    requests = endpoint["requests"]
    assert (requests["count"], requests["succeeded"], requests["failed"]) == (4, 3, 1)
    assert 0 < requests["p50_ms"] <= requests["p95_ms"] <= requests["p99_ms"]
    buckets = requests["buckets"]  # one minute, or two if it turned between the requests
    assert (sum(b["succeeded"] for b in buckets), sum(b["failed"] for b in buckets)) == (3, 1)
    assert all(b["start"].endswith(":00+00:00") for b in buckets)
    assert requests["bucket_seconds"] == 60
    listed = client.get("/api/v1/realtime-endpoints").get_json()["endpoints"]
    assert [e["name"] for e in listed] == ["income-scoring"]


def test_the_request_log_is_written_apart_from_requests_and_kept_across_a_restart(
        app, client, deployed):
    writes = []

    def spy(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    body = {"Inputs": {"WebServiceInput0": rows_json(ROWS.head(2))}}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", spy)
        try:
            for _ in range(5):
                assert client.post("/api/v1/score/income-scoring", json=body).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", spy)
    assert [w for w in writes if "realtime" in w or "request" in w] == []

    app.extensions["designer"].shutdown()  # writes what is left, as a stopping server does
    again = create_app({"DESIGNER_HOME": app.config["DESIGNER_HOME"], "SECRET_KEY": "test"})
    try:
        reader = again.test_client()
        reader.environ_base.update(client.environ_base)  # the same token, kept in the database
        requests = reader.get("/api/v1/realtime-endpoints/income-scoring").get_json()["requests"]
        assert (requests["count"], requests["succeeded"], requests["failed"]) == (5, 5, 0)
        assert sum(b["succeeded"] for b in requests["buckets"]) == 5
    finally:
        again.extensions["designer"].shutdown()


def test_the_background_thread_writes_the_log_without_a_read(app, client, deployed):
    served = app.extensions["designer"]
    served.request_flusher.stop()  # started by the deploy; again with a short interval
    app.config["DESIGNER_REQUEST_LOG_SECONDS"] = 0.1
    served.request_flusher = request_log.Flusher(app)
    body = {"Inputs": {"WebServiceInput0": rows_json(ROWS.head(1))}}
    assert client.post("/api/v1/score/income-scoring", json=body).status_code == 200

    def written():
        with app.app_context():
            return db.session.scalar(select(func.sum(RequestBucket.ok)))

    assert wait_for(written, "the request log's background write", timeout=30) == 1


@pytest.mark.parametrize("database", ["app", "pg_app"])
def test_writes_into_the_same_minute_add_up(request, database):
    application = request.getfixturevalue(database)
    with application.app_context():
        db.session.add(RealtimeEndpoint(id="e1", name="e1", document={}))
        db.session.commit()
        tallies = application.extensions["designer"].serving_stats
        for latencies in ((0.004, 0.006), (0.005, 0.5)):  # two writes, most likely one minute
            tally = tallies.setdefault("e1", request_log.Tally())
            for seconds in latencies:
                tally.add(seconds, seconds < 0.1)
            request_log.flush()
        log = request_log.summary("e1")
        assert (log["count"], log["succeeded"], log["failed"]) == (4, 3, 1)
        assert 4.75 < log["p50_ms"] < 5.25 and 475 < log["p99_ms"] < 525
        assert sum(b["succeeded"] + b["failed"] for b in log["buckets"]) == 4


def test_latency_percentiles_come_from_the_histogram_within_a_bin():
    histogram = {}
    for ms in range(1, 101):  # 1 .. 100 ms
        index = str(request_log.latency_bin(ms / 1000))
        histogram[index] = histogram.get(index, 0) + 1
    cuts = request_log.percentiles(histogram)
    for name, exact in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99)):
        assert abs(cuts[name] - exact) <= exact * (request_log.RATIO - 1), (name, cuts)
    assert request_log.percentiles({}) == {}


def test_scoring_needs_the_runner_role_and_a_deploy_updates_in_place(app, client, deployed,
                                                                    inference):
    viewer = principal_headers(app, "looker", "viewer")
    body = {"Inputs": {"WebServiceInput0": rows_json(ROWS.head(1))}}
    refused = app.test_client().post("/api/v1/score/income-scoring", json=body, headers=viewer)
    assert refused.status_code == 403
    runner = principal_headers(app, "scorer", "runner")
    assert app.test_client().post("/api/v1/score/income-scoring", json=body,
                                  headers=runner).status_code == 200
    again = client.post(f"/api/v1/pipelines/{inference['id']}/deploy",
                        json={"name": "income-scoring"})
    assert again.status_code == 200 and again.get_json()["deployment"] == 2
    assert again.get_json()["description"] == "Income, live"


def test_refusals_of_creating_and_deploying(client, run_queued):
    pid = income_id(client)
    run_id = client.post(f"/api/v1/pipelines/{pid}/runs", json={}).get_json()["id"]
    queued = client.post(f"/api/v1/runs/{run_id}/inference-pipeline")
    assert queued.status_code == 409 and "Queued" in queued.get_json()["error"]
    training = client.post(f"/api/v1/pipelines/{pid}/deploy", json={"name": "x"})
    assert training.status_code == 422
    assert "Web Service Input" in training.get_json()["error"]
    bad = client.post(f"/api/v1/pipelines/{pid}/deploy", json={"name": "9 lives"})
    assert bad.status_code == 400
    assert client.get("/api/v1/realtime-endpoints/nope").status_code == 404


@pytest.mark.parametrize(("kind", "values", "words"), [
    ("number", [1.5, None, 2, float("nan")], "row 3, column 'x': expected a number, got nan"),
    ("number", [float("inf")], "row 0, column 'x': expected a number, got inf"),
    ("number", [1.5, True], "row 1, column 'x': expected a number, got True"),
    ("integer", [1, 2.0, None, 2.5], "row 3, column 'x': expected an integer, got 2.5"),
    ("boolean", [True, None, 0], "row 2, column 'x': expected true or false, got 0"),
    ("string", ["a", None, 1], "row 2, column 'x': expected a string, got 1"),
])
def test_each_kind_refuses_the_first_value_that_does_not_fit(kind, values, words):
    columns = [{"name": "x", "type": kind, "dtype": "object"}]
    with pytest.raises(BadRequest, match=re.escape(words)):
        realtime.rows_frame("In", [{"x": v} for v in values], columns)


def test_values_that_fit_make_the_design_time_dtypes():
    columns = [{"name": "n", "type": "number", "dtype": "float64"},
               {"name": "i", "type": "integer", "dtype": "int64"},
               {"name": "j", "type": "integer", "dtype": "int64"},
               {"name": "b", "type": "boolean", "dtype": "bool"},
               {"name": "s", "type": "string", "dtype": "object"}]
    frame = realtime.rows_frame("In", [
        {"n": 1, "i": 2.0, "j": None, "b": True, "s": "a"},
        {"n": 0.5, "i": 3, "j": 4, "b": False, "s": None}], columns)
    assert frame.dtypes.astype(str).to_dict() == {
        "n": "float64", "i": "int64", "j": "float64", "b": "bool", "s": "object"}
    assert frame["i"].tolist() == [2, 3] and frame["n"].tolist() == [1.0, 0.5]
