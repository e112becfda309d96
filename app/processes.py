"""`designer serve --processes N`: N server processes answering on one port.

Python runs one thread of a process at a time, so one server process keeps one core busy at
most. With ``--processes N`` the command binds the port, then starts N server processes that
accept connections on it: one core each. The first also runs what runs once per instance
(queued runs unless --no-worker, schedules, webhook deliveries); the others only serve.

The processes start one after another, each once the one before has its app ready, so a new
database is created (or upgraded) by the first alone. This process stays as their supervisor:
a server process that dies is started again; Ctrl+C or SIGTERM stops them all, each finishing
like a single server does. A server process whose supervisor is gone stops too.

POSIX only (it forks); elsewhere run one process per port behind a proxy.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger("designer")
ORPHAN_CHECK_SECONDS = 1.0  # how often a server process looks whether its supervisor is gone
STOP_SECONDS = 60.0  # how long stopping server processes may take before they are killed
RESTART_PAUSE_SECONDS = 1.0  # between a crash and the restart: no busy loop of crashes

# serve(index, ready): run server process ``index``: make the app, then call ``ready()``, which
# tells the supervisor and returns the listening socket to serve on; return when it stops.
ServeProcess = Callable[[int, Callable[[], socket.socket]], None]


class StartFailed(RuntimeError):
    """A server process ended before its app was ready."""


def reserve(host: str, port: int) -> socket.socket:
    """The port, bound but not listening: it stays this instance's while server processes come
    and go, and each process listens on a socket of its own bound to it (SO_REUSEPORT), among
    which the kernel spreads new connections evenly. (One socket shared by all would hand most
    connections to whichever process happened to be waiting in accept.) A port something
    else holds is refused (OSError), even another instance that shares its port the same way."""
    if not hasattr(os, "fork") or not hasattr(socket, "SO_REUSEPORT"):
        raise StartFailed("--processes needs fork() and SO_REUSEPORT (Linux, BSD, macOS); "
                          "elsewhere run one process per port behind a proxy")
    _bound(host, port, shared=False).close()
    return _bound(host, port)


def _bound(host: str, port: int, shared: bool = True) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


class Supervisor:
    """Starts, restarts and stops the server processes."""

    def __init__(self, count: int, port: socket.socket, serve: ServeProcess):
        self.count, self.port, self.serve = count, port, serve
        self.children: dict[int, int] = {}  # pid -> index
        self.waiting: dict[int, int] = {}  # pid -> the pipe that lets a ready process listen
        self.stopping = False

    def run(self) -> int:
        """Start the processes, watch them until told to stop; the exit code."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for index in range(self.count):
                if self.stopping:
                    break
                self._start(index)
            for pid in list(self.waiting):  # the port answers once every process is ready
                self._let_listen(pid)
            log.info("%s server processes: %s", len(self.children),
                     " ".join(str(pid) for pid in self.children))
            self._watch()
            return 0
        except StartFailed as exc:
            log.error("%s", exc)
            return 1
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, *_args) -> None:
        """Ctrl+C or SIGTERM: pass SIGTERM on (a terminal's Ctrl+C reached them already)."""
        self.stopping = True
        for pid in list(self.children):
            _signal(pid, signal.SIGTERM)

    def _start(self, index: int) -> int | None:
        """Fork server process ``index`` and wait until its app is ready; its pid (None if it
        was told to stop meanwhile). It listens once let (``_let_listen``)."""
        ready_read, ready_write = os.pipe()
        listen_read, listen_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the server process
            for descriptor in (ready_read, listen_write, *self.waiting.values()):
                os.close(descriptor)
            _run_child(index, self.port, self.serve, ready_write, listen_read)
        os.close(ready_write)
        os.close(listen_read)
        self.children[pid], self.waiting[pid] = index, listen_write
        with os.fdopen(ready_read, "rb") as ready:
            if ready.read(1) == b"1":
                return pid
        # End of file: the process ended before it was ready.
        _, status = os.waitpid(pid, 0)
        del self.children[pid]
        os.close(self.waiting.pop(pid))
        if self.stopping:
            return None
        raise StartFailed(f"server process {index + 1} ended before it was ready "
                          f"(exit status {os.waitstatus_to_exitcode(status)})")

    def _let_listen(self, pid: int) -> None:
        descriptor = self.waiting.pop(pid)
        try:
            os.write(descriptor, b"1")
        except BrokenPipeError:  # it ended meanwhile: _watch sees it
            pass
        finally:
            os.close(descriptor)

    def _watch(self) -> None:
        """Restart a server process that ended, until told to stop."""
        while not self.stopping:
            try:
                pid, status = os.waitpid(-1, 0)
            except InterruptedError:
                continue
            except ChildProcessError:
                return
            index = self.children.pop(pid, None)
            if index is None or self.stopping:
                continue
            log.warning("server process %s (pid %s) ended with status %s; starting it again",
                        index + 1, pid, os.waitstatus_to_exitcode(status))
            time.sleep(RESTART_PAUSE_SECONDS)
            if not self.stopping and (pid := self._start(index)) is not None:
                self._let_listen(pid)

    def _stop_all(self) -> None:
        """SIGTERM every server process; SIGKILL those still there after STOP_SECONDS."""
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while self.children and time.monotonic() < deadline:
            for pid in list(self.children):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    del self.children[pid]
            time.sleep(0.05)
        for pid in self.children:
            log.warning("server process (pid %s) did not stop in %s s: killed", pid, STOP_SECONDS)
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.children.clear()


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _run_child(index: int, port: socket.socket, serve: ServeProcess, ready_fd: int,
               listen_fd: int):
    """The body of a server process: never returns to the supervisor's code."""
    code = 0
    try:
        address = port.getsockname()
        port.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        _exit_with(os.getppid())

        def ready() -> socket.socket:
            os.write(ready_fd, b"1")
            os.close(ready_fd)
            with os.fdopen(listen_fd, "rb") as let:
                if let.read(1) != b"1":  # the supervisor is gone
                    raise SystemExit(0)
            listener = _bound(*address[:2])
            listener.listen(1024)  # from now on the kernel hands this process connections
            return listener

        serve(index, ready)
    except (KeyboardInterrupt, SystemExit):
        pass
    except BaseException:
        log.exception("server process %s failed", index + 1)
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _exit_with(supervisor: int) -> None:
    """Stop this process (as SIGTERM does) once its supervisor is gone."""

    def look():
        while os.getppid() == supervisor:
            time.sleep(ORPHAN_CHECK_SECONDS)
        log.warning("the supervisor (pid %s) is gone: stopping", supervisor)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=look, name="supervisor-watch", daemon=True).start()
