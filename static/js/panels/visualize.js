// Visualize dialog of a step output: data set preview with column statistics, metrics with charts.
import { api } from "../api.js";
import { clear, el, openModal, svg } from "../dom.js";

const PLOT_CONFIG = { displaylogo: false, responsive: true };
const number = new Intl.NumberFormat("en-US");

/** What a person calls each metric Evaluate Model reports, keyed as the API keys them. */
export const METRIC_NAMES = {
  accuracy: "Accuracy", precision: "Precision", recall: "Recall", f1: "F1 score", auc: "AUC",
  mae: "Mean absolute error", rmse: "Root mean squared error",
  r2: "Coefficient of determination (R²)", relative_absolute_error: "Relative absolute error",
  relative_squared_error: "Relative squared error",
  average_quantile_loss: "Average quantile loss",
  average_distance_to_cluster_center: "Average distance to cluster center",
  average_distance_to_other_center: "Average distance to other center",
  number_of_points: "Number of points",
  maximal_distance_to_cluster_center: "Maximal distance to cluster center",
};

/** The figures of a clustering evaluation, in Azure's column order. */
export const CLUSTER_FIGURES = ["average_distance_to_other_center",
  "average_distance_to_cluster_center", "number_of_points", "maximal_distance_to_cluster_center"];

/** The friendly name of a metric key; unknown keys are shown as they are. */
export function metricName(key) {
  const quantile = /^quantile_loss_(.+)$/.exec(key);
  if (quantile) return `Quantile loss (${quantile[1]})`;
  return METRIC_NAMES[key] || key;
}

/**
 * The rows of Azure's clustering table: one per cluster ("Evaluation for cluster no.0"), then
 * "Combined evaluation", each with its figures in CLUSTER_FIGURES order.
 */
export function clusterRows(clusters, combined) {
  const rows = clusters.labels.map((label, i) => ({
    name: `Evaluation for cluster no.${label}`,
    values: CLUSTER_FIGURES.map((figure) => clusters[figure][i]),
  }));
  rows.push({ name: "Combined evaluation", values: CLUSTER_FIGURES.map((f) => combined[f]) });
  return rows;
}

/** Format a number for tables: integers as is, others with up to 4 significant decimals. */
export function fmt(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return number.format(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(3) : value.toFixed(4);
}

/** Plotly reads `<a href>`, `<b>`, `<br>` in its texts as markup: escape data as plain text. */
export function plotText(value) {
  return typeof value === "string"
    ? value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : value;
}

const TEXT_KEYS = new Set(["text", "name", "x", "y", "labels", "hovertext"]);

/** A copy of a plotly trace or layout with every text (titles, names, categories) escaped. */
export function escapePlot(value, key = "") {
  if (Array.isArray(value)) return value.map((v) => escapePlot(v, key));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapePlot(v, k)]));
  }
  return TEXT_KEYS.has(key) ? plotText(value) : value;
}

/** Draw a plotly chart into `target` (texts escaped), or say why charts are unavailable. */
export function plot(target, data, layout) {
  if (!window.Plotly) {
    target.append(el("p", { class: "muted" }, "Charts are unavailable (plotly.js did not load)."));
    return;
  }
  const base = { margin: { l: 50, r: 20, t: 36, b: 44 }, font: { size: 11 } };
  window.Plotly.newPlot(target, escapePlot(data), escapePlot({ ...base, ...layout }), PLOT_CONFIG);
}

/** Open the Visualize dialog for one output port of a step. */
export async function openVisualize({ runId, nodeId, port, title }) {
  const enc = encodeURIComponent;
  const url = `/api/v1/runs/${enc(runId)}/steps/${enc(nodeId)}/outputs/${enc(port)}`;
  const body = el("div", { class: "viz-body" }, el("p", { class: "muted" }, "Loading…"));
  const summary = el("span", { class: "viz-summary" });
  const dialog = el("dialog", { class: "visualize", "aria-label": `Visualize ${title}` },
    el("div", { class: "viz-head" },
      el("h2", {}, title), summary,
      el("a", { class: "button", href: url, download: "" }, "Download"),
      el("button", { type: "button", onclick: () => dialog.close() }, "Close")),
    body);
  openModal(dialog);
  let preview;
  try {
    preview = await api(`${url}/preview?rows=100`, { quiet: true });
  } catch (error) {
    clear(body).append(el("p", { class: "error-text", role: "alert" }, error.message));
    return dialog;
  }
  clear(body);
  if (preview.kind === "dataframe") renderDataset(body, summary, preview);
  else if (preview.kind === "json") renderJson(body, preview.value);
  else {
    body.append(el("p", {}, "This output is a model (", preview.kind, "). ",
      "Models cannot be previewed; download the file to use it elsewhere."),
      el("p", { class: "muted" }, preview.description || ""));
  }
  return dialog;
}

