"""Two processes on one PostgreSQL database tick the same schedule: one run per slot."""

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from app import create_app
from app.extensions import db
from app.models import Run, ScheduleFire
from app.services import samples, schedules
from tests.conftest import ROOT, postgres_schema, search_path
from tests.services.test_schedules import body

T0 = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
SLOTS = 6

# Each process builds its own app on the shared schema, waits for the common start time, then
# ticks every slot (three times each, as a fast clock would) and prints how many it fired.
TICKER = """
import json, sys, time
from datetime import datetime, timedelta
from app import create_app
from app.services.scheduler import Scheduler
config = json.loads(sys.argv[1])
start, t0 = config.pop("start"), datetime.fromisoformat(config.pop("t0"))
slots = config.pop("slots")
app = create_app(config)
scheduler = Scheduler(app, every=1, grace=300)
time.sleep(max(0.0, start - time.time()))
fired = 0
for hour in range(1, slots + 1):
    for second in (0, 0, 1):
        fired += len(scheduler.tick(t0 + timedelta(hours=hour, seconds=second)))
print(fired)
"""


def test_two_processes_on_one_postgresql_database_start_one_run_per_slot(tmp_path):
    with postgres_schema("s") as (url, schema):
        config = {"DESIGNER_HOME": str(tmp_path / "instance"), "SECRET_KEY": "test",
                  "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": search_path(schema)}
        app = create_app(config)
        with app.app_context():
            samples.init()
            schedules.save("income-retrain", body(cron="0 * * * *", timezone="UTC"), now=T0)
        start = time.time() + 8  # both processes have imported everything by then
        arg = json.dumps(config | {"start": start, "t0": T0.isoformat(), "slots": SLOTS})
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        tickers = [subprocess.Popen([sys.executable, "-c", TICKER, arg], cwd=ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        outputs = [t.communicate(timeout=180) for t in tickers]
        assert all(t.returncode == 0 for t in tickers), [err[-2000:] for _, err in outputs]
        fired = [int(out.strip()) for out, _ in outputs]
        with app.app_context():
            slots = sorted(s for s, in db.session.query(ScheduleFire.slot))
            started = db.session.query(Run).filter_by(source="schedule").count()
        app.extensions["designer"].shutdown()  # before the pool closes: it may still connect
        with app.app_context():
            db.engine.dispose()
    assert sum(fired) == SLOTS == started
    assert slots == [(T0 + timedelta(hours=h)).isoformat() for h in range(1, SLOTS + 1)]
