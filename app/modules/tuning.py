"""Model Training: Tune Model Hyperparameters sweeps a learner's Parameter Range values.

Each combination of the learner's ranges (all of them, or a seeded random choice of them) is
trained and measured: on the validation data set when one is connected, else by the same
cross-validation as Cross Validate Model (the training data's fold column, else 10 seeded
folds), the combination's metrics being the means over the folds. The best combination by the
chosen metric is then trained on the whole training data set.
"""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import ParameterGrid, ParameterSampler

from app.engine.context import ModuleError, StepContext
from app.engine.registry import module
from app.engine.spec import (
    DATAFRAME,
    MAX_SEED,
    TRAINED_MODEL,
    UNTRAINED_MODEL,
    Choice,
    Columns,
    Int,
    Port,
)

from .crossvalidate import (
    LOWER_IS_BETTER,
    Quiet,
    cross_validate,
    designed_task,
    fold_metrics,
    metric_columns,
)
from .evaluation import score_model
from .sweep import ParameterRange
from .training import _learner_name, train_model

LABEL = "Tune Model Hyperparameters"
MAX_RUNS = 10_000  # combinations one sweep may train
CLASSIFICATION_METRICS = {"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall",
                          "f_score": "F-Score", "auc": "AUC",
                          "average_log_loss": "Average Log Loss"}
REGRESSION_METRICS = {"mean_absolute_error": "Mean Absolute Error",
                      "root_mean_squared_error": "Root Mean Squared Error",
                      "relative_absolute_error": "Relative Absolute Error",
                      "relative_squared_error": "Relative Squared Error",
                      "coefficient_of_determination": "Coefficient of Determination"}


def combinations(sweep: ParameterRange, mode: str, max_runs: int, seed: int, ctx) -> list[dict]:
    """The combinations to try: the entire grid, or ``max_runs`` distinct ones drawn with
    ``seed`` (scikit-learn's ParameterGrid and ParameterSampler, so plain code can match)."""
    grid = ParameterGrid({name: list(values) for name, values in sweep.ranges.items()})
    if mode == "entire_grid":
        if len(grid) > MAX_RUNS:
            raise ModuleError(
                f"{LABEL}: the entire grid of {sweep.learner} has {len(grid)} combinations, more "
                f"than {MAX_RUNS}; shorten its ranges or use a random sweep.")
        chosen = list(grid)
    else:
        runs = min(max_runs, len(grid))
        if runs < max_runs:
            ctx.log(f"the grid has {len(grid)} combinations, fewer than the {max_runs} runs "
                    "asked: every combination is tried")
        chosen = list(ParameterSampler(dict(sweep.ranges), runs, random_state=seed))
    order = list(sweep.ranges)  # the learner's field order, not ParameterGrid's sorted one
    return [{name: values[name] for name in order} for values in chosen]


def _measure(estimator, training, validation, label_column: str, seed: int, ctx) -> tuple:
    """(task, metrics) of one estimator: scored on the validation set, else cross-validated."""
    quiet = Quiet(ctx)
    if validation is None:
        result = cross_validate(estimator, training, label_column, seed, quiet, owner=LABEL)
        return result.task, result.mean()
    model = train_model(estimator, training, label_column=label_column, ctx=quiet)
    model = model["trained_model"]
    scored = score_model(model, validation, append_score_columns=False,
                         ctx=quiet)["scored_dataset"]
    return model.task, fold_metrics(scored, model.task)


def _validation_rows(validation, label_column: str):
    """The validation rows that have a label, or a ModuleError naming what is wrong."""
    if validation is None:
        return None
    if label_column not in validation.columns:
        raise ModuleError(f"{LABEL}: the validation data set has no label column "
                          f"'{label_column}'.")
    rows = validation.loc[validation[label_column].notna()]
    if rows.empty:
        raise ModuleError(f"{LABEL}: no validation row has a value in label column "
                          f"'{label_column}'.")
    return rows


def _sweep_columns(fed, params, datastores):
    """Run, one column per swept field (its label, in the learner's order), then the metric
    columns of the learner's task (those Cross Validate Model writes)."""
    model = fed.get("untrained_model")
    metrics = metric_columns(designed_task(model))
    if metrics is None:
        return {"sweep_results": None}
    swept = [model.labels[n] for n in model.ranges] if isinstance(model, ParameterRange) else []
    return {"sweep_results": ["Run", *swept, *metrics]}