/* ---------- data sets ---------- */

function isNumeric(column) {
  return column.mean !== undefined;
}

function renderDataset(body, summary, preview) {
  summary.append(el("strong", { "data-testid": "row-count" }, `${number.format(preview.row_count)} rows`),
    " × ", el("strong", {}, `${number.format(preview.column_count)} columns`));
  const chartTitle = el("h3", {});
  const chartNote = el("p", { class: "muted" });
  const chart = el("div", { class: "chart" });
  const columnStats = Object.fromEntries(preview.columns.map((c) => [c.name, c]));
  const statRows = {};
  const select = (name) => {
    for (const [key, row] of Object.entries(statRows)) row.classList.toggle("selected", key === name);
    showColumn(name, columnStats[name], preview, chartTitle, chartNote, chart);
  };
  const head = el("tr", {}, preview.column_names.map((name) => el("th", {},
    el("button", { type: "button", class: "col-button", title: `Show ${name}`,
                   onclick: () => select(name) }, name))));
  const rows = preview.rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, cellText(cell)))));
  const table = el("div", { class: "viz-table" },
    el("table", { "aria-label": "First rows" }, el("thead", {}, head), el("tbody", {}, rows)));
  const stats = el("table", { class: "col-stats", "aria-label": "Column statistics" },
    el("thead", {}, el("tr", {}, ["Column", "Type", "Missing", "Unique", "Mean", "Min", "Max",
      "Top categories", "Distribution"].map((h) => el("th", {}, h)))),
    el("tbody", {}, preview.columns.map((column) => {
      const top = (column.top || []).slice(0, 3).map((t) => `${t.value} (${fmt(t.count)})`).join(", ");
      const row = el("tr", { onclick: () => select(column.name), dataset: { column: column.name } },
        el("td", {}, column.name), el("td", {}, column.dtype), el("td", {}, fmt(column.missing)),
        el("td", {}, fmt(column.unique)),
        el("td", {}, isNumeric(column) ? fmt(column.mean) : ""),
        el("td", {}, isNumeric(column) ? fmt(column.min) : ""),
        el("td", {}, isNumeric(column) ? fmt(column.max) : ""),
        el("td", {}, top),
        el("td", {}, isNumeric(column) ? miniHistogram(column.name, columnValues(preview, column.name))
          : ""));
      statRows[column.name] = row;
      return row;
    })));
  body.append(
    el("p", { class: "muted" }, `Showing the first ${number.format(preview.rows.length)} rows.`),
    table,
    el("div", { class: "viz-data" },
      el("section", {}, el("h3", {}, "Columns"), stats),
      el("section", { "aria-label": "Column chart" }, chartTitle, chartNote, chart)));
  if (preview.column_names.length) select(preview.column_names[0]);
}

/** The numbers of one column in the previewed rows. */
function columnValues(preview, name) {
  const index = preview.column_names.indexOf(name);
  return preview.rows.map((row) => row[index]).filter((v) => typeof v === "number");
}

/** Counts of `values` in `bins` equal-width bins between their minimum and maximum. */
export function binCounts(values, bins = 12) {
  if (!values.length) return [];
  const lo = Math.min(...values);
  const width = (Math.max(...values) - lo) / bins;
  const counts = new Array(width ? bins : 1).fill(0);
  for (const v of values) counts[width ? Math.min(bins - 1, Math.floor((v - lo) / width)) : 0] += 1;
  return counts;
}

/** A small inline histogram, so every numeric column's shape shows at a glance in the table. */
function miniHistogram(name, values) {
  const counts = binCounts(values);
  const top = Math.max(1, ...counts);
  const width = 96;
  const height = 24;
  const bar = width / Math.max(1, counts.length);
  return svg("svg", { class: "mini-histogram", role: "img", width, height,
                      "aria-label": `Histogram of ${name}`, viewBox: `0 0 ${width} ${height}` },
  svg("title", { text: `${name}: ${values.length} values in ${counts.length} bins` }),
  counts.map((count, i) => svg("rect", { x: i * bar + 0.5, width: bar - 1, fill: "#1f6feb",
    y: height - (count / top) * height, height: (count / top) * height })));
}

