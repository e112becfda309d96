"""Model Scoring & Evaluation: Score Model, Apply Transformation and Evaluate Model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from app.engine.context import ModuleError, StepContext
from app.engine.registry import module
from app.engine.spec import DATAFRAME, METRICS, TRAINED_MODEL, TRANSFORMATION, Bool, Port

from .scoring_tasks import cluster_evaluation, quantile_columns, quantile_losses, quantile_scores
from .training import TrainedModel, _plain

CATEGORY = "Model Scoring & Evaluation"
SCORED_LABELS = "Scored Labels"
SCORED_PROBABILITIES = "Scored Probabilities"
THRESHOLD = 0.5
MAX_CURVE_POINTS = 500
MAX_RESIDUAL_POINTS = 2000
HISTOGRAM_BINS = 30
THRESHOLD_STEPS = 100
# The score columns Evaluate Model reads for each task (quantile regression: one a quantile).
TASK_SCORES = {"binary": [SCORED_LABELS, SCORED_PROBABILITIES], "multiclass": [SCORED_LABELS],
               "regression": [SCORED_LABELS], "quantile_regression": [],
               "anomaly_detection": [SCORED_LABELS, SCORED_PROBABILITIES]}


@module(
    "score_model",
    label="Score Model",
    category=CATEGORY,
    inputs=[Port("trained_model", TRAINED_MODEL), Port("dataset", DATAFRAME)],
    outputs=[Port("scored_dataset", DATAFRAME)],
    params=[Bool("append_score_columns", default=True,
                 label="Append score columns to output")],
)
def score_model(trained_model, dataset, *, append_score_columns, ctx=None):
    """Predict with a trained model: append "Scored Labels" (and "Scored Probabilities", one per
    class for a multiclass model; "Scores for quantile :q" columns for a quantile model)."""
    ctx = ctx or StepContext("score_model")
    if hasattr(trained_model, "score_model"):  # a model that scores itself (Python)
        return {"scored_dataset": trained_model.score_model(dataset, append_score_columns, ctx)}
    if not isinstance(trained_model, TrainedModel):
        other = getattr(trained_model, "scored_by", None)
        raise ModuleError("Score Model needs a model trained by Train Model"
                          + (f"; use {other} for this one." if other else "."))
    model = trained_model
    missing = [c for c in model.feature_columns if c not in dataset.columns]
    if missing:
        raise ModuleError(
            f"Score Model: the data set lacks feature column(s) the model was trained on: "
            f"{', '.join(missing)}."
        )
    features = dataset[model.feature_columns]
    ctx.check_cancelled()
    scores = {}
    if model.task == "binary":
        proba = model.pipeline.predict_proba(features)[:, 1]
        # Labels follow the same 0.5 threshold Evaluate Model uses, so the two always agree.
        chosen = np.asarray(model.pipeline.classes_)[(proba >= THRESHOLD).astype(int)]
        scores[SCORED_LABELS] = _labels(chosen, dataset.index)
        scores[SCORED_PROBABILITIES] = pd.Series(proba, index=dataset.index, dtype="float64")
    elif model.task == "multiclass":
        scores = _multiclass_scores(model, features, dataset.index)
    elif model.task == "anomaly_detection":
        # As Azure: the anomaly score, and 1 (anomaly) where it reaches the threshold.
        proba = model.pipeline.score_samples(features)
        scores[SCORED_LABELS] = pd.Series((proba >= THRESHOLD).astype("int64"),
                                          index=dataset.index)
        scores[SCORED_PROBABILITIES] = pd.Series(proba, index=dataset.index, dtype="float64")
    elif model.task == "quantile_regression":
        scores = quantile_scores(model, features, dataset.index)
    else:
        predicted = model.pipeline.predict(features)
        scores[SCORED_LABELS] = pd.Series(predicted, index=dataset.index, dtype="float64")
    ctx.check_cancelled()

    if append_score_columns:
        kept = dataset.drop(columns=[c for c in scores if c in dataset.columns])
    else:
        kept = dataset[[model.label_column]] if model.label_column in dataset.columns else None
    scored = pd.DataFrame(scores, index=dataset.index)
    if kept is not None:
        scored = pd.concat([kept, scored], axis=1)
    scored.attrs = {
        "label_column": model.label_column,
        "task": model.task,
        "positive_class": model.positive_class,
        "classes": list(model.classes),
    }
    if model.task == "quantile_regression":
        scored.attrs["quantiles"] = list(model.pipeline[-1].quantiles)
    ctx.log(f"scored {len(scored)} rows ({model.task})")
    return {"scored_dataset": scored}


def _multiclass_scores(model: TrainedModel, features: pd.DataFrame, row_index) -> dict:
    """As Azure: a "Scored Probabilities_<class>" column per class, then the likeliest class."""
    proba = model.pipeline.predict_proba(features)
    scores = {f"{SCORED_PROBABILITIES}_{c}": pd.Series(proba[:, i], index=row_index,
                                                         dtype="float64")
              for i, c in enumerate(model.classes)}
    chosen = np.asarray(model.pipeline.classes_)[proba.argmax(axis=1)]
    scores[SCORED_LABELS] = _labels(chosen, row_index)
    return scores


def _labels(values: np.ndarray, row_index) -> pd.Series:
    """Predicted classes with a Parquet-friendly dtype (text classes become ``str``)."""
    if values.dtype == object:
        return pd.Series([str(v) for v in values], index=row_index, dtype="str")
    return pd.Series(values, index=row_index)


@module(
    "apply_transformation",
    label="Apply Transformation",
    category=CATEGORY,
    inputs=[Port("transformation", TRANSFORMATION), Port("dataset", DATAFRAME)],
    outputs=[Port("transformed_dataset", DATAFRAME)],
)
def apply_transformation(transformation, dataset, *, ctx=None):
    """Apply what a data transformation learned (Clean Missing Data's cleaning
    transformation, Normalize Data's transformation function) to another data set: the
    same columns, with the values learned from the data that module saw."""
    ctx = ctx or StepContext("apply_transformation")
    if not callable(getattr(transformation, "apply", None)):
        raise ModuleError("Apply Transformation needs a transformation output by a module "
                          "such as Clean Missing Data or Normalize Data.")
    ctx.log(f"applying {transformation.describe()}")
    return {"transformed_dataset": transformation.apply(dataset, "Apply Transformation", ctx)}


@module(
    "evaluate_model",
    label="Evaluate Model",
    category=CATEGORY,
    inputs=[Port("scored_dataset", DATAFRAME),
            Port("scored_dataset_to_compare", DATAFRAME, optional=True)],
    outputs=[Port("evaluation_results", METRICS)],
)
def evaluate_model(scored_dataset, scored_dataset_to_compare=None, *, ctx=None):
    """Metrics and curves of a scored data set or of clustering results (and of a second one,
    to compare)."""
    ctx = ctx or StepContext("evaluate_model")
    result = evaluate(scored_dataset, "scored_dataset", ctx)
    result["compare"] = None
    if scored_dataset_to_compare is not None:
        result["compare"] = evaluate(scored_dataset_to_compare, "scored_dataset_to_compare", ctx)
    return {"evaluation_results": result}


def evaluate(scored: pd.DataFrame, port: str, ctx) -> dict:
    """The JSON-ready evaluation of one scored data set."""
    info = scored.attrs or {}
    label, task = info.get("label_column"), info.get("task")
    if task == "clustering":
        body = cluster_evaluation(scored, port, info)
        ctx.log(f"{port}: " + ", ".join(f"{k}={v}" for k, v in body["metrics"].items()))
        return {"task": task, "label_column": None, **body}
    if task == "anomaly_detection" and not label:
        raise ModuleError(
            f"Evaluate Model: input '{port}' was scored by an anomaly detector trained without "
            "a label column; set Train Anomaly Detection Model's 'Label column' to evaluate it."
        )
    if not label or task not in TASK_SCORES:
        raise ModuleError(
            f"Evaluate Model needs a data set scored by Score Model (input '{port}' carries no "
            "label column / task metadata)."
        )
    needed = [label, *(TASK_SCORES[task] or quantile_columns(info))]
    missing = [c for c in needed if c not in scored.columns]
    if missing:
        raise ModuleError(
            f"Evaluate Model: input '{port}' lacks column(s) {', '.join(missing)}; score a data "
            "set that has the label column with Score Model."
        )
    rows = scored[needed].dropna()
    if len(rows) < len(scored):
        ctx.log(f"{port}: ignored {len(scored) - len(rows)} row(s) with a missing label or score")
    if rows.empty:
        raise ModuleError(f"Evaluate Model: input '{port}' has no row with a label '{label}'.")
    if task in ("binary", "anomaly_detection"):
        body = _binary(rows, label, info.get("positive_class"), info.get("classes") or [])
    elif task == "multiclass":
        body = _multiclass(rows, label, info.get("classes") or [])
    elif task == "quantile_regression":
        body = quantile_losses(rows, label, info.get("quantiles") or [])
    else:
        body = _regression(rows, label)
    ctx.log(f"{port}: " + ", ".join(f"{k}={v}" for k, v in body["metrics"].items()))
    return {"task": task, "label_column": label, **body}


def _binary(rows: pd.DataFrame, label: str, positive, classes: list) -> dict:
    """Accuracy, precision, recall, F1, AUC; ROC and PR curves; confusion matrix at 0.5."""
    actual = (rows[label] == positive).to_numpy(dtype=bool)
    proba = rows[SCORED_PROBABILITIES].to_numpy(dtype="float64")
    predicted = proba >= THRESHOLD
    # The counts at 0.5, and the metrics from them as scikit-learn's functions compute them
    # (the same numbers, bit for bit), without their input checks: a few ms each.
    tp = int(np.count_nonzero(actual & predicted))
    fp = int(np.count_nonzero(predicted)) - tp
    fn = int(np.count_nonzero(actual)) - tp
    tn = len(actual) - tp - fp - fn
    both = 0 < tp + fn < len(actual)  # AUC and the curves need both label values
    values = {
        "accuracy": (tp + tn) / len(actual),
        "precision": _share(tp, tp + fp),
        "recall": _share(tp, tp + fn),
        "f1": _share(2 * tp, 2 * tp + fp + fn),
        "auc": math.nan,
    }
    curves = {}
    if both:
        fpr, tpr, roc_t = skm.roc_curve(actual, proba)
        values["auc"] = skm.auc(fpr, tpr)  # what roc_auc_score computes
        precision, recall, pr_t = skm.precision_recall_curve(actual, proba)
        # precision/recall have one point more than thresholds: the (recall 0) end point.
        pr_t = np.append(pr_t, np.nan)
        keep = _sample(len(fpr), MAX_CURVE_POINTS)
        curves["roc"] = {"fpr": _floats(fpr[keep]), "tpr": _floats(tpr[keep]),
                         "threshold": _floats(roc_t[keep])}
        keep = _sample(len(precision), MAX_CURVE_POINTS)
        curves["pr"] = {"precision": _floats(precision[keep]), "recall": _floats(recall[keep]),
                        "threshold": _floats(pr_t[keep])}
    negative = next((c for c in classes if c != positive), None)
    curves["confusion_matrix"] = {"labels": [negative, positive], "matrix": [[tn, fp], [fn, tp]]}
    curves["threshold_counts"] = _threshold_counts(actual, proba)
    return {"metrics": {k: _float(v) for k, v in values.items()}, "curves": curves}


def _multiclass(rows: pd.DataFrame, label: str, classes: list) -> dict:
    """Azure's multiclass metrics: overall and average accuracy, micro and macro precision
    and recall; precision and recall of each class; the confusion matrix of all classes.

    Average accuracy is the mean over classes of the one-vs-rest accuracy. Classes the
    model never saw but the label holds get a row and a column of their own.
    """
    actual, predicted = rows[label].to_numpy(), rows[SCORED_LABELS].to_numpy()
    labels = list(classes) + sorted({_plain(v) for v in actual} - set(classes), key=str)
    matrix = skm.confusion_matrix(actual, predicted, labels=labels)
    total, hits = matrix.sum(), np.diag(matrix)
    # One-vs-rest accuracy of class k: all rows minus those wrongly in or out of k.
    one_vs_rest = (total - matrix.sum(axis=0) - matrix.sum(axis=1) + 2 * hits) / total
    scored = {"labels": labels, "zero_division": 0.0}
    values = {
        "overall_accuracy": hits.sum() / total,
        "average_accuracy": one_vs_rest.mean(),
        "micro_precision": skm.precision_score(actual, predicted, average="micro", **scored),
        "macro_precision": skm.precision_score(actual, predicted, average="macro", **scored),
        "micro_recall": skm.recall_score(actual, predicted, average="micro", **scored),
        "macro_recall": skm.recall_score(actual, predicted, average="macro", **scored),
    }
    per_class = {
        "labels": labels,
        "precision": _floats(skm.precision_score(actual, predicted, average=None, **scored)),
        "recall": _floats(skm.recall_score(actual, predicted, average=None, **scored)),
    }
    return {"metrics": {k: _float(v) for k, v in values.items()}, "per_class": per_class,
            "curves": {"confusion_matrix": {"labels": labels,
                                            "matrix": matrix.astype(int).tolist()}}}


def _share(part: int, whole: int) -> float:
    """``part / whole``; 0.0 when ``whole`` is 0 (scikit-learn's zero_division=0.0)."""
    return part / whole if whole else 0.0


def _threshold_counts(actual: np.ndarray, proba: np.ndarray) -> dict:
    """Confusion counts at thresholds 0, 0.01, ..., 1 (a row is positive when its probability
    is at least the threshold), so a viewer can move the threshold and draw a lift chart
    without the scored rows."""
    grid = np.round(np.linspace(0.0, 1.0, THRESHOLD_STEPS + 1), 2)
    positives, negatives = np.sort(proba[actual]), np.sort(proba[~actual])
    tp = len(positives) - np.searchsorted(positives, grid, side="left")
    fp = len(negatives) - np.searchsorted(negatives, grid, side="left")
    return {"threshold": _floats(grid), "default": THRESHOLD,
            "tp": tp.tolist(), "fp": fp.tolist(),
            "fn": (len(positives) - tp).tolist(), "tn": (len(negatives) - fp).tolist()}


def _regression(rows: pd.DataFrame, label: str) -> dict:
    """MAE, RMSE, R2, relative absolute and squared errors; residual points and histogram."""
    actual = rows[label].to_numpy(dtype="float64")
    predicted = rows[SCORED_LABELS].to_numpy(dtype="float64")
    error = actual - predicted
    spread = actual - actual.mean()
    values = {
        "mae": skm.mean_absolute_error(actual, predicted),
        "rmse": math.sqrt(skm.mean_squared_error(actual, predicted)),
        "r2": skm.r2_score(actual, predicted) if len(actual) > 1 else math.nan,
        "relative_absolute_error": _ratio(np.abs(error).sum(), np.abs(spread).sum()),
        "relative_squared_error": _ratio((error**2).sum(), (spread**2).sum()),
    }
    keep = _sample(len(actual), MAX_RESIDUAL_POINTS)
    counts, edges = np.histogram(error, bins=HISTOGRAM_BINS)
    curves = {
        "residuals": {"actual": _floats(actual[keep]), "predicted": _floats(predicted[keep])},
        "residual_histogram": {"bins": _floats(edges), "counts": [int(c) for c in counts]},
    }
    return {"metrics": {k: _float(v) for k, v in values.items()}, "curves": curves}


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


def _sample(n: int, most: int) -> np.ndarray:
    """At most ``most`` evenly spaced indices of range(n), always keeping the first and last."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, most).round().astype(int))


def _float(value) -> float | None:
    """A plain Python float, or None where JSON has no number (NaN, infinity)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _floats(values) -> list[float | None]:
    return [_float(v) for v in values]
