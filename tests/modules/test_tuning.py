"""Create trainer mode and Tune Model Hyperparameters: the Parameter Range fields, and sweeps
whose results and best model equal scikit-learn code written by hand on the same data and
seed."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.model_selection import KFold, ParameterGrid, ParameterSampler

from app.engine.context import ModuleError, StepContext
from app.engine.registry import REGISTRY
from app.engine.spec import ParamError
from tests.modules.test_evaluation import run

SWEPT = ["two_class_logistic_regression", "two_class_boosted_decision_tree",
         "two_class_decision_forest", "multiclass_logistic_regression",
         "multiclass_boosted_decision_tree", "multiclass_decision_forest",
         "boosted_decision_tree_regression", "decision_forest_regression",
         "neural_network_regression", "poisson_regression"]


def frame(data, label):
    return data.frame.rename(columns={data.frame.columns[-1]: label})


def ranged(learner, **ranges):
    params = {"create_trainer_mode": "parameter_range"} | {f"{k}_range": v
                                                          for k, v in ranges.items()}
    return run(learner, {}, params)["untrained_model"]


def tune(model, training, label, validation=None, ctx=None, **params):
    inputs = {"untrained_model": model, "training_dataset": training,
              "validation_dataset": validation}
    return run("tune_model_hyperparameters", inputs, {"label_column": label, **params}, ctx=ctx)


@pytest.mark.parametrize("learner", SWEPT)
def test_swept_learners_show_single_fields_or_range_fields_by_mode(learner):
    spec = REGISTRY[learner]
    mode = spec.param("create_trainer_mode")
    assert mode.default == "single_parameter"
    assert mode.describe()["option_labels"] == {"single_parameter": "Single Parameter",
                                                "parameter_range": "Parameter Range"}
    ranges = [p for p in spec.params if p.name.endswith("_range")]
    assert ranges
    for field in ranges:
        single = spec.param(field.name.removesuffix("_range"))
        assert single.when == {"create_trainer_mode": "single_parameter"}
        assert field.describe()["when"] == {"create_trainer_mode": ["parameter_range"]}
        assert field.label == f"{single.label} (range)"


def test_boosted_tree_ranges_default_to_azures_values():
    values = REGISTRY["two_class_boosted_decision_tree"].resolve_params(
        {"create_trainer_mode": "parameter_range"})
    assert values["max_leaves_range"] == [2, 8, 32, 128]
    assert values["min_leaf_instances_range"] == [1, 10, 50]
    assert values["learning_rate_range"] == [0.025, 0.05, 0.1, 0.2, 0.4]
    assert values["num_trees_range"] == [20, 100, 500]


@pytest.mark.parametrize("text, values", [
    ("0.1; 0.2; 0.5", [0.1, 0.2, 0.5]),
    ("0.1, 0.2,0.1", [0.1, 0.2]),
    ("0.01:1:3:log", [0.01, 0.1, 1.0]),
    ("0.1:0.3:3; 0.5", [0.1, 0.2, 0.3, 0.5]),
])
def test_a_range_is_a_list_or_a_range_builder(text, values):
    resolved = REGISTRY["two_class_logistic_regression"].resolve_params(
        {"create_trainer_mode": "parameter_range", "l2_weight_range": text})
    assert resolved["l2_weight_range"] == values


def test_an_int_range_builder_rounds_and_drops_repeats():
    resolved = REGISTRY["multiclass_decision_forest"].resolve_params(
        {"create_trainer_mode": "parameter_range", "num_trees_range": "1:100:3:log; 10"})
    assert resolved["num_trees_range"] == [1, 10, 100]


@pytest.mark.parametrize("text, why", [
    ("0.1; 2", r"'2' is not a float in the range \[1e-06, 1.0\]"),
    ("0.1; fast", "'fast' is not a float"),
    ("0:1:3:log", "a log scale needs bounds above 0"),
    ("0.1:0.5", "is not min:max:count"),
    (" ; ", "no value given"),
])
def test_a_bad_range_is_refused_naming_the_field(text, why):
    with pytest.raises(ParamError, match=r"The 'learning_rate_range' parameter of Two-Class "
                                         r"Boosted Decision Tree must be values separated by "
                                         r"';'.*" + why):
        REGISTRY["two_class_boosted_decision_tree"].resolve_params(
            {"create_trainer_mode": "parameter_range", "learning_rate_range": text})


def test_range_fields_are_not_checked_in_single_parameter_mode():
    resolved = REGISTRY["two_class_boosted_decision_tree"].resolve_params(
        {"learning_rate_range": "", "learning_rate": 0.3})
    assert resolved["learning_rate"] == 0.3


def test_train_model_refuses_a_learner_in_parameter_range_mode():
    data = frame(load_diabetes(as_frame=True), "progression")
    with pytest.raises(ModuleError, match=r"Train Model: the learner \(Boosted Decision Tree "
                                          r"Regression\) is in Parameter Range mode; connect it "
                                          "to Tune Model Hyperparameters"):
        run("train_model", {"untrained_model": ranged("boosted_decision_tree_regression"),
                            "dataset": data}, {"label_column": "progression"})


def forest(values):
    return RandomForestClassifier(n_estimators=values["num_trees"], max_depth=values["max_depth"],
                                  min_samples_leaf=values["min_samples_per_leaf"],
                                  random_state=0, n_jobs=1)


def test_random_sweep_cross_validates_as_plain_code_does():
    """No validation data: each combination's metrics are its means over 10 seeded folds."""
    data = frame(load_iris(as_frame=True), "species")
    ranges = {"num_trees": [1, 4, 8], "max_depth": [1, 3, 16], "min_samples_per_leaf": [1, 8]}
    model = ranged("multiclass_decision_forest", num_trees="1; 4; 8", max_depth="1; 3; 16",
                   min_samples_per_leaf="1; 8")
    ctx = StepContext("tune")
    out = tune(model, data, "species", ctx=ctx, max_runs=4, seed=3, classification_metric="f_score")
    results = out["sweep_results"]

    features, label = data.drop(columns="species"), data["species"]
    splits = list(KFold(10, shuffle=True, random_state=3).split(features))
    expected = []
    for run_number, values in enumerate(ParameterSampler(ranges, 4, random_state=3), start=1):
        accuracy, f_score = [], []
        for train, held in splits:
            fit = forest(values).fit(features.iloc[train], label.iloc[train])
            predicted = fit.predict(features.iloc[held])
            accuracy.append(metrics.accuracy_score(label.iloc[held], predicted))
            f_score.append(metrics.f1_score(label.iloc[held], predicted, average="macro",
                                            zero_division=0.0))
        expected.append({"Run": run_number, "Number of decision trees": values["num_trees"],
                         "Maximum depth of the decision trees": values["max_depth"],
                         "Minimum number of samples per leaf node":
                             values["min_samples_per_leaf"],
                         "Accuracy": np.mean(accuracy), "F-Score": np.mean(f_score)})
    expected = pd.DataFrame(expected).sort_values("F-Score", ascending=False, kind="stable")
    assert list(results.columns[:4]) == ["Run", "Number of decision trees",
                                         "Maximum depth of the decision trees",
                                         "Minimum number of samples per leaf node"]
    assert list(results["Run"]) == list(expected["Run"])
    for name in expected.columns:
        np.testing.assert_allclose(results[name], expected[name], rtol=1e-12)

    best = expected.iloc[0]
    by_hand = forest({"num_trees": int(best["Number of decision trees"]),
                      "max_depth": int(best["Maximum depth of the decision trees"]),
                      "min_samples_per_leaf": int(best["Minimum number of samples per leaf node"])})
    by_hand.fit(features, label)
    trained = out["trained_best_model"]
    np.testing.assert_array_equal(trained.pipeline.predict_proba(features),
                                  by_hand.predict_proba(features))
    log = "\n".join(ctx.lines)
    assert "4 combination(s), measured on 10-fold cross-validation" in log
    assert "run 4/4: num_trees=" in log


