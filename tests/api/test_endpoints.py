"""Publishing to pipeline endpoints and submitting to them with Azure ML's request body."""

import pytest


def income_id(client):
    return next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
                if p["name"] == "Income prediction")


def run_count(client):
    return len(client.get("/api/v1/runs").get_json()["runs"])


def test_init_publishes_the_sample_endpoint(client):
    (endpoint,) = client.get("/api/v1/endpoints").get_json()["endpoints"]
    assert endpoint["name"] == "income-retrain" and endpoint["status"] == "Active"
    assert (endpoint["default_version"], endpoint["versions"]) == (0, 1)
    detail = client.get("/api/v1/endpoints/income-retrain").get_json()
    assert detail["rest_url"].endswith(f"/api/v1/endpoints/{endpoint['id']}/submit")
    (version,) = detail["published"]
    assert version["is_default"] and version["version"] == 0
    schema = version["parameter_schema"]["properties"]["training_data"]
    assert schema["x-parameter-type"] == "data_path"
    assert schema["default"] == {"datastore": "samples", "path": "income/us.csv"}


def test_azure_body_retrains_on_new_data(client, run_queued):
    default = client.post("/api/v1/endpoints/income-retrain/submit",
                          json={"ExperimentName": "retrain"})
    response = client.post("/api/v1/endpoints/income-retrain/submit", json={
        "ExperimentName": "retrain", "Description": "non-US",
        "DataPathAssignments": {"training_data": {
            "DataStoreName": "samples", "RelativePath": "income/non_us.csv"}}})
    assert response.status_code == 202
    body = response.get_json()
    assert body["Status"] == {"StatusCode": "Queued"}
    assert body["PipelineVersion"] == 0
    assert body["ParameterAssignments"] == {
        "training_data": {"datastore": "samples", "path": "income/non_us.csv"}}
    run_queued()
    retrained = client.get(f"/api/v1/runs/{body['Id']}").get_json()
    baseline = client.get(f"/api/v1/runs/{default.get_json()['Id']}").get_json()
    assert retrained["status"] == baseline["status"] == "Finished"
    assert retrained["endpoint_id"] == body["EndpointId"]
    assert retrained["endpoint_version"] == 0 and retrained["description"] == "non-US"
    assert retrained["metrics"]["evaluate"] != baseline["metrics"]["evaluate"]
    runs = client.get("/api/v1/endpoints/income-retrain/runs").get_json()["runs"]
    assert {r["id"] for r in runs} == {body["Id"], baseline["id"]}


def test_snake_case_aliases_and_parameter_assignments(client):
    response = client.post("/api/v1/endpoints/income-retrain/submit", json={
        "experiment_name": "e", "parameter_assignments": {
            "training_data": "samples:income/non_us.csv"}})
    assert response.status_code == 202
    assert response.get_json()["ExperimentName"] == "e"


def test_versions_are_immutable_and_selectable(client, run_queued):
    pid = income_id(client)
    draft = client.get(f"/api/v1/pipelines/{pid}").get_json()
    doc = draft["document"]
    next(n for n in doc["nodes"] if n["id"] == "split")["params"]["fraction"] = 0.5
    client.put(f"/api/v1/pipelines/{pid}", json={"document": doc, "revision": draft["revision"]})
    published = client.post(f"/api/v1/pipelines/{pid}/publish",
                            json={"endpoint": "income-retrain", "description": "half split"})
    assert published.status_code == 201 and published.get_json()["version"] == 1
    assert client.get("/api/v1/endpoints/income-retrain").get_json()["default_version"] == 0
    v0 = client.get("/api/v1/endpoints/income-retrain/versions/0").get_json()
    split = next(n for n in v0["document"]["nodes"] if n["id"] == "split")
    assert split["params"]["fraction"] == 0.7
    first = client.post("/api/v1/endpoints/income-retrain/submit?pipelineVersion=1", json={})
    assert first.get_json()["PipelineVersion"] == 1
    run_queued()
    preview = client.get(f"/api/v1/runs/{first.get_json()['Id']}/steps/split/outputs/"
                         "results1/preview?rows=0").get_json()
    assert preview["row_count"] == 1500
    assert client.post("/api/v1/endpoints/income-retrain/default",
                       json={"version": 1}).get_json()["default_version"] == 1
    again = client.post("/api/v1/endpoints/income-retrain/submit", json={})
    assert again.get_json()["PipelineVersion"] == 1


