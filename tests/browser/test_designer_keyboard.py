"""The designer with the keyboard alone: add modules from the palette, wire them, set a field."""

from playwright.sync_api import expect

from tests.browser.test_designer_edit import EMPTY, saved

MAX_TABS = 60


def tab_to(page, target):
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page."""
    for _ in range(MAX_TABS):
        if target.evaluate("(e) => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} never got the focus after {MAX_TABS} Tab presses")


def add_from_palette(page, query, label):
    """Search the palette, Tab to the module's entry and press Enter."""
    tab_to(page, page.get_by_label("Search modules"))
    page.keyboard.press("Control+A")
    page.keyboard.type(query)
    entry = page.locator(".palette-item:visible").filter(has=page.get_by_text(label, exact=True))
    tab_to(page, entry)
    page.keyboard.press("Enter")


def test_add_wire_and_configure_two_modules_with_the_keyboard(page, client):
    created = client.post("/api/v1/pipelines", json={"document": EMPTY}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    expect(page.get_by_role("button", name="Scratch")).to_be_visible()

    add_from_palette(page, "import", "Import Data")
    add_from_palette(page, "select col", "Select Columns in Dataset")
    expect(page.locator("g.node")).to_have_count(2)
    imported, selected = (page.locator(f'g.node[data-module="{m}"] .node-body').bounding_box()
                          for m in ("import_data", "select_columns"))
    assert selected["y"] >= imported["y"] + imported["height"]  # one below, not on top
    details = page.locator(".details")
    expect(details.locator(".panel-title")).to_have_text("Select Columns in Dataset")

    page.keyboard.press("c")  # connect the selected module
    dialog = page.get_by_role("dialog", name="Connect Select Columns in Dataset")
    wire = dialog.get_by_label("Wire")
    expect(wire).to_be_focused()
    expect(wire.locator("option")).to_have_text(
        ["Import Data: dataset → Select Columns in Dataset: dataset"])
    tab_to(page, dialog.get_by_role("button", name="Connect"))
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(page.locator("path.wire")).to_have_count(1)

    mode = details.get_by_label("Mode", exact=True)
    tab_to(page, mode)
    page.keyboard.press("ArrowDown")
    expect(mode).to_have_value("exclude")

    tab_to(page, page.get_by_role("application", name="Pipeline canvas"))
    page.keyboard.press("[")  # the previous module
    expect(details.locator(".panel-title")).to_have_text("Import Data")
    saved(page)
    document = client.get(f"/api/v1/pipelines/{created['id']}").get_json()["document"]
    nodes = {n["module"]: n for n in document["nodes"]}
    assert document["edges"] == [{"from": {"node": nodes["import_data"]["id"], "port": "dataset"},
                                  "to": {"node": nodes["select_columns"]["id"], "port": "dataset"}}]
    assert nodes["select_columns"]["params"]["mode"] == "exclude"
    assert page.errors == []
