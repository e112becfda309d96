// The SVG canvas renderer: nodes, typed ports, wires, selection, pan/zoom, statuses and error badges.
//
// Interface (the run view reuses it read-only):
//   const view = new CanvasView(container, graph, {readOnly = false});
//   view.select(ids); view.selection -> [ids]; view.fit(); view.zoomBy(factor); view.render();
//   view.setStatuses({nodeId: "NotStarted" | "Queued" | "Running" | "Finished" | "Failed" |
//                     "Reused" | "Skipped" | "Canceled"})   -> chip + data-status on the node <g>
//       (merged into the statuses already shown, so one step's update may come alone; null clears)
//   view.setErrors({nodeId: [messages]})                      -> red badge + data-has-errors
//       (replaces every badge; {} clears them)
// CSS: link static/css/designer.css (the canvas rules live there).
//   events: "selectionchange" (detail {ids}); in edit mode also "wirerefused" (detail {reason}).
// DOM: <g class="node" data-node-id data-module> with a label <text class="node-label">, ports
//   <circle class="port port-in|port-out" data-port data-type> holding <title>"name (type)";
//   wires <path class="wire" data-from="n1.dataset" data-to="n2.dataset">.
// readOnly: select, pan, zoom and fit only. Otherwise canvas/editing.js adds the gestures.
import { clear, el, svg } from "../dom.js";
import { attachEditing } from "./editing.js";
import { covers, drawnArea, outside, wireBox } from "./culling.js";
import { NODE_H, NODE_W, portPoint, wirePath } from "./geometry.js";
import { CXY, ICON_W, NodeShapes, placeLabel, placeParts, XY } from "./shapes.js";

const STATUS_TEXT = {
  NotStarted: "Not started", Queued: "Queued", Running: "Running", Finished: "Finished",
  Failed: "Failed", Reused: "Reused", Skipped: "Skipped", Canceled: "Canceled",
};
const MIN_ZOOM = 0.1;
const PORT_NAMES_ZOOM = 0.6;  // below this zoom port names are too small to read: hidden
const NAMES_ZOOM = 0.3;       // below this, module names and icons too (each node's title stays)
const MAX_ZOOM = 3;
const SETTLE_MS = 150;  // a pan or zoom is committed this long after its last event

export class CanvasView extends EventTarget {
  /** Render `graph` into `container`; readOnly limits gestures to select, pan and zoom. */
  constructor(container, graph, { readOnly = false } = {}) {
    super();
    this.container = container;
    this.graph = graph;
    this.readOnly = readOnly;
    this.t = { x: 40, y: 40, k: 1 };
    this.committed = { ...this.t };
    this.selected = new Set();
    this.selectedEdge = null;
    this.statuses = {};
    this.errors = {};
    this.nodeEls = new Map();
    this.wireEls = new Map();
    this.portOffsets = new Map();
    this.shapes = new NodeShapes(graph.catalog);
    this.frame = 0;

    container.classList.add("canvas-host");
    this.svg = svg("svg", { class: "canvas", tabindex: "0", role: "application",
                            "aria-label": "Pipeline canvas" });
    this.viewport = svg("g", { class: "viewport" });
    this.wireLayer = svg("g", { class: "wires" });
    this.nodeLayer = svg("g", { class: "nodes" });
    this.overlay = svg("g", { class: "overlay" });
    this.viewport.append(this.wireLayer, this.nodeLayer, this.overlay);
    this.svg.append(this.viewport);
    // What a drag moves is drawn in a second, small svg on top: each frame repaints it alone,
    // not the thousands of shapes that stand still (see beginDrag).
    this.dragViewport = svg("g", { class: "viewport" });
    this.dragSvg = svg("svg", { class: "canvas-drag", "aria-hidden": "true" }, this.dragViewport);
    this.dragging = null;
    // Pans and zooms in flight move this one HTML box (a composited layer): moving the <svg>
    // itself makes Chromium lay its whole drawing out again on each frame.
    this.stage = el("div", { class: "canvas-stage" });
    this.stage.append(this.svg, this.dragSvg);
    this.tooltip = el("div", { class: "canvas-tooltip", role: "tooltip", hidden: true });
    // Shown over the canvas while a pan or drag lasts, for its "grabbing" cursor: a class on the
    // <svg> would make the browser restyle every shape of the drawing, at the gesture's start
    // and end (15 ms a time at 1,000 nodes); over it, each pointer move's hit test is trivial.
    this.shield = el("div", { class: "canvas-shield", hidden: true });
    container.append(this.stage, this.shield, this.tooltip);
    // The container's box, read once and kept until it is resized or a gesture ends: a wheel
    // burst reading it on every event would force a layout after each frame's writes.
    this.boxCache = null;
    // A larger canvas (a panel closed, the window widened) may show what was left undrawn.
    new ResizeObserver(() => { this.boxCache = null; this.cull(); }).observe(container);

    // On the container, not the svg: a gesture in flight scales the svg's own box.
    container.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    container.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    graph.addEventListener("change", (e) => this.onChange(e.detail));
    this.editor = readOnly ? null : attachEditing(this);
    this.svg.style.display = "none";  // until the page's first fit() (or another transform)
    this.render();
    this.applyTransform(false);
  }

