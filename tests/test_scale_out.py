"""Several `designer serve --no-worker` and `designer worker` processes on one PostgreSQL
database: each run executes once, notices cross processes, a killed worker's run is failed.

The poll fallback is set to a minute, so whatever happens within a test's deadline was carried
by PostgreSQL NOTIFY; each test has a schema of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request

import pytest
import sqlalchemy

from tests.conftest import postgres_schema, wait_for
from tests.helpers_server import DESIGNER, ROOT, Server, cli, designer_env, http

DEADLINE = 45.0  # seconds; the poll fallback (60 s) alone would not make it in time
TWO_STEPS = {"name": "Two steps", "nodes": [
    {"id": "data", "module": "enter_data_manually", "params": {"data": "a,b\n1,2\n3,4\n"}},
    {"id": "pick", "module": "select_columns", "params": {}}],
    "edges": [{"from": {"node": "data", "port": "dataset"},
               "to": {"node": "pick", "port": "dataset"}}]}
SLOW_SQL = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 1000000000) SELECT count(*) AS n FROM c;")
SLOW = {"name": "Slow", "nodes": [
    {"id": "data", "module": "enter_data_manually", "params": {"data": "a\n1\n"}},
    {"id": "sql", "module": "apply_sql_transformation", "params": {"sql": SLOW_SQL}}],
    "edges": [{"from": {"node": "data", "port": "dataset"}, "to": {"node": "sql", "port": "t1"}}]}


class Cluster:
    """Servers and workers sharing one instance folder and one PostgreSQL schema."""

    def __init__(self, home, url, schema):
        self.home = home
        self.env = {"DESIGNER_DATABASE_URL": f"{url}?options=-csearch_path%3D{schema}",
                    "DESIGNER_EXECUTOR": "local", "DESIGNER_POLL_SECONDS": "60",
                    "DESIGNER_STALE_SECONDS": "5"}
        self.engine = sqlalchemy.create_engine(
            url, connect_args={"options": f"-csearch_path={schema}"})
        self.servers: list[Server] = []
        self.workers: list[subprocess.Popen] = []
        assert cli(home, "init", env=self.env).returncode == 0
        made = cli(home, "clients", "create", "tests", "--role", "admin", env=self.env)
        assert made.returncode == 0, made.stderr
        self.credentials = json.loads(made.stdout)

    def server(self) -> Server:
        """A new `designer serve --no-worker`, signed in."""
        server = Server(self.home, self.home / f"server{len(self.servers)}.log",
                        args=("--no-worker",), env=self.env)
        self.servers.append(server)
        server.start()
        server.authorize(self.credentials["client_id"], self.credentials["client_secret"])
        return server

    def worker(self) -> subprocess.Popen:
        """A new `designer worker` in a process group of its own (so kill -9 takes it all)."""
        with (self.home / f"worker{len(self.workers)}.log").open("ab") as log:
            proc = subprocess.Popen([str(DESIGNER), "worker"], cwd=ROOT, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**designer_env(self.home), **self.env})
        self.workers.append(proc)
        wait_for(lambda: "running up to" in self.log(len(self.workers) - 1),
                 "the worker to start", DEADLINE)
        return proc

    def log(self, index: int) -> str:
        return (self.home / f"worker{index}.log").read_text(errors="replace")

    def rows(self, query: str, **params) -> list:
        with self.engine.connect() as connection:
            return connection.execute(sqlalchemy.text(query), params).all()

    def close(self) -> None:
        for server in self.servers:
            server.kill()
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.engine.dispose()


@pytest.fixture
def cluster(tmp_path):
    with postgres_schema("so") as (url, schema):
        made = Cluster(tmp_path, url, schema)
        try:
            yield made
        finally:
            made.close()


def submit(server: Server, document: dict) -> str:
    status, _, raw = http("POST", server.url + "/api/v1/runs", {
        "document": document, "regenerate_outputs": True}, headers=server.headers)
    assert status == 202, raw
    return json.loads(raw)["id"]


def status_of(server: Server, run_id: str) -> dict:
    return server.get_json(f"/api/v1/runs/{run_id}")


def test_runs_from_two_servers_execute_exactly_once_on_two_workers(cluster):
    servers = [cluster.server(), cluster.server()]
    cluster.worker(), cluster.worker()
    ids = [submit(servers[i % 2], TWO_STEPS) for i in range(12)]
    wait_for(lambda: all(status_of(servers[0], i)["status"] == "Finished" for i in ids),
             "12 runs to finish", DEADLINE)
    claims = cluster.rows("SELECT run_id, count(*) FROM run_events WHERE status = 'Running' "
                          "AND node_id IS NULL GROUP BY run_id")
    assert sorted(claims) == sorted((i, 1) for i in ids)
    steps = cluster.rows("SELECT run_id, node_id, count(*) FROM run_events "
                         "WHERE status = 'Finished' AND node_id IS NOT NULL "
                         "GROUP BY run_id, node_id")
    assert {count for *_, count in steps} == {1} and len(steps) == 24


def test_a_run_s_events_reach_a_live_stream_on_another_process(cluster):
    server = cluster.server()
    run_id = submit(server, TWO_STEPS)
    request = urllib.request.Request(server.url + f"/api/v1/runs/{run_id}/events",
                                     headers=server.headers)
    with urllib.request.urlopen(request, timeout=DEADLINE) as stream:  # noqa: S310
        seen = [next(stream) for _ in range(6)]  # retry, blank, then the Queued event
        assert b'"status": "Queued"' in seen[4], seen
        cluster.worker()  # runs it while the stream waits (the stream ends after 25 s)
        seen += list(stream)
    text = b"".join(seen).decode()
    assert "event: end" in text, text
    assert '"node_id": "pick", "status": "Finished"' in text, text


def test_cancel_on_a_server_stops_the_run_in_a_worker(cluster):
    server = cluster.server()
    cluster.worker()
    run_id = submit(server, SLOW)
    wait_for(lambda: {s["node_id"]: s["status"] for s in status_of(server, run_id)["steps"]}
             ["sql"] == "Running", "the slow step to run", DEADLINE)
    status, _, raw = http("POST", server.url + f"/api/v1/runs/{run_id}/cancel",
                          headers=server.headers)
    assert status == 202, raw
    run = wait_for(lambda: (r := status_of(server, run_id))["status"] == "Canceled" and r,
                   "the run to end canceled", DEADLINE)
    assert [s["status"] for s in run["steps"]] == ["Finished", "Canceled"]


def test_a_killed_worker_s_run_is_failed_and_another_worker_goes_on(cluster):
    server = cluster.server()
    doomed = cluster.worker()
    run_id = submit(server, SLOW)
    wait_for(lambda: status_of(server, run_id)["status"] == "Running", "the run to start",
             DEADLINE)
    cluster.worker()
    os.killpg(doomed.pid, signal.SIGKILL)  # kill -9 of the worker and everything it started
    doomed.wait(timeout=30)
    run = wait_for(lambda: (r := status_of(server, run_id))["status"] == "Failed" and r,
                   "the killed worker's run to be failed", DEADLINE)
    assert run["status_reason"] == "interrupted"
    assert [s["status"] for s in run["steps"]] == ["Finished", "Failed"]
    assert cluster.rows("SELECT count(*) FROM run_events WHERE run_id = :r AND "
                        "status = 'Failed' AND node_id IS NULL", r=run_id) == [(1,)]
    after = submit(server, TWO_STEPS)
    wait_for(lambda: status_of(server, after)["status"] == "Finished",
             "a new run to finish on the other worker", DEADLINE)

