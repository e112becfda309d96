"""Version diff: published versions against each other and against a draft."""

from tests.api.test_export import edit_draft, pipeline_id


def retrain_faster(document):
    """Fewer trees, a normalization step before the split, a second parameter."""
    learner = next(n for n in document["nodes"] if n["id"] == "learner")
    learner["params"]["num_trees"] = 50
    select = next(n for n in document["nodes"] if n["id"] == "select")
    select["params"]["column_type"] = "any"  # the default written down: no change
    document["nodes"].append({"id": "normalize", "module": "normalize_data",
                              "position": {"x": 300, "y": 240},
                              "params": {"columns": ["age"]}})
    document["edges"] = [e for e in document["edges"] if e["to"]["node"] != "split"]
    document["edges"] += [
        {"from": {"node": "select", "port": "dataset"},
         "to": {"node": "normalize", "port": "dataset"}},
        {"from": {"node": "normalize", "port": "transformed_dataset"},
         "to": {"node": "split", "port": "dataset"}}]
    document["parameters"][0]["description"] = "Another file"


def test_two_versions_differ_by_nodes_wires_fields_and_parameters(client):
    pid = pipeline_id(client, "Income prediction")
    edit_draft(client, pid, retrain_faster)
    assert client.post(f"/api/v1/pipelines/{pid}/publish",
                       json={"endpoint": "income-retrain"}).status_code == 201
    response = client.get("/api/v1/endpoints/income-retrain/versions/0/diff?to=1")
    assert response.status_code == 200, response.get_json()
    diff = response.get_json()
    assert (diff["from"]["label"], diff["to"]["label"]) == ("Version 0", "Version 1")
    assert diff["nodes"] == {"added": ["normalize"], "removed": [], "changed": {
        "learner": {"fields": {"num_trees": {"from": 100, "to": 50}}}}}
    assert diff["edges"] == {
        "added": ["select.dataset->normalize.dataset",
                  "normalize.transformed_dataset->split.dataset"],
        "removed": ["select.dataset->split.dataset"]}
    assert diff["parameters"]["changed"] == {"training_data": {"description": {
        "from": "The census-style training data (CSV with a header).", "to": "Another file"}}}
    back = client.get("/api/v1/endpoints/income-retrain/versions/1/diff?to=0").get_json()
    assert back["nodes"]["removed"] == ["normalize"]


def test_a_version_against_its_draft(client):
    pid = pipeline_id(client, "Income prediction")
    unchanged = client.get("/api/v1/endpoints/income-retrain/versions/0/diff").get_json()
    assert unchanged["to"]["pipeline_id"] == pid
    assert unchanged["nodes"] == {"added": [], "removed": [], "changed": {}}
    edit_draft(client, pid, lambda d: d["nodes"][0].update(comment="reads the census"))
    diff = client.get(f"/api/v1/endpoints/income-retrain/versions/0/diff?pipeline={pid}").get_json()
    assert diff["to"]["label"] == "Draft Income prediction"
    assert diff["nodes"]["changed"] == {
        "import": {"comment": {"from": "", "to": "reads the census"}}}


def test_refusals_name_what_is_wrong(client):
    base = "/api/v1/endpoints/income-retrain/versions"
    assert client.get(f"{base}/5/diff").status_code == 404
    assert client.get(f"{base}/0/diff?to=9").status_code == 404
    assert client.get(f"{base}/0/diff?pipeline=nope").status_code == 404
    both = client.get(f"{base}/0/diff?to=0&pipeline=x")
    assert both.status_code == 422 and "not both" in both.get_json()["error"]
    assert client.get(f"{base}/0/diff?to=first").status_code == 400


def test_a_draft_lists_the_endpoints_it_was_published_to(client):
    pid = pipeline_id(client, "Income prediction")
    assert client.post(f"/api/v1/pipelines/{pid}/publish",
                       json={"endpoint": "income-retrain"}).status_code == 201
    endpoints = client.get(f"/api/v1/pipelines/{pid}/published").get_json()["endpoints"]
    assert [e["name"] for e in endpoints] == ["income-retrain"]
    versions = endpoints[0]["versions"]
    assert [(v["version"], v["from_this_draft"]) for v in versions] == [(0, True), (1, True)]
    other = client.post("/api/v1/pipelines", json={"document": {
        "schema_version": 1, "name": "Scratch", "nodes": [], "edges": [], "parameters": []}})
    scratch = other.get_json()["id"]
    assert client.get(f"/api/v1/pipelines/{scratch}/published").get_json() == {"endpoints": []}
    missing = client.get("/api/v1/pipelines/nope/published")
    assert missing.status_code == 404 and "nope" in missing.get_json()["error"]
