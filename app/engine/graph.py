"""The pipeline document as a networkx graph, and its validation into per-node errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import networkx as nx

from .column_rules import label_columns, with_labels
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
    graph.add_nodes_from((node.id, {"node": node}) for node in doc.nodes)
    wires: dict[tuple[str, str], list] = {}
    for edge in doc.edges:
        src, dst = edge.source.node, edge.target.node
        if src in graph and dst in graph:
            wires.setdefault((src, dst), []).append((edge.source.port, edge.target.port))
    # Built in bulk from plain dicts: networkx's per-edge views cost more than the graph.
    graph.add_edges_from((src, dst, {"wires": w}) for (src, dst), w in wires.items())
    return graph


def upstream_document(doc: PipelineDocument, node_id: str) -> PipelineDocument:
    """The document cut down to ``node_id`` and every node it depends on, with the wires among
    them: "run to here" runs only what one node's output needs, so nodes after it (possibly
    half-configured while the user edits) neither run nor block the run."""
    keep = nx.ancestors(build_graph(doc), node_id) | {node_id}
    # Column rules by label keep the label columns the whole pipeline names.
    labels = label_columns(doc.nodes)
    return doc.model_copy(update={
        "nodes": [n.model_copy(update={"params": with_labels(n.params, labels)})
                  for n in doc.nodes if n.id in keep],
        "edges": [e for e in doc.edges if e.source.node in keep and e.target.node in keep],
    })


def describe_node(doc: PipelineDocument, node_id: str, registry: Mapping[str, ModuleSpec]) -> str:
    """'Split Data (n3)': the module label and id, for messages."""
    return _label(doc.node(node_id), node_id, registry)


def _label(node, node_id: str, registry) -> str:
    spec = registry.get(node.module) if node else None
    return f"{spec.label if spec else node.module if node else '?'} ({node_id})"


# A cycle message names at most this many nodes: the answer stays small on a huge cycle.
CYCLE_NAMES = 6


def cycle_message(doc, cycle: list[str], registry, *, start: int = 0,
                  by_id: Mapping | None = None) -> str:
    """'Circular dependency among: A (n1) -> B (n2) -> A (n1)', from ``cycle[start]``.

    A cycle longer than CYCLE_NAMES nodes is shortened to its first and last few.
    """
    by_id = by_id if by_id is not None else {n.id: n for n in doc.nodes}

    def name(i):
        node_id = cycle[(start + i) % len(cycle)]
        return _label(by_id.get(node_id), node_id, registry)

    size = len(cycle)
    if size <= CYCLE_NAMES:
        return "Circular dependency among: " + " -> ".join(name(i) for i in range(size + 1))
    head = " -> ".join(name(i) for i in range(CYCLE_NAMES - 1))
    return (f"Circular dependency among {size:,} nodes: {head} -> "
            f"({size - CYCLE_NAMES:,} more) -> {name(size - 1)} -> {name(0)}")


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
    by_id = {n.id: n for n in doc.nodes}
    for component, cycle in _cycles(graph):
        errors += _cycle_errors(doc, component, cycle, registry, by_id)
    return errors


def _cycle_errors(doc, component: set[str], cycle: list[str], registry, by_id) -> list[NodeError]:
    """A short cycle: its message on each node. A long one: named once, each node flagged.

    Naming the whole cycle on each of its nodes made the answer quadratic in the cycle.
    """
    if len(component) <= CYCLE_NAMES:
        return [NodeError(cycle_message(doc, cycle, registry, start=i, by_id=by_id), node=n)
                for i, n in enumerate(cycle)] + [
            NodeError(cycle_message(doc, cycle, registry, by_id=by_id), node=n)
            for n in sorted(component - set(cycle))]
    flag = f"On a circular dependency among {len(component):,} nodes."
    return [NodeError(cycle_message(doc, cycle, registry, by_id=by_id)),
            *(NodeError(flag, node=n) for n in sorted(component))]


def _cycles(graph: nx.DiGraph) -> list[tuple[set[str], list[str]]]:
    """(component, one cycle in it) per strongly connected component that has a cycle."""
    found = []
    for component in nx.strongly_connected_components(graph):
        node = next(iter(component))
        if len(component) > 1 or graph.has_edge(node, node):
            found.append((component, _walk_to_cycle(graph, component, node)))
    return found


def _walk_to_cycle(graph: nx.DiGraph, component: set[str], node: str) -> list[str]:
    """Follow successors inside ``component`` until one repeats: a cycle, in linear time.

    Every node of a strongly connected component has a successor inside it, so the walk
    never stops early (networkx's find_cycle on a subgraph view is far slower).
    """
    path, index = [], {}
    while node not in index:
        index[node] = len(path)
        path.append(node)
        node = next(n for n in graph.successors(node) if n in component)
    return path[index[node]:]


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
    by_name, repeated = {}, {}
    for param in doc.parameters:
        if param.name in by_name:
            repeated[param.name] = True
        by_name.setdefault(param.name, param)
    for name in repeated:
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
            param = by_name.get(name)
            if param is None:
                errors.append(NodeError(
                    f"Field '{field}' is bound to unknown pipeline parameter '{name}'.",
                    node=node.id, field=field, parameter=name,
                ))
            elif problem := param.fit_error(declared, f"field '{field}' of {spec.label}"):
                errors.append(NodeError(problem, node=node.id, field=field, parameter=name))
        given = spec.field_values(substitute(node.params, values))
        for param_spec in spec.params:
            value = given[param_spec.name]
            if binding_name(node.params.get(param_spec.name)) and value is None:
                continue  # an unset parameter is reported when the run resolves values
            try:
                param_spec.validate(value, spec.label, given)
            except ParamError as exc:
                bound = binding_name(node.params.get(param_spec.name))
                message = str(exc) if bound is None else (
                    f"{exc} The value comes from pipeline parameter '{bound}'.")
                errors.append(NodeError(message, node=node.id, field=param_spec.name,
                                        parameter=bound))
    return errors


def execution_order(doc: PipelineDocument) -> list[str]:
    """Node ids in a topological order (the document must be acyclic)."""
    return list(nx.lexicographical_topological_sort(build_graph(doc)))
