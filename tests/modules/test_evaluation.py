"""Score Model and Evaluate Model: score columns, metadata, metrics and curves."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.datasets import load_diabetes, load_iris, load_wine

from app.engine.context import ModuleError, StepContext
from app.engine.registry import REGISTRY


def run(name, inputs, params=None, ctx=None):
    """Call a module through the registry exactly as the engine does; return its outputs."""
    spec = REGISTRY[name]
    return spec.call(inputs, spec.resolve_params(params or {}), ctx=ctx or StepContext("n1"))


def trained(learner, frame, label, **params):
    untrained = run(learner, {}, params)["untrained_model"]
    return run("train_model", {"untrained_model": untrained, "dataset": frame},
               {"label_column": label})["trained_model"]


def frame(n=150, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "x": x,
        "kind": pd.Series(rng.choice(["p", "q"], size=n), dtype="str"),
        "label": pd.Series(np.where(x + rng.normal(size=n) > 0, "hi", "lo"), dtype="str"),
    })


@pytest.fixture(scope="module")
def binary_model():
    return trained("two_class_boosted_decision_tree", frame(), "label", num_trees=10)


def binary_scored(n, seed=0, positive="yes", negative="no"):
    """A hand-made Score Model output: labels plus noisy probabilities."""
    rng = np.random.default_rng(seed)
    actual = rng.random(n) < 0.4
    proba = np.clip(actual * 0.3 + rng.random(n) * 0.7, 0, 1)
    scored = pd.DataFrame({
        "y": pd.Series(np.where(actual, positive, negative), dtype="str"),
        "Scored Labels": pd.Series(np.where(proba >= 0.5, positive, negative), dtype="str"),
        "Scored Probabilities": proba,
    })
    scored.attrs = {"label_column": "y", "task": "binary", "positive_class": positive,
                    "classes": [negative, positive]}
    return scored, actual, proba


def regression_scored(n, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, size=n)
    p = y + rng.normal(0, 1, size=n)
    scored = pd.DataFrame({"t": y, "Scored Labels": p})
    scored.attrs = {"label_column": "t", "task": "regression", "positive_class": None,
                    "classes": []}
    return scored, y, p


def evaluate(scored, compare=None):
    return run("evaluate_model", {"scored_dataset": scored,
                                  "scored_dataset_to_compare": compare})["evaluation_results"]


def test_score_appends_columns_and_metadata(binary_model):
    data = frame(40, seed=3)
    scored = run("score_model", {"trained_model": binary_model, "dataset": data})["scored_dataset"]
    assert list(scored.columns) == ["x", "kind", "label", "Scored Labels", "Scored Probabilities"]
    assert scored["Scored Labels"].dtype == "str"
    assert scored.attrs == {"label_column": "label", "task": "binary", "positive_class": "lo",
                            "classes": ["hi", "lo"]}
    proba = binary_model.pipeline.predict_proba(data.drop(columns="label"))[:, 1]
    assert np.array_equal(scored["Scored Probabilities"].to_numpy(), proba)


def test_score_only_score_columns(binary_model):
    data = frame(20, seed=4)
    params = {"append_score_columns": False}
    scored = run("score_model", {"trained_model": binary_model, "dataset": data},
                 params)["scored_dataset"]
    assert list(scored.columns) == ["label", "Scored Labels", "Scored Probabilities"]
    unlabelled = run("score_model", {"trained_model": binary_model,
                                     "dataset": data.drop(columns="label")},
                     params)["scored_dataset"]
    assert list(unlabelled.columns) == ["Scored Labels", "Scored Probabilities"]
    assert unlabelled.attrs["label_column"] == "label"


def test_score_regression_columns():
    df = load_diabetes(as_frame=True).frame
    model = trained("linear_regression", df, "target")
    scored = run("score_model", {"trained_model": model, "dataset": df},
                 {"append_score_columns": False})["scored_dataset"]
    assert list(scored.columns) == ["target", "Scored Labels"]
    assert scored.attrs["task"] == "regression" and scored.attrs["positive_class"] is None


def test_score_missing_and_extra_columns(binary_model):
    with pytest.raises(ModuleError, match=r"Score Model: .* feature column\(s\).*: x, kind"):
        run("score_model", {"trained_model": binary_model,
                            "dataset": frame()[["label"]].assign(other=1)})
    extra = frame(30, seed=5).assign(other="z", **{"Scored Labels": "stale"})
    scored = run("score_model", {"trained_model": binary_model, "dataset": extra})["scored_dataset"]
    assert list(scored.columns)[-3:] == ["other", "Scored Labels", "Scored Probabilities"]
    assert set(scored["Scored Labels"]) <= {"hi", "lo"}


def test_score_refuses_an_untrained_model():
    untrained = run("two_class_decision_forest", {})["untrained_model"]
    with pytest.raises(ModuleError, match="model trained by Train Model"):
        run("score_model", {"trained_model": untrained, "dataset": frame()})


def test_metadata_survives_parquet(tmp_path, binary_model):
    scored = run("score_model", {"trained_model": binary_model,
                                 "dataset": frame(60, seed=6)})["scored_dataset"]
    path = tmp_path / "scored.parquet"
    scored.to_parquet(path)
    back = pd.read_parquet(path)
    assert back.attrs == scored.attrs
    pd.testing.assert_frame_equal(back, scored)
    assert evaluate(back) == evaluate(scored)


def test_evaluate_needs_score_model_metadata():
    plain = pd.DataFrame({"y": [1, 0], "Scored Labels": [1, 0]})
    with pytest.raises(ModuleError, match="Evaluate Model needs a data set scored by Score Model"):
        evaluate(plain)
    scored, _, _ = binary_scored(20)
    with pytest.raises(ModuleError, match=r"input 'scored_dataset' lacks column\(s\) y"):
        evaluate(scored.drop(columns="y"))
    with pytest.raises(ModuleError, match="needs a data set scored by Score Model .*'scored_data"
                                          "set_to_compare'"):
        evaluate(scored, compare=plain)


@pytest.mark.parametrize("case", ["all_negative", "all_positive", "none_predicted",
                                  "all_predicted", "one_row"])
def test_binary_metrics_at_the_edges_are_scikit_learns(case):
    """Counts where a metric divides by zero: the numbers of scikit-learn's functions with
    zero_division=0.0, and no AUC or curves when the label has one value."""
    scored, actual, proba = binary_scored(200, seed=4)
    if case == "all_negative":
        actual[:] = False
    elif case == "all_positive":
        actual[:] = True
    elif case == "none_predicted":
        proba = proba * 0.49
    elif case == "all_predicted":
        proba = 0.5 + proba * 0.5
    elif case == "one_row":
        scored, actual, proba = scored.iloc[:1], actual[:1], proba[:1]
    scored = scored.assign(**{"y": np.where(actual, "yes", "no"),
                              "Scored Probabilities": proba})
    result = evaluate(scored)
    predicted = proba >= 0.5
    both = len(set(actual)) == 2
    assert result["metrics"] == {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "precision": metrics.precision_score(actual, predicted, zero_division=0.0),
        "recall": metrics.recall_score(actual, predicted, zero_division=0.0),
        "f1": metrics.f1_score(actual, predicted, zero_division=0.0),
        "auc": metrics.roc_auc_score(actual, proba) if both else None,
    }
    assert ("roc" in result["curves"]) is both
    tn, fp, fn, tp = metrics.confusion_matrix(actual, predicted, labels=[False, True]).ravel()
    assert result["curves"]["confusion_matrix"]["matrix"] == [[tn, fp], [fn, tp]]
    json.dumps(result, allow_nan=False)


def test_binary_metrics_and_curves():
    scored, actual, proba = binary_scored(3000)
    result = evaluate(scored)
    predicted = proba >= 0.5
    assert result["task"] == "binary" and result["label_column"] == "y"
    assert result["compare"] is None
    assert result["metrics"] == {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "precision": metrics.precision_score(actual, predicted),
        "recall": metrics.recall_score(actual, predicted),
        "f1": metrics.f1_score(actual, predicted),
        "auc": metrics.roc_auc_score(actual, proba),
    }
    assert all(type(v) is float for v in result["metrics"].values())

    fpr, tpr, thresholds = metrics.roc_curve(actual, proba)
    roc = result["curves"]["roc"]
    assert len(fpr) > 500 and len(roc["fpr"]) == len(roc["tpr"]) == len(roc["threshold"]) <= 500
    assert (roc["fpr"][0], roc["tpr"][0], roc["threshold"][0]) == (0.0, 0.0, None)  # inf
    assert (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    assert roc["threshold"][-1] == thresholds[-1]
    assert roc["fpr"] == sorted(roc["fpr"])

    precision, recall, _ = metrics.precision_recall_curve(actual, proba)
    pr = result["curves"]["pr"]
    assert len(pr["precision"]) == len(pr["recall"]) == len(pr["threshold"]) <= 500
    assert (pr["precision"][0], pr["recall"][0]) == (precision[0], recall[0])
    assert (pr["precision"][-1], pr["recall"][-1], pr["threshold"][-1]) == (1.0, 0.0, None)

    tn, fp, fn, tp = metrics.confusion_matrix(actual, predicted).ravel()
    assert result["curves"]["confusion_matrix"] == {
        "labels": ["no", "yes"], "matrix": [[tn, fp], [fn, tp]]}
    json.dumps(result, allow_nan=False)


def test_binary_counts_per_threshold_match_the_confusion_matrix_at_each():
    scored, actual, proba = binary_scored(400)
    counts = evaluate(scored)["curves"]["threshold_counts"]
    assert len(counts["threshold"]) == 101 and counts["default"] == 0.5
    for i in (0, 23, 50, 77, 100):
        threshold = counts["threshold"][i]
        tn, fp, fn, tp = metrics.confusion_matrix(actual, proba >= threshold,
                                                  labels=[False, True]).ravel()
        assert [counts[k][i] for k in ("tn", "fp", "fn", "tp")] == [tn, fp, fn, tp], threshold
    middle = evaluate(scored)["curves"]["confusion_matrix"]["matrix"]
    assert [[counts["tn"][50], counts["fp"][50]], [counts["fn"][50], counts["tp"][50]]] == middle


def test_binary_with_one_label_value_has_no_auc():
    scored, _, _ = binary_scored(50)
    scored["y"] = "no"
    result = evaluate(scored)
    assert result["metrics"]["auc"] is None
    assert "roc" not in result["curves"]
    assert result["curves"]["confusion_matrix"]["matrix"][1] == [0, 0]
    json.dumps(result, allow_nan=False)


def test_rows_with_missing_label_are_ignored():
    scored, actual, proba = binary_scored(100)
    scored.loc[:9, "y"] = np.nan
    ctx = StepContext("n1")
    result = run("evaluate_model", {"scored_dataset": scored}, ctx=ctx)["evaluation_results"]
    assert result["metrics"]["auc"] == metrics.roc_auc_score(actual[10:], proba[10:])
    assert any("ignored 10 row(s)" in line for line in ctx.lines)


def test_regression_metrics_residuals_and_histogram():
    scored, y, p = regression_scored(5000)
    result = evaluate(scored)
    assert result["task"] == "regression" and result["label_column"] == "t"
    assert result["metrics"] == pytest.approx({
        "mae": np.mean(np.abs(y - p)),
        "rmse": np.sqrt(np.mean((y - p) ** 2)),
        "r2": 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum(),
        "relative_absolute_error": np.abs(y - p).sum() / np.abs(y - y.mean()).sum(),
        "relative_squared_error": ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum(),
    }, rel=1e-12)
    assert all(type(v) is float for v in result["metrics"].values())
    residuals = result["curves"]["residuals"]
    assert len(residuals["actual"]) == len(residuals["predicted"]) == 2000
    assert (residuals["actual"][0], residuals["actual"][-1]) == (y[0], y[-1])
    assert (residuals["predicted"][0], residuals["predicted"][-1]) == (p[0], p[-1])
    histogram = result["curves"]["residual_histogram"]
    assert len(histogram["bins"]) == len(histogram["counts"]) + 1
    assert sum(histogram["counts"]) == 5000
    assert histogram["bins"][0] == (y - p).min() and histogram["bins"][-1] == (y - p).max()
    json.dumps(result, allow_nan=False)


def test_small_regression_keeps_every_point():
    scored, y, _ = regression_scored(30)
    result = evaluate(scored)
    assert result["curves"]["residuals"]["actual"] == y.tolist()


def test_compare_mode():
    first, _, _ = binary_scored(400, seed=1)
    second, _, _ = binary_scored(300, seed=2)
    result = evaluate(first, compare=second)
    alone = evaluate(second)
    del alone["compare"]
    assert result["compare"] == alone
    assert "compare" not in result["compare"]
    assert result["metrics"] != result["compare"]["metrics"]
    assert result["metrics"] == evaluate(first)["metrics"]
    json.dumps(result, allow_nan=False)


def test_compare_regression_with_binary():
    regression, _, _ = regression_scored(100)
    binary, _, _ = binary_scored(100)
    result = evaluate(regression, compare=binary)
    assert (result["task"], result["compare"]["task"]) == ("regression", "binary")


def test_numeric_positive_class_after_parquet(tmp_path):
    data = frame().assign(label=lambda d: (d["label"] == "hi").astype(int))
    model = trained("two_class_decision_forest", data, "label", num_trees=3)
    scored = run("score_model", {"trained_model": model, "dataset": data})["scored_dataset"]
    scored.to_parquet(tmp_path / "s.parquet")
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert back.attrs["positive_class"] == 1 and back.attrs["classes"] == [0, 1]
    result = evaluate(back)
    assert result["curves"]["confusion_matrix"]["labels"] == [0, 1]
    assert result["metrics"]["accuracy"] > 0.9


def multiclass_by_hand(scored):
    """Evaluate Model's multiclass figures worked out with scikit-learn from the scored rows."""
    actual, predicted = scored[scored.attrs["label_column"]], scored["Scored Labels"]
    classes = scored.attrs["classes"]
    every = {"labels": classes, "zero_division": 0.0}
    return {
        "metrics": pytest.approx({
            "overall_accuracy": metrics.accuracy_score(actual, predicted),
            "average_accuracy": np.mean([metrics.accuracy_score(actual == c, predicted == c)
                                         for c in classes]),
            **{f"{average}_{name}": score(actual, predicted, average=average, **every)
               for average in ("micro", "macro")
               for name, score in (("precision", metrics.precision_score),
                                   ("recall", metrics.recall_score))}}),
        "per_class": {"labels": classes, "precision": pytest.approx(list(
            metrics.precision_score(actual, predicted, average=None, **every))),
                      "recall": pytest.approx(list(
            metrics.recall_score(actual, predicted, average=None, **every)))},
        "curves": {"confusion_matrix": {"labels": classes, "matrix": metrics.confusion_matrix(
            actual, predicted, labels=classes).tolist()}},
    }