function cellText(cell) {
  return cell === null || cell === undefined ? "" : String(cell);
}

function showColumn(name, column, preview, title, note, chart) {
  title.textContent = name;
  if (window.Plotly) window.Plotly.purge(chart);
  clear(chart);
  if (!column) return;
  if (isNumeric(column)) {
    const values = columnValues(preview, name);
    note.textContent = `Histogram of the first ${values.length} rows · mean ${fmt(column.mean)}, ` +
      `min ${fmt(column.min)}, max ${fmt(column.max)}, missing ${fmt(column.missing)}`;
    plot(chart, [{ type: "histogram", x: values, marker: { color: "#1f6feb" } }],
      { title: { text: `${name} (first 100 rows)` }, xaxis: { title: { text: name } },
        yaxis: { title: { text: "count" } } });
  } else {
    const top = column.top || [];
    note.textContent = `Top ${top.length} categories of all rows · missing ${fmt(column.missing)}, ` +
      `${fmt(column.unique)} distinct`;
    plot(chart, [{ type: "bar", x: top.map((t) => t.value), y: top.map((t) => t.count),
                   marker: { color: "#8250df" } }],
      { title: { text: `${name}: top categories` }, yaxis: { title: { text: "count" } } });
  }
}

/* ---------- metrics ---------- */

function renderJson(body, value) {
  if (!value || typeof value !== "object" || !value.metrics) {
    body.append(el("pre", { class: "log" }, JSON.stringify(value, null, 2)));
    return;
  }
  renderEvaluation(body, value, value.compare && value.compare.metrics ? value.compare : null);
}

/**
 * Evaluate Model's metrics and charts into `body`; with `compare` (a second evaluation of the
 * same kind) both side by side: one metrics table, both curves on each chart, both confusion
 * matrices. `names` label the two sides.
 */
export function renderEvaluation(body, value, compare = null,
                                 names = ["Scored data set", "Data set to compare"]) {
  const curves = value.curves || {};
  const other = (compare && compare.curves) || {};
  const tables = el("div", { class: "viz-metrics" });
  // A regression or clustering evaluation has no confusion matrix: append no "null" text.
  const drawTables = (index) => clear(tables).append(...[
    metricTable(metricsAt(value, index), compare && metricsAt(compare, index), names),
    confusions(confusionAt(value, index), compare && confusionAt(compare, index), names),
  ].filter(Boolean));
  const counts = curves.threshold_counts;
  if (counts) body.append(thresholdSlider(counts, drawTables));
  drawTables(counts ? defaultIndex(counts) : null);
  const charts = el("div", { class: "charts" });
  body.append(tables, charts);
  const pending = [];
  const addChart = (label, data, layout) => {
    const target = el("div", { class: "chart", "aria-label": label });
    charts.append(el("section", {}, target));
    pending.push(() => plot(target, data, { title: { text: label }, ...layout }));
  };
  const pair = (primary, secondary, build) => [build(primary, names[0].toLowerCase()),
    secondary ? build(secondary, names[1].toLowerCase()) : null].filter(Boolean);
  if (curves.roc) {
    addChart("ROC curve", [
      ...pair(curves.roc, other.roc, (c, name) => ({ x: c.fpr, y: c.tpr, mode: "lines", name })),
      { x: [0, 1], y: [0, 1], mode: "lines", name: "chance", line: { dash: "dot", color: "#aaa" } }],
    { xaxis: { title: { text: "false positive rate" }, range: [0, 1] },
      yaxis: { title: { text: "true positive rate" }, range: [0, 1.02] } });
  }
  if (curves.pr) {
    addChart("Precision-recall curve",
      pair(curves.pr, other.pr, (c, name) => ({ x: c.recall, y: c.precision, mode: "lines", name })),
      { xaxis: { title: { text: "recall" }, range: [0, 1] },
        yaxis: { title: { text: "precision" }, range: [0, 1.02] } });
  }
  if (value.per_class) {
    const sides = compare && compare.per_class ? [value, compare] : [value];
    sides.forEach((side, i) => charts.before(perClassTable(side.per_class,
      sides.length > 1 ? names[i] : "")));
  }
  if (value.clusters) addClusters(charts, addChart, value, compare, names);
  if (value.task === "anomaly_detection") {
    tables.before(el("p", { class: "muted", "data-testid": "evaluation-task" },
      "Anomaly detection, measured as two classes: the positive class is the anomaly label " +
      `(${String(curves.confusion_matrix.labels[1])}).`));
  }
  if (counts) {
    addChart("Lift chart", [
      ...pair(counts, other.threshold_counts, (c, name) => ({ ...liftPoints(c), mode: "lines", name })),
      { x: [0, 1], y: [1, 1], mode: "lines", name: "random", line: { dash: "dot", color: "#aaa" } }],
    { xaxis: { title: { text: "fraction of rows predicted positive" }, range: [0, 1] },
      yaxis: { title: { text: "lift" } } });
  }
  if (curves.residuals) addResidualCharts(addChart, curves.residuals);
  if (curves.residual_histogram) {
    const { bins, counts: binCounts } = curves.residual_histogram;
    const centers = binCounts.map((_, i) => (bins[i] + bins[i + 1]) / 2);
    addChart("Residuals (actual − predicted)", [{ type: "bar", x: centers, y: binCounts,
      marker: { color: "#1a7f37" } }], { bargap: 0.02, xaxis: { title: { text: "residual" } },
      yaxis: { title: { text: "count" } } });
  }
  // Plot once every chart has its cell, so each is sized to its final width.
  for (const draw of pending) draw();
}

