// Visualize's threshold metrics, lift points, histogram bins and metric names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { binCounts, liftPoints, metricName, thresholdMetrics } from "../../static/js/panels/visualize.js";

test("metrics at a threshold follow the confusion counts as Evaluate Model computes them", () => {
  assert.deepEqual(thresholdMetrics({ tp: 3, fp: 1, tn: 4, fn: 2 }),
    { accuracy: 0.7, precision: 0.75, recall: 0.6, f1: (2 * 0.75 * 0.6) / 1.35 });
  assert.deepEqual(thresholdMetrics({ tp: 0, fp: 0, tn: 5, fn: 5 }),
    { accuracy: 0.5, precision: 0, recall: 0, f1: 0 });
});

test("lift runs from the strictest threshold to predicting every row positive", () => {
  const counts = { threshold: [0, 0.5, 1], tp: [5, 4, 0], fp: [5, 1, 0], tn: [0, 4, 5], fn: [0, 1, 5] };
  assert.deepEqual(liftPoints(counts), { x: [0.5, 1], y: [1.6, 1] });
});

test("values fall in equal-width bins, the maximum in the last one", () => {
  assert.deepEqual(binCounts([0, 1, 2, 3, 4], 4), [1, 1, 1, 2]);
  assert.deepEqual(binCounts([7, 7, 7]), [3]);
  assert.deepEqual(binCounts([]), []);
});

test("metric keys read as a person names them; unknown keys stay as they are", () => {
  assert.equal(metricName("auc"), "AUC");
  assert.equal(metricName("mae"), "Mean absolute error");
  assert.equal(metricName("custom"), "custom");
});
