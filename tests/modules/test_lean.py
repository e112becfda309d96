"""The lean scoring path gives what the fitted Pipeline gives, bit for bit, on real data."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from app.modules.lean import LeanPipeline, lean
from app.modules.training import build_pipeline, is_categorical


def fitted(frame: pd.DataFrame, label: str, estimator):
    features = frame.drop(columns=[label])
    categorical = [c for c in features.columns if is_categorical(features[c])]
    return build_pipeline(estimator, categorical).fit(features, frame[label]), features


def odd_rows(features: pd.DataFrame) -> pd.DataFrame:
    """Rows a request may send: unknown categories, missing values, every text missing."""
    rows = features.iloc[:4].copy()
    text = [c for c in rows.columns if is_categorical(rows[c])]
    rows = rows.astype({c: object for c in text})
    rows.loc[rows.index[0], text[0]] = "Atlantis"
    rows.loc[rows.index[1], text[1]] = None
    rows.loc[rows.index[2], text] = np.nan
    rows.loc[rows.index[3], text[-1]] = 42  # a number where text was
    rows.loc[rows.index[3], text[0]] = True
    rows.loc[rows.index[0], text[-2]] = pd.NA
    return rows


@pytest.fixture(scope="module")
def income(adult):
    return adult.drop(columns=["fnlwgt"]).iloc[:6000]


@pytest.mark.parametrize("estimator", [
    HistGradientBoostingClassifier(max_iter=30, random_state=0),
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
], ids=["boosted trees", "scaled logistic regression"])
def test_two_class_probabilities_and_labels_are_the_pipelines(income, estimator):
    pipeline, features = fitted(income, "income", estimator)
    served = lean(pipeline)
    assert isinstance(served, LeanPipeline)
    held_out = features.iloc[-500:]
    for rows in (held_out, held_out.iloc[[7]], odd_rows(held_out)):
        assert served.encode(rows) is not None  # encoded here, not by the Pipeline
        assert np.array_equal(served.predict_proba(rows), pipeline.predict_proba(rows))
        assert np.array_equal(served.predict(rows), pipeline.predict(rows))
    assert list(served.classes_) == list(pipeline.classes_)


def test_a_model_without_text_columns_and_a_regression(automobile):
    iris = load_iris(as_frame=True).frame
    pipeline, features = fitted(iris, "target", LogisticRegression(max_iter=500))
    served = lean(pipeline)
    assert isinstance(served, LeanPipeline) and served.categorical == []
    assert served.encode(features) is not None
    assert np.array_equal(served.predict_proba(features), pipeline.predict_proba(features))

    cars = automobile.dropna(subset=["price"])
    pipeline, features = fitted(cars, "price", HistGradientBoostingRegressor(random_state=0))
    served = lean(pipeline)
    assert isinstance(served, LeanPipeline) and served.encode(features) is not None
    assert np.array_equal(served.predict(features), pipeline.predict(features))


def test_nullable_numbers_go_through_the_pipeline_and_other_pipelines_stay_as_they_are(income):
    pipeline, features = fitted(income, "income", HistGradientBoostingClassifier(max_iter=5))
    served = lean(pipeline)
    rows = features.iloc[:5].astype({"age": "Int64"})
    assert served.encode(rows) is None
    assert np.array_equal(served.predict_proba(rows), pipeline.predict_proba(rows))

    other = build_pipeline(HistGradientBoostingClassifier(max_iter=5), ["sex"])
    other.steps[0][1].transformers[0][1].steps[1] = ("one_hot", OneHotEncoder(drop="first"))
    other.fit(features[["sex", "age"]], income["income"])
    assert lean(other) is other


def test_a_trained_model_is_served_through_the_lean_pipeline(income):
    from app.engine.inference import _served
    from app.modules.training import TrainedModel

    pipeline, features = fitted(income, "income", HistGradientBoostingClassifier(max_iter=5))
    model = TrainedModel(pipeline, "income", list(features.columns), "binary",
                         list(pipeline.classes_))
    served = _served(model)
    assert isinstance(served.pipeline, LeanPipeline) and model.pipeline is pipeline
    assert served.feature_columns == model.feature_columns
    assert _served("not a model") == "not a model"
