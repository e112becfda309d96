"""`designer schedules ...`: list, add, enable, disable and delete schedules and triggers."""

from __future__ import annotations

import json

import click
from pydantic import ValidationError


def _service(action):
    from .cli import _service as run_in_app  # the one place CLI commands enter the app

    return run_in_app(action)


def _pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    """NAME=VALUE options as a dict, or a usage error naming the bad one."""
    found = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint=option)
        found[name] = value
    return found


def _data_paths(items: tuple[str, ...]) -> dict[str, dict]:
    paths = {}
    for name, value in _pairs(items, "--data-path").items():
        datastore, sep, path = value.partition(":")
        if not sep:
            raise click.BadParameter(f"{value!r} is not DATASTORE:PATH", param_hint="--data-path")
        paths[name] = {"DataStoreName": datastore, "RelativePath": path}
    return paths


def _timing(cron, timezone, every, watch, parameter, poll, settle) -> dict:
    given = [g for g in (cron, every, watch) if g is not None]
    if len(given) != 1:
        raise click.UsageError("Give one of --cron, --every or --watch.")
    if cron:
        return {"kind": "cron", "cron": cron, "timezone": timezone}
    if every is not None:
        return {"kind": "interval", "interval_seconds": every}
    datastore, sep, pattern = watch.partition(":")
    if not sep or not parameter:
        raise click.UsageError("--watch takes DATASTORE:GLOB and needs --parameter.")
    return {"kind": "new_data", "watch": {"datastore": datastore, "pattern": pattern,
                                          "parameter": parameter, "poll_seconds": poll,
                                          "settle_seconds": settle}}


def _line(schedule: dict) -> str:
    when = {"cron": lambda s: f"{s['cron']} ({s['timezone']})",
            "interval": lambda s: f"every {s['interval_seconds']} s",
            "new_data": lambda s: f"{s['watch']['datastore']}:{s['watch']['pattern']}"}
    state = "enabled" if schedule["enabled"] else "disabled"
    return "\t".join([schedule["name"], schedule["kind"], when[schedule["kind"]](schedule),
                      state, schedule["next_fire"] or "-"])


@click.group()
def schedules():
    """Schedules and new-data triggers of pipeline endpoints (run by `designer serve`)."""


@schedules.command("list")
@click.argument("endpoint")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def schedules_list(endpoint, as_json):
    """List ENDPOINT's schedules: name, kind, timing, state, next fire time."""
    from .services import schedules as service
    from .services.scheduler import utc_now

    def rows():
        found = [service.as_dict(s, utc_now()) for s in service.list_for(endpoint)]
        return [json.dumps(s) if as_json else _line(s) for s in found]

    for row in _service(rows):
        click.echo(row)


@schedules.command("add")
@click.argument("endpoint")
@click.argument("name")
@click.option("--cron", help="A cron expression, e.g. '30 2 * * *'.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone of --cron.")
@click.option("--every", type=int, help="Fire every N seconds instead.")
@click.option("--watch", metavar="DATASTORE:GLOB", help="Start a run for each new file.")
@click.option("--parameter", help="The data path parameter a new file fills (--watch).")
@click.option("--poll", default=30, show_default=True, type=int, help="Seconds between looks.")
@click.option("--settle", default=10, show_default=True, type=int,
              help="Seconds a file must stay unchanged before it counts.")
@click.option("--version", type=int, help="A fixed version (default: the endpoint's default).")
@click.option("--experiment", default="default", show_default=True)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE")
@click.option("--data-path", "data_paths", multiple=True, metavar="NAME=DATASTORE:PATH")
@click.option("--no-catch-up", is_flag=True, help="Fire times missed while down start nothing.")
@click.option("--disabled", is_flag=True, help="Save it without firing.")
def schedules_add(endpoint, name, cron, timezone, every, watch, parameter, poll, settle,
                  version, experiment, params, data_paths, no_catch_up, disabled):
    """Add schedule NAME to ENDPOINT; prints its next fire times."""
    from .api.bodies import ScheduleBody
    from .services import schedules as service
    from .services.scheduler import utc_now

    data = _timing(cron, timezone, every, watch, parameter, poll, settle) | {
        "name": name, "version": version, "catch_up": not no_catch_up, "enabled": not disabled,
        "run": {"ExperimentName": experiment, "ParameterAssignments": _pairs(params, "--param"),
                "DataPathAssignments": _data_paths(data_paths)}}
    try:
        checked = ScheduleBody.model_validate(data).model_dump()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.ClickException(problems) from None

    def add():
        saved = service.as_dict(service.save(endpoint, checked, now=utc_now(), by="cli"),
                                utc_now())
        return [_line(saved)] + [f"  next: {t}" for t in saved["upcoming"]]

    for row in _service(add):
        click.echo(row)


def _switch(endpoint, name, enabled):
    from .services import schedules as service
    from .services.scheduler import utc_now

    return _service(lambda: _line(service.as_dict(
        service.set_enabled(endpoint, name, enabled, now=utc_now()), utc_now())))


@schedules.command("enable")
@click.argument("endpoint")
@click.argument("name")
def schedules_enable(endpoint, name):
    """Fire schedule NAME again (from its next fire time on)."""
    click.echo(_switch(endpoint, name, True))


@schedules.command("disable")
@click.argument("endpoint")
@click.argument("name")
def schedules_disable(endpoint, name):
    """Stop schedule NAME firing."""
    click.echo(_switch(endpoint, name, False))


@schedules.command("delete")
@click.argument("endpoint")
@click.argument("name")
def schedules_delete(endpoint, name):
    """Delete schedule NAME and its history (the runs it started stay)."""
    from .services import schedules as service

    _service(lambda: service.delete(endpoint, name))
    click.echo(f"deleted schedule {name}")
