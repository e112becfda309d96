"""Real-time inference pipelines: derived from a finished training run, scored in memory.

``derive`` turns a training run's document into an inference pipeline as Azure's designer
does: Train Model (or Train Clustering / Anomaly Detection Model) becomes the model that run
trained (a frozen ``saved_model`` node; what else it output while training goes), a
transformation that learned from data becomes Apply Transformation fed by what it learned,
Split Data and Evaluate Model go, a Web Service Input follows each data source and a Web
Service Output follows each Score Model or Assign Data to Clusters.

``InferenceGraph`` is a deployed inference pipeline held in memory: the frozen nodes are
loaded once, and each request calls the modules between the Web Service Inputs and Outputs
directly (no run, no artifact writes).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd
from threadpoolctl import ThreadpoolController

from .context import ModuleError, StepContext
from .spec import DATAFRAME, TRAINED_MODEL, TRANSFORMATION, ModuleSpec

SOURCES = ("import_data", "enter_data_manually")
DROPPED = ("split_data", "evaluate_model")
# The modules whose output answers a request, and that output: a Web Service Output follows.
SCORERS = {"score_model": "scored_dataset", "assign_data_to_clusters": "results_dataset"}
INPUT, OUTPUT = "web_service_input", "web_service_output"
FROZEN = ("saved_model", "saved_transformation")


class InferenceError(ValueError):
    """A training run that cannot become an inference pipeline, or a bad scoring request."""


def _edge(source: str, out: str, target: str, into: str) -> dict:
    return {"from": {"node": source, "port": out}, "to": {"node": target, "port": into}}


def _ids(doc: dict) -> set[str]:
    return {n["id"] for n in doc["nodes"]}


def _fresh(doc: dict, base: str) -> str:
    taken, name, n = _ids(doc), base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _node(doc: dict, node_id: str, module: str, params: dict, near: dict, dx=0, dy=0) -> dict:
    position = near.get("position") or {}
    node = {"id": node_id, "module": module, "params": params,
            "position": {"x": position.get("x", 0) + dx, "y": position.get("y", 0) + dy}}
    doc["nodes"].append(node)
    return node


def derive(document: dict, outputs: Mapping[str, dict], modules: Mapping[str, ModuleSpec],
           run_id: str) -> dict:
    """The real-time inference pipeline of a finished run.

    ``outputs`` maps each node id to its stored outputs ({port: {"key", "kind"}}) in the run.
    """
    doc = copy.deepcopy(document)
    doc["name"] = f"{document['name']} - real-time inference"[:200]
    nodes = {n["id"]: n for n in doc["nodes"]}
    trained = [i for i, n in nodes.items() if _produces(modules, n, TRAINED_MODEL)]
    if not trained:
        raise InferenceError("This run trained no model: a real-time inference pipeline "
                             "needs a pipeline with Train Model.")
    for node_id in trained:
        _freeze_model(doc, nodes[node_id], outputs, run_id, modules)
    for node in list(nodes.values()):
        if _produces(modules, node, TRANSFORMATION):
            _freeze_transformation(doc, node, outputs, run_id, modules)
    for node_id, node in list(nodes.items()):
        if node["module"] in DROPPED:
            _bypass(doc, node_id)
    _add_web_service_nodes(doc, modules)
    _prune(doc)
    used = {v["$param"] for n in doc["nodes"] for v in n.get("params", {}).values()
            if isinstance(v, dict) and "$param" in v}
    doc["parameters"] = [p for p in doc.get("parameters", []) if p["name"] in used]
    return doc


def _produces(modules, node: dict, port_type: str) -> bool:
    spec = modules.get(node["module"])
    return spec is not None and node["module"] not in FROZEN and any(
        p.type == port_type for p in spec.outputs)


def _stored(outputs, node_id: str, port: str) -> str:
    ref = (outputs.get(node_id) or {}).get(port)
    if not ref:
        raise InferenceError(f"Step '{node_id}' of the run has no stored output '{port}'; "
                             "run the pipeline to the end first.")
    return ref["key"]


def _freeze_model(doc, node, outputs, run_id, modules) -> None:
    port = next(p.name for p in modules[node["module"]].outputs if p.type == TRAINED_MODEL)
    key = _stored(outputs, node["id"], port)
    # Its inputs go, and its other outputs (Train Clustering Model's assignments of the
    # training rows): a request brings no training data.
    doc["edges"] = [e for e in doc["edges"] if e["to"]["node"] != node["id"] and not (
        e["from"]["node"] == node["id"] and e["from"]["port"] != port)]
    for e in doc["edges"]:
        if e["from"]["node"] == node["id"]:
            e["from"]["port"] = "trained_model"
    node["module"] = "saved_model"
    node["params"] = {"artifact": key, "source": f"run {run_id} step {node['id']} ({port})"}


def _freeze_transformation(doc, node, outputs, run_id, modules) -> None:
    spec = modules[node["module"]]
    learned = next(p.name for p in spec.outputs if p.type == TRANSFORMATION)
    data_ports = {p.name for p in spec.outputs if p.type == DATAFRAME}
    key = _stored(outputs, node["id"], learned)
    saved = _fresh(doc, f"{node['id']}_transformation")
    _node(doc, saved, "saved_transformation",
          {"artifact": key, "source": f"run {run_id} step {node['id']} ({learned})"},
          node, dx=-240)
    for e in doc["edges"]:
        if e["from"]["node"] != node["id"]:
            continue
        if e["from"]["port"] in data_ports:
            e["from"]["port"] = "transformed_dataset"
        elif e["from"]["port"] == learned:
            e["from"] = {"node": saved, "port": "transformation"}
    doc["edges"].append(_edge(saved, "transformation", node["id"], "transformation"))
    node["module"] = "apply_transformation"
    node["params"] = {}


def _bypass(doc, node_id: str) -> None:
    """Remove a node; whatever it fed is fed by what fed its (first) data set input."""
    feeding = next((e["from"] for e in doc["edges"] if e["to"]["node"] == node_id), None)
    kept = []
    for e in doc["edges"]:
        if e["to"]["node"] == node_id:
            continue
        if e["from"]["node"] == node_id:
            if feeding is None:
                continue
            e = {"from": dict(feeding), "to": e["to"]}
        kept.append(e)
    doc["edges"] = kept
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] != node_id]


def _add_web_service_nodes(doc, modules) -> None:
    sources = [n for n in doc["nodes"] if n["module"] in SOURCES]
    for i, source in enumerate(sources):
        wsi = _fresh(doc, INPUT)
        _node(doc, wsi, INPUT, {"name": f"WebServiceInput{i}"}, source, dy=90)
        for e in doc["edges"]:
            if e["from"]["node"] == source["id"]:
                e["from"] = {"node": wsi, "port": "dataset"}
        doc["edges"].append(_edge(source["id"], "dataset", wsi, "dataset"))
    scorers = [n for n in doc["nodes"] if n["module"] in SCORERS]
    if not scorers:
        raise InferenceError("The pipeline has no Score Model or Assign Data to Clusters to "
                             "answer requests with.")
    for i, scorer in enumerate(scorers):
        wso = _fresh(doc, OUTPUT)
        _node(doc, wso, OUTPUT, {"name": f"WebServiceOutput{i}"}, scorer, dy=110)
        doc["edges"].append(_edge(scorer["id"], SCORERS[scorer["module"]], wso, "dataset"))


def _graph(doc) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(_ids(doc))
    graph.add_edges_from((e["from"]["node"], e["to"]["node"]) for e in doc["edges"])
    return graph


def _prune(doc) -> None:
    """Keep only what leads to a Web Service Output."""
    graph = _graph(doc)
    outputs = [n["id"] for n in doc["nodes"] if n["module"] == OUTPUT]
    keep = set(outputs).union(*(nx.ancestors(graph, o) for o in outputs))
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] in keep]
    doc["edges"] = [e for e in doc["edges"]
                    if e["from"]["node"] in keep and e["to"]["node"] in keep]


# -- scoring in memory ------------------------------------------------------------------------
@dataclass
class _Call:
    node_id: str
    spec: ModuleSpec
    params: dict
    inputs: dict  # port: (node id, port)


def _served(value):
    """A frozen output as requests use it: its ``for_serving()`` form where it has one (a
    trained model scores with less overhead per call, giving the same scores)."""
    served = getattr(value, "for_serving", None)
    return served() if callable(served) else value


class InferenceGraph:
    """A deployed inference pipeline: frozen nodes loaded once, called per request."""

    def __init__(self, plan, store):
        """``plan`` is the engine's plan of the inference document (resolved parameters)."""
        steps, order = plan.steps, plan.order
        self.inputs = {s.params["name"]: n for n, s in steps.items() if s.spec.name == INPUT}
        self.outputs = {s.params["name"]: n for n, s in steps.items() if s.spec.name == OUTPUT}
        if not self.inputs or not self.outputs:
            raise InferenceError("A real-time endpoint needs a Web Service Input and a Web "
                                 "Service Output.")
        graph = nx.DiGraph([(src, n) for n, s in steps.items() for src, _ in s.inputs.values()])
        graph.add_nodes_from(steps)
        upstream_of_inputs = set().union(*(nx.ancestors(graph, n) for n in self.inputs.values()))
        self.frozen: dict[str, dict] = {}
        self.calls: list[_Call] = []
        # OpenMP's thread count is per calling thread: each request's native code runs on the
        # thread serving it, as many server threads score at once (a team per thread
        # outnumbers the cores and waits in the kernel), and a request's rows are too few for
        # a team to pay off.
        self.native = ThreadpoolController()
        ctx = StepContext("deploy", store=store)
        for node_id in order:
            step = steps[node_id]
            if node_id in upstream_of_inputs or node_id in self.inputs.values():
                continue  # design-time data: a request's rows replace it
            if step.spec.name in FROZEN:
                self.frozen[node_id] = {port: _served(value) for port, value
                                        in step.spec.call({}, step.params, ctx).items()}
                continue
            self.calls.append(_Call(node_id, step.spec, step.params, dict(step.inputs)))

    def score(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Each Web Service Output's rows for the request's rows per Web Service Input."""
        values: dict[str, dict[str, Any]] = dict(self.frozen)
        for name, node_id in self.inputs.items():
            values[node_id] = {"dataset": frames[name]}
        ctx = StepContext("score")
        with self.native.limit(limits=1, user_api="openmp"):
            for call in self.calls:
                inputs = {port: values[src][out] for port, (src, out) in call.inputs.items()}
                try:
                    values[call.node_id] = call.spec.call(inputs, call.params, ctx)
                except (KeyError, ValueError, TypeError) as exc:  # ModuleError passes as is
                    raise ModuleError(f"{call.spec.label}: {exc}") from exc
        return {name: values[node_id]["dataset"] for name, node_id in self.outputs.items()}
