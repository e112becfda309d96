// Auto-layout: layers by longest path, in rows (TB) or columns (LR).
import assert from "node:assert/strict";
import { test } from "node:test";

import { NODE_H, NODE_W } from "../../static/js/canvas/geometry.js";
import { layout } from "../../static/js/canvas/layout.js";

const wire = (a, b) => ({ from: { node: a, port: "out" }, to: { node: b, port: "in" } });
const doc = (ids, edges) => ({ nodes: ids.map((id) => ({ id })), edges });

test("a chain runs top to bottom, one layer a row, from the origin", () => {
  const at = layout(doc(["a", "b", "c"], [wire("a", "b"), wire("b", "c")]));
  assert.deepEqual(at.a, { x: 40, y: 40 });
  assert.equal(at.a.x, at.b.x);
  assert.ok(at.b.y >= at.a.y + NODE_H && at.c.y >= at.b.y + NODE_H);
});

test("left to right puts each layer in a column, every node below its inputs", () => {
  const at = layout(doc(["a", "b"], [wire("a", "b")]), { direction: "LR", origin: { x: 0, y: 0 } });
  assert.deepEqual(at.a, { x: 0, y: 0 });
  assert.ok(at.b.x >= NODE_W && at.b.y > at.a.y);
});

test("siblings share a layer without overlapping; every node gets a position", () => {
  const at = layout(doc(["root", "l", "r", "lonely"], [wire("root", "l"), wire("root", "r")]));
  assert.equal(at.l.y, at.r.y);
  assert.ok(Math.abs(at.l.x - at.r.x) >= NODE_W);
  assert.deepEqual(Object.keys(at).sort(), ["l", "lonely", "r", "root"]);
});

test("wires to unknown nodes and self-loops are ignored", () => {
  const at = layout(doc(["a"], [wire("a", "a"), wire("a", "ghost")]));
  assert.deepEqual(Object.keys(at), ["a"]);
});
