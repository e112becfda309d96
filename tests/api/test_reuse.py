"""Output reuse meets edited data the way a user does: a file rewritten in place is re-read,
and everything downstream of it recomputes; data from a URL is never reused."""

import json

from tests.api.test_runs import TINY
from tests.helpers_server import DataServer

# The data and every step downstream of it recompute; the learner's settings did not change.
RECOMPUTED = {"data": "Finished", "split": "Finished", "lr": "Reused", "train": "Finished",
              "score": "Finished", "eval": "Finished"}


def rows(count: int, slope: int) -> str:
    """CSV rows x, y, c with y about ``slope`` * x: a new slope changes every metric."""
    return "x,y,c\n" + "".join(f"{i},{slope * i + (i % 3)},{'ab'[i % 2]}\n" for i in range(count))


def reading(source: dict) -> dict:
    """TINY with its typed-in data replaced by Import Data reading ``source``."""
    document = json.loads(json.dumps(TINY))
    document["nodes"][0] = {"id": "data", "module": "import_data", "params": source}
    return document


def run(client, run_queued, document) -> dict:
    """Submit ``document``, run it to its end, return the run."""
    response = client.post("/api/v1/runs", json={"document": document})
    assert response.status_code == 202, response.get_json()
    run_queued()
    finished = client.get(f"/api/v1/runs/{response.get_json()['id']}").get_json()
    assert finished["status"] == "Finished", finished
    return finished


def statuses(run: dict) -> dict:
    return {s["node_id"]: s["status"] for s in run["steps"]}


def test_a_file_rewritten_in_place_is_read_again_and_everything_downstream_recomputes(
        client, run_queued, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    file = folder / "sales.csv"
    file.write_text(rows(40, 2))
    assert client.post("/api/v1/datastores",
                       json={"name": "mine", "root": str(folder)}).status_code == 201
    document = reading({"source": "datastore", "path": "mine:sales.csv"})

    first = run(client, run_queued, document)
    again = run(client, run_queued, document)
    assert set(statuses(again).values()) == {"Reused"}

    with file.open("w") as same_file:  # same name, new rows, as an editor saves it
        same_file.write(rows(50, -3))
    edited = run(client, run_queued, document)

    assert statuses(edited) == RECOMPUTED
    assert edited["metrics"]["eval"] != first["metrics"]["eval"]
    preview = client.get(f"/api/v1/runs/{edited['id']}/steps/data/outputs/dataset/preview")
    assert preview.get_json()["row_count"] == 50


def test_data_from_a_url_is_fetched_on_every_run(fetching_client, fetching_run_queued):
    client, run_queued = fetching_client, fetching_run_queued
    with DataServer({"sales.csv": rows(40, 2).encode()}) as web:
        document = reading({"source": "url", "url": f"{web.url}/sales.csv"})
        first = run(client, run_queued, document)
        same = run(client, run_queued, document)
        web.bodies["sales.csv"] = rows(40, -3).encode()  # the remote file changes, unseen
        changed = run(client, run_queued, document)

    assert web.hits["sales.csv"] == 3
    for later in (same, changed):
        assert statuses(later) == RECOMPUTED
    assert same["metrics"]["eval"] == first["metrics"]["eval"]
    assert changed["metrics"]["eval"] != first["metrics"]["eval"]
