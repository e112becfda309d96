// A node's drawing on the canvas: its shapes, built once per module and cloned for each node.
//
// The shapes carry the node's position in their own coordinates; its <g> has no transform.
// Chromium makes each transformed element a paint chunk of its own, and with 1,000 of them
// every frame's compositing update (layerization) took 5 to 25 ms. A drawing `item` lists its
// positioned shapes as parts, [shape, dx, dy, [x attribute, y attribute]], offsets from the
// node's top-left corner, and placeParts writes them at item.x, item.y.
import { svg } from "../dom.js";
import { categoryStyle } from "./categories.js";
import { fitPortNames, NODE_H, NODE_W, portPoint, PORT_R, wrapLabel } from "./geometry.js";

export const ICON_W = 30;  // the category stripe and icon at a node's left
const LINE_H = 15;         // the name's line height
export const XY = ["x", "y"];
export const CXY = ["cx", "cy"];

/** Builds node drawings from the module catalogue (one prototype per module, then clones). */
export class NodeShapes {
  constructor(catalog) {
    this.catalog = catalog;
    this.prototypes = new Map();
  }

  /** A new, unplaced drawing of `node`: {g, label, module, parts, lines, stripe, x, y, ...}. */
  make(node) {
    let proto = this.prototypes.get(node.module);
    if (!proto) {
      proto = this.prototype(node.module);
      this.prototypes.set(node.module, proto);
    }
    // Cloning the module's drawing is several times faster than building its ~15 elements.
    const g = proto.g.cloneNode(true);
    g.setAttribute("data-node-id", node.id);
    const all = g.querySelectorAll("*");
    const parts = proto.parts.map(([index, dx, dy, names]) => [all[index], dx, dy, names]);
    return { g, label: proto.label, module: node.module, status: null, badge: null, x: 0, y: 0,
             parts, lines: parts.slice(...proto.lines), stripe: all[proto.stripe],
             chipParts: [], badgeParts: [] };
  }

  /** The drawing of a module, with each positioned shape's index among its descendants. */
  prototype(module) {
    const spec = this.catalog.get(module);
    const label = spec ? spec.label : `Unknown module ${module}`;
    const g = svg("g", { class: `node${spec ? "" : " unknown"}`, "data-module": module,
                         "data-category": spec?.category || "" });
    const style = categoryStyle(spec?.category);
    const parts = [];
    const at = (shape, dx, dy, names = XY) => { parts.push([shape, dx, dy, names]); return shape; };
    const stripe = svg("path", { class: "node-stripe", style: `fill: ${style.color}` });
    g.append(at(svg("rect", { class: "node-body", width: NODE_W, height: NODE_H, rx: 6 }), 0, 0),
             stripe,
             at(svg("text", { class: "node-icon", "text-anchor": "middle", text: style.icon,
                              "aria-hidden": "true" }), ICON_W / 2, NODE_H / 2 + 6),
             svg("title", { text: label }));
    const first = parts.length;
    const lines = wrapLabel(label).map((line) => at(svg("tspan", { text: line }), ICON_W + (NODE_W - ICON_W) / 2, 0));
    g.append(svg("text", { class: "node-label", "text-anchor": "middle", "aria-label": label }, lines));
    for (const [side, ports] of [["in", spec?.inputs || []], ["out", spec?.outputs || []]]) {
      const names = fitPortNames(ports.map((p) => p.label || p.name), NODE_W / (ports.length + 1));
      ports.forEach((port, i) => g.append(...makePort(spec, side, port, names[i], at)));
    }
    const item = { parts, lines: parts.slice(first, first + lines.length), status: null };
    placeLabel(item, false);
    const all = [...g.querySelectorAll("*")];
    return { g, label, lines: [first, first + lines.length], stripe: all.indexOf(stripe),
             parts: parts.map(([shape, dx, dy, names]) => [all.indexOf(shape), dx, dy, names]) };
  }
}

/** A port's circle and, inside the node beside it, its name `shown` (at normal zoom); `at`
 *  records each shape's offset. */
function makePort(spec, side, port, shown, at) {
  const anchor = portPoint({ x: 0, y: 0 }, spec, side, port.name);
  return [
    at(svg("circle", {
      class: `port port-${side}${port.optional ? " optional" : ""}`,
      r: PORT_R, "data-port": port.name, "data-type": port.type,
      style: `fill: var(--port-${port.type}, #6e7781)`,
    }, svg("title", { text: `${port.name} (${port.type})` })), anchor.x, anchor.y, CXY),
    at(svg("text", { class: `port-label port-label-${side}`, "text-anchor": "middle",
                     "data-port": port.name, text: shown }), anchor.x, side === "in" ? 17 : NODE_H - 9),
  ];
}

/** Write a drawing's shapes (or only `parts`) at its position item.x, item.y. */
export function placeParts(item, parts = null) {
  const lists = parts ? [parts] : [item.parts, item.chipParts, item.badgeParts];
  for (const list of lists) {
    for (const [shape, dx, dy, [xName, yName]] of list) {
      shape.setAttribute(xName, item.x + dx);
      shape.setAttribute(yName, item.y + dy);
    }
  }
  if (!parts) item.stripe.setAttribute("d", stripePath(item.x, item.y));
}

/** The category colour band along a node's left edge (rounded like the body's corners). */
function stripePath(x, y) {
  return `M${x + 6},${y} H${x + ICON_W} V${y + NODE_H} H${x + 6} A6,6 0 0 1 ${x},${y + NODE_H - 6} `
    + `V${y + 6} A6,6 0 0 1 ${x + 6},${y} Z`;
}

/** Centre the name's lines between the port names; with a status line, a little higher.
 *  `draw` false only records the offsets (a prototype is placed with its clones). */
export function placeLabel(item, draw = true) {
  const middle = NODE_H / 2 - (item.status ? 7 : 0);
  const top = middle - ((item.lines.length - 1) * LINE_H) / 2 + 4;
  item.lines.forEach((line, i) => { line[2] = top + i * LINE_H; });
  if (draw) placeParts(item, item.lines);
}
