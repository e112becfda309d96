"""Design-time columns of Tune Model Hyperparameters and Cross Validate Model over HTTP: what
POST /api/v1/pipelines/columns says before the run is what the run's outputs hold."""

import pytest

from tests.api.test_catalogue import chain
from tests.api.test_clustering import output
from tests.api.test_runs import finished_run

SELECTED = ["age", "education-num", "race", "sex", "hours-per-week", "income"]  # file order
# The design-time columns of each output are read as the input of a Summarize Data after it.
WATCHED = {"cv_scored": ("cv", "scored_results"), "cv_folds": ("cv", "evaluation_results_by_fold"),
           "sweep": ("tune", "sweep_results")}


def document(learner, label, params, folds=False):
    """Income columns (with Partition and Sample's Fold column when ``folds``), cross-validated
    and swept with ``learner``; each output watched by a Summarize Data."""
    steps = [("select", "select_columns", {"columns": SELECTED},
              "dataset", "dataset")]
    if folds:
        steps.append(("folds", "partition_and_sample", {"mode": "assign_to_folds",
                                                        "number_of_folds": 3},
                      "dataset", "results_dataset"))
    doc = chain(*steps)
    rows = steps[-1][0], steps[-1][4]
    doc["nodes"] += [
        {"id": "learner", "module": learner, "params": params},
        {"id": "cv", "module": "cross_validate_model", "params": {"label_column": label}},
        {"id": "tune", "module": "tune_model_hyperparameters",
         "params": {"label_column": label, "sweeping_mode": "entire_grid"}},
        *({"id": watch, "module": "summarize_data", "params": {}} for watch in WATCHED),
    ]
    wires = [("learner", "untrained_model", "cv", "untrained_model"), (*rows, "cv", "dataset"),
             *((*WATCHED[watch], watch, "dataset") for watch in WATCHED)]
    if params.get("create_trainer_mode") == "parameter_range":
        wires.remove(("learner", "untrained_model", "cv", "untrained_model"))  # CV refuses it
        doc["nodes"].append({"id": "single", "module": learner, "params": {
            k: v for k, v in params.items() if not k.endswith("_range")
            and k != "create_trainer_mode"}})
        wires.append(("single", "untrained_model", "cv", "untrained_model"))
    wires += [("learner", "untrained_model", "tune", "untrained_model"),
              (*rows, "tune", "training_dataset")]
    doc["edges"] += [{"from": {"node": a, "port": p}, "to": {"node": b, "port": q}}
                     for a, p, b, q in wires]
    return doc


CASES = {
    "two-class, swept": (
        "two_class_decision_forest", "income",
        {"create_trainer_mode": "parameter_range", "num_trees_range": "1; 2",
         "max_depth_range": "2; 3", "min_samples_per_leaf_range": "5"}, False,
        {"cv_scored": [*SELECTED, "Scored Labels", "Scored Probabilities",
                       "Fold Assignments"],
         "sweep": ["Run", "Number of decision trees", "Maximum depth of the decision trees",
                   "Minimum number of samples per leaf node", "Accuracy", "Precision", "Recall",
                   "F-Score", "AUC", "Average Log Loss"]}),
    "regression, on Partition and Sample's folds": (
        "decision_forest_regression", "age", {"num_trees": 2, "max_depth": 3}, True,
        {"cv_scored": [*SELECTED, "Scored Labels", "Fold Assignments"],
         "sweep": ["Run", "Mean Absolute Error", "Root Mean Squared Error",
                   "Relative Absolute Error", "Relative Squared Error",
                   "Coefficient of Determination"]}),
    "multiclass": (
        "multiclass_decision_forest", "race", {"num_trees": 2, "max_depth": 3}, False,
        {"cv_scored": None,
         "sweep": ["Run", "Accuracy", "Precision", "Recall", "F-Score", "AUC",
                   "Average Log Loss"]}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_design_time_columns_are_the_runs(client, run_queued, case):
    learner, label, params, folds, expected = CASES[case]
    doc = document(learner, label, params, folds)
    known = client.post("/api/v1/pipelines/columns", json={"document": doc}).get_json()
    designed = {watch: known["columns"][watch]["dataset"] for watch in WATCHED}
    metrics = expected["sweep"][-6:] if "Accuracy" in expected["sweep"] else expected["sweep"][-5:]
    assert designed == {**expected, "cv_folds": ["Fold Number", "Number of examples in fold",
                                                 "Model", *metrics]}

    run = finished_run(client, run_queued, document=doc)
    assert run["status"] == "Finished", run
    for watch, (node, port) in WATCHED.items():
        ran = list(output(client, run, node, port).columns)
        if designed[watch] is None:  # unknown before the run: the classes are the data's
            assert watch == "cv_scored" and "Scored Probabilities_White" in ran
        else:
            assert designed[watch] == ran, watch


def test_unknown_learners_and_refused_sweeps_leave_the_columns_unknown(client):
    doc = document("two_class_decision_forest", "income",
                   {"create_trainer_mode": "parameter_range"})
    # Cross Validate Model refuses a learner in Parameter Range mode; a K-Means model is none.
    doc["edges"] = [e for e in doc["edges"] if e["from"]["node"] != "single"]
    doc["edges"].append({"from": {"node": "learner", "port": "untrained_model"},
                         "to": {"node": "cv", "port": "untrained_model"}})
    doc["nodes"].append({"id": "kmeans", "module": "k_means_clustering", "params": {}})
    tune = next(e for e in doc["edges"] if e["to"]["node"] == "tune"
                and e["to"]["port"] == "untrained_model")
    tune["from"]["node"] = "kmeans"
    known = client.post("/api/v1/pipelines/columns", json={"document": doc}).get_json()
    assert {watch: known["columns"][watch]["dataset"] for watch in WATCHED} == {
        "cv_scored": None, "cv_folds": None, "sweep": None}