  /** The selected node ids. */
  get selection() {
    return [...this.selected];
  }

  /** Select exactly these nodes (clears a selected wire). */
  select(ids) {
    const next = new Set(ids.filter((id) => this.nodeEls.has(id)));
    const same = next.size === this.selected.size && [...next].every((id) => this.selected.has(id));
    this.selectEdge(null);
    if (same) return;
    for (const id of this.selected) this.nodeEls.get(id)?.g.classList.remove("selected");
    this.selected = next;
    for (const id of next) this.nodeEls.get(id).g.classList.add("selected");
    this.dispatchEvent(new CustomEvent("selectionchange", { detail: { ids: this.selection } }));
  }

  /** Select one wire by its key (or null). */
  selectEdge(key) {
    if (this.selectedEdge) this.wireEls.get(this.selectedEdge)?.path.classList.remove("selected");
    this.selectedEdge = key && this.wireEls.has(key) ? key : null;
    if (this.selectedEdge) this.wireEls.get(key).path.classList.add("selected");
  }

  /** Draw or update every node and wire from the graph's document (keyed, incremental). */
  render() {
    const doc = this.graph.doc;
    const seen = new Set();
    for (const node of doc.nodes) {
      seen.add(node.id);
      let item = this.nodeEls.get(node.id);
      if (!item || item.module !== node.module) {
        item?.g.remove();
        item = this.shapes.make(node);
        this.nodeEls.set(node.id, item);
        this.nodeLayer.append(item.g);
      }
      this.placeNode(node.id, node.position);
      this.drawStatus(node.id);
      this.drawErrors(node.id);
    }
    for (const [id, item] of this.nodeEls) {
      if (!seen.has(id)) { item.g.remove(); this.nodeEls.delete(id); }
    }
    const keys = new Set();
    for (const edge of doc.edges) {
      const key = `${edge.from.node}.${edge.from.port}>${edge.to.node}.${edge.to.port}`;
      keys.add(key);
      if (!this.wireEls.has(key)) this.wireEls.set(key, this.makeWire(edge));
      this.wireEls.get(key).edge = edge;
    }
    for (const [key, item] of this.wireEls) {
      if (!keys.has(key)) { item.path.remove(); item.hit.remove(); this.wireEls.delete(key); }
    }
    this.indexWires();
    for (const key of this.wireEls.keys()) this.drawWire(key);
    const gone = this.selection.filter((id) => !this.nodeEls.has(id));
    if (gone.length) this.select(this.selection.filter((id) => this.nodeEls.has(id)));
    if (this.selectedEdge && !this.wireEls.has(this.selectedEdge)) this.selectedEdge = null;
    this.cull();
  }

