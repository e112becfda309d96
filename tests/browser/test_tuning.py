"""Tune Model Hyperparameters as a person meets it: a learner switched to Parameter Range mode
in the details panel, its ranges typed, the sweep run and its results read in Visualize."""

import re

from playwright.sync_api import expect

from tests.browser.test_designer_edit import EMPTY, drag_wire, drop_module, port, saved
from tests.browser.test_run_view import RUN_TIMEOUT, step


def field(page, name):
    return page.locator(f'.details .field[data-param="{name}"]')


def test_a_learner_in_range_mode_is_swept_and_its_results_visualized(page, client):
    created = client.post("/api/v1/pipelines", json={"document": EMPTY}).get_json()
    page.goto(f"/pipelines/{created['id']}")

    drop_module(page, "import_data", 160, 80)
    data = page.locator('g.node[data-module="import_data"]')
    expect(data).to_have_count(1)
    data.locator(".node-body").click()
    page.get_by_label("Path datastore").select_option("samples")
    page.get_by_label("Path path").fill("iris/iris.csv")

    page.get_by_label("Search modules").fill("multiclass decision")
    drop_module(page, "multiclass_decision_forest", 460, 80)
    forest = page.locator('g.node[data-module="multiclass_decision_forest"]')
    expect(forest).to_have_count(1)
    forest.locator(".node-body").click()
    expect(field(page, "num_trees")).to_be_visible()
    expect(field(page, "num_trees_range")).to_be_hidden()
    page.get_by_label("Create trainer mode").select_option(label="Parameter Range")
    # The single values give way to the ranges, which show Azure's defaults.
    expect(field(page, "num_trees")).to_be_hidden()
    expect(field(page, "seed")).to_be_visible()
    trees = page.get_by_label("Number of decision trees (range)")
    expect(trees).to_have_value("1; 8; 32")
    expect(field(page, "num_trees_range")).to_contain_text("min:max:count")
    trees.fill("2; 6")
    page.get_by_label("Maximum depth of the decision trees (range)").fill("1:4:2")
    page.get_by_label("Minimum number of samples per leaf node (range)").fill("1")

    page.get_by_label("Search modules").fill("tune")
    drop_module(page, "tune_model_hyperparameters", 320, 300)
    tune = page.locator('g.node[data-module="tune_model_hyperparameters"]')
    expect(tune).to_have_count(1)
    data_id, forest_id = data.get_attribute("data-node-id"), forest.get_attribute("data-node-id")
    tune_id = tune.get_attribute("data-node-id")
    drag_wire(page, port(page, forest_id, "untrained_model", "out"),
              port(page, tune_id, "untrained_model", "in"))
    drag_wire(page, port(page, data_id, "dataset", "out"),
              port(page, tune_id, "training_dataset", "in"))
    expect(page.locator(f'path.wire[data-to^="{tune_id}."]')).to_have_count(2)
    tune.locator(".node-body").click()
    expect(page.locator(".details .panel-title")).to_have_text("Tune Model Hyperparameters")
    page.get_by_label("Label column").fill("species")
    page.get_by_label("Specify parameter sweeping mode").select_option(label="Entire grid")
    expect(field(page, "max_runs")).to_be_hidden()
    saved(page)
    document = client.get(f"/api/v1/pipelines/{created['id']}").get_json()["document"]
    learner = next(n for n in document["nodes"] if n["id"] == forest_id)
    assert learner["params"] | {"num_trees_range": "2; 6", "max_depth_range": "1:4:2",
                                "create_trainer_mode": "parameter_range"} == learner["params"]

    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Submit a run").get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    step(page, "Tune Model Hyperparameters").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name="Visualize Sweep results").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("row-count")).to_have_text("4 rows")
    rows = dialog.get_by_role("table", name="First rows")
    expect(rows.locator("thead")).to_contain_text("Number of decision trees")
    expect(rows.locator("thead")).to_contain_text("Accuracy")
    expect(rows.locator("tbody tr")).to_have_count(4)
    assert page.errors == []
