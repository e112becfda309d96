"""Champion / challenger through HTTP: retrains register challengers, a fair comparison on the
same held-out rows, promote and roll back without a failed request, the automatic rule."""

import json
import math
import threading
import urllib.request

import pytest
from werkzeug.serving import make_server

from tests.api.test_realtime import ROWS, rows_json
from tests.conftest import bearer


def retrain(client, run_queued, path=None):
    body = {"ExperimentName": "retrain"}
    if path:
        body["DataPathAssignments"] = {"training_data": {
            "DataStoreName": "samples", "RelativePath": path}}
    answer = client.post("/api/v1/endpoints/income-retrain/submit", json=body)
    assert answer.status_code == 202, answer.get_json()
    run_queued()
    return answer.get_json()["Id"]


@pytest.fixture
def live(client, run_queued):
    """income-live serves income-retrain version 1 and is linked to income-retrain."""
    run_id = retrain(client, run_queued)
    draft = client.post(f"/api/v1/runs/{run_id}/inference-pipeline").get_json()
    deployed = client.post(f"/api/v1/pipelines/{draft['id']}/deploy", json={"name": "income-live"})
    assert deployed.status_code == 201, deployed.get_json()
    assert deployed.get_json()["model"] == {"name": "income-retrain", "version": 1}
    linked = client.patch("/api/v1/realtime-endpoints/income-live",
                          json={"pipeline_endpoint": "income-retrain"})
    assert linked.status_code == 200, linked.get_json()
    assert linked.get_json()["pipeline_endpoint"] == "income-retrain"
    return run_id


def scores(client, rows):
    answer = client.post("/api/v1/score/income-live", json={"Inputs": {"WebServiceInput0": rows}})
    assert answer.status_code == 200, answer.get_json()
    return [r["Scored Probabilities"] for r in answer.get_json()["Results"]["WebServiceOutput0"]]


def test_a_retrain_is_a_challenger_compared_on_the_same_held_out_rows(client, run_queued, live):
    challenger_run = retrain(client, run_queued, "income/non_us.csv")
    (challenger,) = client.get(
        "/api/v1/realtime-endpoints/income-live/challengers").get_json()["challengers"]
    assert (challenger["model"], challenger["version"]) == ("income-retrain", 2)
    assert challenger["run_id"] == challenger_run

    answer = client.get("/api/v1/realtime-endpoints/income-live/compare"
                        "?model=income-retrain&version=2")
    assert answer.status_code == 200, answer.get_json()
    comparison = answer.get_json()
    run = client.get(f"/api/v1/runs/{challenger_run}").get_json()
    held_out = client.get(f"/api/v1/runs/{challenger_run}/steps/split/outputs/results2/preview"
                          "?rows=0").get_json()["row_count"]
    assert comparison["rows"] == held_out and comparison["run_id"] == challenger_run
    # The challenger on its own run's test split is exactly what that run's Evaluate Model saw;
    # the champion is scored on those same rows.
    assert comparison["challenger"]["metrics"] == run["metrics"]["evaluate"]
    assert comparison["champion"]["version"] == 1
    assert comparison["champion"]["metrics"] != comparison["challenger"]["metrics"]
    for side in ("champion", "challenger"):
        assert len(comparison[side]["curves"]["roc"]["fpr"]) > 10
        assert sum(map(sum, comparison[side]["curves"]["confusion_matrix"]["matrix"])) == held_out

    missing = client.get("/api/v1/realtime-endpoints/income-live/compare?model=income-retrain")
    assert missing.status_code == 400 and "'version'" in missing.get_json()["error"]


