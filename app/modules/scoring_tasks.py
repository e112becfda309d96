"""Score Model and Evaluate Model for quantile regression and clustering, as Azure reports them.

Quantile regression: one score column per quantile and its quantile (pinball) loss.
Clustering (Train Clustering Model, Assign Data to Clusters): per cluster, the average
distance of its points to their own center and to the nearest other center, their count and
the largest distance to their center; then the same over all points ("Combined Evaluation").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.engine.context import ModuleError

from .clustering import ASSIGNMENTS, distance_column
from .learners_multiclass import quantile_column
from .training import TrainedModel

# Azure's clustering figures, keyed as the API keys metrics.
CLUSTER_FIGURES = ("average_distance_to_cluster_center", "average_distance_to_other_center",
                   "number_of_points", "maximal_distance_to_cluster_center")


def quantile_scores(model: TrainedModel, features: pd.DataFrame, row_index) -> dict:
    """{"Scores for quantile :0.250": predictions, ...}, one column per quantile."""
    learner = model.pipeline[-1]
    predicted = learner.predict_quantiles(model.pipeline[:-1].transform(features))
    return {quantile_column(q): pd.Series(predicted[:, j], index=row_index, dtype="float64")
            for j, q in enumerate(learner.quantiles)}


def quantile_columns(info: dict) -> list[str]:
    """The score columns of a quantile model's scored data set, from its metadata."""
    return [quantile_column(q) for q in info.get("quantiles") or []]


def quantile_losses(rows: pd.DataFrame, label: str, quantiles: list[float]) -> dict:
    """Each quantile's mean pinball loss (q * error above, (1 - q) * error below) and their
    average, named as Azure names them ("Quantile Loss:0.250", "Average Quantile Loss")."""
    actual = rows[label].to_numpy(dtype="float64")
    values = {}
    for q in quantiles:
        error = actual - rows[quantile_column(q)].to_numpy(dtype="float64")
        values[f"quantile_loss_{q:.3f}"] = float(np.mean(np.where(error > 0, q * error,
                                                                  (q - 1) * error)))
    values["average_quantile_loss"] = float(np.mean(list(values.values())))
    return {"metrics": values, "curves": {}}


def cluster_evaluation(scored: pd.DataFrame, port: str, info: dict) -> dict:
    """Azure's clustering evaluation of assigned rows: combined figures as ``metrics``, the
    same per cluster under ``clusters``."""
    count = info.get("clusters") or 0
    needed = [ASSIGNMENTS, *(distance_column(i) for i in range(count))]
    missing = [c for c in needed if c not in scored.columns]
    if not count or missing:
        raise ModuleError(
            f"Evaluate Model: input '{port}' lacks clustering column(s) "
            f"{', '.join(missing) or 'DistancesToClusterCenter no.0, ...'}; connect the results "
            "of Train Clustering Model or Assign Data to Clusters."
        )
    rows = scored[needed].dropna()
    if rows.empty:
        raise ModuleError(f"Evaluate Model: input '{port}' has no row assigned to a cluster.")
    assigned = rows[ASSIGNMENTS].to_numpy(dtype="int64")
    distances = rows[needed[1:]].to_numpy(dtype="float64")
    own = distances[np.arange(len(rows)), assigned]
    others = distances.copy()
    others[np.arange(len(rows)), assigned] = np.inf
    frame = pd.DataFrame({"cluster": assigned, "own": own, "other": others.min(axis=1)})
    groups = frame.groupby("cluster")
    per_cluster = {
        "labels": [int(c) for c in groups.groups],
        "average_distance_to_cluster_center": _floats(groups["own"].mean()),
        "average_distance_to_other_center": _floats(groups["other"].mean()),
        "number_of_points": [int(n) for n in groups.size()],
        "maximal_distance_to_cluster_center": _floats(groups["own"].max()),
    }
    combined = {
        "average_distance_to_cluster_center": float(own.mean()),
        "average_distance_to_other_center": float(frame["other"].mean()),
        "number_of_points": len(frame),
        "maximal_distance_to_cluster_center": float(own.max()),
    }
    return {"metrics": combined, "clusters": per_cluster, "curves": {}}


def _floats(values) -> list[float]:
    return [float(v) for v in values]
