"""The designer, polished: required fields caught before Submit, readable node ids, labelled
fields that show only when they apply, readable nodes."""

import re

from playwright.sync_api import expect

EMPTY = {"schema_version": 1, "name": "Scratch", "nodes": [], "edges": [], "parameters": []}


def scratch(page, client):
    """Open a new, empty pipeline in the designer; returns its id."""
    created = client.post("/api/v1/pipelines", json={"document": EMPTY}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    expect(page.get_by_role("button", name="Scratch")).to_be_visible()
    return created["id"]


def add(page, module):
    """Add a module from the palette (double click): it lands selected."""
    page.locator(f'.palette-item[data-module="{module}"]').dblclick()


def test_a_required_field_is_flagged_before_submit(page, client):
    scratch(page, client)
    add(page, "import_data")
    imported = page.locator('g.node[data-module="import_data"]')
    expect(imported).to_have_attribute("data-has-errors", "true")
    expect(imported.locator(".error-badge")).to_be_visible()
    path = page.locator('.details .field[data-param="path"]')
    expect(path).to_have_class(re.compile(r"\bfield-invalid\b"))
    expect(path.locator("[data-server-for]")).to_contain_text(
        "The 'path' parameter of Import Data is required when source is 'datastore'.")

    page.get_by_role("button", name="Submit").click()
    problems = page.get_by_role("dialog", name="Fix these problems before submitting")
    expect(problems).to_contain_text("Import Data")
    expect(problems).to_contain_text("'path' parameter of Import Data is required")
    expect(page.get_by_role("dialog", name="Submit a run")).to_have_count(0)
    problems.get_by_role("button", name="Close").click()

    # Filled in, the problem goes: badge and field message both.
    page.get_by_label("Path datastore").select_option("samples")
    page.get_by_label("Path path").fill("income/us.csv")
    expect(imported).not_to_have_attribute("data-has-errors", "true")
    expect(path).not_to_have_class(re.compile(r"\bfield-invalid\b"))
    assert page.errors == []


FAILING = {
    "name": "Failing", "parameters": [], "edges": [
        {"from": {"node": "data", "port": "dataset"}, "to": {"node": "train", "port": "dataset"}},
        {"from": {"node": "lr", "port": "untrained_model"},
         "to": {"node": "train", "port": "untrained_model"}}],
    "nodes": [
        {"id": "data", "module": "enter_data_manually", "params": {"data": "x,y\n1,2\n2,4\n"}},
        {"id": "lr", "module": "linear_regression", "params": {}},
        {"id": "train", "module": "train_model", "params": {"label_column": "incme"}}],
}


def test_a_failed_run_names_the_module_in_its_header(page, client):
    run = client.post("/api/v1/runs", json={"document": FAILING}).get_json()
    page.goto(f"/runs/{run['id']}")
    reason = page.locator(".reason")
    expect(reason).to_contain_text("Train Model failed: ", timeout=30_000)
    expect(reason).to_contain_text("incme")
    expect(reason).not_to_contain_text("step train")


def test_new_nodes_get_readable_ids_shown_and_copyable(page, client):
    pid = scratch(page, client)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    add(page, "evaluate_model")
    add(page, "evaluate_model")
    nodes = page.locator('g.node[data-module="evaluate_model"]')
    expect(nodes).to_have_count(2)
    assert sorted(nodes.evaluate_all("els => els.map(e => e.dataset.nodeId)")) == [
        "evaluate_model", "evaluate_model_2"]
    id_line = page.locator(".details .node-id")
    expect(id_line).to_contain_text("Node id evaluate_model_2")
    id_line.get_by_role("button", name="Copy node id").click()
    expect(id_line.get_by_role("button", name="Copy node id")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "evaluate_model_2"
    expect(page.locator(".save-state")).to_have_text("Saved", timeout=10_000)
    stored = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]
    assert [n["id"] for n in stored["nodes"]] == ["evaluate_model", "evaluate_model_2"]


def test_existing_documents_keep_their_ids(page, client):
    pid = next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
               if p["name"] == "Income prediction")
    before = [n["id"] for n in client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]["nodes"]]
    page.goto(f"/pipelines/{pid}")
    page.locator('g.node[data-node-id="split"] .node-body').click()
    expect(page.locator(".details .node-id")).to_contain_text("Node id split")
    add(page, "split_data")
    expect(page.locator(".details .node-id")).to_contain_text("Node id split_data")
    ids = page.locator("g.node").evaluate_all("els => els.map(e => e.dataset.nodeId)")
    assert ids[:len(before)] == before
