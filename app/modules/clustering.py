"""Clustering: K-Means Clustering, Train Clustering Model and Assign Data to Clusters.

As Azure's designer: K-Means scales each feature to [0, 1] first (when "Normalize features"
is on) and runs scikit-learn's KMeans; assigning data appends "Assignments" (the nearest
center, counted from 0) and one "DistancesToClusterCenter no.i" column per center. Rows with a
missing numeric feature are left out of training and get no assignment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from app.engine.context import ModuleError, StepContext
from app.engine.registry import module
from app.engine.spec import (
    DATAFRAME,
    TRAINED_MODEL,
    UNTRAINED_MODEL,
    Bool,
    Choice,
    Columns,
    Int,
    Port,
)

from .learners import CATEGORY, MAX_ITERATIONS, _seed
from .training import build_pipeline, is_categorical

ASSIGNMENTS = "Assignments"
DISTANCE_PREFIX = "DistancesToClusterCenter no."
MAX_CENTROIDS = 1_000
# Azure's scikit-learn port starts "Random" from 10 draws and keeps the best; K-Means++ and
# First N run once.
RANDOM_STARTS = 10
INITIALIZATIONS = {"first_n": "First N", "random": "Random", "k_means_plus_plus": "K-Means++"}
APPEND = Bool("append", default=True, label="Check for append or uncheck for result only",
              description="Checked: the input columns followed by the assignments; unchecked: "
                          "the assignments only.")


def distance_column(index: int) -> str:
    """The column of the distance to center ``index`` ("DistancesToClusterCenter no.0")."""
    return f"{DISTANCE_PREFIX}{index}"


def result_columns(clusters: int) -> list[str]:
    """The columns assigning data adds: Assignments, then one distance per center."""
    return [ASSIGNMENTS, *(distance_column(i) for i in range(clusters))]


class KMeansClustering(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means with Azure's settings: optional [0, 1] scaling, First N / Random / K-Means++."""

    trained_by: ClassVar[str] = "Train Clustering Model"

    def __init__(self, centroids=2, initialization="k_means_plus_plus", seed=0,
                 iterations=100, normalize_features=True):
        self.centroids = centroids
        self.initialization = initialization
        self.seed = seed
        self.iterations = iterations
        self.normalize_features = normalize_features

    def fit(self, X, y=None):
        """Scale (if asked), then run KMeans from the chosen starting centers."""
        X = np.asarray(X, dtype="float64")
        self.scaler_ = MinMaxScaler().fit(X) if self.normalize_features else None
        scaled = self._scaled(X)
        init, starts = {"first_n": (scaled[:self.centroids], 1),
                        "random": ("random", RANDOM_STARTS)}.get(
            self.initialization, ("k-means++", 1))
        self.kmeans_ = KMeans(n_clusters=self.centroids, init=init, n_init=starts,
                              max_iter=self.iterations, random_state=self.seed).fit(scaled)
        self.n_features_in_ = X.shape[1]
        return self

    def _scaled(self, X):
        X = np.asarray(X, dtype="float64")
        return self.scaler_.transform(X) if self.scaler_ is not None else X

    def predict(self, X):
        """The nearest center of each row."""
        return self.kmeans_.predict(self._scaled(X))

    def transform(self, X):
        """The Euclidean distance of each row to each center (in the scaled space)."""
        return self.kmeans_.transform(self._scaled(X))


@dataclass
class ClusterModel:
    """A fitted clustering Pipeline and the columns it reads."""

    pipeline: Pipeline
    feature_columns: list[str]
    numeric_columns: list[str]
    clusters: int
    scored_by: ClassVar[str] = "Assign Data to Clusters"
    # What the model registry records of a trained model.
    task: ClassVar[str] = "clustering"
    label_column: ClassVar[str] = ""

    def assign(self, dataset: pd.DataFrame, append: bool, owner: str, ctx) -> pd.DataFrame:
        """Assignments and distances of every row (empty where a numeric feature is missing),
        after the input's columns when ``append``."""
        missing = [c for c in self.feature_columns if c not in dataset.columns]
        if missing:
            raise ModuleError(f"{owner}: the data set lacks column(s) the clustering model "
                              f"was trained on: {', '.join(missing)}.")
        usable = _complete_rows(dataset, self.numeric_columns)
        if (~usable).any():
            ctx.log(f"{int((~usable).sum())} row(s) with a missing numeric feature get no "
                    "assignment")
        features = dataset.loc[usable, self.feature_columns]
        columns = result_columns(self.clusters)
        assigned = pd.Series(pd.NA, index=dataset.index, dtype="Int64", name=ASSIGNMENTS)
        distances = pd.DataFrame(np.nan, index=dataset.index, columns=columns[1:])
        if len(features):
            assigned.loc[usable] = self.pipeline.predict(features)
            distances.loc[usable] = self.pipeline.transform(features)
        result = pd.concat([assigned, distances], axis=1)
        if append:
            result = pd.concat([dataset.drop(columns=[c for c in columns if c in dataset]),
                                result], axis=1)
        result.attrs = {"task": "clustering", "label_column": None, "clusters": self.clusters}
        return result


def _complete_rows(frame: pd.DataFrame, numeric: list[str]) -> pd.Series:
    """True for rows without a missing (or infinite) value in the numeric columns."""
    values = frame[numeric].to_numpy(dtype="float64") if numeric else np.zeros((len(frame), 0))
    return pd.Series(np.isfinite(values).all(axis=1), index=frame.index)


