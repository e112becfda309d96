"""The Automobile price regression sample on the real UCI Automobile data equals plain
pandas / scikit-learn, and runs on its shipped synthetic file.

Data: UCI Automobile, "1985 Auto Imports Database" (Schlimmer 1987, doi:10.24432/C5B01C),
CC BY 4.0, read where it lies in the shared reference folder beside the checkout (skipped
locally when absent, a failure under CI).
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from app.engine.artifacts import ArtifactStore
from app.engine.backends.local import LocalBackend
from app.engine.datastores import Datastores
from app.engine.document import PipelineDocument
from app.engine.executor import execute, make_plan
from app.engine.registry import REGISTRY
from tests.api.test_export import run_script
from tests.conftest import AUTOMOBILE_COLUMNS
from tests.engine.test_export import script_of

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "sample_data" / "pipelines" / "regression_automobile_price.json"
STEPS = ["import", "select", "clean", "split", "learner", "train", "score", "evaluate"]


@pytest.fixture
def backend():
    b = LocalBackend(2)
    yield b
    b.shutdown()


def plain_price_metrics(frame: pd.DataFrame) -> dict:
    """The sample's steps written as plain pandas / scikit-learn."""
    df = frame.drop(columns=["normalized-losses"]).dropna().reset_index(drop=True)
    train, test = train_test_split(df, train_size=0.7, random_state=0, shuffle=True)
    features = [c for c in df.columns if c != "price"]
    text = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    model = Pipeline([
        ("encode", ColumnTransformer(
            [("text", OneHotEncoder(handle_unknown="ignore", sparse_output=False), text)],
            remainder="passthrough")),
        ("model", Ridge(alpha=0.001)),  # Linear Regression's default L2 weight
    ])
    model.fit(train[features], train["price"])
    y = test["price"].to_numpy(dtype=float)
    p = model.predict(test[features])
    return {
        "mae": skm.mean_absolute_error(y, p),
        "rmse": math.sqrt(skm.mean_squared_error(y, p)),
        "r2": skm.r2_score(y, p),
        "relative_absolute_error": float(np.abs(y - p).sum() / np.abs(y - y.mean()).sum()),
        "relative_squared_error": float(((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()),
    }


def run_sample(tmp_path, backend, datastores, training_data, headerless=False):
    """The shipped document, its training data bound to ``training_data``; Import Data reads
    the UCI file's layout (no header row, '?' for missing) when ``headerless``."""
    raw = json.loads(DOC.read_text())
    if headerless:
        node = next(n for n in raw["nodes"] if n["id"] == "import")
        node["params"] |= {"header": False, "column_names": ",".join(AUTOMOBILE_COLUMNS),
                           "na_values": "?"}
    doc = PipelineDocument.model_validate(raw)
    plan = make_plan(doc, REGISTRY, {"training_data": training_data})
    result = execute(plan, ArtifactStore(tmp_path / "artifacts"), backend,
                     datastores=Datastores(datastores), run_id="r1")
    assert result.status == "Finished", {n: s.error for n, s in result.steps.items() if s.error}
    assert sorted(result.steps) == sorted(STEPS)
    return result


def test_sample_on_the_uci_automobile_data_equals_plain_sklearn(shared_data, automobile,
                                                               tmp_path, backend):
    result = run_sample(tmp_path, backend, {"uci": shared_data},
                        {"datastore": "uci", "path": "imports-85.data"}, headerless=True)
    engine = result.steps["evaluate"].metrics
    plain = plain_price_metrics(automobile)
    assert engine.keys() == plain.keys()
    for name, value in plain.items():
        assert engine[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
    # A sanity floor, so a pipeline and its mirror broken the same way still fail.
    assert 0.75 < engine["r2"] < 1.0
    assert 1000 < engine["mae"] < 4000


def test_sample_on_its_synthetic_file_equals_plain_sklearn(tmp_path, backend):
    result = run_sample(tmp_path, backend, {"samples": ROOT / "sample_data"},
                        {"datastore": "samples", "path": "automobile/automobile.csv"})
    engine = result.steps["evaluate"].metrics
    plain = plain_price_metrics(pd.read_csv(ROOT / "sample_data/automobile/automobile.csv"))
    for name, value in plain.items():
        assert engine[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
    assert 0.75 < engine["r2"] < 1.0


def test_the_exported_script_gives_the_samples_metrics(tmp_path, backend):
    result = run_sample(tmp_path, backend, {"samples": ROOT / "sample_data"},
                        {"datastore": "samples", "path": "automobile/automobile.csv"})
    printed = run_script(script_of(json.loads(DOC.read_text())), tmp_path)
    assert printed == {"evaluate": result.steps["evaluate"].metrics}