  /** Leave out (display: none) the nodes and wires far outside the visible area (see
   *  culling.js); each committed pan or zoom draws what has come near it. */
  cull() {
    if (this.svg.style.display === "none") return;  // until the first fit: the view is unknown
    const box = this.box();
    if (!box.width) return;
    const area = drawnArea(this.t, box);
    this.drawn = area;
    for (const item of this.nodeEls.values()) {
      showShapes(item, [item.g], !outside(area, item.x, item.y, item.x + NODE_W, item.y + NODE_H));
    }
    for (const item of this.wireEls.values()) {
      if (item.box) showShapes(item, [item.path, item.hit], !outside(area, item.box.x0, item.box.y0, item.box.x1, item.box.y1));
    }
  }

  /** The canvas area on screen (the container: the svg may be moved by a gesture). */
  box() {
    this.boxCache ||= this.container.getBoundingClientRect();
    return this.boxCache;
  }

  /** Zoom around the container's centre (or a client point); ``gesture`` for wheel bursts. */
  zoomBy(factor, clientX = null, clientY = null, gesture = false) {
    const box = this.box();
    const cx = clientX === null ? box.width / 2 : clientX - box.left;
    const cy = clientY === null ? box.height / 2 : clientY - box.top;
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.t.k * factor));
    const ratio = k / this.t.k;
    this.t = { k, x: cx - (cx - this.t.x) * ratio, y: cy - (cy - this.t.y) * ratio };
    if (gesture) this.schedule(); else this.applyTransform();
  }

  /** Fit every node in the visible area (never zooming in past 100%). */
  fit() {
    const nodes = this.graph.doc.nodes;
    const box = this.box();
    if (!nodes.length || !box.width) { this.t = { x: 40, y: 40, k: 1 }; this.applyTransform(); return; }
    const xs = nodes.map((n) => n.position.x);
    const ys = nodes.map((n) => n.position.y);
    const minX = Math.min(...xs);
    const minY = Math.min(...ys);
    const width = Math.max(...xs) + NODE_W - minX;
    const height = Math.max(...ys) + NODE_H - minY;
    const pad = 40;
    const k = Math.max(MIN_ZOOM, Math.min(1, (box.width - 2 * pad) / width,
                                          (box.height - 2 * pad) / height));
    this.t = { k, x: (box.width - width * k) / 2 - minX * k, y: (box.height - height * k) / 2 - minY * k };
    this.applyTransform();
  }

  /** Show run statuses ({nodeId: status}); merged into the shown ones, null clears a node's. */
  setStatuses(statuses) {
    this.statuses = { ...this.statuses, ...statuses };
    for (const [id, status] of Object.entries(statuses)) if (!status) delete this.statuses[id];
    for (const id of this.nodeEls.keys()) this.drawStatus(id);
  }

  /** Show a red badge on nodes with errors ({nodeId: [messages]}). */
  setErrors(errors) {
    this.errors = { ...errors };
    for (const id of this.nodeEls.keys()) this.drawErrors(id);
  }

  /** Canvas (world) coordinates of a client point. */
  toWorld(clientX, clientY) {
    const box = this.box();
    return { x: (clientX - box.left - this.t.x) / this.t.k, y: (clientY - box.top - this.t.y) / this.t.k };
  }

  /** World point at the centre of the visible area. */
  center() {
    const box = this.box();
    return this.toWorld(box.left + box.width / 2, box.top + box.height / 2);
  }

  // -- drawing --------------------------------------------------------------------------

  placeNode(id, position) {
    const item = this.nodeEls.get(id);
    if (!item || (item.x === position.x && item.y === position.y && item.placed)) return;
    item.x = position.x;
    item.y = position.y;
    item.placed = true;
    placeParts(item);
  }

  makeWire(edge) {
    const fromSpec = this.graph.spec(edge.from.node);
    const port = fromSpec?.outputs.find((p) => p.name === edge.from.port);
    const from = `${edge.from.node}.${edge.from.port}`;
    const to = `${edge.to.node}.${edge.to.port}`;
    // Clones, like nodes' drawings (shapes.js): faster than building 2,800 paths at 1,000 nodes.
    this.wirePrototypes ||= [svg("path", { class: "wire-hit" }), svg("path", { class: "wire" })];
    const [hit, path] = this.wirePrototypes.map((shape) => shape.cloneNode(false));
    for (const shape of [hit, path]) {
      shape.setAttribute("data-from", from);
      shape.setAttribute("data-to", to);
    }
    if (port) path.setAttribute("style", `stroke: var(--port-${port.type}, #6e7781)`);
    this.wireLayer.append(hit, path);
    return { path, hit, edge };
  }

  indexWires() {
    this.wiresByNode = new Map();
    for (const [key, { edge }] of this.wireEls) {
      for (const id of [edge.from.node, edge.to.node]) {
        if (!this.wiresByNode.has(id)) this.wiresByNode.set(id, []);
        this.wiresByNode.get(id).push(key);
      }
    }
  }

  drawWire(key) {
    const item = this.wireEls.get(key);
    const a = this.nodeEls.get(item.edge.from.node);
    const b = this.nodeEls.get(item.edge.to.node);
    if (!a || !b) return;
    const p = this.portAt(a, item.edge.from.node, "out", item.edge.from.port);
    const q = this.portAt(b, item.edge.to.node, "in", item.edge.to.port);
    const d = wirePath(p, q);
    item.path.setAttribute("d", d);
    item.hit.setAttribute("d", d);
    item.box = wireBox(p, q);
  }

  /** A port's anchor on the drawn node `item` (offsets cached per module, side and port). */
  portAt(item, nodeId, side, port) {
    const key = `${item.module}|${side}|${port}`;
    let offset = this.portOffsets.get(key);
    if (!offset) {
      offset = portPoint({ x: 0, y: 0 }, this.graph.spec(nodeId), side, port);
      this.portOffsets.set(key, offset);
    }
    return { x: item.x + offset.x, y: item.y + offset.y };
  }

  /** Lift nodes and their wires into the drag layer (until endDrag), so that moving them
   *  repaints that small layer only. */
  beginDrag(ids) {
    this.endDrag();
    const wires = new Set();
    for (const id of ids) for (const key of this.wiresByNode.get(id) || []) wires.add(key);
    const nodes = ids.map((id) => this.nodeEls.get(id)).filter(Boolean);
    const paths = [...wires].map((key) => this.wireEls.get(key)).filter(Boolean);
    this.dragging = { nodes, paths };
    this.dragViewport.setAttribute("transform", this.viewport.getAttribute("transform"));
    this.dragSvg.classList.toggle("far", this.svg.classList.contains("far"));
    this.dragViewport.append(...paths.flatMap((w) => [w.hit, w.path]), ...nodes.map((n) => n.g));
  }

  /** Put what beginDrag lifted back into the canvas (dragged nodes end on top). */
  endDrag() {
    if (!this.dragging) return;
    const { nodes, paths } = this.dragging;
    this.dragging = null;
    this.wireLayer.append(...paths.flatMap((w) => [w.hit, w.path]));
    this.nodeLayer.append(...nodes.map((n) => n.g));
  }

  /** Move node <g>s to positions ({id: {x, y}}) and redraw their wires (used while dragging). */
  moveVisual(positions) {
    const keys = new Set();
    for (const [id, pos] of Object.entries(positions)) {
      this.placeNode(id, pos);
      for (const key of this.wiresByNode.get(id) || []) keys.add(key);
    }
    for (const key of keys) this.drawWire(key);
  }

  drawStatus(id) {
    const item = this.nodeEls.get(id);
    const status = this.statuses[id];
    if (!item || item.status === (status || null)) return;
    item.status = status || null;
    item.chip?.remove();
    item.chip = null;
    item.chipParts = [];
    placeLabel(item);
    if (!status) {
      item.g.removeAttribute("data-status");
      return;
    }
    item.g.dataset.status = status;
    const cx = ICON_W + (NODE_W - ICON_W) / 2;
    const cy = NODE_H - 24;
    const word = STATUS_TEXT[status] || status;
    const dot = status === "Running" ? svg("circle", { class: "spinner", r: 5 }) : svg("circle", { class: "dot", r: 4 });
    const text = svg("text", { class: "status-text", text: word });
    item.chipParts = [[dot, cx - 44, cy - 4, CXY], [text, cx - 34, cy, XY]];
    item.chip = svg("g", { class: `status-chip status-${status}` }, dot, text);
    placeParts(item, item.chipParts);
    item.g.append(item.chip);
  }

  drawErrors(id) {
    const item = this.nodeEls.get(id);
    const messages = this.errors[id] || [];
    if (!item) return;
    const key = messages.join("\n");
    if (item.errorKey === key) return;
    item.errorKey = key;
    item.badge?.remove();
    item.badge = null;
    item.badgeParts = [];
    if (!messages.length) { item.g.removeAttribute("data-has-errors"); return; }
    item.g.dataset.hasErrors = "true";
    const dot = svg("circle", { r: 9 });
    const mark = svg("text", { "text-anchor": "middle", text: "!" });
    item.badgeParts = [[dot, NODE_W - 2, 2, CXY], [mark, NODE_W - 2, 6, XY]];
    placeParts(item, item.badgeParts);
    const badge = svg("g", { class: "error-badge", "aria-label": `${messages.length} problem(s)` },
                      dot, mark, svg("title", { text: messages.join("\n") }));
    badge.addEventListener("pointerenter", () => this.showTooltip(badge, messages));
    badge.addEventListener("pointerleave", () => { this.tooltip.hidden = true; });
    item.badge = badge;
    item.g.append(badge);
  }

  showTooltip(anchor, messages) {
    clear(this.tooltip).append(el("ul", {}, messages.map((m) => el("li", {}, m))));
    const host = this.container.getBoundingClientRect();
    const box = anchor.getBoundingClientRect();
    this.tooltip.style.left = `${box.right - host.left + 6}px`;
    this.tooltip.style.top = `${box.top - host.top}px`;
    this.tooltip.hidden = false;
  }

  // -- transform and navigation ----------------------------------------------------------

  // While a pan or zoom lasts, the picture already drawn moves as one composited layer (a CSS
  // transform on the <svg>): re-laying out hundreds of nodes every frame is what costs. The
  // real transform is committed when the gesture settles, redrawing once, crisp.
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.applyGesture(); });
  }

  applyGesture() {
    // A gesture bringing into sight what is not drawn (past the margin) commits at once.
    if (this.drawn && !covers(this.drawn, drawnArea(this.t, this.box(), 0))) {
      this.applyTransform();
      return;
    }
    const c = this.committed;
    const k = this.t.k / c.k;
    this.stage.classList.add("gesture");
    this.stage.style.transform =
      `translate(${this.t.x - c.x * k}px,${this.t.y - c.y * k}px) scale(${k})`;
    this.svg.dataset.zoom = this.t.k.toFixed(3);
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.applyTransform(), SETTLE_MS);
    this.dispatchEvent(new CustomEvent("viewchange", { detail: { ...this.t } }));
  }

  applyTransform(show = true) {
    clearTimeout(this.settle);
    if (this.frame) { cancelAnimationFrame(this.frame); this.frame = 0; }
    this.boxCache = null;
    const moved = this.committed.x !== this.t.x || this.committed.y !== this.t.y || this.committed.k !== this.t.k;
    this.committed = { ...this.t };
    if (moved || !this.viewport.hasAttribute("transform")) {
      const transform = `translate(${this.t.x},${this.t.y}) scale(${this.t.k})`;
      this.viewport.setAttribute("transform", transform);
      this.dragViewport.setAttribute("transform", transform);
    }
    if (this.stage.style.transform) this.stage.style.transform = "";
    this.stage.classList.remove("gesture");
    this.svg.dataset.zoom = this.t.k.toFixed(3);
    for (const [name, on] of [["far", this.t.k < PORT_NAMES_ZOOM], ["farther", this.t.k < NAMES_ZOOM]]) {
      if (this.svg.classList.contains(name) === on) continue;
      this.svg.classList.toggle(name, on);
      this.dragSvg.classList.toggle(name, on);
    }
    // Drawn once the page's first transform is known: laying out text at a zoom that hides it
    // costs the most of a large pipeline's first frame.
    if (show) this.svg.style.display = "";
    this.cull();
    this.dispatchEvent(new CustomEvent("viewchange", { detail: { ...this.t } }));
  }

  onWheel(event) {
    if (!this.stage.contains(event.target) && event.target !== this.container
        && event.target !== this.shield) return;
    event.preventDefault();
    const factor = Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015));
    this.zoomBy(factor, event.clientX, event.clientY, true);
  }

  onChange(detail) {
    if (detail.kind === "move") {
      const positions = {};
      for (const id of detail.ids) {
        const node = this.graph.node(id);
        if (node) positions[id] = node.position;
      }
      this.moveVisual(positions);
      this.cull();
    } else if (detail.kind !== "param" && detail.kind !== "meta") {
      this.render();
    }
  }

  onPointerDown(event) {
    if (event.button !== 0 && event.button !== 1) return;
    // Only the drawing and the bare canvas area: not toolbars or tooltips laid over it.
    if (!this.stage.contains(event.target) && event.target !== this.container) return;
    if (this.stage.classList.contains("gesture")) this.applyTransform();
    this.tooltip.hidden = true;
    const target = event.target;
    if (this.editor && event.button === 0 && this.editor.pointerDown(event)) return;
    const nodeG = target.closest(".node");
    if (nodeG && event.button === 0) {
      const id = nodeG.dataset.nodeId;
      if (event.shiftKey) {
        const next = new Set(this.selected);
        if (next.has(id)) next.delete(id); else next.add(id);
        this.select([...next]);
      } else {
        this.select([id]);
      }
      return;
    }
    this.startPan(event);
  }

  /** Show the "grabbing" cursor over the whole canvas (a pan or drag in progress), or not. */
  grab(on) {
    this.shield.hidden = !on;
  }

  startPan(event) {
    const start = { x: event.clientX, y: event.clientY, tx: this.t.x, ty: this.t.y };
    let moved = false;
    const host = this.container;
    host.setPointerCapture(event.pointerId);
    this.grab(true);
    const move = (e) => {
      if (Math.abs(e.clientX - start.x) + Math.abs(e.clientY - start.y) > 3) moved = true;
      this.t.x = start.tx + e.clientX - start.x;
      this.t.y = start.ty + e.clientY - start.y;
      this.schedule();
    };
    const up = () => {
      host.removeEventListener("pointermove", move);
      host.removeEventListener("pointerup", up);
      host.removeEventListener("pointercancel", up);
      this.grab(false);
      this.applyTransform();
      if (!moved) this.select([]);
    };
    host.addEventListener("pointermove", move);
    host.addEventListener("pointerup", up);
    host.addEventListener("pointercancel", up);
  }
}

/** Show or leave out a node's or wire's `shapes` (only when that changes). */
function showShapes(item, shapes, shown) {
  if (Boolean(item.culled) === !shown) return;
  item.culled = !shown;
  for (const shape of shapes) shape.style.display = shown ? "" : "none";
}
