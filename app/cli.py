"""The `designer` command: init, serve, worker, run-pipeline, datastores, users, clients,
schedules (and triggers), webhooks, audit."""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

import click

from . import create_app
from .cli_schedules import schedules
from .cli_triggers import triggers
from .cli_webhooks import webhooks
from .errors import AppError
from .models import ROLES

log = logging.getLogger("designer")
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 5000  # where `designer serve` listens unless told
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def _app():
    """The app a command works in, released when the command ends: its runtime's threads and
    processes stopped and its database connections closed (a command may be called in a
    process that goes on, such as a script's or a test's)."""
    app = create_app()
    click.get_current_context().call_on_close(lambda: _release(app))
    return app


def _release(app) -> None:
    from .extensions import db

    app.extensions["designer"].shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@click.group()
def main():
    """Pipeline Designer: build, run and publish machine-learning pipelines."""


main.add_command(schedules)
main.add_command(webhooks)
schedules.add_command(triggers)


@main.command()
def init():
    """Create the database, register the `samples` datastore and load the sample pipelines."""
    from .services import auth, samples

    app = _app()
    with app.app_context():
        loaded = [(p.name, p.id) for p in samples.init()]
        found = samples.sample_endpoint()
        endpoint = (found.name, found.default_version) if found else None
        admin = None
        if not auth.list_users():
            given = app.config["DESIGNER_ADMIN_PASSWORD"] or None
            _, password = auth.add_user("admin", given, role="admin")
            admin = ("password from DESIGNER_ADMIN_PASSWORD" if given
                     else f"one-time password: {password}")
    click.echo(f"Instance ready: {_home(app)}")
    for name, pipeline_id in loaded:
        click.echo(f"  sample pipeline: {name} ({pipeline_id})")
    if endpoint is not None:
        click.echo(f"  published: the Income prediction sample as pipeline endpoint "
                   f"{endpoint[0]} (version {endpoint[1]}; Endpoints page)")
    if admin:
        click.echo(f"  admin user: admin, {admin}")
        if "one-time" in admin:
            click.echo("  (shown once; change it with `designer users set-password admin`)")
    click.echo(f"Next: `designer serve` (with the same DESIGNER_HOME), then open {DEFAULT_URL} "
               "and sign in as admin.")


def _home(app) -> str:
    """Which instance a command uses: the server and the other commands agree on it only when
    they are given the same DESIGNER_HOME (or run from the same folder)."""
    return (f"DESIGNER_HOME={app.config['DESIGNER_HOME']} "
            f"(database {_safe_url(app.config['SQLALCHEMY_DATABASE_URI'])})")


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--threads", default=32, show_default=True, type=int,
              help="WSGI threads; each open live-update stream holds one.")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Also run queued runs in this process (--no-worker: serve only, and let "
                   "`designer worker` processes run them).")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes answering on the port, one core each (POSIX); the first "
                   "also runs queued runs, schedules and webhook deliveries.")
def serve(host, port, threads, worker, processes):
    """Serve the app with waitress and (unless --no-worker) run queued runs in this process; run
    schedules and triggers; send webhook deliveries."""
    if processes == 1:
        _serve(0, worker, threads, where={"host": host, "port": port})
        return
    from . import configure_logging
    from . import processes as server_processes

    configure_logging()
    try:
        supervisor = server_processes.Supervisor(
            processes, server_processes.reserve(host, port),
            lambda index, ready: _serve(index, worker, threads, ready=ready))
    except (OSError, server_processes.StartFailed) as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc}") from None
    click.echo(f"Serving on http://{host}:{port} with {processes} processes"
               + ("" if worker else " (no worker)"))
    sys.exit(supervisor.run())


def _serve(index: int, worker: bool, threads: int, where: dict | None = None,
           ready=None) -> None:
    """Server process ``index`` (0: the only one, or the first of several, which also runs
    queued runs, schedules and webhook deliveries), on waitress's ``where`` (host and port),
    or on the socket ``ready()`` returns once the app is made (see app/processes.py)."""
    from waitress import serve as waitress_serve

    app = _app()
    spare = max(threads - 4, 0)  # threads that always stay free for pages and the API
    if app.config["DESIGNER_SSE_MAX"] > spare:
        log.warning("DESIGNER_SSE_MAX %s lowered to %s: keep 4 of %s threads for other requests",
                    app.config["DESIGNER_SSE_MAX"], spare, threads)
        app.config["DESIGNER_SSE_MAX"] = spare
    runtime = app.extensions["designer"]
    if index == 0:
        if worker:
            runtime.start_dispatcher()
        runtime.start_scheduler()
        runtime.start_webhook_sender()
    _stop_on_sigterm()
    settle_heap()
    if ready is None:
        click.echo(f"Using {_home(app)}")
        click.echo(f"Serving on http://{where['host']}:{where['port']}"
                   + ("" if worker else " (no worker)"))
    else:
        if index == 0:
            click.echo(f"Using {_home(app)}")
        click.echo(f"Server process {index + 1} (pid {os.getpid()}) ready")
        where = {"sockets": [ready()]}
    try:
        waitress_serve(app, threads=threads, channel_timeout=120, **where)
    finally:
        runtime.shutdown()


