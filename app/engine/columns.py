"""Design-time columns: the columns each data set will have, propagated before any run.

Each module may declare a ``columns`` function (see app.engine.registry.module); this file
walks the graph with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from .column_rules import (
    column_types,
    is_rule_set,
    label_columns,
    needs_types,
    select,
    with_labels,
)
from .datastores import Datastores
from .document import PipelineDocument, resolve_parameter_values, substitute
from .graph import build_graph
from .spec import DATAFRAME, ModuleSpec

Columns = list[str] | None


class Typed(list):
    """Column names that also know each column's pandas dtype, where it is known for sure:
    Import Data reads it from the file, and modules that keep columns as they are say so by
    building their output with ``kept`` (or ``passed_through(..., keeps_types=True)``). An
    input handed on as it came loses its types (``_outputs``): the module may change them. A
    plain list of names knows none, so a choice by type stays unknown rather than guessed."""

    def __init__(self, names: Iterable[str], dtypes: Mapping[str, Any]):
        super().__init__(names)
        self.dtypes = {name: dtypes[name] for name in self}

    def empty(self, name: str) -> pd.Series:
        """An empty column of ``name``'s dtype: what the type tests of the run look at."""
        return pd.Series([], dtype=self.dtypes[name], name=name)


def kept(fed: Columns, names: Iterable[str]) -> Columns:
    """``names``, a selection of the columns ``fed``, with their dtypes when ``fed`` has them."""
    names = list(names)
    if isinstance(fed, Typed) and set(names) <= set(fed.dtypes):
        return Typed(names, fed.dtypes)
    return names


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


def passed_through(port_in: str, *ports_out: str, keeps_types: bool = False) -> Callable[..., dict]:
    """A ``columns`` function for a module whose outputs keep its input's columns;
    ``keeps_types``: and their dtypes (the module only picks or orders rows)."""

    def columns(fed, params, datastores):
        names = fed.get(port_in)
        if names is not None:
            names = kept(names, names) if keeps_types else list(names)
        return {port: names for port in ports_out}

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
                types = ({n: column_types(names.empty(n)) for n in names}
                         if isinstance(names, Typed) else None)
                if names is None or (types is None and needs_types(rule_set)):
                    return {}  # the names alone cannot say which columns the rules keep
                params[param.name] = select(rule_set, names, types)
        outputs = spec.columns(fed, params, datastores) or {}
    except Exception:  # design-time hints must never break editing
        return {}
    handed_on = [names for names in fed.values() if isinstance(names, Typed)]
    return {port: list(names) if any(names is f for f in handed_on) else names
            for port, names in outputs.items()}
