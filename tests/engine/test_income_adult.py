"""The sample Income prediction pipeline on the real UCI Adult data equals plain scikit-learn.

Data: UCI Adult (Becker & Kohavi 1996, doi:10.24432/C5XW20), CC BY 4.0, read from the shared
reference folder beside the checkout (skipped locally when absent, a failure under CI).
"""

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from app.engine.artifacts import ArtifactStore
from app.engine.backends.local import LocalBackend
from app.engine.datastores import Datastores
from app.engine.document import PipelineDocument
from app.engine.executor import execute, make_plan
from app.engine.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
INCOME_DOC = ROOT / "sample_data" / "pipelines" / "income_prediction.json"
POSITIVE = ">50K"


@pytest.fixture(scope="module")
def adult_csv(adult, tmp_path_factory) -> Path:
    """The real Adult rows as a headered CSV in a temporary folder (the datastore root)."""
    folder = tmp_path_factory.mktemp("adult_store")
    adult.to_csv(folder / "adult.csv", index=False)
    return folder


@pytest.fixture
def backend():
    b = LocalBackend(2)
    yield b
    b.shutdown()


def plain_income_metrics(csv: Path) -> dict:
    """The Income document's steps written as plain pandas / scikit-learn."""
    df = pd.read_csv(csv)
    before = df.dtypes.copy()
    # Clean Missing Data "mode": every column's gaps take that column's first (smallest) mode.
    df = df.fillna(df.mode().iloc[0])
    assert not df.isna().any().any()
    pd.testing.assert_series_equal(df.dtypes, before)
    df = df.drop(columns=["fnlwgt"])
    train, test = train_test_split(df, train_size=0.7, random_state=0, shuffle=True)
    features = [c for c in df.columns if c != "income"]
    text = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    model = Pipeline([
        ("encode", ColumnTransformer(
            [("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), text)],
            remainder="passthrough",
        )),
        ("model", HistGradientBoostingClassifier(
            max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2, max_iter=100,
            random_state=0, early_stopping=False,
        )),
    ])
    model.fit(train[features], train["income"])
    assert list(model.classes_) == ["<=50K", POSITIVE]
    proba = model.predict_proba(test[features])[:, 1]
    predicted = model.predict(test[features])
    actual = test["income"]
    return {
        "accuracy": skm.accuracy_score(actual, predicted),
        "precision": skm.precision_score(actual, predicted, pos_label=POSITIVE),
        "recall": skm.recall_score(actual, predicted, pos_label=POSITIVE),
        "f1": skm.f1_score(actual, predicted, pos_label=POSITIVE),
        "auc": skm.roc_auc_score(actual == POSITIVE, proba),
    }


def run_income(store: ArtifactStore, backend, folder: Path, run_id: str):
    """The sample Income prediction document, its training data bound to ``folder``."""
    doc = PipelineDocument.model_validate(json.loads(INCOME_DOC.read_text()))
    plan = make_plan(doc, REGISTRY, {"training_data": {"datastore": "adult", "path": "adult.csv"}})
    return execute(plan, store, backend, datastores=Datastores({"adult": folder}), run_id=run_id)


def test_income_document_on_adult_equals_plain_sklearn(adult_csv, tmp_path, backend):
    store = ArtifactStore(tmp_path / "artifacts")
    first = run_income(store, backend, adult_csv, "r1")
    assert first.status == "Finished", {n: s.error for n, s in first.steps.items() if s.error}
    assert {s.status for s in first.steps.values()} == {"Finished"}

    engine = first.steps["evaluate"].metrics
    plain = plain_income_metrics(adult_csv / "adult.csv")
    assert engine == plain
    # A sanity floor, so a pipeline and its mirror broken the same way still fail.
    assert 0.90 < engine["auc"] < 0.96
    assert 0.84 < engine["accuracy"] < 0.90

    scored = store.get(first.steps["score"].outputs["scored_dataset"])
    assert len(scored) == 32561 - 22792  # train_test_split keeps floor(0.7 * n) for training
    assert {"Scored Labels", "Scored Probabilities"} <= set(scored.columns)

    second = run_income(store, backend, adult_csv, "r2")
    assert second.status == "Finished"
    assert {n: s.status for n, s in second.steps.items()} == dict.fromkeys(first.steps, "Reused")
    assert all(s.reused_from == "r1" for s in second.steps.values())
    assert second.steps["evaluate"].metrics == engine
    assert {n: s.outputs for n, s in second.steps.items()} == {
        n: s.outputs for n, s in first.steps.items()
    }
