"""Webhooks (admins): create, list, edit, enable, disable, delete, send a test, the delivery
log."""

from flask import Blueprint, jsonify

from ..services import webhooks
from . import answers, body, requires, who
from .bodies import WebhookBody, WebhookChanges

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks")


@bp.get("")
@requires("admin")
def list_webhooks():
    """Every webhook with its events and endpoint (secrets are never shown again)."""
    return jsonify({"webhooks": [webhooks.as_dict(h) for h in webhooks.list_all()],
                    "events": list(webhooks.EVENTS)})


@bp.post("")
@requires("admin")
@answers(201, 422)
@body(WebhookBody)
def create(payload: WebhookBody):
    """Add a webhook; the answer holds its signing secret, shown this once."""
    hook, secret = webhooks.create(payload.url, payload.events, payload.endpoint, by=who()[0])
    return jsonify(webhooks.as_dict(hook) | {"secret": secret}), 201


@bp.patch("/<hook_id>")
@requires("admin")
@answers(200, 422)
@body(WebhookChanges)
def update(hook_id, payload: WebhookChanges):
    """Change the URL, the events or the endpoint (null: every endpoint); the secret stays."""
    changes = payload.model_dump(exclude_unset=True)
    return jsonify(webhooks.as_dict(webhooks.update(hook_id, changes)))


@bp.post("/<hook_id>/enable")
@requires("admin")
def enable(hook_id):
    """Send events again."""
    return jsonify(webhooks.as_dict(webhooks.set_enabled(hook_id, True)))


@bp.post("/<hook_id>/disable")
@requires("admin")
def disable(hook_id):
    """Send nothing until enabled."""
    return jsonify(webhooks.as_dict(webhooks.set_enabled(hook_id, False)))


@bp.delete("/<hook_id>")
@requires("admin")
@answers(204)
def delete(hook_id):
    """Delete a webhook and its delivery log."""
    webhooks.delete(hook_id)
    return "", 204


@bp.post("/<hook_id>/test")
@requires("admin")
@answers(202)
def send_test(hook_id):
    """Send a signed test event now (in the background); see the delivery log for the answer."""
    return jsonify(webhooks.delivery_dict(webhooks.send_test(hook_id))), 202


@bp.get("/<hook_id>/deliveries")
@requires("admin")
def deliveries(hook_id):
    """The delivery log, newest first: each attempt's time and status code or error."""
    return jsonify({"deliveries": webhooks.deliveries(hook_id)})
