"""The benchmarks still run: one short round of each, checked for the figures they print."""

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import missing

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_income_benchmark_prints_its_ratios_and_the_step_table():
    out = run("bench_income.py", "--repeats", "1", "--sample")
    assert "synthetic sample_data/income/us.csv, 3000 rows (asked for)" in out
    assert "engine == plain: yes" in out
    assert re.search(r"^engine/plain \d+\.\d{3} \(target <= 1\.10\): (PASS|MISS)$", out, re.M)
    assert re.search(r"^cached/plain \d+\.\d{4} \(target <= 0\.05\): (PASS|MISS)$", out, re.M)
    number = r"\s+-?\d+\.\d"
    rows = re.findall(rf"^(\w+)\s+(\w+){number * 5}\s+(?:\d+\.\d|-)$", out, re.M)
    assert {node for node, _ in rows} == {
        "import", "clean", "select", "split", "learner", "train", "score", "evaluate"}
    assert "artifacts written: joblib 2 files" in out


def test_canvas_benchmark_measures_the_50_node_case():
    if not Path("/usr/bin/chromium").exists():
        missing("/usr/bin/chromium is not installed")
    out = run("bench_canvas.py", "--repeats", "1", "--seconds", "0.3", "--case", "50")
    for check in ("load", "drag p95", "zoom p95", "pan p95"):
        assert re.search(rf"^(PASS|MISS)  50 nodes: {check} [\d.]+ ms", out, re.M), out


def test_validation_benchmark_prints_both_cases():
    out = run("bench_validate.py", "--nodes", "500", "--repeats", "1")
    for case, flagged in (("acyclic", 0), ("with a cycle", 499)):
        line = (rf"^(PASS|MISS)  500 nodes {case}: [\d.]+ s \(target < 1 s; CPU [\d.]+ s\), "
                rf"answer [\d,]+ bytes, {flagged} nodes flagged$")
        assert re.search(line, out, re.M), out


def test_signin_benchmark_prints_both_ratios():
    out = run("bench_signin.py", "--repeats", "1")
    for kind in ("login", "token"):
        assert re.search(rf"^{kind} unknown/known \d+\.\d\d$", out, re.M), out
