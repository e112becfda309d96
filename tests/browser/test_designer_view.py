"""The canvas renderer's read-only contract (what the run view relies on), in Chromium."""

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
