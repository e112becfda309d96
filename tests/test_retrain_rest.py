"""Retraining over real HTTP: `designer serve` as a process, CLI-made clients, examples/retrain.py.

The seed's flow from issue 5: a runner client gets a token, submits the sample endpoint with
DataPathAssignments pointing at the non-US file (through the shipped example script), polls it
to Finished; its metrics differ from the default run's; the trained model downloads; a second
published version is submitted with ?pipelineVersion=1; refused submissions create no run.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import urllib.parse

import joblib
import pytest

from tests.helpers_server import ROOT, Server, cli, http

SCRIPT = ROOT / "examples" / "retrain.py"
ENDPOINT = "/api/v1/endpoints/income-retrain"
NON_US = {"datastore": "samples", "path": "income/non_us.csv"}
US = {"datastore": "samples", "path": "income/us.csv"}
US_ROWS = len((ROOT / "sample_data" / US["path"]).read_text().splitlines()) - 1
RUN_TIMEOUT = 120


class Live:
    """The server, the two clients' credentials and tokens, and the runs done at start."""

    def __init__(self, server: Server):
        self.server = server
        self.runner: dict = {}
        self.editor: dict = {}
        self.runner_headers: dict = {}
        self.editor_headers: dict = {}
        self.script: subprocess.CompletedProcess | None = None
        self.printed: dict = {}
        self.default_run: dict = {}

    def call(self, method: str, path: str, body=None, *, as_editor=False):
        """(status, decoded JSON) of one request with the runner's (or editor's) token."""
        headers = self.editor_headers if as_editor else self.runner_headers
        status, _, raw = http(method, self.server.url + path, body, headers=headers)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {"raw": raw[:300]}

    def run_count(self) -> int:
        status, answer = self.call("GET", "/api/v1/runs?limit=1000")
        assert status == 200, answer
        return len(answer["runs"])

    def wait(self, run_id: str) -> dict:
        """Poll a run until it is done."""
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            status, run = self.call("GET", f"/api/v1/runs/{run_id}")
            assert status == 200, run
            if run["status"] in ("Finished", "Failed", "Canceled"):
                return run
            time.sleep(0.3)
        raise AssertionError(f"run {run_id} not done in {RUN_TIMEOUT} s\n{self.server.tail()}")


def _client(home, name: str, role: str) -> dict:
    created = cli(home, "clients", "create", name, "--role", role)
    assert created.returncode == 0, created.stderr
    return json.loads(created.stdout)