def clustering_by_hand(results):
    """Evaluate Model's combined and per-cluster figures worked out with pandas."""
    distances = results.filter(like="DistancesToClusterCenter").to_numpy()
    assigned = results["Assignments"].to_numpy(dtype=int)
    rows = pd.DataFrame({"cluster": assigned, "own": distances[np.arange(len(assigned)), assigned],
                         "other": [min(np.delete(d, a)) for d, a in
                                   zip(distances, assigned, strict=True)]})
    by = rows.groupby("cluster")
    return {
        "metrics": pytest.approx({"average_distance_to_cluster_center": rows["own"].mean(),
                                  "average_distance_to_other_center": rows["other"].mean(),
                                  "number_of_points": len(rows),
                                  "maximal_distance_to_cluster_center": rows["own"].max()}),
        "clusters": {"labels": sorted(set(assigned)),
                     "number_of_points": list(by.size()),
                     "average_distance_to_cluster_center": pytest.approx(list(by["own"].mean())),
                     "average_distance_to_other_center": pytest.approx(list(by["other"].mean())),
                     "maximal_distance_to_cluster_center": pytest.approx(list(by["own"].max()))},
    }


def anomaly_by_hand(scored, anomaly):
    """The two-class figures of anomaly scores, the anomaly label being the positive class."""
    actual = scored[scored.attrs["label_column"]] == anomaly
    proba = scored["Scored Probabilities"].to_numpy()
    predicted = proba >= 0.5
    tn, fp, fn, tp = metrics.confusion_matrix(actual, predicted, labels=[False, True]).ravel()
    return {
        "metrics": pytest.approx({
            "accuracy": metrics.accuracy_score(actual, predicted),
            "precision": metrics.precision_score(actual, predicted, zero_division=0.0),
            "recall": metrics.recall_score(actual, predicted, zero_division=0.0),
            "f1": metrics.f1_score(actual, predicted, zero_division=0.0),
            "auc": metrics.roc_auc_score(actual, proba)}),
        "matrix": [[tn, fp], [fn, tp]],
    }


