"""Designer canvas in Chromium: palette drag, wiring, refused wires, fields that persist."""

import re

from playwright.sync_api import expect

EMPTY = {"schema_version": 1, "name": "Scratch", "nodes": [], "edges": [], "parameters": []}


def pipeline_id(client, name):
    """The id of the stored pipeline called ``name``."""
    return next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
                if p["name"] == name)


def node(page, node_id):
    return page.locator(f'g.node[data-node-id="{node_id}"]')


def port(page, node_id, name, side):
    return node(page, node_id).locator(f'circle.port-{side}[data-port="{name}"]')


def drag_wire(page, source, target):
    """Press on one port, move in steps, release on another: what a person does."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=8)
    page.mouse.up()


def drop_module(page, module, x, y):
    """Drag a palette entry onto the canvas at (x, y) inside the canvas."""
    page.locator(f'.palette-item[data-module="{module}"]').drag_to(
        page.locator("svg.canvas"), target_position={"x": x, "y": y})


def saved(page):
    expect(page.locator(".save-state")).to_have_text("Saved", timeout=10_000)


def test_drag_from_palette_wire_and_edit_fraction(page, client):
    created = client.post("/api/v1/pipelines", json={"document": EMPTY}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    expect(page.get_by_role("button", name="Scratch")).to_be_visible()

    drop_module(page, "import_data", 200, 90)
    imported = page.locator('g.node[data-module="import_data"]')
    expect(imported).to_have_count(1)
    expect(imported.locator(".node-label")).to_have_text("Import Data")
    # The node lands where the pointer is: its centre under the drop point.
    canvas = page.locator("svg.canvas").bounding_box()
    box = imported.locator(".node-body").bounding_box()
    assert abs(box["x"] + box["width"] / 2 - (canvas["x"] + 200)) < 4
    assert abs(box["y"] + box["height"] / 2 - (canvas["y"] + 90)) < 4

    page.get_by_label("Search modules").fill("split data")
    expect(page.locator(".palette-item:visible")).to_have_count(1)
    drop_module(page, "split_data", 260, 260)
    split = page.locator('g.node[data-module="split_data"]')
    expect(split).to_have_count(1)
    import_id = imported.get_attribute("data-node-id")
    split_id = split.get_attribute("data-node-id")

    drag_wire(page, port(page, import_id, "dataset", "out"), port(page, split_id, "dataset", "in"))
    expect(page.locator(f'path.wire[data-from="{import_id}.dataset"][data-to="{split_id}.dataset"]')
           ).to_have_count(1)

    split.locator(".node-body").click()
    expect(page.locator(".details .panel-title")).to_have_text("Split Data")
    fraction = page.get_by_label("Fraction", exact=True)
    expect(fraction).to_have_value("0.5")
    fraction.fill("0.25")
    saved(page)
    document = client.get(f"/api/v1/pipelines/{created['id']}").get_json()["document"]
    assert document["edges"] == [{"from": {"node": import_id, "port": "dataset"},
                                  "to": {"node": split_id, "port": "dataset"}}]

    page.reload()
    node(page, split_id).locator(".node-body").click()
    expect(page.get_by_label("Fraction", exact=True)).to_have_value("0.25")
    assert page.errors == []


def test_invalid_wires_are_refused_with_their_reason(page, client):
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    expect(page.locator("path.wire")).to_have_count(8)

    drag_wire(page, port(page, "split", "results1", "out"),
              port(page, "train", "untrained_model", "in"))
    expect(page.get_by_role("alert").filter(has_text="Cannot connect")).to_have_text(
        "Cannot connect dataframe to untrained_model")

    drag_wire(page, port(page, "score", "scored_dataset", "out"),
              port(page, "clean", "dataset", "in"))
    expect(page.get_by_role("alert").filter(has_text="cycle")).to_have_text(
        "This wire would create a cycle: Clean Missing Data -> Select Columns in Dataset -> "
        "Split Data -> Score Model -> Clean Missing Data")
    expect(page.locator("path.wire")).to_have_count(8)
    expect(page.locator('path.wire[data-to="train.untrained_model"]')).to_have_attribute(
        "data-from", "learner.untrained_model")
    assert page.errors == []


def test_dropping_on_a_wired_input_replaces_the_wire(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("path.wire")).to_have_count(8)
    # Score the training half instead of the test half: the old wire into Score Model goes.
    drag_wire(page, port(page, "split", "results1", "out"), port(page, "score", "dataset", "in"))
    into_score = page.locator('path.wire[data-to="score.dataset"]')
    expect(into_score).to_have_attribute("data-from", "split.results1")
    expect(page.locator("path.wire")).to_have_count(8)
    page.keyboard.press("Control+z")
    expect(into_score).to_have_attribute("data-from", "split.results2")
    assert page.errors == []


def test_details_form_fields_and_column_picker(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    node(page, "import").locator(".node-body").click()
    expect(page.locator(".details .param-chip")).to_have_text(re.compile("training_data"))
    expect(page.get_by_label("Format", exact=True)).to_have_value("csv")

    node(page, "train").locator(".node-body").click()
    label_column = page.get_by_label("Label column")
    expect(label_column).to_have_value("income")
    expect(page.locator(".columns-known")).to_contain_text("hours-per-week")

    node(page, "learner").locator(".node-body").click()
    leaves = page.get_by_label("Maximum number of leaves per tree", exact=True)
    leaves.fill("1")
    message = page.locator('.details .field[data-param="max_leaves"] .field-message')
    expect(message.first).to_have_text("Must be between 2 and 4096.")
    expect(leaves).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Comment").fill("Tuned on the US data")
    page.get_by_label("Regenerate output").check()
    saved(page)
    document = client.get(f"/api/v1/pipelines/{pid}").get_json()
    learner = next(n for n in document["document"]["nodes"] if n["id"] == "learner")
    assert learner["params"]["max_leaves"] == 1
    assert learner["comment"] == "Tuned on the US data"
    assert learner["regenerate_output"] is True
    assert page.errors == []


def test_number_fields_state_their_range_and_the_server_refuses_past_it(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    node(page, "learner").locator(".node-body").click()
    field = page.locator('.details .field[data-param="num_trees"]')
    expect(field.locator(".hint")).to_have_text(
        "Boosting rounds; training time grows with each tree. Range: 1 to 10,000.")
    expect(page.locator('.details .field[data-param="seed"] .hint')).to_contain_text(
        "Range: 0 to 4,294,967,295.")
    trees = page.get_by_label("Number of trees constructed", exact=True)
    trees.fill("1000000000")
    expect(field.locator(".field-message").first).to_have_text("Must be between 1 and 10,000.")
    saved(page)
    # The stored draft keeps what was typed (nothing lost); the server names node and field.
    expect(field.locator("[data-server-for]")).to_have_text(
        "The 'num_trees' parameter of Two-Class Boosted Decision Tree must be an int in the "
        "range [1, 10000]. Got 1000000000 instead.")
    assert page.errors == []


def test_data_path_field_has_datastore_and_path(page, client):
    created = client.post("/api/v1/pipelines", json={"document": EMPTY}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    page.locator('.palette-item[data-module="export_data"]').dblclick()
    exported = page.locator('g.node[data-module="export_data"]')
    expect(exported).to_have_count(1)
    expect(exported).to_have_class("node selected")
    expect(page.locator(".details .panel-title")).to_have_text("Export Data")
    page.get_by_label("Path datastore").select_option("samples")
    page.get_by_label("Path path").fill("out/scored.csv")
    saved(page)
    document = client.get(f"/api/v1/pipelines/{created['id']}").get_json()["document"]
    assert document["nodes"][0]["params"]["path"] == {"datastore": "samples",
                                                      "path": "out/scored.csv"}
    assert page.errors == []