def test_entire_grid_on_validation_data_ranks_regression_by_the_chosen_metric():
    data = frame(load_diabetes(as_frame=True), "progression")
    training, validation = data.iloc[:300], data.iloc[300:]
    ranges = {"max_leaves": [2, 8], "learning_rate": [0.1, 0.4], "num_trees": [5, 20]}
    model = ranged("boosted_decision_tree_regression", max_leaves="2; 8",
                   min_leaf_instances="10", learning_rate="0.1; 0.4", num_trees="5;20")
    out = tune(model, training, "progression", validation, sweeping_mode="entire_grid",
               regression_metric="coefficient_of_determination")
    results = out["sweep_results"]
    assert len(results) == 8
    features = validation.drop(columns="progression")
    r2 = {}
    for values in ParameterGrid(ranges):
        fit = HistGradientBoostingRegressor(
            max_leaf_nodes=values["max_leaves"], min_samples_leaf=10,
            learning_rate=values["learning_rate"], max_iter=values["num_trees"], random_state=0,
            early_stopping=False).fit(training.drop(columns="progression"),
                                      training["progression"])
        key = (values["max_leaves"], values["learning_rate"], values["num_trees"])
        r2[key] = metrics.r2_score(validation["progression"], fit.predict(features))
    got = {(row["Maximum number of leaves per tree"], row["Learning rate"],
            row["Number of trees constructed"]): row["Coefficient of Determination"]
           for _, row in results.iterrows()}
    assert got == pytest.approx(r2, rel=1e-12)
    assert list(results["Coefficient of Determination"]) == sorted(r2.values(), reverse=True)
    # runs are numbered in scikit-learn's ParameterGrid order
    in_order = results.sort_values("Run")
    assert list(zip(in_order["Maximum number of leaves per tree"], in_order["Learning rate"],
                    in_order["Number of trees constructed"], strict=True)) == list(r2)