/** A clustering evaluation: Azure's per-cluster table (each side's) and points per cluster. */
function addClusters(charts, addChart, value, compare, names) {
  const sides = compare && compare.clusters ? [value, compare] : [value];
  sides.forEach((side, i) => charts.before(clusterTable(side, sides.length > 1 ? names[i] : "")));
  addChart("Points per cluster", sides.map((side, i) => ({
    type: "bar", name: names[i].toLowerCase(), x: side.clusters.labels.map((l) => `cluster ${l}`),
    y: side.clusters.number_of_points })), { yaxis: { title: { text: "points" } } });
}

function clusterTable(evaluation, side) {
  const title = side ? `Clustering evaluation: ${side}` : "Clustering evaluation";
  return el("section", {}, el("h3", {}, title),
    el("table", { class: "metric-table", "aria-label": title },
      el("thead", {}, el("tr", {}, el("th", {}, "Result description"),
        CLUSTER_FIGURES.map((figure) => el("th", {}, metricName(figure))))),
      el("tbody", {}, clusterRows(evaluation.clusters, evaluation.metrics).map((row) =>
        el("tr", {}, el("th", { scope: "row" }, row.name),
          row.values.map((v) => el("td", { class: "num" }, fmt(v))))))));
}

function addResidualCharts(addChart, { actual, predicted }) {
  const all = actual.concat(predicted);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  addChart("Predicted vs actual", [
    { x: actual, y: predicted, mode: "markers", type: "scatter", name: "rows",
      marker: { size: 5, opacity: 0.7 } },
    { x: [lo, hi], y: [lo, hi], mode: "lines", name: "perfect", line: { dash: "dot", color: "#aaa" } }],
  { xaxis: { title: { text: "actual" } }, yaxis: { title: { text: "predicted" } } });
  const low = Math.min(...predicted);
  const high = Math.max(...predicted);
  addChart("Residual plot", [
    { x: predicted, y: predicted.map((p, i) => actual[i] - p), mode: "markers", type: "scatter",
      name: "rows", marker: { size: 5, opacity: 0.7, color: "#1a7f37" } },
    { x: [low, high], y: [0, 0], mode: "lines", name: "zero", line: { dash: "dot", color: "#aaa" } }],
  { xaxis: { title: { text: "predicted" } }, yaxis: { title: { text: "residual (actual − predicted)" } } });
}

/** The index of the threshold Evaluate Model scored with (0.5), in its per-threshold counts. */
function defaultIndex(counts) {
  const index = counts.threshold.indexOf(counts.default);
  return index >= 0 ? index : Math.floor(counts.threshold.length / 2);
}

/** A range input over the evaluated thresholds that redraws the tables at the one chosen. */
function thresholdSlider(counts, redraw) {
  const shown = el("output", { "data-testid": "threshold-value" });
  const show = (index) => {
    shown.textContent = counts.threshold[index].toFixed(2);
    redraw(index);
  };
  const input = el("input", { type: "range", min: 0, max: counts.threshold.length - 1, step: 1,
                              "aria-label": "Threshold", value: String(defaultIndex(counts)),
                              oninput: () => show(Number(input.value)) });
  shown.textContent = counts.default.toFixed(2);
  return el("div", { class: "threshold" },
    el("label", {}, "Threshold ", input, " ", shown),
    el("p", { class: "muted" }, "A row is predicted positive when its probability is at least " +
      "the threshold; accuracy, precision, recall, F1 score and the confusion matrix follow it."));
}

