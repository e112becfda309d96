"""A private registry of tiny modules for engine tests (never in the real catalogue).

Steps may run in worker processes, so a module reports what happened through its step log
(``ctx.log``), which reaches the executor's events from any backend.
"""

import time

import pandas as pd
import sklearn.ensemble  # noqa: F401 - loads the OpenMP runtime, as the real modules do

from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import (
    DATAFRAME,
    METRICS,
    TRAINED_MODEL,
    Bool,
    Choice,
    DataPath,
    Float,
    Int,
    Port,
    Str,
)

TOY: dict = {}


@module("source", label="Source", category="Toy", outputs=[Port("dataset", DATAFRAME)],
        params=[Int("rows", default=3, min=0, max=1000), Float("scale", default=1.0),
                Str("name", default="x"), Bool("flag", default=False),
                Choice("mode", ["a", "b"], default="a"), DataPath("path", optional=True)],
        registry=TOY)
def source(*, rows, scale, name, flag, mode, path, ctx):
    """Make a frame of ``rows`` rows."""
    ctx.log("called")
    return {"dataset": pd.DataFrame({name: [i * scale for i in range(rows)]})}


@module("double", label="Double", category="Toy", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("dataset", DATAFRAME)], params=[Float("sleep", default=0.0)],
        registry=TOY)
def double(dataset, *, sleep, ctx):
    """Double every value, optionally slowly (to observe concurrency)."""
    ctx.log("called")
    time.sleep(sleep)
    ctx.log("returning")
    return {"dataset": dataset * 2}


@module("combine", label="Combine", category="Toy",
        inputs=[Port("left", DATAFRAME), Port("right", DATAFRAME, optional=True)],
        outputs=[Port("dataset", DATAFRAME)], registry=TOY)
def combine(left, right=None):
    """Stack two frames."""
    return {"dataset": pd.concat([left, right]) if right is not None else left}


@module("fail", label="Fail", category="Toy", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("dataset", DATAFRAME)], params=[Str("column", default="missing")],
        registry=TOY)
def fail(dataset, *, column):
    """Fail naming a column that is not there."""
    raise ModuleError(f"Fail: column '{column}' is not in the data set")


@module("slow", label="Slow", category="Toy", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("dataset", DATAFRAME)], params=[Float("seconds", default=5.0)],
        registry=TOY)
def slow(dataset, *, seconds, ctx):
    """Sleep in small slices, checking for cancellation."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ctx.check_cancelled()
        time.sleep(0.01)
    ctx.log("slept")
    return {"dataset": dataset}


@module("measure", label="Measure", category="Toy", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("metrics", METRICS)], registry=TOY)
def measure(dataset):
    """Metrics of a frame."""
    return {"metrics": {"metrics": {"rows": len(dataset)}}}


@module("random", label="Random", category="Toy", outputs=[Port("dataset", DATAFRAME)],
        deterministic=False, registry=TOY)
def random(*, ctx):
    """Never reused."""
    ctx.log("called")
    return {"dataset": pd.DataFrame({"r": [time.time()]})}


@module("model", label="Model", category="Toy", outputs=[Port("model", TRAINED_MODEL)],
        registry=TOY)
def model():
    """A model-typed output, to test port type checks."""
    return {"model": {"weights": [1, 2]}}


@module("stuck", label="Stuck", category="Toy", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("dataset", DATAFRAME)], params=[Float("seconds", default=60.0)],
        registry=TOY)
def stuck(dataset, *, seconds, ctx):
    """One long call that never checks for cancellation, like a huge fit in native code."""
    ctx.log("stuck")
    time.sleep(seconds)
    return {"dataset": dataset}


@module("hog", label="Hog", category="Toy", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("dataset", DATAFRAME)],
        params=[Int("mb", default=100, min=0), Float("seconds", default=60.0)], registry=TOY)
def hog(dataset, *, mb, seconds, ctx):
    """Hold ``mb`` MB of memory (every page touched) for ``seconds``."""
    held = b"x" * (mb * 1024 * 1024)
    ctx.log(f"holding {len(held) // 1024 // 1024} MB")
    time.sleep(seconds)
    return {"dataset": dataset}


def doc(nodes, edges=(), parameters=()):
    """A document from short tuples: nodes (id, module, params), edges (a.port, b.port)."""
    from app.engine.document import PipelineDocument

    return PipelineDocument.model_validate({
        "name": "t",
        "parameters": list(parameters),
        "nodes": [{"id": i, "module": m, "params": p} for i, m, p in nodes],
        "edges": [{"from": dict(zip(("node", "port"), a.split("."), strict=True)),
                   "to": dict(zip(("node", "port"), b.split("."), strict=True))}
                  for a, b in edges],
    })


@module("crash", label="Crash", category="Toy", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("dataset", DATAFRAME)], registry=TOY)
def crash(dataset):
    """End the process running the step, as a crash in native code would."""
    import os

    os._exit(3)


@module("threads", label="Threads", category="Toy", outputs=[Port("dataset", DATAFRAME)],
        registry=TOY)
def threads(*, ctx):
    """Log how many threads an OpenMP parallel region started here would use."""
    from threadpoolctl import ThreadpoolController

    teams = ThreadpoolController().select(user_api="openmp").info()
    ctx.log(f"openmp {teams[0]['num_threads']}")
    return {"dataset": pd.DataFrame({"x": [1]})}


@module("environment", label="Environment", category="Toy",
        outputs=[Port("dataset", DATAFRAME)], params=[Str("variable", default="")],
        registry=TOY)
def environment(*, variable, ctx):
    """Log the value of the environment variable ``variable`` in the step's process."""
    import os

    ctx.log(f"{variable}={os.environ.get(variable)}")
    return {"dataset": pd.DataFrame({"x": [1]})}


@module("where", label="Where", category="Toy", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("dataset", DATAFRAME)], registry=TOY)
def where(dataset, *, ctx):
    """Pass the data set on, logging the process that ran the step and the rows it got."""
    import os

    ctx.log(f"pid {os.getpid()}")
    ctx.log(f"rows {len(dataset)}")
    return {"dataset": dataset}
