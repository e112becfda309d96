// Node geometry: names wrapped to two lines, port names fitted between their neighbours.
import assert from "node:assert/strict";
import { test } from "node:test";

import { fitPortNames, wrapLabel } from "../../static/js/canvas/geometry.js";

test("a name wraps to two lines between words, cut only past them", () => {
  assert.deepEqual(wrapLabel("Import Data"), ["Import Data"]);
  assert.deepEqual(wrapLabel("Two-Class Boosted Decision Tree"), ["Two-Class Boosted", "Decision Tree"]);
  assert.deepEqual(wrapLabel("Boosted Decision Tree Regression"), ["Boosted Decision Tree", "Regression"]);
  const long = wrapLabel("one two three four five six seven eight nine ten eleven twelve", 12);
  assert.equal(long.length, 2);
  assert.ok(long[1].endsWith("…") && long[1].length === 12);
});

test("a long port name uses what a short neighbour leaves free", () => {
  assert.deepEqual(fitPortNames(["Untrained model", "Dataset"], 70), ["Untrained model", "Dataset"]);
  const both = fitPortNames(["Cleaned dataset", "Cleaning transformation"], 70);
  assert.equal(both[0], "Cleaned dataset");
  assert.ok(both[1].endsWith("…"), "the longer of two long names is cut");
  assert.ok((both[0].length + both[1].length) * 5.6 <= 2 * 70 - 8);
  assert.deepEqual(fitPortNames(["Dataset"], 105), ["Dataset"]);
});
