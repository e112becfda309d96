"""Run to here: a run of one node and what it depends on, reusing what earlier runs made."""

import copy

import pytest

from tests.api.test_runs import TINY

# A node after Train Model that is not finished yet: a full run refuses it, a run to Train
# Model leaves it out.
UNFINISHED = copy.deepcopy(TINY)
UNFINISHED["nodes"].append({"id": "later", "module": "split_data", "params": {"fraction": 3}})
UNFINISHED["edges"].append({"from": {"node": "score", "port": "scored_dataset"},
                            "to": {"node": "later", "port": "dataset"}})


def draft(client, document):
    return client.post("/api/v1/pipelines", json={"document": document}).get_json()["id"]


def submit(client, pipeline_id, **body):
    return client.post(f"/api/v1/pipelines/{pipeline_id}/runs", json=body)


def run_of(client, response, run_queued):
    assert response.status_code == 202, response.get_json()
    run_queued()
    return client.get(f"/api/v1/runs/{response.get_json()['id']}").get_json()


def test_runs_only_the_node_and_its_ancestors_despite_later_problems(client, run_queued):
    pipeline_id = draft(client, UNFINISHED)
    assert submit(client, pipeline_id).status_code == 422
    run = run_of(client, submit(client, pipeline_id, to_node="train"), run_queued)
    assert run["status"] == "Finished"
    assert {s["node_id"]: s["status"] for s in run["steps"]} == {
        "data": "Finished", "split": "Finished", "lr": "Finished", "train": "Finished"}
    assert run["description"] == "Run to here: Train Model (train)"
    assert [n["id"] for n in run["document"]["nodes"]] == ["data", "split", "lr", "train"]
    assert run["parameters"] == {"fraction": 0.75}
    assert run["pipeline_id"] == pipeline_id


def test_a_later_run_to_here_reuses_every_output_it_can(client, run_queued):
    pipeline_id = draft(client, TINY)
    first = run_of(client, submit(client, pipeline_id, to_node="split"), run_queued)
    deeper = run_of(client, submit(client, pipeline_id, to_node="score", description="mine"),
                    run_queued)
    assert deeper["description"] == "mine"
    steps = {s["node_id"]: (s["status"], s["reused_from"]) for s in deeper["steps"]}
    assert steps == {"data": ("Reused", first["id"]), "split": ("Reused", first["id"]),
                     "lr": ("Finished", None), "train": ("Finished", None),
                     "score": ("Finished", None)}
    preview = client.get(f"/api/v1/runs/{deeper['id']}/steps/score/outputs/scored_dataset/preview")
    assert "Scored Labels" in preview.get_json()["column_names"]


@pytest.mark.parametrize("to_node, status, message", [
    ("nowhere", 422, "'to_node': the pipeline has no node 'nowhere'."),
    ("", 400, "invalid request body"),
    (7, 400, "invalid request body"),
])
def test_unknown_node_is_refused_and_creates_no_run(client, to_node, status, message):
    response = submit(client, draft(client, TINY), to_node=to_node)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert client.get("/api/v1/runs").get_json()["runs"] == []


def test_an_inline_document_runs_to_a_node_too(client, run_queued):
    response = client.post("/api/v1/runs", json={"document": TINY, "to_node": "split"})
    run = run_of(client, response, run_queued)
    assert [s["node_id"] for s in run["steps"]] == ["data", "split"]
