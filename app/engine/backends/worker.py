"""The worker process of the process backend, and the messages it exchanges with its parent.

Messages are pickled with protocol 5 and their large buffers (array data) sent out of band,
each straight from and into its own memory, so a data set crosses the pipe without being
copied into a pickle stream first.
"""

from __future__ import annotations

import importlib
import pickle
import signal
import struct
import threading

from threadpoolctl import ThreadpoolController

from ..context import CancelToken
from ..steps import FAILED, run_step

_HEADER = struct.Struct("!I")


def send(conn, message) -> None:
    """Write one message: its pickle (with buffer sizes) and then each out-of-band buffer."""
    buffers: list[pickle.PickleBuffer] = []
    body = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    sizes = pickle.dumps([r.nbytes for r in raws])
    conn.send_bytes(_HEADER.pack(len(sizes)) + sizes + body)
    for raw in raws:
        conn.send_bytes(raw)


def recv(conn):
    """Read one message written by ``send``; buffers land in writable memory of their own."""
    data = memoryview(conn.recv_bytes())
    (length,) = _HEADER.unpack(data[:_HEADER.size])
    sizes = pickle.loads(data[_HEADER.size:_HEADER.size + length])  # noqa: S301 - our own peer
    buffers = []
    for size in sizes:
        buffer = bytearray(size)
        if size:
            conn.recv_bytes_into(buffer)
        else:
            conn.recv_bytes()
        buffers.append(buffer)
    return pickle.loads(data[_HEADER.size + length:], buffers=buffers)  # noqa: S301


def main(conn, cancel_event, preload: tuple[str, ...]) -> None:
    """Run steps sent by the parent until it sends None or goes away."""
    # Ctrl-C in a terminal reaches the whole process group: the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in preload:
        importlib.import_module(name)
    # Inspecting the loaded native libraries takes milliseconds: once, not at every step.
    controller = ThreadpoolController()
    token = CancelToken(cancel_event)
    lock = threading.Lock()  # a module may log from threads of its own

    def emit(status: str, **info) -> None:
        with lock:
            send(conn, ("event", status, info))

    while True:
        try:
            message = recv(conn)
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, share = message
        with controller.limit(limits=share, user_api="openmp"):
            outcome = run_step(task, emit, token)
        with lock:
            try:
                send(conn, ("done", outcome))
            except Exception as exc:  # an output pickle cannot carry (a lambda, a lock)
                send(conn, ("done", {"status": FAILED, "started": outcome.get("started"),
                                     "error": {"type": type(exc).__name__, "traceback": "",
                                               "message": f"an output could not be handed "
                                                          f"back from the worker: {exc}",
                                               "inputs": {}}}))
