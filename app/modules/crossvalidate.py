"""Cross Validate Model: train and score a learner once per fold, then metrics by fold.

The folds are those Partition and Sample's Assign to Folds wrote (its ``Fold`` column, or a
``Fold Assignments`` column), else 10 folds as Azure makes them: rows shuffled with the random
seed and cut in 10 (scikit-learn's ``KFold(10, shuffle=True, random_state=seed)``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from app.engine.context import ModuleError, StepContext
from app.engine.registry import module
from app.engine.spec import DATAFRAME, MAX_SEED, UNTRAINED_MODEL, Columns, Int, Port

from .evaluation import (
    SCORED_LABELS,
    SCORED_PROBABILITIES,
    TASK_SCORES,
    _binary,
    _regression,
    score_model,
)
from .sweep import ParameterRange, refuse_range
from .training import _learner_name, learner_task, train_model
from .transform_rows import FOLD_COLUMN

LABEL = "Cross Validate Model"
FOLD_ASSIGNMENTS = "Fold Assignments"
FOLD_SOURCES = (FOLD_ASSIGNMENTS, FOLD_COLUMN)  # the first present gives the folds
DEFAULT_FOLDS = 10
# The metric columns of each task, as Azure names them; "lower" ones are better when smaller.
CLASSIFICATION = ["Accuracy", "Precision", "Recall", "F-Score", "AUC", "Average Log Loss"]
REGRESSION = ["Mean Absolute Error", "Root Mean Squared Error", "Relative Absolute Error",
              "Relative Squared Error", "Coefficient of Determination"]
BY_FOLD = ["Fold Number", "Number of examples in fold", "Model"]  # then the metrics
LOWER_IS_BETTER = frozenset({"Average Log Loss", "Mean Absolute Error",
                             "Root Mean Squared Error", "Relative Absolute Error",
                             "Relative Squared Error"})


class Quiet:
    """The step context of a module called inside another: its log lines are left out (the
    caller logs one line per fold or run), cancellation still reaches it."""

    def __init__(self, ctx):
        self.ctx = ctx

    def log(self, message: str) -> None:
        """Drop the line."""

    def check_cancelled(self) -> None:
        """Raise if the run was canceled."""
        self.ctx.check_cancelled()


class FoldRun:
    """What one cross-validation gives: every row scored out of fold, and metrics by fold (one
    row per fold: Fold Number, Number of examples in fold, Model, the metrics).

    A plain class, not a dataclass: Export as Python copies it into a script.
    """

    def __init__(self, scored: pd.DataFrame, by_fold: pd.DataFrame, task: str, learner: str):
        self.scored = scored
        self.by_fold = by_fold
        self.task = task
        self.learner = learner

    def mean(self) -> dict[str, float]:
        """Each metric's mean over the folds."""
        names = CLASSIFICATION if self.task != "regression" else REGRESSION
        return {n: float(self.by_fold[n].mean()) for n in names}


def fold_numbers(dataset: pd.DataFrame, seed: int, owner: str) -> tuple[np.ndarray, str | None]:
    """The fold of each row (from a fold column, else 10 shuffled folds) and the column used."""
    source = next((c for c in FOLD_SOURCES if c in dataset.columns), None)
    if source is None:
        if len(dataset) < DEFAULT_FOLDS:
            raise ModuleError(f"{owner}: {DEFAULT_FOLDS}-fold cross-validation needs at least "
                              f"{DEFAULT_FOLDS} rows with a label; the data set has "
                              f"{len(dataset)}.")
        folds = np.zeros(len(dataset), dtype="int64")
        splitter = KFold(DEFAULT_FOLDS, shuffle=True, random_state=seed)
        for number, (_, held_out) in enumerate(splitter.split(dataset), start=1):
            folds[held_out] = number
        return folds, None
    column = dataset[source]
    if column.isna().any() or not pd.api.types.is_integer_dtype(column):
        raise ModuleError(f"{owner}: fold column '{source}' must hold a whole fold number in "
                          "every row (as Partition and Sample's Assign to Folds writes it).")
    if column.nunique() < 2:
        raise ModuleError(f"{owner}: fold column '{source}' holds a single fold; "
                          "cross-validation needs at least 2.")
    return column.to_numpy(dtype="int64"), source