def test_a_loss_metric_ranks_smallest_first_for_two_classes():
    data = frame(load_breast_cancer(as_frame=True), "diagnosis")
    model = ranged("two_class_decision_forest", num_trees="2; 6", max_depth="2; 8",
                   min_samples_per_leaf="1")
    out = tune(model, data.iloc[:350], "diagnosis", data.iloc[350:],
               sweeping_mode="entire_grid", classification_metric="average_log_loss")
    losses = list(out["sweep_results"]["Average Log Loss"])
    assert losses == sorted(losses) and len(losses) == 4
    assert set(out["sweep_results"].columns) >= {"Accuracy", "Precision", "Recall", "F-Score",
                                                 "AUC", "Average Log Loss"}


def test_a_random_sweep_larger_than_the_grid_tries_each_combination_once():
    data = frame(load_diabetes(as_frame=True), "progression").iloc[:120]
    ctx = StepContext("tune")
    out = tune(ranged("decision_forest_regression", num_trees="2; 3", max_depth="4",
                      min_samples_per_leaf="1"), data, "progression", ctx=ctx, max_runs=5)
    assert sorted(out["sweep_results"]["Number of decision trees"]) == [2, 3]
    assert any("fewer than the 5 runs asked" in line for line in ctx.lines)


def test_a_single_parameter_learner_is_one_run():
    data = frame(load_diabetes(as_frame=True), "progression").iloc[:120]
    model = run("linear_regression", {})["untrained_model"]
    out = tune(model, data, "progression")
    assert len(out["sweep_results"]) == 1
    assert out["trained_best_model"].task == "regression"


def test_validation_data_without_the_label_is_refused_by_name():
    data = frame(load_diabetes(as_frame=True), "progression").iloc[:120]
    with pytest.raises(ModuleError, match="Tune Model Hyperparameters: the validation data set "
                                          "has no label column 'progression'"):
        tune(ranged("decision_forest_regression"), data, "progression",
             data.drop(columns="progression"))


def test_an_entire_grid_beyond_the_run_limit_is_refused():
    data = frame(load_diabetes(as_frame=True), "progression").iloc[:120]
    model = ranged("boosted_decision_tree_regression", max_leaves="2:100:30",
                   min_leaf_instances="1:100:30", learning_rate="0.01:1:20", num_trees="20")
    with pytest.raises(ModuleError, match="has 18000 combinations, more than 10000"):
        tune(model, data, "progression", sweeping_mode="entire_grid")
