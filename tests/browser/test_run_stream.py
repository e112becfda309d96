"""The run view's live stream ends after DESIGNER_SSE_SECONDS; the page's EventSource
reconnects by itself, resumes after the last event it saw and keeps the page updating."""

import pytest
from playwright.sync_api import expect

from tests.browser import probe
from tests.browser.conftest import api
from tests.gate import gated_document

RUN_TIMEOUT = 60_000


@pytest.fixture
def app(app):
    """The app with one-second event streams."""
    app.config["DESIGNER_SSE_SECONDS"] = 1.0
    return app


def test_the_stream_reconnects_and_the_page_keeps_updating(page, tmp_path):
    release = tmp_path / "release"
    response = api(page, "POST", "/api/v1/runs", data={
        "document": gated_document("Reconnecting", release), "experiment": "live"})
    assert response.status == 202, response.text()
    run_id = response.json()["id"]
    streams = []  # the Last-Event-ID of each request for the run's stream

    def seen(request):
        if request.url.endswith(f"/api/v1/runs/{run_id}/events"):
            streams.append(request.all_headers().get("last-event-id"))

    page.on("request", seen)
    probe.install(page)
    page.goto(f"/runs/{run_id}")
    gate = page.get_by_role("list", name="Steps").get_by_role("button").filter(
        has_text="Test Gate").get_by_test_id("step-status")
    expect(gate).to_have_text("Running", timeout=RUN_TIMEOUT)

    # While the gate holds the run, each stream ends after a second and the same EventSource
    # opens the next one, resuming after the last event it received.
    probe.wait_until(page, lambda: len(streams) >= 3, timeout=30_000, what="two reconnections")
    before = probe.state(page)
    assert before["sources"] == 1
    last = str(max(event["id"] for event in before["events"]))
    assert streams[0] is None and streams[1:] == [last] * (len(streams) - 1)

    # What happens next reaches the page through a reconnected stream.
    release.touch()
    expect(gate).to_have_text("Finished", timeout=RUN_TIMEOUT)
    expect(page.get_by_test_id("run-status")).to_have_text("Finished")
    after = probe.state(page)
    assert after["sources"] == 1
    ids = [event["id"] for event in after["events"]]
    assert ids == sorted(set(ids))  # nothing delivered twice
    later = [(event["data"]["node_id"], event["data"]["status"])
             for event in after["events"] if event["id"] > int(last)]
    assert ("gate", "Finished") in later
    assert page.errors == []
