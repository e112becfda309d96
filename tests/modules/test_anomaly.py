"""PCA-Based Anomaly Detection through Train Anomaly Detection Model, Score and Evaluate Model:
the normalized reconstruction error of scikit-learn's randomized PCA, written out by hand,
and the two-class metrics of it with the anomaly label as the positive class."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA, TruncatedSVD

from app.engine.context import ModuleError
from tests.modules.test_evaluation import evaluate, run


@pytest.fixture(scope="module")
def wines():
    """Two cultivars are normal (label 0); the third, rare in the test rows, is the anomaly."""
    frame = load_wine(as_frame=True).frame.sample(frac=1.0, random_state=0)
    frame = frame.reset_index(drop=True).rename(columns={"target": "odd"})
    normal, odd = frame[frame["odd"] < 2], frame[frame["odd"] == 2]
    train = normal.iloc[:90].assign(odd=0)
    test = pd.concat([normal.iloc[90:], odd.iloc[:12].assign(odd=1)]).reset_index(drop=True)
    return train.reset_index(drop=True), test


def scored(train, test, label="odd", anomaly_label="1", **pca):
    untrained = run("pca_based_anomaly_detection", {}, pca)["untrained_model"]
    model = run("train_anomaly_detection_model", {"untrained_model": untrained, "dataset": train},
                {"label_column": label, "anomaly_label": anomaly_label})["trained_model"]
    return run("score_model", {"trained_model": model, "dataset": test})["scored_dataset"]


def reconstruction_error(components, mean, rows):
    """|x - mean - projection| / |x - mean|, one row at a time."""
    out = []
    for x in rows:
        offset = x - mean
        rebuilt = components.T @ (components @ offset)
        out.append(np.linalg.norm(offset - rebuilt) / np.linalg.norm(offset))
    return np.array(out)


@pytest.mark.parametrize("center", [True, False])
def test_scores_are_the_normalized_reconstruction_error(wines, center):
    train, test = wines
    got = scored(train, test, components=3, oversampling=5, center=center)
    features = train.drop(columns="odd").to_numpy()
    if center:
        pca = PCA(n_components=3, svd_solver="randomized", n_oversamples=5,
                  random_state=42).fit(features)
        components, mean = pca.components_, pca.mean_
    else:
        svd = TruncatedSVD(n_components=3, algorithm="randomized", n_oversamples=5,
                           random_state=42).fit(features)
        components, mean = svd.components_, np.zeros(features.shape[1])
    expected = reconstruction_error(components, mean, test.drop(columns="odd").to_numpy())
    assert list(got.columns) == [*test.columns, "Scored Labels", "Scored Probabilities"]
    np.testing.assert_allclose(got["Scored Probabilities"], expected, rtol=1e-9)
    assert list(got["Scored Labels"]) == list((expected >= 0.5).astype(int))
    assert got.attrs["task"] == "anomaly_detection"


def test_evaluation_is_two_class_with_the_anomaly_as_positive(wines):
    train, test = wines
    got = scored(train, test, components=2, center=True)
    proba = got["Scored Probabilities"].to_numpy()
    actual, predicted = test["odd"] == 1, proba >= 0.5
    result = evaluate(got)
    assert result["task"] == "anomaly_detection"
    assert result["metrics"] == pytest.approx({
        "accuracy": metrics.accuracy_score(actual, predicted),
        "precision": metrics.precision_score(actual, predicted, zero_division=0.0),
        "recall": metrics.recall_score(actual, predicted, zero_division=0.0),
        "f1": metrics.f1_score(actual, predicted, zero_division=0.0),
        "auc": metrics.roc_auc_score(actual, proba)})
    assert result["curves"]["confusion_matrix"]["labels"] == [0, 1]


def test_a_text_label_names_its_anomaly_value(wines):
    train, test = wines
    named = {0: "normal", 1: "odd one"}
    got = scored(train.assign(odd=train["odd"].map(named).astype("str")),
                 test.assign(odd=test["odd"].map(named).astype("str")),
                 anomaly_label="odd one", center=True)
    plain = scored(train, test, center=True)
    assert evaluate(got)["metrics"] == evaluate(plain)["metrics"]
    assert evaluate(got)["curves"]["confusion_matrix"]["labels"] == ["normal", "odd one"]


def test_pca_defaults_are_azures():
    detector = run("pca_based_anomaly_detection", {})["untrained_model"]
    assert detector.get_params() == {"components": 2, "oversampling": 2, "center": False}


def test_bad_settings_and_missing_labels_are_named(wines):
    train, test = wines
    with pytest.raises(ModuleError, match=r"'Number of components to use in PCA' \(20\) must be "
                                          r"at most the number of features \(13\)"):
        scored(train, test, components=20)
    with pytest.raises(ModuleError, match="numeric column\\(s\\) 'alcohol' have some"):
        scored(train.assign(alcohol=np.nan), test)
    with pytest.raises(ModuleError, match="the anomaly label 'odd' is no number"):
        scored(train, test, anomaly_label="odd")
    unlabeled = scored(train.drop(columns="odd"), test, label=None)
    assert "Scored Probabilities" in unlabeled.columns
    with pytest.raises(ModuleError, match="trained without a label column"):
        evaluate(unlabeled)
    forest = run("two_class_decision_forest", {})["untrained_model"]
    with pytest.raises(ModuleError, match="needs an untrained anomaly detector"):
        run("train_anomaly_detection_model", {"untrained_model": forest, "dataset": train})
