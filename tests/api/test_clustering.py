"""The clustering sample and the new learners over HTTP: the sample pipeline runs to what
scikit-learn gives on the same rows, its columns are known before the run, and the quantile,
One-vs-All and anomaly learners run through Score and Evaluate Model."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import MinMaxScaler

from tests.api.test_catalogue import chain, learner_pipeline
from tests.api.test_export import export, pipeline_id, run_metrics, run_script
from tests.api.test_runs import finished_run
from tests.conftest import ROOT

SAMPLE = json.loads((ROOT / "sample_data/pipelines/patient_clustering.json").read_text())
FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
RESULTS = ["Assignments", *(f"DistancesToClusterCenter no.{i}" for i in range(3))]


def output(client, run, node, port):
    answer = client.get(f"/api/v1/runs/{run['id']}/steps/{node}/outputs/{port}")
    assert answer.status_code == 200, answer.data[:200]
    return pd.read_csv(io.BytesIO(answer.data))


def test_the_clustering_sample_runs_to_what_kmeans_gives(client, run_queued):
    pid = pipeline_id(client, "Diabetes patient clustering")
    answer = client.post(f"/api/v1/pipelines/{pid}/runs", json={"experiment": "clusters"})
    assert answer.status_code == 202, answer.get_json()
    run_queued()
    run = client.get(f"/api/v1/runs/{answer.get_json()['id']}").get_json()
    assert run["status"] == "Finished", run

    train, new = output(client, run, "split", "results1"), output(client, run, "split", "results2")
    scaler = MinMaxScaler().fit(train[FEATURES])
    hand = KMeans(n_clusters=3, n_init=1, max_iter=100, random_state=0).fit(
        scaler.transform(train[FEATURES]))
    assigned = output(client, run, "assign", "results_dataset")
    assert list(assigned.columns) == [*new.columns, *RESULTS]
    expected = hand.predict(scaler.transform(new[FEATURES]))
    assert list(assigned["Assignments"]) == list(expected)
    distances = hand.transform(scaler.transform(new[FEATURES]))
    np.testing.assert_allclose(assigned[RESULTS[1:]], distances, rtol=1e-9)

    own = distances[np.arange(len(new)), expected]
    metrics = run["metrics"]["evaluate"]
    assert metrics["number_of_points"] == len(new)
    assert metrics["average_distance_to_cluster_center"] == pytest.approx(own.mean())
    assert metrics["maximal_distance_to_cluster_center"] == pytest.approx(own.max())

    registered = client.post(f"/api/v1/runs/{run['id']}/steps/train/register",
                             json={"name": "patient-clusters"})
    assert registered.status_code == 201, registered.get_json()
    assert registered.get_json()["task"] == "clustering"


def test_the_clustering_sample_exports_to_a_script_with_the_runs_metrics(client, run_queued,
                                                                        tmp_path):
    pid = pipeline_id(client, "Diabetes patient clustering")
    _, text = export(client, f"/api/v1/pipelines/{pid}/export.py")
    expected = run_metrics(client, run_queued, client.post(
        f"/api/v1/pipelines/{pid}/runs", json={"parameters": {"number_of_centroids": 4}}))
    assert run_script(text, tmp_path, "--number-of-centroids", "4") == expected
    assert expected["evaluate"]["number_of_points"] == 133


def test_the_samples_columns_are_known_before_the_run(client):
    answer = client.post("/api/v1/pipelines/columns", json={"document": SAMPLE}).get_json()
    diabetes = [*FEATURES, "target"]
    assert answer["columns"]["evaluate"]["scored_dataset"] == [*diabetes, *RESULTS]
    doc = json.loads(json.dumps(SAMPLE))
    doc["parameters"][1]["default"] = 5
    doc["nodes"][4]["params"]["append"] = False
    answer = client.post("/api/v1/pipelines/columns", json={"document": doc}).get_json()
    assert answer["columns"]["evaluate"]["scored_dataset"] == [
        "Assignments", *(f"DistancesToClusterCenter no.{i}" for i in range(5))]


def test_a_column_set_naming_a_missing_column_is_refused_before_the_run(client):
    doc = json.loads(json.dumps(SAMPLE))
    doc["nodes"][3]["params"]["column_set"] = ["age", "weight"]
    answer = client.post("/api/v1/pipelines/validate", json={"document": doc}).get_json()
    assert answer["field_errors"]["train"]["column_set"][0].startswith(
        "Train Clustering Model: column(s) 'weight' of 'column_set' are not in the input")


def test_a_quantile_forest_scores_each_quantile_and_evaluates_its_loss(client, run_queued):
    doc = learner_pipeline("fast_forest_quantile_regression", "age")
    doc["nodes"][2]["params"] = {"num_trees": 20, "quantiles": "0.1; 0.9"}
    run = finished_run(client, run_queued, document=doc)
    assert run["status"] == "Finished", run
    assert set(run["metrics"]["eval"]) == {"quantile_loss_0.100", "quantile_loss_0.900",
                                           "average_quantile_loss"}
    scored = output(client, run, "score", "scored_dataset")
    low, high = scored["Scores for quantile :0.100"], scored["Scores for quantile :0.900"]
    assert (low <= high).all()
    inside = ((scored["age"] >= low) & (scored["age"] <= high)).mean()
    assert 0.6 < inside < 0.95


def test_one_vs_all_of_a_two_class_learner_runs_to_multiclass_metrics(client, run_queued):
    doc = learner_pipeline("one_vs_all_multiclass", "race")
    doc["nodes"].append({"id": "binary", "module": "two_class_decision_forest", "params": {}})
    doc["edges"].append({"from": {"node": "binary", "port": "untrained_model"},
                         "to": {"node": "learner", "port": "untrained_model"}})
    run = finished_run(client, run_queued, document=doc)
    assert run["status"] == "Finished", run
    assert 0.5 < run["metrics"]["eval"]["overall_accuracy"] <= 1.0


def test_an_anomaly_detector_runs_to_two_class_metrics(client, run_queued):
    doc = chain(("select", "select_columns", {"columns": ["age", "education-num",
                                                          "hours-per-week"]},
                 "dataset", "dataset"),
                ("split", "split_data", {"fraction": 0.7}, "dataset", "results1"))
    doc["nodes"] += [
        {"id": "pca", "module": "pca_based_anomaly_detection", "params": {"center": True,
                                                                          "components": 1}},
        {"id": "train", "module": "train_anomaly_detection_model",
         "params": {"label_column": "education-num", "anomaly_label": "16"}},
        {"id": "score", "module": "score_model", "params": {}},
        {"id": "eval", "module": "evaluate_model", "params": {}},
    ]
    wires = [("pca", "untrained_model", "train", "untrained_model"),
             ("split", "results1", "train", "dataset"),
             ("train", "trained_model", "score", "trained_model"),
             ("split", "results2", "score", "dataset"),
             ("score", "scored_dataset", "eval", "scored_dataset")]
    doc["edges"] += [{"from": {"node": a, "port": p}, "to": {"node": b, "port": q}}
                     for a, p, b, q in wires]
    run = finished_run(client, run_queued, document=doc)
    assert run["status"] == "Finished", run
    assert {"accuracy", "auc", "precision", "recall", "f1"} == set(run["metrics"]["eval"])
    scored = output(client, run, "score", "scored_dataset")
    assert list(scored.columns) == ["age", "education-num", "hours-per-week", "Scored Labels",
                                    "Scored Probabilities"]
    assert scored["Scored Labels"].isin([0, 1]).all()


def test_a_clustering_run_becomes_a_real_time_endpoint_that_assigns_as_the_run_did(
        client, run_queued):
    from tests.api.test_realtime import rows_json

    pid = pipeline_id(client, "Diabetes patient clustering")
    run_id = client.post(f"/api/v1/pipelines/{pid}/runs", json={}).get_json()["id"]
    run_queued()
    run = client.get(f"/api/v1/runs/{run_id}").get_json()
    assert run["status"] == "Finished", run
    derived = client.post(f"/api/v1/runs/{run_id}/inference-pipeline")
    assert derived.status_code == 201, derived.get_json()
    doc = derived.get_json()["document"]
    assert {n["id"]: n["module"] for n in doc["nodes"]} == {
        "import": "import_data", "train": "saved_model",
        "assign": "assign_data_to_clusters", "web_service_input": "web_service_input",
        "web_service_output": "web_service_output"}
    wires = {(e["from"]["node"], e["from"]["port"], e["to"]["node"], e["to"]["port"])
             for e in doc["edges"]}
    assert ("train", "trained_model", "assign", "trained_model") in wires
    assert ("assign", "results_dataset", "web_service_output", "dataset") in wires
    assert not any(e["from"]["node"] == "train" and e["from"]["port"] == "results_dataset"
                   for e in doc["edges"])  # the training rows' assignments go with training

    deployed = client.post(f"/api/v1/pipelines/{derived.get_json()['id']}/deploy",
                           json={"name": "patient-clusters"})
    assert deployed.status_code == 201, deployed.get_json()
    new = output(client, run, "split", "results2")
    answer = client.post("/api/v1/score/patient-clusters", json={
        "Inputs": {"WebServiceInput0": rows_json(new)}, "GlobalParameters": {}})
    assert answer.status_code == 200, answer.get_json()
    served = pd.DataFrame(answer.get_json()["Results"]["WebServiceOutput0"])
    assigned = output(client, run, "assign", "results_dataset")
    assert list(served["Assignments"]) == list(assigned["Assignments"])
    np.testing.assert_allclose(served[RESULTS[1:]], assigned[RESULTS[1:]], rtol=1e-12)
