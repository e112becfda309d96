"""Pipeline parameter edits: add, update, rename, delete, attach and detach fields.

Each function takes a document and returns a new one (the input is never changed), or raises
ParamError naming the parameter, node or field at fault. Type fit and values are checked
against every field a parameter drives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .document import ParameterDef, PipelineDocument, binding_name, bindings
from .spec import ModuleSpec, ParamError


def _copy(doc: PipelineDocument) -> PipelineDocument:
    return doc.model_copy(deep=True)


def _require(doc: PipelineDocument, name: str) -> ParameterDef:
    param = doc.parameter(name)
    if param is None:
        known = ", ".join(p.name for p in doc.parameters) or "none"
        raise ParamError(name, f"Unknown pipeline parameter '{name}' (parameters: {known}).")
    return param


def _field(doc, registry, node_id: str, field: str):
    node = doc.node(node_id)
    if node is None:
        raise ParamError(field, f"Unknown node '{node_id}'.")
    spec = registry.get(node.module)
    declared = spec.param(field) if spec else None
    if declared is None:
        label = spec.label if spec else node.module
        raise ParamError(field, f"{label} ({node_id}) has no field '{field}'.")
    return node, spec, declared


def _check_fits(doc, registry, param: ParameterDef, targets) -> None:
    """The parameter's type fits, and its default is valid, for every (node, field)."""
    for node_id, field in targets:
        node, spec, declared = _field(doc, registry, node_id, field)
        where = f"field '{field}' of {spec.label} ({node_id})"
        if problem := param.fit_error(declared, where):
            raise ParamError(param.name, problem)
        if param.default is not None:
            try:
                declared.validate(param.default, spec.label, spec.field_values(node.params))
            except ParamError as exc:
                raise ParamError(param.name, f"The default of pipeline parameter "
                                 f"'{param.name}' does not fit {where}: {exc}") from None


def make_parameter(data: Mapping[str, Any]) -> ParameterDef:
    """A validated parameter definition from JSON data; errors name the parameter."""
    try:
        return ParameterDef.model_validate(dict(data))
    except ValidationError as exc:
        name = data.get("name", "?") if isinstance(data, Mapping) else "?"
        first = exc.errors(include_url=False)[0]
        message = first["msg"].removeprefix("Value error, ")
        where = ".".join(str(p) for p in first["loc"])
        raise ParamError(str(name), f"Pipeline parameter {name!r}: "
                         + (f"{where}: {message}" if where else message)) from None


def add(doc, registry, data, attach_to=()) -> PipelineDocument:
    """Add a parameter, optionally binding (node, field) pairs to it at once."""
    param = make_parameter(data)
    if doc.parameter(param.name) is not None:
        raise ParamError(param.name, f"A pipeline parameter named '{param.name}' exists.")
    _check_fits(doc, registry, param, attach_to)
    out = _copy(doc)
    out.parameters.append(param)
    for node_id, field in attach_to:
        out.node(node_id).params[field] = {"$param": param.name}
    return out


def update(doc, registry, name: str, changes: Mapping[str, Any]) -> PipelineDocument:
    """Change a parameter (``name`` renames, updating every binding; type, default ...)."""
    old = _require(doc, name)
    param = make_parameter(old.model_dump() | dict(changes))
    if param.name != name and doc.parameter(param.name) is not None:
        raise ParamError(param.name, f"A pipeline parameter named '{param.name}' exists.")
    _check_fits(doc, registry, param, bindings(doc).get(name, []))
    out = _copy(doc)
    out.parameters = [param if p.name == name else p for p in out.parameters]
    for node_id, field in bindings(doc).get(name, []):
        out.node(node_id).params[field] = {"$param": param.name}
    return out


def delete(doc, name: str) -> PipelineDocument:
    """Remove a parameter; each field it drove keeps the parameter's value as a literal."""
    param = _require(doc, name)
    out = _copy(doc)
    out.parameters = [p for p in out.parameters if p.name != name]
    for node_id, field in bindings(doc).get(name, []):
        node = out.node(node_id)
        if param.default is None:
            node.params.pop(field)
        else:
            node.params[field] = param.default
    return out


def attach(doc, registry: Mapping[str, ModuleSpec], node_id, field, name) -> PipelineDocument:
    """Bind a node's field to an existing parameter whose type fits it."""
    param = _require(doc, name)
    _check_fits(doc, registry, param, [(node_id, field)])
    out = _copy(doc)
    out.node(node_id).params[field] = {"$param": name}
    return out


def detach(doc, node_id: str, field: str) -> PipelineDocument:
    """Unbind a field; it keeps the parameter's current default as its own value."""
    node = doc.node(node_id)
    name = binding_name(node.params.get(field)) if node else None
    if name is None:
        raise ParamError(field, f"Field '{field}' of node '{node_id}' is not bound to a "
                         "pipeline parameter.")
    param = _require(doc, name)
    out = _copy(doc)
    if param.default is None:
        out.node(node_id).params.pop(field)
    else:
        out.node(node_id).params[field] = param.default
    return out
