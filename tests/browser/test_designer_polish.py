"""The designer, polished: required fields caught before Submit, readable node ids, labelled
fields that show only when they apply, readable nodes."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

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
    stored = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]
    before = [n["id"] for n in stored["nodes"]]
    page.goto(f"/pipelines/{pid}")
    page.locator('g.node[data-node-id="split"] .node-body').click()
    expect(page.locator(".details .node-id")).to_contain_text("Node id split")
    add(page, "split_data")
    expect(page.locator(".details .node-id")).to_contain_text("Node id split_data")
    ids = page.locator("g.node").evaluate_all("els => els.map(e => e.dataset.nodeId)")
    assert ids[:len(before)] == before


def options(select):
    """The texts a person reads in a drop-down."""
    return select.locator("option").all_text_contents()


def test_fields_show_labels_and_only_when_they_apply(page, client):
    scratch(page, client)
    add(page, "import_data")
    source = page.get_by_label("Source", exact=True)
    assert options(source) == ["Datastore", "URL over HTTP"]
    expect(page.get_by_label("Path path")).to_be_visible()
    expect(page.locator('.details .field[data-param="url"]')).to_be_hidden()
    source.select_option(label="URL over HTTP")
    expect(page.get_by_label("URL", exact=True)).to_be_visible()
    expect(page.locator('.details .field[data-param="path"]')).to_be_hidden()
    assert options(page.get_by_label("Format", exact=True)) == ["CSV", "TSV", "Parquet"]
    page.get_by_label("Format", exact=True).select_option(label="Parquet")
    expect(page.locator('.details .field[data-param="header"]')).to_be_hidden()

    add(page, "split_data")
    mode = page.get_by_label("Splitting mode")
    assert options(mode) == ["Split rows", "Regular expression split",
                             "Relative expression split"]
    expect(page.get_by_label("Fraction", exact=True)).to_be_visible()
    expect(page.locator('.details .field[data-param="expression"]')).to_be_hidden()
    expect(page.locator('.details .field[data-param="stratify_column"]')).to_be_hidden()
    page.get_by_label("Stratified", exact=True).check()
    expect(page.locator('.details .field[data-param="stratify_column"]')).to_be_visible()
    mode.select_option(label="Regular expression split")
    expect(page.get_by_label("Expression", exact=True)).to_be_visible()
    expect(page.locator('.details .field[data-param="fraction"]')).to_be_hidden()

    add(page, "clean_missing_data")
    cleaning = page.get_by_label("Cleaning mode")
    assert "Custom substitution value" in options(cleaning)
    assert "Replace with mean" in options(cleaning)
    expect(page.locator(".details")).not_to_contain_text("custom_substitution_value")
    expect(page.get_by_label("Replacement value")).to_be_visible()
    cleaning.select_option(label="Replace with mean")
    expect(page.locator('.details .field[data-param="replacement_value"]')).to_be_hidden()
    # Undo brings the field back with the value that made it apply.
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_label("Replacement value")).to_be_visible()
    assert page.errors == []


def test_nodes_show_category_icon_wrapped_names_port_names_and_run_status(page, client):
    scratch(page, client)
    add(page, "two_class_boosted_decision_tree")
    learner = page.locator('g.node[data-module="two_class_boosted_decision_tree"]')
    # The whole name, on two lines: nothing cut.
    lines = learner.locator(".node-label tspan")
    expect(lines).to_have_text(["Two-Class Boosted", "Decision Tree"])
    expect(learner.locator(".node-icon")).to_have_text("✱")
    stripe = learner.locator(".node-stripe").evaluate("e => getComputedStyle(e).fill")
    add(page, "split_data")
    split = page.locator('g.node[data-module="split_data"]')
    assert split.locator(".node-stripe").evaluate("e => getComputedStyle(e).fill") != stripe
    # Port names are written on the node: Split Data's two outputs differ at a glance.
    expect(split.locator(".port-label-out")).to_have_text(["Results1", "Results2"])
    expect(split.locator(".port-label-in")).to_have_text(["Dataset"])
    add(page, "train_model")
    train = page.locator('g.node[data-module="train_model"]')
    expect(train.locator(".port-label-in")).to_have_text(["Untrained model", "Dataset"])
    expect(train.locator(".port-label-in").first).to_be_visible()
    # Zoomed far out they would be unreadable specks: hidden.
    for _ in range(8):
        page.get_by_role("button", name="Zoom out").click()
    expect(train.locator(".port-label-in").first).to_be_hidden()
    assert page.errors == []


def test_the_designer_shows_each_nodes_status_of_the_last_run(page, client):
    pid = next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
               if p["name"] == "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    expect(page.locator("g.node[data-status]")).to_have_count(0)
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Submit a run").get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    page.goto(f"/pipelines/{pid}")
    evaluate = page.locator('g.node[data-node-id="evaluate"]')
    # A step waiting for its turn (slow machines: for its run to be claimed) shows NotStarted.
    expect(evaluate).to_have_attribute("data-status",
                                       re.compile("NotStarted|Queued|Running|Finished"))
    expect(evaluate).to_have_attribute("data-status", "Finished", timeout=60_000)
    expect(evaluate.locator(".status-chip")).to_have_text("Finished")
    expect(page.locator("g.node[data-status=Finished]")).to_have_count(8)
    last = page.get_by_role("link", name=re.compile("Last run: Finished"))
    expect(last).to_have_attribute("href", re.compile(r"^/runs/[0-9a-f]+$"))
    ARTIFACTS.mkdir(exist_ok=True)  # the designer with the Income sample, for people to look at
    page.screenshot(path=str(ARTIFACTS / "designer-income.png"))
    assert page.errors == []