def _kmeans_columns(fed, params, datastores):
    """The untrained model carries the columns it will add when assigning data."""
    return {"untrained_model": result_columns(params["number_of_centroids"])}


@module(
    "k_means_clustering",
    label="K-Means Clustering",
    category=CATEGORY,
    outputs=[Port("untrained_model", UNTRAINED_MODEL)],
    params=[
        Int("number_of_centroids", default=2, min=2, max=MAX_CENTROIDS,
            label="Number of centroids", description="How many clusters to find."),
        Choice("initialization", default="k_means_plus_plus", options=list(INITIALIZATIONS),
               option_labels=INITIALIZATIONS, label="Initialization",
               description="Starting centers: the first rows (First N), the best of 10 random "
                           "draws (Random), or spread out at random (K-Means++)."),
        # As Azure: the seed drives the random starts only.
        replace(_seed(), when={"initialization": ["random", "k_means_plus_plus"]}),
        Choice("metric", default="euclidean", options=["euclidean"],
               option_labels={"euclidean": "Euclidean"}, label="Metric",
               description="The distance between rows and centers."),
        Bool("normalize_features", default=True, label="Normalize features",
             description="Rescale each feature to [0, 1] (Min-Max) before clustering."),
        Int("iterations", default=100, min=1, max=MAX_ITERATIONS, label="Iterations",
            description="The most passes over the data before the centers are final."),
    ],
    columns=_kmeans_columns,
)
def k_means_clustering(*, number_of_centroids, initialization, seed, metric, normalize_features,
                       iterations):
    """An untrained K-means clustering model (sklearn KMeans), trained by Train Clustering
    Model."""
    return {"untrained_model": KMeansClustering(
        centroids=number_of_centroids, initialization=initialization, seed=seed,
        iterations=iterations, normalize_features=normalize_features)}


def _assigned_columns(model_port: str, port_out: str, trained: str | None = None):
    """A ``columns`` function: the model's result columns, after the input's when appending."""

    def columns(fed, params, datastores):
        added, given = fed.get(model_port), fed.get("dataset")
        if added is None or (params["append"] and given is None):
            result = None
        else:
            kept = [c for c in given if c not in added] if params["append"] else []
            result = kept + list(added)
        return {port_out: result} | ({trained: added} if trained else {})

    return columns


@module(
    "train_clustering_model",
    label="Train Clustering Model",
    category="Model Training",
    inputs=[Port("untrained_model", UNTRAINED_MODEL), Port("dataset", DATAFRAME)],
    outputs=[Port("trained_model", TRAINED_MODEL), Port("results_dataset", DATAFRAME)],
    params=[Columns("column_set", optional=True, label="Column set",
                    description="The columns to cluster on; empty: every column."),
            APPEND],
    columns=_assigned_columns("untrained_model", "results_dataset", trained="trained_model"),
)
def train_clustering_model(untrained_model, dataset, *, column_set, append, ctx=None):
    """Fit a clustering model (K-Means Clustering) and assign each training row to a cluster."""
    ctx = ctx or StepContext("train_clustering_model")
    owner = "Train Clustering Model"
    if not isinstance(untrained_model, KMeansClustering):
        raise ModuleError(f"{owner} needs an untrained clustering model such as K-Means "
                          f"Clustering; got {type(untrained_model).__name__}.")
    chosen = list(column_set) or [str(c) for c in dataset.columns]
    absent = [c for c in chosen if c not in dataset.columns]
    if absent:
        raise ModuleError(f"{owner}: column(s) {', '.join(map(repr, absent))} of 'column_set' "
                          f"are not in the data set (columns: "
                          f"{', '.join(map(str, dataset.columns))}).")
    categorical = [c for c in chosen if is_categorical(dataset[c])]
    numeric = [c for c in chosen if c not in categorical]
    usable = _complete_rows(dataset, numeric)
    rows = dataset.loc[usable, chosen]
    k = untrained_model.centroids
    if len(rows) < k:
        raise ModuleError(f"{owner}: {k} centroids need at least {k} rows without a missing "
                          f"numeric value; the data set has {len(rows)}.")
    pipeline = build_pipeline(untrained_model, categorical)
    ctx.log(f"clustering {len(rows)} rows into {k} clusters on {len(chosen)} columns "
            f"({len(categorical)} categorical)")
    ctx.check_cancelled()
    pipeline.fit(rows)
    model = ClusterModel(pipeline=pipeline, feature_columns=chosen, numeric_columns=numeric,
                         clusters=k)
    ctx.check_cancelled()
    return {"trained_model": model, "results_dataset": model.assign(dataset, append, owner, ctx)}


@module(
    "assign_data_to_clusters",
    label="Assign Data to Clusters",
    category="Model Scoring & Evaluation",
    inputs=[Port("trained_model", TRAINED_MODEL), Port("dataset", DATAFRAME)],
    outputs=[Port("results_dataset", DATAFRAME)],
    params=[APPEND],
    columns=_assigned_columns("trained_model", "results_dataset"),
)
def assign_data_to_clusters(trained_model, dataset, *, append, ctx=None):
    """Assign each row of new data to the nearest center of a trained clustering model:
    "Assignments" and one "DistancesToClusterCenter no.i" column per center."""
    ctx = ctx or StepContext("assign_data_to_clusters")
    if not isinstance(trained_model, ClusterModel):
        raise ModuleError("Assign Data to Clusters needs a model trained by Train Clustering "
                          "Model.")
    return {"results_dataset": trained_model.assign(dataset, append, "Assign Data to Clusters",
                                                    ctx)}
