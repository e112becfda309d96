"""New-data triggers on real files: settled files start one run per version, a file still being
written waits, files there before the trigger are not new, two watchers start one run; a
trigger on an S3 datastore (the test S3 server) does the same with objects."""

import hashlib
import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from app.errors import Unprocessable
from app.extensions import db
from app.models import Run
from app.services import datastores, schedules
from app.services.triggers import Watcher
from tests.conftest import ROOT, bearer, make_app

US = ROOT / "sample_data" / "income" / "us.csv"


def trigger_body(**watch):
    return {"name": "incoming", "kind": "new_data", "cron": None, "timezone": "UTC",
            "interval_seconds": None, "catch_up": True, "enabled": True, "version": None,
            "run": {"experiment_name": "arrivals", "description": "",
                    "parameter_assignments": {}, "data_path_assignments": {}},
            "watch": {"datastore": "inbox", "pattern": "incoming/*.csv",
                      "parameter": "training_data", "poll_seconds": 1, "settle_seconds": 2}
            | watch}


@pytest.fixture
def inbox(app, tmp_path):
    """A datastore 'inbox' with an incoming/ folder holding a file from before the trigger."""
    folder = tmp_path / "inbox" / "incoming"
    folder.mkdir(parents=True)
    shutil.copy(US, folder / "old.csv")
    old = datetime.now(UTC).timestamp() - 60
    os.utime(folder / "old.csv", (old, old))
    with app.app_context():
        datastores.add("inbox", tmp_path / "inbox")
        schedules.save("income-retrain", trigger_body(), now=datetime.now(UTC))
    return folder


def started(app):
    with app.app_context():
        return [(r.source, r.parameters["training_data"]) for r in
                db.session.query(Run).order_by(Run.created)]


def poll(app, watcher, now):
    with app.app_context():
        return [f.slot for f in watcher.poll(now)]


def test_a_new_file_starts_one_run_once_it_stopped_changing(app, inbox):
    watcher, now = Watcher(), datetime.now(UTC)
    shutil.copy(US, inbox / "march.csv")
    assert poll(app, watcher, now) == []  # seen, not yet known to be complete
    assert poll(app, watcher, now + timedelta(seconds=1)) == []
    (slot,) = poll(app, watcher, now + timedelta(seconds=2))
    assert slot.startswith("incoming/march.csv@")
    assert poll(app, watcher, now + timedelta(seconds=10)) == []
    assert started(app) == [("trigger", {"datastore": "inbox", "path": "incoming/march.csv"})]


