"""A required part that is missing skips its tests locally and fails them under CI."""

import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = '''
from tests.conftest import postgres_schema


def test_needs_the_shared_data(shared_data):
    pass


def test_needs_postgresql():
    with postgres_schema("probe"):
        pass
'''


# Each probe is a fresh pytest process that imports the app (pandas, scikit-learn).
def run_probe(tmp_path, ci: str | None) -> subprocess.CompletedProcess:
    """pytest on PROBE with the shared data and the PostgreSQL server pointed at nothing."""
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(DESIGNER_TEST_SHARED_DATA=str(tmp_path / "no-data"),
               DESIGNER_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:1/none",
               PYTHONPATH=str(ROOT))
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-p", "no:randomly", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), "-q", str(tmp_path / "test_probe.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_under_ci_a_missing_part_fails_the_run(tmp_path):
    done = run_probe(tmp_path, "true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "skipped" not in done.stdout, done.stdout
    assert "no-data has no adult.data: required under CI" in done.stdout
    assert "no PostgreSQL server at postgresql+psycopg://postgres@127.0.0.1:1/none" in done.stdout


def test_on_a_developer_machine_a_missing_part_skips(tmp_path):
    done = run_probe(tmp_path, None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 skipped" in done.stdout, done.stdout
