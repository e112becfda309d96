"""Schemathesis fuzzes every route of our OpenAPI document: no input may cause a 500."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import _principals, bearer


@pytest.fixture
def api_schema(tmp_path):
    from app import create_app
    from app.services import samples

    application = create_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "t",
                              "DESIGNER_SSE_SECONDS": 0.2})
    with application.app_context():
        samples.init()
        _principals(application)
    headers = {"Authorization": f"Bearer {bearer(application)}"}
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", application, headers=headers), headers
    application.extensions["designer"].shutdown()


def test_no_route_answers_500(api_schema):
    api_schema, headers = api_schema
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}")

        check()