def cross_validate(untrained_model, dataset: pd.DataFrame, label_column: str, seed: int,
                   ctx, owner: str = LABEL) -> FoldRun:
    """Train on all folds but one and score that one, for each fold; metrics of each fold."""
    refuse_range(untrained_model, owner)
    if label_column not in dataset.columns:
        raise ModuleError(f"{owner}: label column '{label_column}' is not in the data set "
                          f"(columns: {', '.join(map(str, dataset.columns))}).")
    missing = dataset[label_column].isna()
    if missing.any():
        ctx.log(f"dropped {int(missing.sum())} row(s) with a missing label '{label_column}'")
        dataset = dataset.loc[~missing]
    dataset = dataset.reset_index(drop=True)
    folds, source = fold_numbers(dataset, seed, owner)
    rows = dataset.drop(columns=[source]) if source else dataset
    quiet = Quiet(ctx)
    scored_parts, metric_rows, task = [], [], "regression"
    for number in sorted(np.unique(folds)):
        ctx.check_cancelled()
        held_out = folds == number
        model = train_model(untrained_model, rows.loc[~held_out], label_column=label_column,
                            ctx=quiet)["trained_model"]
        scored = score_model(model, rows.loc[held_out], append_score_columns=True,
                             ctx=quiet)["scored_dataset"]
        task = model.task
        scored_parts.append((scored, model))
        facts = [str(number), int(held_out.sum()), _learner_name(untrained_model)]
        metric_rows.append({**dict(zip(BY_FOLD, facts, strict=True)),
                            **fold_metrics(scored, model.task)})
    scored = _join(scored_parts, folds, label_column, task)
    return FoldRun(scored, pd.DataFrame(metric_rows), task, _learner_name(untrained_model))


def _join(parts: list, folds: np.ndarray, label_column: str, task: str) -> pd.DataFrame:
    """The folds' scored rows back in input order, one probability column per class any fold
    saw (0 where a fold's model did not know the class), and the Fold Assignments column."""
    classes = sorted({c for _, model in parts for c in model.classes}, key=str)
    if task == "multiclass":
        wanted = [f"{SCORED_PROBABILITIES}_{c}" for c in classes]
        parts = [(p.reindex(columns=[c for c in p.columns if c not in wanted and c != SCORED_LABELS]
                            + wanted + [SCORED_LABELS], fill_value=0.0), m) for p, m in parts]
    scored = pd.concat([p for p, _ in parts]).sort_index()
    scored[FOLD_ASSIGNMENTS] = folds
    first = parts[0][1]
    scored.attrs = {"label_column": label_column, "task": task,
                    "positive_class": first.positive_class,
                    "classes": classes if task == "multiclass" else list(first.classes)}
    return scored


def fold_metrics(scored: pd.DataFrame, task: str) -> dict[str, float]:
    """The metrics of a scored data set under Azure's names (see CLASSIFICATION, REGRESSION).

    Two-class: as Evaluate Model (threshold 0.5), plus the log loss. Multiclass: accuracy,
    macro-averaged precision, recall and F-score, one-vs-rest macro AUC (undefined when the
    rows lack a class) and log loss.
    """
    label = scored.attrs["label_column"]
    if task == "regression":
        found = _regression(scored[[label, SCORED_LABELS]], label)["metrics"]
        keys = ["mae", "rmse", "relative_absolute_error", "relative_squared_error", "r2"]
        return dict(zip(REGRESSION, (_nan(found[k]) for k in keys), strict=True))
    classes = list(scored.attrs["classes"])
    if task == "binary":
        positive = scored.attrs["positive_class"]
        found = _binary(scored, label, positive, classes)["metrics"]
        proba = scored[SCORED_PROBABILITIES].to_numpy(dtype="float64")
        loss = skm.log_loss(scored[label] == positive, proba, labels=[False, True])
        values = [found[k] for k in ("accuracy", "precision", "recall", "f1", "auc")]
        return dict(zip(CLASSIFICATION, [*(_nan(v) for v in values), loss], strict=True))
    actual, predicted = scored[label].to_numpy(), scored[SCORED_LABELS].to_numpy()
    proba = scored[[f"{SCORED_PROBABILITIES}_{c}" for c in classes]].to_numpy(dtype="float64")
    # Macro averages over the classes the rows hold or the model predicted (sklearn's default).
    macro = {"average": "macro", "zero_division": 0.0}
    every_class = set(pd.unique(actual)) == set(classes)
    return {
        "Accuracy": skm.accuracy_score(actual, predicted),
        "Precision": skm.precision_score(actual, predicted, **macro),
        "Recall": skm.recall_score(actual, predicted, **macro),
        "F-Score": skm.f1_score(actual, predicted, **macro),
        "AUC": (skm.roc_auc_score(actual, proba, multi_class="ovr", labels=classes)
                if every_class else math.nan),
        "Average Log Loss": skm.log_loss(actual, proba, labels=classes),
    }


