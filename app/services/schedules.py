"""Schedules of pipeline endpoints: cron or interval timing, new-data triggers, their fires.

A schedule holds the submission body of the endpoint's Submit (Azure ML's shape), checked the
same way when it is saved. Each fire claims a (schedule, slot) row in the database, after a
conditional UPDATE of ``next_fire`` for timed schedules, so one slot starts one run however
many processes share the database. Times come in as arguments (``now``): no clock here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import islice, takewhile
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..engine.document import name_problem
from ..errors import AppError, BadRequest, Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models import PipelineEndpoint, Schedule, ScheduleFire, iso
from . import audit, publishing, runs
from .firetimes import TimingError, as_utc, check_cron, check_interval, cron_iter, zone
from .runtime import runtime

log = logging.getLogger(__name__)
CRON, INTERVAL, NEW_DATA = "cron", "interval", "new_data"
TIMED = (CRON, INTERVAL)
PREVIEW = 5
HISTORY = 50
SOURCES = {CRON: "schedule", INTERVAL: "schedule", NEW_DATA: "trigger"}


# -- timing ----------------------------------------------------------------------------------
def times_after(timing: dict, after: datetime, anchor: datetime):
    """The fire times of a timing (kind, cron, timezone, interval_seconds) after ``after``."""
    if timing["kind"] == CRON:
        return cron_iter(timing["cron"], timing.get("timezone") or "UTC", after)
    step = timedelta(seconds=check_interval(timing.get("interval_seconds")))
    k = max(0, (after - anchor) // step + 1)
    return (anchor + (k + i) * step for i in range(10**9))


def preview(timing: dict, now: datetime) -> list[str]:
    """The next five fire times of a timing not saved yet (422 naming a bad field)."""
    checked = _checked_timing(timing)
    return [iso(t) for t in islice(times_after(checked, now, now), PREVIEW)]


def _checked_timing(timing: dict) -> dict:
    kind = timing.get("kind")
    try:
        if kind == CRON:
            zone(timing.get("timezone") or "UTC")
            return timing | {"cron": check_cron(timing.get("cron"))}
        if kind == INTERVAL:
            check_interval(timing.get("interval_seconds"))
            return timing
    except TimingError as exc:
        raise Unprocessable(str(exc), field=exc.field) from None
    raise Unprocessable(f"A schedule of kind {kind!r} has no fire times.", field="kind")


def _timing(schedule: Schedule) -> dict:
    return {"kind": schedule.kind, "cron": schedule.cron, "timezone": schedule.timezone,
            "interval_seconds": schedule.interval_seconds}


def upcoming(schedule: Schedule, after: datetime, count: int = PREVIEW) -> list[datetime]:
    """The schedule's next ``count`` fire times after ``after``."""
    return list(islice(times_after(_timing(schedule), after, as_utc(schedule.created)), count))


# -- saving ----------------------------------------------------------------------------------
def find(endpoint_ref: str, name: str) -> Schedule:
    """A schedule of an endpoint by name, or NotFound listing the endpoint's schedules."""
    endpoint = publishing.find(endpoint_ref)
    schedule = db.session.scalar(select(Schedule).filter_by(endpoint_id=endpoint.id, name=name))
    if schedule is None:
        known = ", ".join(s.name for s in list_for(endpoint.id)) or "none"
        raise NotFound(f"Pipeline endpoint '{endpoint.name}' has no schedule '{name}' "
                       f"(schedules: {known}).")
    return schedule


def list_for(endpoint_ref: str) -> list[Schedule]:
    """The endpoint's schedules and triggers by name."""
    endpoint = publishing.find(endpoint_ref)
    return list(db.session.scalars(select(Schedule).filter_by(endpoint_id=endpoint.id)
                                   .order_by(Schedule.name)))


