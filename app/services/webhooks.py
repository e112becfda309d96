"""Webhooks: tell other systems that a run finished, failed or was canceled, or that a model
was promoted. Per pipeline endpoint, or for all.

Each delivery POSTs a JSON body signed with the webhook's secret (header ``X-Designer-
Signature: sha256=<HMAC-SHA256 of the body>``), through the guarded outbound client, so a URL
obeys Import Data's address rules. Deliveries are rows in the database, sent by a sender
thread, never in the thread that finished the run; a failed attempt is retried with
exponential backoff by whichever process claims it (``app.services.deliveries``), and every
attempt is logged with its status code or error.
"""

from __future__ import annotations

import logging
import secrets

from flask import current_app
from sqlalchemy import or_, select

from ..engine.outbound import OutboundError, check, redacted
from ..errors import NotFound, Unprocessable
from ..extensions import db
from ..models import PipelineEndpoint, Run, Webhook, WebhookDelivery, iso
from . import audit, publishing
from . import deliveries as queued
from .deliveries import DELIVERED, PENDING

log = logging.getLogger(__name__)
RUN_EVENTS = {"Finished": "run.finished", "Failed": "run.failed", "Canceled": "run.canceled"}
EVENTS = (*RUN_EVENTS.values(), "model.promoted")
TEST_EVENT = "test"
LOG_LIMIT = 100


def _checked_url(url: str) -> str:
    try:
        check(url, queued.policy())
    except OutboundError as exc:
        raise Unprocessable(f"The webhook URL cannot be used: {exc}", field="url") from None
    return url


# -- managing ---------------------------------------------------------------------------------
def create(url: str, events: list[str], endpoint: str | None, *, by: str) -> tuple[Webhook, str]:
    """A new webhook and its secret (returned this once: receivers check signatures with it)."""
    _checked_url(url)
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


def update(hook_id: str, changes: dict) -> Webhook:
    """Change a webhook's URL, events or endpoint (``endpoint`` None: every endpoint); the
    secret stays."""
    hook = find(hook_id)
    if "url" in changes:
        hook.url = _checked_url(changes["url"])
    if "events" in changes:
        hook.events = list(dict.fromkeys(changes["events"]))
    if "endpoint" in changes:
        hook.endpoint = publishing.find(changes["endpoint"]) if changes["endpoint"] else None
    db.session.commit()
    audit.record("webhook.update", redacted(hook.url), {
        "endpoint": hook.endpoint.name if hook.endpoint else None, "events": hook.events})
    return hook


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
def _queue(hooks, event: str, payload: dict, *, wake: bool = True) -> list[WebhookDelivery]:
    rows = queued.queue([h.id for h in hooks], event, payload)
    if wake:
        from .runtime import runtime  # the runtime owns the threads

        runtime().webhook_sender.wake()
    return rows


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


def send_test(hook_id: str, *, at_once: bool = False) -> WebhookDelivery:
    """Queue a test delivery to one webhook (enabled or not); ``at_once``: make its first attempt
    in this thread (retries, if any, are left to the senders)."""
    hook = find(hook_id)
    (delivery,) = _queue([hook], TEST_EVENT, {
        "message": "A test delivery from Pipeline Designer.",
        "endpoint": hook.endpoint.name if hook.endpoint else None}, wake=not at_once)
    if at_once and queued.claim(delivery.id):
        config = current_app.config
        queued.attempt(delivery.id, config["DESIGNER_WEBHOOK_ATTEMPTS"],
                       config["DESIGNER_WEBHOOK_BACKOFF_SECONDS"])
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
            "status_code": d.status_code, "state": d.state, "delivered": d.state == DELIVERED,
            "next_attempt_at": iso(d.next_attempt_at) if d.state == PENDING else None,
            "created": iso(d.created)}


def as_dict(hook: Webhook) -> dict:
    """JSON form of a webhook (never its secret)."""
    return {"id": hook.id, "url": hook.url, "endpoint": hook.endpoint.name if hook.endpoint
            else None, "events": hook.events, "enabled": hook.enabled,
            "created_by": hook.created_by, "created": iso(hook.created)}
