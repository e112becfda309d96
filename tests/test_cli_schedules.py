"""`designer schedules ...` and `designer schedules triggers ...` on an instance folder of their
own: in this process with Click's runner, and the refusals also as a real subprocess."""

import itertools
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.helpers_server import cli, designer


def ok(home, *args):
    done = cli(home, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_schedules_are_added_listed_disabled_enabled_and_deleted(tmp_path):
    home = tmp_path / "instance"
    ok(home, "init")
    added = ok(home, "schedules", "add", "income-retrain", "nightly", "--cron", "30 2 * * *",
               "--timezone", "Europe/Berlin", "--experiment", "nightly",
               "--data-path", "training_data=samples:income/non_us.csv")
    lines = added.splitlines()
    assert lines[0].startswith("nightly\tcron\t30 2 * * * (Europe/Berlin)\tenabled\t")
    assert len([line for line in lines if line.startswith("  next: ")]) == 5
    ok(home, "schedules", "add", "income-retrain", "incoming", "--watch", "samples:incoming/*.csv",
       "--parameter", "training_data", "--poll", "5")
    listed = ok(home, "schedules", "list", "income-retrain").splitlines()
    assert [row.split("\t")[:3] for row in listed] == [
        ["incoming", "new_data", "samples:incoming/*.csv"],
        ["nightly", "cron", "30 2 * * * (Europe/Berlin)"]]
    assert ok(home, "schedules", "disable", "income-retrain", "nightly").split("\t")[3:] == [
        "disabled", "-\n"]
    assert "\tenabled\t" in ok(home, "schedules", "enable", "income-retrain", "nightly")
    assert ok(home, "schedules", "delete", "income-retrain", "nightly") == (
        "deleted schedule nightly\n")
    assert [r.split("\t")[0] for r in ok(home, "schedules", "list", "income-retrain")
            .splitlines()] == ["incoming"]


def test_a_bad_schedule_is_refused_naming_the_culprit(tmp_path):
    home = tmp_path / "instance"
    ok(home, "init")
    bad_cron = cli(home, "schedules", "add", "income-retrain", "x", "--cron", "0 25 * * *")
    assert bad_cron.returncode == 1 and "cron expression '0 25 * * *'" in bad_cron.stderr
    short = cli(home, "schedules", "add", "income-retrain", "x", "--every", "0")
    assert short.returncode == 1 and "interval_seconds" in short.stderr
    unknown = cli(home, "schedules", "disable", "income-retrain", "nope")
    assert unknown.returncode == 1 and "no schedule 'nope'" in unknown.stderr
    # The installed command too: a usage error exits 2, naming the options to choose from.
    both = designer(home, "schedules", "add", "income-retrain", "x", "--every", "60",
                    "--cron", "* * * * *")
    assert both.returncode == 2 and "one of --cron, --every or --watch" in both.stderr
    assert "Traceback" not in both.stderr


def cli_ok(home, *args, env=None) -> str:
    done = cli(home, *args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def next_times(output: str) -> list[datetime]:
    return [datetime.fromisoformat(row.removeprefix("  next: "))
            for row in output.splitlines() if row.startswith("  next: ")]


def test_a_schedule_is_edited_and_shows_its_next_five_fire_times(tmp_path):
    home = tmp_path / "instance"
    cli_ok(home, "init")
    cli_ok(home, "schedules", "add", "income-retrain", "nightly", "--cron", "30 2 * * *",
           "--timezone", "Europe/Berlin", "--data-path", "training_data=samples:income/us.csv")

    every = cli_ok(home, "schedules", "edit", "income-retrain", "nightly", "--every", "600",
                   "--no-catch-up", "--experiment", "weekly",
                   "--data-path", "training_data=samples:income/non_us.csv")
    assert every.startswith("nightly\tinterval\tevery 600 s\tenabled\t")
    times = next_times(every)
    assert len(times) == 5 and {b - a for a, b in itertools.pairwise(times)} == {
        timedelta(seconds=600)}
    (saved,) = [json.loads(row) for row in cli_ok(
        home, "schedules", "list", "income-retrain", "--json").splitlines()]
    assert (saved["catch_up"], saved["cron"], saved["timezone"]) == (False, None, "Europe/Berlin")
    assert saved["run"]["experiment_name"] == "weekly"
    assert saved["run"]["data_path_assignments"]["training_data"]["path"] == "income/non_us.csv"

    weekly = cli_ok(home, "schedules", "edit", "income-retrain", "nightly", "--cron", "0 6 * * 1",
                    "--timezone", "America/New_York", "--version", "0", "--disable")
    assert weekly.startswith("nightly\tcron\t0 6 * * 1 (America/New_York)\tdisabled\t-\n")
    local = [t.astimezone(ZoneInfo("America/New_York")) for t in next_times(weekly)]
    assert len(local) == 5 and {(t.weekday(), t.hour, t.minute) for t in local} == {(0, 6, 0)}
    (saved,) = [json.loads(row) for row in cli_ok(
        home, "schedules", "list", "income-retrain", "--json").splitlines()]
    assert (saved["version"], saved["enabled"], saved["interval_seconds"]) == (0, False, None)
    assert saved["run"]["experiment_name"] == "weekly"  # what was not given stays

    cli_ok(home, "schedules", "edit", "income-retrain", "nightly", "--default-version",
           "--enable", "--catch-up")
    (saved,) = [json.loads(row) for row in cli_ok(
        home, "schedules", "list", "income-retrain", "--json").splitlines()]
    assert (saved["version"], saved["enabled"], saved["catch_up"]) == (None, True, True)


@pytest.mark.parametrize(("args", "code", "message"), [
    (("nope", "nightly", "--every", "60"), 1, "Pipeline endpoint 'nope' does not exist."),
    (("income-retrain", "nope", "--every", "60"), 1, "has no schedule 'nope'"),
    (("income-retrain", "nightly", "--cron", "0 25 * * *"), 1, "cron expression '0 25 * * *'"),
    (("income-retrain", "nightly", "--timezone", "Atlantis/Capital"), 1, "Atlantis/Capital"),
    (("income-retrain", "nightly", "--every", "0"), 1, "interval_seconds"),
    (("income-retrain", "nightly", "--param", "depth=3"), 1,
     "Unknown pipeline parameter 'depth' (parameters: training_data)."),
    (("income-retrain", "nightly", "--version", "7"), 1, "version"),
    (("income-retrain", "nightly", "--unset-param", "depth"), 2, "no value to 'depth'"),
    (("income-retrain", "nightly", "--cron", "* * * * *", "--every", "60"), 2,
     "--cron or --every"),
    (("income-retrain", "incoming", "--every", "60"), 1,
     "'incoming' is a new-data trigger: use `designer schedules triggers ...` for it."),
])
def test_a_bad_edit_is_refused_naming_the_culprit(tmp_path, args, code, message):
    home = tmp_path / "instance"
    cli_ok(home, "init")
    cli_ok(home, "schedules", "add", "income-retrain", "nightly", "--cron", "30 2 * * *")
    cli_ok(home, "schedules", "triggers", "add", "income-retrain", "incoming", "--watch",
           "samples:incoming/*.csv", "--parameter", "training_data")
    refused = cli(home, "schedules", "edit", *args)
    assert refused.returncode == code and message in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_triggers_are_added_listed_edited_switched_and_deleted(tmp_path):
    home = tmp_path / "instance"
    cli_ok(home, "init")
    cli_ok(home, "schedules", "add", "income-retrain", "nightly", "--cron", "30 2 * * *")
    added = cli_ok(home, "schedules", "triggers", "add", "income-retrain", "incoming",
                   "--watch", "samples:incoming/*.csv", "--parameter", "training_data",
                   "--poll", "5", "--experiment", "arrivals")
    assert added == "incoming\tnew_data\tsamples:incoming/*.csv\tenabled\t-\n"
    assert cli_ok(home, "schedules", "triggers", "list", "income-retrain") == added
    edited = cli_ok(home, "schedules", "triggers", "edit", "income-retrain", "incoming",
                    "--watch", "samples:drop/*.parquet", "--settle", "3", "--disable")
    assert edited == "incoming\tnew_data\tsamples:drop/*.parquet\tdisabled\t-\n"
    (saved,) = [json.loads(row) for row in cli_ok(
        home, "schedules", "triggers", "list", "income-retrain", "--json").splitlines()]
    assert saved["watch"] == {"datastore": "samples", "pattern": "drop/*.parquet",
                              "parameter": "training_data", "poll_seconds": 5,
                              "settle_seconds": 3}
    assert saved["run"]["experiment_name"] == "arrivals"
    assert "\tenabled\t" in cli_ok(home, "schedules", "triggers", "enable", "income-retrain",
                                   "incoming")
    assert "\tdisabled\t" in cli_ok(home, "schedules", "triggers", "disable", "income-retrain",
                                    "incoming")
    assert cli_ok(home, "schedules", "triggers", "delete", "income-retrain", "incoming") == (
        "deleted trigger incoming\n")
    assert cli_ok(home, "schedules", "triggers", "list", "income-retrain") == ""
    assert [r.split("\t")[0] for r in cli_ok(home, "schedules", "list", "income-retrain")
            .splitlines()] == ["nightly"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (("add", "nope", "t", "--watch", "samples:a/*.csv", "--parameter", "training_data"), 1,
     "Pipeline endpoint 'nope' does not exist."),
    (("add", "income-retrain", "t", "--watch", "nostore:a/*.csv", "--parameter",
      "training_data"), 1, "Unknown datastore 'nostore'"),
    (("add", "income-retrain", "t", "--watch", "samples:a/*.csv", "--parameter", "depth"), 1,
     "'depth' is not a data path parameter of this version"),
    (("add", "income-retrain", "t", "--watch", "samples:../*.csv", "--parameter",
      "training_data"), 1,
     "The watch pattern is refused: The path '../*.csv' contains '..'"),
    (("edit", "income-retrain", "incoming", "--parameter", "depth"), 1,
     "'depth' is not a data path parameter"),
    (("edit", "income-retrain", "incoming", "--watch", "incoming"), 2, "DATASTORE:GLOB"),
    (("edit", "income-retrain", "incoming", "--param", "depth=3"), 1,
     "Unknown pipeline parameter 'depth'"),
    (("edit", "income-retrain", "nightly", "--poll", "5"), 1,
     "'nightly' is a timed schedule: use `designer schedules ...` for it."),
    (("disable", "income-retrain", "nightly"), 1, "'nightly' is a timed schedule"),
    (("delete", "income-retrain", "gone"), 1, "has no schedule 'gone'"),
])
def test_a_bad_trigger_command_is_refused_naming_the_culprit(tmp_path, args, code, message):
    home = tmp_path / "instance"
    cli_ok(home, "init")
    cli_ok(home, "schedules", "add", "income-retrain", "nightly", "--cron", "30 2 * * *")
    cli_ok(home, "schedules", "triggers", "add", "income-retrain", "incoming", "--watch",
           "samples:incoming/*.csv", "--parameter", "training_data")
    refused = cli(home, "schedules", "triggers", *args)
    assert refused.returncode == code and message in refused.stderr, refused.stderr


def test_the_history_lists_the_runs_a_schedule_or_trigger_started(tmp_path):
    from app import create_app
    from app.extensions import db
    from app.services import schedules

    home = tmp_path / "instance"
    cli_ok(home, "init")
    cli_ok(home, "schedules", "add", "income-retrain", "nightly", "--cron", "30 2 * * *")
    cli_ok(home, "schedules", "triggers", "add", "income-retrain", "incoming",
           "--watch", "samples:incoming/*.csv", "--parameter", "training_data")
    assert cli_ok(home, "schedules", "history", "income-retrain", "nightly") == ""
    app = create_app({"DESIGNER_HOME": str(home)})
    when = datetime(2026, 11, 1, 2, 30, tzinfo=ZoneInfo("UTC"))
    try:
        with app.app_context():
            nightly = schedules.find("income-retrain", "nightly")
            first = schedules.claim_and_start(nightly, "2026-11-01T02:30:00+00:00", when)
            second = schedules.claim_and_start(nightly, "2026-11-02T02:30:00+00:00",
                                               when + timedelta(days=1), catch_up=True)
            arrived = schedules.claim_and_start(
                schedules.find("income-retrain", "incoming"), "incoming/march.csv@abc", when,
                data_paths={"training_data": {"datastore": "samples", "path": "income/us.csv"}})
            runs = [first.run_id, second.run_id, arrived.run_id]
    finally:
        app.extensions["designer"].shutdown()
        with app.app_context():
            db.engine.dispose()
    listed = cli_ok(home, "schedules", "history", "income-retrain", "nightly").splitlines()
    assert [row.split("\t") for row in listed] == [
        ["2026-11-02T02:30:00+00:00", "catch-up", "2026-11-02T02:30:00+00:00", runs[1],
         "Queued"],
        ["2026-11-01T02:30:00+00:00", "fire", "2026-11-01T02:30:00+00:00", runs[0], "Queued"]]
    assert len(cli_ok(home, "schedules", "history", "income-retrain", "nightly",
                      "--limit", "1").splitlines()) == 1
    (entry,) = [json.loads(row) for row in cli_ok(
        home, "schedules", "triggers", "history", "income-retrain", "incoming", "--json")
        .splitlines()]
    assert (entry["slot"], entry["run_id"], entry["status"]) == (
        "incoming/march.csv@abc", runs[2], "Queued")
    refused = cli(home, "schedules", "history", "income-retrain", "incoming")
    assert refused.returncode == 1 and "'incoming' is a new-data trigger" in refused.stderr
