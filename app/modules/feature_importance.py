"""Permutation Feature Importance (Feature Selection): how much a trained model's score drops
when one feature's values are shuffled."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from app.engine.context import ModuleError, StepContext
from app.engine.registry import module
from app.engine.spec import DATAFRAME, MAX_SEED, TRAINED_MODEL, Choice, Int, Port

from .statistics import FEATURE_SELECTION, SCORE_COLUMNS
from .training import TrainedModel

LABEL = "Permutation Feature Importance"
CLASSIFICATION = ("accuracy", "precision", "recall")
# Metric name -> (score(truth, predicted, model), higher is better).
METRICS = {
    "accuracy": (lambda y, p, m: skm.accuracy_score(y, p), True),
    "precision": (lambda y, p, m: skm.precision_score(y, p, **_averaging(m), zero_division=0),
                  True),
    "recall": (lambda y, p, m: skm.recall_score(y, p, **_averaging(m), zero_division=0), True),
    "mean_absolute_error": (lambda y, p, m: skm.mean_absolute_error(y, p), False),
    "root_mean_squared_error": (lambda y, p, m: skm.root_mean_squared_error(y, p), False),
    "relative_absolute_error": (
        lambda y, p, m: np.abs(y - p).sum() / np.abs(y - y.mean()).sum(), False),
    "relative_squared_error": (
        lambda y, p, m: ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum(), False),
    "coefficient_of_determination": (lambda y, p, m: skm.r2_score(y, p), True),
}


def _averaging(model: TrainedModel) -> dict:
    """Precision and recall of the positive class (two classes), else the macro average."""
    if model.task == "binary":
        return {"pos_label": model.positive_class}
    return {"average": "macro"}


@module(
    "permutation_feature_importance", label=LABEL, category=FEATURE_SELECTION,
    inputs=[Port("trained_model", TRAINED_MODEL), Port("test_data", DATAFRAME)],
    outputs=[Port("feature_importance", DATAFRAME)],
    columns=lambda fed, params, datastores: {"feature_importance": SCORE_COLUMNS},
    params=[
        Int("seed", default=0, min=0, max=MAX_SEED, label="Random seed"),
        Choice("metric", options=list(METRICS), default="accuracy",
               label="Metric for measuring performance",
               description="Accuracy, precision, recall for classifiers; the error metrics "
                           "and the coefficient of determination for regression."),
    ],
)
def permutation_feature_importance(trained_model, test_data, *, seed, metric, ctx=None):
    """Score each feature by how much the model's metric worsens when it is shuffled.

    The model predicts the test data (its label column must be there; rows without a
    label are left out) once as is, then once per feature with that feature's values
    permuted: one numpy RandomState(seed) draws the permutations, feature after feature
    in the model's feature order. Score = baseline - shuffled for metrics where higher is
    better, shuffled - baseline for errors; the best feature comes first.
    """
    ctx = ctx or StepContext("permutation_feature_importance")
    if not isinstance(trained_model, TrainedModel):
        raise ModuleError(f"{LABEL} needs a model trained by Train Model.")
    classifier = trained_model.task != "regression"
    if (metric in CLASSIFICATION) != classifier:
        kind = "classification" if classifier else "regression"
        raise ModuleError(f"{LABEL}: the metric {metric!r} does not fit a {kind} model; "
                          f"choose one of {', '.join(_fitting(classifier))}")
    needed = [trained_model.label_column, *trained_model.feature_columns]
    missing = [c for c in needed if c not in test_data.columns]
    if missing:
        raise ModuleError(f"{LABEL}: the test data lacks column(s) the model needs: "
                          f"{', '.join(map(repr, missing))}")
    data = test_data[test_data[trained_model.label_column].notna()]
    if data.empty:
        raise ModuleError(f"{LABEL}: no test rows have a value in label column "
                          f"{trained_model.label_column!r}")
    features, truth = data[trained_model.feature_columns], data[trained_model.label_column]
    score, higher_better = METRICS[metric]
    predict = _predictor(trained_model)
    baseline = score(truth, predict(features), trained_model)
    rng = np.random.RandomState(seed)  # one documented, reproducible stream
    importances = []
    for col in trained_model.feature_columns:
        ctx.check_cancelled()
        shuffled = features.copy()
        shuffled[col] = features[col].to_numpy()[rng.permutation(len(features))]
        value = score(truth, predict(shuffled), trained_model)
        importances.append(baseline - value if higher_better else value - baseline)
    ctx.log(f"baseline {metric} {baseline:.6g} on {len(data)} rows")
    table = pd.DataFrame({"Feature": trained_model.feature_columns,
                          "Score": np.asarray(importances, dtype="float64")})
    table = table.sort_values("Score", ascending=False, kind="stable").reset_index(drop=True)
    return {"feature_importance": table}


def _predictor(model: TrainedModel):
    """The model's predict, its refusals (e.g. missing values for a linear model) as
    ModuleErrors."""

    def predict(features: pd.DataFrame):
        try:
            return model.pipeline.predict(features)
        except ValueError as exc:
            raise ModuleError(f"{LABEL}: the model cannot predict the test data: {exc}") from exc

    return predict


def _fitting(classifier: bool) -> list[str]:
    return [m for m in METRICS if (m in CLASSIFICATION) == classifier]
