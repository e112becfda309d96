"""Machine Learning Algorithms, continued: the multiclass wrappers of a two-class learner
(One-vs-All, One-vs-One) and Fast Forest Quantile Regression.

Same contract as learners.py: each module outputs an unfitted scikit-learn estimator that
Train Model clones and fits behind its categorical encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator, RegressorMixin, is_classifier
from sklearn.ensemble import RandomForestRegressor
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier

from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import UNTRAINED_MODEL, Float, Int, Port, Str

from .learners import CATEGORY, MAX_FOREST_TREES, MAX_LEAVES, MAX_MIN_SAMPLES, OUTPUTS, _seed
from .training import MulticlassLearner, is_multiclass_learner, unfitted

QUANTILE_COLUMN = "Scores for quantile :"  # Azure's prefix; "Scores for quantile :0.250"
# While scoring, at most this many (new row, tree) leaves are searched at once.
QUANTILE_BLOCK_LEAVES = 2_000_000
# Cumulative weights equal to a quantile up to rounding count as reaching it.
WEIGHT_TOLERANCE = 1e-9
BINARY_INPUT = [Port("untrained_model", UNTRAINED_MODEL,
                     label="Untrained binary classification model")]


class OneVsAllMulticlass(MulticlassLearner, OneVsRestClassifier):
    """One copy of a two-class learner per class, each telling its class from all others."""


class OneVsOneMulticlass(MulticlassLearner, OneVsOneClassifier):
    """One copy of a two-class learner per pair of classes; the class with most votes wins.

    OneVsOneClassifier has no probabilities. Each class's "probability" here is its share of
    the votes, ties broken by the classifiers' summed confidence exactly as scikit-learn's
    prediction breaks them, so the likeliest class is always the predicted one.
    """

    def predict_proba(self, X):
        """Columns in ``classes_`` order: each class's share of the pairwise votes."""
        decision = self.decision_function(X)
        if decision.ndim == 1:  # two classes: one classifier, its score for classes_[1]
            positive = special.expit(decision)
            return np.column_stack([1.0 - positive, positive])
        # decision = votes + confidence / (3 * (|confidence| + 1)), so decision + 1/3 > 0.
        shifted = decision + 1.0 / 3.0
        return shifted / shifted.sum(axis=1, keepdims=True)


def _two_class(learner, module_label: str):
    """The learner on the input port, or a ModuleError naming what is wrong with it."""
    if learner is None or not is_classifier(learner):
        kind = "nothing" if learner is None else type(learner).__name__
        raise ModuleError(f"{module_label} needs an untrained two-class learner (such as "
                          f"Two-Class Logistic Regression) on its input; got {kind}.")
    if is_multiclass_learner(learner):
        raise ModuleError(f"{module_label} wraps a two-class learner; "
                          f"{type(learner).__name__} already handles several classes.")
    return learner


@module(
    "one_vs_all_multiclass",
    label="One-vs-All Multiclass",
    category=CATEGORY,
    inputs=BINARY_INPUT,
    outputs=OUTPUTS,
)
def one_vs_all_multiclass(untrained_model):
    """A multiclass learner from a two-class one: one model per class against the rest
    (sklearn OneVsRestClassifier); a class's probability is its model's, normalized."""
    learner = _two_class(untrained_model, "One-vs-All Multiclass")
    return {"untrained_model": OneVsAllMulticlass(learner)}


@module(
    "one_vs_one_multiclass",
    label="One-vs-One Multiclass",
    category=CATEGORY,
    inputs=BINARY_INPUT,
    outputs=OUTPUTS,
)
def one_vs_one_multiclass(untrained_model):
    """A multiclass learner from a two-class one: one model per pair of classes, the most
    voted class wins (sklearn OneVsOneClassifier); probabilities are vote shares."""
    learner = _two_class(untrained_model, "One-vs-One Multiclass")
    return {"untrained_model": OneVsOneMulticlass(learner)}


def parse_quantiles(text: str) -> list[float]:
    """'0.25; 0.5; 0.75' (or commas) as floats in (0, 1); ValueError for anything else."""
    parts = [p.strip() for p in str(text).replace(",", ";").split(";") if p.strip()]
    values = [float(p) for p in parts]
    if not values or not all(0.0 < v < 1.0 for v in values):
        raise ValueError(text)
    return values


@dataclass
class QuantileList(Str):
    """Quantiles to estimate as text, checked before a run."""

    expected: ClassVar[str] = ("a list of numbers between 0 and 1 (exclusive) separated by "
                               "';', such as '0.25; 0.5; 0.75'")

    def coerce(self, value, owner):
        text = super().coerce(value, owner)
        try:
            parse_quantiles(text)
        except ValueError:
            raise self.error(owner, value) from None
        return text


