"""Shared fixtures: the reference data folder beside the checkout, module discovery."""

from pathlib import Path

import pytest

from app.engine.registry import discover

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]


@pytest.fixture(scope="session", autouse=True)
def _modules():
    discover()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data sets; tests needing it skip when it is absent."""
    if not (SHARED_DATA / "adult.data").exists():
        pytest.skip("reference data folder ../shared/data is not beside the checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def adult(shared_data):
    """The UCI Adult training split as a DataFrame (real data, 32,561 rows)."""
    import pandas as pd

    return pd.read_csv(
        shared_data / "adult.data", header=None, names=ADULT_COLUMNS,
        skipinitialspace=True, na_values="?",
    )


@pytest.fixture
def app(tmp_path):
    """An app on a fresh SQLite instance folder with the samples loaded."""
    from app import create_app
    from app.services import samples

    application = create_app({"DESIGNER_HOME": str(tmp_path / "instance"),
                              "SECRET_KEY": "test"})
    with application.app_context():
        samples.init()
    yield application
    application.extensions["designer"].shutdown()


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def run_queued(app):
    """Run every queued run to its end in this thread (instead of the background loop)."""
    return app.extensions["designer"].dispatcher.run_pending


POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_app(tmp_path):
    """An app on PostgreSQL in a schema of its own (skips when no server answers)."""
    import os
    import uuid

    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    from app import create_app
    from app.services import samples

    url = os.environ.get("DESIGNER_TEST_POSTGRES_URL", POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server at {url}: {exc.orig}")
    application = create_app({
        "DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
    })
    with application.app_context():
        samples.init()
    yield application
    application.extensions["designer"].shutdown()
    with application.app_context():
        from app.extensions import db

        db.engine.dispose()
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
