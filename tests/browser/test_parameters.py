"""Pipeline parameters in Chromium: field "..." menus, the Settings panel, Browse path, run view."""

import re

from playwright.sync_api import expect


def pipeline_id(client, name):
    """The id of the stored pipeline called ``name``."""
    return next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
                if p["name"] == name)


def open_income(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    return pid


def select_node(page, node_id):
    page.locator(f'g.node[data-node-id="{node_id}"] .node-body').click()


def field(page, name):
    return page.locator(f'.details .field[data-param="{name}"]')


def field_menu(page, name, label):
    """Hover a field, click its "..." button; the open menu."""
    field(page, name).hover()
    page.get_by_role("button", name=f"More options for {label}").click()
    menu = page.get_by_role("menu", name="Field options")
    expect(menu).to_be_visible()
    return menu


def saved_document(page, client, pid):
    expect(page.locator(".save-state")).to_have_text("Saved", timeout=10_000)
    return client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]


def node_params(document, node_id):
    return next(n for n in document["nodes"] if n["id"] == node_id)["params"]


def chip(page, name):
    """The parameter chip of a bound field."""
    return field(page, name).locator(".param-chip")


def pick(page, name, label, item):
    """Choose an item of a field's "..." menu."""
    field_menu(page, name, label).get_by_role("menuitem", name=item).click()


def settings(page):
    """Open the Settings (pipeline parameters) panel."""
    page.get_by_role("button", name="Pipeline parameters").click()
    panel = page.get_by_role("region", name="Pipeline parameters")
    expect(panel).to_be_visible()
    return panel


def card(panel, name):
    return panel.locator(f'.param-card[data-parameter="{name}"]')


def add_string_parameter(page, panel, name, default):
    """Add a string parameter with the Settings panel's "+" dialog; its card."""
    panel.get_by_role("button", name="Add a pipeline parameter").click()
    dialog = page.get_by_role("dialog", name="Add pipeline parameter")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Default", exact=True).fill(default)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    return card(panel, name)


def test_promote_path_browse_submit_and_see_it_in_the_run(page, client):
    pid = open_income(page, client)
    select_node(page, "import")
    path_field = field(page, "path")
    expect(path_field.locator(".param-chip")).to_have_text(re.compile("training_data"))

    # The sample's Path is bound: detach it first; it keeps the parameter's value.
    pick(page, "path", "Path", "Detach from pipeline parameter")
    expect(page.get_by_label("Path datastore")).to_have_value("samples")
    expect(page.get_by_label("Path path")).to_have_value("income/us.csv")

    # Promote it again under a new name; the name rules are told inline.
    pick(page, "path", "Path", "Add to pipeline parameter")
    dialog = page.get_by_role("dialog", name="Add to pipeline parameter")
    name = dialog.get_by_label("Name")
    expect(name).to_have_value("path")
    expect(dialog.get_by_label("Type")).to_have_value("data_path")
    expect(dialog.get_by_label("Default datastore")).to_have_value("samples")
    expect(dialog.get_by_label("Default path")).to_have_value("income/us.csv")
    name.fill("1data")
    expect(dialog.get_by_text("A parameter name starts with a letter.")).to_be_visible()
    name.fill("bad name")
    expect(dialog.get_by_text("Use only letters, digits, '_' and '-' in a parameter name.")
           ).to_be_visible()
    name.fill("training_data")
    expect(dialog.get_by_text("A pipeline parameter named 'training_data' exists.")).to_be_visible()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_visible()
    name.fill("retrain_data")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(path_field.locator(".param-chip")).to_have_text(re.compile("retrain_data"))
    expect(path_field).to_contain_text("= samples:income/us.csv")
    document = saved_document(page, client, pid)
    assert node_params(document, "import")["path"] == {"$param": "retrain_data"}
    added = next(p for p in document["parameters"] if p["name"] == "retrain_data")
    assert added["type"] == "data_path"
    assert added["default"] == {"datastore": "samples", "path": "income/us.csv"}

    # The Settings panel lists it with its "used by"; the old one is flagged unused.
    select_node(page, "split")
    panel = settings(page)
    used_by = card(panel, "retrain_data").get_by_role("button", name="Import Data · Path")
    expect(used_by).to_be_visible()
    expect(card(panel, "training_data").get_by_text("Unused")).to_be_visible()
    expect(card(panel, "retrain_data").get_by_text("Unused")).to_have_count(0)
    used_by.click()
    expect(page.locator(".details .panel-title")).to_have_text("Import Data")
    expect(page.locator('g.node[data-node-id="import"]')).to_have_class(re.compile("selected"))
    panel.get_by_role("button", name="Close pipeline parameters").click()
    expect(panel).to_be_hidden()

    # Submit: Browse path picks income/non_us.csv as this run's value.
    page.get_by_role("button", name="Submit", exact=True).click()
    submit = page.get_by_role("dialog", name="Submit a run")
    retrain = submit.locator('.field[data-parameter="retrain_data"]')
    expect(retrain.get_by_label("retrain_data path")).to_have_value("income/us.csv")
    retrain.get_by_role("button", name="Browse").click()
    browse = page.get_by_role("dialog", name="Browse path")
    expect(browse.get_by_role("treeitem").filter(has_text="us.csv").first).to_be_visible()
    selected = browse.locator('[role="treeitem"][aria-selected="true"]')
    expect(selected).to_have_attribute("data-path", "income/us.csv")
    # The revealed file's preview first: it resizes the pane, and a click while it arrives
    # can land beside the row aimed at.
    expect(browse.get_by_role("heading", name="income/us.csv", exact=True)).to_be_visible()
    browse.get_by_role("button", name="non_us.csv").click()
    expect(browse.get_by_role("heading", name="income/non_us.csv", exact=True)).to_be_visible()
    expect(browse.get_by_text("samples:income/non_us.csv")).to_be_visible()
    expect(browse.get_by_label("Detected columns")).to_contain_text("native-country")
    expect(browse.get_by_role("table", name="First rows").locator("tbody tr")).not_to_have_count(0)
    browse.get_by_role("button", name="Choose").click()
    expect(browse).to_be_hidden()
    expect(retrain.get_by_label("retrain_data path")).to_have_value("income/non_us.csv")
    submit.get_by_label("Experiment").fill("retrain-ui")
    submit.get_by_role("button", name="Submit").click()

    # The run view shows the value and the field it set; the run finishes.
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    value = page.locator('.run-header [data-param="retrain_data"]')
    expect(value).to_have_text("retrain_data = samples:income/non_us.csv → Import Data.path")
    expect(page.locator('.run-header [data-param="training_data"]')).to_contain_text("(unused)")
    expect(page.get_by_test_id("run-status")).to_have_text("Finished", timeout=90_000)
    run = client.get(f"/api/v1/runs/{page.url.rsplit('/', 1)[1]}").get_json()
    assert run["parameters"]["retrain_data"] == {"datastore": "samples",
                                                 "path": "income/non_us.csv"}
    assert page.errors == []


