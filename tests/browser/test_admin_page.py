"""Admin page in Chromium: service principals with a one-time secret, users and their roles."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_service_principal_secret_is_real_and_disabling_refuses_its_token(page):
    page.goto("/admin")
    page.get_by_label("Service principal name").fill("nightly-retrain")
    page.get_by_label("Service principal role").select_option("runner")
    page.get_by_role("button", name="Create service principal").click()
    box = page.get_by_role("region", name="Credentials of nightly-retrain")
    expect(box).to_contain_text("this secret will not be shown again")
    client_id = box.get_by_label("Client ID", exact=True).input_value()
    secret = box.get_by_label("Client secret", exact=True).input_value()
    assert re.fullmatch(r"[0-9a-f]{32}", client_id) and len(secret) > 20
    expect(box.get_by_role("button", name="Copy Client secret")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="nightly-retrain")
    expect(row.get_by_role("cell")).to_have_text(
        ["nightly-retrain", client_id, "runner", "Active", re.compile("by user:admin"), "Disable"]
    )

    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    answer = page.request.post("/oauth2/token", form=form)
    assert answer.status == 200, answer.text()
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert page.request.get("/api/v1/runs", headers=bearer).status == 200

    row.get_by_role("button", name="Disable nightly-retrain").click()
    expect(row.get_by_role("cell").nth(3)).to_have_text("Disabled")
    assert page.request.get("/api/v1/runs", headers=bearer).status == 401
    assert page.request.post("/oauth2/token", form=form).status in (400, 401)

    row.get_by_role("button", name="Enable nightly-retrain").click()
    expect(row.get_by_role("cell").nth(3)).to_have_text("Active")
    assert page.request.post("/oauth2/token", form=form).status == 200

    box.get_by_role("button", name="Done, I have stored it").click()
    expect(box).to_have_count(0)
    page.reload()
    expect(page.get_by_role("row").filter(has_text="nightly-retrain")).to_be_visible()
    assert secret not in page.content()
    assert page.errors == []


def test_roles_and_active_flag_of_a_user_change_in_place(page, client):
    made = client.post(
        "/api/v1/users", json={"username": "rita", "role": "runner", "password": "a-long-password"}
    )
    assert made.status_code == 201
    page.goto("/admin")
    page.get_by_label("Role of rita").select_option("editor")
    expect(page.get_by_text("rita is now an editor.")).to_be_visible()
    page.get_by_label("rita active").uncheck()
    expect(page.get_by_text("rita is disabled; their sessions ended.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Role of rita")).to_have_value("editor")
    expect(page.get_by_label("rita active")).not_to_be_checked()
    users = {u["username"]: u for u in client.get("/api/v1/users").get_json()["users"]}
    assert users["rita"]["role"] == "editor" and users["rita"]["active"] is False
    assert page.errors == []


def test_a_new_viewer_sees_no_admin_link_and_may_not_publish(page, client):
    page.goto("/admin")
    page.get_by_label("New user name").fill("vera")
    page.get_by_label("New user role").select_option("viewer")
    page.get_by_role("button", name="Add user").click()
    shown = page.get_by_role("region", name="Password of vera")
    expect(shown).to_contain_text("it will not be shown again")
    password = shown.get_by_label("Generated password", exact=True).input_value()
    expect(page.get_by_label("Role of vera")).to_have_value("viewer")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.csrf = sign_in(page, "vera", password)
    expect(page.get_by_text("vera (viewer)")).to_be_visible()
    expect(page.get_by_role("link", name="Endpoints")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)

    pid = next(
        p["id"]
        for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
        if p["name"] == "Income prediction"
    )
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    page.get_by_role("button", name="Publish").click()
    dialog = page.get_by_role("dialog", name="Publish pipeline")
    dialog.get_by_label("Endpoint name").fill("vera-endpoint")
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "This needs the editor role; user:vera is a viewer. (HTTP 403)"
    )
    names = [e["name"] for e in client.get("/api/v1/endpoints").get_json()["endpoints"]]
    assert "vera-endpoint" not in names
    assert page.errors == []