@main.command()
def worker():
    """Claim and run queued runs and send webhook deliveries without serving HTTP, until Ctrl+C
    or SIGTERM."""
    app = _app()
    runtime = app.extensions["designer"]
    dispatcher = runtime.start_dispatcher()
    runtime.start_webhook_sender()
    _stop_on_sigterm()
    click.echo(f"Worker {dispatcher.worker} running up to "
               f"{app.config['DESIGNER_MAX_CONCURRENT_RUNS']} runs at once")
    try:
        while True:
            time.sleep(60)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        runtime.shutdown()


def settle_heap() -> None:
    """Put what start-up made (imported libraries, the module catalogue: some 290,000 objects)
    out of the garbage collector's walks. A full collection, which Python starts now and then
    while a request is served, then walks only what was made since: a pause of a few
    milliseconds instead of 0.1-0.3 s (see benchmarks/bench_scoring.py)."""
    gc.collect()
    gc.freeze()


def _stop_on_sigterm() -> None:
    """SIGTERM ends like Ctrl+C: running runs are canceled and recorded, not left Running."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


@main.command("run-pipeline")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A pipeline parameter value; repeat for several.")
@click.option("--experiment", default="cli", show_default=True)
@click.option("--regenerate", is_flag=True, help="Recompute every step (no output reuse).")
def run_pipeline(file, params, experiment, regenerate):
    """Run a pipeline document headless; print its metrics as JSON; exit 1 if it fails."""
    from .services import runs, samples
    from .services.dispatcher import worker_name

    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        values[name] = value
    try:
        document = json.loads(file.read_text())
    except ValueError as exc:
        raise click.ClickException(f"{file} is not valid JSON: {exc}") from None
    app = _app()
    runtime = app.extensions["designer"]
    with app.app_context():
        if "samples" not in runs.datastores.mapping():
            samples.register_datastore()
        try:
            # The executor (and its worker processes) starts only for a run that was accepted.
            run = runs.submit(document, parameters=values, experiment=experiment,
                              regenerate_outputs=regenerate, source="cli",
                              worker=worker_name())
        except AppError as exc:
            details = {k: v for k, v in exc.details.items() if v}
            raise click.ClickException(
                exc.message + (f"\n{json.dumps(details, indent=2)}" if details else "")
            ) from None
        run_id = run.id
    try:
        status = runtime.dispatcher.run(run_id)
        with app.app_context():
            result = runs.as_dict(runs.get(run_id))
    finally:
        runtime.shutdown()
    click.echo(json.dumps({"run_id": run_id, "status": status, "metrics": result["metrics"]},
                          indent=2))
    if status != "Finished":
        for step in result["steps"]:
            if step["error"]:
                click.echo(f"{step['label']} ({step['node_id']}) failed: "
                           f"{step['error']['type']}: {step['error']['message']}", err=True)
        sys.exit(1)


@main.group()
def datastores():
    """Register, list and remove datastores (named server folders)."""


@datastores.command("add")
@click.argument("name")
@click.argument("path")  # checked by the service, which names what is wrong with it
@click.option("--replace", is_flag=True, help="Re-point an existing datastore.")
def datastores_add(name, path, replace):
    """Register folder PATH (or a URL such as s3://bucket/prefix) as datastore NAME."""
    from .services import datastores as service

    def add():
        store = service.add(name, path, replace=replace)
        return f"{store.name}\t{store.root}"

    click.echo(_service(add))


@datastores.command("remove")
@click.argument("name")
def datastores_remove(name):
    """Forget datastore NAME (its files stay on disk; pipelines using it fail validation)."""
    from .services import datastores as service

    _service(lambda: service.remove(name))
    click.echo(f"removed datastore {name}")


@datastores.command("list")
def datastores_list():
    """List the registered datastores."""
    from .services import datastores as service

    for row in _service(lambda: [f"{d.name}\t{d.root}" for d in service.list_all()]):
        click.echo(row)


def _service(action):
    """Run ``action()`` inside the app; a refused request becomes a clean CLI error."""
    with _app().app_context():
        try:
            return action()
        except AppError as exc:
            raise click.ClickException(exc.message) from None


ROLE = click.Choice(ROLES)


@main.group()
def users():
    """Manage the people who sign in."""


@users.command("add")
@click.argument("username")
@click.option("--role", default="viewer", show_default=True, type=ROLE)
@click.option("--password", help="Default: generated and printed once.")
def users_add(username, role, password):
    """Create a user."""
    from .services import auth

    secret = _service(lambda: auth.add_user(username, password, role)[1])
    click.echo(f"{username}\t{role}" + ("" if password else f"\tpassword: {secret}"))


@users.command("list")
def users_list():
    """List users: name, role, active."""
    from .services import auth

    rows = _service(lambda: [f"{u.username}\t{u.role}\t{'active' if u.active else 'disabled'}"
                             for u in auth.list_users()])
    for row in rows:
        click.echo(row)


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLE)
def users_set_role(username, role):
    """Change a user's role (their sessions end)."""
    from .services import auth

    _service(lambda: auth.set_role(username, role))
    click.echo(f"{username}\t{role}")


