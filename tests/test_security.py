"""Security of the instance folder and of every response: file modes, headers, HTTPS."""

import os
import re
import stat

import pytest

from app import create_app
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def loose_umask():
    """A umask that leaves new files world-readable, as on many systems."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_files_are_readable_by_their_owner_only(tmp_path, loose_umask):
    home = tmp_path / "instance"
    application = create_app({"DESIGNER_HOME": str(home)})
    application.extensions["designer"].shutdown()
    assert mode(home) == 0o700
    assert mode(home / "secret_key") == 0o600
    assert mode(home / "designer.db") == 0o600
    wal = home / "designer.db-wal"
    assert not wal.exists() or mode(wal) == 0o600


def test_an_existing_world_readable_database_is_tightened(tmp_path, loose_umask):
    home = tmp_path / "instance"
    create_app({"DESIGNER_HOME": str(home)}).extensions["designer"].shutdown()
    (home / "designer.db").chmod(0o644)
    create_app({"DESIGNER_HOME": str(home)}).extensions["designer"].shutdown()
    assert mode(home / "designer.db") == 0o600


def https_app(tmp_path, **config):
    from app.services import auth

    application = create_app({"DESIGNER_HOME": str(tmp_path / "instance"), **config})
    with application.app_context():
        auth.add_user("admin", ADMIN_PASSWORD, "admin")
    return application


def login_cookie(test_client, **request) -> str:
    """Sign in; the Set-Cookie header of the session."""
    page = test_client.get("/login", **request).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = test_client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD,
                                              "csrf_token": token}, **request)
    assert answer.status_code == 302
    return next(v for v in answer.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_plain_http_gets_no_hsts_and_a_plain_cookie(tmp_path):
    application = https_app(tmp_path)
    test_client = application.test_client()
    assert "Strict-Transport-Security" not in test_client.get("/login").headers
    assert "Secure" not in login_cookie(test_client)
    application.extensions["designer"].shutdown()


def test_https_gets_hsts_and_a_secure_cookie(tmp_path):
    application = https_app(tmp_path)
    test_client = application.test_client()
    https = {"base_url": "https://localhost"}
    answer = test_client.get("/login", **https)
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "; Secure" in login_cookie(test_client, **https)
    application.extensions["designer"].shutdown()


@pytest.mark.parametrize("proxies, trusted", [(0, False), (1, True)])
def test_forwarded_proto_counts_only_from_a_trusted_proxy(tmp_path, proxies, trusted):
    application = https_app(tmp_path, DESIGNER_TRUSTED_PROXIES=proxies)
    test_client = application.test_client()
    forwarded = {"headers": {"X-Forwarded-Proto": "https"}}
    answer = test_client.get("/login", **forwarded)
    assert ("Strict-Transport-Security" in answer.headers) == trusted
    assert ("; Secure" in login_cookie(test_client, **forwarded)) == trusted
    application.extensions["designer"].shutdown()


def test_api_answers_carry_the_headers_too(client):
    answer = client.get("/api/v1/pipelines")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
