"""Train Model (and the Learner -> Train -> Score -> Evaluate chain) against plain scikit-learn."""

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from app.engine.context import Cancelled, CancelToken, ModuleError, StepContext
from app.engine.registry import REGISTRY
from app.modules.training import TrainedModel, categories_as_text, category_of


def run(name, inputs, params=None, ctx=None):
    """Call a module through the registry exactly as the engine does; return its outputs."""
    spec = REGISTRY[name]
    return spec.call(inputs, spec.resolve_params(params or {}), ctx=ctx or StepContext("n1"))


def chain(learner, learner_params, train, test, label, compare=None):
    """Learner -> Train Model -> Score Model -> Evaluate Model; returns (model, scored, result)."""
    untrained = run(learner, {}, learner_params)["untrained_model"]
    model = run("train_model", {"untrained_model": untrained, "dataset": train},
                {"label_column": label})["trained_model"]
    scored = run("score_model", {"trained_model": model, "dataset": test})["scored_dataset"]
    result = run("evaluate_model", {"scored_dataset": scored,
                                    "scored_dataset_to_compare": compare})["evaluation_results"]
    return model, scored, result


def one_hot(categorical):
    """The plain scikit-learn encoder a data scientist would write by hand."""
    return ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
        remainder="passthrough",
    )


@pytest.fixture(scope="module")
def adult_split(adult):
    df = adult.copy()
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].fillna(df[c].mode()[0])
    df = df.drop(columns=["fnlwgt"])
    return train_test_split(df, train_size=0.7, random_state=0, shuffle=True)


def test_adult_boosted_tree_matches_plain_scikit_learn(adult_split):
    train, test = adult_split
    model, scored, result = chain(
        "two_class_boosted_decision_tree",
        {"max_leaves": 20, "min_leaf_instances": 10, "learning_rate": 0.2, "num_trees": 100,
         "seed": 0},
        train, test, "income",
    )

    x, y = train.drop(columns="income"), train["income"]
    categorical = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
    plain = Pipeline([
        ("encode", one_hot(categorical)),
        ("model", HistGradientBoostingClassifier(
            max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2, max_iter=100,
            random_state=0, early_stopping=False)),
    ]).fit(x, y)
    proba = plain.predict_proba(test.drop(columns="income"))[:, 1]
    actual = test["income"].to_numpy() == ">50K"
    predicted = proba >= 0.5

    assert model.classes == ["<=50K", ">50K"]
    assert np.array_equal(scored["Scored Probabilities"].to_numpy(), proba)
    assert result["metrics"] == {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "precision": metrics.precision_score(actual, predicted),
        "recall": metrics.recall_score(actual, predicted),
        "f1": metrics.f1_score(actual, predicted),
        "auc": metrics.roc_auc_score(actual, proba),
    }
    tn, fp, fn, tp = metrics.confusion_matrix(actual, predicted).ravel()
    assert result["curves"]["confusion_matrix"] == {
        "labels": ["<=50K", ">50K"], "matrix": [[tn, fp], [fn, tp]]}
    assert result["metrics"]["auc"] > 0.92
    assert result["metrics"]["accuracy"] > 0.86
    json.dumps(result, allow_nan=False)


@pytest.fixture(scope="module")
def diabetes():
    df = load_diabetes(as_frame=True).frame
    return train_test_split(df, train_size=0.7, random_state=0)


@pytest.mark.parametrize(
    ("learner", "params", "plain"),
    [
        ("linear_regression", {"l2_weight": 0.5}, Ridge(alpha=0.5)),
        ("boosted_decision_tree_regression", {"num_trees": 30, "seed": 1},
         HistGradientBoostingRegressor(max_leaf_nodes=20, min_samples_leaf=10,
                                       learning_rate=0.2, max_iter=30, random_state=1,
                                       early_stopping=False)),
        ("decision_forest_regression", {"num_trees": 5, "max_depth": 6, "seed": 2},
         RandomForestRegressor(n_estimators=5, max_depth=6, min_samples_leaf=1,
                               random_state=2, n_jobs=1)),
    ],
)
def test_diabetes_regression_matches_plain_scikit_learn(diabetes, learner, params, plain):
    train, test = diabetes
    model, scored, result = chain(learner, params, train, test, "target")

    plain.fit(train.drop(columns="target"), train["target"])
    y = test["target"].to_numpy()
    p = plain.predict(test.drop(columns="target"))
    assert model.task == "regression" and model.classes == []
    assert np.array_equal(scored["Scored Labels"].to_numpy(), p)
    assert result["metrics"] == {
        "mae": metrics.mean_absolute_error(y, p),
        "rmse": float(np.sqrt(metrics.mean_squared_error(y, p))),
        "r2": metrics.r2_score(y, p),
        "relative_absolute_error": np.abs(y - p).sum() / np.abs(y - y.mean()).sum(),
        "relative_squared_error": ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum(),
    }
    assert 0.2 < result["metrics"]["r2"] < 0.7