def _token_headers(server: Server, credentials: dict) -> dict:
    server.authorize(credentials["client_id"], credentials["client_secret"])
    return dict(server.headers)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """An initialised server; the default version submitted over HTTP while the example
    script retrains on the non-US file (both runs execute at the same time)."""
    home = tmp_path_factory.mktemp("retrain")
    init = cli(home, "init")
    assert init.returncode == 0, init.stderr
    live = Live(Server(home, home / "server.log"))
    live.runner = _client(home, "retrainer", "runner")
    live.editor = _client(home, "publisher", "editor")
    try:
        live.server.start()
        live.editor_headers = _token_headers(live.server, live.editor)
        live.runner_headers = _token_headers(live.server, live.runner)
        status, default = live.call("POST", ENDPOINT + "/submit",
                                    {"ExperimentName": "baseline"})
        assert status == 202, default
        live.script = subprocess.run(
            [sys.executable, str(SCRIPT), "--url", live.server.url,
             "--client-id", live.runner["client_id"],
             "--client-secret", live.runner["client_secret"],
             "--data-path", "samples:income/non_us.csv", "--poll-seconds", "0.3"],
            cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
        assert live.script.returncode == 0, (
            f"{live.script.stdout}\n{live.script.stderr}\n{live.server.tail()}")
        live.printed = json.loads(live.script.stdout)
        live.default_run = live.wait(default["Id"])
        yield live
    finally:
        live.server.kill()


def test_example_script_prints_the_finished_runs_metrics(live):
    printed = live.printed
    assert printed["status"] == "Finished", live.script.stderr
    assert printed["pipeline_version"] == 0
    assert set(printed["metrics"]["evaluate"]) >= {"accuracy", "auc"}
    assert 0.5 < printed["metrics"]["evaluate"]["auc"] <= 1
    assert f"run {printed['run_id']}: Finished" in live.script.stderr


def test_the_run_records_endpoint_data_path_client_and_source(live):
    status, run = live.call("GET", f"/api/v1/runs/{live.printed['run_id']}")
    assert status == 200, run
    assert run["metrics"] == live.printed["metrics"]
    assert run["parameters"] == {"training_data": NON_US}
    assert (run["submitted_by"], run["source"]) == ("client:retrainer", "api")
    assert run["experiment"] == "retrain"
    _, endpoint = live.call("GET", ENDPOINT)
    assert (run["endpoint_id"], run["endpoint_version"]) == (endpoint["id"], 0)
    _, listed = live.call("GET", ENDPOINT + "/runs")
    assert {r["id"] for r in listed["runs"]} == {run["id"], live.default_run["id"]}


def test_retrained_metrics_differ_from_the_default_runs(live):
    default = live.default_run
    assert default["status"] == "Finished", live.server.tail()
    assert default["parameters"] == {"training_data": US}
    assert default["submitted_by"] == "client:retrainer"
    assert default["metrics"]["evaluate"] != live.printed["metrics"]["evaluate"]


def test_trained_model_downloads(live):
    url = f"{live.server.url}/api/v1/runs/{live.printed['run_id']}/steps/train/outputs/" \
          "trained_model"
    status, headers, raw = http("GET", url, headers=live.runner_headers)
    assert status == 200, raw[:300]
    assert len(raw) > 0 and "attachment" in headers["Content-Disposition"]
    model = joblib.load(io.BytesIO(raw))
    assert model.label_column == "income"


def test_runner_cannot_publish_or_disable(live):
    _, listed = live.call("GET", "/api/v1/pipelines")
    pid = next(p["id"] for p in listed["pipelines"] if p["name"] == "Income prediction")
    before = live.call("GET", ENDPOINT)[1]
    status, answer = live.call("POST", f"/api/v1/pipelines/{pid}/publish",
                               {"endpoint": "income-retrain"})
    assert status == 403 and "editor" in answer["error"], answer
    status, answer = live.call("POST", ENDPOINT + "/disable")
    assert status == 403, answer
    after = live.call("GET", ENDPOINT)[1]
    assert (after["versions"], after["status"]) == (before["versions"], "Active")


def test_second_published_version_is_submitted_by_number(live):
    _, listed = live.call("GET", "/api/v1/pipelines", as_editor=True)
    pid = next(p["id"] for p in listed["pipelines"] if p["name"] == "Income prediction")
    status, draft = live.call("GET", f"/api/v1/pipelines/{pid}", as_editor=True)
    assert status == 200, draft
    doc = draft["document"]
    next(n for n in doc["nodes"] if n["id"] == "split")["params"]["fraction"] = 0.4
    status, saved = live.call("PUT", f"/api/v1/pipelines/{pid}",
                              {"document": doc, "revision": draft["revision"]}, as_editor=True)
    assert status == 200, saved
    status, published = live.call("POST", f"/api/v1/pipelines/{pid}/publish",
                                  {"endpoint": "income-retrain", "description": "40 % train"},
                                  as_editor=True)
    assert status == 201, published
    assert published["version"] == 1 and published["published_by"] == "client:publisher"
    assert live.call("GET", ENDPOINT)[1]["default_version"] == 0

    status, submitted = live.call("POST", ENDPOINT + "/submit?pipelineVersion=1",
                                  {"ExperimentName": "v1"})
    assert status == 202, submitted
    assert submitted["PipelineVersion"] == 1
    run = live.wait(submitted["Id"])
    assert run["status"] == "Finished", live.server.tail()
    assert run["endpoint_version"] == 1
    status, preview = live.call(
        "GET", f"/api/v1/runs/{run['id']}/steps/split/outputs/results1/preview?rows=0")
    assert status == 200, preview
    assert preview["row_count"] == round(0.4 * US_ROWS)


NO_FILE = {"training_data": {"DataStoreName": "samples", "RelativePath": "income/missing.csv"}}


@pytest.mark.parametrize(("query", "body", "expected", "culprit"), [
    ("", {"ParameterAssignments": {"learning_rate": 0.1}}, 422, "learning_rate"),
    ("", {"ParameterAssignments": {"training_data": 5}}, 422, "training_data"),
    ("", {"DataPathAssignments": NO_FILE}, 422, "income/missing.csv"),
    ("?pipelineVersion=7", {}, 404, "version 7"),
    ("?pipelineVersion=latest", {}, 400, "pipelineVersion"),
], ids=["unknown-parameter", "wrong-type", "missing-file", "unknown-version", "bad-version"])
def test_refused_submission_names_the_culprit_and_creates_no_run(live, query, body, expected,
                                                                 culprit):
    before = live.run_count()
    status, answer = live.call("POST", ENDPOINT + "/submit" + query, body)
    assert status == expected, answer
    assert culprit in answer["error"], answer
    assert live.run_count() == before


def test_disabled_endpoint_refuses_until_enabled(live):
    before = live.run_count()
    status, answer = live.call("POST", ENDPOINT + "/disable", as_editor=True)
    assert status == 200 and answer["status"] == "Disabled", answer
    try:
        status, answer = live.call("POST", ENDPOINT + "/submit", {})
        assert 400 <= status < 500, answer
        assert "income-retrain" in answer["error"] and "disabled" in answer["error"], answer
        assert live.run_count() == before
        # The example script reports the refusal and exits non-zero.
        script = subprocess.run(
            [sys.executable, str(SCRIPT), "--url", live.server.url,
             "--client-id", live.runner["client_id"],
             "--client-secret", live.runner["client_secret"]],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert script.returncode == 1 and "disabled" in script.stderr, script.stderr
        assert script.stdout == ""
        assert live.run_count() == before
    finally:
        status, answer = live.call("POST", ENDPOINT + "/enable", as_editor=True)
        assert status == 200 and answer["status"] == "Active", answer


def test_wrong_credentials_are_refused_by_the_token_endpoint(live):
    form = urllib.parse.urlencode({"grant_type": "client_credentials",
                                   "client_id": live.runner["client_id"],
                                   "client_secret": "wrong"}).encode()
    status, _, raw = http("POST", live.server.url + "/oauth2/token", form,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status in (400, 401), raw
    assert "access_token" not in json.loads(raw)


def test_readme_shows_the_example_script_verbatim():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Retrain from code\n", 1)[1]
    shown = section.split("```python\n", 1)[1].split("\n```\n", 1)[0] + "\n"
    assert shown == SCRIPT.read_text()