@users.command("set-password")
@click.argument("username")
@click.password_option()
def users_set_password(username, password):
    """Set a user's password (their sessions end)."""
    from .services import auth

    _service(lambda: auth.set_password(username, password))
    click.echo(f"password of {username} changed")


@users.command("disable")
@click.argument("username")
def users_disable(username):
    """Disable a user: refused at once, sessions end."""
    from .services import auth

    _service(lambda: auth.set_user_active(username, False))
    click.echo(f"{username}\tdisabled")


@users.command("enable")
@click.argument("username")
def users_enable(username):
    """Enable a disabled user."""
    from .services import auth

    _service(lambda: auth.set_user_active(username, True))
    click.echo(f"{username}\tactive")


@main.group()
def clients():
    """Manage service principals (OAuth 2.0 clients for scripts)."""


@clients.command("create")
@click.argument("name")
@click.option("--role", default="runner", show_default=True, type=ROLE)
def clients_create(name, role):
    """Create a client; prints {"client_id", "client_secret"} (the secret is shown once)."""
    from .services import auth

    def create():
        client, secret = auth.create_client(name, role, by="cli")
        return {"client_id": client.client_id, "client_secret": secret}

    click.echo(json.dumps(_service(create)))


@clients.command("list")
def clients_list():
    """List clients: name, client id, role, active."""
    from .services import auth

    rows = _service(lambda: [f"{c.name}\t{c.client_id}\t{c.role}\t"
                             f"{'active' if c.active else 'disabled'}"
                             for c in auth.list_clients()])
    for row in rows:
        click.echo(row)


@clients.command("disable")
@click.argument("name")
def clients_disable(name):
    """Disable a client: its tokens stop working at once."""
    from .services import auth

    _service(lambda: auth.set_client_active(name, False))
    click.echo(f"{name}\tdisabled")


@clients.command("enable")
@click.argument("name")
def clients_enable(name):
    """Enable a disabled client: it may ask for tokens again."""
    from .services import auth

    _service(lambda: auth.set_client_active(name, True))
    click.echo(f"{name}\tactive")


@main.command()
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--action", help="Only this action, e.g. signin.failed or user.role.")
@click.option("--actor", help="Only this actor, e.g. user:alice or client:nightly.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit(limit, action, actor, as_json):
    """Print the audit log, newest first: time, actor, address, action, target, details."""
    from .services import audit as service

    def lines():
        found = service.entries(action=action, actor=actor, limit=limit)
        if as_json:
            return [json.dumps(service.as_dict(e)) for e in found]
        return [service.as_line(e) for e in found]

    for line in _service(lines):
        click.echo(line)


@main.group()
def db():
    """The database schema (it is upgraded whenever the app starts)."""


@db.command("version")
def db_version():
    """Print the schema revision the database is at."""
    from . import database
    from .extensions import db as sql

    with _app().app_context():
        click.echo(database.current(sql.engine))


@db.command("revision")
@click.argument("message")
def db_revision(message):
    """Write a new revision from the differences between the models and the database."""
    from . import database
    from .extensions import db as sql

    with _app().app_context():
        database.revision(sql.engine, message)
