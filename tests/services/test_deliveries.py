"""Webhook deliveries kept in the database: a retry survives a restart of the app, and on one
PostgreSQL database two apps send each attempt once; each retry waits twice as long."""

import hashlib
import hmac
import time
from collections import Counter
from datetime import datetime, timedelta

from app import create_app
from app.extensions import db
from app.services import deliveries, webhooks
from app.services.firetimes import as_utc
from tests.api.test_webhooks import Receiver
from tests.conftest import make_app, postgres_schema, search_path, wait_for

HOOKS = {"SECRET_KEY": "test", "DESIGNER_OUTBOUND_ALLOW": "127.0.0.1",
         "DESIGNER_WEBHOOK_ATTEMPTS": 3}


def delivery_log(app, hook_id):
    with app.app_context():
        return webhooks.deliveries(hook_id)


def close(app):
    app.extensions["designer"].shutdown()
    with app.app_context():
        db.engine.dispose()


def test_a_retry_pending_when_the_app_stops_is_sent_by_the_app_started_next(tmp_path):
    receiver = Receiver([500])
    config = HOOKS | {"DESIGNER_HOME": str(tmp_path / "instance"),
                      "DESIGNER_WEBHOOK_BACKOFF_SECONDS": 1.0}
    first = make_app(config)
    with first.app_context():
        hook, secret = webhooks.create(receiver.url, ["run.finished"], None, by="tests")
        hook_id = hook.id
        webhooks.send_test(hook_id)
    (failed,) = wait_for(lambda: [d for d in delivery_log(first, hook_id) if d["attempts"]],
                         "the first attempt")
    assert failed["state"] == "pending" and failed["status_code"] == 500
    assert failed["next_attempt_at"] > failed["attempts"][0]["at"]
    close(first)  # a restart: the retry waits in the database
    time.sleep(1.5)  # the retry is due by now, and nobody sends it
    assert len(receiver.received) == 1

    second = create_app(config)
    try:
        second.extensions["designer"].start_webhook_sender()
        (done,) = wait_for(lambda: [d for d in delivery_log(second, hook_id)
                                    if d["state"] != "pending"], "the retry after the restart")
    finally:
        close(second)
        receiver.close()
    assert done["delivered"] and done["next_attempt_at"] is None
    assert [a["status_code"] for a in done["attempts"]] == [500, 200]
    assert len(receiver.received) == 2
    (headers, body), (retry_headers, retry_body) = receiver.received
    assert retry_body == body and retry_headers["X-Designer-Delivery"] == str(done["id"])
    expected = "sha256=" + hmac.new(secret.encode(), retry_body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(retry_headers["X-Designer-Signature"], expected)


def fails_first_of_each():
    """A receiver's answer: 503 to each delivery's first attempt, 200 after."""
    seen = Counter()

    def answer(headers):
        seen[headers["X-Designer-Delivery"]] += 1
        return 503 if seen[headers["X-Designer-Delivery"]] == 1 else 200

    return answer


def test_two_apps_on_one_postgresql_database_send_each_attempt_once(tmp_path):
    count = 30
    receiver = Receiver(answer=fails_first_of_each())
    with postgres_schema("wh") as (url, schema):
        config = HOOKS | {"DESIGNER_HOME": str(tmp_path / "instance"),
                          "SQLALCHEMY_DATABASE_URI": url,
                          "SQLALCHEMY_ENGINE_OPTIONS": search_path(schema),
                          "DESIGNER_WEBHOOK_BACKOFF_SECONDS": 0.2,
                          "DESIGNER_WEBHOOK_POLL_SECONDS": 0.1}
        apps = [create_app(config), create_app(config)]
        try:
            with apps[0].app_context():
                hook, _ = webhooks.create(receiver.url, ["run.finished"], None, by="tests")
                hook_id = hook.id
                queued = [d.id for d in deliveries.queue([hook_id] * count, "test", {"n": 1})]
            for app in apps:  # both look for due deliveries at once
                app.extensions["designer"].start_webhook_sender()
            log = wait_for(lambda: (found := delivery_log(apps[1], hook_id)) and all(
                d["state"] != "pending" for d in found) and found, "every delivery", 60)
        finally:
            for app in apps:
                close(app)
            receiver.close()
    assert sorted(d["id"] for d in log) == sorted(queued)
    assert {d["state"] for d in log} == {"delivered"}
    assert {len(d["attempts"]) for d in log} == {2}
    sent = Counter(h["X-Designer-Delivery"] for h, _ in receiver.received)
    assert sent == Counter({str(i): 2 for i in queued})


def test_each_retry_waits_twice_as_long_as_the_one_before(tmp_path):
    receiver = Receiver([500] * 4)
    app = make_app(HOOKS | {"DESIGNER_HOME": str(tmp_path / "instance")})
    try:
        with app.app_context():
            hook, _ = webhooks.create(receiver.url, ["run.finished"], None, by="tests")
            (queued,) = deliveries.queue([hook.id], "test", {"message": "backoff"})
            waits = []
            for _ in range(3):  # attempts made here, each as soon as it is claimed
                assert deliveries.claim(queued.id)
                sent = deliveries.attempt(queued.id, attempts=4, backoff=30.0)
                last = datetime.fromisoformat(sent.attempts[-1]["at"])
                waits.append((as_utc(sent.next_attempt_at) - last).total_seconds())
                sent.next_attempt_at = as_utc(sent.next_attempt_at) - timedelta(hours=1)
                db.session.commit()  # due again at once, so the next claim may take it
            assert [round(w) for w in waits] == [30, 60, 120]
            assert [a["status_code"] for a in sent.attempts] == [500] * 3
            assert deliveries.claim(queued.id)
            assert deliveries.attempt(queued.id, attempts=4, backoff=30.0).state == "failed"
    finally:
        close(app)
        receiver.close()
    assert len(receiver.received) == 4
