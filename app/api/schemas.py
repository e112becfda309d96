"""Request bodies of the REST API: they validate requests and feed the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..engine.document import PipelineDocument


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PipelineBody(_Body):
    """Create a pipeline draft."""

    document: PipelineDocument


class PipelineUpdate(_Body):
    """Replace a draft's document; ``revision`` is the one you edited (409 if stale)."""

    document: PipelineDocument
    revision: int


class SubmitRun(_Body):
    """Submit a run of a stored pipeline."""

    parameters: dict[str, Any] = Field(default_factory=dict)
    experiment: str = Field(default="default", min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    regenerate_outputs: bool = False


class SubmitDocument(SubmitRun):
    """Submit a run of a document given inline (headless runs, scripts)."""

    document: PipelineDocument


class DatastoreBody(_Body):
    """Register a server folder as a datastore."""

    name: str = Field(min_length=1, max_length=64)
    root: str = Field(min_length=1, max_length=4096)


class FieldRef(_Body):
    """A node's field."""

    node: str
    field: str


class ParameterCreate(_Body):
    """Add a pipeline parameter, optionally binding fields to it at once."""

    revision: int
    parameter: dict[str, Any]
    attach: list[FieldRef] = Field(default_factory=list)


class ParameterUpdate(_Body):
    """Change a parameter: any of name (renames every binding), type, default, description."""

    revision: int
    changes: dict[str, Any]


class BindingBody(_Body):
    """Bind a field to an existing parameter."""

    revision: int
    parameter: str
