"""`designer schedules ...`: list, add, edit, enable, disable and delete schedules and show
their history (and triggers: `designer schedules triggers ...` in cli_triggers.py)."""

from __future__ import annotations

import json

import click
from pydantic import ValidationError


def service_call(action):
    """Run ``action()`` inside the app; a refused request becomes a clean CLI error."""
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


def timing(cron, timezone, every, watch, parameter, poll, settle) -> dict:
    """The timing of --cron, --every or --watch (exactly one), or a usage error."""
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


def checked(data: dict) -> dict:
    """A schedule body checked as the REST route checks it, or a CLI error naming each field."""
    from .api.bodies import ScheduleBody

    try:
        return ScheduleBody.model_validate(data).model_dump()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.ClickException(problems) from None


def run_body(experiment, params, data_paths) -> dict:
    """The Submit body of --experiment, --param and --data-path."""
    return {"ExperimentName": experiment, "ParameterAssignments": _pairs(params, "--param"),
            "DataPathAssignments": _data_paths(data_paths)}


def current_body(schedule) -> dict:
    """What a saved schedule would be created with: the start of an edit."""
    body = {key: getattr(schedule, key) for key in (
        "name", "kind", "cron", "timezone", "interval_seconds", "catch_up", "enabled",
        "version")}
    run = dict(schedule.run or {})
    body["run"] = run | {"parameter_assignments": dict(run.get("parameter_assignments") or {}),
                         "data_path_assignments": dict(run.get("data_path_assignments") or {})}
    if schedule.watch_datastore:
        body["watch"] = {"datastore": schedule.watch_datastore,
                         "pattern": schedule.watch_pattern,
                         "parameter": schedule.watch_parameter,
                         "poll_seconds": schedule.poll_seconds,
                         "settle_seconds": schedule.settle_seconds}
    return body


def edit_run(body: dict, version, default_version, experiment, params, unset, data_paths,
             catch_up, enabled) -> dict:
    """Apply the options every edit shares to a schedule body (None: left as it was)."""
    if version is not None and default_version:
        raise click.UsageError("Give --version or --default-version, not both.")
    if version is not None or default_version:
        body["version"] = version
    run = body["run"]
    if experiment is not None:
        run["experiment_name"] = experiment
    run["parameter_assignments"].update(_pairs(params, "--param"))
    run["data_path_assignments"].update(_data_paths(data_paths))
    for name in unset:
        if (run["parameter_assignments"].pop(name, None) is None
                and run["data_path_assignments"].pop(name, None) is None):
            raise click.BadParameter(f"the schedule assigns no value to {name!r}",
                                     param_hint="--unset-param")
    for key, value in (("catch_up", catch_up), ("enabled", enabled)):
        if value is not None:
            body[key] = value
    return body


def saved_lines(endpoint: str, data: dict, name: str | None = None) -> list[str]:
    """Save a checked schedule (``name``: replace that one); its line and next fire times."""
    from .services import schedules as service
    from .services.scheduler import utc_now

    saved = service.as_dict(service.save(endpoint, data, now=utc_now(), by="cli", name=name),
                            utc_now())
    return [line(saved)] + [f"  next: {t}" for t in saved["upcoming"]]


def find_kind(endpoint: str, name: str, *, trigger: bool):
    """A schedule that is (or is not) a new-data trigger, or a CLI error pointing at the
    other command."""
    from .services import schedules as service

    found = service.find(endpoint, name)
    if (found.kind == service.NEW_DATA) != trigger:
        other = ("designer schedules triggers" if found.kind == service.NEW_DATA
                 else "designer schedules")
        what = "a new-data trigger" if found.kind == service.NEW_DATA else "a timed schedule"
        raise click.ClickException(f"'{name}' is {what}: use `{other} ...` for it.")
    return found


def line(schedule: dict) -> str:
    """A schedule as one tab-separated line: name, kind, timing, state, next fire time."""
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
    echo_list(endpoint, as_json)


def echo_list(endpoint: str, as_json: bool, kind: str | None = None) -> None:
    """Print ENDPOINT's schedules (of ``kind`` only, if given), a line or JSON object each."""
    from .services import schedules as service
    from .services.scheduler import utc_now

    def rows():
        found = [service.as_dict(s, utc_now()) for s in service.list_for(endpoint)
                 if kind is None or s.kind == kind]
        return [json.dumps(s) if as_json else line(s) for s in found]

    echo_rows(rows)


def echo_rows(rows) -> None:
    """Print the lines ``rows()`` makes inside the app, one each."""
    for row in service_call(rows):
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
    data = checked(timing(cron, timezone, every, watch, parameter, poll, settle) | {
        "name": name, "version": version, "catch_up": not no_catch_up, "enabled": not disabled,
        "run": run_body(experiment, params, data_paths)})
    for row in service_call(lambda: saved_lines(endpoint, data)):
        click.echo(row)


