// Auto-layout: a layered arrangement of the document's nodes, as a pure function of the document.
//
// Layers by longest path (sources as late as their first consumer allows), each layer ordered
// left to right by the barycentre of its inputs. Ports sit on top (inputs) and bottom (outputs),
// so the default "TB" puts layers in rows: wires run straight down and the graph stays compact.
// "LR" puts each layer in a column, left to right, every node below its inputs so that each wire
// runs down and to the right (wide for long chains; offered as a choice in the toolbar).
import { NODE_H, NODE_W } from "./geometry.js";

const GAP_X = 60;
const GAP_Y = 44;

/** Positions {nodeId: {x, y}} of a layered layout of `doc` ("TB" by default, or "LR"). */
export function layout(doc, { direction = "TB", origin = { x: 40, y: 40 } } = {}) {
  const ids = doc.nodes.map((n) => n.id);
  const preds = new Map(ids.map((id) => [id, []]));
  const succs = new Map(ids.map((id) => [id, []]));
  for (const e of doc.edges) {
    if (!preds.has(e.to.node) || !succs.has(e.from.node) || e.from.node === e.to.node) continue;
    preds.get(e.to.node).push(e.from.node);
    succs.get(e.from.node).push(e.to.node);
  }
  const order = topoOrder(ids, preds, succs);
  const layer = new Map();
  for (const id of order) {
    layer.set(id, Math.max(0, ...preds.get(id).map((p) => (layer.get(p) ?? -1) + 1)));
  }
  // Pull nodes without inputs next to their first consumer.
  for (const id of [...order].reverse()) {
    if (preds.get(id).length || !succs.get(id).length) continue;
    layer.set(id, Math.max(0, Math.min(...succs.get(id).map((s) => layer.get(s))) - 1));
  }
  const layers = [];
  for (const id of order) (layers[layer.get(id)] ||= []).push(id);
  // Order inside a layer by the mean rank of the inputs (barycentre), keeping document order.
  const rank = new Map();
  const docIndex = new Map(ids.map((id, i) => [id, i]));
  for (const group of layers) {
    if (!group) continue;
    const key = (id) => {
      const ps = preds.get(id).filter((p) => rank.has(p));
      return ps.length ? ps.reduce((s, p) => s + rank.get(p), 0) / ps.length : docIndex.get(id) / 1e3;
    };
    group.sort((a, b) => key(a) - key(b) || docIndex.get(a) - docIndex.get(b));
    group.forEach((id, i) => rank.set(id, i));
  }
  const positions = {};
  if (direction === "TB") {
    layers.forEach((group, row) => {
      (group || []).forEach((id, col) => {
        positions[id] = { x: origin.x + col * (NODE_W + GAP_X), y: origin.y + row * (NODE_H + GAP_Y * 1.5) };
      });
    });
    return centreRows(positions, layers);
  }
  // Left to right: each column is a layer; a node sits below the lowest of its inputs.
  layers.forEach((group, col) => {
    let floor = origin.y;
    for (const id of group || []) {
      const below = preds.get(id).filter((p) => positions[p])
        .map((p) => positions[p].y + NODE_H + GAP_Y);
      const y = Math.max(floor, origin.y, ...below);
      positions[id] = { x: origin.x + col * (NODE_W + GAP_X), y };
      floor = y + NODE_H + GAP_Y;
    }
  });
  return positions;
}

function centreRows(positions, layers) {
  const widest = Math.max(0, ...layers.map((g) => (g ? g.length : 0)));
  for (const group of layers) {
    if (!group) continue;
    const shift = ((widest - group.length) * (NODE_W + GAP_X)) / 2;
    for (const id of group) positions[id] = { x: positions[id].x + shift, y: positions[id].y };
  }
  return positions;
}

function topoOrder(ids, preds, succs) {
  const indegree = new Map(ids.map((id) => [id, preds.get(id).length]));
  const queue = ids.filter((id) => indegree.get(id) === 0);
  const order = [];
  while (queue.length) {
    const id = queue.shift();
    order.push(id);
    for (const s of succs.get(id)) {
      indegree.set(s, indegree.get(s) - 1);
      if (indegree.get(s) === 0) queue.push(s);
    }
  }
  // Nodes on a cycle (an invalid draft) go last, in document order.
  const placed = new Set(order);
  for (const id of ids) if (!placed.has(id)) order.push(id);
  return order;
}
