"""Designer canvas in Chromium: undo/redo, moving, selecting, deleting, copy/paste, auto-layout."""

from playwright.sync_api import expect


def pipeline_id(client, name):
    """The id of the stored pipeline called ``name``."""
    return next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
                if p["name"] == name)


def body(page, node_id):
    return page.locator(f'g.node[data-node-id="{node_id}"] .node-body')


def saved_document(page, client, pid):
    """The document the server holds once the autosave indicator says Saved."""
    expect(page.locator(".save-state")).to_have_text("Saved", timeout=10_000)
    return client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]


def drag(page, locator, dx, dy, shift=False):
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if shift:
        page.keyboard.down("Shift")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=10)
    page.mouse.up()
    if shift:
        page.keyboard.up("Shift")


def positions(document):
    return {n["id"]: (n["position"]["x"], n["position"]["y"]) for n in document["nodes"]}


def test_undo_and_redo_restore_the_exact_graph(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    original = saved_document(page, client, pid)

    drag(page, body(page, "evaluate"), 150, 40)                      # 1: move
    body(page, "select").click()
    page.keyboard.press("Delete")                                     # 2: delete (with 2 wires)
    expect(page.locator("g.node")).to_have_count(7)
    expect(page.locator("path.wire")).to_have_count(6)
    page.get_by_role("button", name="Income prediction").click()
    page.get_by_label("Pipeline name").fill("Income v2")
    page.get_by_label("Pipeline name").press("Enter")                # 3: rename
    expect(page.get_by_role("button", name="Income v2")).to_be_visible()
    edited = saved_document(page, client, pid)
    assert edited != original and edited["name"] == "Income v2"

    for _ in range(3):
        page.keyboard.press("Control+z")
    expect(page.locator("g.node")).to_have_count(8)
    expect(page.locator("path.wire")).to_have_count(8)
    expect(page.get_by_role("button", name="Income prediction")).to_be_visible()
    assert saved_document(page, client, pid) == original
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()

    page.keyboard.press("Control+Shift+z")
    page.keyboard.press("Control+Shift+z")
    page.keyboard.press("Control+y")
    expect(page.get_by_role("button", name="Income v2")).to_be_visible()
    assert saved_document(page, client, pid) == edited
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("button", name="Income prediction")).to_be_visible()
    assert page.errors == []


