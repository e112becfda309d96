"""The pipelines API through the test client: CRUD, revisions, validation, bad input."""

import json

import pytest

from tests.conftest import ROOT

SAMPLE = json.loads((ROOT / "sample_data/pipelines/income_prediction.json").read_text())


def sample_id(client, name="Income prediction"):
    listed = client.get("/api/v1/pipelines").get_json()["pipelines"]
    return next(p["id"] for p in listed if p["name"] == name)


def test_module_catalogue_lists_specs(client):
    modules = {m["name"]: m for m in client.get("/api/v1/modules").get_json()["modules"]}
    assert {"import_data", "split_data", "train_model", "evaluate_model"} <= set(modules)
    split = {p["name"]: p for p in modules["split_data"]["params"]}
    assert split["fraction"] == {**split["fraction"], "kind": "float", "default": 0.5,
                                 "min": 0.0, "max": 1.0}
    assert [p["name"] for p in modules["split_data"]["outputs"]] == ["results1", "results2"]


def test_modules_declare_option_labels_and_when_fields_apply(client):
    modules = {m["name"]: m for m in client.get("/api/v1/modules").get_json()["modules"]}
    split = {p["name"]: p for p in modules["split_data"]["params"]}
    assert split["mode"]["option_labels"] == {
        "split_rows": "Split rows", "regular_expression": "Regular expression split",
        "relative_expression": "Relative expression split"}
    assert split["fraction"]["when"] == {"mode": ["split_rows"]}
    assert split["stratify_column"]["when"] == {"mode": ["split_rows"], "stratified": [True]}
    imported = {p["name"]: p for p in modules["import_data"]["params"]}
    assert imported["path"]["when"] == {"source": ["datastore"]}
    assert not imported["path"]["optional"]  # so required while it applies
    assert imported["url"]["when"] == {"source": ["url"]} and imported["source"]["when"] is None
    cleaning = {p["name"]: p for p in modules["clean_missing_data"]["params"]}
    # undeclared option labels read as words, never as internal names
    assert cleaning["mode"]["option_labels"]["custom_substitution_value"] == (
        "Custom substitution value")
    assert cleaning["mode"]["option_labels"]["mean"] == "Replace with mean"


def test_samples_are_listed(client):
    listed = client.get("/api/v1/pipelines").get_json()["pipelines"]
    names = {p["name"]: p for p in listed}
    assert names["Income prediction"]["modules"] == 8
    assert names["Income prediction"]["last_run_status"] is None


def test_create_read_update_delete(client):
    created = client.post("/api/v1/pipelines", json={"document": {**SAMPLE, "name": "Mine"}})
    assert created.status_code == 201
    body = created.get_json()
    assert created.headers["Location"].endswith(body["id"])
    assert body["revision"] == 1 and body["document"]["name"] == "Mine"
    doc = body["document"] | {"name": "Renamed"}
    updated = client.put(f"/api/v1/pipelines/{body['id']}",
                         json={"document": doc, "revision": 1})
    assert updated.status_code == 200 and updated.get_json()["revision"] == 2
    assert client.get(f"/api/v1/pipelines/{body['id']}").get_json()["name"] == "Renamed"
    assert client.delete(f"/api/v1/pipelines/{body['id']}").status_code == 204
    assert client.get(f"/api/v1/pipelines/{body['id']}").status_code == 404


def test_stale_revision_is_a_conflict_and_nothing_is_lost(client):
    pid = sample_id(client)
    doc = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]
    first = client.put(f"/api/v1/pipelines/{pid}",
                       json={"document": doc | {"name": "Tab one"}, "revision": 1})
    assert first.status_code == 200
    stale = client.put(f"/api/v1/pipelines/{pid}",
                       json={"document": doc | {"name": "Tab two"}, "revision": 1})
    assert stale.status_code == 409
    assert stale.get_json()["error"].startswith(f"Pipeline '{pid}' was changed elsewhere")
    assert stale.get_json()["revision"] == 2
    assert client.get(f"/api/v1/pipelines/{pid}").get_json()["name"] == "Tab one"


