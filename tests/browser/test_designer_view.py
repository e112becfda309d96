"""The canvas renderer in Chromium: its read-only contract (what the run view relies on), where a
node's shapes are drawn, and what each zoom level shows."""

from playwright.sync_api import expect

READ_ONLY_VIEW = """async (pipelineId) => {
  const { Graph } = await import("/static/js/canvas/graph.js");
  const { CanvasView } = await import("/static/js/canvas/view.js");
  const [pipeline, modules] = await Promise.all([
    fetch(`/api/v1/pipelines/${pipelineId}`).then((r) => r.json()),
    fetch("/api/v1/modules").then((r) => r.json()),
  ]);
  const catalog = new Map(modules.modules.map((m) => [m.name, m]));
  document.body.replaceChildren();
  const host = document.createElement("div");
  host.id = "readonly";
  host.style.cssText = "position: fixed; inset: 0;";
  document.body.append(host);
  const view = new CanvasView(host, new Graph(pipeline.document, catalog), { readOnly: true });
  view.fit();
  window.picked = [];
  view.addEventListener("selectionchange", (e) => window.picked.push(e.detail.ids));
  view.setStatuses({ import: "Finished", clean: "Reused", select: "Running", split: "Failed",
                     learner: "Queued", train: "Skipped", score: "Canceled",
                     evaluate: "NotStarted" });
  view.setErrors({ split: ["Boom: no such column"] });
  window.view = view;
}"""


def test_read_only_view_shows_statuses_and_only_selects(page, client):
    pid = next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
               if p["name"] == "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)
    page.evaluate(READ_ONLY_VIEW, pid)
    host = page.locator("#readonly")
    expect(host.locator("g.node")).to_have_count(8)
    expect(host.locator("path.wire")).to_have_count(8)
    split = host.locator('g.node[data-node-id="split"]')
    expect(split).to_have_attribute("data-status", "Failed")
    expect(split.locator(".status-text")).to_have_text("Failed")
    expect(split).to_have_attribute("data-has-errors", "true")
    running = host.locator('g.node[data-node-id="select"]')
    expect(running.locator(".spinner")).to_have_count(1)
    expect(host.locator('g.node[data-node-id="evaluate"] .status-text')).to_have_text("Not started")
    # The chip is drawn inside its node, the badge on its top right corner.
    box = split.locator(".node-body").bounding_box()
    chip = split.locator(".status-chip").bounding_box()
    assert box["x"] < chip["x"] and chip["x"] + chip["width"] < box["x"] + box["width"]
    assert box["y"] < chip["y"] and chip["y"] + chip["height"] < box["y"] + box["height"]
    badge = split.locator(".error-badge circle").bounding_box()
    assert abs(badge["x"] + badge["width"] / 2 - (box["x"] + box["width"])) < 3
    assert abs(badge["y"] + badge["height"] / 2 - box["y"]) < 3
    port = host.locator('g.node[data-node-id="train"] circle.port-in[data-port="untrained_model"]')
    expect(port).to_have_attribute("data-type", "untrained_model")
    expect(port.locator("title")).to_have_text("untrained_model (untrained_model)")

    # Dragging a node selects it but moves nothing; no wire can be drawn.
    body = split.locator(".node-body")
    before = body.bounding_box()
    page.mouse.move(before["x"] + 30, before["y"] + 20)
    page.mouse.down()
    page.mouse.move(before["x"] + 130, before["y"] + 90, steps=5)
    page.mouse.up()
    expect(split).to_have_class("node selected")
    assert page.evaluate("window.picked") == [["split"]]
    after = body.bounding_box()
    assert (after["x"], after["y"]) == (before["x"], before["y"])

    page.evaluate("view.setStatuses({split: 'Running'})")
    expect(split).to_have_attribute("data-status", "Running")
    imported = host.locator('g.node[data-node-id="import"]')
    expect(imported).to_have_attribute("data-status", "Finished")   # updates merge
    page.evaluate("view.setStatuses({import: null}); view.setErrors({})")
    expect(imported).not_to_have_attribute("data-status", "Finished")
    expect(split).not_to_have_attribute("data-has-errors", "true")
    assert page.errors == []


