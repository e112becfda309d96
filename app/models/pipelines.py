"""Tables of pipelines and their runs: datastores, drafts, pipeline endpoints with their
published versions, experiments, runs, their steps and events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import new_id, now


class Datastore(db.Model):
    """A named root folder that data paths are resolved in."""

    __tablename__ = "datastores"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    root: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Pipeline(db.Model):
    """A draft pipeline: its document and a revision for optimistic concurrency."""

    __tablename__ = "pipelines"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    sample: Mapped[str | None] = mapped_column(String(100), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class PipelineEndpoint(db.Model):
    """A named, versioned target that published pipelines are submitted to."""

    __tablename__ = "pipeline_endpoints"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="Active")
    default_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    versions: Mapped[list[PublishedVersion]] = relationship(
        back_populates="endpoint", order_by="PublishedVersion.version",
        cascade="all, delete-orphan")


class PublishedVersion(db.Model):
    """An immutable published pipeline: the frozen document and its parameter schema."""

    __tablename__ = "published_versions"
    __table_args__ = (UniqueConstraint("endpoint_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("pipeline_endpoints.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)
    parameter_schema: Mapped[dict] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    pipeline_id: Mapped[str | None] = mapped_column(
        ForeignKey("pipelines.id", ondelete="SET NULL"))
    published_by: Mapped[str] = mapped_column(String(200), default="")
    published: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    endpoint: Mapped[PipelineEndpoint] = relationship(back_populates="versions")


class Experiment(db.Model):
    """A named group of runs."""

    __tablename__ = "experiments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Run(db.Model):
    """One execution of a frozen pipeline document with resolved parameter values."""

    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    pipeline_id: Mapped[str | None] = mapped_column(
        ForeignKey("pipelines.id", ondelete="SET NULL"), index=True
    )
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    document: Mapped[dict] = mapped_column(JSON)
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="Queued", index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    regenerate_outputs: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="api")
    submitted_by: Mapped[str] = mapped_column(String(200), default="")
    endpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("pipeline_endpoints.id", ondelete="SET NULL"), index=True
    )
    endpoint_version: Mapped[int | None] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(200), default="")
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)
    started: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    experiment: Mapped[Experiment] = relationship()
    steps: Mapped[list[StepRun]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="StepRun.position"
    )


class StepRun(db.Model):
    """The state of one node within a run."""

    __tablename__ = "step_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    module: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="NotStarted")
    started: Mapped[float | None] = mapped_column(Float)
    finished: Mapped[float | None] = mapped_column(Float)
    cache_key: Mapped[str | None] = mapped_column(String(64))
    reused_from: Mapped[str | None] = mapped_column(String(32))
    outputs: Mapped[dict] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[dict | None] = mapped_column(JSON)
    log: Mapped[str] = mapped_column(Text, default="")

    run: Mapped[Run] = relationship(back_populates="steps")


class RunEvent(db.Model):
    """An ordered status change of a run or step; the id is the Server-Sent Events id."""

    __tablename__ = "run_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
