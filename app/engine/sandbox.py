"""User-written Python (Execute Python Script, Create Python Model) run in a process of its own.

The process is a fresh interpreter (``python -I -u``, never a fork of this one), started in a
scratch folder with a clean environment: none of this process's variables (no DESIGNER_*
setting, no database URL, no secret), only a locale, thread counts and PATH, HOME and TMPDIR
pointing at the scratch folder. Where the kernel has Landlock (Linux 5.13+), the runner also
shuts itself out of every file but the Python installation's and the scratch folder's, of TCP
and of signalling other processes, before the user's code runs (see ``sandbox_runner``).
Data crosses as Arrow files both ways; nothing the user's code made is unpickled here.

The step's limits hold: the parent polls the process and kills it (its whole process group)
past the step's or the run's time limit or the step's memory limit, or on Cancel. The
script's stdout and stderr lines go to the step log as they are printed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from .context import Cancelled, ModuleError, StepContext
from .sandbox_runner import LINE_MARK, MAX_PIECE

RUNNER = Path(__file__).with_name("sandbox_runner.py")
MARK, STREAMS = LINE_MARK.encode(), {b"o": "stdout", b"e": "stderr"}
# Variables the script may see: how to print text and how many native threads to start.
KEPT_ENVIRONMENT = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OMP_NUM_THREADS",
                    "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MAX_PRINTED_LINES = 10_000  # lines of stdout and stderr kept in the step log
MAX_LINE_CHARS = 4_000
POLL_SECONDS = 0.05
SCRATCH_PREFIX = "designer-python-"  # then the pid of the process that made the folder


@dataclass
class JobResult:
    """What a sandboxed job gave back: data sets by file name, a model state, printed lines."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    state: bytes | None = None
    printed: list[tuple[str, str]] = field(default_factory=list)  # (stream, line)
    landlock: int = 0  # the Landlock ABI the process ran under, 0: none


def clean_environment(scratch: str) -> dict[str, str]:
    """The environment of a sandboxed process: nothing of this process's but KEPT_ENVIRONMENT."""
    kept = {k: os.environ[k] for k in KEPT_ENVIRONMENT if k in os.environ}
    # joblib would warn at every import that it cannot use /dev/shm: it runs serially anyway.
    return kept | {"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch,
                   "JOBLIB_MULTIPROCESSING": "0"}


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_frame(path: Path) -> pd.DataFrame:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all().to_pandas()


class _Printed:
    """Collects a process's stdout and stderr lines and logs them as they arrive.

    The runner sends what the user's code prints on its standard output, each line behind
    LINE_MARK and the stream's letter, so both streams keep their order; anything unmarked
    (a native library writing to a descriptor, the interpreter failing) is logged as it came.
    """

    def __init__(self, ctx: StepContext):
        self.ctx, self.lines, self._lock = ctx, [], threading.Lock()

    def read(self, pipe, stream: str) -> None:
        # The runner sends a long line in pieces of MAX_PIECE characters (at most 4 bytes
        # each); anything longer is read in parts too, so no print holds this process's
        # memory. A part that does not start a line belongs to the stream of the part before.
        starts_line, piece_stream = True, stream
        for raw in iter(lambda: pipe.readline(4 * MAX_PIECE + 3), b""):
            if starts_line:
                piece_stream = stream
                if raw[:1] == MARK and raw[1:2] in STREAMS:
                    piece_stream, raw = STREAMS[raw[1:2]], raw[2:]
            starts_line = raw.endswith(b"\n")
            self._add(piece_stream, raw.decode("utf-8", "replace").rstrip("\n"))
        pipe.close()

    def _add(self, stream: str, line: str) -> None:
        with self._lock:
            if len(self.lines) > MAX_PRINTED_LINES:
                return
            if len(self.lines) == MAX_PRINTED_LINES:
                line, stream = (f"... output cut after {MAX_PRINTED_LINES} lines", "note")
            line = line[:MAX_LINE_CHARS]
            self.lines.append((stream, line))
        self.ctx.log(line if stream == "stdout" else f"{stream}: {line}")


