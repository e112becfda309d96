"""The program a sandboxed Python job runs: ``python -I -u sandbox_runner.py SCRATCH PARENT``.

It is started by ``app.engine.sandbox`` with a clean environment, in a scratch folder that
holds the job (``job.json``), its input data sets (Arrow files) and, for a model, its pickled
state. It imports only the standard library, pandas and pyarrow (never the app), restricts
itself with Landlock where the kernel has it (files: the Python installation read-only and
the scratch folder; no TCP; no signals or abstract sockets outside itself), then runs the
user's code. Results go back as Arrow files and ``result.json``: data, never a pickle, so
nothing the user's code makes is ever unpickled outside this process.
"""

import ctypes
import io
import json
import linecache
import os
import pickle
import signal
import sys
import traceback
import types
import zipfile

import pandas as pd
import pyarrow as pa

SCRIPT_FILE = "script.py"  # the name tracebacks give the user's script
USER_MODULE = "azureml_user_script"  # where the script's classes live (pickle finds them)

# Landlock (linux/landlock.h): syscall numbers on x86_64 and arm64, access rights by ABI.
_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
_FS_READ = (1 << 0) | (1 << 2) | (1 << 3)  # execute, read file, read dir
_FS_FILE = (1 << 0) | (1 << 1) | (1 << 2)  # what a rule on a file (not a folder) may allow
_FS_ABI1 = (1 << 13) - 1
_FS_BY_ABI = {1: _FS_ABI1, 2: _FS_ABI1 | 1 << 13, 3: _FS_ABI1 | 3 << 13, 4: _FS_ABI1 | 3 << 13,
              5: _FS_ABI1 | 7 << 13}
_NET_TCP = (1 << 0) | (1 << 1)  # bind, connect
_SCOPES = (1 << 0) | (1 << 1)  # abstract unix sockets, signals


# Each line the user's code prints reaches the parent on standard output, behind this mark and
# its stream's letter ("o" stdout, "e" stderr): one pipe, so the log keeps the order of printing.
# A line longer than MAX_PIECE characters goes in pieces, each logged as a line.
LINE_MARK = "\x1f"
MAX_PIECE = 65536