@schedules.command("edit")
@click.argument("endpoint")
@click.argument("name")
@click.option("--cron", help="A new cron expression (the schedule becomes a cron schedule).")
@click.option("--timezone", help="A new IANA zone of the cron expression.")
@click.option("--every", type=int, help="Fire every N seconds instead.")
@click.option("--version", type=int, help="A fixed version.")
@click.option("--default-version", is_flag=True, help="Use the endpoint's default version.")
@click.option("--experiment")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter value (the others stay).")
@click.option("--unset-param", "unset", multiple=True, metavar="NAME",
              help="Drop a parameter's value (its default applies).")
@click.option("--data-path", "data_paths", multiple=True, metavar="NAME=DATASTORE:PATH")
@click.option("--catch-up/--no-catch-up", default=None,
              help="Whether fire times missed while down start one run.")
@click.option("--enable/--disable", "enabled", default=None)
def schedules_edit(endpoint, name, cron, timezone, every, version, default_version, experiment,
                   params, unset, data_paths, catch_up, enabled):
    """Change schedule NAME of ENDPOINT; what is not given stays. Prints its next fire times."""
    if cron is not None and every is not None:
        raise click.UsageError("Give --cron or --every, not both.")

    def edit():
        body = edit_run(current_body(find_kind(endpoint, name, trigger=False)), version,
                        default_version, experiment, params, unset, data_paths, catch_up,
                        enabled)
        if cron is not None:
            body |= {"kind": "cron", "cron": cron, "interval_seconds": None}
        if every is not None:
            body |= {"kind": "interval", "interval_seconds": every, "cron": None}
        if timezone is not None:
            body["timezone"] = timezone
        return saved_lines(endpoint, checked(body), name=name)

    for row in service_call(edit):
        click.echo(row)


def switch(endpoint: str, name: str, enabled: bool, *, trigger: bool | None = None) -> str:
    """Enable or disable a schedule (``trigger``: it must be, or not be, a trigger); its line."""
    from .services import schedules as service
    from .services.scheduler import utc_now

    def change():
        if trigger is not None:
            find_kind(endpoint, name, trigger=trigger)
        return line(service.as_dict(service.set_enabled(endpoint, name, enabled, now=utc_now()),
                                    utc_now()))

    return service_call(change)


def remove(endpoint: str, name: str, *, trigger: bool | None = None) -> None:
    """Delete a schedule (``trigger``: it must be, or not be, a trigger)."""
    from .services import schedules as service

    def delete():
        if trigger is not None:
            find_kind(endpoint, name, trigger=trigger)
        service.delete(endpoint, name)

    service_call(delete)


@schedules.command("enable")
@click.argument("endpoint")
@click.argument("name")
def schedules_enable(endpoint, name):
    """Fire schedule NAME again (from its next fire time on)."""
    click.echo(switch(endpoint, name, True))


@schedules.command("disable")
@click.argument("endpoint")
@click.argument("name")
def schedules_disable(endpoint, name):
    """Stop schedule NAME firing."""
    click.echo(switch(endpoint, name, False))


@schedules.command("delete")
@click.argument("endpoint")
@click.argument("name")
def schedules_delete(endpoint, name):
    """Delete schedule NAME and its history (the runs it started stay)."""
    remove(endpoint, name)
    click.echo(f"deleted schedule {name}")


def history_line(fire: dict) -> str:
    """A fire as one tab-separated line: fire time, run id and status, or why no run started."""
    what = "catch-up" if fire["catch_up"] else "fire"
    outcome = (f"{fire['run_id']}\t{fire['status']}" if fire["run_id"]
               else f"-\tnot started: {fire['error']}")
    return "\t".join([fire["fire_time"], what, fire["slot"], outcome])


def echo_history(endpoint: str, name: str, limit: int, as_json: bool, *, trigger: bool) -> None:
    """Print the runs a schedule (or trigger) started, newest first, a line or JSON each."""
    from .services import schedules as service

    def rows():
        found = service.history(find_kind(endpoint, name, trigger=trigger), limit=limit)
        return [json.dumps(f) if as_json else history_line(f) for f in found]

    echo_rows(rows)


def history_command(group: click.Group):
    """A decorator making its function ``group``'s `history ENDPOINT NAME [--limit N] [--json]`
    command (schedules and triggers show their history alike)."""

    def register(fn):
        for option in (click.option("--json", "as_json", is_flag=True,
                                     help="One JSON object per line."),
                       click.option("--limit", default=20, show_default=True,
                                    type=click.IntRange(1, 1000)),
                       click.argument("name"), click.argument("endpoint")):
            fn = option(fn)
        return group.command("history")(fn)

    return register


@history_command(schedules)
def schedules_history(endpoint, name, limit, as_json):
    """The runs schedule NAME started, newest first: fire time, slot, run id and status."""
    echo_history(endpoint, name, limit, as_json, trigger=False)
