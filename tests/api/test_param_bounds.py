"""Every numeric module field is bounded, and submit, validation and publish refuse values
outside its range with a message naming the node and the field."""

import pytest

from app.engine.registry import REGISTRY, discover
from app.engine.spec import Float, Int
from tests.api.test_endpoints import income_id

# Derived from the registry, so a new numeric field joins every test below by itself.
NUMERIC = sorted((spec.name, p.name) for spec in discover().values() for p in spec.params
                 if isinstance(p, Int | Float))


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One app for the read-only checks below (each is refused, so nothing is stored)."""
    from app import create_app
    from app.services import samples
    from tests.conftest import _principals, bearer

    application = create_app({"DESIGNER_HOME": str(tmp_path_factory.mktemp("bounds")),
                              "SECRET_KEY": "test"})
    with application.app_context():
        samples.init()
        _principals(application)
    test_client = application.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(application)}"
    yield test_client
    application.extensions["designer"].shutdown()


def declared(module: str, field: str):
    return REGISTRY[module].param(field)


def above(param) -> int | float:
    """The smallest round value past the maximum."""
    if isinstance(param, Int):
        return param.max + 1
    return param.max * 2 if param.max > 0 else param.max + 1.0


def one_node(module: str, field: str, value) -> dict:
    return {"name": "Bounds", "nodes": [{"id": "n1", "module": module,
                                         "params": {field: value}}], "edges": []}


def field_messages(result: dict, field: str) -> list[str]:
    return [m for m in result["node_errors"].get("n1", []) if f"'{field}' parameter" in m]


def test_the_registry_has_numeric_fields():
    assert len(NUMERIC) >= 20
    assert ("two_class_boosted_decision_tree", "num_trees") in NUMERIC


def test_every_numeric_field_has_both_bounds_in_the_catalogue(shared):
    served = {(m["name"], p["name"]): p for m in shared.get("/api/v1/modules").get_json()["modules"]
              for p in m["params"] if p["kind"] in ("int", "float")}
    assert sorted(served) == NUMERIC
    unbounded = [key for key, p in served.items() if p["min"] is None or p["max"] is None]
    assert unbounded == []
    outside = [key for key, p in served.items() if not p["min"] <= p["default"] <= p["max"]]
    assert outside == []


@pytest.mark.parametrize(("module", "field"), NUMERIC)
def test_a_value_above_the_maximum_is_refused(shared, module, field):
    param = declared(module, field)
    value = above(param)
    expected = (f"The '{field}' parameter of {REGISTRY[module].label} must be "
                f"{param.expected}. Got {float(value) if isinstance(param, Float) else value!r}"
                " instead.")
    submitted = shared.post("/api/v1/runs", json={"document": one_node(module, field, value)})
    assert submitted.status_code == 422
    assert expected in submitted.get_json()["node_errors"]["n1"]
    result = shared.post("/api/v1/pipelines/validate",
                         json={"document": one_node(module, field, value)}).get_json()
    assert result["valid"] is False
    assert field_messages(result, field) == [expected]


@pytest.mark.parametrize(("module", "field"), NUMERIC)
def test_the_bounds_themselves_are_accepted(shared, module, field):
    param = declared(module, field)
    for value in (param.min, param.max):
        result = shared.post("/api/v1/pipelines/validate",
                             json={"document": one_node(module, field, value)}).get_json()
        assert field_messages(result, field) == []


def test_a_billion_trees_is_refused_in_scikit_learn_words(shared):
    submitted = shared.post("/api/v1/runs", json={"document": one_node(
        "two_class_boosted_decision_tree", "num_trees", 1_000_000_000)})
    assert submitted.status_code == 422
    assert submitted.get_json()["node_errors"]["n1"] == [
        "The 'num_trees' parameter of Two-Class Boosted Decision Tree must be an int in the "
        "range [1, 10000]. Got 1000000000 instead."]


def test_a_seed_numpy_cannot_take_is_refused(shared):
    result = shared.post("/api/v1/pipelines/validate", json={"document": one_node(
        "split_data", "seed", 2**32)}).get_json()
    assert field_messages(result, "seed") == [
        "The 'seed' parameter of Split Data must be an int in the range [0, 4294967295]. "
        "Got 4294967296 instead."]


def _set_trees(client, pipeline_id, trees):
    draft = client.get(f"/api/v1/pipelines/{pipeline_id}").get_json()
    doc = draft["document"]
    node = next(n for n in doc["nodes"] if n["module"] == "two_class_boosted_decision_tree")
    node["params"]["num_trees"] = trees
    saved = client.put(f"/api/v1/pipelines/{pipeline_id}",
                       json={"document": doc, "revision": draft["revision"]})
    assert saved.status_code == 200
    return node["id"]


def test_publish_and_draft_submit_refuse_out_of_range_fields(client):
    pid = income_id(client)
    node = _set_trees(client, pid, 10_001)
    published = client.post(f"/api/v1/pipelines/{pid}/publish",
                            json={"endpoint": "income-retrain"})
    assert published.status_code == 422
    message = ("The 'num_trees' parameter of Two-Class Boosted Decision Tree must be an int "
               "in the range [1, 10000]. Got 10001 instead.")
    assert published.get_json()["node_errors"] == {node: [message]}
    submitted = client.post(f"/api/v1/pipelines/{pid}/runs", json={})
    assert submitted.status_code == 422
    assert submitted.get_json()["node_errors"] == {node: [message]}
    validated = client.get(f"/api/v1/pipelines/{pid}/validate").get_json()
    assert validated["node_errors"] == {node: [message]}


def test_a_pipeline_parameter_past_a_fields_maximum_is_refused_at_submit(shared):
    doc = one_node("two_class_decision_forest", "num_trees", {"$param": "trees"})
    doc["parameters"] = [{"name": "trees", "type": "int", "default": 10}]
    response = shared.post("/api/v1/runs", json={"document": doc,
                                                 "parameters": {"trees": 5000}})
    assert response.status_code == 422
    assert response.get_json()["node_errors"]["n1"] == [
        "The 'num_trees' parameter of Two-Class Decision Forest must be an int in the range "
        "[1, 1000]. Got 5000 instead. The value comes from pipeline parameter 'trees'."]
    assert response.get_json()["parameter_errors"]["trees"] == response.get_json()[
        "node_errors"]["n1"]
