"""Nobody can leave the instance without an active admin, nor disable their own client."""

import pytest

from tests.conftest import principal_headers


def admin_state(client, name="admin"):
    users = {u["username"]: u for u in client.get("/api/v1/users").get_json()["users"]}
    return users[name]["role"], users[name]["active"]


@pytest.mark.parametrize("change", [{"role": "editor"}, {"active": False},
                                    {"role": "viewer", "active": False}])
def test_the_last_admin_cannot_be_demoted_or_disabled(client, change):
    refused = client.patch("/api/v1/users/admin", json=change)
    assert refused.status_code == 409
    assert refused.get_json() == {
        "error": "User 'admin' is the last active admin: make another user an admin first.",
        "field": "username"}
    assert admin_state(client) == ("admin", True)


def test_with_a_second_admin_one_may_step_down_but_not_the_other(client):
    assert client.post("/api/v1/users", json={"username": "ada", "role": "admin"}).status_code \
        == 201
    assert client.patch("/api/v1/users/admin", json={"role": "editor"}).status_code == 200
    refused = client.patch("/api/v1/users/ada", json={"active": False})
    assert refused.status_code == 409 and "User 'ada' is the last" in refused.get_json()["error"]
    assert admin_state(client, "ada") == ("admin", True)


def test_a_disabled_admin_does_not_count(client):
    client.post("/api/v1/users", json={"username": "ada", "role": "admin"})
    client.patch("/api/v1/users/ada", json={"active": False})
    assert client.patch("/api/v1/users/admin", json={"role": "runner"}).status_code == 409
    # enabling and promoting others is always allowed
    assert client.patch("/api/v1/users/ada", json={"active": True}).status_code == 200
    assert client.patch("/api/v1/users/admin", json={"role": "runner"}).status_code == 200


def test_a_client_cannot_disable_itself_but_another_admin_can(app, client, anonymous):
    refused = client.post("/api/v1/clients/tests/disable")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == ("Client 'tests' authenticates this request, so it "
                                           "cannot disable itself; use another admin account.")
    assert client.get("/api/v1/clients").status_code == 200  # still working
    headers = principal_headers(app, "ops", "admin")
    assert anonymous.post("/api/v1/clients/tests/disable", headers=headers).status_code == 200
    assert client.get("/api/v1/clients").status_code == 401


def test_the_session_admin_is_also_kept(signed_in):
    refused = signed_in.patch("/api/v1/users/admin", json={"active": False},
                              headers={"X-CSRF-Token": signed_in.csrf})
    assert refused.status_code == 409
    assert signed_in.get("/api/v1/users").status_code == 200  # the session did not end
