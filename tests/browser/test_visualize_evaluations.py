"""Visualize of Evaluate Model as a person reads it: an anomaly detector's evaluation, and two
models compared side by side (two scored data sets wired into one Evaluate Model)."""

import copy
import re

from playwright.sync_api import expect

from tests.browser.test_run_view import RUN_TIMEOUT, income, step, submit_document

IRIS = {"source": "datastore", "path": {"datastore": "samples", "path": "iris/iris.csv"},
        "format": "csv", "header": True}


def shown(value) -> str:
    """A figure as Visualize's tables print it (whole numbers plain, others with 4 decimals)."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.3e}" if abs(value) < 1e-3 else f"{value:.4f}"


def edge(source, out, target, into):
    return {"from": {"node": source, "port": out}, "to": {"node": target, "port": into}}


def anomaly_document():
    """Iris: a PCA detector trained on half the flowers, virginica being the anomaly."""
    nodes = [
        ("import", "import_data", IRIS),
        ("split", "split_data", {"fraction": 0.5, "seed": 0}),
        ("pca", "pca_based_anomaly_detection", {"components": 1, "center": True}),
        ("train", "train_anomaly_detection_model", {"label_column": "species",
                                                    "anomaly_label": "virginica"}),
        ("score", "score_model", {}),
        ("evaluate", "evaluate_model", {}),
    ]
    return {"schema_version": 1, "name": "Odd flowers", "parameters": [],
            "nodes": [{"id": i, "module": m, "params": p,
                       "position": {"x": 40 + 200 * (n % 2), "y": 40 + 120 * n}}
                      for n, (i, m, p) in enumerate(nodes)],
            "edges": [edge("import", "dataset", "split", "dataset"),
                      edge("pca", "untrained_model", "train", "untrained_model"),
                      edge("split", "results1", "train", "dataset"),
                      edge("train", "trained_model", "score", "trained_model"),
                      edge("split", "results2", "score", "dataset"),
                      edge("score", "scored_dataset", "evaluate", "scored_dataset")]}


def compared_document(page):
    """The Income sample with a second model, a decision forest, scored on the same rows and
    wired into Evaluate Model's second input."""
    document = copy.deepcopy(income(page)["document"])
    document["nodes"] += [
        {"id": "forest", "module": "two_class_decision_forest", "position": {"x": 560, "y": 460},
         "params": {"num_trees": 4, "max_depth": 8}},
        {"id": "train2", "module": "train_model", "position": {"x": 460, "y": 600},
         "params": {"label_column": "income"}},
        {"id": "score2", "module": "score_model", "position": {"x": 380, "y": 740}, "params": {}},
    ]
    document["edges"] += [edge("forest", "untrained_model", "train2", "untrained_model"),
                          edge("split", "results1", "train2", "dataset"),
                          edge("train2", "trained_model", "score2", "trained_model"),
                          edge("split", "results2", "score2", "dataset"),
                          edge("score2", "scored_dataset", "evaluate", "scored_dataset_to_compare")]
    return document


def visualized_evaluation(page, document, experiment):
    """Run ``document``, open Evaluate Model's Visualize; (the dialog, the evaluation's JSON)."""
    run_id = submit_document(page, document, experiment=experiment)
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    evaluation = page.request.get(f"/api/v1/runs/{run_id}/steps/evaluate/outputs/"
                                  "evaluation_results/preview").json()["value"]
    step(page, "Evaluate Model").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize")).click()
    return page.get_by_role("dialog"), evaluation