def run_job(mode: str, job: dict, ctx: StepContext, label: str, *,
            frames: dict[str, pd.DataFrame | None], state: bytes | None = None,
            bundle: Path | None = None) -> JobResult:
    """Run one job (``mode``: script, train or predict) of user code in a sandboxed process.

    ``frames`` are the inputs by name (None: not connected), ``state`` a trained model's
    pickle (only the sandbox loads it), ``bundle`` a zip whose modules the code may import.
    A problem raises ModuleError naming it (prefixed with ``label``); Cancel raises Cancelled.
    """
    _remove_orphans()
    scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
    try:
        folder = Path(scratch)
        job = dict(job, mode=mode, inputs={})
        for name, frame in frames.items():
            if frame is not None:
                _write_frame(frame, folder / f"{name}.arrow")
                job["inputs"][name] = f"{name}.arrow"
        if state is not None:
            (folder / "state.pkl").write_bytes(state)
        if bundle is not None:
            shutil.copyfile(bundle, folder / "bundle.zip")
            job["bundle"] = "bundle.zip"
        (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
        printed = _run(scratch, ctx, label)
        return _collect(folder, label, ctx, printed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _remove_orphans() -> None:
    """Delete scratch folders whose process is gone (a worker killed at a limit had no time
    to delete its own)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # another user's process
            continue


def _run(scratch: str, ctx: StepContext, label: str) -> list[tuple[str, str]]:
    """Start the runner and watch it until it exits; kill it at a limit or on Cancel."""
    from .backends.process import rss

    process = subprocess.Popen(  # noqa: S603 - our own runner, no shell
        [sys.executable, "-I", "-u", str(RUNNER), scratch, str(os.getpid())],
        cwd=scratch, env=clean_environment(scratch), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True, start_new_session=True)
    printed = _Printed(ctx)
    readers = [threading.Thread(target=printed.read, args=(pipe, name), daemon=True)
               for pipe, name in ((process.stdout, "stdout"), (process.stderr, "stderr"))]
    for reader in readers:
        reader.start()
    stop: str | None = None
    try:
        while True:
            try:
                process.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            if ctx.token.cancelled:
                stop = "cancel"
            else:
                stop = ctx.time_exceeded() or ctx.limits.memory_exceeded(rss(process.pid))
            if stop is not None:
                _kill(process)
                break
    finally:
        if process.poll() is None:  # an exception (or the worker stopping) while waiting
            _kill(process)
        for reader in readers:
            reader.join(timeout=5)
    if stop == "cancel":
        raise Cancelled(f"step {ctx.node_id} canceled")
    if stop is not None:
        raise ModuleError(f"{label}: the script was stopped: {stop}.")
    if process.returncode != 0:
        how = (f"signal {-process.returncode}" if process.returncode < 0
               else f"exit code {process.returncode}")
        raise ModuleError(f"{label}: the script's process ended ({how}) before it finished.")
    return printed.lines


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _collect(folder: Path, label: str, ctx: StepContext, printed) -> JobResult:
    """The result the runner wrote, or the ModuleError it describes."""
    try:
        result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModuleError(f"{label}: the script's process ended without a result "
                          "(did the script exit or replace result.json?).") from None
    if not result.get("ok"):
        raise ModuleError(_message(result, label, ctx))
    out = JobResult(printed=printed, landlock=int(result.get("sandbox") or 0))
    for name in result.get("outputs", []):
        if name == "state.pkl":
            out.state = (folder / name).read_bytes()
        elif name in ("result1.arrow", "result2.arrow", "scores.arrow"):
            try:
                out.frames[name] = _read_frame(folder / name)
            except (OSError, pa.ArrowException) as exc:
                raise ModuleError(f"{label}: the script's result {name} is unreadable: "
                                  f"{exc}") from None
    return out


def _message(result: dict, label: str, ctx: StepContext) -> str:
    """The step error for a failed job; the user's traceback goes to the step log."""
    kind, message, line = result.get("kind"), str(result.get("message")), result.get("line")
    for text in str(result.get("trace") or "").rstrip().splitlines():
        ctx.log(text)
    if kind == "syntax":
        return f"{label}: syntax error in the script at line {line}: {message}"
    if kind == "exception":
        return f"{label}: line {line} of the script raised {message}" if line \
            else f"{label}: the script raised {message}"
    return f"{label}: {message}"
