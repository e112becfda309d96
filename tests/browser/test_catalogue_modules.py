"""New catalogue modules as a person meets them: found in the palette by category and search,
dragged, wired, run, their output read in Visualize."""

import re

from playwright.sync_api import expect

from tests.browser.test_designer_edit import drag_wire, drop_module, port, saved
from tests.browser.test_run_view import RUN_TIMEOUT, step

SOURCE = {"source": "datastore", "path": {"datastore": "samples", "path": "income/us.csv"},
          "format": "csv", "header": True}
START = {"schema_version": 1, "name": "Statistics", "parameters": [], "edges": [],
         "nodes": [{"id": "data", "module": "import_data", "position": {"x": 40, "y": 40},
                    "params": SOURCE}]}


def test_summarize_data_from_the_palette_to_visualize(page, client):
    created = client.post("/api/v1/pipelines", json={"document": START}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    palette = page.locator(".palette-item:visible")
    expect(page.locator('.palette-item[data-module="compute_linear_correlation"]')).to_be_visible()
    page.get_by_label("Search modules").fill("summarize")
    expect(palette).to_have_count(1)
    expect(palette).to_contain_text("Summarize Data")
    drop_module(page, "summarize_data", 300, 260)
    summary = page.locator('g.node[data-module="summarize_data"]')
    expect(summary).to_have_count(1)
    summary_id = summary.get_attribute("data-node-id")
    drag_wire(page, port(page, "data", "dataset", "out"), port(page, summary_id, "dataset", "in"))
    expect(page.locator(f'path.wire[data-to="{summary_id}.dataset"]')).to_have_count(1)
    summary.locator(".node-body").click()
    expect(page.locator(".details .panel-title")).to_have_text("Summarize Data")
    saved(page)

    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Submit a run").get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    step(page, "Summarize Data").click()
    page.get_by_role("tab", name="Outputs + logs").click()
    page.get_by_role("button", name=re.compile("^Visualize")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("row-count")).to_have_text("15 rows")
    rows = dialog.get_by_role("table", name="First rows")
    expect(rows.locator("thead")).to_contain_text("Sample Standard Deviation")
    expect(rows.locator("tbody tr").first).to_contain_text("age")
    assert page.errors == []
