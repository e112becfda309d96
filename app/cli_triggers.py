"""`designer schedules triggers ...`: list, add, edit, enable, disable and delete the new-data
triggers of pipeline endpoints and show the runs they started (the same routes as schedules,
of kind ``new_data``)."""

from __future__ import annotations

import click

from .cli_schedules import (
    checked,
    current_body,
    echo_history,
    echo_list,
    edit_run,
    find_kind,
    history_command,
    remove,
    run_body,
    saved_lines,
    service_call,
    switch,
    timing,
)

WHERE = "DATASTORE:GLOB"


@click.group()
def triggers():
    """New-data triggers: start a run for each new file in a datastore folder."""


@triggers.command("list")
@click.argument("endpoint")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def triggers_list(endpoint, as_json):
    """List ENDPOINT's triggers: name, kind, datastore:glob, state."""
    from .services.schedules import NEW_DATA

    echo_list(endpoint, as_json, kind=NEW_DATA)


@triggers.command("add")
@click.argument("endpoint")
@click.argument("name")
@click.option("--watch", required=True, metavar=WHERE, help="The files to start runs for.")
@click.option("--parameter", required=True, help="The data path parameter a new file fills.")
@click.option("--poll", default=30, show_default=True, type=int, help="Seconds between looks.")
@click.option("--settle", default=10, show_default=True, type=int,
              help="Seconds a file must stay unchanged before it counts.")
@click.option("--version", type=int, help="A fixed version (default: the endpoint's default).")
@click.option("--experiment", default="default", show_default=True)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE")
@click.option("--data-path", "data_paths", multiple=True, metavar="NAME=DATASTORE:PATH")
@click.option("--disabled", is_flag=True, help="Save it without watching.")
def triggers_add(endpoint, name, watch, parameter, poll, settle, version, experiment, params,
                 data_paths, disabled):
    """Add trigger NAME to ENDPOINT."""
    data = checked(timing(None, "UTC", None, watch, parameter, poll, settle) | {
        "name": name, "version": version, "enabled": not disabled,
        "run": run_body(experiment, params, data_paths)})
    click.echo(service_call(lambda: saved_lines(endpoint, data))[0])


@triggers.command("edit")
@click.argument("endpoint")
@click.argument("name")
@click.option("--watch", metavar=WHERE, help="Other files to watch.")
@click.option("--parameter", help="Another data path parameter for the new file.")
@click.option("--poll", type=int, help="Seconds between looks.")
@click.option("--settle", type=int, help="Seconds a file must stay unchanged.")
@click.option("--version", type=int, help="A fixed version.")
@click.option("--default-version", is_flag=True, help="Use the endpoint's default version.")
@click.option("--experiment")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter value (the others stay).")
@click.option("--unset-param", "unset", multiple=True, metavar="NAME",
              help="Drop a parameter's value (its default applies).")
@click.option("--data-path", "data_paths", multiple=True, metavar="NAME=DATASTORE:PATH")
@click.option("--enable/--disable", "enabled", default=None)
def triggers_edit(endpoint, name, watch, parameter, poll, settle, version, default_version,
                  experiment, params, unset, data_paths, enabled):
    """Change trigger NAME of ENDPOINT; what is not given stays."""
    if watch is not None and ":" not in watch:
        raise click.BadParameter(f"{watch!r} is not {WHERE}", param_hint="--watch")

    def edit():
        body = edit_run(current_body(find_kind(endpoint, name, trigger=True)), version,
                        default_version, experiment, params, unset, data_paths, None, enabled)
        watched = body["watch"]
        if watch is not None:
            watched["datastore"], _, watched["pattern"] = watch.partition(":")
        for key, value in (("parameter", parameter), ("poll_seconds", poll),
                           ("settle_seconds", settle)):
            if value is not None:
                watched[key] = value
        return saved_lines(endpoint, checked(body), name=name)[0]

    click.echo(service_call(edit))


@triggers.command("enable")
@click.argument("endpoint")
@click.argument("name")
def triggers_enable(endpoint, name):
    """Watch again (files that arrived meanwhile count as new)."""
    click.echo(switch(endpoint, name, True, trigger=True))


@triggers.command("disable")
@click.argument("endpoint")
@click.argument("name")
def triggers_disable(endpoint, name):
    """Stop watching."""
    click.echo(switch(endpoint, name, False, trigger=True))


@triggers.command("delete")
@click.argument("endpoint")
@click.argument("name")
def triggers_delete(endpoint, name):
    """Delete trigger NAME and its history (the runs it started stay)."""
    remove(endpoint, name, trigger=True)
    click.echo(f"deleted trigger {name}")


@history_command(triggers)
def triggers_history(endpoint, name, limit, as_json):
    """The runs trigger NAME started, newest first: time, file@SHA-256, run id and status."""
    echo_history(endpoint, name, limit, as_json, trigger=True)
