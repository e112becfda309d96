// Culling: the area worth drawing around the visible one, and what lies wholly outside it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { covers, drawnArea, outside, wireBox } from "../../static/js/canvas/culling.js";
import { MAX_BEND } from "../../static/js/canvas/geometry.js";

test("the drawn area is the visible one and half a screen more on each side", () => {
  // 1000 x 500 px at 50% zoom, panned so that the world point (100, 200) is at the top left.
  const t = { x: -50, y: -100, k: 0.5 };
  const box = { width: 1000, height: 500 };
  assert.deepEqual(drawnArea(t, box), { x0: -900, y0: -300, x1: 3100, y1: 1700 });
  assert.deepEqual(drawnArea(t, box, 1), { x0: -1900, y0: -800, x1: 4100, y1: 2200 });
  assert.deepEqual(drawnArea({ x: 20, y: 10, k: 1 }, { width: 100, height: 100 }, 0),
                   { x0: -20, y0: -10, x1: 80, y1: 90 });
});

test("only what lies wholly outside the area is left out", () => {
  const area = { x0: 0, y0: 0, x1: 100, y1: 100 };
  assert.equal(outside(area, 10, 10, 20, 20), false);
  assert.equal(outside(area, -50, 40, 5, 60), false);    // overlaps the left edge
  assert.equal(outside(area, -500, -500, 500, 500), false);  // covers the area
  assert.equal(outside(area, 101, 0, 200, 50), true);
  assert.equal(outside(area, 0, -80, 50, -1), true);
});

test("an area covers a rectangle only when it holds all of it", () => {
  const area = { x0: 0, y0: 0, x1: 100, y1: 100 };
  assert.equal(covers(area, { x0: 0, y0: 0, x1: 100, y1: 100 }), true);
  assert.equal(covers(area, { x0: 10, y0: 10, x1: 20, y1: 20 }), true);
  assert.equal(covers(area, { x0: 10, y0: 10, x1: 120, y1: 20 }), false);
  assert.equal(covers(area, { x0: -1, y0: 10, x1: 20, y1: 20 }), false);
});

test("a wire's box holds its curve, which bends below its start and above its end", () => {
  assert.deepEqual(wireBox({ x: 300, y: 100 }, { x: 0, y: 900 }), { x0: 0, y0: 100, x1: 300, y1: 900 });
  // A wire going back up: the loops below its start and above its end count.
  assert.deepEqual(wireBox({ x: 0, y: 500 }, { x: 10, y: 100 }),
                   { x0: 0, y0: 100 - MAX_BEND, x1: 10, y1: 500 + MAX_BEND });
});
