// Which parts of a large drawing are left out: those far outside the visible area.
//
// At 1,000 nodes, zoomed in enough to show names and ports, every shape drawn cost each pan
// frame's compositing update (17 ms a frame); the few dozen nodes on screen cost almost nothing.
import { MAX_BEND } from "./geometry.js";

export const CULL_MARGIN = 0.5;  // screens of drawing kept on each side of the visible area:
// enough for a wheel burst zooming out 2 x, or a pan of half a screen, before the drawing
// catches up (when the gesture settles)

/** The canvas (world) rectangle {x0, y0, x1, y1} worth drawing: what a `box`-sized area shows
 *  under transform `t` ({x, y, k}), and `margin` times as much again on each side, so that a
 *  pan or zoom in flight (which moves the drawing as it is) finds it already drawn. */
export function drawnArea(t, box, margin = CULL_MARGIN) {
  const width = box.width / t.k;
  const height = box.height / t.k;
  const x0 = -t.x / t.k;
  const y0 = -t.y / t.k;
  return { x0: x0 - margin * width, y0: y0 - margin * height,
           x1: x0 + (1 + margin) * width, y1: y0 + (1 + margin) * height };
}

/** Whether the rectangle from (x0, y0) to (x1, y1) lies wholly outside `area`. */
export function outside(area, x0, y0, x1, y1) {
  return x1 < area.x0 || x0 > area.x1 || y1 < area.y0 || y0 > area.y1;
}

/** Whether `area` holds all of rectangle `rect` (both {x0, y0, x1, y1}). */
export function covers(area, rect) {
  return area.x0 <= rect.x0 && area.y0 <= rect.y0 && rect.x1 <= area.x1 && rect.y1 <= area.y1;
}

/** A rectangle holding the wire from anchor `a` to `b` ({x0, y0, x1, y1}; its curve leaves
 *  `a` downwards and enters `b` from above, by at most MAX_BEND). */
export function wireBox(a, b) {
  return { x0: Math.min(a.x, b.x), y0: Math.min(a.y, b.y - MAX_BEND),
           x1: Math.max(a.x, b.x), y1: Math.max(a.y + MAX_BEND, b.y) };
}
