"""Benchmark: validating large pipeline documents, with and without one long cycle.

Run from the repository root: ``python benchmarks/bench_validate.py [--nodes 5000] [--repeats 3]``.

Each document is a chain of Select Columns in Dataset nodes fed by one Import Data node;
the cyclic one wires the last node back into the first of the chain, so every node of the
chain lies on one cycle. The timing covers what POST /api/v1/pipelines/validate does after
parsing the body: the engine's validation plus the design-time column propagation, and the
size of the JSON answer. Target (from the issue): under 1 s for 5,000 nodes. CPU time is
printed beside the wall time because a loaded machine stretches the latter. Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.columns import infer_columns  # noqa: E402
from app.engine.datastores import Datastores  # noqa: E402
from app.engine.document import PipelineDocument  # noqa: E402
from app.engine.graph import validate  # noqa: E402
from app.engine.registry import discover  # noqa: E402
from app.services.pipelines import group_errors  # noqa: E402


def document(nodes: int, cyclic: bool) -> PipelineDocument:
    """Import Data, then a chain of ``nodes - 1`` Select Columns; optionally closed into a loop."""
    chain = [f"n{i}" for i in range(1, nodes)]
    items = [{"id": "n0", "module": "import_data",
              "params": {"path": {"datastore": "samples", "path": "income/us.csv"}}}]
    items += [{"id": n, "module": "select_columns", "params": {}} for n in chain]
    edges = [("n0", chain[0])] if not cyclic else []
    edges += list(zip(chain, chain[1:], strict=False))
    if cyclic:
        edges.append((chain[-1], chain[0]))
    return PipelineDocument.model_validate({
        "name": "big", "nodes": items,
        "edges": [{"from": {"node": a, "port": "dataset"}, "to": {"node": b, "port": "dataset"}}
                  for a, b in edges]})


def measure(doc: PipelineDocument, modules, datastores: Datastores) -> tuple[float, float, int,
                                                                          int]:
    """Wall and CPU seconds to validate, bytes of the JSON answer, nodes flagged."""
    started, cpu = time.perf_counter(), time.process_time()
    grouped = group_errors(validate(doc, modules))
    infer_columns(doc, modules, datastores)
    answer = json.dumps(grouped)
    return (time.perf_counter() - started, time.process_time() - cpu, len(answer),
            len(grouped["node_errors"]))


def main() -> None:
    """Print the median time of each case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    modules = discover()
    datastores = Datastores({})
    for cyclic in (False, True):
        doc = document(args.nodes, cyclic)
        runs = [measure(doc, modules, datastores) for _ in range(args.repeats)]
        seconds = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        _, _, size, flagged = runs[0]
        verdict = "PASS" if seconds < 1 else "MISS"
        label = "with a cycle" if cyclic else "acyclic"
        print(f"{verdict}  {args.nodes} nodes {label}: {seconds:.3f} s (target < 1 s; "
              f"CPU {cpu:.3f} s), answer {size:,} bytes, {flagged} nodes flagged")


if __name__ == "__main__":
    main()
