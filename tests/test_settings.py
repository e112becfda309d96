"""Each setting, given as an environment variable, changes what a user meets.

Apps here are configured the way `designer serve` configures itself: ``config.load`` over
the variables; the storage settings go through the `designer` command itself.
"""

import io
import json
import re
import sqlite3

import pytest

from app import config
from tests.conftest import ADMIN_PASSWORD, ON_DASK, bearer, make_app, wait_for
from tests.helpers_server import cli

SLOW_SQL = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 1000000000) SELECT count(*) AS n FROM c;")


@pytest.fixture
def app_from(tmp_path):
    """Build apps from environment variables; each is shut down after the test."""
    made = []

    def build(**env: str):
        home = tmp_path / f"instance{len(made)}"
        application = make_app(config.load({"DESIGNER_HOME": str(home), **env}))
        made.append(application)
        return application

    yield build
    for application in made:
        application.extensions["designer"].shutdown()


def api(application):
    """A test client carrying a bearer token."""
    test_client = application.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(application)}"
    return test_client


def slow_branches(count: int) -> dict:
    """Typed-in data feeding ``count`` SQL steps that run until canceled."""
    nodes = [{"id": "data", "module": "enter_data_manually", "params": {"data": "a\n1\n"}}]
    edges = []
    for i in range(count):
        nodes.append({"id": f"sql{i}", "module": "apply_sql_transformation",
                      "params": {"sql": SLOW_SQL}})
        edges.append({"from": {"node": "data", "port": "dataset"},
                      "to": {"node": f"sql{i}", "port": "t1"}})
    return {"name": "Slow", "nodes": nodes, "edges": edges}


def steps_of(client, run_id) -> dict:
    return {s["node_id"]: s["status"]
            for s in client.get(f"/api/v1/runs/{run_id}").get_json()["steps"]}


def status_of(client, run_id) -> str:
    return client.get(f"/api/v1/runs/{run_id}").get_json()["status"]


def cancel_and_wait(client, *run_ids) -> None:
    for run_id in run_ids:
        assert client.post(f"/api/v1/runs/{run_id}/cancel").status_code == 202
    wait_for(lambda: {status_of(client, r) for r in run_ids} == {"Canceled"}, "the cancels")


def test_token_seconds_sets_the_lifetime_of_bearer_tokens(app_from):
    application = app_from(DESIGNER_TOKEN_SECONDS="8")
    client_id, secret = application.config["TEST_CLIENT_CREDENTIALS"]
    client = application.test_client()
    issued = client.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert issued.get_json()["expires_in"] == 8
    header = {"Authorization": f"Bearer {issued.get_json()['access_token']}"}
    assert client.get("/api/v1/pipelines", headers=header).status_code == 200
    refused = wait_for(lambda: client.get("/api/v1/pipelines", headers=header).status_code == 401,
                       "the token to expire", timeout=60)
    assert refused


def test_upload_extensions_limit_what_may_be_uploaded(app_from, tmp_path):
    client = api(app_from(DESIGNER_UPLOAD_EXTENSIONS=".tsv, .PARQUET"))
    (tmp_path / "drop").mkdir()
    assert client.post("/api/v1/datastores", json={"name": "drop", "root": str(tmp_path / "drop")}
                       ).status_code == 201

    def upload(name):
        return client.post("/api/v1/datastores/drop/upload", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"a\tb\n1\t2\n"), name)})

    refused = upload("sales.csv")
    assert refused.status_code == 422
    assert refused.get_json()["error"] == (
        "Files of type '.csv' are not accepted (allowed: .tsv, .parquet).")
    assert upload("sales.tsv").status_code == 201
    assert not (tmp_path / "drop" / "sales.csv").exists()


@pytest.mark.parametrize("value, secure", [("true", True), ("false", False)])
def test_secure_cookies_marks_the_session_cookie_secure(app_from, value, secure):
    browser = app_from(DESIGNER_SECURE_COOKIES=value).test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = browser.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 302
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert ("; Secure" in cookie) is secure, cookie


