"""Webhook deliveries kept in the database until they are delivered or out of attempts.

A delivery is a row in state ``pending`` with the time its next attempt is due. Any process's
sender may claim a due delivery: one conditional UPDATE moves ``next_attempt_at`` a lease
ahead (candidates read with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so each attempt is sent
by one process. After the attempt the row says delivered, failed (attempts used up) or when
to try again (exponential backoff). A process that dies while sending leaves the row pending:
another retries it once the lease is over. Retries thus survive a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, select, update

from ..engine.outbound import OutboundError, OutboundPolicy, post, redacted
from ..extensions import db
from ..models import WebhookDelivery, iso, now
from .firetimes import as_utc

log = logging.getLogger(__name__)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
SIGNATURE_HEADER = "X-Designer-Signature"
CLAIM_BATCH = 20


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: what a receiver recomputes with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def policy() -> OutboundPolicy:
    """The outbound address rules and timeout deliveries obey."""
    config = current_app.config
    return OutboundPolicy.from_settings(config["DESIGNER_OUTBOUND_ALLOW"],
                                        timeout=config["DESIGNER_OUTBOUND_SECONDS"])


def lease() -> timedelta:
    """How long a claimed attempt is this process's: longer than a slow receiver may take."""
    return timedelta(seconds=4 * current_app.config["DESIGNER_OUTBOUND_SECONDS"] + 30)


def queue(hook_ids: list[str], event: str, payload: dict) -> list[WebhookDelivery]:
    """Save one pending delivery per webhook, due now; the caller wakes a sender."""
    due = now()
    rows = [WebhookDelivery(webhook_id=h, event=event, payload=payload | {"event": event},
                            attempts=[], state=PENDING, next_attempt_at=due) for h in hook_ids]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def claim_due(limit: int, at: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` deliveries whose next attempt is due; their ids."""
    at = at or now()
    candidates = db.session.scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.state == PENDING,
                                         WebhookDelivery.next_attempt_at <= at)
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)
        .with_for_update(skip_locked=True)).all()  # PostgreSQL: others take the next ones
    taken = [d for d in candidates if _claim(d, at)]
    db.session.commit()
    return taken


def claim(delivery_id: int) -> bool:
    """Claim one due delivery unless another process has (a CLI test sends its own at once)."""
    taken = _claim(delivery_id, now())
    db.session.commit()
    return taken


def _claim(delivery_id: int, due_by: datetime) -> bool:
    """Move a delivery still due by ``due_by`` a lease ahead: another process that read it
    due too finds it moved and leaves it."""
    return db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                      WebhookDelivery.state == PENDING,
                                      WebhookDelivery.next_attempt_at <= due_by)
        .values(next_attempt_at=now() + lease())
        .execution_options(synchronize_session=False)).rowcount == 1  # rows are read anew


def next_due() -> datetime | None:
    """When the earliest pending delivery is due (claimed ones: when their lease ends)."""
    found = db.session.scalar(select(func.min(WebhookDelivery.next_attempt_at))
                              .where(WebhookDelivery.state == PENDING))
    return as_utc(found) if found is not None else None


def attempt(delivery_id: int, attempts: int, backoff: float) -> WebhookDelivery | None:
    """Send a claimed delivery once and save the outcome; the delivery (None if deleted)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return None
    hook = delivery.webhook
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    headers = {SIGNATURE_HEADER: sign(hook.secret, body), "X-Designer-Event": delivery.event,
               "X-Designer-Delivery": str(delivery.id)}
    url, rules = hook.url, policy()
    db.session.commit()  # no transaction stays open while the receiver answers
    try:
        status, error = post(url, body, headers, rules), ""
    except OutboundError as exc:
        status, error = None, str(exc)
    delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None:  # the webhook was deleted while its receiver answered
        db.session.rollback()
        return None
    delivery.attempts = [*delivery.attempts, {"at": iso(now()), "status_code": status,
                                              "error": error}]
    delivery.status_code = status
    made = len(delivery.attempts)
    if status and status < 300:
        delivery.state, delivery.next_attempt_at = DELIVERED, None
    elif made >= attempts:
        delivery.state, delivery.next_attempt_at = FAILED, None
        log.warning("webhook delivery %s to %s failed %s times", delivery.id, redacted(url),
                    made)
    else:
        delivery.next_attempt_at = now() + timedelta(seconds=backoff * 2 ** (made - 1))
    db.session.commit()
    return delivery


class Sender:
    """This process's delivery loop: claims due deliveries (queued here or by any process,
    before a restart too) and sends each on a small thread pool, never in the thread that
    queued it."""

    def __init__(self, app: Flask, attempts: int, backoff: float, poll: float = 5.0,
                 threads: int = 4):
        self.app, self.attempts, self.backoff, self.poll = app, attempts, backoff, poll
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook")
        self._slots = threading.Semaphore(threads)
        self._threads = threads
        self._wake, self._stop = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Claim and send due deliveries in the background until stopped."""
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="webhooks",
                                                daemon=True)
                self._thread.start()

    def wake(self) -> None:
        """Deliveries were queued: look now (the loop starts if it was not running)."""
        self.start()
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; attempts under way finish and are saved (the rest stay pending)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before looking: a wake-up during the look is not lost
            wait = self.poll
            try:
                with self.app.app_context():
                    room = self._send_due()
                    due = next_due()
                if room and due is not None:  # else a finished attempt wakes the loop
                    wait = min(wait, max((due - now()).total_seconds(), 0.01))
            except Exception:
                log.exception("webhook delivery loop error")
            self._wake.wait(timeout=wait)

    def _send_due(self) -> bool:
        """Claim as many due deliveries as threads are free; True if a thread is left free."""
        free = 0
        while free < min(self._threads, CLAIM_BATCH) and self._slots.acquire(blocking=False):
            free += 1
        try:
            taken = claim_due(free) if free else []
        except Exception:
            for _ in range(free):
                self._slots.release()
            raise
        for _ in range(free - len(taken)):
            self._slots.release()
        for delivery_id in taken:
            self._pool.submit(self._send, delivery_id)
        return free > len(taken)

    def _send(self, delivery_id: int) -> None:
        try:
            with self.app.app_context():
                attempt(delivery_id, self.attempts, self.backoff)
        except Exception:
            log.exception("webhook delivery %s: the attempt could not be saved", delivery_id)
        finally:
            self._slots.release()
            self._wake.set()  # a free thread: look for more, and at the new next attempt time
