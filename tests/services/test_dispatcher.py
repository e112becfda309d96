"""The dispatcher fills a free slot at once: when a run ends and when a run is queued.

The fallback poll is set to a minute, so a run that waits for it would miss the test's
deadline; the deadline itself is generous for a loaded machine.
"""

import pytest

from tests.conftest import bearer, make_app, wait_for

TWO_STEPS = {"name": "Two steps", "nodes": [
    {"id": "data", "module": "enter_data_manually", "params": {"data": "a,b\n1,2\n3,4\n"}},
    {"id": "pick", "module": "select_columns", "params": {}}],
    "edges": [{"from": {"node": "data", "port": "dataset"},
               "to": {"node": "pick", "port": "dataset"}}]}
NO_POLL = 60.0
DEADLINE = 40.0


@pytest.fixture
def one_slot(tmp_path):
    """An app running one run at a time that polls only once a minute."""
    application = make_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
                            "DESIGNER_MAX_CONCURRENT_RUNS": 1, "DESIGNER_EXECUTOR": "local",
                            "DESIGNER_POLL_SECONDS": NO_POLL})
    client = application.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer(application)}"
    yield application, client
    application.extensions["designer"].shutdown()


def submit(client) -> str:
    response = client.post("/api/v1/runs", json={"document": TWO_STEPS,
                                                  "regenerate_outputs": True})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def statuses(client, ids):
    return [client.get(f"/api/v1/runs/{i}").get_json()["status"] for i in ids]


def test_queued_runs_follow_each_other_without_waiting_for_the_poll(one_slot):
    app, client = one_slot
    ids = [submit(client) for _ in range(4)]
    app.extensions["designer"].start_dispatcher()
    wait_for(lambda: statuses(client, ids) == ["Finished"] * 4,
             "four queued runs to finish one after another", DEADLINE)


def test_a_run_submitted_to_an_idle_dispatcher_starts_at_once(one_slot):
    app, client = one_slot
    app.extensions["designer"].start_dispatcher()
    for _ in range(3):  # each submit finds the dispatcher asleep until the next poll
        run_id = submit(client)
        wait_for(lambda run_id=run_id: statuses(client, [run_id]) == ["Finished"],
                 "a run submitted while idle to finish", DEADLINE)