def test_promote_and_roll_back_change_the_scores(client, run_queued, live):
    rows = rows_json(ROWS.head(20))
    before = scores(client, rows)
    retrain(client, run_queued, "income/non_us.csv")
    promoted = client.post("/api/v1/realtime-endpoints/income-live/promote",
                           json={"model": "income-retrain", "version": 2, "reason": "fresher"})
    assert promoted.status_code == 200, promoted.get_json()
    assert promoted.get_json()["model"] == {"name": "income-retrain", "version": 2}
    after = scores(client, rows)
    assert after != before
    again = client.post("/api/v1/realtime-endpoints/income-live/promote",
                        json={"model": "income-retrain", "version": 2})
    assert again.status_code == 409
    back = client.post("/api/v1/realtime-endpoints/income-live/promote",
                       json={"model": "income-retrain", "version": 1, "reason": "roll back"})
    assert back.status_code == 200
    assert scores(client, rows) == before
    decisions = client.get("/api/v1/realtime-endpoints/income-live/decisions").get_json()
    assert [(d["champion"], d["challenger"], d["promoted"], d["rolled_back"], d["automatic"],
             d["reason"]) for d in decisions["decisions"]] == [
        ("income-retrain:2", "income-retrain:1", True, True, False, "roll back"),
        ("income-retrain:1", "income-retrain:2", True, False, False, "fresher")]
    history = client.get("/api/v1/realtime-endpoints/income-live/deployments").get_json()
    assert [(d["deployment"], d["action"], d["model"]["version"], d["reason"])
            for d in history["deployments"]] == [
        (3, "roll back", 1, "roll back"), (2, "promote", 2, "fresher"), (1, "deploy", 1, "")]
    assert {d["deployed_by"] for d in history["deployments"]} == {"client:tests"}
    unknown = client.post("/api/v1/realtime-endpoints/income-live/promote",
                          json={"model": "income-retrain", "version": 9})
    assert unknown.status_code == 404


def test_the_rule_promotes_or_keeps_and_says_why(client, run_queued, live):
    strict = client.patch("/api/v1/realtime-endpoints/income-live",
                          json={"auto_promote": {"metric": "auc", "margin": 0.5}})
    assert strict.get_json()["auto_promote"] == {"metric": "auc", "margin": 0.5}
    retrain(client, run_queued, "income/non_us.csv")
    endpoint = client.get("/api/v1/realtime-endpoints/income-live").get_json()
    assert endpoint["model"]["version"] == 1
    (kept,) = client.get("/api/v1/realtime-endpoints/income-live/decisions").get_json()[
        "decisions"]
    assert (kept["challenger"], kept["promoted"], kept["automatic"]) == (
        "income-retrain:2", False, True)
    assert "not more than the margin 0.5" in kept["reason"] and "held-out rows" in kept["reason"]

    client.patch("/api/v1/realtime-endpoints/income-live",
                 json={"auto_promote": {"metric": "auc", "margin": -1}})
    retrain(client, run_queued, "income/non_us.csv")
    endpoint = client.get("/api/v1/realtime-endpoints/income-live").get_json()
    assert endpoint["model"]["version"] == 3
    latest = client.get("/api/v1/realtime-endpoints/income-live/decisions").get_json()[
        "decisions"][0]
    assert (latest["promoted"], latest["automatic"], latest["decided_by"]) == (True, True, "rule")
    assert latest["comparison"]["challenger"]["version"] == 3

    refused = client.patch("/api/v1/realtime-endpoints/income-live",
                           json={"auto_promote": {"metric": "luck"}})
    assert refused.status_code == 422 and "'luck'" in refused.get_json()["error"]
    cleared = client.patch("/api/v1/realtime-endpoints/income-live",
                           json={"auto_promote": None})
    assert cleared.get_json()["auto_promote"] is None


def test_no_request_fails_while_versions_are_swapped(app, client, run_queued, live):
    retrain(client, run_queued, "income/non_us.csv")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/score/income-live"
    token = bearer(app)
    body = json.dumps({"Inputs": {"WebServiceInput0": rows_json(ROWS.head(5))}}).encode()
    statuses, stop = [], threading.Event()

    def hammer():
        while not stop.is_set():
            request = urllib.request.Request(url, data=body, method="POST", headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    payload = json.loads(answer.read())
                    ok = all(not math.isnan(r["Scored Probabilities"])
                             for r in payload["Results"]["WebServiceOutput0"])
                    statuses.append(answer.status if ok else -1)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        for version in (2, 1, 2, 1):
            answer = client.post("/api/v1/realtime-endpoints/income-live/promote",
                                 json={"model": "income-retrain", "version": version})
            assert answer.status_code == 200, answer.get_json()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        server.shutdown()
    assert len(statuses) > 20
    assert set(statuses) == {200}
