// Editing gestures on the canvas: move nodes, draw wires between ports, rubber band, palette drop.
import { svg } from "../dom.js";
import { NODE_H, NODE_W, portPoint, wirePath } from "./geometry.js";

const DRAG_THRESHOLD = 3;
const SNAP_RADIUS = 22; // screen pixels around a port that still count as a drop on it
/** The drag-and-drop data type carrying a module name from the palette. */
export const MODULE_TYPE = "application/x-pipeline-module";

/** Add editing gestures to a CanvasView; returns {pointerDown(event) -> handled}. */
export function attachEditing(view) {
  const { graph, svg: root } = view;

  // Modules dragged from the palette (HTML5 drag and drop) land where the pointer is.
  view.container.addEventListener("dragover", (e) => {
    if (e.dataTransfer.types.includes(MODULE_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  });
  view.container.addEventListener("drop", (e) => {
    const module = e.dataTransfer.getData(MODULE_TYPE);
    if (!module || !graph.catalog.has(module)) return;
    e.preventDefault();
    const p = view.toWorld(e.clientX, e.clientY);
    const id = graph.addNode(module, { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 });
    view.select([id]);
    root.focus({ preventScroll: true });
  });

  return {
    pointerDown(event) {
      const target = event.target;
      const port = target.closest(".port");
      if (port) { drawWire(view, event, port); return true; }
      const wire = target.closest(".wire-hit, .wire");
      if (wire) {
        view.select([]);
        view.selectEdge(`${wire.dataset.from}>${wire.dataset.to}`);
        return true;
      }
      const node = target.closest(".node");
      if (node) { dragNodes(view, event, node.dataset.nodeId); return true; }
      if (event.shiftKey) { rubberBand(view, event); return true; }
      return false;
    },
  };
}

/** Follow a pointer drag on the canvas: onMove once a frame, onUp at the end. */
function track(view, event, onMove, onUp) {
  const root = view.svg;
  root.setPointerCapture(event.pointerId);
  let last = event;
  let frame = 0;
  const move = (e) => {
    last = e;
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; onMove(last); });
  };
  const up = (e) => {
    root.removeEventListener("pointermove", move);
    root.removeEventListener("pointerup", up);
    root.removeEventListener("pointercancel", up);
    if (frame) { cancelAnimationFrame(frame); frame = 0; onMove(e); }
    onUp(e);
  };
  root.addEventListener("pointermove", move);
  root.addEventListener("pointerup", up);
  root.addEventListener("pointercancel", up);
}

/** Move the selected nodes (or `id`) with the pointer; one undo step at the end. */
function dragNodes(view, event, id) {
  const { graph } = view;
  if (event.shiftKey) {
    const next = new Set(view.selected);
    if (next.has(id)) next.delete(id); else next.add(id);
    view.select([...next]);
    if (!next.has(id)) return;
  } else if (!view.selected.has(id)) {
    view.select([id]);
  }
  const ids = view.selection;
  const origin = Object.fromEntries(ids.map((n) => [n, { ...graph.node(n).position }]));
  const start = { x: event.clientX, y: event.clientY };
  let moving = false;
  let delta = { x: 0, y: 0 };
  track(view, event, (e) => {
    const dx = e.clientX - start.x;
    const dy = e.clientY - start.y;
    if (!moving && Math.abs(dx) + Math.abs(dy) < DRAG_THRESHOLD) return;
    if (!moving) {
      moving = true;
      view.grab(true);
      view.beginDrag(ids);
    }
    delta = { x: Math.round(dx / view.t.k), y: Math.round(dy / view.t.k) };
    const positions = {};
    for (const n of ids) positions[n] = { x: origin[n].x + delta.x, y: origin[n].y + delta.y };
    view.moveVisual(positions);
  }, () => {
    view.grab(false);
    view.endDrag();
    if (moving) graph.moveNodes(ids, delta.x, delta.y);
    else if (!event.shiftKey) view.select([id]);
  });
}

