"""Cancel reaches a run whose Import Data is still downloading a slow URL."""

from tests.api.test_reuse import reading, rows
from tests.conftest import wait_for
from tests.helpers_server import DataServer

LINES = 3000
TRICKLE = 0.05  # seconds a line: the whole body would take two and a half minutes
WAIT = 45  # seconds: cancel is honoured well before the body could end


def test_cancel_during_a_url_download_ends_the_run_canceled(fetching_app, fetching_client):
    client = fetching_client
    fetching_app.extensions["designer"].start_dispatcher()
    with DataServer({"big.csv": rows(LINES, 2).encode()}, trickle=TRICKLE) as web:
        document = reading({"source": "url", "url": f"{web.url}/big.csv"})
        run_id = client.post("/api/v1/runs", json={"document": document}).get_json()["id"]

        def downloading():
            steps = client.get(f"/api/v1/runs/{run_id}").get_json()["steps"]
            return web.hits.get("big.csv") and steps[0]["status"] == "Running"

        wait_for(downloading, "the download to start")
        assert client.post(f"/api/v1/runs/{run_id}/cancel").status_code == 202
        run = wait_for(lambda: (r := client.get(f"/api/v1/runs/{run_id}").get_json())["status"]
                       not in ("Queued", "Running") and r, "the run to end", WAIT)

    assert run["status"] == "Canceled", run
    steps = {s["node_id"]: s["status"] for s in run["steps"]}
    assert steps["data"] == "Canceled"
    assert {steps[n] for n in ("split", "train", "score", "eval")} == {"Canceled"}
