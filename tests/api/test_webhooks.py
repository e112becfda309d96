"""Webhooks against a real HTTP receiver: signed bodies, retries with backoff, the delivery log,
the test button's route, the outbound address rules."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import principal_headers, wait_for


class Receiver:
    """A local HTTP server that records each POST and answers the next queued status (or what
    ``answer(headers)`` says)."""

    def __init__(self, statuses=(), answer=None):
        self.statuses, self.received = list(statuses), []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append((dict(self.headers), body))
                    status = (answer(self.headers) if answer else
                              receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook?token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.close()


@pytest.fixture
def hooks_app(fetching_app):
    """The app may reach 127.0.0.1; deliveries retry three times, 0.05 s apart at first."""
    fetching_app.config.update(DESIGNER_WEBHOOK_ATTEMPTS=3, DESIGNER_WEBHOOK_BACKOFF_SECONDS=0.05)
    return fetching_app


def add_hook(client, url, events, endpoint=None):
    answer = client.post("/api/v1/webhooks", json={"url": url, "events": events,
                                                    "endpoint": endpoint})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def delivered_log(client, hook, count=1):
    """The delivery log once ``count`` deliveries are over (delivered or out of attempts)."""
    def done():
        log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["deliveries"]
        over = [d for d in log if d["delivered"] or len(d["attempts"]) == 3]
        return log if len(over) >= count else None

    return wait_for(done, "webhook deliveries", timeout=30)


def test_a_finished_retrain_is_posted_signed_and_retried_until_accepted(
        hooks_app, fetching_client, fetching_run_queued, receiver):
    receiver.statuses = [500, 503]
    hook = add_hook(fetching_client, receiver.url, ["run.finished"], endpoint="income-retrain")
    run_id = fetching_client.post("/api/v1/endpoints/income-retrain/submit", json={
        "ExperimentName": "hooks"}).get_json()["Id"]
    fetching_run_queued()

    (delivery,) = delivered_log(fetching_client, hook)
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["delivered"] and delivery["status_code"] == 200
    assert len(receiver.received) == 3
    headers, body = receiver.received[-1]
    expected = "sha256=" + hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Designer-Signature"], expected)
    assert headers["X-Designer-Event"] == "run.finished"
    sent = json.loads(body)
    assert sent["event"] == "run.finished" and sent["run_id"] == run_id
    assert (sent["status"], sent["endpoint"], sent["version"]) == ("Finished", "income-retrain", 0)
    assert sent["parameters"]["training_data"]["path"] == "income/us.csv"
    assert 0.8 < sent["metrics"]["evaluate"]["auc"] < 1


def test_a_canceled_run_reaches_a_webhook_for_all_endpoints(
        hooks_app, fetching_client, receiver):
    hook = add_hook(fetching_client, receiver.url, ["run.canceled", "run.failed"])
    run_id = fetching_client.post("/api/v1/endpoints/income-retrain/submit", json={}).get_json()[
        "Id"]
    fetching_client.post(f"/api/v1/runs/{run_id}/cancel")
    (delivery,) = delivered_log(fetching_client, hook)
    assert delivery["event"] == "run.canceled" and delivery["payload"]["run_id"] == run_id
    assert json.loads(receiver.received[0][1])["status"] == "Canceled"


def test_a_receiver_that_never_answers_well_is_logged_after_the_last_attempt(
        hooks_app, fetching_client):
    closed = Receiver()
    closed.close()  # nothing listens on its port any more
    hook = add_hook(fetching_client, closed.url, ["run.finished"])
    assert fetching_client.post(f"/api/v1/webhooks/{hook['id']}/test").status_code == 202
    (delivery,) = delivered_log(fetching_client, hook)
    assert not delivery["delivered"] and delivery["status_code"] is None
    assert [a["error"] for a in delivery["attempts"]] == [
        f"could not reach http://127.0.0.1:{closed.server.server_port}/hook"] * 3


def test_send_test_delivers_to_a_disabled_hook_and_events_skip_it(
        hooks_app, fetching_client, fetching_run_queued, receiver):
    hook = add_hook(fetching_client, receiver.url, ["run.finished"])
    assert fetching_client.post(f"/api/v1/webhooks/{hook['id']}/disable").get_json()[
        "enabled"] is False
    fetching_client.post("/api/v1/endpoints/income-retrain/submit", json={})
    fetching_run_queued()
    fetching_client.post(f"/api/v1/webhooks/{hook['id']}/test")
    (delivery,) = delivered_log(fetching_client, hook)
    assert delivery["event"] == "test" and delivery["delivered"]
    assert [h["X-Designer-Event"] for h, _ in receiver.received] == ["test"]
    assert fetching_client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert fetching_client.get("/api/v1/webhooks").get_json()["webhooks"] == []


@pytest.mark.parametrize(("url", "status", "message"), [
    ("http://127.0.0.1:9/hook", 422, "loopback address"),
    ("http://10.1.2.3/hook", 422, "private address"),
    ("ftp://example.com/hook", 400, "url"),
])
def test_webhook_urls_obey_the_outbound_address_rules(client, url, status, message):
    answer = client.post("/api/v1/webhooks", json={"url": url, "events": ["run.finished"]})
    assert answer.status_code == status
    assert message in json.dumps(answer.get_json())


def test_only_admins_manage_webhooks(app):
    editor = principal_headers(app, "author", "editor")
    assert app.test_client().get("/api/v1/webhooks", headers=editor).status_code == 403
    unknown = app.test_client().post("/api/v1/webhooks", headers=editor, json={
        "url": "https://example.com", "events": ["run.finished"]})
    assert unknown.status_code == 403


def test_a_promotion_is_posted_to_the_linked_pipeline_endpoints_webhooks(
        hooks_app, fetching_client, fetching_run_queued, receiver):
    from tests.api.test_champion import retrain

    first = retrain(fetching_client, fetching_run_queued)
    draft = fetching_client.post(f"/api/v1/runs/{first}/inference-pipeline").get_json()
    fetching_client.post(f"/api/v1/pipelines/{draft['id']}/deploy", json={"name": "income-live"})
    fetching_client.patch("/api/v1/realtime-endpoints/income-live",
                          json={"pipeline_endpoint": "income-retrain"})
    hook = add_hook(fetching_client, receiver.url, ["model.promoted"], endpoint="income-retrain")
    retrain(fetching_client, fetching_run_queued, "income/non_us.csv")
    promoted = fetching_client.post("/api/v1/realtime-endpoints/income-live/promote", json={
        "model": "income-retrain", "version": 2, "reason": "better on non-US data"})
    assert promoted.status_code == 200, promoted.get_json()

    (delivery,) = delivered_log(fetching_client, hook)
    assert delivery["event"] == "model.promoted" and delivery["delivered"]
    sent = json.loads(receiver.received[0][1])
    assert (sent["realtime_endpoint"], sent["model"], sent["previous"]) == (
        "income-live", "income-retrain:2", "income-retrain:1")
    assert sent["endpoint"] == "income-retrain" and sent["reason"] == "better on non-US data"


def test_a_run_a_dead_process_left_running_is_posted_as_failed_at_start_up(
        hooks_app, fetching_client, receiver):
    import socket
    import subprocess
    import sys

    from app import create_app
    from app.extensions import db
    from app.models import Run

    hook = add_hook(fetching_client, receiver.url, ["run.failed"], endpoint="income-retrain")
    run_id = fetching_client.post("/api/v1/endpoints/income-retrain/submit", json={}).get_json()[
        "Id"]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    with hooks_app.app_context():  # as a process killed while running it left it
        run = db.session.get(Run, run_id)
        run.status, run.worker = "Running", f"{socket.gethostname()}:{dead}"
        db.session.commit()
    restarted = create_app({key: hooks_app.config[key] for key in (
        "DESIGNER_HOME", "SECRET_KEY", "DESIGNER_OUTBOUND_ALLOW")})
    try:
        restarted.extensions["designer"].start_dispatcher()  # start-up recovery
        (delivery,) = delivered_log(fetching_client, hook)
    finally:
        restarted.extensions["designer"].shutdown()
    assert delivery["event"] == "run.failed" and delivery["delivered"]
    sent = json.loads(receiver.received[0][1])
    assert (sent["run_id"], sent["status"], sent["status_reason"]) == (
        run_id, "Failed", "interrupted")


def test_a_webhook_is_edited_and_keeps_its_secret(hooks_app, fetching_client, receiver):
    hook = add_hook(fetching_client, receiver.url, ["run.finished"], endpoint="income-retrain")
    route = f"/api/v1/webhooks/{hook['id']}"
    edited = fetching_client.patch(route, json={"events": ["run.failed", "model.promoted"],
                                                "endpoint": None})
    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["events"], edited.get_json()["endpoint"]) == (
        ["run.failed", "model.promoted"], None)
    assert "secret" not in edited.get_json()
    moved = fetching_client.patch(route, json={"endpoint": "income-retrain"}).get_json()
    assert moved["endpoint"] == "income-retrain" and moved["url"] == receiver.url
    fetching_client.post(f"{route}/test")
    delivered_log(fetching_client, hook)
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Designer-Signature"] == expected


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"url": "http://10.1.2.3/hook"}, 422, "private address"),
    ({"url": "ftp://example.com/hook"}, 400, "url"),
    ({"events": []}, 400, "events"),
    ({"events": ["run.started"]}, 400, "events"),
    ({"endpoint": "nope"}, 404, "Pipeline endpoint 'nope'"),
    ({"secret": "mine"}, 400, "secret"),
])
def test_a_bad_webhook_edit_is_refused_naming_the_field(hooks_app, fetching_client, receiver,
                                                        change, status, message):
    hook = add_hook(fetching_client, receiver.url, ["run.finished"])
    answer = fetching_client.patch(f"/api/v1/webhooks/{hook['id']}", json=change)
    assert answer.status_code == status and message in json.dumps(answer.get_json())
    unchanged = fetching_client.get("/api/v1/webhooks").get_json()["webhooks"][0]
    assert (unchanged["url"], unchanged["events"]) == (receiver.url, ["run.finished"])


def test_editing_an_unknown_webhook_is_404(client):
    answer = client.patch("/api/v1/webhooks/nope", json={"events": ["run.failed"]})
    assert answer.status_code == 404 and "Webhook 'nope' does not exist." in answer.get_json()[
        "error"]