@pytest.fixture(scope="module")
def wines():
    """The wine data (3 cultivars, text classes) shuffled and cut in 120 rows and 58."""
    data = load_wine(as_frame=True).frame.sample(frac=1.0, random_state=0)
    data = data.reset_index(drop=True)
    data["target"] = data["target"].map({0: "barolo", 1: "grignolino", 2: "barbera"})
    return data.iloc[:120].astype({"target": "str"}), data.iloc[120:].reset_index(drop=True)


def scored_by(learner, train, test, label, **params):
    model = trained(learner, train, label, **params)
    return run("score_model", {"trained_model": model, "dataset": test})["scored_dataset"]


def test_compare_two_multiclass_models(wines):
    train, test = wines
    forest = scored_by("multiclass_decision_forest", train, test, "target", num_trees=2,
                       max_depth=2)
    boosted = scored_by("multiclass_boosted_decision_tree", train, test, "target", num_trees=5)
    result = evaluate(forest, compare=boosted)
    assert (result["task"], result["compare"]["task"]) == ("multiclass", "multiclass")
    for side, scored in ((result, forest), (result["compare"], boosted)):
        expected = multiclass_by_hand(scored)
        assert side["label_column"] == "target"
        assert side["metrics"] == expected["metrics"]
        assert side["per_class"] == expected["per_class"]
        assert side["curves"] == expected["curves"]
    assert result["metrics"] != result["compare"]["metrics"]  # two models, two sets of figures
    json.dumps(result, allow_nan=False)


