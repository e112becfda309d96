"""Database tables: datastores, pipelines, experiments, runs, steps, run events, models,
real-time endpoints with their deployments and request log, accounts, schedules and webhooks.

One module a concern; every table is importable from here (``from app.models import Run``).
"""

from ..extensions import db
from .accounts import ROLES, AccessToken, AuditEntry, ServiceClient, User
from .automation import Schedule, ScheduleFire, Webhook, WebhookDelivery
from .base import INT_MAX, iso, new_id, now
from .pipelines import (
    Datastore,
    Experiment,
    Pipeline,
    PipelineEndpoint,
    PublishedVersion,
    Run,
    RunEvent,
    StepRun,
)
from .serving import (
    ModelVersion,
    PromotionDecision,
    RealtimeDeployment,
    RealtimeEndpoint,
    RegisteredModel,
    RequestBucket,
)

__all__ = [
    "INT_MAX", "ROLES", "AccessToken", "AuditEntry", "Datastore", "Experiment", "ModelVersion",
    "Pipeline", "PipelineEndpoint", "PromotionDecision", "PublishedVersion", "RealtimeDeployment",
    "RealtimeEndpoint", "RegisteredModel", "RequestBucket", "Run", "RunEvent", "Schedule",
    "ScheduleFire", "ServiceClient", "StepRun", "User", "Webhook", "WebhookDelivery", "db", "iso",
    "new_id", "now",
]
