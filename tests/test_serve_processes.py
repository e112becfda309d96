"""`designer serve --processes N` as real processes: one port, every process serving, a crashed
one started again, everything stopped by SIGTERM, nothing left behind by a killed supervisor.

On the embedded SQLite database: the processes write it at once (the writer lock file) and a
run accepted by the second is executed by the first.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.helpers_server import Server, cli, designer, http

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="reads server processes from /proc")
TWO_STEPS = {"name": "Two steps", "nodes": [
    {"id": "data", "module": "enter_data_manually", "params": {"data": "a,b\n1,2\n3,4\n"}},
    {"id": "pick", "module": "select_columns", "params": {}}],
    "edges": [{"from": {"node": "data", "port": "dataset"},
               "to": {"node": "pick", "port": "dataset"}}]}


def children(pid: int) -> list[int]:
    """The server processes of supervisor ``pid``."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start(home: Path, *args: str) -> Server:
    init = cli(home, "init")
    assert init.returncode == 0, init.stderr
    created = cli(home, "clients", "create", "tests", "--role", "editor")
    credentials = json.loads(created.stdout)
    server = Server(home, home / "server.log", args=("--processes", "2", *args)).start(
        timeout=120)
    server.authorize(credentials["client_id"], credentials["client_secret"])
    return server


@pytest.fixture
def served(tmp_path):
    server = start(tmp_path, "--no-worker")
    try:
        yield server
    finally:
        pids = children(server.proc.pid)
        server.kill()
        for pid in pids:  # a test that failed half-way leaves none behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def submit_many(server: Server, pipeline: str, count: int, connections: int) -> list[int]:
    statuses: list[int] = []
    todo = iter(range(count))
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            status, _, raw = http("POST", f"{server.url}/api/v1/pipelines/{pipeline}/runs",
                                  {"experiment": "burst"}, headers=server.headers)
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=work) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def new_pipeline(server: Server) -> str:
    status, _, raw = http("POST", server.url + "/api/v1/pipelines", {"document": TWO_STEPS},
                          headers=server.headers)
    assert status == 201, raw
    return json.loads(raw)["id"]


def test_both_processes_answer_and_every_concurrent_submit_is_kept(served):
    pids = children(served.proc.pid)
    assert len(pids) == 2, served.tail()
    pipeline = new_pipeline(served)
    before = [cpu_seconds(pid) for pid in pids]
    statuses = submit_many(served, pipeline, 240, 24)
    assert statuses == [202] * 240
    used = [cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
    assert min(used) > 0.1 * sum(used), f"one process served (nearly) everything: {used}"
    runs = served.get_json("/api/v1/runs?experiment=burst&limit=1000")["runs"]
    assert len(runs) == 240 and {r["status"] for r in runs} == {"Queued"}
    assert len({r["id"] for r in runs}) == 240
    assert "database is locked" not in served.tail(400)


def test_a_run_accepted_by_either_process_is_executed_once(tmp_path):
    server = start(tmp_path)
    try:
        pipeline = new_pipeline(server)
        ids = []
        for _ in range(8):  # new connections: the kernel spreads them over both processes
            status, _, raw = http("POST", f"{server.url}/api/v1/pipelines/{pipeline}/runs",
                                  {"regenerate_outputs": True}, headers=server.headers)
            assert status == 202, raw
            ids.append(json.loads(raw)["id"])
        wait_for(lambda: all(
            server.get_json(f"/api/v1/runs/{i}")["status"] == "Finished" for i in ids),
            "8 runs to finish", 60)
        with sqlite3.connect(tmp_path / "designer.db") as db:
            claims = db.execute("SELECT run_id, count(*) FROM run_events WHERE status = "
                                "'Running' AND node_id IS NULL GROUP BY run_id").fetchall()
        assert sorted(claims) == sorted((i, 1) for i in ids)
    finally:
        server.stop(signal.SIGTERM, timeout=60)


def test_a_server_process_that_dies_is_started_again(served):
    first, second = children(served.proc.pid)
    os.kill(second, signal.SIGKILL)
    replaced = wait_for(lambda: (now := children(served.proc.pid)) and len(now) == 2
                        and second not in now and now, "a new server process", 60)
    assert first in replaced
    pipeline = new_pipeline(served)
    assert submit_many(served, pipeline, 20, 8) == [202] * 20
    assert "server process 2" in served.tail(400) and "starting it again" in served.tail(400)


def test_sigterm_stops_every_process(served):
    pids = children(served.proc.pid)
    took = served.stop(signal.SIGTERM, timeout=60)
    assert served.proc.returncode == 0, served.tail()
    assert not any(alive(pid) for pid in pids)
    assert took < 30


def test_server_processes_stop_when_the_supervisor_is_killed(served):
    pids = children(served.proc.pid)
    served.proc.kill()
    served.proc.wait(timeout=10)
    wait_for(lambda: not any(alive(pid) for pid in pids), "the server processes to stop", 30)


def test_a_port_in_use_is_refused_with_its_address(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = designer(tmp_path, "serve", "--processes", "2", "--port", str(port),
                          timeout=120)
    assert result.returncode != 0
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr, result.stderr


def test_start_up_waits_for_every_process_before_the_port_answers(tmp_path):
    begun = time.monotonic()
    server = start(tmp_path, "--no-worker")
    try:
        assert len(children(server.proc.pid)) == 2
        log = server.tail(200)
        assert log.index("Server process 2") < log.index("2 server processes"), log
        assert time.monotonic() - begun < 120
    finally:
        server.stop(signal.SIGTERM, timeout=60)
