// Canvas geometry shared by the renderer and the auto-layout: node size, port anchors, wire curves.

export const NODE_W = 210;
export const NODE_H = 46;
export const PORT_R = 6;

/** Anchor {x, y} of a port relative to its node: inputs spread on top, outputs at the bottom. */
export function portOffset(spec, side, name) {
  const ports = spec ? (side === "in" ? spec.inputs : spec.outputs) : [];
  const index = Math.max(0, ports.findIndex((p) => p.name === name));
  const count = Math.max(1, ports.length);
  return { x: Math.round((NODE_W * (index + 1)) / (count + 1)), y: side === "in" ? 0 : NODE_H };
}

/** Absolute anchor of a port of a node at `position`. */
export function portPoint(position, spec, side, name) {
  const offset = portOffset(spec, side, name);
  return { x: position.x + offset.x, y: position.y + offset.y };
}

/** SVG path of a wire from an output anchor (going down) to an input anchor (coming from above). */
export function wirePath(a, b) {
  const bend = Math.max(30, Math.min(160, Math.abs(b.y - a.y) / 2 + Math.abs(b.x - a.x) / 6));
  return `M${a.x},${a.y} C${a.x},${a.y + bend} ${b.x},${b.y - bend} ${b.x},${b.y}`;
}

/** Truncate a label to fit a node's width. */
export function fitLabel(text, max = 28) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
