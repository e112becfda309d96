"""Saved transformations: applied again they give exactly the module's own output, and on new
data they use what was learned from the training data."""

import io
import pickle

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from app.engine.context import ModuleError, StepContext
from app.engine.datastores import Datastores
from app.engine.registry import REGISTRY
from app.modules.transform import CLEANING_MODES, NORMALIZERS


def call(name, inputs, **params):
    """Call a module exactly as the engine does."""
    spec = REGISTRY[name]
    return spec.call(inputs, spec.resolve_params(params),
                     ctx=StepContext("n1", datastores=Datastores({})))


def apply(transformation, dataset):
    """Apply Transformation on a pickled round trip of the transformation (as it is stored)."""
    stored = pickle.loads(pickle.dumps(transformation))
    return call("apply_transformation", {"transformation": stored, "dataset": dataset})[
        "transformed_dataset"]


@pytest.fixture(scope="module")
def census(adult):
    """Real data with missing values in text columns, plus numeric gaps made by hand."""
    frame = adult.head(3000).copy()
    frame.loc[frame.index[::7], "age"] = np.nan
    frame.loc[frame.index[::11], "hours-per-week"] = np.nan
    return frame


def numeric_params(mode):
    return {"columns": ["age", "hours-per-week"]} if mode in ("mean", "median") else {}


@pytest.mark.parametrize("indicator", [False, True])
@pytest.mark.parametrize("mode", CLEANING_MODES)
def test_cleaning_applied_to_its_own_data_is_the_modules_output(census, mode, indicator):
    params = {"mode": mode, "generate_indicator": indicator, **numeric_params(mode)}
    if mode == "custom_substitution_value":
        params["columns"] = ["workclass", "occupation", "native-country"]
        params["replacement_value"] = "Unknown"
    out = call("clean_missing_data", {"dataset": census}, **params)
    assert_frame_equal(apply(out["cleaning_transformation"], census), out["cleaned_dataset"])


def test_cleaning_new_data_uses_what_the_training_data_taught(census):
    train, new = census.iloc[:2000], census.iloc[2000:]
    out = call("clean_missing_data", {"dataset": train}, mode="mean",
               columns=["age", "hours-per-week"])
    cleaned = apply(out["cleaning_transformation"], new)
    gaps = new["age"].isna()
    assert gaps.any()
    assert (cleaned.loc[gaps, "age"] == train["age"].mean()).all()
    assert cleaned.loc[gaps, "age"].iloc[0] != pytest.approx(new["age"].mean())
    assert_frame_equal(cleaned.loc[~gaps, ["education"]], new.loc[~gaps, ["education"]])


def test_removed_columns_are_the_training_datas(census):
    train = census.iloc[:1000]
    out = call("clean_missing_data", {"dataset": train}, mode="remove_entire_column")
    dropped = set(train.columns) - set(out["cleaned_dataset"].columns)
    assert dropped and dropped <= {"age", "hours-per-week", "workclass", "occupation",
                                   "native-country"}
    new = census.iloc[1000:].fillna({"age": 1})
    assert list(apply(out["cleaning_transformation"], new).columns) == list(
        out["cleaned_dataset"].columns)


@pytest.mark.parametrize("zero", [True, False])
@pytest.mark.parametrize("how", NORMALIZERS)
def test_normalizing_applied_to_its_own_data_is_the_modules_output(census, how, zero):
    data = census.assign(constant=5.0)
    out = call("normalize_data", {"dataset": data}, transformation=how,
               use_zero_for_constant=zero,
               columns=["age", "fnlwgt", "hours-per-week", "education-num", "constant"])
    assert_frame_equal(apply(out["transformation_function"], data), out["transformed_dataset"])


def test_normalizing_new_data_uses_the_training_statistics(census):
    train, new = census.iloc[:2000], census.iloc[2000:]
    out = call("normalize_data", {"dataset": train}, transformation="zscore")
    scaled = apply(out["transformation_function"], new)
    expected = (new["fnlwgt"] - train["fnlwgt"].mean()) / train["fnlwgt"].std(ddof=0)
    assert np.allclose(scaled["fnlwgt"], expected)
    assert scaled["fnlwgt"].mean() != pytest.approx(0, abs=1e-9)  # not re-fitted on new data


def test_applying_to_data_without_a_learned_column_names_it(census):
    out = call("normalize_data", {"dataset": census}, transformation="minmax",
               columns=["age"])
    with pytest.raises(ModuleError, match="Apply Transformation: column 'age' not in the data"):
        apply(out["transformation_function"], census.drop(columns=["age"]))
    out = call("clean_missing_data", {"dataset": census}, mode="median", columns=["age"])
    with pytest.raises(ModuleError, match="'age' is not numeric"):
        apply(out["cleaning_transformation"], census.assign(age=census["age"].astype(str)
                                                            .where(census["age"].notna())))


def test_a_column_with_nothing_to_learn_from_fails_when_it_must_be_filled():
    train = pd.DataFrame({"x": [np.nan, np.nan], "y": ["a", None]})
    out = call("clean_missing_data", {"dataset": train}, mode="mode", columns=["y"])
    new = pd.DataFrame({"x": [1.0], "y": [None]})
    assert apply(out["cleaning_transformation"], new)["y"].tolist() == ["a"]
    with pytest.raises(ModuleError, match="column 'x' has no values to compute the mode"):
        call("clean_missing_data", {"dataset": train}, mode="mode", columns=["x"])


def edge(source, out, target, into):
    return {"from": {"node": source, "port": out}, "to": {"node": target, "port": into}}


def test_a_pipeline_cleans_its_test_split_with_what_the_training_split_taught(client,
                                                                              run_queued):
    rows = "\n".join(f"{'' if i % 4 == 0 else i},{i % 3}" for i in range(1, 41))
    document = {
        "name": "Clean the test split like the training split",
        "nodes": [
            {"id": "data", "module": "enter_data_manually", "params": {"data": "x,g\n" + rows}},
            {"id": "split", "module": "split_data",
             "params": {"fraction": 0.5, "randomized": False}},
            {"id": "clean", "module": "clean_missing_data",
             "params": {"mode": "mean", "columns": ["x"]}},
            {"id": "apply", "module": "apply_transformation", "params": {}},
        ],
        "edges": [edge("data", "dataset", "split", "dataset"),
                  edge("split", "results1", "clean", "dataset"),
                  edge("clean", "cleaning_transformation", "apply", "transformation"),
                  edge("split", "results2", "apply", "dataset")],
    }
    answer = client.post("/api/v1/runs", json={"document": document})
    assert answer.status_code == 202, answer.get_json()
    run_queued()
    run = client.get(f"/api/v1/runs/{answer.get_json()['id']}").get_json()
    assert run["status"] == "Finished", run
    base = f"/api/v1/runs/{run['id']}/steps"
    first = pd.read_csv(io.BytesIO(client.get(f"{base}/split/outputs/results1").data))
    applied = pd.read_csv(io.BytesIO(client.get(f"{base}/apply/outputs/transformed_dataset").data))
    learned = first["x"].mean()
    second = pd.read_csv(io.BytesIO(client.get(f"{base}/split/outputs/results2").data))
    gaps = second["x"].isna()
    assert gaps.any() and (applied.loc[gaps, "x"] == learned).all()
    log = client.get(f"{base}/apply/logs").get_json()["log"]
    assert "applying Clean Missing Data (mean) of 1 column(s): x" in log
    kinds = {s["node_id"]: s["outputs"] for s in run["steps"]}
    assert set(kinds["clean"]) == {"cleaned_dataset", "cleaning_transformation"}
