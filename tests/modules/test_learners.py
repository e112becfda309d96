"""Learners: each outputs the right unfitted scikit-learn estimator with mapped settings."""

import math

import numpy as np
import pytest
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.utils.validation import check_is_fitted

from app.engine.context import StepContext
from app.engine.registry import REGISTRY
from app.engine.spec import UNTRAINED_MODEL, ParamError

LEARNERS = [
    "two_class_logistic_regression",
    "two_class_boosted_decision_tree",
    "two_class_decision_forest",
    "linear_regression",
    "boosted_decision_tree_regression",
    "decision_forest_regression",
]


def learn(name, **params):
    """Run a learner module through the registry, as the engine does."""
    spec = REGISTRY[name]
    out = spec.call({}, spec.resolve_params(params), ctx=StepContext("n1"))
    return out["untrained_model"]


@pytest.mark.parametrize("name", LEARNERS)
def test_learner_declaration(name):
    spec = REGISTRY[name]
    assert spec.category == "Machine Learning Algorithms"
    assert spec.inputs == []
    assert [(p.name, p.type) for p in spec.outputs] == [("untrained_model", UNTRAINED_MODEL)]
    with pytest.raises(NotFittedError):
        check_is_fitted(learn(name))


@pytest.mark.parametrize(
    ("name", "cls", "expected"),
    [
        ("two_class_boosted_decision_tree", HistGradientBoostingClassifier,
         {"max_leaf_nodes": 20, "min_samples_leaf": 10, "learning_rate": 0.2, "max_iter": 100,
          "random_state": 0, "early_stopping": False}),
        ("boosted_decision_tree_regression", HistGradientBoostingRegressor,
         {"max_leaf_nodes": 20, "min_samples_leaf": 10, "learning_rate": 0.2, "max_iter": 100,
          "random_state": 0, "early_stopping": False}),
        ("two_class_decision_forest", RandomForestClassifier,
         {"n_estimators": 8, "max_depth": 32, "min_samples_leaf": 1, "random_state": 0,
          "n_jobs": 1}),
        ("decision_forest_regression", RandomForestRegressor,
         {"n_estimators": 8, "max_depth": 32, "min_samples_leaf": 1, "random_state": 0,
          "n_jobs": 1}),
        ("linear_regression", Ridge, {"alpha": 0.001, "fit_intercept": True}),
        ("two_class_logistic_regression", LogisticRegression,
         {"C": 0.5, "l1_ratio": 0.5, "solver": "saga", "tol": 1e-7, "max_iter": 100,
          "random_state": 0}),
    ],
)
def test_defaults_map_to_estimator(name, cls, expected):
    estimator = learn(name)
    assert type(estimator) is cls
    params = estimator.get_params()
    assert {k: params[k] for k in expected} == expected


@pytest.mark.parametrize(
    "name", ["two_class_boosted_decision_tree", "boosted_decision_tree_regression"]
)
def test_boosting_settings(name):
    estimator = learn(name, max_leaves=31, min_leaf_instances=3, learning_rate=0.05,
                      num_trees=7, seed=42)
    params = estimator.get_params()
    assert (params["max_leaf_nodes"], params["min_samples_leaf"], params["learning_rate"],
            params["max_iter"], params["random_state"]) == (31, 3, 0.05, 7, 42)


@pytest.mark.parametrize("name", ["two_class_decision_forest", "decision_forest_regression"])
def test_forest_settings(name):
    params = learn(name, num_trees=3, max_depth=4, min_samples_per_leaf=5, seed=9).get_params()
    assert (params["n_estimators"], params["max_depth"], params["min_samples_leaf"],
            params["random_state"]) == (3, 4, 5, 9)


def test_linear_regression_without_l2_is_ordinary_least_squares():
    estimator = learn("linear_regression", l2_weight=0.0, include_intercept=False)
    assert type(estimator) is LinearRegression
    assert estimator.fit_intercept is False
    ridge = learn("linear_regression", l2_weight=2.5, include_intercept=False)
    assert (type(ridge), ridge.alpha, ridge.fit_intercept) == (Ridge, 2.5, False)


@pytest.mark.parametrize(
    ("l1", "l2", "solver", "c", "ratio"),
    [
        (0.0, 2.0, "lbfgs", 0.5, 0.0),
        (3.0, 0.0, "saga", 1 / 3, 1.0),
        (1.0, 3.0, "saga", 0.25, 0.25),
        (0.0, 0.0, "lbfgs", math.inf, 0.0),
    ],
)
def test_logistic_regression_weights(l1, l2, solver, c, ratio):
    estimator = learn("two_class_logistic_regression", l1_weight=l1, l2_weight=l2,
                      optimization_tolerance=1e-5, max_iterations=7, seed=3)
    assert (estimator.solver, estimator.C, estimator.l1_ratio) == (solver, c, ratio)
    assert (estimator.tol, estimator.max_iter, estimator.random_state) == (1e-5, 7, 3)


def test_logistic_regression_minimises_azure_objective():
    """At the fit, the gradient of sum(log loss) + l2/2 |w|^2 is zero (L2-only case)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    y = (x @ [1.0, -2.0, 0.5] + rng.normal(size=300) > 0).astype(int)
    l2 = 4.0
    estimator = learn("two_class_logistic_regression", l1_weight=0.0, l2_weight=l2,
                      optimization_tolerance=1e-12, max_iterations=1000)
    estimator.fit(x, y)
    p = estimator.predict_proba(x)[:, 1]
    grad_w = x.T @ (p - y) + l2 * estimator.coef_[0]
    assert np.abs(grad_w).max() < 1e-5
    assert abs((p - y).sum()) < 1e-5
    # A wrong mapping (e.g. C = l2) would leave a large gradient.
    assert np.abs(estimator.coef_[0]).max() > 0.1


@pytest.mark.parametrize(
    ("name", "param", "value", "message"),
    [
        ("two_class_boosted_decision_tree", "learning_rate", 2.0,
         r"The 'learning_rate' parameter of Two-Class Boosted Decision Tree must be a float in "
         r"the range \[1e-06, 1.0\]\. Got 2.0 instead\."),
        ("boosted_decision_tree_regression", "max_leaves", 1,
         r"'max_leaves' parameter of Boosted Decision Tree Regression must be an int in the "
         r"range \[2, 4096\]"),
        ("two_class_decision_forest", "num_trees", 0,
         r"'num_trees' parameter of Two-Class Decision Forest must be an int in the range "
         r"\[1, 1000\]"),
        ("decision_forest_regression", "seed", -1,
         r"'seed' parameter of Decision Forest Regression"),
        ("two_class_logistic_regression", "l1_weight", -0.5,
         r"'l1_weight' parameter of Two-Class Logistic Regression must be a float in the "
         r"range \[0.0, 1000000.0\]"),
        ("two_class_logistic_regression", "optimization_tolerance", 0.0,
         r"'optimization_tolerance' parameter of Two-Class Logistic Regression"),
        ("linear_regression", "include_intercept", "maybe",
         r"'include_intercept' parameter of Linear Regression must be a bool"),
    ],
)
def test_parameter_validation(name, param, value, message):
    with pytest.raises(ParamError, match=message) as info:
        REGISTRY[name].resolve_params({param: value})
    assert info.value.param == param
