"""Tables of retraining on its own: schedules and triggers with their fires, webhooks with
their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import new_id, now
from .pipelines import PipelineEndpoint, Run


class Schedule(db.Model):
    """A pipeline endpoint's automatic run: on a cron expression or interval (``next_fire``
    is the next slot), or on new data (``watch_*``: a datastore folder's files matching a
    glob). ``run`` is the submission body, Azure ML's shape, as the endpoint's Submit takes."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("endpoint_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("pipeline_endpoints.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # cron, interval, new_data
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cron: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    catch_up: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int | None] = mapped_column(Integer)  # None: the endpoint's default
    run: Mapped[dict] = mapped_column(JSON, default=dict)
    next_fire: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    watch_datastore: Mapped[str | None] = mapped_column(String(64))
    watch_pattern: Mapped[str | None] = mapped_column(String(500))
    watch_parameter: Mapped[str | None] = mapped_column(String(64))
    poll_seconds: Mapped[int] = mapped_column(Integer, default=30)
    settle_seconds: Mapped[int] = mapped_column(Integer, default=10)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    endpoint: Mapped[PipelineEndpoint] = relationship()


class ScheduleFire(db.Model):
    """One claimed slot of a schedule (a fire time, or a file version for new data) and the
    run it started; the unique (schedule, slot) pair makes one slot start one run, however
    many processes share the database."""

    __tablename__ = "schedule_fires"
    __table_args__ = (UniqueConstraint("schedule_id", "slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    slot: Mapped[str] = mapped_column(String(1100))
    fire_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    catch_up: Mapped[bool] = mapped_column(Boolean, default=False)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    error: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    run: Mapped[Run | None] = relationship()


class Webhook(db.Model):
    """A URL told about run completions (and promotions) of one pipeline endpoint, or of all
    (``endpoint_id`` None); each body is signed with ``secret`` (HMAC-SHA256)."""

    __tablename__ = "webhooks"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    endpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("pipeline_endpoints.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(64))
    events: Mapped[list] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    endpoint: Mapped[PipelineEndpoint | None] = relationship()


class WebhookDelivery(db.Model):
    """One event sent to a webhook: every attempt's outcome, the last status code, its state
    (pending, delivered, failed) and, while pending, when its next attempt is due."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    attempts: Mapped[list] = mapped_column(JSON, default=list)
    status_code: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                             index=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)

    webhook: Mapped[Webhook] = relationship()
