"""The pipeline document as a networkx graph, and its validation into per-node errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import networkx as nx

from .document import PipelineDocument, binding_name, bindings, substitute
from .spec import ModuleSpec, ParamError


@dataclass(frozen=True)
class NodeError:
    """One problem: on a node (``node`` set) or on the pipeline as a whole."""

    message: str
    node: str | None = None
    field: str | None = None
    parameter: str | None = None
    severity: str = "error"

    def as_dict(self) -> dict:
        """JSON form."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def build_graph(doc: PipelineDocument) -> nx.DiGraph:
    """Nodes keyed by id; one edge per connected node pair, its wires in ``wires``."""
    graph = nx.DiGraph()
    for node in doc.nodes:
        graph.add_node(node.id, node=node)
    for edge in doc.edges:
        src, dst = edge.source.node, edge.target.node
        if src in graph and dst in graph:
            if not graph.has_edge(src, dst):
                graph.add_edge(src, dst, wires=[])
            graph.edges[src, dst]["wires"].append((edge.source.port, edge.target.port))
    return graph


def describe_node(doc: PipelineDocument, node_id: str, registry: Mapping[str, ModuleSpec]) -> str:
    """'Split Data (n3)': the module label and id, for messages."""
    node = doc.node(node_id)
    spec = registry.get(node.module) if node else None
    return f"{spec.label if spec else node.module if node else '?'} ({node_id})"


def cycle_message(doc, cycle: list[str], registry) -> str:
    """'Circular dependency among: A (n1) -> B (n2) -> A (n1)'."""
    names = [describe_node(doc, n, registry) for n in [*cycle, cycle[0]]]
    return "Circular dependency among: " + " -> ".join(names)


def validate(
    doc: PipelineDocument,
    registry: Mapping[str, ModuleSpec],
    parameter_values: Mapping | None = None,
) -> list[NodeError]:
    """Every problem of ``doc``; an empty list (or warnings only) means it can run.

    ``parameter_values`` (resolved) replace parameter defaults when checking bound fields.
    """
    errors: list[NodeError] = []
    seen: set[str] = set()
    for node in doc.nodes:
        if node.id in seen:
            errors.append(NodeError(f"Duplicate node id '{node.id}'.", node=node.id))
        seen.add(node.id)
        if node.module not in registry:
            errors.append(NodeError(f"Unknown module '{node.module}'.", node=node.id))
    errors += _check_parameters(doc, registry, parameter_values)
    errors += _check_edges(doc, registry)
    graph = build_graph(doc)
    for cycle in _cycles(graph):
        for node_id in cycle:
            errors.append(NodeError(cycle_message(doc, cycle, registry), node=node_id))
    return errors


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One cycle per strongly connected component that has one (bounded work)."""
    found = []
    for component in nx.strongly_connected_components(graph):
        node = next(iter(component))
        if len(component) > 1 or graph.has_edge(node, node):
            cycle = nx.find_cycle(graph.subgraph(component))
            found.append([u for u, _ in cycle])
    return found


def _check_edges(doc, registry) -> list[NodeError]:
    errors = []
    fed: dict[tuple[str, str], int] = {}
    by_id = {n.id: n for n in doc.nodes}
    for edge in doc.edges:
        src_node, dst_node = by_id.get(edge.source.node), by_id.get(edge.target.node)
        if src_node is None or dst_node is None:
            missing = edge.source.node if src_node is None else edge.target.node
            errors.append(NodeError(f"A wire refers to unknown node '{missing}'."))
            continue
        src_spec, dst_spec = registry.get(src_node.module), registry.get(dst_node.module)
        if src_spec is None or dst_spec is None:
            continue
        out_port = src_spec.output(edge.source.port)
        in_port = dst_spec.input(edge.target.port)
        if out_port is None:
            errors.append(NodeError(
                f"{src_spec.label} has no output port '{edge.source.port}'.", node=src_node.id
            ))
            continue
        if in_port is None:
            errors.append(NodeError(
                f"{dst_spec.label} has no input port '{edge.target.port}'.", node=dst_node.id
            ))
            continue
        if out_port.type != in_port.type:
            errors.append(NodeError(
                f"Port type mismatch: {describe_node(doc, src_node.id, registry)} output "
                f"'{out_port.name}' ({out_port.type}) cannot feed input '{in_port.name}' "
                f"({in_port.type}).",
                node=dst_node.id,
            ))
        key = (dst_node.id, in_port.name)
        fed[key] = fed.get(key, 0) + 1
        if fed[key] == 2:
            errors.append(NodeError(
                f"Input '{in_port.name}' of {dst_spec.label} has more than one wire.",
                node=dst_node.id,
            ))
    for node in doc.nodes:
        spec = registry.get(node.module)
        for port in spec.inputs if spec else []:
            if not port.optional and (node.id, port.name) not in fed:
                errors.append(NodeError(
                    f"Required input '{port.name}' of {spec.label} is not connected.",
                    node=node.id,
                ))
    return errors


def _check_parameters(doc, registry, parameter_values) -> list[NodeError]:
    errors = []
    names = [p.name for p in doc.parameters]
    for name in {n for n in names if names.count(n) > 1}:
        errors.append(NodeError(f"Duplicate pipeline parameter '{name}'.", parameter=name))
    used = bindings(doc)
    for param in doc.parameters:
        if param.name not in used:
            errors.append(NodeError(
                f"Pipeline parameter '{param.name}' is not used by any field.",
                parameter=param.name, severity="warning",
            ))
    values = dict(parameter_values or {p.name: p.default for p in doc.parameters})
    for node in doc.nodes:
        spec = registry.get(node.module)
        if spec is None:
            continue
        for field, value in node.params.items():
            declared = spec.param(field)
            if declared is None:
                errors.append(NodeError(
                    f"{spec.label} has no parameter '{field}'.", node=node.id, field=field
                ))
                continue
            name = binding_name(value)
            if name is None:
                continue
            param = doc.parameter(name)
            if param is None:
                errors.append(NodeError(
                    f"Field '{field}' is bound to unknown pipeline parameter '{name}'.",
                    node=node.id, field=field, parameter=name,
                ))
            elif param.type not in declared.accepts:
                errors.append(NodeError(
                    f"Pipeline parameter '{name}' of type {param.type} cannot drive field "
                    f"'{field}' of {spec.label} ({declared.kind}).",
                    node=node.id, field=field, parameter=name,
                ))
        literal = {k: v for k, v in substitute(node.params, values).items() if spec.param(k)}
        for param_spec in spec.params:
            value = literal.get(param_spec.name, param_spec.default)
            if binding_name(node.params.get(param_spec.name)) and value is None:
                continue  # an unset parameter is reported when the run resolves values
            try:
                param_spec.validate(value, spec.label)
            except ParamError as exc:
                errors.append(NodeError(str(exc), node=node.id, field=param_spec.name))
    return errors


def execution_order(doc: PipelineDocument) -> list[str]:
    """Node ids in a topological order (the document must be acyclic)."""
    return list(nx.lexicographical_topological_sort(build_graph(doc)))
