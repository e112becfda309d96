"""Authentication and roles: every route is closed but an allow-list; tokens, sessions, CSRF."""

import base64
import html
import json
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import AccessToken, now
from app.services import auth
from tests.conftest import ADMIN_PASSWORD, bearer, sign_in

OPEN = {"/health", "/oauth2/token", "/login", "/static/<path:filename>",
        "/vendor/plotly.min.js", "/favicon.ico"}


def fill(rule: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", rule)


def test_no_route_is_open_except_the_allow_list(app, anonymous):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in OPEN:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = anonymous.open(fill(rule.rule), method=method)
            if rule.rule.startswith(("/api/", "/oauth2/")):
                assert response.status_code == 401, (method, rule.rule, response.status_code)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert "error" in response.get_json()
            else:
                assert response.status_code in (302, 405), (method, rule.rule)
                if response.status_code == 302:
                    assert response.headers["Location"].startswith("/login")
            checked += 1
    assert checked > 40
    for path in ("/health", "/login", "/vendor/plotly.min.js", "/static/css/base.css"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        response.close()


def credentials(app):
    return app.config["TEST_CLIENT_CREDENTIALS"]


def test_token_endpoint_with_form_fields_and_http_basic(app, anonymous):
    client_id, secret = credentials(app)
    response = anonymous.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = anonymous.post("/oauth2/token", data={"grant_type": "client_credentials"},
                              headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
    with app.app_context():  # only hashes are stored
        stored = db.session.scalars(db.select(AccessToken.token_hash)).all()
    assert body["access_token"] not in stored and auth.digest(body["access_token"]) in stored


@pytest.mark.parametrize("data, status, error", [
    # an unknown client id gets the wrong secret's answer: it does not tell which ids exist
    ({"grant_type": "client_credentials", "client_id": "nope", "client_secret": "x"}, 401,
     "invalid_client"),
    ({"grant_type": "password", "username": "a", "password": "b"}, 400,
     "unsupported_grant_type"),
    ({}, 400, "unsupported_grant_type"),
])
def test_token_endpoint_refusals(anonymous, data, status, error):
    response = anonymous.post("/oauth2/token", data=data)
    assert response.status_code == status
    assert response.get_json()["error"] == error


def test_wrong_secret_is_refused(app, anonymous):
    client_id, _ = credentials(app)
    response = anonymous.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"})
    assert response.status_code in (400, 401)
    assert response.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize("header, message", [
    (None, "Sign in, or send a bearer token"),
    ("Bearer not-a-token", "The access token is not valid."),
    ("Basic abc", "Send 'Authorization: Bearer <access token>'."),
    ("Bearer ", "Send 'Authorization: Bearer <access token>'."),
])
def test_bad_credentials_are_401(anonymous, header, message):
    headers = {"Authorization": header} if header else {}
    response = anonymous.get("/api/v1/pipelines", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"].startswith(message)


def test_a_tampered_token_is_refused(app, anonymous):
    token = bearer(app)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = anonymous.get("/api/v1/pipelines", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


def test_expired_token_is_refused(app, anonymous):
    token = bearer(app)
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/v1/pipelines", headers=headers).status_code == 200
    with app.app_context():
        found = db.session.scalar(db.select(AccessToken).filter_by(token_hash=auth.digest(token)))
        found.expires = now() - timedelta(seconds=1)
        db.session.commit()
    response = anonymous.get("/api/v1/pipelines", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "The access token has expired."


def test_disabled_client_is_refused_at_once(app, anonymous):
    with app.app_context():
        client, secret = auth.create_client("nightly", "runner")
        creds = (client.client_id, secret)
    headers = {"Authorization": f"Bearer {bearer(app, creds)}"}
    assert anonymous.get("/api/v1/runs", headers=headers).status_code == 200
    with app.app_context():
        auth.set_client_active("nightly", False)
    response = anonymous.get("/api/v1/runs", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "The client of this access token is disabled."
    again = anonymous.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": creds[0], "client_secret": creds[1]})
    assert again.status_code in (400, 401)
    assert again.get_json()["error"] == "invalid_client"


@pytest.fixture
def as_role(app, anonymous):
    def make(role):
        with app.app_context():
            client, secret = auth.create_client(f"c-{role}", role)
            creds = (client.client_id, secret)
        return {"Authorization": f"Bearer {bearer(app, creds)}"}

    return make


def test_roles(anonymous, as_role):
    viewer, runner, editor = as_role("viewer"), as_role("runner"), as_role("editor")
    assert anonymous.get("/api/v1/pipelines", headers=viewer).status_code == 200
    refused = anonymous.post("/api/v1/endpoints/income-retrain/submit", json={}, headers=viewer)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == ("This needs the runner role; client:c-viewer is a "
                                           "viewer.")
    submitted = anonymous.post("/api/v1/endpoints/income-retrain/submit", json={},
                               headers=runner)
    assert submitted.status_code == 202
    assert anonymous.post("/api/v1/pipelines", json={"document": {"name": "x"}},
                          headers=runner).status_code == 403
    assert anonymous.post("/api/v1/pipelines", json={"document": {"name": "x"}},
                          headers=editor).status_code == 201
    assert anonymous.post("/api/v1/datastores", json={"name": "d", "root": "."},
                          headers=editor).status_code == 403
    run = anonymous.get(f"/api/v1/runs/{submitted.get_json()['Id']}", headers=viewer).get_json()
    assert run["submitted_by"] == "client:c-runner" and run["source"] == "api"


def test_session_writes_need_the_csrf_token(signed_in):
    doc = {"document": {"name": "From the browser"}}
    refused = signed_in.post("/api/v1/pipelines", json=doc)
    assert refused.status_code == 403
    assert "CSRF" in refused.get_json()["error"]
    wrong = signed_in.post("/api/v1/pipelines", json=doc, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    ok = signed_in.post("/api/v1/pipelines", json=doc,
                        headers={"X-CSRF-Token": signed_in.csrf})
    assert ok.status_code == 201
    assert signed_in.get("/api/v1/pipelines").status_code == 200  # reads need no token


def test_session_submissions_record_the_user_and_the_ui(signed_in):
    response = signed_in.post("/api/v1/endpoints/income-retrain/submit", json={},
                              headers={"X-CSRF-Token": signed_in.csrf})
    run = signed_in.get(f"/api/v1/runs/{response.get_json()['Id']}").get_json()
    assert (run["submitted_by"], run["source"]) == ("user:admin", "ui")


def test_a_cookie_replayed_after_logout_is_refused(app, signed_in):
    cookie = signed_in.get_cookie("session").value
    assert signed_in.get("/api/v1/pipelines").status_code == 200
    assert signed_in.post("/logout", data={"csrf_token": signed_in.csrf}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/api/v1/pipelines").status_code == 401
    assert replay.get("/").status_code == 302


def test_signing_out_ends_every_session_of_the_user(app):
    with app.app_context():
        auth.add_user("vera", "vera-password", "viewer")
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    csrf = sign_in(laptop)
    sign_in(phone)
    sign_in(colleague, "vera", "vera-password")
    assert phone.get("/api/v1/pipelines").status_code == 200
    assert laptop.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert phone.get("/api/v1/pipelines").status_code == 401
    assert phone.get("/").headers["Location"].startswith("/login")
    assert colleague.get("/api/v1/pipelines").status_code == 200  # another user's session
    sign_in(phone)  # a new sign-in works again
    assert phone.get("/api/v1/pipelines").status_code == 200


def test_disabled_user_is_refused_at_once(app, signed_in):
    with app.app_context():
        auth.add_user("second-admin", "second-password", "admin")  # never the last admin
        auth.set_user_active("admin", False)
    assert signed_in.get("/api/v1/pipelines").status_code == 401


def test_login_form(app, anonymous):
    page = anonymous.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    wrong = anonymous.post("/login", data={"username": "admin", "password": "nope",
                                           "csrf_token": token})
    assert wrong.status_code == 401
    assert "Invalid user name or password." in wrong.get_data(as_text=True)
    no_csrf = anonymous.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert no_csrf.status_code == 400
    redirect = anonymous.post("/login?next=//evil.example/x", data={
        "username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token})
    assert redirect.headers["Location"] == "/"


def test_login_then_next_page(app):
    browser = app.test_client()
    assert browser.get("/experiments").headers["Location"].startswith("/login?next=")
    sign_in(browser)
    assert browser.get("/experiments").status_code == 200


def test_accounts_api_is_for_admins(client, anonymous, as_role):
    created = client.post("/api/v1/users", json={"username": "carol", "role": "runner"})
    assert created.status_code == 201 and len(created.get_json()["password"]) >= 12
    updated = client.patch("/api/v1/users/carol", json={"role": "editor", "active": False})
    assert updated.get_json() | {"created": None} == {
        "username": "carol", "role": "editor", "active": False, "created": None}
    made = client.post("/api/v1/clients", json={"name": "ci-bot", "role": "viewer"})
    assert made.status_code == 201 and made.get_json()["client_secret"]
    listed = client.get("/api/v1/clients").get_json()["clients"]
    assert all("client_secret" not in c for c in listed)
    assert client.post("/api/v1/clients/ci-bot/disable").get_json()["active"] is False
    editor = as_role("editor")
    assert anonymous.get("/api/v1/users", headers=editor).status_code == 403
    bad = client.post("/api/v1/users", json={"username": "x y"})
    assert bad.status_code == 400 and "User name 'x y'" in bad.get_json()["error"]
    assert client.post("/api/v1/users", json={"username": "z", "role": "god"}).status_code == 400


def test_admin_page_only_for_admins(app, signed_in):
    assert signed_in.get("/admin").status_code == 200
    with app.app_context():
        auth.add_user("vera", "vera-password", "viewer")
    viewer = app.test_client()
    sign_in(viewer, "vera", "vera-password")
    assert viewer.get("/admin").status_code == 403
    assert viewer.get("/endpoints").status_code == 200


def test_the_admin_page_carries_the_role_list(signed_in):
    page = signed_in.get("/admin").get_data(as_text=True)
    roles = re.search(r"data-roles='([^']*)'", page).group(1)
    assert json.loads(html.unescape(roles)) == ["viewer", "runner", "editor", "admin"]


def test_client_secrets_never_look_like_command_line_options(app):
    with app.app_context():
        secrets = [auth.create_client(f"c{i}", "viewer")[1] for i in range(40)]
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in secrets)