def small_frame(n=200, seed=0):
    """Numbers, a text column and a label that depends on both."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    score = x + (colour == "red") * 1.5 + rng.normal(scale=0.5, size=n)
    return pd.DataFrame({
        "x": x,
        "z": rng.normal(size=n),
        "colour": pd.Series(colour, dtype="str"),
        "label": pd.Series(np.where(score > 0.5, "yes", "no"), dtype="str"),
    })


@pytest.mark.parametrize(
    ("learner", "params", "plain"),
    [
        ("two_class_decision_forest", {"num_trees": 4, "max_depth": 5, "seed": 3},
         RandomForestClassifier(n_estimators=4, max_depth=5, min_samples_leaf=1,
                                random_state=3, n_jobs=1)),
        ("two_class_logistic_regression", {"l1_weight": 0.0, "l2_weight": 1.0},
         LogisticRegression(C=1.0, tol=1e-7, max_iter=100, random_state=0)),
        ("two_class_logistic_regression", {"l1_weight": 0.5, "l2_weight": 0.5,
                                           "max_iterations": 1000},
         LogisticRegression(C=1.0, l1_ratio=0.5, solver="saga", tol=1e-7, max_iter=1000,
                            random_state=0)),
    ],
)
def test_small_frame_classifiers_match_plain_scikit_learn(learner, params, plain):
    train, test = small_frame(seed=0), small_frame(n=80, seed=1)
    model, scored, result = chain(learner, params, train, test, "label")

    x = train.drop(columns="label")
    expected = Pipeline([("encode", one_hot(["colour"])), ("model", plain)])
    expected.fit(x, train["label"])
    proba = expected.predict_proba(test.drop(columns="label"))[:, 1]
    assert model.classes == ["no", "yes"]
    assert model.feature_columns == ["x", "z", "colour"]
    assert np.array_equal(scored["Scored Probabilities"].to_numpy(), proba)
    assert scored["Scored Labels"].tolist() == np.where(proba >= 0.5, "yes", "no").tolist()
    assert result["metrics"]["auc"] == metrics.roc_auc_score(test["label"] == "yes", proba)
    assert result["metrics"]["accuracy"] > 0.7


def test_train_logs_rows_features_and_time():
    ctx = StepContext("n1")
    untrained = run("two_class_decision_forest", {}, {"num_trees": 2})["untrained_model"]
    out = run("train_model", {"untrained_model": untrained, "dataset": small_frame()},
              {"label_column": "label"}, ctx=ctx)
    model = out["trained_model"]
    assert isinstance(model, TrainedModel)
    assert (model.label_column, model.task) == ("label", "binary")
    text = "\n".join(ctx.lines)
    assert "200 rows, 3 features (1 categorical: colour)" in text
    assert "fitted in" in text


def test_categorical_missing_values_of_every_kind():
    n = 120
    rng = np.random.default_rng(5)
    label = rng.choice(["a", "b"], size=n)
    # A missing value is its own category: here it alone announces label "b".
    hint = np.where(label == "b", None, "known")
    frame = pd.DataFrame({
        "str_col": pd.Series(hint, dtype="str"),
        "string_na": pd.Series(hint, dtype="string"),
        "category": pd.Series(hint, dtype="category"),
        "boolean": pd.Series([None if v is None else True for v in hint], dtype="boolean"),
        "flag": pd.Series(rng.random(n) > 0.5),
        "mixed": pd.Series([1 if i % 2 else "one" for i in range(n)], dtype=object),
        "label": pd.Series(label, dtype="str"),
    })
    assert frame["str_col"].isna().sum() == (label == "b").sum() > 0
    untrained = run("two_class_decision_forest", {}, {"num_trees": 3})["untrained_model"]
    ctx = StepContext("n1")
    model = run("train_model", {"untrained_model": untrained, "dataset": frame},
                {"label_column": "label"}, ctx=ctx)["trained_model"]
    assert "6 categorical" in "\n".join(ctx.lines)
    scored = run("score_model", {"trained_model": model, "dataset": frame})["scored_dataset"]
    assert scored["Scored Labels"].tolist() == label.tolist()
    # Unseen levels at scoring time are ignored, not an error.
    unseen = frame.assign(str_col="never seen", mixed=2.5)
    run("score_model", {"trained_model": model, "dataset": unseen})


def test_categories_as_text_is_category_of_each_value():
    """The encoder's input: pandas' default text columns skip the per-value visit and must
    come out as category_of makes them, missing values of every kind as np.nan."""
    hint = ["a", None, "b", np.nan, "a"]
    frame = pd.DataFrame({
        "str_col": pd.Series(hint, dtype="str"),
        "string_na": pd.Series(hint, dtype="string"),
        "object": pd.Series(hint, dtype=object),
        "category": pd.Series(hint, dtype="category"),
        "numeric_category": pd.Series([1, 2, None, 1, 2], dtype="category"),
        "boolean": pd.Series([True, None, False, True, None], dtype="boolean"),
        "flag": pd.Series([True, False, True, True, False]),
        "mixed": pd.Series([1, "one", pd.NA, 2.5, pd.NaT], dtype=object),
        "lists": pd.Series([[1], "x", None, (2,), "y"], dtype=object),
    })
    out = categories_as_text(frame)
    for i, name in enumerate(frame.columns):
        expected = [category_of(v) for v in frame[name].astype(object)]
        got = list(out[:, i])
        assert [type(v) for v in got] == [type(v) for v in expected], name
        assert [v for v in got if isinstance(v, str)] == \
            [v for v in expected if isinstance(v, str)], name
    assert out[:, 0].tolist()[::2] == ["a", "b", "a"]
    assert all(isinstance(v, float) and np.isnan(v) for v in out[[1, 3], 0])


def test_rows_with_missing_label_are_dropped_and_logged():
    frame = small_frame()
    frame.loc[[3, 10, 50], "label"] = np.nan
    assert frame["label"].dtype == "str"
    ctx = StepContext("n1")
    untrained = run("two_class_boosted_decision_tree", {}, {"num_trees": 5})["untrained_model"]
    model = run("train_model", {"untrained_model": untrained, "dataset": frame},
                {"label_column": "label"}, ctx=ctx)["trained_model"]
    assert any("dropped 3 row(s) with a missing label 'label'" in line for line in ctx.lines)
    assert "197 rows" in "\n".join(ctx.lines)
    assert model.classes == ["no", "yes"]


def test_joblib_round_trip_scores_identically(tmp_path):
    train, test = small_frame(seed=0), small_frame(n=50, seed=2)
    untrained = run("two_class_boosted_decision_tree", {}, {"num_trees": 10})["untrained_model"]
    model = run("train_model", {"untrained_model": untrained, "dataset": train},
                {"label_column": "label"})["trained_model"]
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert isinstance(loaded, TrainedModel)
    before = run("score_model", {"trained_model": model, "dataset": test})["scored_dataset"]
    after = run("score_model", {"trained_model": loaded, "dataset": test})["scored_dataset"]
    pd.testing.assert_frame_equal(before, after)
    assert before.attrs == after.attrs


def test_untrained_model_is_not_fitted_in_place():
    untrained = run("two_class_decision_forest", {}, {"num_trees": 2})["untrained_model"]
    run("train_model", {"untrained_model": untrained, "dataset": small_frame()},
        {"label_column": "label"})
    assert not hasattr(untrained, "estimators_")


def train(learner, frame, label, learner_params=None):
    untrained = run(learner, {}, learner_params or {})["untrained_model"]
    return run("train_model", {"untrained_model": untrained, "dataset": frame},
               {"label_column": label})


@pytest.mark.parametrize(
    ("learner", "frame", "label", "message"),
    [
        ("two_class_decision_forest", small_frame(), "incme",
         r"Train Model: label column 'incme' is not in the data set \(columns: x, z, colour, "
         r"label\)"),
        ("two_class_decision_forest", small_frame(), "x",
         r"label column 'x' holds 200 distinct numbers.*regression learner"),
        ("two_class_boosted_decision_tree", small_frame().assign(label=[0, 1, 2, 3] * 50), "label",
         r"exactly 2 distinct values; label column 'label' has 4 \(0, 1, 2, 3\)"),
        ("decision_forest_regression", small_frame(), "label",
         r"regression learner \(RandomForestRegressor\) needs a numeric label; label column "
         r"'label'"),
        ("linear_regression", small_frame().assign(z=[np.nan] + [1.0] * 199), "x",
         r"Ridge cannot handle missing values; numeric column\(s\) 'z'"),
        ("two_class_decision_forest", small_frame().assign(label=np.nan), "label",
         r"no rows with a value in label column 'label'"),
        ("two_class_decision_forest", small_frame()[["label"]], "label",
         r"no column besides the label"),
    ],
)
def test_train_errors_name_the_culprit(learner, frame, label, message):
    with pytest.raises(ModuleError, match=message):
        train(learner, frame, label)


def test_numeric_two_valued_label_is_binary():
    frame = small_frame().assign(label=lambda d: (d["label"] == "yes").astype(float))
    model = train("two_class_decision_forest", frame, "label")["trained_model"]
    assert model.classes == [0.0, 1.0] and type(model.classes[1]) is float


def test_cancelled_run_stops_before_fitting():
    token = CancelToken()
    token.cancel()
    untrained = run("two_class_decision_forest", {}, {})["untrained_model"]
    with pytest.raises(Cancelled):
        run("train_model", {"untrained_model": untrained, "dataset": small_frame()},
            {"label_column": "label"}, ctx=StepContext("n1", token=token))


def test_logistic_regression_non_convergence_is_logged():
    ctx = StepContext("n1")
    untrained = run("two_class_logistic_regression", {}, {"max_iterations": 1})["untrained_model"]
    with pytest.warns(ConvergenceWarning):
        run("train_model", {"untrained_model": untrained, "dataset": small_frame()},
            {"label_column": "label"}, ctx=ctx)
    assert any("stopped at max_iterations=1 before converging" in line for line in ctx.lines)
