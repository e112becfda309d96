"""`designer webhooks ...`: list, add, edit, enable, disable and delete webhooks, send a test,
read the delivery log (the routes of /api/v1/webhooks)."""

from __future__ import annotations

import json

import click
from pydantic import ValidationError

from .cli_schedules import service_call
from .services.webhooks import EVENTS, TEST_EVENT

EVENT = click.Choice(EVENTS)


def _checked(model, data: dict) -> dict:
    """``data`` checked as the REST route checks it, or a CLI error naming each field."""
    try:
        return model.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                             for e in exc.errors())
        raise click.ClickException(problems) from None


def _line(hook: dict) -> str:
    return "\t".join([hook["id"], hook["url"], hook["endpoint"] or "(all endpoints)",
                      ",".join(hook["events"]), "enabled" if hook["enabled"] else "disabled"])


def _delivery_line(delivery: dict) -> str:
    tried = ", ".join(str(a["status_code"]) if a["status_code"] is not None else a["error"]
                      for a in delivery["attempts"]) or "-"
    state = delivery["state"]
    if delivery["next_attempt_at"] and delivery["attempts"]:
        state += f" (next attempt {delivery['next_attempt_at']})"
    return "\t".join([str(delivery["id"]), delivery["created"], delivery["event"], state, tried])


@click.group()
def webhooks():
    """Webhooks: signed POSTs when runs end or models are promoted (sent by `designer serve`
    and `designer worker`)."""


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def webhooks_list(as_json):
    """List webhooks: id, URL, endpoint, events, state (secrets are never shown again)."""
    from .services import webhooks as service

    rows = service_call(lambda: [service.as_dict(h) for h in service.list_all()])
    for hook in rows:
        click.echo(json.dumps(hook) if as_json else _line(hook))


@webhooks.command("add")
@click.argument("url")
@click.option("--event", "events", multiple=True, required=True, type=EVENT,
              help="An event to send; repeat for several.")
@click.option("--endpoint", help="Only this pipeline endpoint's events (default: all).")
def webhooks_add(url, events, endpoint):
    """Add a webhook for URL; prints it and its signing secret (shown this once)."""
    from .api.bodies import WebhookBody
    from .services import webhooks as service

    data = _checked(WebhookBody, {"url": url, "events": list(events), "endpoint": endpoint})

    def add():
        hook, secret = service.create(data["url"], data["events"], data.get("endpoint"),
                                      by="cli")
        return _line(service.as_dict(hook)), secret

    row, secret = service_call(add)
    click.echo(row)
    click.echo(f"  secret: {secret} (shown once: receivers check signatures with it)")


@webhooks.command("edit")
@click.argument("hook_id")
@click.option("--url", help="A new URL (checked against the outbound address rules).")
@click.option("--event", "events", multiple=True, type=EVENT,
              help="The events to send, replacing the old list; repeat for several.")
@click.option("--endpoint", help="Only this pipeline endpoint's events from now on.")
@click.option("--all-endpoints", is_flag=True, help="Every endpoint's events from now on.")
def webhooks_edit(hook_id, url, events, endpoint, all_endpoints):
    """Change webhook HOOK_ID; what is not given stays, and so does its secret."""
    from .api.bodies import WebhookChanges
    from .services import webhooks as service

    if endpoint and all_endpoints:
        raise click.UsageError("Give --endpoint or --all-endpoints, not both.")
    given = {"url": url, "events": list(events) or None, "endpoint": endpoint}
    changes = _checked(WebhookChanges, {k: v for k, v in given.items() if v is not None} | (
        {"endpoint": None} if all_endpoints else {}))
    if not changes:
        raise click.UsageError("Nothing to change: give --url, --event, --endpoint or "
                               "--all-endpoints.")
    click.echo(service_call(lambda: _line(service.as_dict(service.update(hook_id, changes)))))


def _switch(hook_id: str, enabled: bool) -> str:
    from .services import webhooks as service

    return service_call(lambda: _line(service.as_dict(service.set_enabled(hook_id, enabled))))


@webhooks.command("enable")
@click.argument("hook_id")
def webhooks_enable(hook_id):
    """Send events to webhook HOOK_ID again."""
    click.echo(_switch(hook_id, True))


@webhooks.command("disable")
@click.argument("hook_id")
def webhooks_disable(hook_id):
    """Send webhook HOOK_ID nothing until enabled (a test is still sent)."""
    click.echo(_switch(hook_id, False))


@webhooks.command("delete")
@click.argument("hook_id")
def webhooks_delete(hook_id):
    """Delete webhook HOOK_ID and its delivery log."""
    from .services import webhooks as service

    service_call(lambda: service.delete(hook_id))
    click.echo(f"deleted webhook {hook_id}")


@webhooks.command("send-test")
@click.argument("hook_id")
def webhooks_send_test(hook_id):
    """Send a signed test event to HOOK_ID now and print the answer; exit 1 if it was not
    accepted (retries, if any, are sent by `designer serve`)."""
    from .services import webhooks as service

    def send():
        return service.delivery_dict(service.send_test(hook_id, at_once=True))

    delivery = service_call(send)
    click.echo(_delivery_line(delivery))
    if not delivery["attempts"]:  # a running server claimed it first
        click.echo(f"  sent by a running server: see `designer webhooks deliveries {hook_id}`")
    elif not delivery["delivered"]:
        raise click.ClickException(f"the {TEST_EVENT} delivery {delivery['id']} was not "
                                   "accepted: " + _delivery_line(delivery).rsplit("\t", 1)[1])


@webhooks.command("deliveries")
@click.argument("hook_id")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def webhooks_deliveries(hook_id, limit, as_json):
    """The delivery log of HOOK_ID, newest first: id, time, event, state, each attempt's status
    code or error."""
    from .services import webhooks as service

    for delivery in service_call(lambda: service.deliveries(hook_id, limit)):
        click.echo(json.dumps(delivery) if as_json else _delivery_line(delivery))
