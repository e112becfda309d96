"""Shared fixtures: the reference data folder beside the checkout, module discovery.

A required part that is missing (the shared data sets, the PostgreSQL server, Chromium) skips
its tests on a developer's machine but fails them under CI (CI=true): a green CI run has run
every test.
"""

import functools
import os
import shutil
from contextlib import closing, contextmanager
from dataclasses import dataclass

# The test processes (pytest -n 2) already use every core. OpenMP thread teams in each of them
# would spin against each other: a 300-row boosted-tree fit measured 0.2 s alone and 3 s beside
# the running suite. One native thread per process keeps runs in browser tests quick. Set before
# anything loads the OpenMP runtime, which reads it once.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from app.engine.registry import discover  # noqa: E402

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


def missing(part: str) -> None:
    """A required part is not there: skip locally, fail under CI (where it must be)."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{part}: required under CI", pytrace=False)
    pytest.skip(part)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data sets: ../shared/data or DESIGNER_TEST_SHARED_DATA."""
    folder = Path(os.environ.get("DESIGNER_TEST_SHARED_DATA", SHARED_DATA))
    if not (folder / "adult.data").exists():
        missing(f"the reference data folder {folder} has no adult.data")
    return folder


@pytest.fixture(scope="session")
def adult(shared_data):
    """The UCI Adult training split as a DataFrame (real data, 32,561 rows)."""
    import pandas as pd

    return pd.read_csv(
        shared_data / "adult.data", header=None, names=ADULT_COLUMNS,
        skipinitialspace=True, na_values="?",
    )


AUTOMOBILE_COLUMNS = [
    "symboling", "normalized-losses", "make", "fuel-type", "aspiration", "num-of-doors",
    "body-style", "drive-wheels", "engine-location", "wheel-base", "length", "width", "height",
    "curb-weight", "engine-type", "num-of-cylinders", "engine-size", "fuel-system", "bore",
    "stroke", "compression-ratio", "horsepower", "peak-rpm", "city-mpg", "highway-mpg", "price",
]


@pytest.fixture(scope="session")
def automobile(shared_data):
    """The UCI Automobile (imports-85) data as a DataFrame (real data, 205 rows)."""
    import pandas as pd

    return pd.read_csv(shared_data / "imports-85.data", header=None, names=AUTOMOBILE_COLUMNS,
                       na_values="?")


def make_app(config: dict):
    """An app built from ``config`` with the samples loaded and the test principals made;
    the caller shuts its runtime down.

    An instance on the default SQLite database and folders starts as a copy of one made once
    per test process (see ``_template``): migrations, the samples and the principals' password
    hashes take most of a second, and hundreds of tests start an app."""
    from app import create_app
    from app.services import samples

    home = Path(config["DESIGNER_HOME"])
    if not (set(config) & INSTANCE_SETTINGS) and not home.exists():
        template = _template()
        shutil.copytree(template.home, home)
        application = create_app(config)
        application.config["TEST_CLIENT_CREDENTIALS"] = template.credentials
        application.config["TEST_BEARER"] = template.token
        return application
    application = create_app(config)
    with application.app_context():
        samples.init()
        _principals(application)
    return application


# Settings that move an instance's data away from its folder: such apps are built from scratch.
INSTANCE_SETTINGS = {"SQLALCHEMY_DATABASE_URI", "DESIGNER_ARTIFACTS", "DESIGNER_SAMPLES"}
# The template's bearer token outlives any test session.
TEMPLATE_TOKEN_SECONDS = 24 * 3600


@dataclass
class Template:
    home: Path
    credentials: tuple[str, str]
    token: str


