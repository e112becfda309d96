"""Compare from the designer: the edited draft against the version it was published as, and two
published versions, on a read-only canvas over the editing one, changes marked and listed."""

from playwright.sync_api import expect

from tests.api.test_export import pipeline_id
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_designer_edit import drop_module, saved


def test_the_edited_draft_against_its_published_version(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)

    # Change a field: fewer trees.
    page.locator('g.node[data-node-id="learner"] .node-body').click()
    trees = page.locator('.details .field[data-param="num_trees"] input')
    trees.fill("50")
    # Add a node: Normalize Data dropped from the palette.
    page.get_by_label("Search modules").fill("normalize")
    drop_module(page, "normalize_data", 500, 120)
    expect(page.locator('g.node[data-module="normalize_data"]')).to_have_count(1)
    added = page.locator('g.node[data-module="normalize_data"]').get_attribute("data-node-id")
    # Remove a wire: the one from Select Columns into Split Data.
    page.locator('path.wire-hit[data-from="select.dataset"][data-to="split.dataset"]').click(force=True)
    page.keyboard.press("Delete")
    expect(page.locator('path.wire[data-from="select.dataset"]')).to_have_count(0)
    saved(page)

    page.get_by_role("button", name="Compare", exact=True).click()
    panel = page.get_by_role("region", name="Compare versions")
    expect(panel.get_by_label("From", exact=True)).to_have_value(
        f"{client.get('/api/v1/endpoints/income-retrain').get_json()['id']}:0")
    expect(panel.get_by_label("To", exact=True)).to_have_value("draft")
    canvas = panel.get_by_label("Changes from Version 0 to Draft Income prediction")
    expect(canvas.locator("g.node")).to_have_count(9)
    expect(canvas.locator("g.node.diff-added")).to_have_attribute("data-node-id", added)
    expect(canvas.locator("g.node.diff-changed")).to_have_attribute("data-node-id", "learner")
    expect(canvas.locator("g.node.diff-removed")).to_have_count(0)
    expect(canvas.locator("path.wire.diff-removed")).to_have_count(1)
    expect(canvas.locator("path.wire.diff-removed")).to_have_attribute("data-to", "split.dataset")
    expect(canvas.locator("path.wire.diff-added")).to_have_count(0)
    changes = panel.get_by_role("list", name="Changes")
    expect(changes).to_contain_text(f"Node added: normalize_data ({added})")
    expect(changes).to_contain_text("Node changed: two_class_boosted_decision_tree (learner)")
    expect(changes).to_contain_text("num_trees: 100 → 50")
    expect(changes).to_contain_text("Wire removed: select.dataset->split.dataset")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "designer_diff.png"))

    # Close: the editing canvas is there as it was, still editable.
    panel.get_by_role("button", name="Close").click()
    expect(panel).to_have_count(0)
    expect(page.locator("svg.canvas g.node")).to_have_count(9)
    assert page.errors == []


def test_two_published_versions_from_the_designer(page, client):
    pid = pipeline_id(client, "Income prediction")
    document = client.get(f"/api/v1/pipelines/{pid}").get_json()
    learner = next(n for n in document["document"]["nodes"] if n["id"] == "learner")
    learner["params"]["num_trees"] = 60
    assert client.put(f"/api/v1/pipelines/{pid}", json={
        "document": document["document"], "revision": document["revision"]}).status_code == 200
    assert client.post(f"/api/v1/pipelines/{pid}/publish",
                       json={"endpoint": "income-retrain"}).status_code == 201
    page.goto(f"/pipelines/{pid}")
    page.get_by_role("button", name="Compare", exact=True).click()
    panel = page.get_by_role("region", name="Compare versions")
    # The newest version published from this draft is offered first; its draft is unchanged.
    expect(panel.get_by_label("Changes", exact=True)).to_have_text("No changes.")
    panel.get_by_label("From", exact=True).select_option(label="income-retrain version 0")
    panel.get_by_label("To", exact=True).select_option(label="Version 1")
    panel.get_by_role("button", name="Show changes").click()
    canvas = panel.get_by_label("Changes from Version 0 to Version 1")
    expect(canvas.locator("g.node.diff-changed")).to_have_attribute("data-node-id", "learner")
    expect(panel.get_by_role("list", name="Changes")).to_contain_text("num_trees: 100 → 60")
    assert page.errors == []


def test_a_draft_never_published_says_so(page, client):
    created = client.post("/api/v1/pipelines", json={"document": {
        "schema_version": 1, "name": "Scratch", "nodes": [], "edges": [],
        "parameters": []}}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_role("region", name="Compare versions")).to_contain_text(
        "This pipeline has not been published yet")
    assert page.errors == []
