"""Version diff: what changed between two pipeline documents (nodes, wires, fields, parameters).

Nodes are matched by id and wires by their two ends. A field left out of a node counts as its
module's default, so writing a default down is no change; moving a node is none either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .document import Edge, Node, PipelineDocument
from .spec import ModuleSpec

PARAMETER_ATTRIBUTES = ("type", "default", "description", "options", "min", "max")


def edge_key(edge: Edge) -> str:
    """A wire as the canvas names it: ``from node.port -> to node.port``."""
    return f"{edge.source.node}.{edge.source.port}->{edge.target.node}.{edge.target.port}"


def diff_documents(old: PipelineDocument, new: PipelineDocument,
                   registry: Mapping[str, ModuleSpec]) -> dict:
    """Added, removed and changed nodes, wires and parameters from ``old`` to ``new``."""
    old_nodes = {n.id: n for n in old.nodes}
    new_nodes = {n.id: n for n in new.nodes}
    changed = {}
    for node_id in old_nodes.keys() & new_nodes.keys():
        change = _node_change(old_nodes[node_id], new_nodes[node_id], registry)
        if change:
            changed[node_id] = change
    old_edges = {edge_key(e): e for e in old.edges}
    new_edges = {edge_key(e): e for e in new.edges}
    return {
        "nodes": {"added": [i for i in new_nodes if i not in old_nodes],
                  "removed": [i for i in old_nodes if i not in new_nodes],
                  "changed": dict(sorted(changed.items()))},
        "edges": {"added": [k for k in new_edges if k not in old_edges],
                  "removed": [k for k in old_edges if k not in new_edges]},
        "parameters": _parameter_changes(old, new),
        "pipeline": _changes({"name": old.name, "description": old.description},
                             {"name": new.name, "description": new.description}),
    }


def _node_change(old: Node, new: Node, registry) -> dict:
    """The module and field changes of one node, or {} when there is none."""
    change: dict[str, Any] = {}
    if old.module != new.module:
        change["module"] = {"from": old.module, "to": new.module}
    fields = _changes(_with_defaults(old, registry), _with_defaults(new, registry))
    if fields:
        change["fields"] = fields
    rest = _changes({"comment": old.comment, "regenerate_output": old.regenerate_output},
                    {"comment": new.comment, "regenerate_output": new.regenerate_output})
    change.update(rest)
    return change


def _with_defaults(node: Node, registry) -> dict:
    spec = registry.get(node.module)
    defaults = {p.name: p.default for p in spec.params} if spec else {}
    return defaults | node.params


def _changes(old: dict, new: dict) -> dict:
    """``{key: {"from", "to"}}`` for every key whose value differs (missing is None)."""
    return {key: {"from": old.get(key), "to": new.get(key)}
            for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)}


def _parameter_changes(old: PipelineDocument, new: PipelineDocument) -> dict:
    before = {p.name: p.model_dump(mode="json") for p in old.parameters}
    after = {p.name: p.model_dump(mode="json") for p in new.parameters}
    changed = {}
    for name in before.keys() & after.keys():
        change = _changes({a: before[name].get(a) for a in PARAMETER_ATTRIBUTES},
                          {a: after[name].get(a) for a in PARAMETER_ATTRIBUTES})
        if change:
            changed[name] = change
    return {"added": [n for n in after if n not in before],
            "removed": [n for n in before if n not in after],
            "changed": dict(sorted(changed.items()))}