@functools.cache
def _template() -> Template:
    """The instance every default test app copies, made on first use in this process."""
    import atexit
    import sqlite3
    import tempfile

    from app import create_app
    from app.extensions import db
    from app.services import samples

    folder = Path(tempfile.mkdtemp(prefix="designer-test-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    home = folder / "instance"
    application = create_app({"DESIGNER_HOME": str(home), "SECRET_KEY": "test",
                              "DESIGNER_TOKEN_SECONDS": TEMPLATE_TOKEN_SECONDS})
    with application.app_context():
        samples.init()
        _principals(application)
    token = bearer(application)
    application.extensions["designer"].shutdown()
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    with closing(sqlite3.connect(home / "designer.db")) as database:  # all in the main file
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Template(home, application.config["TEST_CLIENT_CREDENTIALS"], token)


@pytest.fixture
def app(tmp_path):
    """An app on a fresh SQLite instance folder with the samples loaded."""
    application = make_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test"})
    yield application
    application.extensions["designer"].shutdown()


ADMIN_PASSWORD = "admin-password"  # noqa: S105 - a test fixture's password


def _principals(application):
    """An admin user and an admin service principal whose token the `client` fixture sends."""
    from app.services import auth

    auth.add_user("admin", ADMIN_PASSWORD, "admin")
    client, secret = auth.create_client("tests", "admin")
    application.config["TEST_CLIENT_CREDENTIALS"] = (client.client_id, secret)


def bearer(application, credentials=None) -> str:
    """A fresh access token from POST /oauth2/token."""
    client_id, secret = credentials or application.config["TEST_CLIENT_CREDENTIALS"]
    response = application.test_client().post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def principal_headers(application, name: str, role: str) -> dict:
    """Bearer headers of a new service principal ``name`` with ``role``."""
    from app.services import auth

    with application.app_context():
        created, secret = auth.create_client(name, role)
        credentials = (created.client_id, secret)
    return {"Authorization": f"Bearer {bearer(application, credentials)}"}


@pytest.fixture
def client(app):
    """Flask's test client, authenticated as an admin service principal (bearer token)."""
    test_client = app.test_client()
    token = app.config.get("TEST_BEARER") or bearer(app)
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return test_client


def wait_for(check, what: str, timeout: float = 60):
    """Poll ``check()`` until it returns something true and return that; fail after
    ``timeout`` seconds naming ``what``."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout} s for {what}")


def login(test_client, username, password):
    """Post the login form as a browser would (with the page's CSRF token); the answer."""
    import re

    page = test_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return test_client.post("/login", data={
        "username": username, "password": password, "csrf_token": token})


def sign_in(test_client, username="admin", password=ADMIN_PASSWORD):
    """Sign in through the login form; returns the session's CSRF token."""
    import re

    response = login(test_client, username, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    page = test_client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def from_address(application, address: str):
    """A test client whose requests come from ``address``."""
    browser = application.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


@pytest.fixture
def signed_in(app):
    """A test client signed in as the admin user (session cookie); ``.csrf`` holds the token."""
    test_client = app.test_client()
    test_client.csrf = sign_in(test_client)
    return test_client


@pytest.fixture
def anonymous(app):
    """A test client without credentials."""
    return app.test_client()


DASK_WORKERS = 2
# Tests on the session's Dask cluster: `make test` (--dist loadgroup) runs them all in one
# test process, so one cluster serves them.
ON_DASK = pytest.mark.xdist_group("dask")


DASK_WAIT_SECONDS = 100  # a worker process can take half a minute to start on a busy machine


def start_dask_cluster():
    """A local Dask cluster of two single-threaded worker processes, as a backend of the
    executor, its workers importing the step task's code and the toy modules so that no
    test's first step starts cold."""
    try:
        from app.engine.backends.dask_cluster import DaskBackend
    except ImportError:
        missing("distributed is not installed (the dask extra)")
    import importlib

    backend = DaskBackend("local", DASK_WORKERS, warm=())
    for name in ("app.engine.backends.dask_cluster", "tests.engine.toy"):
        backend.client.run(importlib.import_module, name)
    return backend


def full_strength(backend):
    """``backend`` once all its workers are up (after a test ended or crashed one, its nanny
    or the backend starts a new one), or a clear failure if they never come."""
    try:
        backend.client.wait_for_workers(DASK_WORKERS, timeout=DASK_WAIT_SECONDS)
    except TimeoutError:
        pytest.fail(f"the local Dask cluster is not back to {DASK_WORKERS} workers after "
                    f"{DASK_WAIT_SECONDS} s (it has {len(backend.client.nthreads())})")
    return backend


@pytest.fixture(scope="session")
def dask_cluster():
    """One local Dask cluster for the whole session (worker processes take seconds to
    start). No test ends or crashes its workers: those run on ``dask_to_break``'s."""
    backend = start_dask_cluster()
    yield backend
    backend.shutdown()


@pytest.fixture
def dask_backend(dask_cluster):
    """The session's Dask backend once all its workers are up."""
    return full_strength(dask_cluster)


@pytest.fixture
def run_queued(app):
    """Run every queued run to its end in this thread (instead of the background loop)."""
    return app.extensions["designer"].dispatcher.run_pending


POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def postgres_schema(prefix: str):
    """(server URL, name) of a fresh schema on the test PostgreSQL server, dropped afterwards;
    a missing server or driver skips the test locally and fails it under CI."""
    import uuid

    import sqlalchemy

    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg is not installed (the postgres extra)")
    url = os.environ.get("DESIGNER_TEST_POSTGRES_URL", POSTGRES_URL)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
        refused = None
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        refused = str(exc.orig).strip().splitlines()[0]
    if refused is not None:  # outside the except block: no chained traceback in the report
        missing(f"no PostgreSQL server at {url}: {refused}")
    try:
        yield url, schema
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def search_path(schema: str) -> dict:
    """Engine options that put every connection in ``schema``."""
    return {"connect_args": {"options": f"-csearch_path={schema}"}}


@pytest.fixture
def pg_app(tmp_path):
    """An app on PostgreSQL in a schema of its own (see ``postgres_schema``)."""
    from app import create_app
    from app.services import samples

    with postgres_schema("t") as (url, schema):
        application = create_app({
            "DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": search_path(schema),
        })
        with application.app_context():
            samples.init()
            _principals(application)
        yield application
        application.extensions["designer"].shutdown()
        with application.app_context():
            from app.extensions import db

            db.engine.dispose()


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3-compatible server (moto) on this machine, for the whole session: its address."""
    try:
        import s3fs  # noqa: F401 - the driver the app uses for s3:// URLs
        from moto.server import ThreadedMotoServer
    except ImportError:
        missing("moto[server] and s3fs (pip install -e '.[test,s3]')")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint):
    """A fresh bucket on the test S3 server: ``.bucket``, ``.fs`` (an s3fs file system on it)
    and ``.options`` (the DESIGNER_STORAGE_OPTIONS that reach it)."""
    import uuid
    from types import SimpleNamespace

    import s3fs

    options = {"s3": {"endpoint_url": s3_endpoint, "key": "test-key", "secret": "test-secret"}}
    fs = s3fs.S3FileSystem(**options["s3"], skip_instance_cache=True, use_listings_cache=False)
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    return SimpleNamespace(bucket=bucket, fs=fs, options=options)
