"""Benchmark: does the answer time of a refused sign-in tell whether the account exists?

Run from the repository root: ``python benchmarks/bench_signin.py [--repeats 15]``.

Through HTTP (Flask's test client) on a fresh instance, in interleaved rounds so that load from
other processes hits every case alike, the median time of:
  /login          a known user with a wrong password vs an unknown user name;
  /oauth2/token   a known client id with a wrong secret vs an unknown client id.
The sign-in limits are raised for the run. Prints each median and the unknown/known ratio
(1.00 means the timing tells nothing). Always exits 0.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402
from app.services import auth  # noqa: E402


def main(argv=None) -> int:
    """Time the four cases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        app = create_app({"DESIGNER_HOME": home, "SECRET_KEY": "bench",
                          "DESIGNER_SIGNIN_LIMIT_ACCOUNT": "100000 per minute",
                          "DESIGNER_SIGNIN_LIMIT_ADDRESS": "100000 per minute"})
        with app.app_context():
            auth.add_user("alice", "alice-password", "viewer")
            client_id = auth.create_client("nightly", "runner")[0].client_id
        browser = app.test_client()
        page = browser.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

        def login(name):
            return lambda: browser.post("/login", data={
                "username": name, "password": "wrong-password", "csrf_token": csrf})

        def token(given_id):
            return lambda: browser.post("/oauth2/token", data={
                "grant_type": "client_credentials", "client_id": given_id,
                "client_secret": "wrong"})

        cases = {"login known user": login("alice"), "login unknown user": login("nobody"),
                 "token known client": token(client_id), "token unknown client": token("0" * 32)}
        times = {name: [] for name in cases}
        for attempt in cases.values():  # warm-up: the stand-in hash is made once
            attempt()
        for _ in range(args.repeats):
            for name, attempt in cases.items():
                started = time.perf_counter()
                attempt()
                times[name].append(time.perf_counter() - started)
        app.extensions["designer"].shutdown()
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"median of {args.repeats} refused attempts each")
    for name, value in medians.items():
        print(f"{name:22s} {value * 1000:8.1f} ms")
    for kind in ("login", "token"):
        known = medians[f"{kind} known {'user' if kind == 'login' else 'client'}"]
        unknown = medians[f"{kind} unknown {'user' if kind == 'login' else 'client'}"]
        print(f"{kind} unknown/known {unknown / known:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