def test_an_anomaly_detectors_evaluation_shows_its_metrics(page):
    dialog, evaluation = visualized_evaluation(page, anomaly_document(), "anomaly")
    assert evaluation["task"] == "anomaly_detection" and evaluation["compare"] is None
    expect(dialog.get_by_test_id("evaluation-task")).to_have_text(
        "Anomaly detection, measured as two classes: the positive class is the anomaly label "
        "(virginica).")
    metrics = dialog.get_by_role("table", name="Metrics")
    expect(metrics.locator("thead th")).to_have_text(["Metric", "Value"])
    names = {"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall",
             "f1": "F1 score", "auc": "AUC"}
    expect(metrics.locator("tbody tr")).to_have_count(len(names))
    for key, name in names.items():
        row = metrics.locator(f'tr[data-metric="{key}"]')
        expect(row.locator("th")).to_have_text(name)
        expect(row.locator("td")).to_have_text(shown(evaluation["metrics"][key]))
    matrix = dialog.get_by_role("table", name="Confusion matrix")
    expect(matrix.locator("thead th")).to_have_text(["actual \\ predicted", "setosa", "virginica"])
    counts = evaluation["curves"]["confusion_matrix"]["matrix"]
    expect(matrix.locator("tbody td")).to_have_text([shown(n) for row in counts for n in row])
    assert sum(map(sum, counts)) == 75  # the half of the 150 flowers held out
    expect(dialog.get_by_label("ROC curve").locator(".main-svg").first).to_be_visible()
    assert page.errors == []


def test_two_models_are_compared_side_by_side(page):
    dialog, evaluation = visualized_evaluation(page, compared_document(page), "compare")
    first, second = evaluation["metrics"], evaluation["compare"]["metrics"]
    assert evaluation["compare"]["task"] == "binary" and first != second
    metrics = dialog.get_by_role("table", name="Metrics")
    expect(metrics.locator("thead th")).to_have_text(
        ["Metric", "Scored data set", "Data set to compare"])
    expect(metrics.locator("tbody tr")).to_have_count(5)
    for key in ("accuracy", "precision", "recall", "f1", "auc"):
        expect(metrics.locator(f'tr[data-metric="{key}"] td')).to_have_text(
            [shown(first[key]), shown(second[key])])
    for side, name in ((evaluation, "Scored data set"), (evaluation["compare"],
                                                          "Data set to compare")):
        matrix = dialog.get_by_role("table", name=f"Confusion matrix: {name}")
        counts = side["curves"]["confusion_matrix"]["matrix"]
        expect(matrix.locator("tbody td")).to_have_text([shown(n) for row in counts for n in row])
    # Each chart draws both models, named as the table names them, and the chance line.
    roc = dialog.get_by_label("ROC curve")
    expect(roc.locator(".legendtext")).to_have_text(
        ["scored data set", "data set to compare", "chance"])
    assert page.errors == []


def test_two_multiclass_models_show_each_ones_classes(page):
    """Both predicting race: each model's per-class table and confusion matrix, labelled."""
    document = compared_document(page)
    for node in document["nodes"]:
        if node["module"] == "train_model":
            node["params"]["label_column"] = "race"
        elif node["id"] == "learner":
            node["module"], node["params"] = "multiclass_decision_forest", {"num_trees": 2}
        elif node["id"] == "forest":
            node["module"], node["params"] = "multiclass_decision_forest", {"num_trees": 6,
                                                                              "max_depth": 4}
    dialog, evaluation = visualized_evaluation(page, document, "compare classes")
    assert evaluation["compare"]["task"] == "multiclass"
    metrics = dialog.get_by_role("table", name="Metrics")
    expect(metrics.locator('tr[data-metric="overall_accuracy"] td')).to_have_text(
        [shown(evaluation["metrics"]["overall_accuracy"]),
         shown(evaluation["compare"]["metrics"]["overall_accuracy"])])
    for side, name in ((evaluation, "Scored data set"), (evaluation["compare"],
                                                          "Data set to compare")):
        per_class = dialog.get_by_role("table", name=f"Per-class metrics: {name}")
        labels = side["per_class"]["labels"]
        expect(per_class.locator("tbody th")).to_have_text([str(c) for c in labels])
        expect(per_class.locator("tbody td")).to_have_text(
            [shown(v) for pair in zip(side["per_class"]["precision"], side["per_class"]["recall"],
                                      strict=True) for v in pair])
        matrix = dialog.get_by_role("table", name=f"Confusion matrix: {name}")
        expect(matrix.locator("tbody tr")).to_have_count(len(labels))
    assert page.errors == []
