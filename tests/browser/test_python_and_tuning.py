"""A pipeline built by drag and drop with Execute Python Script feeding Tune Model
Hyperparameters: the script derives a feature, the sweep uses it, and the sweep results are
read in Visualize."""

import re

from playwright.sync_api import expect

from tests.browser.test_designer_edit import EMPTY, drag_wire, drop_module, port, saved
from tests.browser.test_run_view import RUN_TIMEOUT, step
from tests.browser.test_tuning import field

SCRIPT = """import pandas as pd

def azureml_main(dataframe1=None, dataframe2=None):
    print('petal areas of', len(dataframe1), 'flowers')
    area = dataframe1['petal_length'] * dataframe1['petal_width']
    return dataframe1.assign(petal_area=area),
"""


def test_a_script_feeds_a_sweep_whose_results_are_visualized(page, client):
    created = client.post("/api/v1/pipelines", json={"document": EMPTY}).get_json()
    page.goto(f"/pipelines/{created['id']}")

    drop_module(page, "import_data", 120, 60)
    data = page.locator('g.node[data-module="import_data"]')
    expect(data).to_have_count(1)
    data.locator(".node-body").click()
    page.get_by_label("Path datastore").select_option("samples")
    page.get_by_label("Path path").fill("iris/iris.csv")

    page.get_by_label("Search modules").fill("python script")
    drop_module(page, "execute_python_script", 120, 260)
    script = page.locator('g.node[data-module="execute_python_script"]')
    expect(script).to_have_count(1)
    script.locator(".node-body").click()
    page.get_by_role("textbox", name="Python script").fill(SCRIPT)

    page.get_by_label("Search modules").fill("multiclass decision")
    drop_module(page, "multiclass_decision_forest", 480, 60)
    forest = page.locator('g.node[data-module="multiclass_decision_forest"]')
    expect(forest).to_have_count(1)
    forest.locator(".node-body").click()
    page.get_by_label("Create trainer mode").select_option(label="Parameter Range")
    page.get_by_label("Number of decision trees (range)").fill("3; 9")
    page.get_by_label("Maximum depth of the decision trees (range)").fill("2")
    page.get_by_label("Minimum number of samples per leaf node (range)").fill("1; 4")

    page.get_by_label("Search modules").fill("tune")
    drop_module(page, "tune_model_hyperparameters", 340, 460)
    tune = page.locator('g.node[data-module="tune_model_hyperparameters"]')
    expect(tune).to_have_count(1)
    ids = {name: node.get_attribute("data-node-id")
           for name, node in [("data", data), ("script", script), ("forest", forest),
                              ("tune", tune)]}
    drag_wire(page, port(page, ids["data"], "dataset", "out"),
              port(page, ids["script"], "dataframe1", "in"))
    drag_wire(page, port(page, ids["script"], "result_dataset", "out"),
              port(page, ids["tune"], "training_dataset", "in"))
    drag_wire(page, port(page, ids["forest"], "untrained_model", "out"),
              port(page, ids["tune"], "untrained_model", "in"))
    expect(page.locator("path.wire")).to_have_count(3)
    tune.locator(".node-body").click()
    page.get_by_label("Label column").fill("species")
    page.get_by_label("Specify parameter sweeping mode").select_option(label="Entire grid")
    expect(field(page, "max_runs")).to_be_hidden()
    saved(page)

    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Submit a run").get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)

    step(page, "Execute Python Script").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    expect(page.get_by_label("Step log")).to_contain_text("petal areas of 150 flowers")
    page.get_by_role("button", name=re.compile("^Visualize Result dataset$")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("table", name="First rows").locator("thead")).to_contain_text(
        "petal_area")
    dialog.get_by_role("button", name="Close").click()

    step(page, "Tune Model Hyperparameters").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name="Visualize Sweep results").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("row-count")).to_have_text("4 rows")  # 2 x 1 x 2 combinations
    rows = dialog.get_by_role("table", name="First rows")
    expect(rows.locator("thead")).to_contain_text("Number of decision trees")
    expect(rows.locator("thead")).to_contain_text("Accuracy")
    expect(rows.locator("tbody tr")).to_have_count(4)
    assert page.errors == []
