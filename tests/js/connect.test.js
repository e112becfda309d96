// Wiring from the keyboard: the wires offered for a module, and stepping through the modules.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Graph } from "../../static/js/canvas/graph.js";
import { stepSelection } from "../../static/js/canvas/keyboard.js";
import { possibleWires } from "../../static/js/panels/connect.js";
import { CATALOG, sampleDocument } from "./catalog.js";

test("the wires offered are those the graph accepts and lacks, in and out of the module", () => {
  const g = new Graph(sampleDocument(), CATALOG);
  const train = g.addNode("train_model", { x: 0, y: 200 });
  // Split Data's outputs may feed Train Model's dataset; nothing fits its untrained model.
  assert.deepEqual(possibleWires(g, train).map((w) => w.text), [
    "Import Data: dataset → Train Model: dataset",
    "Split Data: results1 → Train Model: dataset",
    "Split Data: results2 → Train Model: dataset",
  ]);
  // Import Data -> Split Data is there already.
  assert.deepEqual(possibleWires(g, "n2").map((w) => w.text), [
    "Split Data: results1 → Train Model: dataset",
    "Split Data: results2 → Train Model: dataset",
  ]);
});

test("] and [ step through the modules in the pipeline's order, wrapping around", () => {
  const g = new Graph(sampleDocument(), CATALOG);
  const view = { selection: [], select(ids) { this.selection = ids; } };
  stepSelection(g, view, 1);
  assert.deepEqual(view.selection, ["n1"]);
  stepSelection(g, view, 1);
  assert.deepEqual(view.selection, ["n2"]);
  stepSelection(g, view, 1);
  assert.deepEqual(view.selection, ["n1"]);
  stepSelection(g, view, -1);
  assert.deepEqual(view.selection, ["n2"]);
  view.selection = [];
  stepSelection(g, view, -1);
  assert.deepEqual(view.selection, ["n2"]);
});
