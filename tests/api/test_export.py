"""Export as Python: the script reproduces a run's metrics exactly, without this app."""

import copy
import json
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def pipeline_id(client, name):
    return next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
                if p["name"] == name)


def edit_draft(client, pid, change):
    """Apply ``change(document)`` to a draft and store it."""
    current = client.get(f"/api/v1/pipelines/{pid}").get_json()
    document = copy.deepcopy(current["document"])
    change(document)
    response = client.put(f"/api/v1/pipelines/{pid}",
                          json={"document": document, "revision": current["revision"]})
    assert response.status_code == 200, response.get_json()


def run_script(text: str, folder: Path, *options: str) -> dict:
    """Run an exported script in a fresh interpreter; the metrics it prints."""
    script = folder / "exported.py"
    script.write_text(text)
    done = subprocess.run([sys.executable, str(script), "--samples-dir", str(SAMPLES), *options],
                          cwd=folder, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_metrics(client, run_queued, response) -> dict:
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    run_queued()
    run = client.get(f"/api/v1/runs/{body.get('id') or body['Id']}").get_json()
    assert run["status"] == "Finished", run
    return run["metrics"]


def export(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "text/x-python"
    text = response.get_data(as_text=True)
    assert "import app" not in text and "from app" not in text
    return response, text


def test_a_draft_exports_to_a_script_with_the_runs_metrics(client, run_queued, tmp_path):
    pid = pipeline_id(client, "Income prediction")
    response, text = export(client, f"/api/v1/pipelines/{pid}/export.py")
    assert 'filename="income_prediction.py"' in response.headers["Content-Disposition"]
    # one function per module kind the pipeline uses, and none it does not use
    assert text.count("\ndef train_model(") == 1 and "\ndef normalize_data(" not in text
    expected = run_metrics(client, run_queued, client.post(
        f"/api/v1/pipelines/{pid}/runs", json={"experiment": "export"}))
    assert run_script(text, tmp_path) == expected


def test_a_regression_draft_exports_too(client, run_queued, tmp_path):
    pid = pipeline_id(client, "Diabetes progression regression")
    _, text = export(client, f"/api/v1/pipelines/{pid}/export.py")
    expected = run_metrics(client, run_queued, client.post(
        f"/api/v1/pipelines/{pid}/runs", json={"experiment": "export"}))
    assert run_script(text, tmp_path) == expected


def test_a_published_version_takes_its_parameters_as_options(client, run_queued, tmp_path):
    response, text = export(client, "/api/v1/endpoints/income-retrain/versions/0/export.py")
    assert 'filename="income_retrain_v0.py"' in response.headers["Content-Disposition"]
    assert "'--training-data'" in text and "default='income/us.csv'" in text
    expected = run_metrics(client, run_queued, client.post(
        "/api/v1/endpoints/income-retrain/submit", json={
            "ExperimentName": "export", "DataPathAssignments": {"training_data": {
                "DataStoreName": "samples", "RelativePath": "income/non_us.csv"}}}))
    assert run_script(text, tmp_path, "--training-data", "income/non_us.csv") == expected


def test_a_module_that_needs_the_server_is_refused_by_name(client):
    document = {"schema_version": 1, "name": "save", "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": "a,b\n1,2\n"}},
        {"id": "save", "module": "export_data",
         "params": {"path": {"datastore": "samples", "path": "out/copy.csv"}}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "save", "port": "dataset"}}]}
    pid = client.post("/api/v1/pipelines", json={"document": document}).get_json()["id"]
    response = client.get(f"/api/v1/pipelines/{pid}/export.py")
    assert response.status_code == 422
    body = response.get_json()
    assert body["node"] == "save"
    assert body["error"] == ("Export Data (save) cannot be exported as Python: it writes into "
                             "a datastore of the server.")


def test_unknown_pipeline_and_version(client):
    assert client.get("/api/v1/pipelines/nope/export.py").status_code == 404
    assert client.get("/api/v1/endpoints/income-retrain/versions/7/export.py").status_code == 404


def bind_split_parameters(document):
    """The split's fraction and randomized fields as pipeline parameters."""
    document["parameters"] += [
        {"name": "fraction", "type": "float", "default": 0.7},
        {"name": "randomized", "type": "bool", "default": True}]
    split = next(n for n in document["nodes"] if n["id"] == "split")
    split["params"].update(fraction={"$param": "fraction"}, randomized={"$param": "randomized"})


def test_number_and_bool_parameters_are_options_of_their_type(client, run_queued, tmp_path):
    pid = pipeline_id(client, "Income prediction")
    edit_draft(client, pid, bind_split_parameters)
    _, text = export(client, f"/api/v1/pipelines/{pid}/export.py")
    assert "type=float, default=0.7" in text and "type=yes_no, default=True" in text
    expected = run_metrics(client, run_queued, client.post(
        f"/api/v1/pipelines/{pid}/runs",
        json={"parameters": {"fraction": 0.6, "randomized": False}}))
    assert run_script(text, tmp_path, "--fraction", "0.6", "--randomized", "no") == expected


def test_column_rules_are_resolved_in_the_script_as_in_a_run(client, run_queued, tmp_path):
    pid = pipeline_id(client, "Income prediction")
    rules = {"isFilter": True, "rules": [
        {"ruleType": "AllColumns", "exclude": False},
        {"ruleType": "ColumnTypes", "exclude": True, "columnTypes": ["Numeric"],
         "columnKinds": ["All"]},
        {"ruleType": "ColumnNames", "exclude": False, "columns": ["age", "hours-per-week"]}]}
    edit_draft(client, pid, lambda d: next(n for n in d["nodes"] if n["id"] == "select")[
        "params"].update(mode="include", columns=rules))
    _, text = export(client, f"/api/v1/pipelines/{pid}/export.py")
    assert "\ndef select_in(" in text
    expected = run_metrics(client, run_queued, client.post(
        f"/api/v1/pipelines/{pid}/runs", json={"experiment": "export"}))
    assert run_script(text, tmp_path) == expected


def test_a_name_and_description_of_any_characters_export_to_a_script_that_compiles(client):
    from tests.api.test_runs import TINY

    name = 'Q3 """final""" C:\\data\r\nrevised\x00\x7f'
    doc = copy.deepcopy(TINY) | {"name": name, "description": "tab\there, NUL \x00, ''' end\\"}
    created = client.post("/api/v1/pipelines", json={"document": doc})
    assert created.status_code == 201, created.get_json()
    _, text = export(client, f"/api/v1/pipelines/{created.get_json()['id']}/export.py")
    module = compile(text, "exported.py", "exec")  # a NUL or a stray quote would not compile
    namespace: dict = {}
    exec(module, namespace)  # defines the functions; runs nothing (main is not called)
    assert namespace["__doc__"].startswith(f"{name}: exported from Pipeline Designer.")
    assert "tab\there, NUL \x00, ''' end\\" in namespace["__doc__"]
