// Canvas geometry shared by the renderer and the auto-layout: node size, port anchors, wire curves.

export const NODE_W = 210;
export const NODE_H = 80;  // room for input port names, a two-line name and output port names
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

export const MAX_BEND = 160;  // how far a wire's curve goes below its start and above its end

/** SVG path of a wire from an output anchor (going down) to an input anchor (coming from above). */
export function wirePath(a, b) {
  const bend = Math.max(30, Math.min(MAX_BEND, Math.abs(b.y - a.y) / 2 + Math.abs(b.x - a.x) / 6));
  return `M${a.x},${a.y} C${a.x},${a.y + bend} ${b.x},${b.y - bend} ${b.x},${b.y}`;
}

/** Truncate a label to fit a node's width. */
export function fitLabel(text, max = 28) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Port names as drawn centred on ports `gap` px apart, each at most as long as room allows:
 *  a long name may use what a short neighbour leaves free; `charW` is a character's width. */
export function fitPortNames(names, gap, charW = 5.6) {
  const chars = names.map((n) => String(n).length);
  const widest = Math.floor((2 * gap - 8) / charW);  // beside a neighbour of no width at all
  for (let i = 0; i < chars.length; i += 1) chars[i] = Math.min(chars[i], widest);
  for (let i = 0; i + 1 < chars.length; i += 1) {
    const over = chars[i] + chars[i + 1] - Math.floor((2 * gap - 8) / charW);
    if (over > 0) {
      const longer = chars[i] >= chars[i + 1] ? i : i + 1;
      chars[longer] -= over;
    }
  }
  return names.map((n, i) => fitLabel(String(n), Math.max(4, chars[i])));
}

/** A node's name in at most `lines` lines of at most `max` characters, broken between words
 *  (a word longer than a line is cut with "…"); only what is still left over is cut. */
export function wrapLabel(text, max = 23, lines = 2) {
  const out = [];
  let rest = String(text).trim().split(/\s+/).filter(Boolean);
  while (rest.length && out.length < lines) {
    let line = rest[0];
    let used = 1;
    while (used < rest.length && `${line} ${rest[used]}`.length <= max) line += ` ${rest[used++]}`;
    rest = rest.slice(used);
    out.push(line);
  }
  if (rest.length) out[out.length - 1] = `${out[out.length - 1]} ${rest.join(" ")}`;
  return out.map((line) => fitLabel(line, max));
}
