"""The further learners, two-class, regression and multiclass: through Train, Score and
Evaluate Model they give what the same scikit-learn code, written by hand on the same data
and seed, gives."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn import metrics
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, PoissonRegressor, SGDClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler

from app.engine.context import ModuleError
from app.engine.registry import REGISTRY
from app.engine.spec import ParamError
from tests.modules.test_evaluation import evaluate, run, trained

TRAIN_ROWS = 400
# Azure runs the networks for exactly the iterations asked; so does the hand-written fit.
FIXED_ITERATIONS = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def split(data, label):
    """A real data set as a frame with ``label``, shuffled with seed 0, cut in train/test."""
    frame = data.frame.rename(columns={data.frame.columns[-1]: label})
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    return frame.iloc[:TRAIN_ROWS], frame.iloc[TRAIN_ROWS:].reset_index(drop=True)


@pytest.fixture(scope="module")
def cancer():
    """Breast cancer data with text classes, as a user's file would hold them."""
    train, test = split(load_breast_cancer(as_frame=True), "diagnosis")
    names = {0: "malignant", 1: "benign"}
    return tuple(f.assign(diagnosis=f["diagnosis"].map(names).astype("str"))
                 for f in (train, test))


@pytest.fixture(scope="module")
def diabetes():
    return split(load_diabetes(as_frame=True), "progression")


def score(learner, train, test, label, **params):
    model = trained(learner, train, label, **params)
    return run("score_model", {"trained_model": model, "dataset": test})["scored_dataset"]


def by_hand(estimator, train, test, label):
    """Fit ``estimator`` on the features as they are: what Train Model must match."""
    return estimator.fit(train.drop(columns=label), train[label]), test.drop(columns=label)


def assert_binary_matches(scored, test, estimator, features, proba):
    """Scored labels and probabilities equal the hand fit's; so do Evaluate Model's metrics."""
    assert list(scored["Scored Labels"]) == list(estimator.predict(features))
    np.testing.assert_allclose(scored["Scored Probabilities"], proba, rtol=1e-12)
    positive = scored.attrs["positive_class"]
    actual, predicted = test["diagnosis"] == positive, estimator.predict(features) == positive
    got = evaluate(scored)["metrics"]
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(actual, predicted))
    assert got["precision"] == pytest.approx(metrics.precision_score(actual, predicted))
    assert got["recall"] == pytest.approx(metrics.recall_score(actual, predicted))
    assert got["auc"] == pytest.approx(metrics.roc_auc_score(actual, proba))


def assert_regression_matches(scored, test, predicted):
    np.testing.assert_allclose(scored["Scored Labels"], predicted, rtol=1e-12)
    got = evaluate(scored)["metrics"]
    actual = test["progression"]
    assert got["mae"] == pytest.approx(metrics.mean_absolute_error(actual, predicted))
    assert got["r2"] == pytest.approx(metrics.r2_score(actual, predicted))


def test_averaged_perceptron_is_sklearns_averaged_perceptron(cancer):
    train, test = cancer
    scored = score("two_class_averaged_perceptron", train, test, "diagnosis",
                   learning_rate=0.5, max_iterations=20, seed=3)
    hand, features = by_hand(SGDClassifier(
        loss="perceptron", penalty=None, learning_rate="constant", eta0=0.5, average=True,
        max_iter=20, tol=None, random_state=3), train, test, "diagnosis")
    proba = expit(hand.decision_function(features))
    assert_binary_matches(scored, test, hand, features, proba)
    assert scored.attrs["task"] == "binary"


def test_support_vector_machine_normalizes_then_fits_a_linear_svm(cancer):
    train, test = cancer
    scored = score("two_class_support_vector_machine", train, test, "diagnosis",
                   number_of_iterations=5, lambda_weight=0.01, project_to_unit_sphere=True,
                   seed=7)
    hand, features = by_hand(make_pipeline(MinMaxScaler(), Normalizer(), SGDClassifier(
        loss="hinge", alpha=0.01, learning_rate="optimal", max_iter=5, tol=None,
        random_state=7)), train, test, "diagnosis")
    proba = expit(hand.decision_function(features))
    assert_binary_matches(scored, test, hand, features, proba)


def test_support_vector_machine_defaults_are_azures():
    svm = run("two_class_support_vector_machine", {})["untrained_model"]
    scaler, model = svm.steps[0][1], svm.steps[-1][1]
    assert len(svm.steps) == 2 and isinstance(scaler, MinMaxScaler)
    assert (model.max_iter, model.alpha, model.loss) == (1, 0.001, "hinge")


