"""Column rule sets over HTTP: kept in the field, resolved on the real Adult data at run time
(so an upstream change re-applies them) and on the design-time schema when names suffice."""

import json

import pytest

from tests.api.test_runs import submit

NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
# Begin with all columns, drop the text ones, take education back, drop the label.
RULES = {"isFilter": True, "rules": [
    {"ruleType": "AllColumns", "exclude": False},
    {"ruleType": "ColumnTypes", "exclude": True, "columnTypes": ["String"], "columnKinds": ["All"]},
    {"ruleType": "ColumnNames", "exclude": False, "columns": ["education", "income"]},
    {"ruleType": "ColumnTypes", "exclude": True, "columnTypes": ["All"], "columnKinds": ["Label"]},
]}


@pytest.fixture
def adult_store(client, adult, tmp_path):
    """A datastore 'real' holding 2,000 rows of UCI Adult as adult.csv."""
    root = tmp_path / "real"
    root.mkdir()
    adult.head(2000).to_csv(root / "adult.csv", index=False)
    assert client.post("/api/v1/datastores",
                       json={"name": "real", "root": str(root)}).status_code == 201
    return root


def document(rules, *, drop=None):
    """Import the Adult file, optionally drop columns by name, pick columns by ``rules``; a
    Train Model step names income as the label column (it need not run)."""
    nodes = [{"id": "data", "module": "import_data", "params": {
        "source": "datastore", "path": {"datastore": "real", "path": "adult.csv"},
        "format": "csv"}},
        {"id": "pick", "module": "select_columns", "params": {"columns": rules}}]
    edges = []
    upstream = "data"
    if drop:
        nodes.append({"id": "drop", "module": "select_columns",
                      "params": {"mode": "exclude", "columns": drop}})
        edges.append({"from": {"node": "data", "port": "dataset"},
                      "to": {"node": "drop", "port": "dataset"}})
        upstream = "drop"
    edges.append({"from": {"node": upstream, "port": "dataset"},
                  "to": {"node": "pick", "port": "dataset"}})
    nodes.append({"id": "train", "module": "train_model", "params": {"label_column": "income"}})
    return {"name": "Rules", "parameters": [], "nodes": nodes, "edges": edges}


def picked(client, run_queued, doc):
    response = submit(client, doc, to_node="pick")
    assert response.status_code == 202, response.get_json()
    run_queued()
    run = client.get(f"/api/v1/runs/{response.get_json()['id']}").get_json()
    assert run["status"] == "Finished", run
    preview = client.get(f"/api/v1/runs/{run['id']}/steps/pick/outputs/dataset/preview?rows=1")
    return preview.get_json()["column_names"]


