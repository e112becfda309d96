"""Model Training: Train Model fits a learner inside a categorical-encoding Pipeline."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from app.engine.context import ModuleError, StepContext
from app.engine.registry import REGISTRY, module
from app.engine.spec import DATAFRAME, TRAINED_MODEL, UNTRAINED_MODEL, Columns, Port

from .sweep import refuse_range

LABEL = "Train Model"


@dataclass
class TrainedModel:
    """A fitted Pipeline plus what Score and Evaluate Model need to know about it."""

    pipeline: Pipeline
    label_column: str
    feature_columns: list[str]
    # "binary", "multiclass", "regression", "quantile_regression" or "anomaly_detection"
    task: str
    classes: list = field(default_factory=list)

    @property
    def positive_class(self) -> Any:
        """The class whose probability Score Model reports (the second of ``classes``; for
        anomaly detection, the label value that marks an anomaly)."""
        return self.classes[1] if self.task in ("binary", "anomaly_detection") else None

    def for_serving(self) -> TrainedModel:
        """The model as real-time requests call it: the same scores, through a pipeline with
        less overhead per call (see ``lean``)."""
        from .lean import lean

        return dataclasses.replace(self, pipeline=lean(self.pipeline))


class MulticlassLearner:
    """Marks a classifier that takes a label with any number of values (two or more).

    Mixed in before the scikit-learn class (``class X(MulticlassLearner, LogisticRegression)``),
    it survives clone and joblib; a two-class learner without it still needs exactly 2 values.
    """


def _final(estimator):
    """The learner itself: a learner that scales its features first is a Pipeline."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def is_multiclass_learner(estimator) -> bool:
    """True when the learner is a MulticlassLearner."""
    return isinstance(_final(estimator), MulticlassLearner)


def is_categorical(series: pd.Series) -> bool:
    """True for columns that are one-hot encoded: text, category, bool (anything not numeric)."""
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def category_of(value) -> str | float:
    """The category one value of a categorical feature falls in: a missing value (None, NaN,
    pd.NA, NaT) is a category of its own, np.nan; anything else is the value's text."""
    if isinstance(value, str):
        return value
    missing = value is None or pd.isna(value)  # an array for a list-like value: not missing
    return np.nan if missing is True or missing is np.True_ else str(value)


def categories_as_text(frame) -> np.ndarray:
    """Categorical features as an object array of their categories (``category_of``).

    OneHotEncoder refuses pd.NA (nullable "string" dtype) and mixed str/number object
    columns; text with np.nan it handles, giving missing values a category of their own.
    """
    frame = pd.DataFrame(frame)
    out = np.empty(frame.shape, dtype=object)
    for i, name in enumerate(frame.columns):
        values = frame[name].astype(object).to_numpy()
        dtype = frame[name].dtype
        # pandas' default text dtype already holds str or np.nan only: no value to visit.
        if not (isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan):
            values = [category_of(v) for v in values]
        out[:, i] = values
    return out


