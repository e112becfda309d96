"""Design-time columns: the columns each data set will have, propagated before any run.

Each module may declare a ``columns`` function (see app.engine.registry.module); this file
walks the graph with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .column_rules import is_rule_set, label_columns, needs_types, select, with_labels
from .datastores import Datastores
from .document import PipelineDocument, resolve_parameter_values, substitute
from .graph import build_graph
from .spec import DATAFRAME, ModuleSpec

Columns = list[str] | None


def infer_columns(
    doc: PipelineDocument,
    registry: Mapping[str, ModuleSpec],
    datastores: Datastores,
) -> dict[str, dict[str, Columns]]:
    """{node id: {input port: columns or None}} for every data set input of every node.

    Walks the graph in topological order; a module without a ``columns`` function, with
    invalid parameters, or fed by an unknown upstream yields None (unknown) downstream.
    Cycles or broken documents give what could be derived.
    """
    import networkx as nx

    try:
        values = resolve_parameter_values(doc, {})
    except ValueError:
        values = {p.name: p.default for p in doc.parameters}
    graph = build_graph(doc)
    try:
        order = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        return {}
    produced: dict[tuple[str, str], Columns] = {}
    inputs: dict[str, dict[str, Columns]] = {}
    by_id = {n.id: n for n in doc.nodes}
    labels = label_columns(doc.nodes)
    incoming: dict[str, list] = {}
    for edge in doc.edges:
        incoming.setdefault(edge.target.node, []).append(edge)
    for node_id in order:
        node = by_id[node_id]
        spec = registry.get(node.module)
        if spec is None:
            continue
        fed = {e.target.port: produced.get((e.source.node, e.source.port))
               for e in incoming.get(node_id, [])}
        inputs[node_id] = {p.name: fed.get(p.name) for p in spec.inputs if p.type == DATAFRAME}
        # A model port may carry the columns its model adds (K-Means: Assignments, ...).
        outputs = _outputs(spec, fed | inputs[node_id], node.params, values, datastores, labels)
        for port, names in outputs.items():
            produced[(node_id, port)] = names
    return inputs


def passed_through(port_in: str, *ports_out: str) -> Callable[..., dict]:
    """A ``columns`` function for a module whose outputs keep its input's columns."""

    def columns(fed, params, datastores):
        return {port: fed.get(port_in) for port in ports_out}

    return columns


def _outputs(spec, fed, raw_params, values, datastores, labels) -> dict[str, Columns]:
    if spec.columns is None:
        return {}
    try:
        params = with_labels(spec.resolve_params(substitute(raw_params, values)), labels)
        for param in spec.params:
            rule_set = params.get(param.name)
            if param.kind == "columns" and is_rule_set(rule_set):
                names = fed.get(param.input)
                if names is None or needs_types(rule_set):
                    return {}  # the names alone cannot say which columns the rules keep
                params[param.name] = select(rule_set, names)
        return spec.columns(fed, params, datastores) or {}
    except Exception:  # design-time hints must never break editing
        return {}
