"""Retrain a published pipeline from code: token, submit with a new data path, poll, metrics.

Standard library only (urllib), so it runs with any Python 3.8+ and nothing installed:

    designer clients create retrainer --role runner   # prints {"client_id", "client_secret"}
    python examples/retrain.py --url http://127.0.0.1:5000 \\
        --client-id ID --client-secret SECRET --data-path samples:income/non_us.csv

The options default to the environment variables DESIGNER_URL, DESIGNER_CLIENT_ID and
DESIGNER_CLIENT_SECRET. Progress goes to stderr; the finished run goes to stdout as JSON:
{"run_id", "status", "pipeline_version", "metrics": {step: {name: value}}}. The exit status is
0 when the run finished, 1 when it failed, was canceled or the server refused the request.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DONE = ("Finished", "Failed", "Canceled")


def note(text):
    """A progress line on stderr."""
    sys.stderr.write(text + "\n")


def call(method, url, body=None, token=None, form=None):
    """One HTTP request; returns the decoded JSON answer or exits with the server's error."""
    headers = {"Accept": "application/json"}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    # The base URL is checked to be http(s) in main().
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read().decode(errors="replace")
        try:
            message = json.loads(raw).get("error") or raw
        except ValueError:
            message = raw
        sys.exit(f"{method} {url}: HTTP {exc.code}: {message}")


def get_token(base, client_id, client_secret):
    """An access token from the OAuth 2.0 client credentials grant."""
    answer = call("POST", base + "/oauth2/token", form={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": client_secret})
    return answer["access_token"]


def submit(base, token, endpoint, data_path=None, version=None, experiment="retrain",
           description="Retrained from code"):
    """Submit a run of the endpoint's default (or given) version; returns the 202 answer."""
    body = {"ExperimentName": experiment, "Description": description}
    if data_path:
        datastore, _, path = data_path.partition(":")
        body["DataPathAssignments"] = {
            "training_data": {"DataStoreName": datastore, "RelativePath": path}}
    url = f"{base}/api/v1/endpoints/{urllib.parse.quote(endpoint, safe='')}/submit"
    if version is not None:
        url += f"?pipelineVersion={version}"
    return call("POST", url, body, token)


def wait(base, token, run_id, timeout=600, every=2.0):
    """Poll GET /api/v1/runs/<id> until the run is Finished, Failed or Canceled."""
    deadline = time.monotonic() + timeout
    status = None
    while True:
        run = call("GET", f"{base}/api/v1/runs/{run_id}", token=token)
        if run["status"] != status:
            status = run["status"]
            note(f"run {run_id}: {status}")
        if status in DONE:
            return run
        if time.monotonic() > deadline:
            sys.exit(f"run {run_id} still {status} after {timeout} s")
        time.sleep(every)


def main(argv=None):
    """Parse the options, retrain, print the metrics; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DESIGNER_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--client-id", default=os.environ.get("DESIGNER_CLIENT_ID"))
    parser.add_argument("--client-secret", default=os.environ.get("DESIGNER_CLIENT_SECRET"))
    parser.add_argument("--endpoint", default="income-retrain", help="endpoint name or id")
    parser.add_argument("--data-path", default="samples:income/non_us.csv",
                        help="DATASTORE:RELATIVE/PATH for training_data ('' keeps the default)")
    parser.add_argument("--version", type=int, help="published version (default: the default)")
    parser.add_argument("--experiment", default="retrain")
    parser.add_argument("--poll-seconds", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    if not args.client_id or not args.client_secret:
        parser.error("give --client-id and --client-secret (or DESIGNER_CLIENT_ID/_SECRET)")
    base = args.url.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        parser.error(f"--url must start with http:// or https://, got {args.url!r}")

    token = get_token(base, args.client_id, args.client_secret)
    submitted = submit(base, token, args.endpoint, args.data_path or None, args.version,
                       args.experiment)
    note(f"submitted run {submitted['Id']} (version {submitted['PipelineVersion']})")
    run = wait(base, token, submitted["Id"], args.timeout, args.poll_seconds)
    for step in run.get("steps", []):
        if step.get("error"):
            note(f"step {step['node_id']} failed: {step['error'].get('message')}")
    result = {"run_id": run["id"], "status": run["status"],
              "pipeline_version": submitted["PipelineVersion"], "metrics": run["metrics"]}
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0 if run["status"] == "Finished" else 1


if __name__ == "__main__":
    sys.exit(main())