def test_compare_two_clusterings():
    data = load_iris(as_frame=True).frame.drop(columns="target")
    sides = []
    for centroids in (3, 4):
        untrained = run("k_means_clustering", {}, {"number_of_centroids": centroids,
                                                   "seed": 1})["untrained_model"]
        sides.append(run("train_clustering_model", {"untrained_model": untrained,
                                                    "dataset": data})["results_dataset"])
    result = evaluate(*sides)
    assert (result["task"], result["compare"]["task"]) == ("clustering", "clustering")
    for side, results in ((result, sides[0]), (result["compare"], sides[1])):
        expected = clustering_by_hand(results)
        assert side["metrics"] == expected["metrics"]
        assert side["clusters"] == expected["clusters"]
    assert len(result["clusters"]["labels"]) == 3
    assert len(result["compare"]["clusters"]["labels"]) == 4
    json.dumps(result, allow_nan=False)


def test_compare_two_anomaly_detectors(wines):
    train, test = wines
    # Barolo and grignolino are normal; barbera, the third cultivar, is the anomaly.
    normal = train[train["target"] != "barbera"].assign(target="normal").astype({"target": "str"})
    sides = []
    for components in (1, 4):
        untrained = run("pca_based_anomaly_detection", {},
                        {"components": components, "center": True})["untrained_model"]
        model = run("train_anomaly_detection_model", {"untrained_model": untrained,
                                                      "dataset": normal},
                    {"label_column": "target", "anomaly_label": "barbera"})["trained_model"]
        sides.append(run("score_model", {"trained_model": model,
                                         "dataset": test})["scored_dataset"])
    result = evaluate(*sides)
    assert (result["task"], result["compare"]["task"]) == ("anomaly_detection",
                                                           "anomaly_detection")
    for side, scored in ((result, sides[0]), (result["compare"], sides[1])):
        expected = anomaly_by_hand(scored, "barbera")
        assert side["metrics"] == expected["metrics"]
        assert side["curves"]["confusion_matrix"] == {"labels": ["normal", "barbera"],
                                                      "matrix": expected["matrix"]}
    assert result["metrics"] != result["compare"]["metrics"]
    json.dumps(result, allow_nan=False)
