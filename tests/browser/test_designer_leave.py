"""An edit made just before the page is left (reload, a link) is saved, not lost: autosave
waits 0.6 s after an edit, so the page sends what is unsaved as it goes."""

from playwright.sync_api import expect

DOCUMENT = {
    "schema_version": 1, "name": "Leaving", "parameters": [], "edges": [],
    "nodes": [{"id": "split", "module": "split_data", "position": {"x": 80, "y": 80},
               "params": {}}],
}


def open_split(page, client):
    """The designer on DOCUMENT with Split Data selected; returns the pipeline id."""
    created = client.post("/api/v1/pipelines", json={"document": DOCUMENT}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    page.locator('g.node[data-node-id="split"] .node-body').click()
    expect(page.locator(".details .panel-title")).to_have_text("Split Data")
    return created["id"]


def test_an_edit_followed_at_once_by_a_reload_is_kept(page, client):
    open_split(page, client)
    page.get_by_label("Fraction", exact=True).fill("0.3")
    page.get_by_label("Comment").fill("kept across the reload")
    page.reload()

    page.locator('g.node[data-node-id="split"] .node-body').click()
    expect(page.get_by_label("Fraction", exact=True)).to_have_value("0.3")
    expect(page.get_by_label("Comment")).to_have_value("kept across the reload")
    assert page.errors == []


def test_an_edit_followed_at_once_by_a_link_is_kept(page, client):
    pid = open_split(page, client)
    page.get_by_label("Comment").fill("kept after leaving")
    page.get_by_role("link", name="Experiments").click()
    expect(page).to_have_url("/experiments")

    for _ in range(50):  # the keepalive request may land just after the next page opens
        document = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]
        if document["nodes"][0].get("comment"):
            break
        page.wait_for_timeout(100)
    assert document["nodes"][0]["comment"] == "kept after leaving"
