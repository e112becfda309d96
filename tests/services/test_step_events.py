"""Step events written behind the steps: in order, several to a transaction, one bad event
not losing the others, and ``flush`` returning once a run's events are all in the database."""

import threading

from app.extensions import db
from app.models import RunEvent, StepRun
from tests.api.test_runs import submit


def queued_run(client) -> str:
    response = submit(client)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def test_events_from_many_threads_are_written_in_order_and_flushed(app, client):
    run_id = queued_run(client)
    events = app.extensions["designer"].dispatcher.step_events

    def report(thread: int) -> None:
        for i in range(50):
            events.record(run_id, "split", "Log", {"line": f"thread {thread} line {i}"})

    threads = [threading.Thread(target=report, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events.record(run_id, "split", "Finished", {"finished": 12.5, "metrics": {"n": 1}})
    events.flush(run_id)  # returns once all 201 are written

    with app.app_context():
        step = db.session.query(StepRun).filter_by(run_id=run_id, node_id="split").one()
        lines = step.log.splitlines()
        assert (step.status, step.finished, len(lines)) == ("Finished", 12.5, 200)
        for thread in range(4):  # each thread's lines in the order it reported them
            mine = [line for line in lines if line.startswith(f"thread {thread} ")]
            assert mine == [f"thread {thread} line {i}" for i in range(50)]
        written = db.session.query(RunEvent).filter_by(run_id=run_id, node_id="split").count()
        assert written == 201


def test_an_event_that_cannot_be_written_loses_no_other(app, client, caplog):
    run_id = queued_run(client)
    events = app.extensions["designer"].dispatcher.step_events
    events.record(run_id, "split", "Log", {"line": "before"})
    events.record(run_id, "no-such-node", "Log", {"line": "lost"})
    events.record(run_id, "split", "Log", {"line": "after"})
    events.flush(run_id)
    with app.app_context():
        step = db.session.query(StepRun).filter_by(run_id=run_id, node_id="split").one()
        assert step.log == "before\nafter\n"
    assert "could not be written" in caplog.text
