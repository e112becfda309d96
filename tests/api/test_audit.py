"""The audit log through GET /api/v1/audit, and the access log line of every request."""

import io
import logging
import re

from app.services import auth
from tests.conftest import ADMIN_PASSWORD, from_address, login, principal_headers


def entries(client, **params):
    response = client.get("/api/v1/audit", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["entries"]


def test_sign_ins_and_tokens_are_recorded_with_who_and_where(app):
    browser = from_address(app, "192.0.2.7")
    assert login(browser, "admin", "guess-guess").status_code == 401
    assert login(browser, "nobody", "guess-guess").status_code == 401
    assert login(browser, "admin", ADMIN_PASSWORD).status_code == 302
    client_id, secret = app.config["TEST_CLIENT_CREDENTIALS"]
    for given in ("wrong", secret):
        browser.post("/oauth2/token", data={"grant_type": "client_credentials",
                                            "client_id": client_id, "client_secret": given})
    found = [(e["action"], e["actor"], e["target"], e["address"], e["details"])
             for e in entries(browser, limit=5)]
    assert found == [
        ("token.issued", "client:tests", "tests", "192.0.2.7", {"expires_in": 3600}),
        ("token.refused", "client:tests", "tests", "192.0.2.7",
         {"error": "invalid_client", "client_id": client_id}),
        ("signin.ok", "user:admin", "admin", "192.0.2.7", {}),
        ("signin.failed", "anonymous", "nobody", "192.0.2.7", {"reason": "unknown user"}),
        ("signin.failed", "user:admin", "admin", "192.0.2.7", {"reason": "wrong password"}),
    ]
    assert "guess" not in str(entries(browser))  # never a password


def test_changes_are_recorded_with_the_principal(client, tmp_path):
    lake = tmp_path / "lake"  # beside the app's instance folder, not above it
    lake.mkdir()
    pipeline = next(p for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
                    if p["name"] == "Income prediction")
    client.post("/api/v1/users", json={"username": "carol", "role": "runner"})
    client.patch("/api/v1/users/carol", json={"role": "editor", "active": False})
    ci_bot_id = client.post("/api/v1/clients", json={"name": "ci-bot", "role": "viewer"}
                            ).get_json()["client_id"]
    client.post("/api/v1/clients/ci-bot/disable")
    client.post("/api/v1/clients/ci-bot/enable")
    client.post("/api/v1/datastores", json={"name": "lake", "root": str(lake)})
    client.post("/api/v1/datastores/lake/upload", data={
        "file": (io.BytesIO(b"a,b\n1,2\n"), "t.csv")})
    published = client.post(f"/api/v1/pipelines/{pipeline['id']}/publish",
                            json={"new_endpoint": {"name": "audited"}})
    assert published.status_code == 201
    client.post(f"/api/v1/pipelines/{pipeline['id']}/publish", json={"endpoint": "audited"})
    client.post("/api/v1/endpoints/audited/default", json={"version": 1})
    client.post("/api/v1/endpoints/audited/disable")
    client.post("/api/v1/endpoints/audited/enable")
    assert client.delete(f"/api/v1/pipelines/{pipeline['id']}").status_code in (200, 204)
    assert client.delete("/api/v1/datastores/lake").status_code in (200, 204)

    found = [(e["action"], e["target"], e["details"])
             for e in reversed(entries(client, actor="client:tests", limit=16))]
    assert found == [
        ("user.create", "carol", {"role": "runner"}),
        ("user.role", "carol", {"role": "editor", "was": "runner"}),
        ("user.disable", "carol", {}),
        ("client.create", "ci-bot", {"role": "viewer", "client_id": ci_bot_id}),
        ("client.disable", "ci-bot", {}),
        ("client.enable", "ci-bot", {}),
        ("datastore.add", "lake", {"root": str(lake.resolve())}),
        ("datastore.upload", "lake", {"path": "t.csv", "size": 8}),
        ("endpoint.create", "audited", {"id": published.get_json()["endpoint"]["id"]}),
        ("pipeline.publish", "audited",
         {"version": 0, "pipeline_id": pipeline["id"], "default": True}),
        ("pipeline.publish", "audited",
         {"version": 1, "pipeline_id": pipeline["id"], "default": False}),
        ("endpoint.default", "audited", {"version": 1}),
        ("endpoint.disable", "audited", {}),
        ("endpoint.enable", "audited", {}),
        ("pipeline.delete", "Income prediction", {"id": pipeline["id"]}),
        ("datastore.remove", "lake", {"root": str(lake.resolve())}),
    ]


def test_without_a_request_the_actor_is_the_command_line(app, client):
    with app.app_context():
        auth.add_user("local", "local-password", "viewer")
    (entry,) = entries(client, action="user.create", limit=1)
    assert (entry["actor"], entry["address"], entry["target"]) == ("cli", "local", "local")


def test_filters_order_and_bad_input(client):
    for name in ("u1", "u2", "u3"):
        client.post("/api/v1/users", json={"username": name})
    newest = entries(client, action="user.create", limit=2)
    assert [e["target"] for e in newest] == ["u3", "u2"]
    assert newest[0]["id"] > newest[1]["id"]
    assert newest[0]["time"].endswith("+00:00")
    assert entries(client, since="2999-01-01T00:00:00Z") == []
    assert len(entries(client, action="user.create", since="2000-01-01T00:00:00+02:00")) == 4
    for params, field in (({"since": "yesterday"}, "since"), ({"limit": "0"}, "limit"),
                          ({"limit": "many"}, "limit"), ({"limit": "1001"}, "limit")):
        response = client.get("/api/v1/audit", query_string=params)
        assert response.status_code == 400 and response.get_json()["field"] == field, params


def test_the_audit_log_is_for_admins(app, anonymous):
    headers = principal_headers(app, "editor-bot", "editor")
    assert anonymous.get("/api/v1/audit", headers=headers).status_code == 403
    assert anonymous.get("/api/v1/audit").status_code == 401


def test_one_access_log_line_per_request(app, client, anonymous, caplog):
    caplog.set_level(logging.INFO, logger="designer.access")
    client.get("/api/v1/pipelines")
    anonymous.get("/api/v1/runs")
    anonymous.get("/login", environ_base={"REMOTE_ADDR": "198.51.100.4"})
    lines = [r for r in caplog.records if r.name == "designer.access"]
    assert len(lines) == 3
    assert re.fullmatch(r"GET /api/v1/pipelines 200 \d+\.\d ms client:tests 127\.0\.0\.1",
                        lines[0].getMessage())
    assert re.fullmatch(r"GET /api/v1/runs 401 \d+\.\d ms - 127\.0\.0\.1", lines[1].getMessage())
    assert lines[2].getMessage().endswith(" - 198.51.100.4")
    assert (lines[0].method, lines[0].path, lines[0].status, lines[0].actor) == (
        "GET", "/api/v1/pipelines", 200, "client:tests")
    assert lines[0].duration_ms >= 0


def test_the_audit_log_on_postgresql(pg_app):
    browser = from_address(pg_app, "203.0.113.9")
    assert login(browser, "nobody\x00", "guess-guess").status_code == 401  # NUL kept out
    assert login(browser, "admin", ADMIN_PASSWORD).status_code == 302
    found = entries(browser, since="2000-01-01T00:00:00Z", limit=2)
    assert [(e["action"], e["target"], e["address"]) for e in found] == [
        ("signin.ok", "admin", "203.0.113.9"), ("signin.failed", "nobody\\0", "203.0.113.9")]
    assert entries(browser, actor="user:admin", since="2999-01-01T00:00:00+01:00") == []
