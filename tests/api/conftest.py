"""Apps for API tests that fetch from a test server on this machine."""

import pytest

from tests.conftest import bearer, make_app


@pytest.fixture
def fetching_app(tmp_path):
    """An app whose outbound allow-list admits this machine's test servers."""
    application = make_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
                            "DESIGNER_OUTBOUND_ALLOW": "127.0.0.1"})
    yield application
    application.extensions["designer"].shutdown()


@pytest.fixture
def fetching_client(fetching_app):
    """A bearer-authenticated test client of ``fetching_app``."""
    test_client = fetching_app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(fetching_app)}"
    return test_client


@pytest.fixture
def fetching_run_queued(fetching_app):
    """Run every queued run of ``fetching_app`` to its end in this thread."""
    return fetching_app.extensions["designer"].dispatcher.run_pending
