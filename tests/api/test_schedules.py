"""REST routes of schedules: preview, create, list, history, edit, enable, disable, delete."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import principal_headers

BASE = "/api/v1/endpoints/income-retrain/schedules"
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
NIGHTLY = {"name": "nightly", "kind": "cron", "cron": "30 2 * * *", "timezone": "Europe/Berlin",
           "run": {"ExperimentName": "nightly", "DataPathAssignments": {"training_data": {
               "DataStoreName": "samples", "RelativePath": "income/non_us.csv"}}}}


@pytest.fixture
def clock(app):
    """The app's scheduler clock, set by the test."""
    now = {"value": NOW}
    app.extensions["designer"].scheduler.clock = lambda: now["value"]
    return now


def test_preview_shows_the_next_five_fire_times_across_a_daylight_saving_change(client, clock):
    answer = client.post(f"{BASE}/preview", json={
        "kind": "cron", "cron": "30 2 * * *", "timezone": "Europe/Berlin"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["next"] == [
        "2026-03-28T01:30:00+00:00", "2026-03-29T01:00:00+00:00", "2026-03-30T00:30:00+00:00",
        "2026-03-31T00:30:00+00:00", "2026-04-01T00:30:00+00:00"]


@pytest.mark.parametrize(("timing", "status", "culprit"), [
    ({"kind": "cron", "cron": "0 25 * * *"}, 422, "cron"),
    ({"kind": "cron", "cron": "0 1 * * *", "timezone": "Atlantis/Capital"}, 422, "timezone"),
    ({"kind": "interval"}, 422, "interval_seconds"),
    ({"kind": "interval", "interval_seconds": 0}, 400, "interval_seconds"),
    ({"kind": "hourly"}, 400, "kind"),
])
def test_a_bad_timing_is_refused_naming_the_field(client, clock, timing, status, culprit):
    answer = client.post(f"{BASE}/preview", json=timing)
    assert answer.status_code == status
    assert culprit in str(answer.get_json())


def test_a_schedule_is_created_listed_fired_and_its_history_shows_the_run(app, client, clock):
    created = client.post(BASE, json=NIGHTLY)
    assert created.status_code == 201, created.get_json()
    schedule = created.get_json()
    assert schedule["next_fire"] == "2026-03-28T01:30:00+00:00"
    assert schedule["upcoming"][1] == "2026-03-29T01:00:00+00:00"
    assert schedule["run"]["data_path_assignments"]["training_data"]["path"] == (
        "income/non_us.csv")
    assert [s["name"] for s in client.get(BASE).get_json()["schedules"]] == ["nightly"]

    app.extensions["designer"].scheduler.tick(datetime(2026, 3, 28, 1, 30, tzinfo=UTC))
    (entry,) = client.get(f"{BASE}/nightly").get_json()["history"]
    assert entry["status"] == "Queued" and entry["catch_up"] is False
    run = client.get(f"/api/v1/runs/{entry['run_id']}").get_json()
    assert run["source"] == "schedule" and run["experiment"] == "nightly"
    assert run["parameters"]["training_data"]["path"] == "income/non_us.csv"


def test_a_schedule_is_edited_disabled_enabled_and_deleted(client, clock):
    client.post(BASE, json=NIGHTLY)
    edited = client.put(f"{BASE}/nightly", json=NIGHTLY | {
        "kind": "interval", "cron": None, "interval_seconds": 600, "catch_up": False})
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["next_fire"] == (NOW + timedelta(minutes=10)).isoformat()
    assert client.post(f"{BASE}/nightly/disable").get_json()["enabled"] is False
    assert client.get(f"{BASE}/nightly").get_json()["next_fire"] is None
    clock["value"] = NOW + timedelta(hours=1, minutes=1)
    enabled = client.post(f"{BASE}/nightly/enable").get_json()
    assert enabled["enabled"] and enabled["next_fire"] == (NOW + timedelta(hours=1, minutes=10)
                                                           ).isoformat()
    assert client.delete(f"{BASE}/nightly").status_code == 204
    missing = client.get(f"{BASE}/nightly")
    assert missing.status_code == 404 and "no schedule 'nightly'" in missing.get_json()["error"]


def test_names_are_unique_per_endpoint_and_follow_the_name_rule(client, clock):
    assert client.post(BASE, json=NIGHTLY).status_code == 201
    again = client.post(BASE, json=NIGHTLY)
    assert again.status_code == 409 and "nightly" in again.get_json()["error"]
    assert client.post(BASE, json=NIGHTLY | {"name": "no spaces"}).status_code == 400


def test_a_run_value_the_submit_refuses_is_refused_when_saving(client, clock):
    answer = client.post(BASE, json=NIGHTLY | {"run": {"ParameterAssignments": {"seed": 1}}})
    assert answer.status_code == 422 and "seed" in answer.get_json()["error"]
    unknown = client.post("/api/v1/endpoints/nope/schedules", json=NIGHTLY)
    assert unknown.status_code == 404


def test_viewers_read_schedules_and_preview_but_cannot_change_them(app, client, clock):
    client.post(BASE, json=NIGHTLY)
    viewer = principal_headers(app, "watcher", "viewer")
    assert app.test_client().get(BASE, headers=viewer).status_code == 200
    assert app.test_client().post(f"{BASE}/preview", headers=viewer, json={
        "kind": "interval", "interval_seconds": 60}).status_code == 200
    refused = app.test_client().post(f"{BASE}/nightly/disable", headers=viewer)
    assert refused.status_code == 403


def test_a_new_data_trigger_is_saved_with_its_watch_and_has_no_fire_times(client, clock):
    answer = client.post(BASE, json={"name": "incoming", "kind": "new_data", "watch": {
        "datastore": "samples", "pattern": "incoming/*.csv", "parameter": "training_data",
        "poll_seconds": 5, "settle_seconds": 3}})
    assert answer.status_code == 201, answer.get_json()
    trigger = answer.get_json()
    assert trigger["watch"] == {"datastore": "samples", "pattern": "incoming/*.csv",
                                "parameter": "training_data", "poll_seconds": 5,
                                "settle_seconds": 3}
    assert trigger["upcoming"] == [] and trigger["next_fire"] is None
    no_watch = client.post(BASE, json={"name": "other", "kind": "new_data"})
    assert no_watch.status_code == 422 and no_watch.get_json()["field"] == "watch"
    stray = client.post(BASE, json=NIGHTLY | {"name": "x", "watch": trigger["watch"]})
    assert stray.status_code == 422 and stray.get_json()["field"] == "watch"
    preview = client.post(f"{BASE}/preview", json={"kind": "new_data"})
    assert preview.status_code == 422 and "no fire times" in preview.get_json()["error"]


def test_a_schedule_on_a_fixed_version_runs_that_version_with_its_parameter_values(
        app, client, clock):
    from tests.api.test_endpoints import income_id

    pid = income_id(client)
    added = client.post(f"/api/v1/pipelines/{pid}/parameters", json={
        "revision": 1, "parameter": {"name": "split_seed", "type": "int", "default": 1},
        "attach": [{"node": "split", "field": "seed"}]})
    assert added.status_code == 201, added.get_json()
    published = client.post(f"/api/v1/pipelines/{pid}/publish",
                            json={"endpoint": "income-retrain"}).get_json()
    created = client.post(BASE, json=NIGHTLY | {"version": published["version"], "run": {
        **NIGHTLY["run"], "ParameterAssignments": {"split_seed": 7}}})
    assert created.status_code == 201, created.get_json()
    assert client.get("/api/v1/endpoints/income-retrain").get_json()["default_version"] != (
        published["version"])  # the default stays the older version

    app.extensions["designer"].scheduler.tick(datetime(2026, 3, 28, 1, 30, tzinfo=UTC))
    (entry,) = client.get(f"{BASE}/nightly").get_json()["history"]
    run = client.get(f"/api/v1/runs/{entry['run_id']}").get_json()
    assert run["endpoint_version"] == published["version"]
    assert run["parameters"]["split_seed"] == 7
    assert run["parameters"]["training_data"]["path"] == "income/non_us.csv"
    # A value the fixed version has no parameter for is refused when saving.
    other = client.post(BASE, json=NIGHTLY | {"name": "older", "run": {
        **NIGHTLY["run"], "ParameterAssignments": {"split_seed": 7}}})
    assert other.status_code == 422 and "split_seed" in str(other.get_json())
