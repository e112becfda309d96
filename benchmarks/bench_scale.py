"""Benchmark: how quickly runs are accepted, started and drained by real server processes.

Run from the repository root: ``python benchmarks/bench_scale.py [--runs 300] [--clients 32]
[--database URL]``.

On a fresh instance (SQLite, or the PostgreSQL URL given), with real `designer` processes:
  1. `designer serve`: submit-to-Finished of a two-step pipeline (POST, then the run's live
     event stream until it ends), median of ``--latency`` runs one after another;
  2. `designer serve --no-worker`: ``--runs`` submits from ``--clients`` concurrent kept-alive
     connections: submits/s, latency percentiles, and every accepted run found queued;
  3. `designer worker` (2 run slots): drain time of those queued runs, from the first start to
     the last finish (the runs' own timestamps).
Every run recomputes its steps (regenerate outputs). Always exits 0.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DESIGNER = Path(sys.executable).parent / "designer"
TWO_STEPS = {"name": "Two steps", "nodes": [
    {"id": "data", "module": "enter_data_manually", "params": {"data": "a,b\n1,2\n3,4\n"}},
    {"id": "pick", "module": "select_columns", "params": {}}],
    "edges": [{"from": {"node": "data", "port": "dataset"},
               "to": {"node": "pick", "port": "dataset"}}]}
TARGETS = {"latency_ms": 50.0, "submits_per_s": 300.0, "drain_s": 20.0}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


class Client:
    """One kept-alive HTTP connection sending the bearer token."""

    def __init__(self, port: int, token: str = ""):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        self.connection.request(method, path, body=json.dumps(body) if body else None,
                                headers=self.headers)
        answer = self.connection.getresponse()
        raw = answer.read()
        return answer.status, json.loads(raw) if raw else {}

    def stream_until_end(self, path: str) -> None:
        """Read a Server-Sent Events stream until its ``end`` event."""
        self.connection.request("GET", path, headers=self.headers)
        answer = self.connection.getresponse()
        for line in answer:
            if line.startswith(b"event: end"):
                break
        self.connection.close()


class Process:
    """A `designer ARGS` process on the bench instance; stopped with SIGINT."""

    def __init__(self, env: dict, *args: str, port: int | None = None):
        self.port = port
        log = open(Path(env["DESIGNER_HOME"]) / f"{args[0]}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([str(DESIGNER), *args], env=env, cwd=ROOT, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        if port is not None:
            self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if Client(self.port).call("GET", "/health")[0] == 200:
                    return
            except (OSError, ValueError):
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def prepare(env: dict) -> tuple[str, str]:
    """Samples, an admin client and the two-step pipeline; (client id, secret)."""
    from app import create_app
    from app.services import auth, samples

    config = {"DESIGNER_HOME": env["DESIGNER_HOME"], "SECRET_KEY": "bench"}
    if "DESIGNER_DATABASE_URL" in env:
        config["SQLALCHEMY_DATABASE_URI"] = env["DESIGNER_DATABASE_URL"]
    app = create_app(config)
    with app.app_context():
        samples.init()
        created, secret = auth.create_client("bench", "admin")
        credentials = created.client_id, secret
        from app.extensions import db

        db.engine.dispose()
    app.extensions["designer"].shutdown()
    return credentials


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(env: dict, *extra: str) -> Process:
    port = free_port()
    return Process(env, "serve", "--port", str(port), "--threads", "32", *extra, port=port)


def token_for(port: int, credentials: tuple[str, str]) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    form = (f"grant_type=client_credentials&client_id={credentials[0]}"
            f"&client_secret={credentials[1]}")
    connection.request("POST", "/oauth2/token", body=form,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(connection.getresponse().read())["access_token"]


def latency(port: int, token: str, pipeline: str, repeats: int) -> list[float]:
    """Milliseconds from POST to the end of the run's event stream, one run at a time."""
    out = []
    for i in range(repeats + 1):  # the first warms the step processes
        start = time.perf_counter()
        status, run = Client(port, token).call("POST", f"/api/v1/pipelines/{pipeline}/runs",
                                               {"regenerate_outputs": True})
        assert status == 202, run
        Client(port, token).stream_until_end(f"/api/v1/runs/{run['id']}/events")
        if i:
            out.append((time.perf_counter() - start) * 1000)
    return out


