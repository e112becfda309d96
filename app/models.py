"""Database tables: datastores, pipelines, experiments, runs, steps, run events, models,
real-time endpoints with their deployments and request log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

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

from .extensions import db

# The largest value every Integer column holds: PostgreSQL's int4, narrower than SQLite's.
INT_MAX = 2**31 - 1


def now() -> datetime:
    """The current UTC time (timezone-aware)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random identifier for rows that appear in URLs."""
    return uuid.uuid4().hex


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with a UTC offset (SQLite drops tzinfo, so it is added back)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


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


class RegisteredModel(db.Model):
    """A named model whose versions are the trained models of runs."""

    __tablename__ = "registered_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    versions: Mapped[list[ModelVersion]] = relationship(
        back_populates="model", order_by="ModelVersion.version", cascade="all, delete-orphan")


class ModelVersion(db.Model):
    """One trained model with its lineage: the run, endpoint version, parameters, data, metrics.

    What the lineage names is copied here (endpoint name, data fingerprints, metrics), so it
    survives the deletion of the run or the endpoint it came from.
    """

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    artifact_key: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    node_id: Mapped[str] = mapped_column(String(64))
    pipeline_id: Mapped[str | None] = mapped_column(String(32))
    endpoint_name: Mapped[str | None] = mapped_column(String(64))
    endpoint_version: Mapped[int | None] = mapped_column(Integer)
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    data: Mapped[list] = mapped_column(JSON, default=list)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    task: Mapped[str] = mapped_column(String(20), default="")
    label_column: Mapped[str] = mapped_column(String(200), default="")
    feature_columns: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(20), default="retrain")
    registered_by: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    model: Mapped[RegisteredModel] = relationship(back_populates="versions")


class RealtimeEndpoint(db.Model):
    """A deployed real-time inference pipeline, answering scoring requests over REST.

    ``document`` is the inference pipeline as deployed (its saved model the served version's);
    ``input_schema`` lists the columns a request's rows carry, with their types, and
    ``example`` a row of the design-time data for the Test form and the code examples.
    """

    __tablename__ = "realtime_endpoints"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    pipeline_id: Mapped[str | None] = mapped_column(
        ForeignKey("pipelines.id", ondelete="SET NULL"))
    document: Mapped[dict] = mapped_column(JSON)
    input_schema: Mapped[dict] = mapped_column(JSON, default=dict)
    example: Mapped[dict] = mapped_column(JSON, default=dict)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"))
    deployment: Mapped[int] = mapped_column(Integer, default=1)
    # Champion / challenger: retrains of this pipeline endpoint register challengers; with a
    # metric set, one that beats the champion by the margin on the same rows is promoted.
    pipeline_endpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("pipeline_endpoints.id", ondelete="SET NULL"))
    auto_metric: Mapped[str | None] = mapped_column(String(40))
    auto_margin: Mapped[float] = mapped_column(Float, default=0.0)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    model_version: Mapped[ModelVersion | None] = relationship()
    pipeline_endpoint: Mapped[PipelineEndpoint | None] = relationship()


class PromotionDecision(db.Model):
    """A champion / challenger decision: promoted or kept, by whom or by the rule, and why."""

    __tablename__ = "promotion_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("realtime_endpoints.id", ondelete="CASCADE"), index=True)
    champion: Mapped[str] = mapped_column(String(100), default="")  # "model:version" before
    challenger: Mapped[str] = mapped_column(String(100))             # the version considered
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    rolled_back: Mapped[bool] = mapped_column(Boolean, default=False)  # to a version served before
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    comparison: Mapped[dict] = mapped_column(JSON, default=dict)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class RealtimeDeployment(db.Model):
    """One deployment of a real-time endpoint: what it served from then on, how and by whom."""

    __tablename__ = "realtime_deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("realtime_endpoints.id", ondelete="CASCADE"), index=True)
    deployment: Mapped[int] = mapped_column(Integer)  # the endpoint's deployment number
    action: Mapped[str] = mapped_column(String(20))   # deploy, promote, roll back
    model_name: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[int | None] = mapped_column(Integer)
    pipeline_id: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    deployed_by: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class RequestBucket(db.Model):
    """Scoring requests of one endpoint in one time bucket: counts and a latency histogram.

    Filled from memory by a background flush, never by a request; ``histogram`` maps a
    logarithmic latency bin to its count, so buckets from several processes add up.
    """

    __tablename__ = "realtime_request_buckets"
    __table_args__ = (UniqueConstraint("endpoint_id", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("realtime_endpoints.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ok: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    histogram: Mapped[dict] = mapped_column(JSON, default=dict)


ROLES = ("viewer", "runner", "editor", "admin")


class User(db.Model):
    """A person who signs in to the web pages."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session cookie's identity: rotating it ends every session of the user.
    session_token: Mapped[str] = mapped_column(String(64), default=new_id)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    # Flask-Login's interface
    @property
    def is_authenticated(self) -> bool:
        """Always true for a loaded user."""
        return True

    @property
    def is_active(self) -> bool:
        """Disabled users are refused at once."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous."""
        return False

    def get_id(self) -> str:
        """The session identity: id plus the current session token."""
        return f"{self.id}:{self.session_token}"


class ServiceClient(db.Model):
    """A service principal: scripts authenticate with its id and secret (OAuth 2.0)."""

    __tablename__ = "service_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20), default="runner")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class AccessToken(db.Model):
    """An issued bearer token, stored as its SHA-256 (the token itself is never kept)."""

    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("service_clients.id", ondelete="CASCADE"),
                                           index=True)
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    client: Mapped[ServiceClient] = relationship()


class AuditEntry(db.Model):
    """Who did what, when and from where: sign-ins, tokens and every change to the setup."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)
    actor: Mapped[str] = mapped_column(String(200), default="", index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)


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
