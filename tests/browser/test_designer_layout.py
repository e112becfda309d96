"""The designer on a small screen (1024x700): messages hide no part of the canvas and can be
dismissed; the side panels are docked beside the canvas and collapse."""

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_designer_edit import drag_wire, pipeline_id, port


def overlaps(a, b):
    """Whether two bounding boxes share any area."""
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def open_income(page, client):
    page.set_viewport_size({"width": 1024, "height": 700})
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    expect(page.locator("path.wire")).to_have_count(8)


def test_a_refused_wire_message_hides_nothing_and_can_be_dismissed(page, client):
    open_income(page, client)
    drag_wire(page, port(page, "split", "results1", "out"),
              port(page, "train", "untrained_model", "in"))
    message = page.get_by_role("alert").filter(has_text="Cannot connect")
    expect(message).to_contain_text("Cannot connect dataframe to untrained_model")
    canvas = page.get_by_role("region", name="Canvas")
    assert not overlaps(message.bounding_box(), canvas.bounding_box())
    page.screenshot(path=str(ARTIFACTS / "designer-1024-message.png"))

    page.get_by_role("button", name="Dismiss message").click()
    expect(message).to_be_hidden()
    assert page.errors == []


def test_side_panels_collapse_and_stay_collapsed(page, client):
    open_income(page, client)
    canvas = page.get_by_role("region", name="Canvas")
    width = canvas.bounding_box()["width"]

    page.get_by_role("button", name="Hide modules").click()
    page.get_by_role("button", name="Hide details").click()
    expect(page.get_by_placeholder("Search modules")).to_be_hidden()
    expect(page.get_by_role("button", name="Show modules")).to_be_visible()
    wider = canvas.bounding_box()["width"]
    page.screenshot(path=str(ARTIFACTS / "designer-1024-collapsed.png"))
    assert wider > width + 400

    page.reload()
    expect(page.locator("path.wire")).to_have_count(8)
    expect(page.get_by_role("button", name="Show details")).to_be_visible()
    page.get_by_role("button", name="Show modules").click()
    expect(page.get_by_placeholder("Search modules")).to_be_visible()
    expect(page.get_by_role("button", name="Hide modules")).to_have_attribute(
        "aria-expanded", "true")
    assert page.errors == []


def test_the_parameters_panel_docks_beside_the_canvas(page, client):
    open_income(page, client)
    page.get_by_role("button", name="Pipeline parameters").click()
    panel = page.get_by_role("region", name="Pipeline parameters")
    expect(panel).to_be_visible()
    canvas = page.get_by_role("region", name="Canvas")
    assert not overlaps(panel.bounding_box(), canvas.bounding_box())
    assert page.errors == []
