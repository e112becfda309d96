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
import subprocess
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.helpers_server import DESIGNER, ROOT, Server, cli, designer, designer_env, http

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


def start(home: Path, *args: str, env: dict | None = None) -> Server:
    init = cli(home, "init")
    assert init.returncode == 0, init.stderr
    created = cli(home, "clients", "create", "tests", "--role", "editor")
    credentials = json.loads(created.stdout)
    server = Server(home, home / "server.log", args=("--processes", "2", *args),
                    env=env).start(timeout=120)
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


def test_runs_and_events_cross_processes_at_once(tmp_path):
    """A run accepted by either process is executed once by the first, and a live stream on
    either one follows it to the end, with the poll fallback set to a minute: carried by the
    processes' notices."""
    server = start(tmp_path, env={"DESIGNER_POLL_SECONDS": "60"})
    try:
        pipeline = new_pipeline(server)

        def submit() -> str:  # a new connection: the kernel spreads them over both processes
            status, _, raw = http("POST", f"{server.url}/api/v1/pipelines/{pipeline}/runs",
                                  {"regenerate_outputs": True}, headers=server.headers)
            assert status == 202, raw
            return json.loads(raw)["id"]

        def followed(run_id: str) -> None:  # a stream on a new connection: either process
            with urllib.request.urlopen(urllib.request.Request(
                    f"{server.url}/api/v1/runs/{run_id}/events", headers=server.headers),
                    timeout=45) as stream:
                text = stream.read().decode()
            assert '"Finished"' in text, text

        ids = [submit()]
        followed(ids[0])  # the first run also starts the step processes
        begun = time.monotonic()
        ids += [submit() for _ in range(6)]  # at once: they queue for the 2 run slots
        for run_id in ids[1:]:
            followed(run_id)
        assert time.monotonic() - begun < 30, "a notice was lost: the poll carried a run"
        # One at a time, each into a free slot. Without notices a run accepted by the second
        # process waits for the first one's next look (every 5 s, with its heartbeats):
        # 0-5 s; with them, a few milliseconds.
        waits = []
        for _ in range(8):
            ids.append(submit())
            followed(ids[-1])
            waits.append(_claimed_after(server, ids[-1]))
        assert max(waits) < 1.5, waits
        with sqlite3.connect(tmp_path / "designer.db") as db:
            claims = db.execute("SELECT run_id, count(*) FROM run_events WHERE status = "
                                "'Running' AND node_id IS NULL GROUP BY run_id").fetchall()
        assert sorted(claims) == sorted((i, 1) for i in ids)
    finally:
        server.stop(signal.SIGTERM, timeout=60)


def test_a_worker_hears_a_server_s_runs_at_once_on_sqlite(tmp_path):
    """`designer serve --no-worker` and `designer worker` on one SQLite file: the worker
    claims a submitted run at once, though its poll is a minute."""
    server = start(tmp_path, "--no-worker", env={"DESIGNER_POLL_SECONDS": "60"})
    worker = subprocess.Popen([str(DESIGNER), "worker"], cwd=ROOT,
                              env={**designer_env(tmp_path), "DESIGNER_POLL_SECONDS": "60"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: any(p.startswith(f"{worker.pid}-") for p in _notice_sockets()),
                 "the worker to listen", 60)
        pipeline = new_pipeline(server)
        waits = []
        for _ in range(6):  # the first one also starts the worker's step processes
            status, _, raw = http("POST", f"{server.url}/api/v1/pipelines/{pipeline}/runs",
                                  {"regenerate_outputs": True}, headers=server.headers)
            assert status == 202, raw
            run_id = json.loads(raw)["id"]
            wait_for(lambda run_id=run_id: server.get_json(
                f"/api/v1/runs/{run_id}")["status"] == "Finished", "the run to finish", 30)
            waits.append(_claimed_after(server, run_id))
        assert max(waits[1:]) < 1.5, waits  # the worker's own look comes every 5 s
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        server.stop(signal.SIGTERM, timeout=60)


def _claimed_after(server: Server, run_id: str) -> float:
    """Seconds from a run's submit to its start."""
    run = server.get_json(f"/api/v1/runs/{run_id}")
    return (datetime.fromisoformat(run["started"])
            - datetime.fromisoformat(run["created"])).total_seconds()


def _notice_sockets() -> list[str]:
    folder = Path(tempfile.gettempdir())
    return [p.name for d in folder.glob("designer-notices-*") for p in d.iterdir()]


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


def test_a_system_without_shared_ports_is_told_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delattr(socket, "SO_REUSEPORT")
    result = cli(tmp_path, "serve", "--processes", "2", "--port", "0")
    assert result.returncode == 1
    assert "--processes needs fork() and SO_REUSEPORT" in result.stderr, result.stderr
    assert "run one process per port behind a proxy" in result.stderr
