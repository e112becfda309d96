"""Clustering as a person meets it: K-Means Clustering and Train Clustering Model dragged from
the palette, wired, run, and the clustering evaluation read in Visualize."""

import re

from playwright.sync_api import expect

from tests.browser.test_designer_edit import drag_wire, drop_module, port, saved
from tests.browser.test_run_view import RUN_TIMEOUT, step

SOURCE = {"source": "datastore", "path": {"datastore": "samples", "path": "diabetes/diabetes.csv"},
          "format": "csv", "header": True}
START = {"schema_version": 1, "name": "Clusters", "parameters": [], "edges": [],
         "nodes": [{"id": "data", "module": "import_data", "position": {"x": 40, "y": 40},
                    "params": SOURCE}]}


def dropped(page, module, x, y):
    """Drop ``module`` from the palette at (x, y); the new node's id."""
    drop_module(page, module, x, y)
    node = page.locator(f'g.node[data-module="{module}"]')
    expect(node).to_have_count(1)
    return node.get_attribute("data-node-id")


def test_k_means_from_the_palette_to_the_clustering_evaluation(page, client):
    created = client.post("/api/v1/pipelines", json={"document": START}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    # Drop each module beside Import Data, wherever the view has put it.
    canvas = page.locator("svg.canvas").bounding_box()
    box = page.locator('g.node[data-node-id="data"]').bounding_box()
    x = box["x"] - canvas["x"] + box["width"] / 2
    y = box["y"] - canvas["y"] + box["height"] / 2
    page.get_by_label("Search modules").fill("k-means")
    # The search matches descriptions too: Train Clustering Model's mentions K-Means.
    expect(page.locator(".palette-item:visible").first).to_contain_text("K-Means Clustering")
    kmeans = dropped(page, "k_means_clustering", x + 260, y)
    page.get_by_label("Search modules").fill("clustering")
    train = dropped(page, "train_clustering_model", x + 130, y + 140)
    page.get_by_label("Search modules").fill("evaluate")
    evaluate = dropped(page, "evaluate_model", x + 130, y + 270)
    drag_wire(page, port(page, kmeans, "untrained_model", "out"),
              port(page, train, "untrained_model", "in"))
    drag_wire(page, port(page, "data", "dataset", "out"), port(page, train, "dataset", "in"))
    drag_wire(page, port(page, train, "results_dataset", "out"),
              port(page, evaluate, "scored_dataset", "in"))
    expect(page.locator("path.wire")).to_have_count(3)
    page.locator(f'g.node[data-node-id="{kmeans}"] .node-body').click()
    details = page.locator(".details")
    expect(details.locator(".panel-title")).to_have_text("K-Means Clustering")
    expect(details.get_by_label("Number of centroids")).to_have_value("2")
    details.get_by_label("Number of centroids").fill("3")
    details.get_by_label("Number of centroids").press("Tab")
    saved(page)

    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Submit a run").get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    step(page, "Evaluate Model").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize")).click()
    dialog = page.get_by_role("dialog")
    table = dialog.get_by_role("table", name="Clustering evaluation")
    expect(table.locator("thead")).to_contain_text("Average distance to cluster center")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table.locator("tbody tr").first).to_contain_text("Evaluation for cluster no.0")
    combined = table.locator("tbody tr").last
    expect(combined).to_contain_text("Combined evaluation")
    expect(combined.locator("td").nth(2)).to_have_text("442")
    expect(dialog.locator(".viz-metrics")).not_to_contain_text("null")
    metrics = dialog.get_by_role("table", name="Metrics")
    expect(metrics.locator('tr[data-metric="number_of_points"]')).to_contain_text("442")
    assert page.errors == []


def test_a_clustering_run_becomes_a_real_time_inference_pipeline(page, client):
    from tests.browser.test_designer_submit import pipeline_id
    from tests.browser.test_endpoints_page import wait_finished

    pid = pipeline_id(client, "Diabetes patient clustering")
    run_id = client.post(f"/api/v1/pipelines/{pid}/runs", json={}).get_json()["id"]
    assert wait_finished(client, run_id)["status"] == "Finished"
    page.goto(f"/pipelines/{pid}")  # the designer offers it too, for the latest finished run
    create = page.get_by_role("button", name=re.compile("^Create inference pipeline"))
    expect(create).to_be_visible()
    page.goto(f"/runs/{run_id}")
    create.click()
    page.get_by_role("menuitem", name="Real-time inference pipeline").click()
    expect(page.get_by_role("button", name=re.compile("real-time inference$"))).to_be_visible()
    # Training goes (the model is the run's), assignment stays and answers requests.
    for node_id, label in [("train", "Trained model"), ("assign", "Assign Data to Clusters"),
                           ("web_service_input", "Web Service Input"),
                           ("web_service_output", "Web Service Output")]:
        expect(page.locator(f'g.node[data-node-id="{node_id}"]')).to_contain_text(label)
    expect(page.locator('g.node[data-module="evaluate_model"]')).to_have_count(0)
    expect(page.locator('g.node[data-module="split_data"]')).to_have_count(0)
    assert page.errors == []
