"""The sandboxed process user code runs in: what it cannot see or reach, and its limits."""

import json
import os
import socket
import sys
import threading
import time

import pytest

from app.engine.context import Cancelled, CancelToken, Limits, ModuleError, StepContext
from app.engine.sandbox import run_job
from app.engine.sandbox_runner import landlock

HAS_LANDLOCK = sys.platform == "linux" and os.uname().machine in ("x86_64", "aarch64")


def script_job(body: str, ctx=None, limits=None) -> tuple:
    """Run ``body`` as azureml_main's body; the first cell of its result, and the context."""
    ctx = ctx or StepContext("py", limits=limits or Limits())
    script = "import os, json, pandas as pd\ndef azureml_main(dataframe1=None, dataframe2=None):\n"
    script += "".join(f"    {line}\n" for line in body.splitlines())
    result = run_job("script", {"script": script}, ctx, "Test", frames={})
    return result.frames["result1.arrow"].iloc[0, 0], ctx, result


def reach(body: str) -> str:
    """What the script reports when it tries ``body``: "ok" or the error it met."""
    value, _, _ = script_job(f"try:\n    {body}\n    got = 'ok'\nexcept Exception as exc:\n"
                             f"    got = type(exc).__name__\nreturn pd.DataFrame({{'r': [got]}})")
    return value


@pytest.fixture
def secrets(monkeypatch, tmp_path):
    """This process's environment holds a database URL, a secret key and a token."""
    database = tmp_path / "instance" / "designer.db"
    database.parent.mkdir()
    database.write_bytes(b"SQLite format 3\x00")
    values = {"DESIGNER_DATABASE_URL": f"sqlite:///{database}",
              "DESIGNER_SECRET_KEY": "s3cret-key-value", "DESIGNER_HOME": str(database.parent),
              "AWS_SECRET_ACCESS_KEY": "aws-secret-value", "DATABASE_URL": "postgresql://u:pw@db/x"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values, database


def test_the_scripts_environment_holds_no_secret(secrets):
    values, database = secrets
    environ, _, _ = script_job("return pd.DataFrame({'e': [json.dumps(dict(os.environ))]})")
    seen = json.loads(environ)
    assert set(seen) <= {"PATH", "HOME", "TMPDIR", "JOBLIB_MULTIPROCESSING", "LANG", "LC_ALL",
                         "LC_CTYPE", "TZ", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                         "MKL_NUM_THREADS"}
    text = json.dumps(seen)
    for value in values.values():
        assert value not in text
    assert str(database.parent) not in text
    assert not any(name.startswith("DESIGNER_") for name in seen)


def test_the_script_runs_in_a_scratch_folder_of_its_own():
    cwd, _, _ = script_job("return pd.DataFrame({'c': [os.getcwd()]})")
    assert os.path.basename(cwd).startswith(f"designer-python-{os.getpid()}-")
    assert cwd != os.getcwd()
    assert not os.path.exists(cwd)  # removed once the step is done


@pytest.mark.skipif(not HAS_LANDLOCK, reason="Landlock is Linux only")
def test_the_database_file_the_parents_environment_and_tcp_are_out_of_reach(secrets):
    _, database = secrets
    _, _, result = script_job("return pd.DataFrame({'a': [1]})")
    if not result.landlock:
        pytest.skip("this kernel has no Landlock")
    assert reach(f"open({str(database)!r}, 'rb').read()") == "PermissionError"
    assert reach(f"open({__file__!r}).read()") == "PermissionError"  # the app's own files
    assert reach("open(f'/proc/{os.getppid()}/environ').read()") == "PermissionError"
    assert reach("open('made.txt', 'w').write('x')") == "ok"  # its scratch folder is its own
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert reach(f"__import__('socket').create_connection(('127.0.0.1', {port}), 5)") \
            == "PermissionError"
    assert reach(f"os.kill({os.getpid()}, 0)") == "PermissionError"


def test_landlock_reports_zero_where_the_machine_has_none(monkeypatch):
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("", "", "", "", "pdp11")))
    assert landlock("/nonexistent") == 0