def test_max_concurrent_runs_queues_the_runs_beyond_it(app_from):
    application = app_from(DESIGNER_MAX_CONCURRENT_RUNS="1")
    client = api(application)
    application.extensions["designer"].start_dispatcher()
    first, second = (client.post("/api/v1/runs", json={"document": slow_branches(1)})
                     .get_json()["id"] for _ in range(2))
    wait_for(lambda: steps_of(client, first)["sql0"] == "Running", "the first run's SQL step")
    assert status_of(client, second) == "Queued"
    assert client.post(f"/api/v1/runs/{first}/cancel").status_code == 202
    wait_for(lambda: steps_of(client, second)["sql0"] == "Running", "the second run to start")
    assert status_of(client, first) == "Canceled"
    cancel_and_wait(client, second)


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_is_how_many_steps_run_at_once(app_from, workers):
    application = app_from(DESIGNER_WORKERS=str(workers))
    client = api(application)
    application.extensions["designer"].start_dispatcher()
    run_id = client.post("/api/v1/runs", json={"document": slow_branches(2)}).get_json()["id"]

    def running():
        steps = steps_of(client, run_id)
        return [n for n in ("sql0", "sql1") if steps[n] == "Running"] if all(
            steps[n] in ("Queued", "Running") for n in ("sql0", "sql1")) else []

    wait_for(lambda: len(running()) == workers, f"{workers} SQL steps running")
    # Both steps became ready together: with one worker the other waits its turn.
    assert len(running()) == workers, steps_of(client, run_id)
    cancel_and_wait(client, run_id)


def test_database_artifacts_and_samples_folders_come_from_the_environment(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    samples = tmp_path / "my samples"
    samples.mkdir()
    (samples / "tiny.csv").write_text("x,y\n" + "".join(f"{i},{i % 4}\n" for i in range(30)))
    env = {"DESIGNER_DATABASE_URL": f"sqlite:///{elsewhere / 'designer.sqlite'}",
           "DESIGNER_ARTIFACTS": str(elsewhere / "artifacts"),
           "DESIGNER_SAMPLES": str(samples)}
    elsewhere.mkdir()
    document = tmp_path / "tiny.json"
    document.write_text(json.dumps({"schema_version": 1, "name": "Tiny", "nodes": [
        {"id": "import", "module": "import_data",
         "params": {"source": "datastore", "path": "samples:tiny.csv"}}], "edges": []}))

    assert cli(home, "init", env=env).returncode == 0
    listed = cli(home, "datastores", "list", env=env)
    assert listed.stdout == f"samples\t{samples}\n", listed
    ran = cli(home, "run-pipeline", str(document), env=env)
    assert ran.returncode == 0, ran.stderr
    run_id = json.loads(ran.stdout)["run_id"]

    with sqlite3.connect(elsewhere / "designer.sqlite") as database:
        stored = database.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchall()
    assert stored == [("Finished",)]
    assert not (home / "designer.db").exists()
    assert list((elsewhere / "artifacts").rglob("*.arrow"))
    assert not (home / "artifacts").exists()


@pytest.mark.parametrize(("grace", "late_run"), [("600", False), ("60", True)])
def test_schedule_grace_seconds_decides_when_a_late_fire_is_a_catch_up(app_from, grace,
                                                                        late_run):
    from datetime import UTC, datetime, timedelta

    application = app_from(DESIGNER_SCHEDULE_GRACE_SECONDS=grace)
    client = api(application)
    start = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    application.extensions["designer"].scheduler.clock = lambda: start
    assert client.post("/api/v1/endpoints/income-retrain/schedules", json={
        "name": "hourly", "kind": "cron", "cron": "0 * * * *"}).status_code == 201
    (fire,) = application.extensions["designer"].scheduler.tick(start + timedelta(minutes=65))
    assert fire["catch_up"] is late_run


def test_scheduler_and_webhook_settings_reach_the_scheduler_and_the_sender(app_from):
    application = app_from(DESIGNER_SCHEDULER_SECONDS="0.5", DESIGNER_WEBHOOK_ATTEMPTS="7",
                           DESIGNER_WEBHOOK_BACKOFF_SECONDS="0.25")
    runtime = application.extensions["designer"]
    assert runtime.scheduler.every == 0.5
    assert (runtime.webhook_sender.attempts, runtime.webhook_sender.backoff) == (7, 0.25)


@ON_DASK
def test_dask_executor_runs_steps_on_the_cluster_at_the_address(app_from, dask_backend):
    address = dask_backend.cluster.scheduler_address
    application = app_from(DESIGNER_EXECUTOR="dask", DESIGNER_DASK_ADDRESS=address)
    client = api(application)
    document = {"name": "Typed", "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": "a\n1\n2\n"}}]}
    run_id = client.post("/api/v1/runs", json={"document": document}).get_json()["id"]
    runtime = application.extensions["designer"]
    runtime.dispatcher.run_pending()
    assert status_of(client, run_id) == "Finished"
    assert runtime.backend.client.scheduler.address == address


@ON_DASK
def test_dask_executor_with_a_local_address_starts_workers_processes_of_one_thread(app_from):
    pytest.importorskip("distributed")
    application = app_from(DESIGNER_EXECUTOR="dask", DESIGNER_DASK_ADDRESS="local",
                           DESIGNER_WORKERS="1")
    backend = application.extensions["designer"].backend
    assert list(backend.client.nthreads().values()) == [1]
    assert backend.cluster is not None
