"""`designer serve` as a real process: the REST API over HTTP, live events, restart."""

from __future__ import annotations

import io
import json
import signal
import time
import urllib.request

import joblib
import pytest

from tests.helpers_server import ROOT, Server, cli, http

NON_US = {"datastore": "samples", "path": "income/non_us.csv"}
NON_US_ROWS = len((ROOT / "sample_data" / NON_US["path"]).read_text().splitlines()) - 1
RUN_TIMEOUT = 120


class Live:
    """The server under test (replaced when a test restarts it) and the run it executed."""

    def __init__(self, server: Server):
        self.server = server
        self.pipeline: dict = {}
        self.submitted: dict = {}
        self.location = ""
        self.run: dict = {}

    def get(self, path: str, expect: int = 200) -> dict:
        """GET JSON from the current server."""
        return self.server.get_json(path, expect)


def _wait_finished(server: Server, run_id: str) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run = server.get_json(f"/api/v1/runs/{run_id}")
        if run["status"] in ("Finished", "Failed", "Canceled"):
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} not done in {RUN_TIMEOUT} s: {run}\n{server.tail()}")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """An initialised instance served on a free port, with one retraining run done."""
    home = tmp_path_factory.mktemp("serve")
    init = cli(home, "init")
    assert init.returncode == 0, init.stderr
    created = cli(home, "clients", "create", "tests", "--role", "editor")
    assert created.returncode == 0, created.stderr
    credentials = json.loads(created.stdout)
    live = Live(Server(home, home / "server.log"))
    try:
        live.server.start()
        token = live.server.authorize(credentials["client_id"], credentials["client_secret"])
        assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
        found = [p for p in live.get("/api/v1/pipelines")["pipelines"]
                 if p["name"] == "Income prediction"]
        assert len(found) == 1, found
        live.pipeline = found[0]
        status, headers, raw = http(
            "POST", f"{live.server.url}/api/v1/pipelines/{live.pipeline['id']}/runs",
            {"parameters": {"training_data": NON_US}, "experiment": "retrain"},
            headers=live.server.headers)
        assert status == 202, f"{status} {raw!r}\n{live.server.tail()}"
        live.submitted, live.location = json.loads(raw), headers.get("Location", "")
        live.run = _wait_finished(live.server, live.submitted["id"])
        yield live
    finally:
        live.server.kill()


def _run_path(live: Live, suffix: str = "") -> str:
    return f"/api/v1/runs/{live.run['id']}{suffix}"


def test_module_catalogue(live):
    names = {m["name"] for m in live.get("/api/v1/modules")["modules"]}
    assert {"import_data", "split_data", "train_model", "score_model",
            "evaluate_model"} <= names


def test_submit_answers_202_with_a_queued_run(live):
    assert live.submitted["status"] in ("Queued", "Running", "Finished")
    assert live.submitted["experiment"] == "retrain"
    assert live.submitted["pipeline_id"] == live.pipeline["id"]
    assert live.location.endswith(f"/api/v1/runs/{live.submitted['id']}")


def test_run_finishes_with_metrics(live):
    run = live.run
    assert run["status"] == "Finished", f"{run}\n{live.server.tail()}"
    assert run["parameters"]["training_data"] == NON_US
    assert [s["status"] for s in run["steps"]] == ["Finished"] * len(run["steps"])
    assert {s["node_id"] for s in run["steps"]} == {
        "import", "clean", "select", "split", "learner", "train", "score", "evaluate"}
    assert 0.5 < run["metrics"]["evaluate"]["auc"] <= 1, run["metrics"]
    listed = live.get("/api/v1/runs?experiment=retrain")["runs"]
    assert [r["id"] for r in listed] == [run["id"]]


def test_step_logs(live):
    evaluate = live.get(_run_path(live, "/steps/evaluate/logs"))
    assert evaluate["status"] == "Finished"
    assert "auc=" in evaluate["log"], evaluate
    imported = live.get(_run_path(live, "/steps/import/logs"))
    assert "non_us.csv" in imported["log"], imported


def test_output_preview(live):
    first = live.get(_run_path(live, "/steps/split/outputs/results1/preview?rows=5"))
    second = live.get(_run_path(live, "/steps/split/outputs/results2/preview?rows=0"))
    assert first["kind"] == "dataframe"
    assert first["row_count"] + second["row_count"] == NON_US_ROWS
    assert first["row_count"] == round(0.7 * NON_US_ROWS)
    names = [c["name"] for c in first["columns"]]
    assert "income" in names and "fnlwgt" not in names, names
    assert len(first["rows"]) == 5 and second["rows"] == []


def test_download_outputs(live):
    url = live.server.url + _run_path(live, "/steps/train/outputs/trained_model")
    status, headers, raw = http("GET", url, headers=live.server.headers)
    assert status == 200, raw[:300]
    assert "attachment" in headers["Content-Disposition"]
    model = joblib.load(io.BytesIO(raw))
    assert model.label_column == "income"

    status, headers, raw = http("GET", live.server.url + _run_path(
        live, "/steps/split/outputs/results1?format=csv"), headers=live.server.headers)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert len(raw.decode().splitlines()) == round(0.7 * NON_US_ROWS) + 1


def test_event_stream_of_a_finished_run_ends(live):
    request = urllib.request.Request(live.server.url + _run_path(live, "/events"),
                                     headers=live.server.headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.headers["Content-Type"].startswith("text/event-stream")
        text = response.read().decode()
    blocks = [b for b in text.split("\n\n") if b.strip()]
    assert blocks[-1].startswith("event: end"), text[-500:]
    steps = [json.loads(b.split("data: ", 1)[1]) for b in blocks if "\nevent: step\n" in b]
    finished = {e["node_id"] for e in steps if e["status"] == "Finished"}
    assert finished == {s["node_id"] for s in live.run["steps"]}
    evaluate = [e for e in steps if e["node_id"] == "evaluate" and e["status"] == "Finished"]
    assert evaluate[0]["metrics"]["auc"] == live.run["metrics"]["evaluate"]["auc"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]"])
def test_malformed_body_is_400(live, raw):
    url = f"{live.server.url}/api/v1/pipelines/{live.pipeline['id']}/runs"
    status, _, answer = http("POST", url, raw, headers=live.server.headers)
    assert status == 400, answer
    assert "JSON" in json.loads(answer)["error"]


def test_requests_without_a_token_are_refused(live):
    status, headers, raw = http("GET", live.server.url + "/api/v1/pipelines")
    lowered = {k.lower(): v for k, v in headers.items()}
    assert status == 401 and lowered["www-authenticate"].startswith("Bearer")
    status, _, raw = http("GET", live.server.url + "/api/v1/pipelines",
                          headers={"Authorization": "Bearer forged"})
    assert status == 401 and json.loads(raw)["error"] == "The access token is not valid."


def test_unknown_run_is_404(live):
    answer = live.get("/api/v1/runs/no-such-run", expect=404)
    assert "no-such-run" in answer["error"]


def test_shutdown_and_restart_keep_the_run(live):
    took = live.server.stop(signal.SIGINT)
    assert took < 10, live.server.tail()
    assert live.server.proc.returncode is not None
    before = live.run

    # Issued tokens are stored (hashed) in the database: they outlive a restart.
    live.server = Server(live.server.home, live.server.log_path, live.server.headers).start()
    after = live.get(_run_path(live))
    assert after["status"] == "Finished"
    assert after["metrics"] == before["metrics"]
    assert after["steps"] == before["steps"]
    assert live.get(_run_path(live, "/steps/split/outputs/results1/preview?rows=1"))[
        "row_count"] == round(0.7 * NON_US_ROWS)

    assert live.server.stop(signal.SIGTERM) < 10, live.server.tail()
    # Handled errors (the 400s and 404s above) are answers, not crashes: nothing was logged.
    assert "Traceback" not in live.server.log_path.read_text(), live.server.tail()