def test_a_script_past_the_step_time_limit_is_killed_naming_the_limit():
    started = time.monotonic()
    with pytest.raises(ModuleError, match=r"^Test: the script was stopped: Step exceeded the "
                                          r"time limit of 2 seconds \(DESIGNER_STEP_SECONDS\)"):
        script_job("import time\ntime.sleep(60)", limits=Limits(step_seconds=2))
    assert time.monotonic() - started < 30


def test_a_script_past_the_run_deadline_is_killed_naming_the_run_limit():
    ctx = StepContext("py", limits=Limits(run_seconds=1), deadline=time.monotonic() + 1)
    with pytest.raises(ModuleError, match=r"Run exceeded the time limit of 1 seconds "
                                          r"\(DESIGNER_RUN_SECONDS\)"):
        script_job("import time\ntime.sleep(60)", ctx=ctx)


def test_a_script_past_the_memory_limit_is_killed_naming_the_limit():
    with pytest.raises(ModuleError, match=r"Step exceeded the memory limit of 200 MB "
                                          r"\(DESIGNER_STEP_MEMORY_MB\)"):
        script_job("import time\nx = bytearray(600 * 1024 * 1024)\ntime.sleep(60)",
                   limits=Limits(step_memory_mb=200))


def test_cancel_stops_the_script():
    token = CancelToken()
    ctx = StepContext("py", token=token)
    threading.Timer(1.0, token.cancel).start()
    with pytest.raises(Cancelled):
        script_job("import time\ntime.sleep(60)", ctx=ctx)


def test_a_process_that_dies_is_a_clear_error():
    with pytest.raises(ModuleError, match=r"the script's process ended \(exit code 3\)"):
        script_job("os._exit(3)")


def test_printing_is_capped(monkeypatch):
    import app.engine.sandbox as sandbox

    monkeypatch.setattr(sandbox, "MAX_PRINTED_LINES", 5)
    _, ctx, result = script_job("for i in range(50):\n    print(i)\n"
                                "return pd.DataFrame({'a': [1]})")
    assert [line for _, line in result.printed] == ["0", "1", "2", "3", "4",
                                                    "... output cut after 5 lines"]
    assert len(ctx.lines) == 6


def test_the_scratch_folder_of_a_killed_worker_is_removed_by_the_next_job():
    import subprocess
    import tempfile
    from pathlib import Path

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    orphan = Path(tempfile.gettempdir()) / f"designer-python-{gone.pid}-left"
    orphan.mkdir()
    (orphan / "dataframe1.arrow").write_bytes(b"data")
    mine = Path(tempfile.mkdtemp(prefix=f"designer-python-{os.getpid()}-"))
    try:
        script_job("return pd.DataFrame({'a': [1]})")
        assert not orphan.exists()
        assert mine.exists()  # a live process's folder stays
    finally:
        mine.rmdir()


def test_a_line_without_end_is_logged_in_pieces():
    _, _, result = script_job("import sys\nsys.stdout.write('x' * 300000)\n"
                              "return pd.DataFrame({'a': [1]})")
    assert [len(line) for _, line in result.printed] == [4000] * 5


def test_stdout_and_stderr_lines_are_logged_in_the_order_they_were_printed():
    _, ctx, result = script_job("import sys\nfor i in range(30):\n"
                                "    print('out', i)\n    print('err', i, file=sys.stderr)\n"
                                "os.write(2, b'straight to the descriptor\\n')\n"
                                "return pd.DataFrame({'a': [1]})")
    expected = [(stream, f"{word} {i}") for i in range(30)
                for stream, word in (("stdout", "out"), ("stderr", "err"))]
    raw = ("stderr", "straight to the descriptor")  # unmarked, on a pipe of its own: any place
    assert [line for line in result.printed if line != raw] == expected
    assert raw in result.printed
