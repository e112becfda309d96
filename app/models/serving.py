"""Tables of models in service: the model registry, real-time endpoints, their promotion
decisions, deployments and request log."""

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
from .pipelines import PipelineEndpoint


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