@FIXED_ITERATIONS
def test_two_class_neural_network_is_an_mlp_on_scaled_features(cancer):
    train, test = cancer
    scored = score("two_class_neural_network", train, test, "diagnosis", hidden_nodes=20,
                   learning_iterations=60, normalizer="gaussian", seed=5)
    hand, features = by_hand(make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(20,), activation="logistic", solver="sgd", learning_rate="constant",
        learning_rate_init=0.1, momentum=0.0, nesterovs_momentum=False, max_iter=60,
        random_state=5)), train, test, "diagnosis")
    assert_binary_matches(scored, test, hand, features, hand.predict_proba(features)[:, 1])


@pytest.mark.parametrize(("normalizer", "first_step"),
                         [("min_max", MinMaxScaler), ("gaussian", StandardScaler), ("none", None)])
def test_network_normalizer_choice(normalizer, first_step):
    model = run("neural_network_regression", {}, {"normalizer": normalizer})["untrained_model"]
    if first_step is None:
        assert isinstance(model, MLPRegressor)
    else:
        assert isinstance(model.steps[0][1], first_step)
        assert model.steps[-1][1].learning_rate_init == 0.005


@FIXED_ITERATIONS
def test_neural_network_regression_is_an_mlp_regressor(diabetes):
    train, test = diabetes
    scored = score("neural_network_regression", train, test, "progression", hidden_nodes=30,
                   learning_rate=0.01, learning_iterations=200, momentum=0.5, seed=2)
    hand, features = by_hand(make_pipeline(MinMaxScaler(), MLPRegressor(
        hidden_layer_sizes=(30,), activation="logistic", solver="sgd", learning_rate="constant",
        learning_rate_init=0.01, momentum=0.5, nesterovs_momentum=False, max_iter=200,
        random_state=2)), train, test, "progression")
    assert scored.attrs["task"] == "regression"
    assert_regression_matches(scored, test, hand.predict(features))


def test_poisson_regression_scales_the_l2_weight_by_the_row_count(diabetes):
    train, test = diabetes
    scored = score("poisson_regression", train, test, "progression", l2_weight=40.0)
    hand, features = by_hand(PoissonRegressor(alpha=40.0 / TRAIN_ROWS, tol=1e-7, max_iter=10_000),
                             train, test, "progression")
    assert_regression_matches(scored, test, hand.predict(features))


def test_poisson_regression_refuses_negative_counts(diabetes):
    train = diabetes[0].assign(progression=lambda f: f["progression"] - 100)
    with pytest.raises(ModuleError, match=r"counts \(0 or more\); the label has \d+ negative"):
        trained("poisson_regression", train, "progression")


@pytest.mark.parametrize(
    ("name", "param", "value", "message"),
    [
        ("two_class_averaged_perceptron", "max_iterations", 0,
         r"The 'max_iterations' parameter of Two-Class Averaged Perceptron must be an int in "
         r"the range \[1, 10000\]\. Got 0 instead\."),
        ("two_class_support_vector_machine", "lambda_weight", 0.0,
         r"'lambda_weight' parameter of Two-Class Support Vector Machine must be a float"),
        ("two_class_neural_network", "hidden_nodes", 0,
         r"'hidden_nodes' parameter of Two-Class Neural Network must be an int in the range "
         r"\[1, 10000\]"),
        ("neural_network_regression", "normalizer", "binning",
         r"'normalizer' parameter of Neural Network Regression must be a str among"),
        ("poisson_regression", "l2_weight", -1.0,
         r"'l2_weight' parameter of Poisson Regression must be a float in the range"),
    ],
)
def test_parameter_validation(name, param, value, message):
    with pytest.raises(ParamError, match=message):
        REGISTRY[name].resolve_params({param: value})


def test_categorical_features_are_encoded_before_the_learner(cancer):
    """A text feature reaches the perceptron one-hot encoded, as for every learner."""
    train, test = (f.assign(size=np.where(f["mean radius"] > 14, "big", "small"))
                   for f in cancer)
    scored = score("two_class_averaged_perceptron", train, test, "diagnosis")
    assert set(scored["Scored Labels"]) <= {"benign", "malignant"}
    assert pd.api.types.is_float_dtype(scored["Scored Probabilities"])


# ---------- multiclass ----------

MULTICLASS = {
    "multiclass_logistic_regression": lambda: LogisticRegression(
        C=1.0 / 2.0, l1_ratio=0.5, solver="saga", tol=1e-7, max_iter=5000, random_state=0),
    "multiclass_decision_forest": lambda: RandomForestClassifier(
        n_estimators=8, max_depth=32, min_samples_leaf=1, random_state=0, n_jobs=1),
    "multiclass_boosted_decision_tree": lambda: HistGradientBoostingClassifier(
        max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2, max_iter=100,
        random_state=0, early_stopping=False),
    "multiclass_neural_network": lambda: make_pipeline(MinMaxScaler(), MLPClassifier(
        hidden_layer_sizes=(100,), activation="logistic", solver="sgd",
        learning_rate="constant", learning_rate_init=0.1, momentum=0.0,
        nesterovs_momentum=False, max_iter=100, random_state=0)),
}
SETTINGS = {"multiclass_logistic_regression": {"max_iterations": 5000}}