def test_delete_from_settings_detaches_everywhere_and_undo_brings_it_back(page, client):
    pid = open_income(page, client)
    panel = settings(page)
    doomed = card(panel, "training_data")
    expect(doomed.get_by_role("button", name="Import Data · Path")).to_be_visible()
    doomed.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete pipeline parameter 'training_data'?")
    expect(confirm).to_contain_text("keeps its current value (samples:income/us.csv)")
    confirm.get_by_role("button", name="Cancel").click()
    expect(doomed).to_be_visible()
    doomed.get_by_role("button", name="Delete").click()
    confirm.get_by_role("button", name="Delete").click()
    expect(doomed).to_have_count(0)
    expect(panel).to_contain_text("No parameters yet.")
    select_node(page, "import")
    expect(field(page, "path").locator(".param-chip")).to_have_count(0)
    expect(page.get_by_label("Path path")).to_have_value("income/us.csv")
    document = saved_document(page, client, pid)
    assert document["parameters"] == []
    assert node_params(document, "import")["path"] == {"datastore": "samples",
                                                       "path": "income/us.csv"}

    page.get_by_role("button", name="Undo").click()
    expect(field(page, "path").locator(".param-chip")).to_have_text(re.compile("training_data"))
    expect(card(panel, "training_data")).to_be_visible()
    document = saved_document(page, client, pid)
    assert node_params(document, "import")["path"] == {"$param": "training_data"}
    assert page.errors == []