@pytest.mark.parametrize("data, content_type, message", [
    ("{not json", "application/json", "The request body is not valid JSON"),
    ("", "application/json", "The request body is empty"),
    ("[1, 2]", "application/json", "must be a JSON object"),
])
def test_malformed_bodies(client, data, content_type, message):
    response = client.post("/api/v1/pipelines", data=data, content_type=content_type)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_invalid_document_names_the_field(client):
    bad = {**SAMPLE, "nodes": [{"id": "a b", "module": "import_data"}]}
    response = client.post("/api/v1/pipelines", json={"document": bad})
    assert response.status_code == 400
    fields = [d["field"] for d in response.get_json()["details"]]
    assert "document.nodes.0.id" in fields


def test_unknown_field_in_body(client):
    response = client.post("/api/v1/pipelines", json={"document": SAMPLE, "colour": 1})
    assert response.status_code == 400
    assert response.get_json()["details"][0]["field"] == "colour"


def test_validate_reports_per_node_errors(client):
    doc = json.loads(json.dumps(SAMPLE))
    doc["nodes"][3]["params"]["fraction"] = 1.5
    doc["edges"].append({"from": {"node": "evaluate", "port": "evaluation_results"},
                         "to": {"node": "clean", "port": "dataset"}})
    result = client.post("/api/v1/pipelines/validate", json={"document": doc}).get_json()
    assert result["valid"] is False
    assert ("The 'fraction' parameter of Split Data must be a float in the range [0.0, 1.0]. "
            "Got 1.5 instead.") in result["node_errors"]["split"]
    assert any("more than one wire" in m for m in result["node_errors"]["clean"])
    assert any("cannot feed input 'dataset'" in m for m in result["node_errors"]["clean"])


def test_validate_detects_cycles(client):
    doc = json.loads(json.dumps(SAMPLE))
    doc["edges"] = [e for e in doc["edges"] if e["to"]["node"] != "clean"]
    doc["edges"].append({"from": {"node": "select", "port": "dataset"},
                         "to": {"node": "clean", "port": "dataset"}})
    result = client.post("/api/v1/pipelines/validate", json={"document": doc}).get_json()
    messages = result["node_errors"]["clean"]
    assert any(m.startswith("Circular dependency among: ") and "Select Columns in Dataset "
               "(select)" in m for m in messages)


def test_validate_answers_a_5000_node_cycle_briefly(client):
    ids = [f"s{i}" for i in range(5000)]
    doc = {"name": "loop", "nodes": [{"id": i, "module": "select_columns"} for i in ids],
           "edges": [{"from": {"node": a, "port": "dataset"}, "to": {"node": b, "port": "dataset"}}
                     for a, b in zip(ids, ids[1:] + ids[:1], strict=True)]}
    answer = client.post("/api/v1/pipelines/validate", json={"document": doc})
    assert answer.status_code == 200
    result = answer.get_json()
    assert set(result["node_errors"]) == set(ids)
    assert result["errors"][0].startswith(
        "Circular dependency among 5,000 nodes: Select Columns in Dataset (s")
    assert len(answer.data) < 100 * len(ids)  # every node named whole cycles: 146 MB at 2,000


def test_stored_sample_validates(client):
    result = client.get(f"/api/v1/pipelines/{sample_id(client)}/validate").get_json()
    assert result == {"valid": True, "node_errors": {}, "field_errors": {}, "errors": [],
                      "warnings": []}


def test_validation_names_the_field_of_each_field_error(client):
    doc = json.loads(json.dumps(SAMPLE))
    doc["nodes"][3]["params"] |= {"fraction": 1.5, "colour": "red"}
    doc["edges"].append({"from": {"node": "evaluate", "port": "evaluation_results"},
                         "to": {"node": "clean", "port": "dataset"}})
    result = client.post("/api/v1/pipelines/validate", json={"document": doc}).get_json()
    fraction = ("The 'fraction' parameter of Split Data must be a float in the range "
                "[0.0, 1.0]. Got 1.5 instead.")
    assert result["field_errors"]["split"] == {
        "fraction": [fraction], "colour": ["Split Data has no parameter 'colour'."]}
    assert "clean" not in result["field_errors"]  # wiring errors are about no field
    assert fraction in result["node_errors"]["split"]
    assert "parameter_errors" not in result


