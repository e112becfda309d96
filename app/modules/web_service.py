"""Web Service: the modules of a real-time inference pipeline.

Web Service Input is where a scoring request's rows enter (in a pipeline run it passes on
what is wired into it, e.g. Import Data, so the graph has columns at design time); Web
Service Output is what a request answers. A trained model or a transformation saved by an
earlier run enters as a frozen node that reads it from the artifact store by its key.
"""

from __future__ import annotations

from app.engine.columns import passed_through
from app.engine.context import ModuleError, StepContext
from app.engine.registry import module
from app.engine.spec import DATAFRAME, TRAINED_MODEL, TRANSFORMATION, Port, Str

CATEGORY = "Web Service"
ARTIFACT_KEY = {"description": "The key of the object in the artifact store (set when the "
                               "inference pipeline is created; not meant to be edited)."}


@module(
    "web_service_input", label="Web Service Input", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME, optional=True)], outputs=[Port("dataset", DATAFRAME)],
    columns=passed_through("dataset", "dataset"),
    params=[Str("name", default="WebServiceInput0", max_length=64,
                description="The key of this input in a scoring request's Inputs.")],
)
def web_service_input(dataset=None, *, name):
    """Where a scoring request's rows enter; in a pipeline run, the data wired into it."""
    if dataset is None:
        raise ModuleError(f"Web Service Input {name!r}: nothing is wired into it, so a "
                          "pipeline run has no rows; score through the real-time endpoint, "
                          "or connect Import Data for design-time data.")
    return {"dataset": dataset}


@module(
    "web_service_output", label="Web Service Output", category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("dataset", DATAFRAME)],
    columns=passed_through("dataset", "dataset"),
    params=[Str("name", default="WebServiceOutput0", max_length=64,
                description="The key of this output in a scoring answer's Results.")],
)
def web_service_output(dataset, *, name):
    """What a scoring request answers: the rows that reach it."""
    return {"dataset": dataset}


@module(
    "saved_model", label="Trained model (saved)", category=CATEGORY,
    outputs=[Port("trained_model", TRAINED_MODEL)],
    params=[Str("artifact", default="", max_length=64, **ARTIFACT_KEY),
            Str("source", default="", max_length=500,
                description="Where the model came from (run, step, model version).")],
)
def saved_model(*, artifact, source, ctx=None):
    """A trained model saved by an earlier run (a frozen node of an inference pipeline)."""
    ctx = ctx or StepContext("saved_model")
    return {"trained_model": ctx.saved(artifact, "trained model")}


@module(
    "saved_transformation", label="Transformation (saved)", category=CATEGORY,
    outputs=[Port("transformation", TRANSFORMATION)],
    params=[Str("artifact", default="", max_length=64, **ARTIFACT_KEY),
            Str("source", default="", max_length=500,
                description="Where the transformation came from (run and step).")],
)
def saved_transformation(*, artifact, source, ctx=None):
    """A transformation saved by an earlier run (a frozen node of an inference pipeline)."""
    ctx = ctx or StepContext("saved_transformation")
    return {"transformation": ctx.saved(artifact, "transformation")}
