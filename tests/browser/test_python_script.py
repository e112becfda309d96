"""Execute Python Script as a person meets it: dragged from the palette, its script typed in
the details panel's code editor, wired, run, its result in Visualize and its print in the log."""

import re

from playwright.sync_api import expect

from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_designer_edit import drag_wire, drop_module, port, saved
from tests.browser.test_run_view import RUN_TIMEOUT, step

START = {"schema_version": 1, "name": "Python script", "parameters": [], "edges": [],
         "nodes": [{"id": "data", "module": "enter_data_manually", "position": {"x": 40, "y": 40},
                    "params": {"data": "name,age\nann,25\nbob,31\ncy,47\n"}}]}
LINES = ["import pandas as pd",
         "def azureml_main(dataframe1=None, dataframe2=None):",
         "print('hello from the script', len(dataframe1))",
         "return dataframe1.assign(twice=dataframe1['age'] * 2),"]


def test_type_a_script_run_it_and_see_its_result_and_its_print(page, client):
    created = client.post("/api/v1/pipelines", json={"document": START}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    page.get_by_label("Search modules").fill("python")
    expect(page.locator('.palette-item[data-module="execute_python_script"]')).to_be_visible()
    drop_module(page, "execute_python_script", 300, 260)
    script_node = page.locator('g.node[data-module="execute_python_script"]')
    expect(script_node).to_have_count(1)
    node_id = script_node.get_attribute("data-node-id")
    drag_wire(page, port(page, "data", "dataset", "out"), port(page, node_id, "dataframe1", "in"))
    expect(page.locator(f'path.wire[data-to="{node_id}.dataframe1"]')).to_have_count(1)
    script_node.locator(".node-body").click()
    expect(page.locator(".details .panel-title")).to_have_text("Execute Python Script")

    editor = page.get_by_role("textbox", name="Python script")
    expect(editor).to_have_value(re.compile("def azureml_main"))
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    for i, line in enumerate(LINES):
        if i:
            page.keyboard.press("Enter")  # keeps the indentation, one level more after a colon
        page.keyboard.type(line)
    typed = "\n".join(LINES[:2] + ["    " + line for line in LINES[2:]])
    expect(editor).to_have_value(typed)
    highlighted = page.locator(".code-highlight")
    expect(highlighted.locator(".tok-keyword", has_text="return")).to_have_count(1)
    expect(highlighted.locator(".tok-title")).to_have_text("azureml_main")
    expect(highlighted).to_have_text(typed + "\n")
    page.keyboard.press("Tab")  # Tab indents inside the editor ...
    expect(editor).to_be_focused()
    expect(editor).to_have_value(re.compile(r"\* 2\),    $"))
    for _ in range(4):
        page.keyboard.press("Backspace")
    page.keyboard.press("Escape")  # ... and Esc, then Tab, moves on
    page.keyboard.press("Tab")
    expect(editor).not_to_be_focused()
    saved(page)
    assert_accessible(page)

    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Submit a run").get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT)
    step(page, "Execute Python Script").click()
    expect(page.locator('[data-param="script"] pre')).to_have_text(typed)  # the script that ran
    page.get_by_role("tab", name="Outputs + logs").click()
    expect(page.get_by_label("Step log")).to_contain_text("hello from the script 3")
    page.get_by_role("button", name=re.compile("^Visualize Result dataset$")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("row-count")).to_have_text("3 rows")
    rows = dialog.get_by_role("table", name="First rows")
    expect(rows.locator("thead")).to_contain_text("twice")
    expect(rows.locator("tbody tr").last).to_contain_text("94")
    dialog.get_by_role("button", name="Close").click()
    page.get_by_role("button", name=re.compile("^Visualize Python device$")).click()
    expect(page.get_by_role("dialog").get_by_role("table", name="First rows")).to_contain_text(
        "hello from the script 3")
    assert page.errors == []
