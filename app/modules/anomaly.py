"""Anomaly Detection: PCA-Based Anomaly Detection and Train Anomaly Detection Model.

As Azure's designer (which runs ML.NET's randomized PCA): the model learns the top principal
directions of the training rows; a row's anomaly score is its normalized reconstruction
error, ``|x - projection(x)| / |x - mean|`` in [0, 1]. Score Model reports the score as
"Scored Probabilities" and "Scored Labels" 1 (anomaly, score >= 0.5) or 0; Evaluate Model
measures it as a two-class model whose positive class is the anomaly label.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA, TruncatedSVD

from app.engine.context import ModuleError, StepContext
from app.engine.registry import module
from app.engine.spec import DATAFRAME, TRAINED_MODEL, UNTRAINED_MODEL, Bool, Columns, Int, Port, Str

from .learners import CATEGORY
from .training import TrainedModel, _plain, build_pipeline, is_categorical

OWNER = "Train Anomaly Detection Model"
MAX_COMPONENTS = 1_000
MAX_OVERSAMPLING = 1_000
# Azure seeds its randomized PCA with 42 and offers no seed field.
PCA_SEED = 42


class PcaAnomalyDetector(BaseEstimator):
    """Randomized PCA of the training rows; scores rows by their normalized distance to the
    principal subspace (0: on it, 1: orthogonal to it)."""

    trained_by: ClassVar[str] = OWNER

    def __init__(self, components=2, oversampling=2, center=False):
        self.components = components
        self.oversampling = oversampling
        self.center = center

    def fit(self, X, y=None):
        """Find the top ``components`` directions (around the mean when ``center``)."""
        X = np.asarray(X, dtype="float64")
        if self.components > X.shape[1]:
            raise ModuleError(
                f"{OWNER}: 'Number of components to use in PCA' ({self.components}) must be at "
                f"most the number of features ({X.shape[1]}).")
        if self.center:
            pca = PCA(n_components=self.components, svd_solver="randomized",
                      n_oversamples=self.oversampling, random_state=PCA_SEED).fit(X)
            self.mean_, self.components_ = pca.mean_, pca.components_
        else:
            svd = TruncatedSVD(n_components=self.components, algorithm="randomized",
                               n_oversamples=self.oversampling, random_state=PCA_SEED).fit(X)
            self.mean_, self.components_ = np.zeros(X.shape[1]), svd.components_
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X) -> np.ndarray:
        """The anomaly score of each row, in [0, 1]."""
        offset = np.asarray(X, dtype="float64") - self.mean_
        total = (offset**2).sum(axis=1)
        kept = ((offset @ self.components_.T) ** 2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(total > 0, np.maximum(total - kept, 0.0) / total, 0.0)
        return np.sqrt(ratio)


@module(
    "pca_based_anomaly_detection",
    label="PCA-Based Anomaly Detection",
    category=CATEGORY,
    outputs=[Port("untrained_model", UNTRAINED_MODEL)],
    params=[
        Int("components", default=2, min=1, max=MAX_COMPONENTS,
            label="Number of components to use in PCA",
            description="Principal directions that describe normal rows; fewer than the "
                        "feature columns."),
        Int("oversampling", default=2, min=0, max=MAX_OVERSAMPLING,
            label="Oversampling parameter for randomized PCA",
            description="Extra random directions the randomized PCA draws; more is more "
                        "accurate and slower."),
        Bool("center", default=False, label="Enable input feature mean normalization",
             description="Subtract each feature's mean before the PCA."),
    ],
)
def pca_based_anomaly_detection(*, components, oversampling, center):
    """An untrained PCA anomaly detector (sklearn randomized PCA, ML.NET's score), trained by
    Train Anomaly Detection Model."""
    return {"untrained_model": PcaAnomalyDetector(components=components,
                                                  oversampling=oversampling, center=center)}


def typed_label(text: str, label: pd.Series | None):
    """The anomaly label value as the label column holds it (1 for a numeric column)."""
    if label is not None and pd.api.types.is_bool_dtype(label):
        return text.strip().lower() in ("true", "1", "yes")
    if label is not None and pd.api.types.is_numeric_dtype(label):
        try:
            number = float(text)
        except ValueError:
            raise ModuleError(f"{OWNER}: the anomaly label '{text}' is no number, but label "
                              f"column '{label.name}' holds numbers.") from None
        return int(number) if number.is_integer() else number
    return text


@module(
    "train_anomaly_detection_model",
    label="Train Anomaly Detection Model",
    category="Model Training",
    inputs=[Port("untrained_model", UNTRAINED_MODEL), Port("dataset", DATAFRAME)],
    outputs=[Port("trained_model", TRAINED_MODEL)],
    params=[
        Columns("label_column", single=True, optional=True, label="Label column",
                description="Optional: a column telling anomalies apart; it is no feature, and "
                            "Evaluate Model compares the scores with it."),
        Str("anomaly_label", default="1", label="Anomaly label",
            description="The label value that marks an anomaly (the positive class)."),
    ],
)
def train_anomaly_detection_model(untrained_model, dataset, *, label_column, anomaly_label,
                                  ctx=None):
    """Fit an anomaly detector (PCA-Based Anomaly Detection) on a data set, mostly normal rows;
    every column but the optional label is a feature."""
    ctx = ctx or StepContext("train_anomaly_detection_model")
    if not isinstance(untrained_model, PcaAnomalyDetector):
        raise ModuleError(f"{OWNER} needs an untrained anomaly detector such as PCA-Based "
                          f"Anomaly Detection; got {type(untrained_model).__name__}.")
    if label_column and label_column not in dataset.columns:
        raise ModuleError(f"{OWNER}: label column '{label_column}' is not in the data set "
                          f"(columns: {', '.join(map(str, dataset.columns))}).")
    label = dataset[label_column] if label_column else None
    features = dataset.drop(columns=[label_column]) if label_column else dataset
    if features.shape[1] == 0 or features.empty:
        raise ModuleError(f"{OWNER}: the data set has no feature column or no row.")
    categorical = [c for c in features.columns if is_categorical(features[c])]
    gaps = [c for c in features.columns if c not in categorical and features[c].isna().any()]
    if gaps:
        raise ModuleError(f"{OWNER}: PCA cannot handle missing values; numeric column(s) "
                          f"{', '.join(repr(c) for c in gaps)} have some. Clean them first "
                          "(e.g. with Clean Missing Data).")
    pipeline = build_pipeline(untrained_model, categorical)
    ctx.log(f"training PCA on {len(features)} rows, {features.shape[1]} features "
            f"({len(categorical)} categorical)")
    ctx.check_cancelled()
    pipeline.fit(features)
    positive = typed_label(anomaly_label, label)
    seen = [] if label is None else [_plain(v) for v in label.dropna().unique()]
    negative = next((v for v in sorted(seen, key=str) if v != positive), None)
    if negative is None:
        negative = (not positive if isinstance(positive, bool)
                    else 0 if isinstance(positive, int | float) else "normal")
    return {"trained_model": TrainedModel(
        pipeline=pipeline, label_column=label_column or "",
        feature_columns=[str(c) for c in features.columns], task="anomaly_detection",
        classes=[negative, positive])}
