"""Execute Python Script and Create Python Model in real runs over HTTP: results, the step
log, the isolation from the server's secrets and database, and the step time limit."""

import json

import pytest

from tests.api.test_sql_limits import wait_for_end
from tests.conftest import bearer, make_app

CSV = "name,age\nann,25\nbob,31\ncy,47\n"
DOUBLE = """\
import pandas as pd

def azureml_main(dataframe1=None, dataframe2=None):
    print("doubling", len(dataframe1), "ages")
    return dataframe1.assign(age2=dataframe1["age"] * 2),
"""


def python_pipeline(script: str, name: str = "Python") -> dict:
    return {"name": name, "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": CSV}},
        {"id": "py", "module": "execute_python_script", "params": {"script": script}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "py", "port": "dataframe1"}}]}


def run_document(client, run_queued, document: dict) -> dict:
    run_id = client.post("/api/v1/runs", json={"document": document}).get_json()["id"]
    run_queued()
    return client.get(f"/api/v1/runs/{run_id}").get_json()


def step_of(run: dict, node: str) -> dict:
    return next(s for s in run["steps"] if s["node_id"] == node)


def test_a_script_runs_its_result_is_previewed_and_its_print_is_in_the_log(client, run_queued):
    run = run_document(client, run_queued, python_pipeline(DOUBLE))
    assert run["status"] == "Finished", step_of(run, "py")
    base = f"/api/v1/runs/{run['id']}/steps/py"
    preview = client.get(f"{base}/outputs/result_dataset/preview").get_json()
    assert preview["column_names"] == ["name", "age", "age2"]
    assert preview["rows"] == [["ann", 25, 50], ["bob", 31, 62], ["cy", 47, 94]]
    device = client.get(f"{base}/outputs/python_device/preview").get_json()
    assert device["rows"] == [["stdout", "doubling 3 ages"]]
    assert "doubling 3 ages" in client.get(f"{base}/logs").get_json()["log"]


def test_a_failing_script_fails_its_step_naming_the_line(client, run_queued):
    script = "def azureml_main(dataframe1=None, dataframe2=None):\n    return dataframe1['nope']\n"
    run = run_document(client, run_queued, python_pipeline(script))
    assert run["status"] == "Failed"
    assert step_of(run, "py")["error"]["message"] == (
        "Execute Python Script: line 2 of the script raised KeyError: 'nope'")
    log = client.get(f"/api/v1/runs/{run['id']}/steps/py/logs").get_json()["log"]
    assert "dataframe1['nope']" in log


@pytest.fixture
def secret_app(tmp_path, monkeypatch):
    """An app whose process environment holds settings and a secret, with a client."""
    monkeypatch.setenv("DESIGNER_TEST_TOKEN", "env-secret-value")
    application = make_app({"DESIGNER_HOME": str(tmp_path / "instance"),
                            "SECRET_KEY": "flask-secret-value", "DESIGNER_STEP_SECONDS": 20})
    client = application.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(application)}"
    yield application, client
    application.extensions["designer"].shutdown()


def test_the_script_sees_no_setting_secret_or_database(secret_app):
    application, client = secret_app
    database = application.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    instance = application.config["DESIGNER_HOME"]
    probe = f"""\
import json, os
import pandas as pd

def attempt(path):
    try:
        open(path, "rb").read(1)
        return "read"
    except OSError as exc:
        return type(exc).__name__

def azureml_main(dataframe1=None, dataframe2=None):
    return pd.DataFrame({{"environ": [json.dumps(dict(os.environ))],
                         "database": [attempt({database!r})],
                         "secret_key": [attempt({instance + "/secret_key"!r})]}})
"""
    application.extensions["designer"].start_dispatcher()
    run_id = client.post("/api/v1/runs", json={"document": python_pipeline(probe)}).get_json()["id"]
    run, = wait_for_end(client, [run_id])
    assert run["status"] == "Finished", step_of(run, "py")
    rows = client.get(f"/api/v1/runs/{run_id}/steps/py/outputs/result_dataset/preview"
                      ).get_json()["rows"]
    environ, database_read, secret_read = rows[0]
    seen = json.loads(environ)
    assert not [name for name in seen if name.startswith("DESIGNER_")]
    for secret in ("env-secret-value", "flask-secret-value", database, instance):
        assert secret not in environ
    log = client.get(f"/api/v1/runs/{run_id}/steps/py/logs").get_json()["log"]
    if "no Landlock" not in log:
        assert (database_read, secret_read) == ("PermissionError", "PermissionError")


def test_a_script_past_the_step_time_limit_fails_naming_the_setting(tmp_path):
    application = make_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
                            "DESIGNER_STEP_SECONDS": 4})
    try:
        client = application.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(application)}"
        application.extensions["designer"].start_dispatcher()
        script = ("import time\ndef azureml_main(dataframe1=None, dataframe2=None):\n"
                  "    time.sleep(120)\n")
        run_id = client.post("/api/v1/runs", json={"document": python_pipeline(script)}
                             ).get_json()["id"]
        run, = wait_for_end(client, [run_id])
        assert run["status"] == "Failed"
        assert "time limit of 4 seconds (DESIGNER_STEP_SECONDS)" in \
            step_of(run, "py")["error"]["message"]
    finally:
        application.extensions["designer"].shutdown()


def test_create_python_model_through_train_score_and_evaluate(client, run_queued):
    from app.modules.python_model import DEFAULT_SCRIPT

    rows = "\n".join(f"{x},{(x * 7) % 5},{'yes' if x % 3 else 'no'}" for x in range(60))
    document = {"name": "Python model", "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": "a,b,label\n" + rows}},
        {"id": "model", "module": "create_python_model", "params": {"script": DEFAULT_SCRIPT}},
        {"id": "train", "module": "train_model", "params": {"label_column": "label"}},
        {"id": "score", "module": "score_model", "params": {}},
        {"id": "eval", "module": "evaluate_model", "params": {}}], "edges": [
        {"from": {"node": "model", "port": "untrained_model"},
         "to": {"node": "train", "port": "untrained_model"}},
        {"from": {"node": "data", "port": "dataset"}, "to": {"node": "train", "port": "dataset"}},
        {"from": {"node": "train", "port": "trained_model"},
         "to": {"node": "score", "port": "trained_model"}},
        {"from": {"node": "data", "port": "dataset"}, "to": {"node": "score", "port": "dataset"}},
        {"from": {"node": "score", "port": "scored_dataset"},
         "to": {"node": "eval", "port": "scored_dataset"}}]}
    run = run_document(client, run_queued, document)
    assert run["status"] == "Finished", [s.get("error") for s in run["steps"]]
    assert set(run["metrics"]["eval"]) >= {"accuracy", "auc"}


def test_export_as_python_refuses_a_script_naming_the_node(client):
    created = client.post("/api/v1/pipelines", json={"document": python_pipeline(DOUBLE)})
    answer = client.get(f"/api/v1/pipelines/{created.get_json()['id']}/export.py")
    assert answer.status_code == 422
    assert "Execute Python Script (py) cannot be exported as Python" in answer.get_json()["error"]
