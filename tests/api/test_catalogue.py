"""The module catalogue over HTTP: every module listed, the new modules' design-time columns,
runs through them, and their bad values and missing columns answered by name."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from app.engine.registry import REGISTRY
from tests.api.test_runs import finished_run, submit
from tests.conftest import ROOT

SOURCE = {"source": "datastore", "path": {"datastore": "samples", "path": "income/us.csv"},
          "format": "csv", "header": True}
NEW = {"add_columns", "add_rows", "apply_math_operation", "clip_values",
       "convert_to_indicator_values", "group_data_into_bins", "remove_duplicate_rows",
       "partition_and_sample", "smote", "select_columns_transform", "convert_to_csv",
       "filter_based_feature_selection", "permutation_feature_importance", "summarize_data",
       "compute_linear_correlation"}


def chain(*nodes, port="dataset"):
    """A straight pipeline: the sample income data, then ``nodes`` (id, module, params, in,
    out)."""
    doc = {"name": "Catalogue", "nodes": [{"id": "data", "module": "import_data",
                                           "params": SOURCE}], "edges": []}
    previous = ("data", "dataset")
    for node_id, name, params, port_in, port_out in nodes:
        doc["nodes"].append({"id": node_id, "module": name, "params": params})
        doc["edges"].append({"from": {"node": previous[0], "port": previous[1]},
                             "to": {"node": node_id, "port": port_in}})
        previous = (node_id, port_out)
    return doc


PIPELINE = chain(
    ("bins", "group_data_into_bins", {"columns": ["age"], "number_of_bins": 4,
                                      "quantile_normalization": "quantile_index"},
     "dataset", "quantized_dataset"),
    ("math", "apply_math_operation", {"columns": ["hours-per-week"], "basic_function": "Sqrt"},
     "dataset", "results_dataset"),
    ("folds", "partition_and_sample", {"mode": "assign_to_folds", "number_of_folds": 3},
     "dataset", "results_dataset"),
    ("pick", "partition_and_sample", {"mode": "pick_fold", "fold": 2}, "dataset",
     "results_dataset"),
    ("summary", "summarize_data", {}, "dataset", "result_dataset"),
)


def test_the_catalogue_lists_every_module_with_its_count(client):
    listed = client.get("/api/v1/modules").get_json()["modules"]
    # The built-in modules: a test may have declared one of its own (tests/gate.py).
    served = [m for m in listed if REGISTRY[m["name"]].fn.__module__.startswith("app.modules.")]
    assert len(served) == 63
    names = {m["name"]: m for m in served}
    assert NEW <= set(names)
    assert names["summarize_data"]["category"] == "Statistical Functions"
    assert names["filter_based_feature_selection"]["category"] == "Feature Selection"
    readme = (ROOT / "README.md").read_text()
    assert f"{len(served)} modules" in readme
    assert all(f"| {m['label']} |" in readme for m in served)


def income():
    return pd.read_csv(ROOT / "sample_data/income/us.csv")


def test_design_time_columns_follow_the_new_modules(client):
    answer = client.post("/api/v1/pipelines/columns", json={"document": PIPELINE}).get_json()
    columns, names = answer["columns"], list(income().columns)
    assert columns["math"]["dataset"] == [*names, "age_quantized"]
    assert columns["folds"]["dataset"][-1] == "Sqrt(hours-per-week)"
    assert columns["pick"]["dataset"][-1] == "Fold"
    assert columns["summary"]["dataset"] == [*names, "age_quantized", "Sqrt(hours-per-week)"]


def test_a_run_through_the_new_modules_gives_what_pandas_gives(client, run_queued):
    run = finished_run(client, run_queued, document=PIPELINE)
    assert run["status"] == "Finished", run
    base = f"/api/v1/runs/{run['id']}/steps"
    picked = pd.read_csv(io.BytesIO(client.get(f"{base}/pick/outputs/results_dataset").data))
    data = income()
    _, held = list(KFold(3, shuffle=True, random_state=0).split(data))[1]
    expected = data.iloc[held].reset_index(drop=True)
    pd.testing.assert_frame_equal(picked[list(data.columns)], expected)
    quartiles = pd.qcut(data["age"], 4, labels=False) + 1
    assert list(picked["age_quantized"]) == list(quartiles.iloc[held])
    assert picked["Sqrt(hours-per-week)"].to_numpy() == pytest.approx(
        np.sqrt(expected["hours-per-week"]))
    summary = pd.read_csv(io.BytesIO(client.get(f"{base}/summary/outputs/result_dataset").data))
    assert summary.set_index("Feature").loc["age", "Mean"] == pytest.approx(
        expected["age"].mean())


def test_a_missing_column_fails_the_step_by_name(client, run_queued):
    doc = chain(
        ("dummies", "convert_to_indicator_values", {"columns": ["sex"]}, "dataset",
         "results_dataset"),
        ("clip", "clip_values", {"columns": ["sex-Other"]}, "dataset", "results_dataset"))
    run = finished_run(client, run_queued, document=doc)
    assert run["status"] == "Failed"
    step = {s["node_id"]: s for s in run["steps"]}["clip"]
    assert step["status"] == "Failed"
    assert step["error"]["message"].startswith("Clip Values: column 'sex-Other' not in the data")


def test_a_bad_value_is_refused_before_the_run_by_node_and_field(client):
    doc = json.loads(json.dumps(PIPELINE))
    doc["nodes"][3]["params"]["number_of_folds"] = 1
    answer = submit(client, document=doc)
    assert answer.status_code == 422
    assert answer.get_json()["node_errors"]["folds"] == [
        "The 'number_of_folds' parameter of Partition and Sample must be an int in the range "
        "[2, 1000]. Got 1 instead."]
    doc = chain(("clip", "clip_values", {"columns": ["weight"]}, "dataset", "results_dataset"))
    answer = client.post("/api/v1/pipelines/validate", json={"document": doc}).get_json()
    assert answer["field_errors"]["clip"]["columns"][0].startswith(
        "Clip Values: column(s) 'weight' of 'columns' are not in the input data set")


def learner_pipeline(learner, label):
    """Income data split 70/30, ``learner`` trained on ``label``, scored and evaluated."""
    doc = chain(("split", "split_data", {"fraction": 0.7}, "dataset", "results1"))
    doc["nodes"] += [
        {"id": "learner", "module": learner, "params": {}},
        {"id": "train", "module": "train_model", "params": {"label_column": label}},
        {"id": "score", "module": "score_model", "params": {}},
        {"id": "eval", "module": "evaluate_model", "params": {}},
    ]
    wires = [("learner", "untrained_model", "train", "untrained_model"),
             ("split", "results1", "train", "dataset"),
             ("train", "trained_model", "score", "trained_model"),
             ("split", "results2", "score", "dataset"),
             ("score", "scored_dataset", "eval", "scored_dataset")]
    doc["edges"] += [{"from": {"node": a, "port": p}, "to": {"node": b, "port": q}}
                     for a, p, b, q in wires]
    return doc


def test_a_multiclass_run_scores_each_class_and_evaluates_them(client, run_queued):
    run = finished_run(client, run_queued,
                       document=learner_pipeline("multiclass_decision_forest", "race"))
    assert run["status"] == "Finished", run
    assert set(run["metrics"]["eval"]) == {"overall_accuracy", "average_accuracy",
                                           "micro_precision", "macro_precision",
                                           "micro_recall", "macro_recall"}
    base = f"/api/v1/runs/{run['id']}/steps"
    scored = pd.read_csv(io.BytesIO(client.get(f"{base}/score/outputs/scored_dataset").data))
    races = sorted(income()["race"].unique())
    assert list(scored.columns[-len(races) - 1:]) == [
        *(f"Scored Probabilities_{r}" for r in races), "Scored Labels"]
    assert scored["Scored Labels"].isin(races).all()
    accuracy = (scored["Scored Labels"] == scored["race"]).mean()
    assert run["metrics"]["eval"]["overall_accuracy"] == pytest.approx(accuracy)


@pytest.mark.parametrize("learner", ["two_class_support_vector_machine",
                                     "two_class_averaged_perceptron"])
def test_a_linear_two_class_learner_runs_to_binary_metrics(client, run_queued, learner):
    run = finished_run(client, run_queued, document=learner_pipeline(learner, "income"))
    assert run["status"] == "Finished", run
    assert {"accuracy", "auc"} <= set(run["metrics"]["eval"])
    assert 0.5 < run["metrics"]["eval"]["accuracy"] <= 1.0