@pytest.fixture(scope="module")
def wine():
    """The wine data (3 cultivars) with text classes, cut in train/test after a shuffle."""
    data = load_wine(as_frame=True)
    frame = data.frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    frame["target"] = frame["target"].map({0: "barolo", 1: "grignolino", 2: "barbera"})
    frame["target"] = frame["target"].astype("str")
    return frame.iloc[:120], frame.iloc[120:].reset_index(drop=True)


@FIXED_ITERATIONS
@pytest.mark.parametrize("name", list(MULTICLASS))
def test_multiclass_learner_scores_and_evaluates_as_sklearn(wine, name):
    train, test = wine
    scored = score(name, train, test, "target", **SETTINGS.get(name, {}))
    hand, features = by_hand(MULTICLASS[name](), train, test, "target")
    classes = ["barbera", "barolo", "grignolino"]
    assert list(scored.columns[-4:]) == [f"Scored Probabilities_{c}" for c in classes] + [
        "Scored Labels"]
    np.testing.assert_allclose(scored[[f"Scored Probabilities_{c}" for c in classes]],
                               hand.predict_proba(features), rtol=1e-9)
    predicted = hand.predict(features)
    assert list(scored["Scored Labels"]) == list(predicted)
    assert scored.attrs["task"] == "multiclass" and scored.attrs["classes"] == classes

    result = evaluate(scored)
    actual = test["target"]
    got = result["metrics"]
    assert got["overall_accuracy"] == pytest.approx(metrics.accuracy_score(actual, predicted))
    assert got["average_accuracy"] == pytest.approx(np.mean(
        [metrics.accuracy_score(actual == c, predicted == c) for c in classes]))
    for average in ("micro", "macro"):
        assert got[f"{average}_precision"] == pytest.approx(metrics.precision_score(
            actual, predicted, average=average, zero_division=0.0))
        assert got[f"{average}_recall"] == pytest.approx(metrics.recall_score(
            actual, predicted, average=average, zero_division=0.0))
    assert result["per_class"]["recall"] == pytest.approx(list(metrics.recall_score(
        actual, predicted, average=None, labels=classes, zero_division=0.0)))
    assert result["curves"]["confusion_matrix"] == {
        "labels": classes,
        "matrix": metrics.confusion_matrix(actual, predicted, labels=classes).tolist()}


def test_multiclass_evaluation_of_a_made_up_scoring():
    """Numbers worked by hand: 3 classes, 6 rows, 4 right."""
    scored = pd.DataFrame({"y": [1, 1, 2, 2, 3, 3], "Scored Labels": [1, 2, 2, 2, 3, 1]})
    scored.attrs = {"label_column": "y", "task": "multiclass", "positive_class": None,
                    "classes": [1, 2, 3]}
    result = evaluate(scored)
    assert result["metrics"]["overall_accuracy"] == pytest.approx(4 / 6)
    # One-vs-rest accuracies: class 1 4/6, class 2 5/6, class 3 5/6.
    assert result["metrics"]["average_accuracy"] == pytest.approx(14 / 18)
    assert result["metrics"]["macro_precision"] == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert result["per_class"] == {"labels": [1, 2, 3], "precision": pytest.approx(
        [1 / 2, 2 / 3, 1.0]), "recall": pytest.approx([1 / 2, 1.0, 1 / 2])}
    assert result["curves"]["confusion_matrix"]["matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_a_label_class_the_model_never_saw_gets_its_own_row():
    scored = pd.DataFrame({"y": ["a", "b", "c"], "Scored Labels": ["a", "b", "a"]})
    scored.attrs = {"label_column": "y", "task": "multiclass", "positive_class": None,
                    "classes": ["a", "b"]}
    matrix = evaluate(scored)["curves"]["confusion_matrix"]
    assert matrix == {"labels": ["a", "b", "c"], "matrix": [[1, 0, 0], [0, 1, 0], [1, 0, 0]]}


def test_two_class_learners_still_refuse_three_classes(wine):
    with pytest.raises(ModuleError, match="two-class learner .* exactly 2 distinct values"):
        trained("two_class_logistic_regression", wine[0], "target")


def test_a_multiclass_learner_takes_two_classes_too(cancer):
    train, test = cancer
    scored = score("multiclass_decision_forest", train, test, "diagnosis")
    assert scored.attrs["task"] == "multiclass"
    assert {"Scored Probabilities_benign", "Scored Probabilities_malignant"} <= set(scored)


def test_multiclass_scores_survive_parquet(wine, tmp_path):
    train, test = wine
    scored = score("multiclass_decision_forest", train, test, "target")
    scored.to_parquet(tmp_path / "scored.parquet")
    back = pd.read_parquet(tmp_path / "scored.parquet")
    pd.testing.assert_frame_equal(back, scored, check_dtype=False)