def build_pipeline(estimator, categorical: list[str]) -> Pipeline:
    """The Pipeline Train Model fits: one-hot encode ``categorical``, pass the rest through."""
    encode_text = Pipeline([
        ("as_text", FunctionTransformer(categories_as_text, feature_names_out="one-to-one")),
        ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
    ])
    encoder = ColumnTransformer(
        [("categorical", encode_text, categorical)], remainder="passthrough"
    )
    return Pipeline([("encode", encoder), ("model", clone(estimator))])


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (JSON and Parquet metadata need plain types)."""
    return value.item() if isinstance(value, np.generic) else value


def _learner_name(estimator) -> str:
    return type(_final(estimator)).__name__


def learner_task(estimator) -> str | None:
    """The task a learner trains for, known before any data: "binary", "multiclass",
    "regression" or "quantile_regression"; None for what Train Model cannot train."""
    if is_classifier(estimator):
        return "multiclass" if is_multiclass_learner(estimator) else "binary"
    if is_regressor(estimator):
        # A quantile learner (Fast Forest Quantile Regression) gets one score per quantile.
        return ("quantile_regression" if hasattr(_final(estimator), "predict_quantiles")
                else "regression")
    return None


def unfitted(name: str) -> Callable:
    """The ``columns`` function of learner ``name``: at design time its untrained_model port
    carries the unfitted model the learner would output (building one is pure and cheap), so
    Tune Model Hyperparameters and Cross Validate Model can name their columns before a run."""

    def columns(fed, params, datastores):
        return {"untrained_model": REGISTRY[name].fn(**params)["untrained_model"]}

    return columns


def _check_label(estimator, label: pd.Series, name: str) -> str:
    """The task ("binary", "multiclass" or "regression") the learner and label make, or a
    ModuleError."""
    values = label.unique()
    task = learner_task(estimator)
    if task == "multiclass":
        if len(values) < 2:
            raise ModuleError(
                f"{LABEL}: a multiclass learner ({_learner_name(estimator)}) needs a label with "
                f"at least 2 distinct values; label column '{name}' has {len(values)}."
            )
        return task
    if task == "binary":
        if pd.api.types.is_float_dtype(label) and len(values) > 2:
            raise ModuleError(
                f"{LABEL}: label column '{name}' holds {len(values)} distinct numbers; a "
                f"two-class learner ({_learner_name(estimator)}) needs a label with 2 values. "
                "Use a regression learner to predict a number."
            )
        if len(values) != 2:
            shown = ", ".join(repr(_plain(v)) for v in sorted(values, key=str)[:5])
            more = ", ..." if len(values) > 5 else ""
            raise ModuleError(
                f"{LABEL}: a two-class learner ({_learner_name(estimator)}) needs a label with "
                f"exactly 2 distinct values; label column '{name}' has {len(values)} "
                f"({shown}{more})."
            )
        return task
    if task is not None:  # a regression
        if is_categorical(label):
            raise ModuleError(
                f"{LABEL}: a regression learner ({_learner_name(estimator)}) needs a numeric "
                f"label; label column '{name}' holds {label.dtype} values. Use a two-class "
                "learner to predict a category."
            )
        return task
    trainer = getattr(_final(estimator), "trained_by", None)
    raise ModuleError(
        f"{LABEL}: the untrained model ({_learner_name(estimator)}) is neither a classifier "
        "nor a regressor." + (f" Train it with {trainer}." if trainer else "")
    )


def _fit(pipeline: Pipeline, features: pd.DataFrame, label: pd.Series, ctx) -> None:
    """Fit; turn the "NaN in a numeric column" error of linear learners into a clear one."""
    try:
        pipeline.fit(features, label)
    except ValueError as exc:
        gaps = [c for c in features.columns
                if not is_categorical(features[c]) and features[c].isna().any()]
        if gaps and "NaN" in str(exc):
            raise ModuleError(
                f"{LABEL}: {_learner_name(pipeline['model'])} cannot handle missing values; "
                f"numeric column(s) {', '.join(repr(c) for c in gaps)} have some. Clean "
                "them first (e.g. with Clean Missing Data) or use a tree learner."
            ) from exc
        raise
    # Read convergence off the model rather than catching ConvergenceWarning: the warnings
    # filters are process-wide and steps run in threads.
    model = pipeline["model"]
    max_iter = getattr(model, "max_iter", None)
    n_iter = np.max(getattr(model, "n_iter_", 0))
    if isinstance(model, LogisticRegression) and n_iter >= max_iter:
        ctx.log(f"warning: the solver stopped at max_iterations={max_iter} before converging")


@module(
    "train_model",
    label=LABEL,
    category="Model Training",
    inputs=[Port("untrained_model", UNTRAINED_MODEL), Port("dataset", DATAFRAME)],
    outputs=[Port("trained_model", TRAINED_MODEL)],
    params=[Columns("label_column", single=True, input="dataset", label="Label column")],
)
def train_model(untrained_model, dataset, *, label_column, ctx=None):
    """Fit a learner on a data set: every column but the label is a feature."""
    ctx = ctx or StepContext("train_model")
    refuse_range(untrained_model, LABEL)
    if label_column not in dataset.columns:
        raise ModuleError(
            f"{LABEL}: label column '{label_column}' is not in the data set "
            f"(columns: {', '.join(map(str, dataset.columns))})."
        )
    missing = dataset[label_column].isna()
    if missing.any():
        ctx.log(f"dropped {int(missing.sum())} row(s) with a missing label '{label_column}'")
        dataset = dataset.loc[~missing]
    if dataset.empty:
        raise ModuleError(f"{LABEL}: no rows with a value in label column '{label_column}'.")
    if hasattr(untrained_model, "train_model"):  # a model that trains itself (Python)
        return {"trained_model": untrained_model.train_model(dataset, label_column, ctx)}
    features = dataset.drop(columns=[label_column])
    if features.shape[1] == 0:
        raise ModuleError(f"{LABEL}: the data set has no column besides the label.")
    label = dataset[label_column]
    task = _check_label(untrained_model, label, label_column)

    categorical = [c for c in features.columns if is_categorical(features[c])]
    pipeline = build_pipeline(untrained_model, categorical)
    ctx.log(
        f"training {_learner_name(untrained_model)} on {len(features)} rows, "
        f"{features.shape[1]} features ({len(categorical)} categorical: "
        f"{', '.join(categorical) or 'none'}), label '{label_column}'"
    )
    ctx.check_cancelled()
    start = time.perf_counter()
    _fit(pipeline, features, label, ctx)
    ctx.log(f"fitted in {time.perf_counter() - start:.3f} s")
    ctx.check_cancelled()

    classes = [_plain(c) for c in pipeline.classes_] if task in ("binary", "multiclass") else []
    model = TrainedModel(
        pipeline=pipeline,
        label_column=label_column,
        feature_columns=[str(c) for c in features.columns],
        task=task,
        classes=classes,
    )
    return {"trained_model": model}
