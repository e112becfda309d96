"""`designer schedules ...` as a real subprocess on its own instance folder."""

from tests.helpers_server import designer


def ok(home, *args):
    done = designer(home, *args)
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
    bad_cron = designer(home, "schedules", "add", "income-retrain", "x", "--cron", "0 25 * * *")
    assert bad_cron.returncode == 1 and "cron expression '0 25 * * *'" in bad_cron.stderr
    both = designer(home, "schedules", "add", "income-retrain", "x", "--every", "60",
                    "--cron", "* * * * *")
    assert both.returncode == 2 and "one of --cron, --every or --watch" in both.stderr
    short = designer(home, "schedules", "add", "income-retrain", "x", "--every", "0")
    assert short.returncode == 1 and "interval_seconds" in short.stderr
    unknown = designer(home, "schedules", "disable", "income-retrain", "nope")
    assert unknown.returncode == 1 and "no schedule 'nope'" in unknown.stderr