class _Printer(io.TextIOBase):
    """sys.stdout or sys.stderr of the user's code: whole lines, marked, on file descriptor 1."""

    def __init__(self, letter: str):
        self.prefix, self.pending = (LINE_MARK + letter).encode(), ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        while len(self.pending) > MAX_PIECE:
            lines.append(self.pending[:MAX_PIECE])
            self.pending = self.pending[MAX_PIECE:]
        for line in lines:
            self._send(line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self._send(self.pending)
            self.pending = ""

    def _send(self, line: str) -> None:
        data = self.prefix + line.encode("utf-8", "replace") + b"\n"
        while data:
            data = data[os.write(1, data):]


class JobError(Exception):
    """A problem with what the user's code did or returned, reported as it is."""

    def __init__(self, kind: str, message: str, line: int | None = None, trace: str = ""):
        super().__init__(message)
        self.kind, self.line, self.trace = kind, line, trace


def _die_with_parent(parent: int) -> None:
    """Exit when the process that started us goes (it was killed at a limit)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _readable_roots() -> list[str]:
    """What Python needs to read once the user's code runs: its installation, libraries."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)}
    roots |= {p for p in sys.path if p and os.path.isabs(p)
              and any(p.startswith(r) for r in (sys.prefix, sys.base_prefix))}
    roots |= {"/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/share/zoneinfo",
              "/etc/ld.so.cache", "/etc/localtime", "/dev/null", "/dev/urandom", "/proc/self"}
    return sorted({os.path.realpath(r) for r in roots if os.path.exists(r)})


def landlock(scratch: str) -> int:
    """Restrict this process to reading Python's files and using ``scratch``; the Landlock
    ABI applied, or 0 where the kernel has none (then only the clean environment holds)."""
    numbers = _SYSCALLS.get(os.uname().machine)
    if numbers is None:
        return 0
    create, add_rule, restrict = numbers
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(create, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return 0
    every = _FS_BY_ABI.get(abi, _FS_BY_ABI[5])
    attr = _RulesetAttr(every, _NET_TCP if abi >= 4 else 0, _SCOPES if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return 0
    try:
        rules = [(root, _FS_READ) for root in _readable_roots()]
        rules += [(os.path.realpath(scratch), every), ("/dev/null", _FS_FILE)]
        for path, allowed in rules:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                if not os.path.isdir(path):
                    allowed &= _FS_FILE
                rule = _PathBeneath(allowed & every, fd)
                if libc.syscall(add_rule, ruleset, 1, ctypes.byref(rule), 0) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock rule for {path}")
            finally:
                os.close(fd)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            raise OSError(ctypes.get_errno(), "no_new_privs")
        if libc.syscall(restrict, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


def _read_frame(path: str) -> pd.DataFrame:
    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).read_all().to_pandas()


def _write_frame(frame: pd.DataFrame, path: str, what: str) -> None:
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise JobError("unstorable", f"{what} cannot be stored as a data set: {exc}") from None
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _user_line(exc: BaseException) -> int | None:
    """The line of the user's script nearest the error (the innermost frame in it)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == SCRIPT_FILE:
            line = frame.lineno
    return line


def _user_trace(exc: BaseException) -> str:
    """The traceback from the first frame of the user's script on (the runner's left out)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != SCRIPT_FILE:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def load_script(source: str) -> types.ModuleType:
    """Run the script's top level in a module of its own; its syntax errors as JobErrors."""
    linecache.cache[SCRIPT_FILE] = (len(source), None, source.splitlines(True), SCRIPT_FILE)
    try:
        code = compile(source, SCRIPT_FILE, "exec")
    except SyntaxError as exc:
        raise JobError("syntax", f"{exc.msg}", exc.lineno,
                       "".join(traceback.format_exception_only(type(exc), exc))) from None
    module = types.ModuleType(USER_MODULE)
    module.__file__ = SCRIPT_FILE
    sys.modules[USER_MODULE] = module
    call(lambda: exec(code, module.__dict__), "the script's top level")  # noqa: S102
    return module


def call(fn, where: str):
    """Call the user's code; an exception becomes a JobError with its line and traceback."""
    try:
        return fn()
    except JobError:
        raise
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the step fails
        raise JobError("exception", f"{type(exc).__name__}: {exc}", _user_line(exc),
                       _user_trace(exc)) from None


def _frames(value) -> list:
    """azureml_main's return: a DataFrame, or a sequence of one or two."""
    if isinstance(value, pd.DataFrame):
        return [value]
    if isinstance(value, tuple | list) and 1 <= len(value) <= 2 \
            and all(isinstance(v, pd.DataFrame) for v in value):
        return list(value)
    if isinstance(value, tuple | list):
        kinds = ", ".join(type(v).__name__ for v in value) or "nothing"
        raise JobError("return", f"azureml_main must return a pandas DataFrame or a tuple of one "
                                 f"or two; it returned a {type(value).__name__} of {kinds}")
    raise JobError("return", f"azureml_main must return a pandas DataFrame (or a tuple of one or "
                             f"two); it returned {type(value).__name__}")


def run_script(job: dict, scratch: str) -> dict:
    """Execute Python Script: azureml_main(dataframe1, dataframe2) -> one or two frames."""
    module = load_script(job["script"])
    main = getattr(module, "azureml_main", None)
    if not callable(main):
        raise JobError("entry", "the script defines no function azureml_main(dataframe1=None, "
                                "dataframe2=None)")
    inputs = [_read_frame(os.path.join(scratch, job["inputs"][p])) if job["inputs"].get(p)
              else None for p in ("dataframe1", "dataframe2")]
    frames = _frames(call(lambda: main(*inputs), "azureml_main"))
    outputs = []
    for i, frame in enumerate(frames, start=1):
        name = f"result{i}.arrow"
        _write_frame(frame, os.path.join(scratch, name), f"data frame {i} azureml_main returned")
        outputs.append(name)
    return {"outputs": outputs}


def _model(job: dict):
    module = load_script(job["script"])
    cls = getattr(module, "AzureMLModel", None)
    if not isinstance(cls, type):
        raise JobError("entry", "the script defines no class AzureMLModel (with __init__, "
                                "train(self, df_train, df_label) and predict(self, df))")
    for method in ("train", "predict"):
        if not callable(getattr(cls, method, None)):
            raise JobError("entry", f"class AzureMLModel has no method {method}")
    return cls


def run_train(job: dict, scratch: str) -> dict:
    """Create Python Model, training: AzureMLModel().train(df_train, df_label), then pickled."""
    cls = _model(job)
    data = _read_frame(os.path.join(scratch, job["inputs"]["dataset"]))
    label = data.pop(job["label_column"])
    model = call(cls, "AzureMLModel()")
    call(lambda: model.train(data, label), "train")
    try:
        state = pickle.dumps(model)
    except Exception as exc:
        raise JobError("unstorable", f"the trained AzureMLModel cannot be pickled: {exc}") from None
    with open(os.path.join(scratch, "state.pkl"), "wb") as f:
        f.write(state)
    return {"outputs": ["state.pkl"]}


def run_predict(job: dict, scratch: str) -> dict:
    """Create Python Model, scoring: the trained model's predict(df) -> a frame of scores."""
    _model(job)
    with open(os.path.join(scratch, "state.pkl"), "rb") as f:
        model = call(lambda: pickle.load(f), "loading the trained model")  # noqa: S301 - ours
    data = _read_frame(os.path.join(scratch, job["inputs"]["dataset"]))
    scores = call(lambda: model.predict(data), "predict")
    if not isinstance(scores, pd.DataFrame):
        raise JobError("return", f"AzureMLModel.predict must return a pandas DataFrame; it "
                                 f"returned {type(scores).__name__}")
    _write_frame(scores, os.path.join(scratch, "scores.arrow"), "the frame predict returned")
    return {"outputs": ["scores.arrow"]}


MODES = {"script": run_script, "train": run_train, "predict": run_predict}


def main(scratch: str, parent: int) -> int:
    """Run the job in ``scratch``; write result.json; the exit status."""
    _die_with_parent(parent)
    with open(os.path.join(scratch, "job.json"), encoding="utf-8") as f:
        job = json.load(f)
    abi = landlock(scratch)
    bundle = job.get("bundle")
    if bundle:  # unpacked under the sandbox's rules; extractall keeps every name inside
        target = os.path.join(scratch, "bundle")
        with zipfile.ZipFile(os.path.join(scratch, bundle)) as archive:
            archive.extractall(target)
        sys.path.insert(0, target)
    result: dict = {"sandbox": abi}
    sys.stdin = io.StringIO()
    sys.stdout, sys.stderr = _Printer("o"), _Printer("e")
    try:
        result |= MODES[job["mode"]](job, scratch)
        result["ok"] = True
    except JobError as exc:
        result |= {"ok": False, "kind": exc.kind, "message": str(exc), "line": exc.line,
                   "trace": exc.trace}
    sys.stdout.flush()
    sys.stderr.flush()
    with open(os.path.join(scratch, "result.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
