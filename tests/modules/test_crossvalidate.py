"""Cross Validate Model: each row scored by the model of the fold it was held out from, and the
metrics of each fold, equal to scikit-learn code written by hand on the same data and seed."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from app.engine.context import ModuleError
from tests.modules.test_evaluation import evaluate, run

SEED = 7


def frame(data, label):
    """A scikit-learn data set as a frame whose last column is ``label``."""
    return data.frame.rename(columns={data.frame.columns[-1]: label})


def cross_validate(learner, data, label, seed=SEED, **params):
    untrained = run(learner, {}, params)["untrained_model"]
    return run("cross_validate_model", {"untrained_model": untrained, "dataset": data},
               {"label_column": label, "seed": seed})


def by_hand(estimator, data, label, folds):
    """Fit ``estimator`` on all folds but one and predict that one; yield (fold, rows, fit)."""
    features = data.drop(columns=label)
    for number in sorted(np.unique(folds)):
        held = folds == number
        fit = estimator.fit(features[~held], data[label][~held])
        yield number, held, fit, features[held]


def ten_folds(n, seed=SEED):
    folds = np.zeros(n, dtype=int)
    for number, (_, held) in enumerate(KFold(10, shuffle=True, random_state=seed).split(
            np.zeros(n)), start=1):
        folds[held] = number
    return folds


def summary_matches(table, rows):
    """The fold rows, then Mean and Standard Deviation (n - 1) of each metric."""
    expected = pd.DataFrame(rows)
    assert list(table["Fold Number"]) == [*map(str, range(1, len(rows) + 1)), "Mean",
                                          "Standard Deviation"]
    for name in expected.columns:
        got = table[name].to_numpy(dtype="float64")
        want = expected[name].to_numpy(dtype="float64")
        np.testing.assert_allclose(got[:-2], want, rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(got[-2:], [np.mean(want), np.std(want, ddof=1)], rtol=1e-12)


def test_multiclass_forest_matches_ten_shuffled_folds_by_hand():
    data = frame(load_wine(as_frame=True), "cultivar")
    out = cross_validate("multiclass_decision_forest", data, "cultivar", num_trees=5)
    scored, table = out["scored_results"], out["evaluation_results_by_fold"]
    folds = ten_folds(len(data))
    assert list(scored["Fold Assignments"]) == list(folds)
    classes = [0, 1, 2]
    probability_columns = [f"Scored Probabilities_{c}" for c in classes]
    assert list(scored.columns) == [*data.columns, *probability_columns, "Scored Labels",
                                    "Fold Assignments"]
    forest = RandomForestClassifier(n_estimators=5, max_depth=32, min_samples_leaf=1,
                                    random_state=0, n_jobs=1)
    rows = []
    for _, held, fit, features in by_hand(forest, data, "cultivar", folds):
        proba = fit.predict_proba(features)
        np.testing.assert_array_equal(scored.loc[held, probability_columns].to_numpy(), proba)
        predicted = fit.classes_[proba.argmax(axis=1)]
        assert list(scored.loc[held, "Scored Labels"]) == list(predicted)
        actual = data["cultivar"][held]
        macro = {"average": "macro", "zero_division": 0.0}
        rows.append({
            "Number of examples in fold": held.sum(),
            "Accuracy": metrics.accuracy_score(actual, predicted),
            "Precision": metrics.precision_score(actual, predicted, **macro),
            "Recall": metrics.recall_score(actual, predicted, **macro),
            "F-Score": metrics.f1_score(actual, predicted, **macro),
            "AUC": (metrics.roc_auc_score(actual, proba, multi_class="ovr", labels=classes)
                    if actual.nunique() == 3 else math.nan),
            "Average Log Loss": metrics.log_loss(actual, proba, labels=classes),
        })
    summary_matches(table, rows)
    assert set(table["Model"]) == {"MulticlassDecisionForest"}
    # The scored results are a scored data set: Evaluate Model takes them as they are.
    overall = evaluate(scored)["metrics"]["overall_accuracy"]
    assert overall == pytest.approx((scored["Scored Labels"] == data["cultivar"]).mean())


def test_two_class_boosted_tree_matches_by_hand_with_its_probabilities():
    data = frame(load_breast_cancer(as_frame=True), "diagnosis").iloc[:300]
    out = cross_validate("two_class_boosted_decision_tree", data, "diagnosis", num_trees=10)
    scored, table = out["scored_results"], out["evaluation_results_by_fold"]
    boosted = HistGradientBoostingClassifier(max_leaf_nodes=20, min_samples_leaf=10,
                                             learning_rate=0.2, max_iter=10, random_state=0,
                                             early_stopping=False)
    rows = []
    for _, held, fit, features in by_hand(boosted, data, "diagnosis", ten_folds(len(data))):
        proba = fit.predict_proba(features)[:, 1]
        np.testing.assert_array_equal(scored.loc[held, "Scored Probabilities"], proba)
        actual, predicted = data["diagnosis"][held] == 1, proba >= 0.5
        rows.append({
            "Accuracy": metrics.accuracy_score(actual, predicted),
            "Precision": metrics.precision_score(actual, predicted, zero_division=0.0),
            "Recall": metrics.recall_score(actual, predicted, zero_division=0.0),
            "F-Score": metrics.f1_score(actual, predicted, zero_division=0.0),
            "AUC": metrics.roc_auc_score(actual, proba),
            "Average Log Loss": metrics.log_loss(actual, proba, labels=[False, True]),
        })
    summary_matches(table, rows)
    assert scored.attrs["positive_class"] == 1 and scored.attrs["task"] == "binary"


def test_regression_reads_the_folds_partition_and_sample_assigned():
    data = frame(load_diabetes(as_frame=True), "progression")
    folded = run("partition_and_sample", {"dataset": data},
                 {"mode": "assign_to_folds", "number_of_folds": 4})["results_dataset"]
    out = cross_validate("linear_regression", folded, "progression")
    scored, table = out["scored_results"], out["evaluation_results_by_fold"]
    assert "Fold" not in scored.columns  # the fold column is no feature
    assert list(scored["Fold Assignments"]) == list(folded["Fold"])
    rows = []
    for _, held, fit, features in by_hand(Ridge(alpha=0.001), data, "progression",
                                          folded["Fold"].to_numpy()):
        predicted = fit.predict(features)
        np.testing.assert_allclose(scored.loc[held, "Scored Labels"], predicted, rtol=1e-12)
        actual = data["progression"][held].to_numpy()
        spread = actual - actual.mean()
        rows.append({
            "Mean Absolute Error": metrics.mean_absolute_error(actual, predicted),
            "Root Mean Squared Error": metrics.root_mean_squared_error(actual, predicted),
            "Relative Absolute Error": np.abs(actual - predicted).sum() / np.abs(spread).sum(),
            "Relative Squared Error": ((actual - predicted) ** 2).sum() / (spread**2).sum(),
            "Coefficient of Determination": metrics.r2_score(actual, predicted),
        })
    summary_matches(table, rows)
    assert len(table) == 4 + 2


def test_the_seed_changes_the_folds_and_repeats_them():
    data = frame(load_diabetes(as_frame=True), "progression").iloc[:60]
    first = cross_validate("linear_regression", data, "progression", seed=1)
    again = cross_validate("linear_regression", data, "progression", seed=1)
    other = cross_validate("linear_regression", data, "progression", seed=2)
    pd.testing.assert_frame_equal(first["scored_results"], again["scored_results"])
    assert list(first["scored_results"]["Fold Assignments"]) != list(
        other["scored_results"]["Fold Assignments"])


def test_a_learner_in_parameter_range_mode_is_refused_by_name():
    data = frame(load_diabetes(as_frame=True), "progression").iloc[:60]
    with pytest.raises(ModuleError, match=r"Cross Validate Model: the learner \(Decision Forest "
                                          r"Regression\) is in Parameter Range mode"):
        cross_validate("decision_forest_regression", data, "progression",
                       create_trainer_mode="parameter_range")


def test_a_missing_label_column_is_named():
    data = frame(load_diabetes(as_frame=True), "progression").iloc[:60]
    with pytest.raises(ModuleError, match="label column 'target' is not in the data set"):
        cross_validate("linear_regression", data, "target")
