"""One-vs-All, One-vs-One and Fast Forest Quantile Regression: through Train, Score and
Evaluate Model they give what scikit-learn and numpy code, written by hand on the same data
and seed, gives."""

import numpy as np
import pytest
from sklearn import metrics
from sklearn.datasets import load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import SGDClassifier
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier

from app.engine.context import ModuleError
from app.engine.spec import ParamError
from tests.modules.test_evaluation import evaluate, run
from tests.modules.test_learners_more import by_hand, diabetes  # noqa: F401 (a fixture)

WINES = {0: "barolo", 1: "grignolino", 2: "barbera"}


@pytest.fixture(scope="module")
def wine():
    """Wine data with text classes; 130 rows to train, 48 to test."""
    frame = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    frame["cultivar"] = frame["cultivar"].map(WINES).astype("str")
    return frame.iloc[:130], frame.iloc[130:].reset_index(drop=True)


def wrapped_score(wrapper, learner, train, test, label, **params):
    """``learner`` (with ``params``) through ``wrapper``, then Train and Score Model."""
    binary = run(learner, {}, params)["untrained_model"]
    untrained = run(wrapper, {"untrained_model": binary})["untrained_model"]
    model = run("train_model", {"untrained_model": untrained, "dataset": train},
                {"label_column": label})["trained_model"]
    return run("score_model", {"trained_model": model, "dataset": test})["scored_dataset"]


def probabilities(scored, classes):
    return scored[[f"Scored Probabilities_{c}" for c in classes]].to_numpy()


def test_one_vs_all_is_sklearns_one_vs_rest_of_the_two_class_learner(wine):
    train, test = wine
    scored = wrapped_score("one_vs_all_multiclass", "two_class_boosted_decision_tree", train,
                           test, "cultivar", num_trees=10, seed=4)
    hand, features = by_hand(OneVsRestClassifier(HistGradientBoostingClassifier(
        max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2, max_iter=10, random_state=4,
        early_stopping=False)), train, test, "cultivar")
    assert scored.attrs["task"] == "multiclass"
    assert scored.attrs["classes"] == list(hand.classes_)
    np.testing.assert_allclose(probabilities(scored, hand.classes_),
                               hand.predict_proba(features), rtol=1e-12)
    assert list(scored["Scored Labels"]) == list(hand.predict(features))
    got = evaluate(scored)["metrics"]
    assert got["overall_accuracy"] == pytest.approx(
        metrics.accuracy_score(test["cultivar"], hand.predict(features)))
    assert got["macro_recall"] == pytest.approx(
        metrics.recall_score(test["cultivar"], hand.predict(features), average="macro"))


def test_one_vs_one_votes_and_shares_the_votes_as_probabilities(wine):
    train, test = wine
    scored = wrapped_score("one_vs_one_multiclass", "two_class_averaged_perceptron", train,
                           test, "cultivar", learning_rate=0.5, max_iterations=20, seed=3)
    hand, features = by_hand(OneVsOneClassifier(SGDClassifier(
        loss="perceptron", penalty=None, learning_rate="constant", eta0=0.5, average=True,
        max_iter=20, tol=None, random_state=3)), train, test, "cultivar")
    decision = hand.decision_function(features) + 1 / 3
    np.testing.assert_allclose(probabilities(scored, hand.classes_),
                               decision / decision.sum(axis=1, keepdims=True), rtol=1e-12)
    assert list(scored["Scored Labels"]) == list(hand.predict(features))
    assert evaluate(scored)["metrics"]["overall_accuracy"] == pytest.approx(
        metrics.accuracy_score(test["cultivar"], hand.predict(features)))


@pytest.mark.parametrize("wrapper", ["one_vs_all_multiclass", "one_vs_one_multiclass"])
@pytest.mark.parametrize(("learner", "why"), [
    ("linear_regression", "needs an untrained two-class learner"),
    ("multiclass_decision_forest", "already handles several classes"),
])
def test_a_wrapper_refuses_what_is_no_two_class_learner(wrapper, learner, why):
    untrained = run(learner, {})["untrained_model"]
    with pytest.raises(ModuleError, match=why):
        run(wrapper, {"untrained_model": untrained})


def quantile_forest_by_hand(train, test, label, quantiles, **forest):
    """Meinshausen's quantile regression forest written out row by row."""
    features, y = train.drop(columns=label), train[label].to_numpy(dtype=float)
    model = RandomForestRegressor(bootstrap=True, n_jobs=1, **forest).fit(features, y)
    train_leaves = model.apply(features)
    test_leaves = model.apply(test.drop(columns=label))
    order = np.argsort(y, kind="stable")
    out = np.empty((len(test), len(quantiles)))
    for i, leaves in enumerate(test_leaves):
        weights = np.zeros(len(y))
        for tree, leaf in enumerate(leaves):
            same = train_leaves[:, tree] == leaf
            weights += same / same.sum()
        cumulative = np.cumsum(weights[order] / len(leaves))
        for j, q in enumerate(quantiles):
            out[i, j] = y[order][np.searchsorted(cumulative, q - 1e-9, side="left")]
    return out


def test_fast_forest_quantile_regression_is_a_quantile_regression_forest(diabetes):  # noqa: F811
    train, test = diabetes
    params = {"num_trees": 30, "num_leaves": 16, "min_leaf_instances": 5,
              "bagging_fraction": 0.8, "split_fraction": 0.6, "quantiles": "0.1; 0.5, 0.9",
              "seed": 7}
    model = run("train_model", {
        "untrained_model": run("fast_forest_quantile_regression", {}, params)["untrained_model"],
        "dataset": train}, {"label_column": "progression"})["trained_model"]
    assert model.task == "quantile_regression"
    scored = run("score_model", {"trained_model": model, "dataset": test})["scored_dataset"]
    columns = ["Scores for quantile :0.100", "Scores for quantile :0.500",
               "Scores for quantile :0.900"]
    assert list(scored.columns) == [*test.columns, *columns]
    expected = quantile_forest_by_hand(
        train, test, "progression", [0.1, 0.5, 0.9], n_estimators=30, max_leaf_nodes=16,
        min_samples_leaf=5, max_samples=0.8, max_features=0.6, random_state=7)
    np.testing.assert_array_equal(scored[columns].to_numpy(), expected)
    assert (np.diff(expected, axis=1) >= 0).all()

    got = evaluate(scored)
    assert got["task"] == "quantile_regression"
    losses = [metrics.mean_pinball_loss(test["progression"], expected[:, j], alpha=q)
              for j, q in enumerate([0.1, 0.5, 0.9])]
    assert got["metrics"] == pytest.approx({"quantile_loss_0.100": losses[0],
                                            "quantile_loss_0.500": losses[1],
                                            "quantile_loss_0.900": losses[2],
                                            "average_quantile_loss": np.mean(losses)})


def test_fast_forest_quantile_regression_defaults_are_azures():
    learner = run("fast_forest_quantile_regression", {})["untrained_model"]
    assert learner.get_params() == {
        "quantiles": (0.25, 0.5, 0.75), "num_trees": 100, "num_leaves": 20,
        "min_leaf_instances": 10, "bagging_fraction": 0.7, "split_fraction": 0.7, "seed": 0}


@pytest.mark.parametrize("text", ["0.5; 1.5", "", "median", "0"])
def test_quantiles_outside_zero_to_one_are_refused_by_name(text):
    with pytest.raises(ParamError, match=r"The 'quantiles' parameter of Fast Forest Quantile "
                                         r"Regression must be a list of numbers between 0 and 1"):
        run("fast_forest_quantile_regression", {}, {"quantiles": text})
