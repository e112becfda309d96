"""Run the installed `designer` command and a real `designer serve` process from tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESIGNER = Path(sys.executable).parent / "designer"
SAMPLE_PIPELINES = ROOT / "sample_data" / "pipelines"
# How many sample pipelines `designer init` loads: one per shipped file.
SHIPPED_SAMPLES = len(list(SAMPLE_PIPELINES.glob("*.json")))


def designer_env(home: Path) -> dict[str, str]:
    """The test process's environment with its own instance folder and nothing else leaking."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESIGNER_")}
    env["DESIGNER_HOME"] = str(home)
    return env


def designer(home: Path, *args: str, timeout: float = 120,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `designer ARGS...` in ``home`` from the checkout (``env``: more variables); capture
    text output."""
    return subprocess.run(
        [str(DESIGNER), *args], env={**designer_env(home), **(env or {})}, cwd=ROOT,
        capture_output=True,
        text=True, timeout=timeout, check=False,
    )


def cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`designer ARGS...` in this process with Click's runner, on the instance in ``home``
    (``env``: more variables): what `designer` above gives, without starting an interpreter
    that imports pandas and scikit-learn (seconds each). An exception that escapes the
    command is printed to stderr with its traceback and exits 1, as the real command would."""
    import traceback

    from click.testing import CliRunner

    from app.cli import main

    variables = {k: None for k in os.environ if k.startswith("DESIGNER_")}
    variables |= {"DESIGNER_HOME": str(home), **(env or {})}
    result = CliRunner().invoke(main, list(args), env=variables)
    stderr, code = result.stderr, result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        code = 1
    return subprocess.CompletedProcess(["designer", *args], code, result.stdout, stderr)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body: bytes | dict | None = None, timeout: float = 30,
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One HTTP request: (status, headers, body bytes); error statuses are returned too."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and not request.has_header("Content-type"):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


class Server:
    """A `designer serve` subprocess on a free port; its output goes to a log file."""

    def __init__(self, home: Path, log: Path, headers: dict | None = None,
                 args: tuple[str, ...] = (), env: dict[str, str] | None = None):
        self.home, self.log_path = home, log
        self.args, self.env = args, env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.headers = dict(headers or {})

    def authorize(self, client_id: str, client_secret: str) -> dict:
        """Get a bearer token with the client credentials grant; later requests send it."""
        form = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "client_id": client_id, "client_secret": client_secret})
        status, _, raw = http("POST", self.url + "/oauth2/token", form.encode(),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, f"token: {status} {raw!r}\n{self.tail()}"
        token = json.loads(raw)
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        return token

    def start(self, timeout: float = 60) -> Server:
        """Start the process and wait until GET /health answers."""
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(DESIGNER), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--threads", "8", *self.args],
                env={**designer_env(self.home), **self.env}, cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited early:\n{self.tail()}"
            try:
                if http("GET", self.url + "/health", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server did not answer /health in {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        """The last lines the server printed, for assertion messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server output)"
        return "\n".join(text.splitlines()[-lines:])

    def get_json(self, path: str, expect: int = 200) -> dict:
        """GET a JSON resource, asserting its status."""
        status, _, raw = http("GET", self.url + path, headers=self.headers)
        assert status == expect, f"GET {path}: {status} {raw[:500]!r}\n{self.tail()}"
        return json.loads(raw)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10) -> float:
        """Signal the process and wait; the seconds it took to exit (raises on timeout)."""
        assert self.proc is not None
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        return time.monotonic() - start

    def kill(self) -> None:
        """Make sure the process is gone (teardown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class DataServer:
    """A local HTTP server answering ``GET /NAME`` with ``bodies[NAME]`` (a test's remote data).

    With ``trickle`` set, bodies go out one line every ``trickle`` seconds, a slow download
    that ends early once ``close()`` is called. ``hits[NAME]`` counts the requests.
    """

    def __init__(self, bodies: dict[str, bytes], trickle: float = 0.0):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.bodies, self.hits = bodies, {}
        self.closing = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server hook name
                name = self.path.lstrip("/")
                owner.hits[name] = owner.hits.get(name, 0) + 1
                body = owner.bodies.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for line in body.splitlines(keepends=True) if trickle else [body]:
                        if owner.closing.wait(trickle):
                            return
                        self.wfile.write(line)
                        self.wfile.flush()
                except OSError:
                    pass  # the client went away (a canceled download)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def __enter__(self) -> DataServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """End slow bodies and stop serving."""
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