def test_a_file_still_being_written_waits_until_it_is_complete(app, inbox):
    watcher, now = Watcher(), datetime.now(UTC)
    rows = US.read_bytes()
    growing = inbox / "april.csv"
    with growing.open("wb") as out:
        for part in range(4):  # a quarter of the file between polls, 3 s apart
            out.write(rows[part * len(rows) // 4:(part + 1) * len(rows) // 4])
            out.flush()
            assert poll(app, watcher, now + timedelta(seconds=3 * part)) == []
    finished = now + timedelta(seconds=9)
    assert poll(app, watcher, finished + timedelta(seconds=1)) == []
    (slot,) = poll(app, watcher, finished + timedelta(seconds=2))
    assert slot == f"incoming/april.csv@{hashlib.sha256(rows).hexdigest()}"
    assert len(started(app)) == 1


def test_each_version_of_a_file_starts_at_most_one_run(app, inbox):
    watcher, now = Watcher(), datetime.now(UTC)
    target = inbox / "may.csv"
    shutil.copy(US, target)
    poll(app, watcher, now)
    assert len(poll(app, watcher, now + timedelta(seconds=2))) == 1
    stamp = target.stat().st_mtime_ns + 10**9
    os.utime(target, ns=(stamp, stamp))  # touched: same content, same fingerprint
    poll(app, watcher, now + timedelta(seconds=3))
    assert poll(app, watcher, now + timedelta(seconds=5)) == []
    target.write_bytes(US.read_bytes() + US.read_bytes().splitlines(keepends=True)[1])
    poll(app, watcher, now + timedelta(seconds=6))
    assert len(poll(app, watcher, now + timedelta(seconds=8))) == 1
    assert len(started(app)) == 2


def test_two_watchers_on_one_database_start_one_run_per_file_version(app, inbox):
    first, second, now = Watcher(), Watcher(), datetime.now(UTC)
    shutil.copy(US, inbox / "june.csv")
    for watcher in (first, second):
        poll(app, watcher, now)
    fired = poll(app, first, now + timedelta(seconds=2)) + poll(
        app, second, now + timedelta(seconds=2))
    assert len(fired) == 1 and len(started(app)) == 1


def test_files_outside_the_glob_or_not_data_files_are_ignored(app, inbox):
    watcher, now = Watcher(), datetime.now(UTC)
    (inbox / "notes.md").write_text("not data")
    (inbox.parent / "elsewhere.csv").write_bytes(US.read_bytes())
    poll(app, watcher, now)
    assert poll(app, watcher, now + timedelta(seconds=5)) == []


@pytest.mark.parametrize(("watch", "field", "message"), [
    ({"datastore": "nowhere"}, "watch.datastore", "Unknown datastore 'nowhere'"),
    ({"pattern": "../*.csv"}, "watch.pattern", "contains '..'"),
    ({"parameter": "seed"}, "watch.parameter", "data path parameters: training_data"),
])
def test_a_watch_that_cannot_work_is_refused_naming_the_field(app, inbox, watch, field, message):
    with app.app_context(), pytest.raises(Unprocessable, match=message) as caught:
        schedules.save("income-retrain", trigger_body(**watch) | {"name": "other"},
                       now=datetime.now(UTC))
    assert caught.value.details["field"] == field


@pytest.fixture
def lake_app(tmp_path, s3):
    """An app whose datastore 'lake' is a folder of the test S3 bucket, with a trigger on it."""
    application = make_app({"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
                            "DESIGNER_STORAGE_OPTIONS": s3.options})
    s3.fs.pipe_file(f"{s3.bucket}/data/readme.txt", b"the lake")
    with application.app_context():
        datastores.add("lake", f"s3://{s3.bucket}/data")
        schedules.save("income-retrain", trigger_body(datastore="lake"), now=datetime.now(UTC))
    yield application
    application.extensions["designer"].shutdown()


def test_a_trigger_on_an_s3_datastore_starts_a_run_that_reads_the_new_object(lake_app, s3):
    watcher, now = Watcher(), datetime.now(UTC)
    rows = US.read_bytes()
    s3.fs.pipe_file(f"{s3.bucket}/data/incoming/march.csv", rows)
    s3.fs.pipe_file(f"{s3.bucket}/data/incoming/notes.md", b"not data")
    assert poll(lake_app, watcher, now) == []
    (slot,) = poll(lake_app, watcher, now + timedelta(seconds=2))
    assert slot == f"incoming/march.csv@{hashlib.sha256(rows).hexdigest()}"
    assert poll(lake_app, watcher, now + timedelta(seconds=4)) == []
    assert started(lake_app) == [("trigger", {"datastore": "lake", "path": "incoming/march.csv"})]

    lake_app.extensions["designer"].dispatcher.run_pending()
    with lake_app.app_context():
        run = db.session.query(Run).one()
        assert run.status == "Finished", run.status_reason
        node = next(s.node_id for s in run.steps if s.module == "import_data")
    client = lake_app.test_client()
    preview = client.get(f"/api/v1/runs/{run.id}/steps/{node}/outputs/dataset/preview?rows=1",
                         headers={"Authorization": f"Bearer {bearer(lake_app)}"})
    assert preview.get_json()["row_count"] == len(rows.splitlines()) - 1  # the object's rows

    changed = rows + rows.splitlines(keepends=True)[1]
    s3.fs.pipe_file(f"{s3.bucket}/data/incoming/march.csv", changed)  # a new version
    poll(lake_app, watcher, now + timedelta(seconds=5))
    (again,) = poll(lake_app, watcher, now + timedelta(seconds=7))
    assert again == f"incoming/march.csv@{hashlib.sha256(changed).hexdigest()}"
    assert len(started(lake_app)) == 2
