"""Input limits of the API: nesting depth of JSON bodies, integers that reach the database."""

import re

import pytest

from tests.api.test_pipelines import SAMPLE, sample_id
from tests.api.test_runs import submit

DEEP = "[" * 10_000 + "]" * 10_000


def json_routes(app):
    """(method, url) of every route whose body is parsed as JSON, placeholders filled in."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "body_model", None) is None:
            continue
        url = re.sub(r"<int:\w+>", "1", rule.rule)
        url = re.sub(r"<(?:\w+:)?\w+>", "x", url)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            yield method, url


@pytest.mark.parametrize("depth, text", [(10_000, DEEP), (65, "[" * 65 + "]" * 65)])
def test_deeply_nested_json_is_refused_on_every_json_route(app, client, depth, text):
    routes = list(json_routes(app))
    assert len(routes) >= 10  # pipelines, runs, parameters, endpoints, accounts ...
    for method, url in routes:
        answer = client.open(url, method=method, data=text, content_type="application/json")
        assert answer.status_code == 400, (method, url, answer.status_code)
        assert "nested too deeply: at most 64 levels" in answer.get_json()["error"], url


def test_nesting_within_the_limit_is_parsed(client):
    nested = {"a": 1}
    for _ in range(25):  # 50 levels, plus the document's own
        nested = {"b": [nested]}
    doc = {**SAMPLE, "nodes": [{**SAMPLE["nodes"][0], "comment": "", "params": {
        **SAMPLE["nodes"][0]["params"], "deep": nested}}], "edges": []}
    answer = client.post("/api/v1/pipelines/validate", json={"document": doc})
    assert answer.status_code == 200
    assert any("no parameter 'deep'" in m for m in answer.get_json()["node_errors"]["import"])


@pytest.mark.parametrize("revision", [2**63, 2**31 - 1, -1])
def test_revision_out_of_the_columns_range_is_named(client, revision):
    pipeline_id = sample_id(client)
    document = client.get(f"/api/v1/pipelines/{pipeline_id}").get_json()["document"]
    answer = client.put(f"/api/v1/pipelines/{pipeline_id}",
                        json={"document": document, "revision": revision})
    assert answer.status_code == 400
    [problem] = answer.get_json()["details"]
    assert problem["field"] == "revision"
    bound = "greater than or equal to 0" if revision < 0 else f"less than or equal to {2**31 - 2}"
    assert bound in problem["message"]


def test_revision_in_a_query_is_bounded_too(client):
    pipeline_id = sample_id(client)
    answer = client.delete(f"/api/v1/pipelines/{pipeline_id}/parameters/none?revision={2**64}")
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "revision"


def test_last_event_id_out_of_range_is_refused(client):
    run_id = submit(client).get_json()["id"]
    answer = client.get(f"/api/v1/runs/{run_id}/events", headers={"Last-Event-ID": str(2**63)})
    assert answer.status_code == 400
    assert "Last-Event-ID must be a number in the range" in answer.get_json()["error"]


@pytest.mark.parametrize("path, field", [
    ("/api/v1/runs?limit={}", "limit"),
    ("/api/v1/datastores/samples/preview?path=income/us.csv&rows={}", "rows"),
])
@pytest.mark.parametrize("value", ["²", "9" * 5000, str(2**63)])
def test_integer_query_values_are_checked_not_crashed_on(client, path, field, value):
    answer = client.get(path.format(value))
    assert answer.status_code == 400
    assert answer.get_json()["field"] == field


@pytest.mark.parametrize("value", ["²", "9" * 5000])
def test_odd_last_event_ids_are_refused(client, value):
    run_id = submit(client).get_json()["id"]
    answer = client.get(f"/api/v1/runs/{run_id}/events", headers={"Last-Event-ID": value})
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "Last-Event-ID"
