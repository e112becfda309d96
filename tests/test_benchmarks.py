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
    # Data sets as Arrow files; the learner, the transformation and the model pickled.
    assert re.search(r"^artifacts written: arrow \d+ files, .*; joblib 3 files, ", out, re.M), out


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


def test_scoring_benchmark_prints_latencies_and_the_promote_under_load():
    out = run("bench_scoring.py", "--requests", "20", "--seconds", "2", "--clients", "4")
    for size in (1, 1000):
        assert re.search(rf"^\s*{size} row\(s\): direct p50\s+[\d.]+ ms .* http/direct p50 "
                         r"[\d.]+$", out, re.M), out
    assert re.search(r"^one row: http p50 - faster direct p50 = -?[\d.]+ ms \(target <= 5.0 ms\): "
                     r"(PASS|MISS)$", out, re.M), out
    assert re.search(r"^1000 rows: http p50 [\d.]+ ms \(target < 50.0 ms\): (PASS|MISS)$", out,
                     re.M), out
    assert re.search(r"^full garbage collections in this process while timing: \d+, longest "
                     r"[\d.]+ ms", out, re.M), out
    # Requests never fail while the served version flips, whatever the speed.
    assert re.search(r"^4 clients, [\d.]+ s, \d+ promotions: \d+ requests/s, .*failed 0 of "
                     r"\d+ \(target 0\): PASS$", out, re.M), out


def test_scale_benchmark_prints_latency_submits_and_drain():
    out = run("bench_scale.py", "--runs", "20", "--clients", "4", "--latency", "2",
              "--income", "1", "--concurrent", "1", "--sample")
    assert re.search(r"^submit-to-Finished, two steps \(median of 2\): [\d.]+ ms .*"
                     r"\(target < 50 ms\): (PASS|MISS)$", out, re.M), out
    # Whatever the speed, every accepted submit is found queued.
    for processes, judged in ((1, r"\(for comparison\)"),
                              (2, r"\(target >= 300/s, none lost\): (PASS|MISS)")):
        assert re.search(rf"^20 concurrent submits \(4 connections, no worker, `--processes "
                         rf"{processes}`\): \d+ submits/s, p50 [\d.]+ ms, p99 [\d.]+ ms; "
                         rf"accepted 20, queued 20 {judged}$", out, re.M), out
    assert re.search(r"^drain of 20 queued two-step runs by one worker \(2 run slots\): "
                     r"[\d.]+ s \(target < 20 s\): (PASS|MISS)$", out, re.M), out
    for executor in ("process", "dask"):
        assert re.search(rf"^Income retrain, REST path, executor {executor} \(median of 1\): "
                         r"run \d+ ms, of which Train Model \d+ ms; plain in this process \d+ ms, "
                         r"of which the fit \d+ ms; [\d.]+ x plain$", out, re.M), out
        assert re.search(rf"^Income runs submitted at once \(1\), executor {executor}: "
                         r"[\d.]+ runs/min$", out, re.M), out
    assert re.search(r"^Income REST path / plain: [\d.]+ x \(target <= 1.15 x\): (PASS|MISS)$",
                     out, re.M), out
    assert re.search(r"^Income on Dask / default executor, each against its plain runs: "
                     r"[\d.]+ x \(run times alone [\d.]+ x\) \(target <= 1.30 x\): "
                     r"(PASS|MISS)$", out, re.M), out
