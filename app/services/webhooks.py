"""Webhooks: tell other systems that a run finished, failed or was canceled, or that a model
was promoted. Per pipeline endpoint, or for all.

Each delivery POSTs a JSON body signed with the webhook's secret (header ``X-Designer-
Signature: sha256=<HMAC-SHA256 of the body>``), through the guarded outbound client, so a URL
obeys Import Data's address rules. Deliveries run on a small thread pool, never in the thread
that finished the run; a failed attempt is retried with exponential backoff, and every attempt
is logged with its status code or error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from sqlalchemy import or_, select

from ..engine.outbound import OutboundError, OutboundPolicy, check, post, redacted
from ..errors import NotFound, Unprocessable
from ..extensions import db
from ..models import PipelineEndpoint, Run, Webhook, WebhookDelivery, iso, now
from . import audit, publishing

log = logging.getLogger(__name__)
RUN_EVENTS = {"Finished": "run.finished", "Failed": "run.failed", "Canceled": "run.canceled"}
EVENTS = (*RUN_EVENTS.values(), "model.promoted")
TEST_EVENT = "test"
SIGNATURE_HEADER = "X-Designer-Signature"
LOG_LIMIT = 100


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: what a receiver recomputes with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _policy() -> OutboundPolicy:
    config = current_app.config
    return OutboundPolicy.from_settings(config["DESIGNER_OUTBOUND_ALLOW"],
                                        timeout=config["DESIGNER_OUTBOUND_SECONDS"])


# -- managing ---------------------------------------------------------------------------------
def create(url: str, events: list[str], endpoint: str | None, *, by: str) -> tuple[Webhook, str]:
    """A new webhook and its secret (returned this once: receivers check signatures with it)."""
    try:
        check(url, _policy())
    except OutboundError as exc:
        raise Unprocessable(f"The webhook URL cannot be used: {exc}", field="url") from None
    target = publishing.find(endpoint) if endpoint else None
    secret = secrets.token_hex(32)
    hook = Webhook(url=url, secret=secret, events=list(dict.fromkeys(events)),
                   endpoint=target, created_by=by)
    db.session.add(hook)
    db.session.commit()
    audit.record("webhook.create", redacted(url), {"endpoint": endpoint, "events": hook.events})
    return hook, secret


def find(hook_id: str) -> Webhook:
    """A webhook by id, or NotFound."""
    hook = db.session.get(Webhook, hook_id)
    if hook is None:
        raise NotFound(f"Webhook '{hook_id}' does not exist.")
    return hook


def list_all() -> list[Webhook]:
    """Every webhook, oldest first."""
    return list(db.session.scalars(select(Webhook).order_by(Webhook.created)))


def set_enabled(hook_id: str, enabled: bool) -> Webhook:
    """Enable or disable a webhook (a disabled one is sent nothing)."""
    hook = find(hook_id)
    hook.enabled = enabled
    db.session.commit()
    audit.record("webhook.enable" if enabled else "webhook.disable", redacted(hook.url))
    return hook


def delete(hook_id: str) -> None:
    """Delete a webhook and its delivery log."""
    hook = find(hook_id)
    target = redacted(hook.url)
    db.session.delete(hook)
    db.session.commit()
    audit.record("webhook.delete", target)


# -- sending ----------------------------------------------------------------------------------
class Sender:
    """This process's delivery threads; each delivery retries with backoff until it succeeds
    or its attempts run out."""

    def __init__(self, app: Flask, attempts: int, backoff: float):
        self.app, self.attempts, self.backoff = app, attempts, backoff
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook")

    def send(self, delivery_id: int):
        """Deliver in the background; the future of the last attempt's status code."""
        return self._pool.submit(self._deliver, delivery_id)

    def shutdown(self) -> None:
        """Stop at once (deliveries not yet delivered keep their log)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _deliver(self, delivery_id: int) -> int | None:
        with self.app.app_context():
            try:
                return self._attempts(delivery_id)
            finally:
                db.session.remove()

    def _attempts(self, delivery_id: int) -> int | None:
        delivery = db.session.get(WebhookDelivery, delivery_id)
        hook = delivery.webhook
        body = json.dumps(delivery.payload, sort_keys=True).encode()
        headers = {SIGNATURE_HEADER: sign(hook.secret, body), "X-Designer-Event": delivery.event,
                   "X-Designer-Delivery": str(delivery.id)}
        url, policy, status = hook.url, _policy(), None
        db.session.commit()  # no transaction stays open while the receiver answers
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                status, error = post(url, body, headers, policy), ""
            except OutboundError as exc:
                status, error = None, str(exc)
            delivery.attempts = [*delivery.attempts, {"at": iso(now()), "status_code": status,
                                                      "error": error}]
            delivery.status_code, delivery.delivered = status, bool(status and status < 300)
            db.session.commit()
            if delivery.delivered:
                break
        if not delivery.delivered:
            log.warning("webhook delivery %s to %s failed %s times", delivery.id,
                        redacted(url), self.attempts)
        return status


def _sender() -> Sender:
    from .runtime import runtime  # the runtime owns the threads

    return runtime().webhook_sender


def _queue(hooks, event: str, payload: dict) -> list[WebhookDelivery]:
    deliveries = [WebhookDelivery(webhook_id=h.id, event=event, payload=payload | {
        "event": event}, attempts=[]) for h in hooks]
    db.session.add_all(deliveries)
    db.session.commit()
    for d in deliveries:
        _sender().send(d.id)
    return deliveries


def _subscribed(event: str, endpoint_id: str | None) -> list[Webhook]:
    mine = Webhook.endpoint_id.is_(None)
    if endpoint_id:
        mine = or_(mine, Webhook.endpoint_id == endpoint_id)
    return [h for h in db.session.scalars(select(Webhook).where(Webhook.enabled.is_(True), mine))
            if event in h.events]


def run_ended(run_id: str) -> None:
    """The hook run completion calls: queue the deliveries a finished, failed or canceled run
    is due (a failure here is logged; the run's own state is already saved)."""
    try:
        run = db.session.get(Run, run_id)
        event = RUN_EVENTS.get(run.status) if run else None
        if event is None:
            return
        hooks = _subscribed(event, run.endpoint_id)
        if hooks:
            _queue(hooks, event, run_payload(run))
    except Exception:
        log.exception("run %s: queueing its webhooks failed", run_id)
        db.session.rollback()


def run_payload(run: Run) -> dict:
    """What a run's webhook says: id, status, endpoint, version, parameters, metrics."""
    endpoint = db.session.get(PipelineEndpoint, run.endpoint_id) if run.endpoint_id else None
    return {"run_id": run.id, "status": run.status, "status_reason": run.status_reason,
            "endpoint": endpoint.name if endpoint else None, "version": run.endpoint_version,
            "experiment": run.experiment.name, "parameters": run.parameters,
            "metrics": {s.node_id: s.metrics for s in run.steps if s.metrics},
            "finished": iso(run.finished)}


def model_promoted(realtime_endpoint, decision) -> None:
    """Queue the deliveries of a promotion: webhooks for all, and those of the pipeline
    endpoint whose retrains the real-time endpoint takes."""
    try:
        linked = realtime_endpoint.pipeline_endpoint_id
        hooks = _subscribed("model.promoted", linked)
        if hooks:
            _queue(hooks, "model.promoted", {
                "realtime_endpoint": realtime_endpoint.name, "model": decision.challenger,
                "previous": decision.champion, "automatic": decision.automatic,
                "reason": decision.reason, "endpoint": realtime_endpoint.pipeline_endpoint.name
                if realtime_endpoint.pipeline_endpoint else None})
    except Exception:
        log.exception("promotion webhooks of %s failed", realtime_endpoint.name)
        db.session.rollback()


def send_test(hook_id: str) -> WebhookDelivery:
    """Queue a test delivery to one webhook (enabled or not)."""
    hook = find(hook_id)
    (delivery,) = _queue([hook], TEST_EVENT, {
        "message": "A test delivery from Pipeline Designer.",
        "endpoint": hook.endpoint.name if hook.endpoint else None})
    return delivery


# -- reading ----------------------------------------------------------------------------------
def deliveries(hook_id: str, limit: int = LOG_LIMIT) -> list[dict]:
    """The webhook's delivery log, newest first."""
    find(hook_id)
    rows = db.session.scalars(select(WebhookDelivery).filter_by(webhook_id=hook_id)
                              .order_by(WebhookDelivery.id.desc()).limit(limit))
    return [delivery_dict(d) for d in rows]


def delivery_dict(d: WebhookDelivery) -> dict:
    """JSON form of a delivery with its attempts."""
    return {"id": d.id, "event": d.event, "payload": d.payload, "attempts": d.attempts,
            "status_code": d.status_code, "delivered": d.delivered, "created": iso(d.created)}


def as_dict(hook: Webhook) -> dict:
    """JSON form of a webhook (never its secret)."""
    return {"id": hook.id, "url": hook.url, "endpoint": hook.endpoint.name if hook.endpoint
            else None, "events": hook.events, "enabled": hook.enabled,
            "created_by": hook.created_by, "created": iso(hook.created)}