def _nan(value) -> float:
    return math.nan if value is None else float(value)


def with_summary(by_fold: pd.DataFrame) -> pd.DataFrame:
    """The fold rows, then a Mean and a Standard Deviation row (sample deviation, n - 1)."""
    numeric = by_fold.drop(columns=["Fold Number", "Model"])
    summary = pd.DataFrame([numeric.mean(), numeric.std(ddof=1)])
    summary.insert(0, "Fold Number", ["Mean", "Standard Deviation"])
    summary.insert(2, "Model", by_fold["Model"].iloc[0])
    table = pd.concat([by_fold.astype({"Number of examples in fold": "float64"}), summary],
                      ignore_index=True)
    return table.astype({"Fold Number": "str", "Model": "str"})


def metric_columns(task: str | None) -> list[str] | None:
    """The metric columns measuring a model of ``task`` (None: a task not cross-validated)."""
    return {"binary": CLASSIFICATION, "multiclass": CLASSIFICATION,
            "regression": REGRESSION}.get(task)


def designed_task(model) -> str | None:
    """The task of what a learner's untrained_model port carries at design time (see
    training.unfitted): an unfitted model, a Parameter Range sweep, else unknown (None)."""
    if isinstance(model, ParameterRange):
        model = model.estimator({name: values[0] for name, values in model.ranges.items()})
    return learner_task(model) if isinstance(model, BaseEstimator) else None


def _cross_validated_columns(fed, params, datastores):
    """The input's columns (less a fold column) then the scores and Fold Assignments; the
    metrics by fold. A multiclass model's scores stay unknown: it adds a probability column per
    class, and the classes are the label's values, which only the data holds."""
    model, given = fed.get("untrained_model"), fed.get("dataset")
    task = None if isinstance(model, ParameterRange) else designed_task(model)  # refused
    metrics = metric_columns(task)
    scores = TASK_SCORES[task] if task in ("binary", "regression") else None
    scored = None
    if scores and given is not None and params["label_column"] in given:
        source = next((c for c in FOLD_SOURCES if c in given), None)
        scored = [*(c for c in given if c != source and c not in scores), *scores,
                  FOLD_ASSIGNMENTS]
    return {"scored_results": scored,
            "evaluation_results_by_fold": [*BY_FOLD, *metrics] if metrics else None}


@module(
    "cross_validate_model",
    label=LABEL,
    category="Model Scoring & Evaluation",
    inputs=[Port("untrained_model", UNTRAINED_MODEL, label="Untrained model"),
            Port("dataset", DATAFRAME, label="Dataset")],
    outputs=[Port("scored_results", DATAFRAME, label="Scored results"),
             Port("evaluation_results_by_fold", DATAFRAME, label="Evaluation results by fold")],
    params=[Columns("label_column", single=True, input="dataset", label="Label column"),
            Int("seed", default=0, min=0, max=MAX_SEED, label="Random seed",
                description="Shuffles the rows into 10 folds when the data set has no fold "
                            "column; the same seed gives the same folds.")],
    columns=_cross_validated_columns,
)
def cross_validate_model(untrained_model, dataset, *, label_column, seed, ctx=None):
    """Train and score a learner once per fold (Partition and Sample's folds, else 10): every
    row scored by the model that did not see it, and the metrics of each fold."""
    ctx = ctx or StepContext("cross_validate_model")
    result = cross_validate(untrained_model, dataset, label_column, seed, ctx)
    table = with_summary(result.by_fold)
    names = CLASSIFICATION if result.task != "regression" else REGRESSION
    for _, row in result.by_fold.iterrows():
        ctx.log(f"fold {row['Fold Number']} ({row['Number of examples in fold']} rows): "
                + ", ".join(f"{n}={row[n]:.4f}" for n in names))
    ctx.log(f"{result.learner}, {len(result.by_fold)} folds ({result.task}): mean " + ", ".join(
        f"{n}={v:.4f}" for n, v in result.mean().items()))
    return {"scored_results": result.scored, "evaluation_results_by_fold": table}
