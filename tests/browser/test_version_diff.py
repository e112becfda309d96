"""Version diff in Chromium: two versions on one canvas, changes highlighted and listed."""

from playwright.sync_api import expect

from tests.api.test_export import pipeline_id
from tests.api.test_version_diff import edit_draft, retrain_faster
from tests.browser.conftest import ARTIFACTS


def test_compare_two_versions_then_a_version_with_its_draft(page, client):
    pid = pipeline_id(client, "Income prediction")
    edit_draft(client, pid, retrain_faster)
    assert client.post(f"/api/v1/pipelines/{pid}/publish",
                       json={"endpoint": "income-retrain"}).status_code == 201
    page.goto("/endpoints")
    page.get_by_role("table", name="Pipeline endpoints").get_by_role(
        "link", name="income-retrain", exact=True).click()
    page.get_by_role("tab", name="Published pipelines").click()
    card = page.get_by_role("region", name="Compare versions")
    expect(card.get_by_label("From", exact=True)).to_have_value("0")
    expect(card.get_by_label("To", exact=True)).to_have_value("1")
    card.get_by_role("button", name="Compare").click()

    canvas = card.get_by_label("Changes from Version 0 to Version 1")
    expect(canvas.locator("g.node")).to_have_count(9)
    expect(canvas.locator("g.node.diff-added")).to_have_attribute("data-node-id", "normalize")
    expect(canvas.locator("g.node.diff-changed")).to_have_attribute("data-node-id", "learner")
    expect(canvas.locator("g.node.diff-removed")).to_have_count(0)
    expect(canvas.locator("path.wire.diff-added")).to_have_count(2)
    expect(canvas.locator("path.wire.diff-removed")).to_have_attribute(
        "data-from", "select.dataset")
    changes = card.get_by_role("list", name="Changes")
    expect(changes).to_contain_text("Node added: normalize_data (normalize)")
    expect(changes).to_contain_text("num_trees: 100 → 50")
    expect(changes).to_contain_text("Wire removed: select.dataset->split.dataset")
    expect(changes).to_contain_text("Parameter changed: training_data")
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / "version_diff.png"))

    # Going back from version 1 to 0, the new node shows as removed.
    card.get_by_label("From", exact=True).select_option("1")
    card.get_by_label("To", exact=True).select_option("0")
    card.get_by_role("button", name="Compare").click()
    expect(card.locator("g.node.diff-removed")).to_have_attribute("data-node-id", "normalize")

    # Version 1 was published from the draft as it is now: nothing differs.
    card.get_by_label("From", exact=True).select_option("1")
    card.get_by_label("To", exact=True).select_option(label="Its draft (current)")
    card.get_by_role("button", name="Compare").click()
    expect(card.get_by_label("Changes", exact=True)).to_have_text("No changes.")
    assert page.errors == []