def test_rubber_band_selection_moves_as_one_undo_step(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    original = positions(saved_document(page, client, pid))

    # Shift+drag on the background around Import Data and Clean Missing Data.
    first = body(page, "import").bounding_box()
    second = body(page, "clean").bounding_box()
    page.keyboard.down("Shift")
    page.mouse.move(first["x"] - 15, first["y"] - 15)
    page.mouse.down()
    corner = (second["x"] + second["width"] + 15, second["y"] + second["height"] + 15)
    page.mouse.move(*corner, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(page.locator("g.node.selected")).to_have_count(2)
    expect(page.locator(".details .panel-title")).to_have_text("2 modules selected")

    drag(page, body(page, "clean"), 200, 0)
    moved = positions(saved_document(page, client, pid))
    assert moved["import"][0] > original["import"][0] + 100
    assert moved["clean"][0] > original["clean"][0] + 100
    assert moved["split"] == original["split"]

    page.keyboard.press("Control+z")
    assert positions(saved_document(page, client, pid)) == original

    # Shift+click adds to the selection; Delete removes both with their wires.
    body(page, "score").click()
    body(page, "evaluate").click(modifiers=["Shift"])
    expect(page.locator("g.node.selected")).to_have_count(2)
    page.keyboard.press("Delete")
    expect(page.locator("g.node")).to_have_count(6)
    expect(page.locator('path.wire[data-to="score.dataset"]')).to_have_count(0)
    assert page.errors == []


def test_copy_and_paste_within_and_between_pipelines(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    body(page, "split").click()
    body(page, "learner").click(modifiers=["Shift"])
    body(page, "train").click(modifiers=["Shift"])
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(page.locator("g.node")).to_have_count(11)
    expect(page.locator('g.node[data-module="train_model"]')).to_have_count(2)
    expect(page.locator("g.node.selected")).to_have_count(3)   # the copies are selected
    # The wires among the copied modules come along (learner -> train, split -> train).
    expect(page.locator("path.wire")).to_have_count(10)
    document = saved_document(page, client, pid)
    copies = [n for n in document["nodes"] if n["module"] == "split_data" and n["id"] != "split"]
    assert copies and copies[0]["params"]["fraction"] == 0.7

    page.goto(f"/pipelines/{pipeline_id(client, 'Diabetes progression regression')}")
    expect(page.locator("g.node")).to_have_count(6)
    page.locator("svg.canvas").focus()
    page.keyboard.press("Control+v")
    expect(page.locator("g.node")).to_have_count(9)
    expect(page.locator('g.node[data-module="two_class_boosted_decision_tree"]')).to_have_count(1)
    assert page.errors == []


def test_auto_layout_moves_nodes_and_undo_restores_them(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    edges = client.get(f"/api/v1/pipelines/{pid}").get_json()["document"]["edges"]
    before = positions(saved_document(page, client, pid))

    # Layered: every module sits below the modules feeding it (inputs on top, outputs below).
    page.get_by_role("button", name="Auto-layout").click()
    rows = positions(saved_document(page, client, pid))
    assert rows != before
    for edge in edges:
        assert rows[edge["to"]["node"]][1] > rows[edge["from"]["node"]][1]
    # Split Data and the learner feed Train Model side by side on one layer.
    assert rows["split"][1] == rows["learner"][1] and rows["split"][0] < rows["learner"][0]

    # Layers left to right: each module is also right of its inputs; one undo step each.
    page.get_by_label("Layout direction").select_option(label="Layers left to right")
    page.get_by_role("button", name="Auto-layout").click()
    columns = positions(saved_document(page, client, pid))
    for edge in edges:
        source, target = columns[edge["from"]["node"]], columns[edge["to"]["node"]]
        assert target[0] > source[0] and target[1] > source[1]
    page.keyboard.press("Control+z")
    assert positions(saved_document(page, client, pid)) == rows
    page.get_by_role("button", name="Undo").click()
    assert positions(saved_document(page, client, pid)) == before
    assert page.errors == []


def test_zoom_buttons_wheel_and_fit(page, client):
    page.goto(f"/pipelines/{pipeline_id(client, 'Income prediction')}")
    canvas = page.locator("svg.canvas")
    expect(page.locator("g.node")).to_have_count(8)
    page.get_by_role("button", name="Fit to screen").click()
    fitted = float(canvas.get_attribute("data-zoom"))
    page.get_by_role("button", name="Zoom in").click()
    expect(canvas).not_to_have_attribute("data-zoom", f"{fitted:.3f}")
    assert float(canvas.get_attribute("data-zoom")) > fitted
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.wheel(0, 600)
    page.wait_for_function(f"Number(document.querySelector('svg.canvas').dataset.zoom) < {fitted}")
    # Pan by dragging the background.
    before = body(page, "import").bounding_box()
    page.mouse.move(box["x"] + box["width"] - 30, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 130, box["y"] + 80, steps=5)
    page.mouse.up()
    after = body(page, "import").bounding_box()
    assert round(after["x"] - before["x"]) == -100 and round(after["y"] - before["y"]) == 50
    assert page.errors == []


def test_history_keeps_more_than_fifty_steps(page, client):
    pid = pipeline_id(client, "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    original = positions(saved_document(page, client, pid))
    body(page, "evaluate").click()
    for _ in range(55):
        page.keyboard.press("ArrowRight")                # each nudge is one step
    nudged = positions(saved_document(page, client, pid))["evaluate"]
    assert nudged[0] == original["evaluate"][0] + 55
    for _ in range(55):
        page.keyboard.press("Control+z")
    assert positions(saved_document(page, client, pid)) == original
    assert page.errors == []
