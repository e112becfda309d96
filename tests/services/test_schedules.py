"""Schedules fire on an injected clock: one run per slot, catch-up after downtime, DST."""

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import Unprocessable
from app.extensions import db
from app.models import Run, ScheduleFire
from app.services import schedules
from app.services.scheduler import Scheduler

T0 = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
NON_US = {"training_data": {"DataStoreName": "samples", "RelativePath": "income/non_us.csv"}}


def body(**changes):
    """A schedule as the REST body gives it (dumped, snake_case)."""
    return {"name": "nightly", "kind": "cron", "cron": "30 2 * * *", "timezone": "Europe/Berlin",
            "interval_seconds": None, "catch_up": True, "enabled": True, "version": None,
            "run": {"experiment_name": "nightly", "description": "",
                    "parameter_assignments": {},
                    "data_path_assignments": {"training_data": {
                        "datastore": "samples", "path": "income/non_us.csv"}}},
            "watch": None} | changes


@pytest.fixture
def scheduler(app):
    return Scheduler(app, every=1, grace=300, clock=lambda: pytest.fail("clock not injected"))


def save(app, now=T0, **changes):
    with app.app_context():
        return schedules.save("income-retrain", body(**changes), now=now).id


def runs_started(app):
    with app.app_context():
        return [(r.source, r.parameters["training_data"]["path"], r.experiment.name)
                for r in db.session.query(Run).order_by(Run.created)]


def test_a_cron_schedule_starts_one_run_at_each_fire_time(app, scheduler):
    save(app)
    first = datetime(2026, 10, 21, 0, 30, tzinfo=UTC)  # 02:30 in Berlin (CEST)
    assert scheduler.tick(first - timedelta(seconds=1)) == []
    assert len(scheduler.tick(first)) == 1
    assert scheduler.tick(first + timedelta(seconds=30)) == []  # the slot is taken
    assert len(scheduler.tick(first + timedelta(days=1))) == 1
    assert runs_started(app) == [("schedule", "income/non_us.csv", "nightly")] * 2


def test_daylight_saving_end_fires_the_repeated_time_once(app, scheduler):
    save(app)
    fired = []
    now = T0
    while now < datetime(2026, 10, 27, tzinfo=UTC):  # the clock moves a quarter hour a tick
        fired += [f["fire_time"] for f in scheduler.tick(now)]
        now += timedelta(minutes=15)
    with app.app_context():
        times = [t.replace(tzinfo=UTC) for t, in db.session.query(ScheduleFire.fire_time)]
    assert len(fired) == len(times) == 6  # 21st to the 26th, once a day
    assert datetime(2026, 10, 25, 0, 30, tzinfo=UTC) in times
    assert datetime(2026, 10, 25, 1, 30, tzinfo=UTC) not in times
    assert datetime(2026, 10, 26, 1, 30, tzinfo=UTC) in times  # 02:30 CET


@pytest.mark.parametrize(("catch_up", "runs"), [(True, 1), (False, 0)])
def test_fire_times_missed_while_down_start_one_catch_up_run_or_none(app, scheduler, catch_up,
                                                                    runs):
    save(app, catch_up=catch_up, cron="*/10 * * * *", timezone="UTC")
    back = T0 + timedelta(days=2, minutes=7)  # 288 slots missed, the last one 7 minutes ago
    fires = scheduler.tick(back)
    assert len(fires) == runs
    if fires:
        assert fires[0]["catch_up"]
        assert fires[0]["fire_time"] == (T0 + timedelta(days=2)).isoformat()
    with app.app_context():
        schedule = schedules.find("income-retrain", "nightly")
        assert schedule.next_fire.replace(tzinfo=UTC) == back + timedelta(minutes=3)
    assert len(scheduler.tick(back + timedelta(minutes=3))) == 1  # on time again
    assert len(runs_started(app)) == runs + 1


def test_an_interval_schedule_counts_from_its_creation(app, scheduler):
    save(app, kind="interval", cron=None, interval_seconds=3600)
    assert scheduler.tick(T0 + timedelta(minutes=59)) == []
    assert len(scheduler.tick(T0 + timedelta(hours=1, seconds=5))) == 1
    with app.app_context():
        assert schedules.upcoming(schedules.find("income-retrain", "nightly"), T0, 2) == [
            T0 + timedelta(hours=1), T0 + timedelta(hours=2)]


def test_a_disabled_schedule_does_not_fire_and_enabling_skips_the_pause(app, scheduler):
    save(app, cron="0 * * * *", timezone="UTC")
    with app.app_context():
        schedules.set_enabled("income-retrain", "nightly", False, now=T0)
    assert scheduler.tick(T0 + timedelta(hours=5)) == []
    with app.app_context():
        schedules.set_enabled("income-retrain", "nightly", True, now=T0 + timedelta(hours=5))
    assert scheduler.tick(T0 + timedelta(hours=5, minutes=1)) == []
    assert len(scheduler.tick(T0 + timedelta(hours=6))) == 1


def test_a_fire_the_endpoint_refuses_is_recorded_with_its_reason(app, scheduler):
    from app.services import publishing

    save(app, cron="0 * * * *", timezone="UTC")
    with app.app_context():
        publishing.set_enabled("income-retrain", False)
    (fire,) = scheduler.tick(T0 + timedelta(hours=1))
    with app.app_context():
        (entry,) = schedules.history(schedules.find("income-retrain", "nightly"))
    assert entry["run_id"] is None and "disabled" in entry["error"]


@pytest.mark.parametrize(("changes", "culprit", "message"), [
    ({"cron": "99 * * * *"}, {"field": "cron"}, "not valid"),
    ({"timezone": "Nowhere/Town"}, {"field": "timezone"}, "Unknown time zone"),
    ({"kind": "interval", "interval_seconds": 0}, {"field": "interval_seconds"}, "Got 0"),
    ({"version": 7}, {"field": "version"}, "no version 7"),
    ({"run": {"parameter_assignments": {"nope": 1}}}, {"parameter": "nope"}, "nope"),
    ({"run": {"data_path_assignments": {"training_data": {
        "datastore": "samples", "path": "income/missing.csv"}}}}, {"node": "import"},
     "missing.csv"),
])
def test_a_schedule_is_checked_like_a_submit_before_it_is_saved(app, changes, culprit, message):
    with app.app_context(), pytest.raises(Unprocessable, match=message) as caught:
        schedules.save("income-retrain", body(**changes), now=T0)
    assert caught.value.details.items() >= culprit.items()