class QuantileForestRegressor(RegressorMixin, BaseEstimator):
    """A quantile regression forest (Meinshausen, 2006) grown with RandomForestRegressor.

    Each tree's leaves hold training rows; a new row's weight on training row i is the
    average over trees of 1 / (rows in the leaf it shares with i), or 0. The quantile q of
    the new row is the smallest training label whose cumulative weight reaches q. Unlike
    one gradient-boosting model per quantile, one forest gives every quantile and they never
    cross; unlike percentiles of the trees' means, it measures the spread of the labels.
    """

    def __init__(self, quantiles=(0.25, 0.5, 0.75), num_trees=100, num_leaves=20,
                 min_leaf_instances=10, bagging_fraction=0.7, split_fraction=0.7, seed=0):
        self.quantiles = quantiles
        self.num_trees = num_trees
        self.num_leaves = num_leaves
        self.min_leaf_instances = min_leaf_instances
        self.bagging_fraction = bagging_fraction
        self.split_fraction = split_fraction
        self.seed = seed

    def fit(self, X, y):
        """Grow the forest and index, leaf by leaf, the label ranks of its training rows."""
        y = np.asarray(y, dtype="float64")
        self.forest_ = RandomForestRegressor(
            n_estimators=self.num_trees, max_leaf_nodes=self.num_leaves,
            min_samples_leaf=min(self.min_leaf_instances, len(y)),
            max_features=self.split_fraction, max_samples=self.bagging_fraction,
            bootstrap=True, random_state=self.seed, n_jobs=1,
        ).fit(X, y)
        self.n_features_in_ = self.forest_.n_features_in_
        order = np.argsort(y, kind="stable")
        self.sorted_labels_ = y[order]
        rank = np.empty(len(y), dtype="int64")
        rank[order] = np.arange(len(y))
        # Per tree, one key per training row: its leaf * rows + its label rank, sorted, so a
        # leaf's rows are one run of keys ordered by label (small enough to stay in cache).
        self.leaf_ids_, self.keys_, self.leaf_start_, self.leaf_size_ = [], [], [], []
        for leaves in self.forest_.apply(X).T:
            ids, where = np.unique(leaves, return_inverse=True)
            keys = np.sort(where * len(y) + rank)
            self.leaf_ids_.append(ids)
            self.keys_.append(keys)
            self.leaf_start_.append(np.searchsorted(keys, np.arange(len(ids)) * len(y)))
            self.leaf_size_.append(np.bincount(where, minlength=len(ids)))
        return self

    def predict(self, X):
        """The forest's mean prediction (Score Model reports the quantiles instead)."""
        return self.forest_.predict(X)

    def predict_quantiles(self, X) -> np.ndarray:
        """One column per quantile, in the order of ``quantiles``."""
        leaves = self.forest_.apply(X)
        shared = np.column_stack([np.searchsorted(ids, leaves[:, tree])
                                  for tree, ids in enumerate(self.leaf_ids_)])
        out = np.empty((len(leaves), len(self.quantiles)))
        step = max(1, QUANTILE_BLOCK_LEAVES // shared.shape[1])
        for begin in range(0, len(shared), step):
            block = shared[begin:begin + step]
            for j, q in enumerate(self.quantiles):
                out[begin:begin + len(block), j] = self._quantile(block, q)
        return out

    def _quantile(self, leaves: np.ndarray, q: float) -> np.ndarray:
        """For rows whose leaves (one per tree) are ``leaves``: the smallest label whose
        cumulative weight reaches ``q``, found by bisection on the label rank."""
        rows, trees = len(self.sorted_labels_), leaves.shape[1]
        start = np.column_stack([self.leaf_start_[t][leaves[:, t]] for t in range(trees)])
        size = np.column_stack([self.leaf_size_[t][leaves[:, t]] for t in range(trees)])
        low = np.zeros(len(leaves), dtype="int64")
        high = np.full(len(leaves), rows - 1, dtype="int64")
        within = np.empty(leaves.shape, dtype="int64")
        while (low < high).any():
            middle = (low + high) // 2
            for t in range(trees):  # rows of each shared leaf with label rank <= middle
                within[:, t] = np.searchsorted(self.keys_[t], leaves[:, t] * rows + middle,
                                               side="right")
            weight = ((within - start) / size).sum(axis=1) / trees
            reached = weight >= q - WEIGHT_TOLERANCE
            high = np.where(reached, middle, high)
            low = np.where(reached, low, middle + 1)
        return self.sorted_labels_[low]


def quantile_column(q: float) -> str:
    """Score Model's column of quantile ``q``, named as Azure names it."""
    return f"{QUANTILE_COLUMN}{q:.3f}"


@module(
    "fast_forest_quantile_regression",
    label="Fast Forest Quantile Regression",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=[
        Int("num_trees", default=100, min=1, max=MAX_FOREST_TREES, label="Number of Trees",
            description="Trees in the forest; training time grows with each tree."),
        Int("num_leaves", default=20, min=2, max=MAX_LEAVES, label="Number of Leaves",
            description="The most leaves a tree may have."),
        Int("min_leaf_instances", default=10, min=1, max=MAX_MIN_SAMPLES,
            label="Minimum number of training instances required to form a leaf",
            description="Rows a leaf needs; larger values make simpler trees."),
        Float("bagging_fraction", default=0.7, min=0.01, max=1.0, label="Bagging fraction",
              description="Share of the rows drawn (with replacement) to grow each tree."),
        Float("split_fraction", default=0.7, min=0.01, max=1.0, label="Split fraction",
              description="Share of the features drawn at random for each split."),
        QuantileList("quantiles", default="0.25; 0.5; 0.75", label="Quantiles to be estimated",
                     description="Separated by ';'. Score Model writes one column per "
                                 "quantile, such as \"Scores for quantile :0.250\"."),
        _seed(),
    ],
    columns=unfitted("fast_forest_quantile_regression"),
)
def fast_forest_quantile_regression(*, num_trees, num_leaves, min_leaf_instances,
                                    bagging_fraction, split_fraction, quantiles, seed):
    """A quantile regression forest: predicts chosen quantiles of a numeric label, not its
    mean (RandomForestRegressor leaves, Meinshausen's weighting)."""
    return {"untrained_model": QuantileForestRegressor(
        quantiles=tuple(parse_quantiles(quantiles)), num_trees=num_trees, num_leaves=num_leaves,
        min_leaf_instances=min_leaf_instances, bagging_fraction=bagging_fraction,
        split_fraction=split_fraction, seed=seed)}
