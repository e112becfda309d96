"""Machine Learning Algorithms: learners that output an unfitted scikit-learn estimator.

Train Model clones and fits the estimator inside a Pipeline that one-hot encodes the
categorical columns, so a learner only chooses the algorithm and its settings.
"""

from __future__ import annotations

import math

from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from app.engine.registry import module
from app.engine.spec import MAX_SEED, UNTRAINED_MODEL, Bool, Float, Int, Port

from .sweep import sweepable, sweeps
from .training import unfitted

CATEGORY = "Machine Learning Algorithms"
OUTPUTS = [Port("untrained_model", UNTRAINED_MODEL)]
# Upper bounds keep a run finite: Azure's own parameter sweeps stop far below them (trees
# 20-500, leaves 2-128, depth 1-64, forest trees 1-32), and a forest tree costs far more
# than a boosting round.
MAX_BOOSTING_TREES = 10_000
MAX_FOREST_TREES = 1_000
MAX_LEAVES = 4_096
MAX_DEPTH = 128
MAX_MIN_SAMPLES = 100_000
MAX_ITERATIONS = 10_000
MAX_WEIGHT = 1_000_000.0
# Azure's default values of each field in Parameter Range mode (see sweep.py).
LOGISTIC_RANGES = {"optimization_tolerance": "0.0001; 0.0000001",
                   "l1_weight": "0.0; 0.01; 0.1; 1.0", "l2_weight": "0.01; 0.1; 1.0"}
BOOSTING_RANGES = {"max_leaves": "2; 8; 32; 128", "min_leaf_instances": "1; 10; 50",
                   "learning_rate": "0.025; 0.05; 0.1; 0.2; 0.4", "num_trees": "20; 100; 500"}
FOREST_RANGES = {"num_trees": "1; 8; 32", "max_depth": "1; 16; 64",
                 "min_samples_per_leaf": "1; 4; 16"}


def _seed(default: int = 0) -> Int:
    return Int("seed", default=default, min=0, max=MAX_SEED, label="Random number seed",
               description="Makes runs repeatable: the same seed gives the same model.")


def _optimization_tolerance() -> Float:
    return Float("optimization_tolerance", default=1e-7, min=1e-12, max=1.0,
                 label="Optimization tolerance",
                 description="Training stops once an iteration improves less than this.")


def _l2_weight() -> Float:
    return Float("l2_weight", default=1.0, min=0.0, max=MAX_WEIGHT,
                 label="L2 regularization weight",
                 description="Keeps weights small; 0 turns it off.")


def _logistic_params() -> list:
    return sweepable([
        _optimization_tolerance(),
        Float("l1_weight", default=1.0, min=0.0, max=MAX_WEIGHT,
              label="L1 regularization weight",
              description="Pushes weights to exactly zero; 0 turns it off."),
        _l2_weight(),
        Int("max_iterations", default=100, min=1, max=MAX_ITERATIONS,
            label="Maximum number of iterations",
            description="Training stops after this many passes even if not converged."),
        _seed(),
    ], LOGISTIC_RANGES)


def _boosting_params() -> list:
    return sweepable([
        Int("max_leaves", default=20, min=2, max=MAX_LEAVES,
            label="Maximum number of leaves per tree",
            description="More leaves fit finer patterns but may overfit and train longer."),
        Int("min_leaf_instances", default=10, min=1, max=MAX_MIN_SAMPLES,
            label="Minimum number of samples per leaf node",
            description="Rows a leaf needs; larger values make simpler trees."),
        Float("learning_rate", default=0.2, min=1e-6, max=1.0, label="Learning rate",
              description="Step size of each boosting round; smaller needs more trees."),
        Int("num_trees", default=100, min=1, max=MAX_BOOSTING_TREES,
            label="Number of trees constructed",
            description="Boosting rounds; training time grows with each tree."),
        _seed(),
    ], BOOSTING_RANGES)


def _forest_params() -> list:
    return sweepable([
        Int("num_trees", default=8, min=1, max=MAX_FOREST_TREES, label="Number of decision trees",
            description="Trees in the forest; training time grows with each tree."),
        Int("max_depth", default=32, min=1, max=MAX_DEPTH,
            label="Maximum depth of the decision trees",
            description="Deeper trees fit finer patterns but may overfit and train longer."),
        Int("min_samples_per_leaf", default=1, min=1, max=MAX_MIN_SAMPLES,
            label="Minimum number of samples per leaf node",
            description="Rows a leaf needs; larger values make simpler trees."),
        _seed(),
    ], FOREST_RANGES)


