// Visualize's threshold metrics, lift points, histogram bins and metric names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { binCounts, clusterRows, liftPoints, metricName, thresholdMetrics } from "../../static/js/panels/visualize.js";

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

test("a clustering evaluation reads as Azure's table: one row a cluster, then the combination", () => {
  const clusters = { labels: [0, 1], average_distance_to_cluster_center: [0.1, 0.2],
    average_distance_to_other_center: [0.5, 0.6], number_of_points: [3, 4],
    maximal_distance_to_cluster_center: [0.3, 0.4] };
  const combined = { average_distance_to_cluster_center: 0.15, average_distance_to_other_center: 0.55,
    number_of_points: 7, maximal_distance_to_cluster_center: 0.4 };
  assert.deepEqual(clusterRows(clusters, combined), [
    { name: "Evaluation for cluster no.0", values: [0.5, 0.1, 3, 0.3] },
    { name: "Evaluation for cluster no.1", values: [0.6, 0.2, 4, 0.4] },
    { name: "Combined evaluation", values: [0.55, 0.15, 7, 0.4] },
  ]);
  assert.equal(metricName("quantile_loss_0.250"), "Quantile loss (0.250)");
  assert.equal(metricName("number_of_points"), "Number of points");
});