def save(endpoint_ref: str, data: dict, *, now: datetime, by: str = "",
         name: str | None = None) -> Schedule:
    """Create a schedule, or replace schedule ``name``; checked like a Submit before saving."""
    endpoint = publishing.find(endpoint_ref)
    schedule = find(endpoint.id, name) if name else Schedule(endpoint=endpoint, created=now,
                                                             created_by=by)
    if problem := name_problem("Schedule name", data.get("name")):
        raise BadRequest(problem, field="name")
    _check_run(endpoint, data)
    watch = data.get("watch") or {}
    timed = data["kind"] in TIMED
    if timed:
        data = data | _checked_timing(data)
    for key in ("name", "kind", "cron", "timezone", "interval_seconds", "catch_up", "enabled",
                "version", "run"):
        setattr(schedule, key, data.get(key))
    schedule.timezone = data.get("timezone") or "UTC"
    schedule.watch_datastore, schedule.watch_pattern, schedule.watch_parameter = (
        watch.get("datastore"), watch.get("pattern"), watch.get("parameter"))
    schedule.poll_seconds = watch.get("poll_seconds") or 30
    schedule.settle_seconds = watch.get("settle_seconds", 10)
    schedule.updated = now
    schedule.next_fire = upcoming(schedule, now, 1)[0] if timed else None
    db.session.add(schedule)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"Pipeline endpoint '{endpoint.name}' has a schedule named "
                       f"'{data['name']}' already.", field="name") from None
    audit.record("schedule.update" if name else "schedule.create",
                 f"{endpoint.name}/{schedule.name}", {"kind": schedule.kind})
    return schedule


def _check_run(endpoint: PipelineEndpoint, data: dict) -> None:
    """The version and the submission body must be what the endpoint's Submit accepts."""
    try:
        published = publishing.version_of(endpoint, data.get("version"))
    except NotFound as exc:
        raise Unprocessable(exc.message, field="version") from None
    doc, values = publishing.assignments(published, data.get("run") or {})
    if data["kind"] == NEW_DATA:
        from . import triggers  # it fires through this module

        parameter = triggers.check_watch(doc, data.get("watch"))
        values.pop(parameter, None)  # each run gets the file that arrived
    elif data.get("watch"):
        raise Unprocessable("Only a schedule of kind 'new_data' watches a folder.",
                            field="watch")
    runs.plan_for(doc, values)


def set_enabled(endpoint_ref: str, name: str, enabled: bool, *, now: datetime) -> Schedule:
    """Enable (next fire counted from now: no catch-up for the paused time) or disable."""
    schedule = find(endpoint_ref, name)
    schedule.enabled = enabled
    if enabled and schedule.kind in TIMED:
        schedule.next_fire = upcoming(schedule, now, 1)[0]
    db.session.commit()
    audit.record("schedule.enable" if enabled else "schedule.disable",
                 f"{schedule.endpoint.name}/{schedule.name}")
    return schedule


def delete(endpoint_ref: str, name: str) -> None:
    """Delete a schedule and its history (the runs it started stay)."""
    schedule = find(endpoint_ref, name)
    target = f"{schedule.endpoint.name}/{schedule.name}"
    db.session.delete(schedule)
    db.session.commit()
    audit.record("schedule.delete", target)


# -- firing ----------------------------------------------------------------------------------
def fire_due(now: datetime, grace: timedelta) -> list[ScheduleFire]:
    """Start the runs of every timed schedule whose next fire time has come.

    Of the slots due, only the latest counts: on time (within ``grace``) it fires; missed
    (the app was down) it fires once as a catch-up run when the schedule says so, else not.
    """
    due = db.session.scalars(select(Schedule).where(
        Schedule.enabled.is_(True), Schedule.kind.in_(TIMED), Schedule.next_fire <= now)).all()
    fires = []
    for schedule in due:
        try:
            fire = _fire_latest(schedule, now, grace)
        except Exception:
            log.exception("schedule %s could not fire", schedule.id)
            db.session.rollback()
            continue
        if fire is not None:
            fires.append(fire)
    return fires


