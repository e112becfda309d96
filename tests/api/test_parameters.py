"""Pipeline parameter edits through the API: rules on names, types, values and bindings."""

import json

import pytest

from tests.conftest import ROOT

INCOME = json.loads((ROOT / "sample_data/pipelines/income_prediction.json").read_text())
DOC = {
    "name": "Params",
    "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": "a,b\n1,\n2,3\n"}},
        {"id": "c1", "module": "clean_missing_data", "params": {"replacement_value": "0"}},
        {"id": "c2", "module": "clean_missing_data", "params": {"replacement_value": "0"}},
        {"id": "split", "module": "split_data", "params": {"fraction": 0.5}},
    ],
    "edges": [
        {"from": {"node": "data", "port": "dataset"}, "to": {"node": "c1", "port": "dataset"}},
        {"from": {"node": "c1", "port": "cleaned_dataset"},
         "to": {"node": "c2", "port": "dataset"}},
        {"from": {"node": "c2", "port": "cleaned_dataset"},
         "to": {"node": "split", "port": "dataset"}},
    ],
}


@pytest.fixture
def pid(client):
    return client.post("/api/v1/pipelines", json={"document": DOC}).get_json()["id"]


def doc_of(client, pid):
    return client.get(f"/api/v1/pipelines/{pid}").get_json()


def test_add_with_bindings_then_one_value_drives_both_fields(client, pid, run_queued):
    response = client.post(f"/api/v1/pipelines/{pid}/parameters", json={
        "revision": 1, "parameter": {"name": "fill", "type": "string", "default": "7"},
        "attach": [{"node": "c1", "field": "replacement_value"},
                   {"node": "c2", "field": "replacement_value"}]})
    assert response.status_code == 201
    nodes = {n["id"]: n for n in response.get_json()["document"]["nodes"]}
    assert nodes["c1"]["params"]["replacement_value"] == {"$param": "fill"}
    assert nodes["c2"]["params"]["replacement_value"] == {"$param": "fill"}
    run = client.post(f"/api/v1/pipelines/{pid}/runs", json={"parameters": {"fill": "9"}})
    run_queued()
    run_id = run.get_json()["id"]
    preview = client.get(f"/api/v1/runs/{run_id}/steps/c2/outputs/cleaned_dataset/preview")
    assert preview.get_json()["rows"] == [[1, 9], [2, 3]]


def test_rename_updates_every_binding_and_delete_detaches_keeping_the_value(client, pid):
    client.post(f"/api/v1/pipelines/{pid}/parameters", json={
        "revision": 1, "parameter": {"name": "fill", "type": "string", "default": "7"},
        "attach": [{"node": "c1", "field": "replacement_value"}]})
    renamed = client.patch(f"/api/v1/pipelines/{pid}/parameters/fill",
                           json={"revision": 2, "changes": {"name": "value", "default": "8"}})
    assert renamed.status_code == 200
    body = renamed.get_json()
    assert [p["name"] for p in body["document"]["parameters"]] == ["value"]
    assert body["document"]["nodes"][1]["params"]["replacement_value"] == {"$param": "value"}
    deleted = client.delete(f"/api/v1/pipelines/{pid}/parameters/value?revision=3")
    assert deleted.status_code == 200
    body = deleted.get_json()
    assert body["document"]["parameters"] == []
    assert body["document"]["nodes"][1]["params"]["replacement_value"] == "8"


def test_attach_and_detach(client, pid):
    client.post(f"/api/v1/pipelines/{pid}/parameters", json={
        "revision": 1, "parameter": {"name": "frac", "type": "float", "default": 0.8}})
    attached = client.put(f"/api/v1/pipelines/{pid}/bindings/split/fraction",
                          json={"revision": 2, "parameter": "frac"})
    assert attached.status_code == 200
    assert attached.get_json()["document"]["nodes"][3]["params"]["fraction"] == {"$param": "frac"}
    detached = client.delete(f"/api/v1/pipelines/{pid}/bindings/split/fraction?revision=3")
    assert detached.get_json()["document"]["nodes"][3]["params"]["fraction"] == 0.8