@pytest.mark.parametrize("url, body, status, message", [
    ("/submit", {"ParameterAssignments": {"nope": 1}}, 422,
     "Unknown pipeline parameter 'nope' (parameters: training_data)"),
    ("/submit", {"ParameterAssignments": {"training_data": 5}}, 422,
     "The pipeline parameter 'training_data' must be a data path"),
    ("/submit", {"DataPathAssignments": {"training_data": {
        "DataStoreName": "samples", "RelativePath": "income/gone.csv"}}}, 422,
     "file 'income/gone.csv' does not exist in datastore 'samples'"),
    ("/submit", {"DataPathAssignments": {"training_data": {
        "DataStoreName": "samples", "RelativePath": "../../etc/passwd"}}}, 422, "contains '..'"),
    ("/submit", {"DataPathAssignments": {"training_data": {"DataStoreName": "samples"}}}, 400,
     "invalid request body"),
    ("/submit?pipelineVersion=7", {}, 404,
     "Pipeline endpoint 'income-retrain' has no version 7 (versions: 0)."),
    ("/submit?pipelineVersion=x", {}, 400, "'pipelineVersion' must be an int"),
    ("/submit", {"Colour": "red"}, 400, "invalid request body"),
])
def test_bad_submissions_name_the_culprit_and_create_no_run(client, url, body, status, message):
    response = client.post(f"/api/v1/endpoints/income-retrain{url}", json=body)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert run_count(client) == 0


def test_disabled_endpoint_refuses_then_enable_accepts(client):
    assert client.post("/api/v1/endpoints/income-retrain/disable").get_json()["status"] == \
        "Disabled"
    refused = client.post("/api/v1/endpoints/income-retrain/submit", json={})
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "Pipeline endpoint 'income-retrain' is disabled."
    assert run_count(client) == 0
    client.post("/api/v1/endpoints/income-retrain/enable")
    assert client.post("/api/v1/endpoints/income-retrain/submit", json={}).status_code == 202


def test_unknown_endpoint(client):
    response = client.post("/api/v1/endpoints/ghost/submit", json={})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Pipeline endpoint 'ghost' does not exist."


def test_publish_to_a_new_endpoint_and_refusals(client):
    pid = income_id(client)
    created = client.post(f"/api/v1/pipelines/{pid}/publish", json={
        "new_endpoint": {"name": "second", "description": "d"}})
    assert created.status_code == 201
    assert created.get_json()["endpoint"]["name"] == "second"
    taken = client.post(f"/api/v1/pipelines/{pid}/publish",
                        json={"new_endpoint": {"name": "second"}})
    assert taken.status_code == 409 and "exists; select it instead" in taken.get_json()["error"]
    neither = client.post(f"/api/v1/pipelines/{pid}/publish", json={})
    assert neither.status_code == 400 and "Give either" in neither.get_json()["error"]
    bad_name = client.post(f"/api/v1/pipelines/{pid}/publish",
                           json={"new_endpoint": {"name": "no spaces"}})
    assert bad_name.status_code == 400


def test_invalid_pipeline_cannot_be_published(client):
    pid = income_id(client)
    draft = client.get(f"/api/v1/pipelines/{pid}").get_json()
    doc = draft["document"]
    doc["edges"] = doc["edges"][1:]
    client.put(f"/api/v1/pipelines/{pid}", json={"document": doc, "revision": draft["revision"]})
    response = client.post(f"/api/v1/pipelines/{pid}/publish", json={"endpoint": "income-retrain"})
    assert response.status_code == 422
    assert response.get_json()["node_errors"]["clean"] == [
        "Required input 'dataset' of Clean Missing Data is not connected."]
    assert client.get("/api/v1/endpoints/income-retrain").get_json()["versions"] == 1


def test_a_data_path_assignment_to_another_kind_of_parameter_names_it(client):
    pid = income_id(client)
    client.post(f"/api/v1/pipelines/{pid}/parameters", json={
        "revision": 1, "parameter": {"name": "note", "type": "string", "default": "x"}})
    published = client.post(f"/api/v1/pipelines/{pid}/publish", json={"endpoint": "income-retrain"})
    assert published.status_code == 201
    response = client.post("/api/v1/endpoints/income-retrain/submit?pipelineVersion=1", json={
        "DataPathAssignments": {"note": {"DataStoreName": "samples", "RelativePath": "a.csv"}}})
    assert response.status_code == 422
    assert response.get_json() == {
        "error": "DataPathAssignments names 'note', a string parameter; put it in "
                 "ParameterAssignments.", "parameter": "note"}
    assert run_count(client) == 0
