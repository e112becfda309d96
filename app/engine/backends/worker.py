"""The worker process of the process backend, and the messages it exchanges with its parent.

Messages are pickled with protocol 5 and their large buffers (array data) sent out of band,
each straight from and into its own memory, so a data set crosses the pipe without being
copied into a pickle stream first.

Outputs stay where they were computed: the worker answers ``done`` with their refs only and
writes them to the artifact store on a thread of its own meanwhile (``stored`` tells the parent
how that went), so no data set crosses the pipe back and the parent writes none. The worker
keeps the outputs of the step it ran last until its next message: when the parent hands it a
consumer of those outputs, the task names them (``Held``) instead of carrying them; a consumer
elsewhere reads them from the store once written. ``RELEASE`` drops them (the parent sends it
to a worker left idle).

The parent may send a step's consumer while the step still runs (a follower): it waits in the
pipe, and the worker takes it as soon as it has answered ``done``, with no round trip through
the parent in between. When the step did not finish, the follower's held inputs do not exist:
the worker answers that it skipped it.
"""

from __future__ import annotations

import dataclasses
import importlib
import pickle
import signal
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from threadpoolctl import ThreadpoolController

from ..context import CancelToken
from ..steps import FINISHED, SKIPPED, StepTask, run_step, store_outputs

_HEADER = struct.Struct("!I")
RELEASE = "release"


@dataclasses.dataclass(frozen=True)
class Held:
    """An input the worker already holds: the artifact key of an output of its last step."""

    key: str


def hand_over(task: StepTask, held: dict[str, Any]) -> StepTask:
    """The task with each ``Held`` input replaced by the value the worker kept."""
    inputs = {p: held[v.key] if isinstance(v, Held) else v for p, v in task.inputs.items()}
    return dataclasses.replace(task, inputs=inputs)


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

    held: dict[str, Any] = {}  # artifact key: an output of the last step
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="output-writer")

    def write(task: StepTask, refs: dict, values: dict) -> None:
        error = store_outputs(task.store, refs, values)
        with lock:
            send(conn, ("stored", error))

    try:
        while True:
            try:
                message = recv(conn)
            except (EOFError, OSError):
                return
            if message is None:
                return
            if message == RELEASE:
                held = {}
                continue
            task, share = message
            if any(isinstance(v, Held) and v.key not in held for v in task.inputs.values()):
                held = {}  # a follower of a step that did not finish
                with lock:
                    send(conn, ("done", {"status": SKIPPED}))
                continue
            task, held = hand_over(task, held), {}
            with controller.limit(limits=share, user_api="openmp"):
                outcome = run_step(task, emit, token)
            values = outcome.pop("values", None)
            if outcome["status"] == FINISHED:
                held = {ref.key: values[port] for port, ref in outcome["refs"].items()}
            with lock:
                send(conn, ("done", outcome))
            if values is not None:  # after "done", so the parent hears "stored" after it
                writer.submit(write, task, outcome["refs"], values)
    finally:
        writer.shutdown(wait=True)