@pytest.mark.parametrize("body, message", [
    ({"parameter": {"name": "1bad", "type": "string"}},
     "parameter name '1bad' must be 1-64 characters: letters, digits, '_' or '-', starting"),
    ({"parameter": {"name": "x" * 65, "type": "string"}}, "must be 1-64 characters"),
    ({"parameter": {"name": "a b", "type": "string"}}, "must be 1-64 characters"),
    ({"parameter": {"name": "p", "type": "date"}}, "type"),
    ({"parameter": {"name": "p", "type": "string", "default": "x"},
      "attach": [{"node": "split", "field": "fraction"}]},
     "Pipeline parameter 'p' of type string cannot drive field 'fraction' of Split Data "
     "(split) (float)."),
    ({"parameter": {"name": "p", "type": "float", "default": 1.5},
      "attach": [{"node": "split", "field": "fraction"}]},
     "The default of pipeline parameter 'p' does not fit field 'fraction' of Split Data"),
    ({"parameter": {"name": "p", "type": "int", "default": 1},
      "attach": [{"node": "ghost", "field": "fraction"}]}, "Unknown node 'ghost'."),
    ({"parameter": {"name": "p", "type": "int", "default": 1},
      "attach": [{"node": "split", "field": "colour"}]}, "Split Data (split) has no field"),
])
def test_add_refusals_name_the_culprit(client, pid, body, message):
    response = client.post(f"/api/v1/pipelines/{pid}/parameters", json={"revision": 1, **body})
    assert response.status_code == 422
    assert message in response.get_json()["error"]
    assert doc_of(client, pid)["revision"] == 1


def test_an_int_parameter_may_drive_a_float_field(client, pid):
    response = client.post(f"/api/v1/pipelines/{pid}/parameters", json={
        "revision": 1, "parameter": {"name": "n", "type": "int", "default": 1},
        "attach": [{"node": "split", "field": "fraction"}]})
    assert response.status_code == 201


def test_duplicate_names_unknown_parameters_and_stale_revisions(client, pid):
    add = {"revision": 1, "parameter": {"name": "p", "type": "string", "default": "a"}}
    assert client.post(f"/api/v1/pipelines/{pid}/parameters", json=add).status_code == 201
    again = client.post(f"/api/v1/pipelines/{pid}/parameters", json=add | {"revision": 2})
    assert again.status_code == 422
    assert "A pipeline parameter named 'p' exists." in again.get_json()["error"]
    stale = client.post(f"/api/v1/pipelines/{pid}/parameters",
                        json={"revision": 1, "parameter": {"name": "q", "type": "string"}})
    assert stale.status_code == 409
    missing = client.delete(f"/api/v1/pipelines/{pid}/parameters/zzz?revision=2")
    assert missing.status_code == 422
    assert "Unknown pipeline parameter 'zzz' (parameters: p)" in missing.get_json()["error"]
    unbound = client.delete(f"/api/v1/pipelines/{pid}/bindings/split/fraction?revision=2")
    assert unbound.status_code == 422
    assert "is not bound to a pipeline parameter" in unbound.get_json()["error"]
    assert client.delete(f"/api/v1/pipelines/{pid}/parameters/p").status_code == 400


def test_changing_a_default_is_checked_against_bound_fields(client):
    pid = client.post("/api/v1/pipelines", json={"document": INCOME}).get_json()["id"]
    bad = client.patch(f"/api/v1/pipelines/{pid}/parameters/training_data",
                       json={"revision": 1, "changes": {"type": "string", "default": "x"}})
    assert bad.status_code == 422
    assert "cannot drive field 'path' of Import Data (import)" in bad.get_json()["error"]
    mismatch = client.patch(f"/api/v1/pipelines/{pid}/parameters/training_data",
                            json={"revision": 1, "changes": {"type": "string"}})
    assert ("The pipeline parameter 'training_data' must be a string. Got {'datastore'"
            in mismatch.get_json()["error"])
    ok = client.patch(f"/api/v1/pipelines/{pid}/parameters/training_data", json={
        "revision": 1, "changes": {"default": "samples:income/non_us.csv"}})
    assert ok.get_json()["document"]["parameters"][0]["default"] == {
        "datastore": "samples", "path": "income/non_us.csv"}
