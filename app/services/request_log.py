"""The request log of real-time endpoints: counts and latency percentiles per time bucket.

A scoring request only adds to this process's in-memory tally (``Tally.add``: a lock, two
integer increments); it never writes to the database. A background thread started when a
process first serves an endpoint moves the tallies into ``RequestBucket`` rows every
``DESIGNER_REQUEST_LOG_SECONDS``, reading an endpoint flushes that endpoint's tally first, and
shutting down flushes what is left, so the log survives restarts. Latencies are kept as a
histogram of logarithmic bins (each 5 % wide), so buckets written by several processes add up
and a percentile is exact to the bin's width.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import RealtimeEndpoint, RequestBucket, iso, now
from .runtime import runtime

log = logging.getLogger(__name__)
BUCKET_SECONDS = 60
BUCKETS_SHOWN = 60  # the newest buckets with requests that an endpoint's JSON lists
RATIO = 1.05        # each latency bin is 5 % wider than the one before
FLOOR = 1e-5        # seconds: bin 0 holds everything up to 0.01 ms
_LOG_RATIO = math.log(RATIO)
PERCENTILES = {"p50_ms": 0.50, "p95_ms": 0.95, "p99_ms": 0.99}


def latency_bin(seconds: float) -> int:
    """The histogram bin of a latency."""
    return max(0, int(math.log(max(seconds, FLOOR) / FLOOR) / _LOG_RATIO))


def bin_ms(index: int) -> float:
    """A bin's representative latency in milliseconds (its geometric middle)."""
    return FLOOR * RATIO ** (index + 0.5) * 1000


class Tally:
    """One endpoint's requests in this process not yet written: bucket start (epoch seconds)
    -> [succeeded, failed, {latency bin: count}]."""

    __slots__ = ("lock", "pending")

    def __init__(self):
        self.lock = threading.Lock()
        self.pending: dict[int, list] = {}

    def add(self, seconds: float, ok: bool) -> None:
        """Count one request (called on the scoring path: memory only)."""
        start = int(time.time()) // BUCKET_SECONDS * BUCKET_SECONDS
        index = latency_bin(seconds)
        with self.lock:
            entry = self.pending.get(start)
            if entry is None:
                entry = self.pending[start] = [0, 0, {}]
            entry[0 if ok else 1] += 1
            entry[2][index] = entry[2].get(index, 0) + 1

    def take(self) -> dict[int, list]:
        """Everything counted so far, leaving the tally empty."""
        with self.lock:
            taken, self.pending = self.pending, {}
        return taken

    def put_back(self, taken: dict[int, list]) -> None:
        """Return counts whose write failed, to be written by the next flush."""
        with self.lock:
            for start, (ok, failed, histogram) in taken.items():
                entry = self.pending.setdefault(start, [0, 0, {}])
                entry[0] += ok
                entry[1] += failed
                for index, count in histogram.items():
                    entry[2][index] = entry[2].get(index, 0) + count


def _merged(histogram: dict, more: dict) -> dict:
    out = dict(histogram)
    for index, count in more.items():
        out[str(index)] = out.get(str(index), 0) + count
    return out


def flush(endpoint_id: str | None = None) -> None:
    """Write this process's tallies (of one endpoint, or all) into the request log."""
    tallies = runtime().serving_stats
    for eid in [endpoint_id] if endpoint_id else list(tallies):
        tally = tallies.get(eid)
        taken = tally.take() if tally else None
        if not taken:
            continue
        try:
            _write(eid, taken)
            db.session.commit()
        except SQLAlchemyError as exc:  # e.g. another process wrote the same bucket first
            db.session.rollback()
            tally.put_back(taken)
            log.warning("request log of endpoint %s not written yet: %s", eid, exc)


def _write(endpoint_id: str, taken: dict[int, list]) -> None:
    if db.session.get(RealtimeEndpoint, endpoint_id) is None:
        runtime().serving_stats.pop(endpoint_id, None)  # the endpoint is gone
        return
    for start, (ok, failed, histogram) in taken.items():
        moment = datetime.fromtimestamp(start, UTC)
        row = db.session.scalar(select(RequestBucket).filter_by(
            endpoint_id=endpoint_id, start=moment).with_for_update())
        if row is None:
            db.session.add(RequestBucket(endpoint_id=endpoint_id, start=moment, ok=ok,
                                         failed=failed, histogram=_merged({}, histogram)))
        else:
            row.ok, row.failed = row.ok + ok, row.failed + failed
            row.histogram = _merged(row.histogram, histogram)


def prune(days: float) -> None:
    """Drop buckets older than ``days``."""
    db.session.execute(delete(RequestBucket).where(
        RequestBucket.start < now() - timedelta(days=days)))
    db.session.commit()


def percentiles(histogram: dict) -> dict:
    """p50, p95 and p99 in milliseconds of a latency histogram (nearest rank)."""
    bins = sorted((int(k), v) for k, v in histogram.items())
    total = sum(v for _, v in bins)
    out = {}
    for name, q in PERCENTILES.items():
        rank, seen = max(1, math.ceil(q * total)), 0
        for index, count in bins:
            seen += count
            if seen >= rank:
                out[name] = round(bin_ms(index), 3)
                break
    return out


def summary(endpoint_id: str) -> dict:
    """The endpoint's request log: totals and percentiles over the kept history, and the
    newest buckets (oldest first)."""
    flush(endpoint_id)
    rows = list(db.session.scalars(select(RequestBucket).filter_by(endpoint_id=endpoint_id)
                                   .order_by(RequestBucket.start)))
    histogram: dict = {}
    for row in rows:
        histogram = _merged(histogram, row.histogram)
    ok, failed = sum(r.ok for r in rows), sum(r.failed for r in rows)
    return {"count": ok + failed, "succeeded": ok, "failed": failed,
            **percentiles(histogram), "bucket_seconds": BUCKET_SECONDS,
            "buckets": [{"start": iso(r.start), "succeeded": r.ok, "failed": r.failed,
                         **percentiles(r.histogram)} for r in rows[-BUCKETS_SHOWN:]]}


class Flusher:
    """The background thread writing one app's tallies every few seconds."""

    def __init__(self, app: Flask):
        self.app = app
        self.every = app.config["DESIGNER_REQUEST_LOG_SECONDS"]
        self.days = app.config["DESIGNER_REQUEST_LOG_DAYS"]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="request-log", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopping.wait(self.every):
            self._flush(prune_too=True)

    def _flush(self, prune_too: bool = False) -> None:
        with self.app.app_context():
            try:
                flush()
                if prune_too:
                    prune(self.days)
            except Exception:  # the thread must outlive a bad moment of the database
                log.exception("request log flush failed")
                db.session.rollback()
            finally:
                db.session.remove()

    def stop(self) -> None:
        """Stop the thread and write what is left."""
        self.stopping.set()
        self.thread.join(timeout=30)
        self._flush()


_START = threading.Lock()


def start_flusher() -> None:
    """Start this app's flusher once (when the process first serves an endpoint)."""
    rt = runtime()
    if rt.request_flusher is None:
        with _START:
            if rt.request_flusher is None:
                rt.request_flusher = Flusher(rt.app)