def test_one_parameter_drives_two_replacement_values(page, client):
    pid = open_income(page, client)
    select_node(page, "clean")
    # The replacement value applies (is shown) in the custom substitution mode only.
    page.get_by_label("Cleaning mode").select_option(label="Custom substitution value")
    field_menu(page, "replacement_value", "Replacement value").get_by_role(
        "menuitem", name="Add to pipeline parameter").click()
    dialog = page.get_by_role("dialog", name="Add to pipeline parameter")
    expect(dialog.get_by_label("Type")).to_have_value("string")
    expect(dialog.get_by_label("Default", exact=True)).to_have_value("0")
    dialog.get_by_label("Name").fill("fill_value")
    dialog.get_by_role("button", name="Save").click()
    expect(chip(page, "replacement_value")).to_have_text(re.compile("fill_value"))

    # A second Clean Missing Data: attach the same parameter (only fitting ones are listed).
    page.locator('.palette-item[data-module="clean_missing_data"]').dblclick()
    expect(page.locator("g.node")).to_have_count(9)
    expect(page.locator(".details .panel-title")).to_have_text("Clean Missing Data")
    second = page.locator("g.node.selected").get_attribute("data-node-id")
    menu = field_menu(page, "generate_indicator", "Generate indicator")
    menu.get_by_role("menuitem", name="Attach to pipeline parameter").click()
    expect(menu.get_by_role("menuitem", name="No parameter of a fitting type")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    menu = field_menu(page, "replacement_value", "Replacement value")
    menu.get_by_role("menuitem", name="Attach to pipeline parameter").click()
    expect(menu.get_by_role("menuitem", name="training_data")).to_have_count(0)
    menu.get_by_role("menuitem", name="fill_value").click()
    expect(chip(page, "replacement_value")).to_have_text(re.compile("fill_value"))

    # Change the default in Settings: both fields follow it.
    panel = settings(page)
    fill = card(panel, "fill_value")
    expect(fill.get_by_role("listitem")).to_have_count(2)
    fill.get_by_label("Default").fill("-1")
    expect(field(page, "replacement_value")).to_contain_text("= -1")
    select_node(page, "clean")
    expect(field(page, "replacement_value")).to_contain_text("= -1")
    document = saved_document(page, client, pid)
    assert next(p for p in document["parameters"] if p["name"] == "fill_value")["default"] == "-1"
    assert node_params(document, "clean")["replacement_value"] == {"$param": "fill_value"}
    assert node_params(document, second)["replacement_value"] == {"$param": "fill_value"}

    # Rename in place updates both bindings; a bad name is refused with a message.
    name = fill.get_by_label("Name")
    name.fill("training_data")
    name.press("Enter")
    expect(fill.get_by_text("A pipeline parameter named 'training_data' exists.")).to_be_visible()
    name.fill("missing_fill")
    name.press("Enter")
    renamed = card(panel, "missing_fill")
    expect(renamed.get_by_role("listitem")).to_have_count(2)
    expect(chip(page, "replacement_value")).to_have_text(re.compile("missing_fill"))
    document = saved_document(page, client, pid)
    assert node_params(document, second)["replacement_value"] == {"$param": "missing_fill"}
    assert node_params(document, "clean")["replacement_value"] == {"$param": "missing_fill"}

    # Detach one: it keeps the value; the other stays bound.
    field_menu(page, "replacement_value", "Replacement value").get_by_role(
        "menuitem", name="Detach from pipeline parameter").click()
    expect(page.get_by_label("Replacement value")).to_have_value("-1")
    expect(renamed.get_by_role("listitem")).to_have_count(1)
    document = saved_document(page, client, pid)
    assert node_params(document, "clean")["replacement_value"] == "-1"
    assert node_params(document, second)["replacement_value"] == {"$param": "missing_fill"}
    assert page.errors == []


def test_add_a_parameter_in_settings_with_a_range(page, client):
    open_income(page, client)
    panel = settings(page)
    panel.get_by_role("button", name="Add a pipeline parameter").click()
    dialog = page.get_by_role("dialog", name="Add pipeline parameter")
    dialog.get_by_label("Name").fill("seed")
    dialog.get_by_label("Type").select_option("int")
    dialog.get_by_label("Minimum (optional)").fill("0")
    dialog.get_by_label("Maximum (optional)").fill("100")
    dialog.get_by_label("Default", exact=True).fill("500")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text("Default: Must be between 0 and 100.")
    dialog.get_by_label("Default", exact=True).fill("7")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    seed = card(panel, "seed")
    expect(seed.get_by_text("Unused")).to_be_visible()
    expect(seed).to_contain_text("Range: 0 to 100")

    # Attach it to Split Data's seed; its default is then checked against that field too.
    select_node(page, "split")
    menu = field_menu(page, "seed", "Seed")
    menu.get_by_role("menuitem", name="Attach to pipeline parameter").click()
    menu.get_by_role("menuitem", name="seed").click()
    expect(field(page, "seed").locator(".param-chip")).to_have_text(re.compile("seed"))
    expect(seed.get_by_role("button", name="Split Data · Seed")).to_be_visible()
    expect(seed.get_by_text("Unused")).to_have_count(0)
    seed.get_by_label("Default").fill("2.5")
    expect(seed.get_by_text("Must be a whole number.")).to_be_visible()
    seed.get_by_label("Default").fill("42")
    expect(field(page, "seed")).to_contain_text("= 42")
    page.get_by_role("button", name="Undo").click()
    expect(field(page, "seed")).to_contain_text("= 7")
    assert page.errors == []


def test_a_column_picker_naming_a_missing_column_is_flagged_at_the_field(page, client):
    open_income(page, client)
    select_node(page, "train")
    label = page.get_by_label("Label column")
    expect(label).to_have_value("income")
    label.fill("incme")
    train = field(page, "label_column")
    expect(train.locator("[data-server-for]")).to_contain_text(
        "column(s) 'incme' of 'label_column' are not in the input data set", timeout=10_000)
    expect(label).to_have_attribute("aria-invalid", "true")
    train_node = page.locator('g.node[data-node-id="train"]')
    expect(train_node).to_have_attribute("data-has-errors", "true")
    label.fill("income")
    expect(train.locator("[data-server-for]")).to_have_text("", timeout=10_000)
    assert page.errors == []


def test_change_a_parameter_type_in_settings(page, client):
    pid = open_income(page, client)
    panel = settings(page)
    trees = add_string_parameter(page, panel, "trees", "40")
    kind = trees.get_by_label("Type")
    expect(kind).to_have_value("string")
    # Unused, it may take any type; its default carries over where it means something.
    kind.select_option("int")
    expect(trees.get_by_label("Type")).to_have_value("int")
    # The card is drawn again once the change is made: the default is now a whole-number field.
    expect(trees.get_by_label("Default")).to_have_attribute("step", "1")
    expect(trees.get_by_label("Default")).to_have_value("40")
    parameters = saved_document(page, client, pid)["parameters"]
    stored = next(p for p in parameters if p["name"] == "trees")
    assert (stored["type"], stored["default"]) == ("int", 40)
    trees.get_by_label("Type").select_option("bool")
    expect(trees.get_by_text("The default did not carry over: give a new one.")).to_be_visible()
    expect(trees.get_by_label("Default")).not_to_be_checked()
    page.get_by_role("button", name="Undo").click()
    expect(trees.get_by_label("Type")).to_have_value("int")
    expect(trees.get_by_label("Default")).to_have_value("40")

    # Bound to Split Data's seed (an int field), only int remains.
    select_node(page, "split")
    menu = field_menu(page, "seed", "Seed")
    menu.get_by_role("menuitem", name="Attach to pipeline parameter").click()
    menu.get_by_role("menuitem", name="trees").click()
    expect(trees.get_by_label("Type")).to_be_disabled()
    expect(trees.get_by_label("Type").locator("option")).to_have_text(["int"])

    # A float field accepts int and float: Split Data's fraction.
    panel.get_by_role("button", name="Add a pipeline parameter").click()
    dialog = page.get_by_role("dialog", name="Add pipeline parameter")
    dialog.get_by_label("Name").fill("share")
    dialog.get_by_label("Type").select_option("float")
    dialog.get_by_label("Default", exact=True).fill("0.6")
    dialog.get_by_role("button", name="Save").click()
    menu = field_menu(page, "fraction", "Fraction")
    menu.get_by_role("menuitem", name="Attach to pipeline parameter").click()
    menu.get_by_role("menuitem", name="share").click()
    share = card(panel, "share")
    expect(share.get_by_label("Type").locator("option")).to_have_text(["int", "float"])
    share.get_by_label("Type").select_option("int")
    expect(share.get_by_text("The default did not carry over: give a new one.")).to_be_visible()
    assert page.errors == []


def test_parameter_edits_are_made_by_the_server_and_a_stale_tab_is_told(page, client):
    """The designer sends parameter edits to the REST routes: pending field edits are saved
    first, the answer is adopted at once, and an edit on a revision another tab replaced is
    refused with the conflict banner."""
    pid = open_income(page, client)
    before = client.get(f"/api/v1/pipelines/{pid}").get_json()["revision"]
    select_node(page, "split")
    field(page, "seed").locator("input").fill("5")
    panel = settings(page)
    expect(add_string_parameter(page, panel, "note", "hello")).to_be_visible()
    stored = client.get(f"/api/v1/pipelines/{pid}").get_json()
    assert [p["name"] for p in stored["document"]["parameters"]] == ["training_data", "note"]
    assert node_params(stored["document"], "split")["seed"] == 5
    assert stored["revision"] == before + 2  # the field edit's save, then the server's edit
    expect(page.locator(".save-state")).to_have_text("Saved")

    elsewhere = client.put(f"/api/v1/pipelines/{pid}", json={
        "document": stored["document"] | {"name": "Renamed elsewhere"},
        "revision": stored["revision"]})
    assert elsewhere.status_code == 200, elsewhere.get_json()
    card(panel, "note").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete pipeline parameter 'note'?").get_by_role(
        "button", name="Delete").click()
    expect(page.locator(".designer-banner")).to_contain_text("changed in another tab")
    expect(card(panel, "note")).to_be_visible()
    kept = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]
    assert kept["name"] == "Renamed elsewhere"
    assert [p["name"] for p in kept["parameters"]] == ["training_data", "note"]
    assert page.errors == []
