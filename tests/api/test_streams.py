"""Live-update streams are capped per user and overall, over real HTTP on waitress threads."""

import threading
from http.client import HTTPConnection

import pytest
from waitress import wasyncore
from waitress.server import create_server

from app.services import auth
from tests.api.test_runs import submit
from tests.conftest import bearer
from tests.helpers_server import http

PER_USER, OVERALL = 2, 3


@pytest.fixture
def waitress_url(app):
    """The app on waitress with one thread more than the stream cap (no dispatcher: runs wait)."""
    app.config.update(DESIGNER_SSE_PER_USER=PER_USER, DESIGNER_SSE_MAX=OVERALL,
                      DESIGNER_SSE_SECONDS=30)
    server = create_server(app, host="127.0.0.1", port=0, threads=OVERALL + 1)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.task_dispatcher.shutdown(timeout=1)
    wasyncore.close_all(server._map)
    thread.join(timeout=10)


def open_stream(url, run_id, token):
    """Open an event stream; (status, connection, response) once its headers arrived."""
    host, port = url.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", f"/api/v1/runs/{run_id}/events",
                       headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    return response.status, connection, response


def test_streams_past_the_caps_are_refused_and_health_still_answers(app, client, waitress_url):
    run_id = submit(client).get_json()["id"]
    with app.app_context():
        other, secret = auth.create_client("other", "viewer")
        other_id = other.client_id
    alice, bob = bearer(app), bearer(app, (other_id, secret))
    opened = []
    try:
        for _ in range(PER_USER):
            status, connection, response = open_stream(waitress_url, run_id, alice)
            assert status == 200
            assert response.readline() == b"retry: 1000\n"
            opened.append(connection)
        status, connection, response = open_stream(waitress_url, run_id, alice)
        assert status == 429
        assert b"the limit is 2 per user" in response.read()
        connection.close()
        status, connection, _ = open_stream(waitress_url, run_id, bob)
        assert status == 200
        opened.append(connection)
        status, connection, response = open_stream(waitress_url, run_id, bob)
        assert status == 429
        assert b"(the limit is 3)" in response.read()
        connection.close()
        assert http("GET", waitress_url + "/health", timeout=10)[0] == 200
    finally:
        for connection in opened:
            connection.close()


def test_a_closed_stream_gives_its_slot_back(app, client):
    app.config.update(DESIGNER_SSE_PER_USER=1, DESIGNER_SSE_SECONDS=30)
    run_id = submit(client).get_json()["id"]
    first = client.get(f"/api/v1/runs/{run_id}/events", buffered=False)
    assert first.status_code == 200
    assert client.get(f"/api/v1/runs/{run_id}/events").status_code == 429
    first.close()
    again = client.get(f"/api/v1/runs/{run_id}/events", buffered=False)
    assert again.status_code == 200
    again.close()
