"""Apply SQL Transformation's limits, set in the app's settings, through real runs."""

import time

import pytest

from app import config

ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"


def sql_pipeline(script: str, name: str = "SQL") -> dict:
    return {"name": name, "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": "a\n1\n2\n3\n"}},
        {"id": "sql", "module": "apply_sql_transformation", "params": {"sql": script}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "sql", "port": "t1"}}]}


@pytest.fixture
def limited(tmp_path):
    """An app whose SQL limits are small, with an authenticated test client."""
    from app import create_app
    from tests.conftest import _principals, bearer

    application = create_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
                              "DESIGNER_SQL_SECONDS": 1.0, "DESIGNER_SQL_MAX_ROWS": 100,
                              "DESIGNER_SQL_MAX_BYTES": 1024**2})
    with application.app_context():
        _principals(application)
    client = application.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(application)}"
    yield application, client
    application.extensions["designer"].shutdown()


def wait_for_end(client, run_ids, seconds=120):
    """Poll until every run has ended; their JSON, in order."""
    deadline = time.monotonic() + seconds  # generous: a busy machine
    while True:
        runs = [client.get(f"/api/v1/runs/{run_id}").get_json() for run_id in run_ids]
        if all(r["status"] not in ("Queued", "Running") for r in runs) \
                or time.monotonic() > deadline:
            return runs
        time.sleep(0.1)


def sql_error(run: dict) -> str:
    step = next(s for s in run["steps"] if s["node_id"] == "sql")
    return (step.get("error") or {}).get("message", "")


def test_two_endless_queries_fail_by_their_limit_while_a_third_run_finishes(limited):
    app, client = limited
    app.extensions["designer"].start_dispatcher()
    ids = [client.post("/api/v1/runs", json={"document": doc}).get_json()["id"] for doc in (
        sql_pipeline(ENDLESS, "Endless 1"), sql_pipeline(ENDLESS, "Endless 2"),
        sql_pipeline("select sum(a) as total from t1", "Normal"))]
    endless_1, endless_2, normal = wait_for_end(client, ids)
    for run in (endless_1, endless_2):
        assert run["status"] == "Failed"
        assert ("ran longer than the time limit of 1 s (setting DESIGNER_SQL_SECONDS) and was "
                "stopped") in sql_error(run)
    assert normal["status"] == "Finished"
    preview = client.get(f"/api/v1/runs/{ids[2]}/steps/sql/outputs/dataset/preview").get_json()
    assert preview["rows"] == [[6]]


@pytest.mark.parametrize(("script", "message"), [
    ("select a.a, b.a, c.a, d.a, e.a from t1 a, t1 b, t1 c, t1 d, t1 e",  # 243 rows
     "the result has more than 100 rows, the row limit (setting DESIGNER_SQL_MAX_ROWS)"),
    ("select a, printf('%.400000c', 'x') as wide from t1",
     "the result is larger than 1 MiB, the size limit (setting DESIGNER_SQL_MAX_BYTES)"),
])
def test_row_and_size_limits_fail_the_step_by_name(limited, script, message):
    app, client = limited
    run_id = client.post("/api/v1/runs", json={"document": sql_pipeline(script)}).get_json()["id"]
    app.extensions["designer"].dispatcher.run_pending()
    (run,) = wait_for_end(client, [run_id])
    assert run["status"] == "Failed"
    assert message in sql_error(run)


def test_settings_come_from_the_environment_with_defaults(tmp_path):
    base = {"DESIGNER_HOME": str(tmp_path), "DESIGNER_SECRET_KEY": "test"}
    defaults = config.load(base)
    assert (defaults["DESIGNER_SQL_SECONDS"], defaults["DESIGNER_SQL_MAX_ROWS"],
            defaults["DESIGNER_SQL_MAX_BYTES"]) == (60.0, 5_000_000, 1024**3)
    loaded = config.load({**base, "DESIGNER_SQL_SECONDS": "2.5", "DESIGNER_SQL_MAX_ROWS": "10",
                          "DESIGNER_SQL_MAX_BYTES": "4096"})
    limits = config.limits(loaded)
    assert (limits.sql_seconds, limits.sql_max_rows, limits.sql_max_bytes) == (2.5, 10, 4096)
