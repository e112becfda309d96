"""Permutation Feature Importance against a hand-written permutation loop with scikit-learn
metrics, on models trained by Train Model (real Adult and Automobile data)."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from app.engine.context import ModuleError
from tests.modules.test_training import run

ADULT_FEATURES = ["age", "education-num", "hours-per-week", "sex", "capital-gain"]
CAR_FEATURES = ["horsepower", "curb-weight", "engine-size", "make", "city-mpg"]


def trained(learner, params, data, label):
    untrained = run(learner, {}, params)["untrained_model"]
    return run("train_model", {"untrained_model": untrained, "dataset": data},
               {"label_column": label})["trained_model"]


def by_hand(model, data, features, label, score, seed, higher_better=True):
    """The plain loop: shuffle one feature at a time with one RandomState stream."""
    x, y = data[features], data[label]
    baseline = score(y, model.pipeline.predict(x))
    rng = np.random.RandomState(seed)
    scores = {}
    for col in features:
        shuffled = x.copy()
        shuffled[col] = x[col].to_numpy()[rng.permutation(len(x))]
        value = score(y, model.pipeline.predict(shuffled))
        scores[col] = baseline - value if higher_better else value - baseline
    return scores


@pytest.fixture(scope="module")
def income(adult):
    data = adult[[*ADULT_FEATURES, "income"]]
    model = trained("two_class_boosted_decision_tree", {},
                    data.head(4000), "income")
    return model, data.iloc[4000:6000]


@pytest.mark.parametrize(("metric", "score"), [
    ("accuracy", metrics.accuracy_score),
    ("precision", lambda y, p: metrics.precision_score(y, p, pos_label=">50K")),
    ("recall", lambda y, p: metrics.recall_score(y, p, pos_label=">50K")),
])
def test_classifier_importance_matches_the_plain_loop(income, metric, score):
    model, test = income
    out = run("permutation_feature_importance", {"trained_model": model, "test_data": test},
              {"metric": metric, "seed": 3})["feature_importance"]
    expected = by_hand(model, test, ADULT_FEATURES, "income", score, seed=3)
    assert list(out.columns) == ["Feature", "Score"]
    assert dict(zip(out["Feature"], out["Score"], strict=True)) == pytest.approx(expected)
    assert list(out["Score"]) == sorted(out["Score"], reverse=True)


@pytest.mark.parametrize(("metric", "score", "higher_better"), [
    ("mean_absolute_error", metrics.mean_absolute_error, False),
    ("root_mean_squared_error", metrics.root_mean_squared_error, False),
    ("relative_squared_error",
     lambda y, p: metrics.mean_squared_error(y, p) / np.var(y), False),
    ("coefficient_of_determination", metrics.r2_score, True),
])
def test_regression_importance_matches_the_plain_loop(automobile, metric, score, higher_better):
    data = automobile[[*CAR_FEATURES, "price"]].dropna().reset_index(drop=True)
    model = trained("linear_regression", {}, data.iloc[::2], "price")
    test = data.iloc[1::2]
    out = run("permutation_feature_importance", {"trained_model": model, "test_data": test},
              {"metric": metric, "seed": 9})["feature_importance"]
    expected = by_hand(model, test, CAR_FEATURES, "price", score, 9, higher_better)
    assert dict(zip(out["Feature"], out["Score"], strict=True)) == pytest.approx(expected)
    assert out["Feature"].iloc[0] in ("make", "engine-size", "curb-weight", "horsepower")


def test_importance_errors_name_the_problem(income, automobile):
    model, test = income
    with pytest.raises(ModuleError, match="the metric 'mean_absolute_error' does not fit a "
                                          "classification model; choose one of accuracy"):
        run("permutation_feature_importance", {"trained_model": model, "test_data": test},
            {"metric": "mean_absolute_error"})
    with pytest.raises(ModuleError, match="Permutation Feature Importance: the test data lacks "
                                          "column.*'sex'"):
        run("permutation_feature_importance",
            {"trained_model": model, "test_data": test.drop(columns="sex")})
    with pytest.raises(ModuleError, match="Permutation Feature Importance: the model cannot "
                                          "predict the test data: .*NaN"):
        data = automobile[[*CAR_FEATURES, "price"]].dropna()
        model = trained("linear_regression", {}, data, "price")
        run("permutation_feature_importance",
            {"trained_model": model, "test_data": automobile[[*CAR_FEATURES, "price"]]},
            {"metric": "mean_absolute_error"})
    with pytest.raises(ModuleError, match="needs a model trained by Train Model"):
        run("permutation_feature_importance",
            {"trained_model": pd.DataFrame(), "test_data": test})
