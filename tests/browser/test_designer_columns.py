"""The column selector dialog of a column list field: by name (search, select all / none),
saved as the field's list of names, or by rules (by name and by type), saved as the rules,
shown again on reopening and applied to the columns that arrive from upstream."""

import json

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

INCOME = {"datastore": "samples", "path": "income/us.csv"}
DOCUMENT = {
    "schema_version": 1, "name": "Columns", "parameters": [],
    "nodes": [
        {"id": "data", "module": "import_data", "position": {"x": 40, "y": 40},
         "params": {"source": "datastore", "path": INCOME, "format": "csv"}},
        {"id": "pick", "module": "select_columns", "position": {"x": 40, "y": 220},
         "params": {"columns": ["age"]}},
    ],
    "edges": [{"from": {"node": "data", "port": "dataset"},
               "to": {"node": "pick", "port": "dataset"}}],
}
NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


def open_dialog(page, client):
    """The designer on DOCUMENT with Select Columns selected and its column dialog open."""
    created = client.post("/api/v1/pipelines", json={"document": DOCUMENT}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    page.locator('g.node[data-node-id="pick"] .node-body').click()
    field = page.locator('.details .field[data-param="columns"]')
    field.get_by_role("button", name="Edit columns").click()
    dialog = page.get_by_role("dialog", name="Edit columns: Columns")
    expect(dialog).to_be_visible()
    return created["id"], field, dialog


def saved_columns(client, pipeline_id):
    """The columns field of the stored draft, once autosave has written it."""
    doc = client.get(f"/api/v1/pipelines/{pipeline_id}").get_json()["document"]
    return next(n for n in doc["nodes"] if n["id"] == "pick")["params"].get("columns")


def test_columns_are_picked_by_name_with_search_and_select_all(page, client):
    pid, field, dialog = open_dialog(page, client)
    columns = dialog.get_by_role("group", name="Columns")
    expect(columns.get_by_label("age")).to_be_checked()
    expect(columns.get_by_label("income")).not_to_be_checked()
    preview = dialog.get_by_label("Selected columns")
    expect(preview).to_contain_text("1 of 15 columns selected")

    dialog.get_by_role("button", name="Select none").click()
    dialog.get_by_label("Search columns").fill("capital")
    expect(columns.get_by_label("age")).to_be_hidden()
    dialog.get_by_role("button", name="Select all").click()
    expect(preview).to_contain_text("2 of 15 columns selected")
    expect(preview).to_contain_text("capital-gain, capital-loss")
    dialog.get_by_label("Search columns").fill("")
    columns.get_by_label("income").check()
    page.screenshot(path=str(ARTIFACTS / "column-selector.png"))
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_be_hidden()
    expect(field.get_by_role("combobox")).to_have_value("capital-gain, capital-loss, income")
    wanted = ["capital-gain", "capital-loss", "income"]
    for _ in range(100):
        if saved_columns(client, pid) == wanted:
            break
        page.wait_for_timeout(100)
    assert saved_columns(client, pid) == wanted
    assert page.errors == []


def test_columns_are_picked_by_rules_of_type_and_name(page, client):
    pid, field, dialog = open_dialog(page, client)
    dialog.get_by_label("With rules").check()
    preview = dialog.get_by_label("Selected columns")
    expect(preview).to_contain_text("15 of 15 columns selected")
    dialog.get_by_label("Begin with").select_option("No columns")
    dialog.get_by_role("button", name="Add rule").click()
    dialog.get_by_label("Rule 1 action").select_option("Include")
    dialog.get_by_label("Rule 1 by").select_option("column type")
    dialog.get_by_label("Rule 1 column type").select_option("Numeric")
    expect(preview).to_contain_text(f"6 of 15 columns selected{', '.join(NUMERIC)}")
    dialog.get_by_role("button", name="Add rule").click()
    dialog.get_by_label("Rule 2 column names").fill("fnlwgt, education-num")
    kept = [c for c in NUMERIC if c not in ("fnlwgt", "education-num")]
    expect(preview).to_contain_text(", ".join(kept))
    dialog.get_by_role("button", name="Add rule").click()
    dialog.get_by_label("Rule 3 action").select_option("Include")
    dialog.get_by_label("Rule 3 by").select_option("column type")
    dialog.get_by_label("Rule 3 column type").select_option("Text")
    dialog.get_by_role("button", name="Remove rule 3").click()
    expect(preview).to_contain_text("4 of 15 columns selected")
    dialog.get_by_role("button", name="Save").click()

    # The field holds the rules, in words, and what they select now.
    expect(field.get_by_role("combobox")).to_be_hidden()
    expect(field.locator(".columns-rules")).to_have_text(
        "Chosen by rules: no columns, include type Numeric, exclude fnlwgt, education-num")
    expect(field.get_by_label("Selected columns")).to_have_text(
        f"Selected: 4 of 15 columns: {', '.join(kept)}")
    wanted = {"isFilter": True, "rules": [
        {"ruleType": "ColumnTypes", "exclude": False, "columnTypes": ["Numeric"],
         "columnKinds": ["All"]},
        {"ruleType": "ColumnNames", "exclude": True, "columns": ["fnlwgt", "education-num"]}]}
    for _ in range(100):
        if saved_columns(client, pid) == wanted:
            break
        page.wait_for_timeout(100)
    assert saved_columns(client, pid) == wanted

    # Another node, then this one again: the dialog opens on the rules as they were set.
    page.locator('g.node[data-node-id="data"] .node-body').click()
    page.locator('g.node[data-node-id="pick"] .node-body').click()
    field.get_by_role("button", name="Edit columns").click()
    expect(dialog.get_by_label("With rules")).to_be_checked()
    expect(dialog.get_by_label("Begin with")).to_have_value("none")
    expect(dialog.get_by_label("Rule 1 action")).to_have_value("include")
    expect(dialog.get_by_label("Rule 1 by")).to_have_value("type")
    expect(dialog.get_by_label("Rule 1 column type")).to_have_value("numeric")
    expect(dialog.get_by_label("Rule 2 action")).to_have_value("exclude")
    expect(dialog.get_by_label("Rule 2 column names")).to_have_value("fnlwgt, education-num")
    expect(dialog.get_by_label("Selected columns")).to_contain_text("4 of 15 columns selected")
    dialog.get_by_role("button", name="Cancel").click()
    assert page.errors == []


def test_rules_follow_the_columns_that_arrive_from_upstream(page, client):
    document = {**DOCUMENT, "nodes": [
        DOCUMENT["nodes"][0],
        {"id": "drop", "module": "select_columns", "position": {"x": 40, "y": 130},
         "params": {"mode": "exclude", "columns": ["fnlwgt"]}},
        {**DOCUMENT["nodes"][1], "params": {"columns": {"isFilter": True, "rules": [
            {"ruleType": "ColumnTypes", "exclude": False, "columnTypes": ["Numeric"]}]}}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "drop", "port": "dataset"}},
                  {"from": {"node": "drop", "port": "dataset"},
                   "to": {"node": "pick", "port": "dataset"}}]}
    created = client.post("/api/v1/pipelines", json={"document": document}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    page.locator('g.node[data-node-id="pick"] .node-body').click()
    field = page.locator('.details .field[data-param="columns"]')
    numeric = [c for c in NUMERIC if c != "fnlwgt"]
    expect(field.get_by_label("Selected columns")).to_have_text(
        f"Selected: 5 of 14 columns: {', '.join(numeric)}")

    # Upstream now drops capital-gain as well: the same rules select one column fewer.
    page.locator('g.node[data-node-id="drop"] .node-body').click()
    page.locator('.details .field[data-param="columns"]').get_by_role("combobox").fill(
        "fnlwgt, capital-gain")
    page.locator('g.node[data-node-id="pick"] .node-body').click()
    numeric.remove("capital-gain")
    expect(field.get_by_label("Selected columns")).to_have_text(
        f"Selected: 4 of 13 columns: {', '.join(numeric)}")
    field.get_by_role("button", name="Edit columns").click()
    dialog = page.get_by_role("dialog", name="Edit columns: Columns")
    expect(dialog.get_by_label("Selected columns")).to_contain_text(
        f"4 of 13 columns selected{', '.join(numeric)}")
    assert page.errors == []


def test_cancel_leaves_the_field_as_it_was(page, client):
    _, field, dialog = open_dialog(page, client)
    dialog.get_by_role("button", name="Select all").click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(field.get_by_role("combobox")).to_have_value("age")


def test_a_field_chosen_by_rules_becomes_a_pipeline_parameter_and_back(page, client):
    rules = {"isFilter": True, "rules": [
        {"ruleType": "ColumnTypes", "exclude": False, "columnTypes": ["Numeric"],
         "columnKinds": ["All"]}]}
    document = {**DOCUMENT, "nodes": [DOCUMENT["nodes"][0],
                                      {**DOCUMENT["nodes"][1], "params": {"columns": rules}}]}
    created = client.post("/api/v1/pipelines", json={"document": document}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    page.locator('g.node[data-node-id="pick"] .node-body').click()
    field = page.locator('.details .field[data-param="columns"]')
    field.hover()
    page.get_by_role("button", name="More options for Columns").click()
    page.get_by_role("menu", name="Field options").get_by_role(
        "menuitem", name="Add to pipeline parameter").click()
    dialog = page.get_by_role("dialog", name="Add to pipeline parameter")
    expect(dialog.get_by_label("Type")).to_have_value("string")
    # The rules as their JSON text: the value a run, the Submit dialog or REST gives.
    default = dialog.get_by_label("Default", exact=True)
    assert json.loads(default.input_value()) == rules
    dialog.get_by_label("Name").fill("feature_columns")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(field.locator(".param-chip")).to_contain_text("feature_columns")
    expect(field).to_contain_text("= rules: no columns, include type Numeric")
    for _ in range(100):
        doc = client.get(f"/api/v1/pipelines/{created['id']}").get_json()["document"]
        if doc["parameters"]:
            break
        page.wait_for_timeout(100)
    assert next(n for n in doc["nodes"] if n["id"] == "pick")["params"]["columns"] == {
        "$param": "feature_columns"}
    assert json.loads(doc["parameters"][0]["default"]) == rules

    # Detached, the field holds the rules again, shown in words with what they select.
    field.hover()
    page.get_by_role("button", name="More options for Columns").click()
    page.get_by_role("menu", name="Field options").get_by_role(
        "menuitem", name="Detach from pipeline parameter").click()
    expect(field.locator(".columns-rules")).to_have_text(
        "Chosen by rules: no columns, include type Numeric")
    expect(field.get_by_label("Selected columns")).to_have_text(
        f"Selected: 6 of 15 columns: {', '.join(NUMERIC)}")
    assert page.errors == []
