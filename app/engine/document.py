"""The pipeline document (pydantic models) and pipeline parameter binding."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .spec import PARAMETER_KINDS, Param, ParamError, make_param

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
NODE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ParameterType = Literal[PARAMETER_KINDS]


def name_problem(what: str, value: Any) -> str | None:
    """Why ``value`` is not a valid name of a parameter, datastore or endpoint, or None."""
    if isinstance(value, str) and re.fullmatch(NAME_PATTERN, value):
        return None
    return (f"{what} {value!r} must be 1-64 characters: letters, digits, '_' or '-', "
            "starting with a letter.")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Position(_Model):
    """Where a node sits on the canvas."""

    x: float = 0.0
    y: float = 0.0


class ParameterDef(_Model):
    """A pipeline parameter: fields bind to it with ``{"$param": name}``."""

    name: str = Field(json_schema_extra={"pattern": NAME_PATTERN})
    type: ParameterType
    default: Any = None
    description: str = Field(default="", max_length=2000)
    options: list[str] | None = None
    min: float | None = None
    max: float | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if problem := name_problem("parameter name", value):
            # pydantic's own type for a pattern: the schema states this rule (a 400, not a 422)
            raise PydanticCustomError("string_pattern_mismatch", problem)
        return value

    @model_validator(mode="after")
    def _check(self):
        if self.type == "choice" and not self.options:
            raise ValueError(f"choice parameter '{self.name}' needs a list of options")
        if self.default is not None:
            self.default = coerce_parameter(self, self.default)
        return self

    def as_param(self) -> Param:
        """This parameter as a value kind: the module fields' coercion, messages, JSON Schema."""
        return make_param(self.type, self.name, options=self.options, min=self.min,
                          max=self.max, default=self.default, description=self.description)

    def fit_error(self, field: Param, where: str) -> str | None:
        """Why this parameter cannot drive ``field`` (described by ``where``), or None."""
        if self.type in field.accepts:
            return None
        return (f"Pipeline parameter '{self.name}' of type {self.type} cannot drive {where} "
                f"({field.kind}).")


class Node(_Model):
    """One module instance on the canvas."""

    id: str = Field(pattern=NODE_ID_PATTERN)
    module: str = Field(min_length=1, max_length=100)
    position: Position = Field(default_factory=Position)
    params: dict[str, Any] = Field(default_factory=dict)
    comment: str = Field(default="", max_length=5000)
    regenerate_output: bool = False


class PortRef(_Model):
    """One end of a wire: a node and one of its ports."""

    node: str
    port: str


class Edge(_Model):
    """A wire from an output port to an input port."""

    source: PortRef = Field(alias="from")
    target: PortRef = Field(alias="to")


class PipelineDocument(_Model):
    """The one JSON shape for drafts, published versions and exports."""

    schema_version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    parameters: list[ParameterDef] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)

    def node(self, node_id: str) -> Node | None:
        """The node with ``node_id``, if any."""
        return next((n for n in self.nodes if n.id == node_id), None)

    def parameter(self, name: str) -> ParameterDef | None:
        """The parameter called ``name``, if any."""
        return next((p for p in self.parameters if p.name == name), None)

    def dump(self) -> dict:
        """The document as JSON-ready data (``from``/``to`` keys on edges)."""
        return self.model_dump(mode="json", by_alias=True)


def binding_name(value: Any) -> str | None:
    """The parameter name if ``value`` is a ``{"$param": NAME}`` binding."""
    if isinstance(value, dict) and set(value) == {"$param"} and isinstance(value["$param"], str):
        return value["$param"]
    return None


def bindings(doc: PipelineDocument) -> dict[str, list[tuple[str, str]]]:
    """Parameter name -> [(node id, field)] it drives, derived by scanning the nodes."""
    used: dict[str, list[tuple[str, str]]] = {}
    for node in doc.nodes:
        for field, value in node.params.items():
            name = binding_name(value)
            if name is not None:
                used.setdefault(name, []).append((node.id, field))
    return used


def coerce_parameter(param: ParameterDef, value: Any) -> Any:
    """Coerce ``value`` (possibly a string from a REST client) to the parameter's type."""
    return param.as_param().coerce(value, None)


def resolve_parameter_values(doc: PipelineDocument, values: dict[str, Any] | None) -> dict:
    """Defaults overlaid with submitted ``values``; unknown names and bad types raise ParamError."""
    values = values or {}
    unknown = sorted(set(values) - {p.name for p in doc.parameters})
    if unknown:
        known = ", ".join(p.name for p in doc.parameters) or "none"
        raise ParamError(
            unknown[0], f"Unknown pipeline parameter '{unknown[0]}' (parameters: {known})."
        )
    resolved = {}
    for param in doc.parameters:
        if param.name in values:
            resolved[param.name] = coerce_parameter(param, values[param.name])
        elif param.default is not None:
            resolved[param.name] = param.default
        else:
            raise ParamError(param.name, f"The pipeline parameter '{param.name}' has no value.")
    return resolved


def substitute(params: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A node's raw params with every binding replaced by its parameter's value."""
    out = {}
    for field, value in params.items():
        name = binding_name(value)
        out[field] = values.get(name) if name is not None else value
    return out
