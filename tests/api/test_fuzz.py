"""The API keeps the contract its OpenAPI document states.

Schemathesis generates requests for every operation, sends them with an admin token and checks
each answer: never a server error, never a status the document does not list, and never a 400
for a request the document calls valid (such a request may be refused only as unprocessable,
422, where the operation lists it, or for a missing resource, a conflict or a limit). A few
examples per operation keep it short; `SCHEMATHESIS_EXAMPLES` raises the count for a deeper run.
The routes inside a draft and a datastore get a real one, so their bodies and queries reach the
checks behind the id (a random id only ever meets a 404).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance, status_code_conformance

from tests.conftest import _principals, bearer

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
# What a valid request may get besides a success: 401 (the token route, for credentials that
# do not exist), 404 (an id that does not exist), 409, 413, 422 and 429; never a 400.
VALID_REQUEST_ANSWERS = ["2xx", "401", "404", "409", "413", "422", "429"]
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": VALID_REQUEST_ANSWERS}}})


def unprocessable_is_declared(ctx, response, case):
    """A 422 comes only from an operation whose document lists it."""
    if response.status_code == 422:
        assert "422" in case.operation.responses.status_codes, (
            f"{case.operation.label} answered 422 without declaring it: {response.text[:300]}")


def real_ids(path: str, ids: dict) -> dict:
    """The real ids for an operation inside a draft or a datastore (not the ones that delete
    them, nor run submissions, which would start the sample pipeline)."""
    for prefix, name in (("/api/v1/pipelines/{pipeline_id}/", "pipeline_id"),
                         ("/api/v1/datastores/{name}/", "name")):
        if path.startswith(prefix) and not path.endswith("/runs"):
            return {name: ids[name]}
    return {}


@pytest.fixture
def api_schema(tmp_path):
    from app import create_app
    from app.services import datastores, samples

    application = create_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "t",
                              "DESIGNER_SSE_SECONDS": 0.2})
    (tmp_path / "scratch" / "folder").mkdir(parents=True)
    (tmp_path / "scratch" / "a.csv").write_text("a,b\n1,2\n")
    with application.app_context():
        draft = samples.init()[0]
        datastores.add("scratch", tmp_path / "scratch")
        _principals(application)
        ids = {"pipeline_id": draft.id, "name": "scratch"}
    headers = {"Authorization": f"Bearer {bearer(application)}"}
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", application, headers=headers,
                                         config=CONFIG), headers, ids
    application.extensions["designer"].shutdown()


def test_every_answer_is_documented_and_no_valid_request_is_malformed(api_schema):
    api_schema, headers, ids = api_schema
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:

        @given(case=operation.as_strategy(path_parameters=real_ids(operation.path, ids)))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, headers=headers, checks=[
                not_a_server_error, status_code_conformance, positive_data_acceptance,
                unprocessable_is_declared])

        check()


def test_success_statuses_bounds_and_patterns_are_documented(client):
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/pipelines"]["post"]["responses"]) == {"201", "422", "4XX"}
    assert set(paths["/api/v1/pipelines/{pipeline_id}"]["delete"]["responses"]) == {"204", "4XX"}
    assert "202" in paths["/api/v1/endpoints/{ref}/submit"]["post"]["responses"]
    assert "202" in paths["/api/v1/runs/{run_id}/cancel"]["post"]["responses"]
    assert set(paths["/api/v1/runs"]["get"]["responses"]) == {"200", "4XX"}
    limit = next(p for p in paths["/api/v1/runs"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    revision = next(p for p in paths["/api/v1/pipelines/{pipeline_id}/parameters/{name}"]
                    ["delete"]["parameters"] if p["name"] == "revision")
    assert revision["required"] is True
    schemas = spec["components"]["schemas"]
    assert schemas["DatastoreBody"]["properties"]["name"]["pattern"] == (
        "^[A-Za-z][A-Za-z0-9_-]{0,63}$")
    assert "pattern" in schemas["UserCreate"]["properties"]["username"]
    assert schemas["ParameterDef"]["properties"]["name"]["pattern"]
    upload = paths["/api/v1/datastores/{name}/upload"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["required"] == ["file"]
    token = paths["/oauth2/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in token
    assert schemas["UserCreate"]["properties"]["password"]["anyOf"][0]["minLength"] == 10
    assert schemas["PipelineUpdate"]["properties"]["revision"] | {"title": ""} == {
        "type": "integer", "minimum": 0, "maximum": 2**31 - 2, "title": ""}
    version = paths["/api/v1/endpoints/{ref}/submit"]["post"]["parameters"][1]
    assert version["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
    audit = {p["name"]: p["schema"] for p in paths["/api/v1/audit"]["get"]["parameters"]}
    assert audit["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert audit["since"]["format"] == "date-time"


def test_refusals_of_valid_requests_and_credentials_are_declared(client):
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    for path, operation in [("/api/v1/datastores", "post"), ("/api/v1/runs", "post"),
                            ("/api/v1/endpoints/{ref}/submit", "post"),
                            ("/api/v1/datastores/{name}/upload", "post")]:
        assert "cannot act on it" in paths[path][operation]["responses"]["422"]["description"]
    assert "422" not in paths["/api/v1/users"]["post"]["responses"]
    flows = spec["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth2/token"
    assert paths["/api/v1/runs"]["get"]["security"] == [{"oauth2": []}]
    assert paths["/oauth2/token"]["post"]["security"] == []


def _with_parameter(**parameter) -> dict:
    return {"document": {"name": "p", "parameters": [{"type": "int", **parameter}]}}


def test_a_document_the_schema_refuses_is_400_one_it_allows_but_we_cannot_use_is_422(client):
    malformed = client.post("/api/v1/pipelines", json=_with_parameter(name="1st", default=1))
    assert malformed.status_code == 400
    assert "parameter name '1st' must be 1-64 characters" in str(malformed.get_json()["details"])
    outside = client.post("/api/v1/pipelines", json=_with_parameter(name="n", default=5, max=3))
    assert outside.status_code == 422
    assert outside.get_json()["details"] == [{"field": "document.parameters.0", "message": (
        "Value error, The pipeline parameter 'n' must be an int <= 3. Got 5 instead.")}]
    both = _with_parameter(name="n", default=5, max=3)
    both["document"]["nodes"] = [{"id": "a b", "module": "import_data"}]
    assert client.post("/api/v1/pipelines", json=both).status_code == 400


@pytest.mark.parametrize("url, field, message", [
    ("/api/v1/runs?limit=abc", "limit", "'limit' must be an int in the range [1, 1000]"),
    ("/api/v1/runs?limit=99999999999999999999999", "limit", "must be an int"),
    ("/api/v1/runs?status=Done", "status", "'status' must be one of NotStarted, Queued"),
    ("/api/v1/datastores?counts=maybe", "counts", "'counts' must be one of true, false"),
    ("/api/v1/datastores/samples/preview?path=income/us.csv&rows=0", "rows",
     "'rows' must be an int in the range [1, 200]"),
    ("/api/v1/datastores/samples/preview", "path", "'path' is required as ?path=..."),
    ("/api/v1/datastores/samples/preview?path=", "path", "'path' must not be empty."),
])
def test_query_values_outside_the_documented_schema_name_the_parameter(client, url, field,
                                                                       message):
    response = client.get(url)
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert message in response.get_json()["error"]


def test_a_delete_without_its_required_revision_names_it(client):
    pid = client.get("/api/v1/pipelines").get_json()["pipelines"][0]["id"]
    response = client.delete(f"/api/v1/pipelines/{pid}/parameters/training_data")
    assert response.status_code == 400
    assert response.get_json() == {"error": "'revision' is required as ?revision=...",
                                   "field": "revision"}


def test_a_wrong_method_answers_405_with_allow(client):
    response = client.patch("/api/v1/runs")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert "error" in response.get_json()