def test_rules_are_resolved_against_the_data_at_run_time(client, run_queued, adult_store):
    assert picked(client, run_queued, document(RULES)) == [
        "age", "fnlwgt", "education", "education-num", "capital-gain", "capital-loss",
        "hours-per-week"]
    # Upstream drops two columns: the same rules now keep what is left of them.
    assert picked(client, run_queued, document(RULES, drop=["fnlwgt", "education"])) == [
        "age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


def test_a_draft_keeps_the_rules_as_written(client, adult_store):
    created = client.post("/api/v1/pipelines", json={"document": document(RULES)})
    assert created.status_code == 201, created.get_json()
    stored = client.get(f"/api/v1/pipelines/{created.get_json()['id']}").get_json()["document"]
    assert next(n for n in stored["nodes"] if n["id"] == "pick")["params"]["columns"] == RULES


def test_design_time_columns_follow_rules_by_name(client, adult_store):
    by_name = {"rules": [{"ruleType": "AllColumns"}, {"ruleType": "ColumnNames", "exclude": True,
                                                      "columns": ["fnlwgt", "income"]}]}
    doc = document(by_name)
    doc["nodes"].append({"id": "after", "module": "select_columns", "params": {}})
    doc["edges"].append({"from": {"node": "pick", "port": "dataset"},
                         "to": {"node": "after", "port": "dataset"}})
    columns = client.post("/api/v1/pipelines/columns", json={"document": doc}).get_json()
    assert "fnlwgt" in columns["columns"]["pick"]["dataset"]
    after = columns["columns"]["after"]["dataset"]
    assert after[:3] == ["age", "workclass", "education"] and "income" not in after



def test_design_time_columns_follow_rules_by_type_as_the_run_does(client, run_queued,
                                                                   adult_store):
    # Import Data reads the file's types at design time; Split Data keeps them.
    doc = document(RULES)
    doc["nodes"].insert(1, {"id": "split", "module": "split_data", "params": {"fraction": 0.5}})
    doc["edges"] = [{"from": {"node": "data", "port": "dataset"},
                     "to": {"node": "split", "port": "dataset"}},
                    {"from": {"node": "split", "port": "results1"},
                     "to": {"node": "pick", "port": "dataset"}}]
    doc["nodes"].append({"id": "numbers", "module": "select_columns",
                         "params": {"column_type": "numeric", "mode": "exclude"}})
    doc["edges"].append({"from": {"node": "split", "port": "results2"},
                         "to": {"node": "numbers", "port": "dataset"}})
    known = client.post("/api/v1/pipelines/columns", json={"document": doc}).get_json()
    assert len(known["columns"]["pick"]["dataset"]) == 15  # what arrives: every column
    ran = picked(client, run_queued, doc)
    after_pick = client.post("/api/v1/pipelines/columns", json={"document": doc | {
        "nodes": [*doc["nodes"], {"id": "after", "module": "select_columns", "params": {}}],
        "edges": [*doc["edges"], {"from": {"node": "pick", "port": "dataset"},
                                  "to": {"node": "after", "port": "dataset"}}]}}).get_json()
    assert after_pick["columns"]["after"]["dataset"] == ran == [
        "age", "fnlwgt", "education", "education-num", "capital-gain", "capital-loss",
        "hours-per-week"]
    # Select Columns by type (exclude the numbers) is known the same way.
    numbers = submit(client, doc, to_node="numbers")
    run_queued()
    preview = client.get(f"/api/v1/runs/{numbers.get_json()['id']}/steps/numbers/outputs"
                         "/dataset/preview?rows=1").get_json()
    after_numbers = client.post("/api/v1/pipelines/columns", json={"document": doc | {
        "nodes": [*doc["nodes"], {"id": "after", "module": "select_columns", "params": {}}],
        "edges": [*doc["edges"], {"from": {"node": "numbers", "port": "dataset"},
                                  "to": {"node": "after", "port": "dataset"}}]}}).get_json()
    assert after_numbers["columns"]["after"]["dataset"] == preview["column_names"]
    assert "age" not in preview["column_names"] and "education" in preview["column_names"]


def test_choices_by_type_stay_unknown_after_a_module_that_may_change_types(client,
                                                                            adult_store):
    doc = document(RULES)
    doc["nodes"].insert(1, {"id": "edit", "module": "edit_metadata",
                            "params": {"columns": ["age"], "data_type": "string"}})
    doc["edges"] = [{"from": {"node": "data", "port": "dataset"},
                     "to": {"node": "edit", "port": "dataset"}},
                    {"from": {"node": "edit", "port": "dataset"},
                     "to": {"node": "pick", "port": "dataset"}}]
    doc["nodes"].append({"id": "after", "module": "select_columns", "params": {}})
    doc["edges"].append({"from": {"node": "pick", "port": "dataset"},
                         "to": {"node": "after", "port": "dataset"}})
    known = client.post("/api/v1/pipelines/columns", json={"document": doc}).get_json()
    assert known["columns"]["pick"]["dataset"][0] == "age"  # the names pass, not the types
    assert known["columns"]["after"]["dataset"] is None


def test_a_bad_rule_set_is_refused_naming_node_field_and_rule(client, adult_store):
    bad = {"rules": [{"ruleType": "AllColumns"}, {"ruleType": "ColumnTypes",
                                                  "columnTypes": ["Number"]}]}
    response = submit(client, document(bad))
    assert response.status_code == 422
    body = response.get_json()
    assert "rule 2's 'columnTypes' must list some of Numeric" in str(body["node_errors"]["pick"])


def test_a_rule_set_is_a_pipeline_parameter_given_as_json_text(client, run_queued, adult_store):
    no_text = {"rules": RULES["rules"][:3]}  # all, less the text columns, education back
    doc = document({"$param": "picked"})
    doc["parameters"] = [{"name": "picked", "type": "string", "default": json.dumps(no_text)}]
    assert picked(client, run_queued, doc) == [
        "age", "fnlwgt", "education", "education-num", "capital-gain", "capital-loss",
        "hours-per-week", "income"]
    # A run names other rules: every text column, and the label.
    text_only = {"rules": [{"ruleType": "ColumnTypes", "columnTypes": ["String"]}]}
    response = submit(client, doc, to_node="pick", parameters={"picked": json.dumps(text_only)})
    assert response.status_code == 202, response.get_json()
    run_queued()
    preview = client.get(f"/api/v1/runs/{response.get_json()['id']}/steps/pick/outputs/dataset"
                         "/preview?rows=1").get_json()
    assert preview["column_names"] == ["workclass", "education", "marital-status", "occupation",
                                       "relationship", "race", "sex", "native-country", "income"]
    # Design time resolves the default's rules by name as it would the field's own.
    by_name = {"rules": [{"ruleType": "ColumnNames", "columns": ["age", "income"]}]}
    doc["parameters"][0]["default"] = json.dumps(by_name)
    doc["nodes"].append({"id": "after", "module": "select_columns", "params": {}})
    doc["edges"].append({"from": {"node": "pick", "port": "dataset"},
                         "to": {"node": "after", "port": "dataset"}})
    columns = client.post("/api/v1/pipelines/columns", json={"document": doc}).get_json()
    assert columns["columns"]["after"]["dataset"] == ["age", "income"]


@pytest.mark.parametrize(("text", "culprit"), [
    ('{"rules": [', "must be a column rule set in JSON"),
    ('{"columns": ["age"]}', "must be a column rule set: an object with 'rules'"),
    ('{"rules": [{"ruleType": "Everything"}]}', "rule 1 has ruleType 'Everything'"),
])
def test_a_bad_rule_set_parameter_value_is_refused_naming_it(client, adult_store, text, culprit):
    doc = document({"$param": "picked"})
    doc["parameters"] = [{"name": "picked", "type": "string", "default": json.dumps(RULES)}]
    response = submit(client, doc, parameters={"picked": text})
    assert response.status_code == 422, response.get_json()
    assert culprit in json.dumps(response.get_json())
    assert "picked" in json.dumps(response.get_json())