def submits(port: int, token: str, pipeline: str, count: int, clients: int):
    """(seconds, per-submit milliseconds, statuses) of ``count`` concurrent submits."""
    times, statuses = [], []
    lock = threading.Lock()
    todo = iter(range(count))

    def work():
        client = Client(port, token)
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            start = time.perf_counter()
            status, _ = client.call("POST", f"/api/v1/pipelines/{pipeline}/runs",
                                    {"regenerate_outputs": True, "experiment": "bench"})
            with lock:
                times.append((time.perf_counter() - start) * 1000)
                statuses.append(status)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, times, statuses


def runs_of(client: Client, status: str) -> list[dict]:
    return client.call("GET", f"/api/v1/runs?experiment=bench&status={status}&limit=1000")[1][
        "runs"]


def drain(env: dict, client: Client, count: int) -> float:
    """Seconds from the first start to the last finish of the queued runs, run by a worker."""
    worker = Process(env, "worker")
    try:
        deadline = time.monotonic() + 600
        while len(runs_of(client, "Finished")) < count and time.monotonic() < deadline:
            if runs_of(client, "Failed"):
                raise RuntimeError("a run failed")
            time.sleep(0.5)
    finally:
        worker.stop()
    done = runs_of(client, "Finished")
    first = min(datetime.fromisoformat(r["started"]) for r in done)
    last = max(datetime.fromisoformat(r["finished"]) for r in done)
    return (last - first).total_seconds()


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main(argv=None) -> int:
    """Start the processes, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="submits, then runs drained")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--latency", type=int, default=10, help="runs timed one at a time")
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DESIGNER_")}
        env["DESIGNER_HOME"] = home
        if args.database:
            env["DESIGNER_DATABASE_URL"] = args.database
        credentials = prepare(env)
        print(f"database: {'PostgreSQL' if args.database else 'SQLite'}; "
              f"{os.cpu_count()} cores")

        server = serve(env)
        try:
            token = token_for(server.port, credentials)
            client = Client(server.port, token)
            pipeline = client.call("POST", "/api/v1/pipelines", {"document": TWO_STEPS})[1]["id"]
            times = latency(server.port, token, pipeline, args.latency)
        finally:
            server.stop()
        median = statistics.median(times)
        print(f"submit-to-Finished, two steps (median of {len(times)}): {median:.1f} ms "
              f"(min {min(times):.1f}, max {max(times):.1f}) "
              f"(target < {TARGETS['latency_ms']:.0f} ms): "
              f"{verdict(median < TARGETS['latency_ms'])}")

        server = serve(env, "--no-worker")
        try:
            seconds, times, statuses = submits(server.port, token, pipeline, args.runs,
                                               args.clients)
            client = Client(server.port, token)
            queued = len(runs_of(client, "Queued"))
            accepted = statuses.count(202)
            rate = len(statuses) / seconds
            ok = rate >= TARGETS["submits_per_s"] and accepted == queued == args.runs
            print(f"{args.runs} concurrent submits ({args.clients} connections, no worker): "
                  f"{rate:.0f} submits/s, p50 {percentile(times, 50):.1f} ms, "
                  f"p99 {percentile(times, 99):.1f} ms; accepted {accepted}, queued {queued} "
                  f"(target >= {TARGETS['submits_per_s']:.0f}/s, none lost): "
                  f"{verdict(ok)}")
            took = drain(env, client, queued)
        finally:
            server.stop()
        print(f"drain of {queued} queued two-step runs by one worker (2 run slots): "
              f"{took:.1f} s (target < {TARGETS['drain_s']:.0f} s): "
              f"{verdict(took < TARGETS['drain_s'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
