"""Request bodies of the REST API: they validate requests and feed the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..engine.document import NAME_PATTERN, PipelineDocument
from ..models import INT_MAX, ROLES
from ..services.auth import ACCOUNT_NAME_PATTERN, MIN_PASSWORD
from ..services.firetimes import MAX_INTERVAL_SECONDS
from ..services.webhooks import EVENTS as WEBHOOK_EVENTS

# Names are checked by the services (with messages naming the culprit); the request models
# document the same patterns for the OpenAPI document.
NAME = {"pattern": NAME_PATTERN}
ACCOUNT_NAME = {"pattern": ACCOUNT_NAME_PATTERN}
# The revision you edited; revision + 1 is stored, so it must fit the Integer column.
REVISION = Field(ge=0, le=INT_MAX - 1)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PipelineBody(_Body):
    """Create a pipeline draft."""

    document: PipelineDocument


class PipelineUpdate(_Body):
    """Replace a draft's document; ``revision`` is the one you edited (409 if stale)."""

    document: PipelineDocument
    revision: int = REVISION


class SubmitRun(_Body):
    """Submit a run of a stored pipeline."""

    parameters: dict[str, Any] = Field(default_factory=dict)
    experiment: str = Field(default="default", min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    regenerate_outputs: bool = False
    # Run only this node and the nodes it depends on ("run to here").
    to_node: str | None = Field(default=None, min_length=1, max_length=64)


class SubmitDocument(SubmitRun):
    """Submit a run of a document given inline (headless runs, scripts)."""

    document: PipelineDocument


class DatastoreBody(_Body):
    """Register a server folder as a datastore."""

    name: str = Field(min_length=1, max_length=64, json_schema_extra=NAME)
    root: str = Field(max_length=4096)  # empty: the service says why


class FieldRef(_Body):
    """A node's field."""

    node: str
    field: str


class ParameterCreate(_Body):
    """Add a pipeline parameter, optionally binding fields to it at once."""

    revision: int = REVISION
    parameter: dict[str, Any]
    attach: list[FieldRef] = Field(default_factory=list)


class ParameterUpdate(_Body):
    """Change a parameter: any of name (renames every binding), type, default, description."""

    revision: int = REVISION
    changes: dict[str, Any]


class BindingBody(_Body):
    """Bind a field to an existing parameter."""

    revision: int = REVISION
    parameter: str


class NewEndpoint(_Body):
    """A pipeline endpoint created by publishing."""

    name: str = Field(min_length=1, max_length=64, json_schema_extra=NAME)
    description: str = Field(default="", max_length=5000)


class PublishBody(_Body):
    """Publish a draft: to an existing endpoint (id or name) or a new one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"required": ["endpoint"], "properties": {
            "endpoint": {"type": "string", "minLength": 1}, "new_endpoint": {"type": "null"}}},
        {"required": ["new_endpoint"], "properties": {
            "endpoint": {"type": "null"}, "new_endpoint": {"type": "object"}}},
    ]})

    endpoint: str | None = None
    new_endpoint: NewEndpoint | None = None
    set_default: bool = False
    description: str = Field(default="", max_length=5000)


class DataPathAssignment(BaseModel):
    """Azure ML's data path value."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    datastore: str = Field(alias="DataStoreName", min_length=1)
    path: str = Field(alias="RelativePath", min_length=1)


class EndpointSubmit(BaseModel):
    """Azure ML's pipeline endpoint submission body (snake_case aliases accepted)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    experiment_name: str = Field(default="default", alias="ExperimentName", min_length=1,
                                 max_length=200)
    description: str = Field(default="", alias="Description", max_length=5000)
    parameter_assignments: dict[str, Any] = Field(default_factory=dict,
                                                  alias="ParameterAssignments")
    data_path_assignments: dict[str, DataPathAssignment] = Field(
        default_factory=dict, alias="DataPathAssignments")


class DefaultVersion(_Body):
    """Which version becomes the default."""

    version: int


Role = Literal[ROLES]


class UserCreate(_Body):
    """A new user; without a password one is generated and returned once."""

    username: str = Field(min_length=1, max_length=64, json_schema_extra=ACCOUNT_NAME)
    role: Role = "viewer"
    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=200)


class UserUpdate(_Body):
    """Change a user's role and/or whether they may sign in."""

    role: Role | None = None
    active: bool | None = None


class ClientCreate(_Body):
    """A new service principal."""

    name: str = Field(min_length=1, max_length=64, json_schema_extra=ACCOUNT_NAME)
    role: Role = "runner"


class RegisterModel(_Body):
    """Register a finished run's trained model as the next version of a model."""

    name: str = Field(min_length=1, max_length=64, json_schema_extra=NAME)


class DeployBody(_Body):
    """Create or update a real-time endpoint from an inference pipeline draft."""

    name: str = Field(min_length=1, max_length=64, json_schema_extra=NAME)
    description: str = Field(default="", max_length=5000)


class ScoreBody(BaseModel):
    """Azure ML designer's scoring body: rows per Web Service Input."""

    model_config = ConfigDict(extra="allow")
    Inputs: dict[str, list[dict[str, Any]]]
    GlobalParameters: dict[str, Any] = Field(default_factory=dict)


class AutoPromote(_Body):
    """Promote a challenger when ``metric`` beats the champion's by more than ``margin`` (a
    negative margin accepts a challenger that is worse by less than it)."""

    metric: str = Field(min_length=1, max_length=40)
    margin: float = Field(default=0.0, ge=-1e6, le=1e6)


class RealtimeSettings(_Body):
    """Link a real-time endpoint to a pipeline endpoint and set its promotion rule."""

    pipeline_endpoint: str | None = Field(default=None, max_length=64)
    auto_promote: AutoPromote | None = None


class PromoteBody(_Body):
    """Serve this model version from now on (promote a challenger, or roll back)."""

    model: str = Field(min_length=1, max_length=64, json_schema_extra=NAME)
    version: int = Field(ge=1, le=INT_MAX)
    reason: str = Field(default="", max_length=2000)


class Watch(_Body):
    """What a new-data trigger watches: files matching ``pattern`` (a glob inside the
    datastore, e.g. ``incoming/*.csv``), each passed as the data path ``parameter``."""

    datastore: str = Field(min_length=1, max_length=64, json_schema_extra=NAME)
    pattern: str = Field(min_length=1, max_length=500)
    parameter: str = Field(min_length=1, max_length=64, json_schema_extra=NAME)
    poll_seconds: int = Field(default=30, ge=1, le=86400)
    settle_seconds: int = Field(default=10, ge=0, le=86400)


class ScheduleTiming(_Body):
    """When a schedule fires: a cron expression in a time zone, or every N seconds."""

    kind: Literal["cron", "interval", "new_data"] = "cron"
    cron: str | None = Field(default=None, max_length=200)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    interval_seconds: int | None = Field(default=None, ge=1, le=MAX_INTERVAL_SECONDS)


class ScheduleBody(ScheduleTiming):
    """A schedule or new-data trigger of a pipeline endpoint; ``run`` is the Submit body."""

    name: str = Field(min_length=1, max_length=64, json_schema_extra=NAME)
    catch_up: bool = True
    enabled: bool = True
    version: int | None = Field(default=None, ge=0, le=INT_MAX)
    run: EndpointSubmit = Field(default_factory=EndpointSubmit)
    watch: Watch | None = None


WEBHOOK_URL = {"min_length": 1, "max_length": 2000, "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://"}
WEBHOOK_EVENT_LIST = {"min_length": 1, "max_length": len(WEBHOOK_EVENTS)}


class WebhookBody(_Body):
    """A URL to POST signed events to: for one pipeline endpoint, or for all (no endpoint)."""

    url: str = Field(**WEBHOOK_URL)
    events: list[Literal[WEBHOOK_EVENTS]] = Field(**WEBHOOK_EVENT_LIST)
    endpoint: str | None = Field(default=None, max_length=64)


class WebhookChanges(_Body):
    """What an edit changes of a webhook; ``endpoint`` null: every endpoint. The secret stays."""

    url: str = Field(default=None, **WEBHOOK_URL)
    events: list[Literal[WEBHOOK_EVENTS]] = Field(default=None, **WEBHOOK_EVENT_LIST)
    endpoint: str | None = Field(default=None, max_length=64)
