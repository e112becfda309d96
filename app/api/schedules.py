"""Schedules and new-data triggers of a pipeline endpoint: list, preview, save, enable, delete."""

from flask import Blueprint, jsonify

from ..services import schedules
from ..services.runtime import runtime
from . import answers, body, requires, who
from .bodies import ScheduleBody, ScheduleTiming

bp = Blueprint("schedules", __name__, url_prefix="/api/v1/endpoints/<ref>/schedules")


def _now():
    return runtime().scheduler.clock()


@bp.get("")
def list_schedules(ref):
    """The endpoint's schedules and triggers, each with its next five fire times."""
    now = _now()
    return jsonify({"schedules": [schedules.as_dict(s, now) for s in schedules.list_for(ref)]})


@bp.post("/preview")
@requires("viewer")
@answers(200, 422)
@body(ScheduleTiming)
def preview(ref, payload: ScheduleTiming):
    """The next five fire times of a timing, before it is saved."""
    return jsonify({"next": schedules.preview(payload.model_dump(), _now())})


@bp.post("")
@answers(201, 422)
@body(ScheduleBody)
def create(ref, payload: ScheduleBody):
    """Add a schedule or trigger (checked like the endpoint's Submit)."""
    schedule = schedules.save(ref, payload.model_dump(), now=_now(), by=who()[0])
    return jsonify(schedules.as_dict(schedule, _now())), 201


@bp.get("/<name>")
def get_schedule(ref, name):
    """One schedule with its history: every slot it fired and the run it started."""
    return jsonify(schedules.as_dict(schedules.find(ref, name), _now(), full=True))


@bp.put("/<name>")
@answers(200, 422)
@body(ScheduleBody)
def update(ref, name, payload: ScheduleBody):
    """Replace a schedule's settings (its history stays)."""
    schedule = schedules.save(ref, payload.model_dump(), now=_now(), by=who()[0], name=name)
    return jsonify(schedules.as_dict(schedule, _now()))


@bp.post("/<name>/enable")
def enable(ref, name):
    """Fire again, from the next fire time on (no catch-up for the paused time)."""
    return jsonify(schedules.as_dict(schedules.set_enabled(ref, name, True, now=_now()), _now()))


@bp.post("/<name>/disable")
def disable(ref, name):
    """Stop firing until enabled."""
    return jsonify(schedules.as_dict(schedules.set_enabled(ref, name, False, now=_now()),
                                     _now()))


@bp.delete("/<name>")
@answers(204)
def delete(ref, name):
    """Delete a schedule and its history (the runs it started stay)."""
    schedules.delete(ref, name)
    return "", 204