@module(
    "two_class_logistic_regression",
    label="Two-Class Logistic Regression",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_logistic_params(),
    columns=unfitted("two_class_logistic_regression"),
)
@sweeps(LOGISTIC_RANGES)
def two_class_logistic_regression(*, optimization_tolerance, l1_weight, l2_weight,
                                  max_iterations, seed):
    """Logistic regression for a two-valued label (sklearn LogisticRegression).

    Azure minimises ``sum(log loss) + l1 * |w|_1 + l2 / 2 * |w|_2^2``. scikit-learn minimises
    ``C * sum(log loss) + r * |w|_1 + (1 - r) / 2 * |w|_2^2``; with ``C = 1 / (l1 + l2)`` and
    ``r = l1 / (l1 + l2)`` the two objectives are proportional, hence have the same optimum.
    Only the saga solver handles an L1 term, so it is used when ``l1 > 0``, lbfgs otherwise;
    both weights at 0 means no regularization (``C = inf``).
    """
    return _logistic(LogisticRegression, optimization_tolerance, l1_weight, l2_weight,
                     max_iterations, seed)


def _logistic(estimator_class, optimization_tolerance, l1_weight, l2_weight, max_iterations,
              seed):
    """A logistic regression with Azure's L1 and L2 weights (see the two-class learner)."""
    total = l1_weight + l2_weight
    estimator = estimator_class(
        C=1.0 / total if total > 0 else math.inf,
        l1_ratio=l1_weight / total if total > 0 else 0.0,
        solver="saga" if l1_weight > 0 else "lbfgs",
        tol=optimization_tolerance,
        max_iter=max_iterations,
        random_state=seed,
    )
    return {"untrained_model": estimator}


@module(
    "two_class_boosted_decision_tree",
    label="Two-Class Boosted Decision Tree",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_boosting_params(),
    columns=unfitted("two_class_boosted_decision_tree"),
)
@sweeps(BOOSTING_RANGES)
def two_class_boosted_decision_tree(*, max_leaves, min_leaf_instances, learning_rate,
                                    num_trees, seed):
    """Gradient-boosted trees for a two-valued label (HistGradientBoostingClassifier)."""
    return _boosted(HistGradientBoostingClassifier, max_leaves, min_leaf_instances,
                    learning_rate, num_trees, seed)


@module(
    "two_class_decision_forest",
    label="Two-Class Decision Forest",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_forest_params(),
    columns=unfitted("two_class_decision_forest"),
)
@sweeps(FOREST_RANGES)
def two_class_decision_forest(*, num_trees, max_depth, min_samples_per_leaf, seed):
    """A random forest for a two-valued label (RandomForestClassifier)."""
    return _forest(RandomForestClassifier, num_trees, max_depth, min_samples_per_leaf, seed)


@module(
    "linear_regression",
    label="Linear Regression",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=[
        Float("l2_weight", default=0.001, min=0.0, max=MAX_WEIGHT,
              label="L2 regularization weight",
              description="Keeps weights small (ridge); 0 fits plain least squares."),
        Bool("include_intercept", default=True, label="Include intercept term"),
    ],
    columns=unfitted("linear_regression"),
)
def linear_regression(*, l2_weight, include_intercept):
    """Least-squares linear regression: Ridge, or plain LinearRegression when l2_weight is 0."""
    if l2_weight == 0:
        estimator = LinearRegression(fit_intercept=include_intercept)
    else:
        estimator = Ridge(alpha=l2_weight, fit_intercept=include_intercept)
    return {"untrained_model": estimator}


@module(
    "boosted_decision_tree_regression",
    label="Boosted Decision Tree Regression",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_boosting_params(),
    columns=unfitted("boosted_decision_tree_regression"),
)
@sweeps(BOOSTING_RANGES)
def boosted_decision_tree_regression(*, max_leaves, min_leaf_instances, learning_rate,
                                     num_trees, seed):
    """Gradient-boosted regression trees (HistGradientBoostingRegressor)."""
    return _boosted(HistGradientBoostingRegressor, max_leaves, min_leaf_instances,
                    learning_rate, num_trees, seed)


@module(
    "decision_forest_regression",
    label="Decision Forest Regression",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_forest_params(),
    columns=unfitted("decision_forest_regression"),
)
@sweeps(FOREST_RANGES)
def decision_forest_regression(*, num_trees, max_depth, min_samples_per_leaf, seed):
    """A random forest of regression trees (RandomForestRegressor)."""
    return _forest(RandomForestRegressor, num_trees, max_depth, min_samples_per_leaf, seed)


def _boosted(estimator_class, max_leaves, min_leaf_instances, learning_rate, num_trees, seed):
    """A histogram gradient-boosting estimator with the designer's parameter names."""
    estimator = estimator_class(
        max_leaf_nodes=max_leaves,
        min_samples_leaf=min_leaf_instances,
        learning_rate=learning_rate,
        max_iter=num_trees,
        random_state=seed,
        # Azure builds exactly num_trees trees; early stopping would build fewer.
        early_stopping=False,
    )
    return {"untrained_model": estimator}


def _forest(estimator_class, num_trees, max_depth, min_samples_per_leaf, seed):
    """A random forest with the designer's parameter names."""
    estimator = estimator_class(
        n_estimators=num_trees,
        max_depth=max_depth,
        min_samples_leaf=min_samples_per_leaf,
        random_state=seed,
        # The executor already runs branches in parallel; one core per step keeps it fair.
        n_jobs=1,
    )
    return {"untrained_model": estimator}