function portRef(circle) {
  const g = circle.closest(".node");
  return { node: g.dataset.nodeId, port: circle.dataset.port,
           side: circle.classList.contains("port-in") ? "in" : "out", type: circle.dataset.type };
}

/** The port of `side` under or near the pointer, or null. */
function nearestPort(view, e, side) {
  const { graph, svg: root } = view;
  const hit = document.elementFromPoint(e.clientX, e.clientY)?.closest?.(".port");
  if (hit && root.contains(hit) && hit.classList.contains(`port-${side}`)) return portRef(hit);
  const world = view.toWorld(e.clientX, e.clientY);
  const radius = SNAP_RADIUS / view.t.k;
  let best = null;
  for (const node of graph.doc.nodes) {
    const { x, y } = node.position;
    if (world.x < x - radius || world.x > x + NODE_W + radius) continue;
    if (world.y < y - radius || world.y > y + NODE_H + radius) continue;
    const spec = graph.catalog.get(node.module);
    for (const port of (side === "in" ? spec?.inputs : spec?.outputs) || []) {
      const p = portPoint(node.position, spec, side, port.name);
      const d = Math.hypot(p.x - world.x, p.y - world.y);
      if (d <= radius && (!best || d < best.d)) best = { d, node: node.id, port: port.name, side };
    }
  }
  return best;
}

/** Draw a wire from a port; a drop on a fitting port connects, a refusal is announced. */
function drawWire(view, event, circle) {
  const { graph, svg: root } = view;
  const from = portRef(circle);
  const spec = graph.spec(from.node);
  const anchor = portPoint(graph.node(from.node).position, spec, from.side, from.port);
  const temp = svg("path", { class: "wire wire-temp", style: `stroke: var(--port-${from.type}, #6e7781)` });
  view.overlay.append(temp);
  const want = from.side === "out" ? "in" : "out";
  const candidates = root.querySelectorAll(`.port-${want}[data-type="${CSS.escape(from.type)}"]`);
  for (const c of candidates) if (c.closest(".node") !== circle.closest(".node")) c.classList.add("compatible");
  root.classList.add("wiring");
  track(view, event, (e) => {
    const p = view.toWorld(e.clientX, e.clientY);
    temp.setAttribute("d", from.side === "out" ? wirePath(anchor, p) : wirePath(p, anchor));
  }, (e) => {
    temp.remove();
    root.classList.remove("wiring");
    for (const c of candidates) c.classList.remove("compatible");
    const target = nearestPort(view, e, want) || nearestPort(view, e, from.side);
    if (!target || (target.node === from.node && target.port === from.port)) return;
    const result = graph.connect({ node: from.node, port: from.port },
                                 { node: target.node, port: target.port });
    if (!result.ok) {
      view.dispatchEvent(new CustomEvent("wirerefused", { detail: { reason: result.reason } }));
    }
  });
}

/** Select the nodes inside a dragged rectangle (added to the selection). */
function rubberBand(view, event) {
  const graph = view.graph;
  const start = view.toWorld(event.clientX, event.clientY);
  const base = new Set(view.selected);
  const rect = svg("rect", { class: "rubber-band", x: start.x, y: start.y, width: 0, height: 0 });
  view.overlay.append(rect);
  track(view, event, (e) => {
    const p = view.toWorld(e.clientX, e.clientY);
    const box = { x: Math.min(p.x, start.x), y: Math.min(p.y, start.y),
                  w: Math.abs(p.x - start.x), h: Math.abs(p.y - start.y) };
    rect.setAttribute("x", box.x);
    rect.setAttribute("y", box.y);
    rect.setAttribute("width", box.w);
    rect.setAttribute("height", box.h);
    const hits = graph.doc.nodes.filter((n) => n.position.x < box.x + box.w
      && n.position.x + NODE_W > box.x && n.position.y < box.y + box.h
      && n.position.y + NODE_H > box.y).map((n) => n.id);
    view.select([...new Set([...base, ...hits])]);
  }, () => rect.remove());
}