@module(
    "tune_model_hyperparameters",
    label=LABEL,
    category="Model Training",
    inputs=[Port("untrained_model", UNTRAINED_MODEL, label="Untrained model"),
            Port("training_dataset", DATAFRAME, label="Training dataset"),
            Port("validation_dataset", DATAFRAME, optional=True,
                 label="Optional validation dataset")],
    outputs=[Port("sweep_results", DATAFRAME, label="Sweep results"),
             Port("trained_best_model", TRAINED_MODEL, label="Trained best model")],
    params=[
        Choice("sweeping_mode", default="random_sweep", options=["entire_grid", "random_sweep"],
               option_labels={"entire_grid": "Entire grid", "random_sweep": "Random sweep"},
               label="Specify parameter sweeping mode",
               description="Entire grid tries every combination of the learner's ranges; "
                           "random sweep tries a seeded random choice of them."),
        Int("max_runs", default=5, min=1, max=MAX_RUNS, when={"sweeping_mode": "random_sweep"},
            label="Maximum number of runs on random sweep",
            description="How many distinct combinations the random sweep trains."),
        Int("seed", default=0, min=0, max=MAX_SEED, label="Random seed",
            description="Picks the random sweep's combinations and, without validation data, "
                        "shuffles the rows into 10 folds."),
        Columns("label_column", single=True, input="training_dataset", label="Label column"),
        Choice("classification_metric", default="accuracy",
               options=list(CLASSIFICATION_METRICS), option_labels=CLASSIFICATION_METRICS,
               label="Metric for measuring performance for classification",
               description="What ranks the combinations of a two-class or multiclass learner "
                           "(multiclass: macro averages, one-vs-rest AUC)."),
        Choice("regression_metric", default="mean_absolute_error",
               options=list(REGRESSION_METRICS), option_labels=REGRESSION_METRICS,
               label="Metric for measuring performance for regression",
               description="What ranks the combinations of a regression learner."),
    ],
    columns=_sweep_columns,
)
def tune_model_hyperparameters(untrained_model, training_dataset, validation_dataset=None, *,
                               sweeping_mode, max_runs, seed, label_column,
                               classification_metric, regression_metric, ctx=None):
    """Train a learner with each combination of its Parameter Range values, measure each on the
    validation data (else by 10-fold cross-validation), and train the best on all the data."""
    ctx = ctx or StepContext("tune_model_hyperparameters")
    if isinstance(untrained_model, ParameterRange):
        sweep = untrained_model
        tried = combinations(sweep, sweeping_mode, max_runs, seed, ctx)
    else:  # a learner in Single Parameter mode: one combination, its own
        sweep, tried = None, [{}]
        ctx.log(f"{_learner_name(untrained_model)} is in Single Parameter mode: one run")
    validation = _validation_rows(validation_dataset, label_column)
    how = "the validation data" if validation is not None else "10-fold cross-validation"
    ctx.log(f"sweeping {sweep.learner if sweep else 'the learner'}: {len(tried)} "
            f"combination(s), measured on {how}")
    rows, task = [], None
    for number, values in enumerate(tried, start=1):
        ctx.check_cancelled()
        estimator = sweep.estimator(values) if sweep else untrained_model
        task, scores = _measure(estimator, training_dataset, validation, label_column, seed, ctx)
        rows.append({**{sweep.labels[n]: v for n, v in values.items()}, **scores})
        shown = ", ".join(f"{n}={v}" for n, v in values.items()) or "its own values"
        ctx.log(f"run {number}/{len(tried)}: {shown}: "
                + ", ".join(f"{n}={v:.4f}" for n, v in scores.items()))
    metric = (REGRESSION_METRICS[regression_metric] if task == "regression"
              else CLASSIFICATION_METRICS[classification_metric])
    results = pd.DataFrame(rows)
    results["Run"] = range(1, len(results) + 1)
    results = results.sort_values(metric, ascending=metric in LOWER_IS_BETTER,
                                  na_position="last", kind="stable")
    best = tried[int(results["Run"].iloc[0]) - 1]
    ctx.log(f"best by {metric} ({results[metric].iloc[0]:.4f}): run "
            f"{int(results['Run'].iloc[0])} " + ", ".join(f"{n}={v}" for n, v in best.items()))
    estimator = sweep.estimator(best) if sweep else untrained_model
    trained = train_model(estimator, training_dataset, label_column=label_column, ctx=ctx)
    results = results[["Run", *(c for c in results.columns if c != "Run")]]
    return {"sweep_results": results.reset_index(drop=True),
            "trained_best_model": trained["trained_model"]}