/** The confusion counts at threshold number `index` of per-threshold counts. */
export function countsAt(counts, index) {
  return { tp: counts.tp[index], fp: counts.fp[index], tn: counts.tn[index], fn: counts.fn[index] };
}

/** Accuracy, precision, recall and F1 of confusion counts, as Evaluate Model computes them. */
export function thresholdMetrics({ tp, fp, tn, fn }) {
  const total = tp + fp + tn + fn;
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { accuracy: total ? (tp + tn) / total : null, precision, recall,
           f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

function metricsAt(evaluation, index) {
  const counts = evaluation.curves && evaluation.curves.threshold_counts;
  if (!counts || index === null) return evaluation.metrics;
  return { ...evaluation.metrics, ...thresholdMetrics(countsAt(counts, index)) };
}

function confusionAt(evaluation, index) {
  const curves = evaluation.curves || {};
  const matrix = curves.confusion_matrix;
  if (!matrix || !curves.threshold_counts || index === null) return matrix || null;
  const { tp, fp, tn, fn } = countsAt(curves.threshold_counts, index);
  return { labels: matrix.labels, matrix: [[tn, fp], [fn, tp]] };
}

/** Lift (precision over the positive rate) against the fraction of rows predicted positive. */
export function liftPoints(counts) {
  const x = [];
  const y = [];
  for (let i = counts.threshold.length - 1; i >= 0; i -= 1) {
    const { tp, fp, fn, tn } = countsAt(counts, i);
    const total = tp + fp + tn + fn;
    if (!(tp + fp) || !(tp + fn)) continue;
    x.push((tp + fp) / total);
    y.push(tp / (tp + fp) / ((tp + fn) / total));
  }
  return { x, y };
}

function confusions(primary, secondary, names) {
  if (primary && secondary) {
    return el("div", { class: "confusions" }, confusionTable(primary, names[0]),
      confusionTable(secondary, names[1]));
  }
  return primary ? confusionTable(primary) : null;
}

function metricTable(metrics, compared, sides) {
  const names = Object.keys(metrics);
  if (compared) for (const name of Object.keys(compared)) if (!names.includes(name)) names.push(name);
  return el("table", { class: "metric-table", "aria-label": "Metrics" },
    el("thead", {}, el("tr", {}, el("th", {}, "Metric"), el("th", {}, compared ? sides[0] : "Value"),
      compared ? el("th", {}, sides[1]) : null)),
    el("tbody", {}, names.map((name) => el("tr", { dataset: { metric: name } },
      el("th", { scope: "row", title: name }, metricName(name)),
      el("td", { class: "num" }, fmt(metrics[name])),
      compared ? el("td", { class: "num" }, fmt(compared[name])) : null))));
}

/** A multiclass evaluation's precision and recall of each class, one row a class. */
function perClassTable({ labels, precision, recall }, side = "") {
  const title = side ? `Per-class metrics: ${side}` : "Per-class metrics";
  return el("section", {}, el("h3", {}, title),
    el("table", { class: "metric-table", "aria-label": title },
      el("thead", {}, el("tr", {}, el("th", {}, "Class"), el("th", {}, "precision"),
        el("th", {}, "recall"))),
      el("tbody", {}, labels.map((label, i) => el("tr", {},
        el("th", { scope: "row" }, String(label)),
        el("td", { class: "num" }, fmt(precision[i])),
        el("td", { class: "num" }, fmt(recall[i])))))));
}

function confusionTable({ labels, matrix }, side = "") {
  const title = side ? `Confusion matrix: ${side}` : "Confusion matrix";
  return el("section", {}, el("h3", {}, title),
    el("table", { class: "confusion metric-table", "aria-label": title },
      el("thead", {}, el("tr", {}, el("th", {}, "actual \\ predicted"),
        labels.map((label) => el("th", {}, label)))),
      el("tbody", {}, matrix.map((row, i) => el("tr", {},
        el("th", { scope: "row" }, labels[i]), row.map((count) => el("td", {}, fmt(count))))))));
}