def _fire_latest(schedule: Schedule, now: datetime, grace: timedelta) -> ScheduleFire | None:
    claimed_next = schedule.next_fire
    first = as_utc(claimed_next)
    *_, latest = first, *takewhile(lambda t: t <= now, times_after(
        _timing(schedule), first, as_utc(schedule.created)))
    following = upcoming(schedule, max(latest, now), 1)[0]
    taken = db.session.execute(update(Schedule).where(
        Schedule.id == schedule.id, Schedule.next_fire == claimed_next)
        .values(next_fire=following)).rowcount
    on_time = now - latest <= grace
    if taken != 1 or not (on_time or schedule.catch_up):
        db.session.commit()
        return None
    return claim_and_start(schedule, latest.isoformat(), latest, catch_up=not on_time)


def claim_and_start(schedule: Schedule, slot: str, when: datetime, *, catch_up: bool = False,
                    data_paths: dict | None = None) -> ScheduleFire | None:
    """Claim the (schedule, slot) row and submit the run; None when another process has it."""
    fire = ScheduleFire(schedule_id=schedule.id, slot=slot, fire_time=when, catch_up=catch_up)
    db.session.add(fire)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    body = dict(schedule.run or {})
    body["data_path_assignments"] = {**(body.get("data_path_assignments") or {}),
                                     **(data_paths or {})}
    body["description"] = body.get("description") or _description(schedule, slot, catch_up)
    try:
        run = publishing.submit(schedule.endpoint_id, schedule.version, body,
                                by=f"schedule:{schedule.name}", source=SOURCES[schedule.kind])
        fire.run_id = run.id
    except AppError as exc:  # e.g. the endpoint was disabled, or a data file went away
        db.session.rollback()
        fire.error = exc.message
        log.warning("schedule %s slot %s: %s", schedule.id, slot, exc.message)
    db.session.commit()
    runtime().wake_dispatcher()
    return fire


def _description(schedule: Schedule, slot: str, catch_up: bool) -> str:
    if schedule.kind == NEW_DATA:
        return f"New data for trigger '{schedule.name}': {slot.rpartition('@')[0]}"
    return f"{'Catch-up run' if catch_up else 'Run'} of schedule '{schedule.name}' for {slot}"


# -- reading ---------------------------------------------------------------------------------
def history(schedule: Schedule, limit: int = HISTORY) -> list[dict]:
    """The schedule's fires, newest first, each with its run's status (or why none started)."""
    fires = db.session.scalars(select(ScheduleFire).filter_by(schedule_id=schedule.id)
                               .order_by(ScheduleFire.id.desc()).limit(limit))
    return [fire_dict(f) for f in fires]


def fire_dict(fire: ScheduleFire) -> dict:
    """JSON form of a fire: its slot and the run it started, or why none started."""
    return {"slot": fire.slot, "fire_time": iso(fire.fire_time), "catch_up": fire.catch_up,
            "run_id": fire.run_id, "status": fire.run.status if fire.run else None,
            "parameters": fire.run.parameters if fire.run else None, "error": fire.error,
            "created": iso(fire.created)}


def as_dict(schedule: Schedule, now: datetime, *, full: bool = False) -> dict[str, Any]:
    """JSON form of a schedule; ``full`` adds its history."""
    out = {"id": schedule.id, "endpoint": schedule.endpoint.name, "name": schedule.name,
           "kind": schedule.kind, "enabled": schedule.enabled, "cron": schedule.cron,
           "timezone": schedule.timezone, "interval_seconds": schedule.interval_seconds,
           "catch_up": schedule.catch_up, "version": schedule.version, "run": schedule.run,
           "next_fire": iso(schedule.next_fire) if schedule.enabled else None,
           "upcoming": [iso(t) for t in upcoming(schedule, now)]
           if schedule.kind in TIMED else [],
           "watch": None if schedule.kind != NEW_DATA else {
               "datastore": schedule.watch_datastore, "pattern": schedule.watch_pattern,
               "parameter": schedule.watch_parameter, "poll_seconds": schedule.poll_seconds,
               "settle_seconds": schedule.settle_seconds},
           "created_by": schedule.created_by, "created": iso(schedule.created),
           "updated": iso(schedule.updated)}
    if full:
        out["history"] = history(schedule)
    return out
