"""The iris sample pipeline: Cross Validate Model and Tune Model Hyperparameters run through
the API, their tables readable as outputs, their progress in the step logs."""

import io

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from tests.api.test_export import export, run_script
from tests.api.test_runs import finished_run
from tests.conftest import ROOT

NAME = "Iris species: cross-validation and tuning"


def test_the_iris_sample_runs_cross_validation_and_a_sweep(client, run_queued, tmp_path):
    listed = client.get("/api/v1/pipelines").get_json()["pipelines"]
    pid = next(p["id"] for p in listed if p["name"] == NAME)
    document = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]
    assert client.get(f"/api/v1/pipelines/{pid}/validate").get_json()["node_errors"] == {}
    run = finished_run(client, run_queued, document=document)
    assert run["status"] == "Finished", [s.get("error") for s in run["steps"]]
    base = f"/api/v1/runs/{run['id']}/steps"

    def table(node, port):
        return pd.read_csv(io.BytesIO(client.get(f"{base}/{node}/outputs/{port}").data))

    # Cross Validate Model: 10 shuffled folds (seed 0) of the 150 flowers, as plain code makes.
    iris = pd.read_csv(ROOT / "sample_data/iris/iris.csv")
    by_fold = table("crossvalidate", "evaluation_results_by_fold")
    assert list(by_fold["Fold Number"]) == [*map(str, range(1, 11)), "Mean",
                                            "Standard Deviation"]
    features, label = iris.drop(columns="species"), iris["species"]
    accuracy = []
    for train, held in KFold(10, shuffle=True, random_state=0).split(features):
        fit = LogisticRegression(C=1.0, l1_ratio=0.0, max_iter=1000, tol=1e-7, random_state=0)
        fit.fit(features.iloc[train], label.iloc[train])
        accuracy.append(metrics.accuracy_score(label.iloc[held], fit.predict(features.iloc[held])))
    assert by_fold["Accuracy"].iloc[:10].to_numpy() == pytest.approx(accuracy, rel=1e-12)
    assert by_fold["Accuracy"].iloc[10] == pytest.approx(np.mean(accuracy), rel=1e-12)
    # What Visualize shows: the table itself, fold rows then the summary rows.
    shown = client.get(f"{base}/crossvalidate/outputs/evaluation_results_by_fold/preview")
    shown = shown.get_json()
    assert shown["kind"] == "dataframe" and shown["row_count"] == 12
    assert shown["column_names"][:3] == ["Fold Number", "Number of examples in fold", "Model"]
    assert [row[0] for row in shown["rows"][-2:]] == ["Mean", "Standard Deviation"]
    scored = table("crossvalidate", "scored_results")
    assert len(scored) == 150 and scored["Fold Assignments"].between(1, 10).all()

    # Tune Model Hyperparameters: 5 random combinations, best first, progress in its log.
    sweep = table("tune", "sweep_results")
    assert len(sweep) == 5
    assert list(sweep["Accuracy"]) == sorted(sweep["Accuracy"], reverse=True)
    assert set(sweep["Number of decision trees"]) <= {1, 8, 32}
    log = client.get(f"{base}/tune/logs").get_json()["log"]
    assert "5 combination(s), measured on 10-fold cross-validation" in log
    assert "run 5/5: num_trees=" in log and "best by Accuracy" in log
    preview = client.get(f"{base}/tune/outputs/sweep_results/preview").get_json()
    assert preview["row_count"] == 5

    # The best forest scores the held-out 30%.
    evaluation = run["metrics"]["evaluate"]
    assert evaluation["overall_accuracy"] > 0.8

    # Export as Python carries the sweep too: the script gives the run's metrics.
    _, text = export(client, f"/api/v1/pipelines/{pid}/export.py")
    assert run_script(text, tmp_path) == run["metrics"]
