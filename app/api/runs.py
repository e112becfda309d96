"""Runs: submit a document, list, detail, cancel, live events, step logs and outputs."""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context, url_for

from ..engine.executor import RUN_STATUSES
from ..extensions import db
from ..models import INT_MAX
from ..services import outputs, runs
from ..services.notices import EVENT, notices
from ..services.runtime import runtime
from ..services.streams import StreamSlots
from . import answers, body, int_arg, query, requires, who
from .bodies import SubmitDocument

bp = Blueprint("runs", __name__, url_prefix="/api/v1/runs")
TERMINAL = ("Finished", "Failed", "Canceled")


@bp.post("")
@answers(202, 422)
@body(SubmitDocument)
def submit_document(payload: SubmitDocument):
    """Submit a run of an inline pipeline document."""
    fields = payload.model_dump(exclude={"document"})
    by, source = who()
    run = runs.submit(payload.document, source=source, submitted_by=by, **fields)
    return jsonify(runs.as_dict(run, full=False)), 202, {
        "Location": url_for(".get_run", run_id=run.id)}


@bp.get("")
@query(pipeline="string", experiment="string", status={"type": "string", "enum": RUN_STATUSES},
       limit={"type": "integer", "minimum": 1, "maximum": 1000})
def list_runs():
    """Runs newest first; filter with ?pipeline=, ?experiment=, ?status=, ?limit=."""
    found = runs.list_runs(request.args.get("pipeline"), request.args.get("experiment"),
                           request.args.get("status"), int(request.args.get("limit", "100")))
    return jsonify({"runs": [runs.as_dict(r, full=False) for r in found]})


@bp.get("/<run_id>")
def get_run(run_id):
    """Status, timings, parameters, steps and metrics of a run."""
    return jsonify(runs.as_dict(runs.get(run_id)))


@bp.post("/<run_id>/cancel")
@requires("runner")
@answers(202)
def cancel_run(run_id):
    """Cancel a queued run, or ask a running one to stop."""
    run = runs.cancel(run_id)
    return jsonify(runs.as_dict(run, full=False)), 202


@bp.get("/<run_id>/steps/<node_id>/logs")
def step_logs(run_id, node_id):
    """The log of one step."""
    step = runs.step(run_id, node_id)
    return jsonify({"node_id": node_id, "status": step.status, "log": step.log or ""})


@bp.get("/<run_id>/steps/<node_id>/outputs/<port>/preview")
@query(rows={"type": "integer", "minimum": 0, "maximum": outputs.MAX_PREVIEW_ROWS})
def preview_output(run_id, node_id, port):
    """First rows (?rows=, default 100) and per-column statistics of an output."""
    ref = runs.output_ref(run_id, node_id, port)
    return jsonify(outputs.preview(runtime().store, ref, request.args.get("rows", "100")))


@bp.get("/<run_id>/steps/<node_id>/outputs/<port>")
@answers(200, 422)
@query(format={"type": "string", "enum": ["csv", "parquet"]})
def download_output(run_id, node_id, port):
    """Download an output: data sets as ?format=csv (default) or parquet."""
    ref = runs.output_ref(run_id, node_id, port)
    data, mime, ext = outputs.download(runtime().store, ref, request.args.get("format"))
    name = f"{run_id[:8]}-{node_id}-{port}.{ext}"
    return Response(data, mimetype=mime,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<run_id>/events")
@query(after={"type": "integer", "minimum": 0})
def run_events(run_id):
    """Server-Sent Events of status changes; resumes after Last-Event-ID; ends when done."""
    runs.get(run_id)
    last = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    after = int_arg(last, "Last-Event-ID", 0, INT_MAX,
                    f"Last-Event-ID must be a number in the range [0, {INT_MAX}].")
    config = current_app.config
    seconds = config["DESIGNER_SSE_SECONDS"]
    # Each open stream holds a server thread: past the caps the page polls instead (429).
    slots = current_app.extensions.setdefault("designer.streams", StreamSlots())
    slot = slots.acquire(who()[0] or "anonymous", config["DESIGNER_SSE_PER_USER"],
                         config["DESIGNER_SSE_MAX"])

    def stream(after: int):
        try:
            with notices().watching(EVENT, run_id) as woken:
                yield from _events(run_id, after, woken, seconds, config["DESIGNER_POLL_SECONDS"])
        finally:
            slot.release()

    response = Response(stream_with_context(stream(after)), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.call_on_close(slot.release)  # also when the client leaves before the first byte
    return response


def _events(run_id: str, after: int, woken, seconds: float, poll: float):
    """Each event of a run as soon as it is announced (or polled, the fallback), for
    ``seconds``; then the stream ends and the browser reconnects."""
    deadline = time.monotonic() + seconds
    yield "retry: 1000\n\n"
    ended = True  # at the first look the run may have ended long ago
    while time.monotonic() < deadline:
        woken.clear()
        db.session.rollback()  # a fresh snapshot each look
        for event in runs.events_since(run_id, after):
            after = event.id
            data = {"node_id": event.node_id, "status": event.status, **event.data}
            kind = "log" if event.status == "Log" else "step" if event.node_id else "run"
            yield f"id: {event.id}\nevent: {kind}\ndata: {json.dumps(data)}\n\n"
            # A run ends in the transaction that writes its own event of the end.
            ended = ended or (event.node_id is None and event.status in TERMINAL)
        if ended:
            status = runs.status_of(run_id)  # None: the run was deleted meanwhile
            if (status is None or status in TERMINAL) and not runs.events_since(run_id, after):
                yield "event: end\ndata: {}\n\n"
                return
            ended = False
        woken.wait(min(poll, max(deadline - time.monotonic(), 0)))