def income(page, client):
    pid = next(p["id"] for p in client.get("/api/v1/pipelines").get_json()["pipelines"]
               if p["name"] == "Income prediction")
    page.goto(f"/pipelines/{pid}")
    expect(page.locator("g.node")).to_have_count(8)


def inside(inner, outer, slack=0.5):
    """Whether box ``inner`` lies within box ``outer`` (screen pixels)."""
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


def test_a_nodes_name_and_ports_sit_on_it_and_follow_a_drag(page, client):
    income(page, client)
    split = page.locator('g.node[data-node-id="split"]')
    body = split.locator(".node-body")

    def check():
        box = body.bounding_box()
        assert inside(split.locator(".node-label").bounding_box(), box)
        assert inside(split.locator(".node-stripe").bounding_box(), box)
        port = split.locator("circle.port-in").bounding_box()
        assert abs(port["y"] + port["height"] / 2 - box["y"]) < 1  # on the top edge
        for label in split.locator(".port-label").all():
            assert inside(label.bounding_box(), box)
        return box

    before = check()
    page.mouse.move(before["x"] + 40, before["y"] + 40)
    page.mouse.down()
    page.mouse.move(before["x"] + 140, before["y"] + 100, steps=6)
    at = f"{before['x'] + 140}, {before['y'] + 100}"
    cursor = f"getComputedStyle(document.elementFromPoint({at})).cursor"
    assert page.evaluate(cursor) == "grabbing"  # while the node is held
    page.mouse.up()
    assert page.evaluate(cursor) != "grabbing"
    after = check()
    # Moved with the pointer (positions are whole canvas units, hence a pixel's slack).
    assert abs(after["x"] - before["x"] - 100) <= 1.5 and abs(after["y"] - before["y"] - 60) <= 1.5
    assert page.errors == []


def test_zoomed_far_out_nodes_are_boxes_and_zooming_in_shows_their_names(page, client):
    income(page, client)
    train = page.locator('g.node[data-node-id="train"]')
    name, port = train.locator(".node-label"), train.locator("circle.port-in").first
    expect(name).to_be_visible()
    expect(port).to_be_visible()
    canvas = page.locator("svg.canvas")
    while float(canvas.get_attribute("data-zoom")) >= 0.3:
        page.get_by_role("button", name="Zoom out").click()
    expect(train.locator(".node-body")).to_be_visible()
    expect(name).to_be_hidden()
    expect(port).to_be_hidden()
    page.get_by_role("button", name="Fit to screen").click()
    expect(name).to_be_visible()
    expect(port).to_be_visible()
    assert page.errors == []


FAR_APART = {"schema_version": 1, "name": "Far apart", "parameters": [], "edges": [], "nodes": [
    {"id": "near", "module": "split_data", "position": {"x": 0, "y": 0}, "params": {}},
    {"id": "far", "module": "split_data", "position": {"x": 3000, "y": 0}, "params": {}},
]}


def test_a_node_far_off_screen_is_drawn_when_panned_to(page, client):
    created = client.post("/api/v1/pipelines", json={"document": FAR_APART}).get_json()
    page.goto(f"/pipelines/{created['id']}")
    far = page.locator('g.node[data-node-id="far"]')
    expect(far).to_be_visible()  # fitted: both on screen
    canvas = page.locator("svg.canvas")
    while float(canvas.get_attribute("data-zoom")) < 1:
        page.get_by_role("button", name="Zoom in").click()
    # Zoomed in between the two, each is more than a screen away: not drawn at all.
    expect(far).to_be_hidden()
    expect(page.locator('g.node[data-node-id="near"]')).to_be_hidden()
    box = page.locator(".canvas-wrap").bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    def on_screen():
        if not far.is_visible():
            return False
        node = far.locator(".node-body").bounding_box()
        return box["x"] <= node["x"] and node["x"] + node["width"] <= box["x"] + box["width"]

    for _ in range(8):  # drag the background to the left until the node is in sight
        if on_screen():
            break
        page.mouse.move(middle[0] + 200, middle[1])
        page.mouse.down()
        page.mouse.move(middle[0] - 200, middle[1], steps=4)
        page.mouse.up()
    assert on_screen()
    expect(far.locator(".node-label")).to_have_text("Split Data")
    assert page.errors == []