def test_validation_names_the_parameter_of_each_parameter_error(client):
    doc = json.loads(json.dumps(SAMPLE))
    doc["parameters"].append(dict(doc["parameters"][0]))
    name = doc["parameters"][0]["name"]
    result = client.post("/api/v1/pipelines/validate", json={"document": doc}).get_json()
    assert result["parameter_errors"] == {name: [f"Duplicate pipeline parameter '{name}'."]}
    assert result["errors"] == [f"Duplicate pipeline parameter '{name}'."]
    assert result["valid"] is False


def test_a_refused_submit_names_fields_too(client):
    doc = json.loads(json.dumps(SAMPLE))
    doc["nodes"][3]["params"]["fraction"] = 1.5
    answer = client.post("/api/v1/runs", json={"document": doc})
    assert answer.status_code == 422
    assert list(answer.get_json()["field_errors"]["split"]) == ["fraction"]


def test_unknown_pipeline_is_404_json(client):
    response = client.get("/api/v1/pipelines/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Pipeline 'nope' does not exist."}


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and "error" in response.get_json()


def test_openapi_describes_every_api_route(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    import re

    rules = {re.sub(r"<\w+:", "<", r.rule) for r in app.url_map.iter_rules()
             if r.rule.startswith("/api/v1")}
    paths = {re.sub(r"\{([^}]+)\}", r"<\1>", p) for p in spec["paths"]}
    assert rules <= paths
    submit = spec["paths"]["/api/v1/pipelines/{pipeline_id}/runs"]["post"]
    assert submit["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "SubmitRun")
    assert "PipelineDocument" in spec["components"]["schemas"]


def test_pages_render_and_escape_names(client, signed_in):
    created = client.post("/api/v1/pipelines",
                          json={"document": {**SAMPLE, "name": "<script>x</script>"}})
    pid = created.get_json()["id"]
    client = signed_in
    page = client.get(f"/pipelines/{pid}").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt; · Pipeline Designer" in page
    assert "<script>x" not in page
    assert client.get("/").status_code == 200
    assert client.get("/experiments").status_code == 200
    assert client.get("/pipelines/nope").status_code == 404
    assert client.get("/runs/nope").status_code == 404
    plotly = client.get("/vendor/plotly.min.js")
    assert plotly.status_code == 200 and plotly.mimetype == "text/javascript"
    plotly.close()


@pytest.mark.parametrize("body, status, message", [
    ({"name": "x", "root": "no/such/folder"}, 422, "is not an existing folder"),
    ({"name": "x", "root": "a\u0000b"}, 422, "contains a NUL byte"),
    ({"name": "1x", "root": "."}, 400, "must be 1-64 characters: letters"),
    ({"name": "samples", "root": "."}, 409, "Datastore 'samples' already exists."),
])
def test_datastore_registration_errors(client, body, status, message):
    response = client.post("/api/v1/datastores", json=body)
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_datastore_registration(client, tmp_path):
    tmp_path = tmp_path / "mine"
    tmp_path.mkdir()
    response = client.post("/api/v1/datastores", json={"name": "mine", "root": str(tmp_path)})
    assert response.status_code == 201
    listed = client.get("/api/v1/datastores").get_json()["datastores"]
    assert [d["name"] for d in listed] == ["mine", "samples"]
    assert listed[0]["files"] == 0 and listed[0]["files_capped"] is False
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.csv").write_text("a\n1\n")
    (tmp_path / ".hidden").write_text("x")
    listed = client.get("/api/v1/datastores").get_json()["datastores"]
    assert listed[0]["files"] == 1
    assert listed[1]["files"] >= 5  # the samples: income, diabetes, pipelines


def test_pages_preload_their_whole_module_graph(client, signed_in):
    import re

    pid = client.get("/api/v1/pipelines").get_json()["pipelines"][0]["id"]
    page = signed_in.get(f"/pipelines/{pid}").get_data(as_text=True)
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    assert "/static/js/pages/designer.js" in preloads
    assert {"/static/js/canvas/view.js", "/static/js/canvas/graph.js",
            "/static/js/api.js"} <= set(preloads)
    for url in preloads:
        response = signed_in.get(url)
        assert response.status_code == 200, url
        response.close()
