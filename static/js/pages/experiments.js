// Experiments page: runs grouped by experiment, filtered by status, several compared side by side.
import { api } from "../api.js";
import { clear, duration, el, when } from "../dom.js";
import { formatValue } from "../panels/outputs.js";
import { fmt } from "../panels/visualize.js";

const STATUSES = ["Queued", "Running", "Finished", "Failed", "Canceled"];
const root = document.getElementById("app");
const selected = new Map();  // run id -> run, kept across filter changes
const groupsHost = el("div");
const compareHost = el("section", { class: "compare", "aria-label": "Comparison", hidden: true });
const statusFilter = el("select", { id: "status-filter" },
  el("option", { value: "" }, "All statuses"), STATUSES.map((s) => el("option", { value: s }, s)));
const compareButton = el("button", { type: "button", class: "primary", disabled: true }, "Compare");
const selectionNote = el("span", { class: "muted" });

const runLink = (run, text) => el("a", { href: `/runs/${encodeURIComponent(run.id)}` }, text);
const statusBadge = (status) => el("span", { class: `status status-${status}` },
  el("span", { class: "status-dot" }), status);

/** Parameters as one short line: name=value; ... */
function shortParams(run) {
  return Object.entries(run.parameters || {}).map(([k, v]) => `${k}=${formatValue(v)}`).join("; ");
}

/** The first metric of a run: its first metrics entry's first key and value. */
function firstMetric(run) {
  const first = Object.values(run.metrics || {})[0];
  if (!first) return "";
  const [name, value] = Object.entries(first)[0] || [];
  return name === undefined ? "" : `${name} ${fmt(value)}`;
}

function updateSelection() {
  compareButton.disabled = selected.size < 2;
  selectionNote.textContent = selected.size ? `${selected.size} selected` : "Select runs to compare.";
}

function runRow(run) {
  const box = el("input", { type: "checkbox", checked: selected.has(run.id),
                            "aria-label": `Select run ${run.id.slice(0, 8)} (${run.name})` });
  box.addEventListener("change", () => {
    if (box.checked) selected.set(run.id, run);
    else selected.delete(run.id);
    updateSelection();
  });
  const params = shortParams(run);
  return el("tr", { dataset: { runId: run.id } },
    el("td", {}, box),
    el("td", {}, statusBadge(run.status)),
    el("td", {}, runLink(run, run.name || "(unnamed)"),
      run.description ? el("div", { class: "muted" }, run.description) : null),
    el("td", {}, when(run.created)),
    el("td", {}, duration(run.duration) || "—"),
    el("td", { class: "params-short", title: params }, params.length > 90 ? `${params.slice(0, 88)}…` : params),
    el("td", { class: "num" }, firstMetric(run)));
}

function group(experiment, runs) {
  return el("section", { class: "experiment", "aria-label": `Experiment ${experiment.name}`,
                         dataset: { experiment: experiment.name } },
    el("h2", {}, experiment.name, " ", el("span", { class: "muted" },
      `${runs.length} ${runs.length === 1 ? "run" : "runs"}${statusFilter.value ? ` ${statusFilter.value}` : ""}` +
      ` of ${experiment.runs}`)),
    el("table", { "aria-label": `Runs of ${experiment.name}` },
      el("thead", {}, el("tr", {}, ["", "Status", "Pipeline", "Submitted", "Duration", "Parameters",
        "First metric"].map((h) => el("th", {}, h)))),
      el("tbody", {}, runs.map(runRow))));
}

/** Fetch experiments and their runs (with the status filter) and redraw the groups. */
let loads = 0;

async function load() {
  const load = ++loads;
  const { experiments } = await api("/api/v1/experiments");
  const status = statusFilter.value;
  const lists = await Promise.all(experiments.map((e) => {
    const query = new URLSearchParams({ experiment: e.name, limit: "200" });
    if (status) query.set("status", status);
    return api(`/api/v1/runs?${query}`).then((data) => data.runs);
  }));
  if (load !== loads) return;  // the filter changed meanwhile: a newer load draws the page
  clear(groupsHost);
  let shown = 0;
  experiments.forEach((experiment, i) => {
    if (!lists[i].length) return;
    shown += 1;
    groupsHost.append(group(experiment, lists[i]));
  });
  if (!shown) {
    groupsHost.append(el("p", { class: "empty" }, experiments.length
      ? "No runs match this status." : "No runs yet. Submit a pipeline from the designer."));
  }
  const wanted = decodeURIComponent(window.location.hash.slice(1));
  if (wanted) {
    const target = [...groupsHost.querySelectorAll(".experiment")].find((s) => s.dataset.experiment === wanted);
    if (target) target.scrollIntoView();
  }
}

function compare() {
  const runs = [...selected.values()];
  const paramNames = [...new Set(runs.flatMap((r) => Object.keys(r.parameters || {})))];
  const metricKeys = [];
  for (const run of runs) {
    for (const [node, values] of Object.entries(run.metrics || {})) {
      for (const name of Object.keys(values || {})) {
        if (!metricKeys.some(([n, m]) => n === node && m === name)) metricKeys.push([node, name]);
      }
    }
  }
  const nodes = new Set(metricKeys.map(([node]) => node));
  const metricLabel = ([node, name]) => (nodes.size > 1 ? `${name} (${node})` : name);
  const row = (label, cells, attrs = {}) => el("tr", attrs, el("th", { scope: "row" }, label),
    cells.map((cell) => el("td", { class: "num" }, cell)));
  const section = (label) => el("tr", { class: "section" }, el("th", { colspan: runs.length + 1 }, label));
  clear(compareHost).append(
    el("div", { class: "page-head" }, el("h2", {}, `Comparing ${runs.length} runs`),
      el("button", { type: "button", onclick: () => { compareHost.hidden = true; } }, "Close comparison")),
    el("table", { "aria-label": "Run comparison" },
      el("thead", {}, el("tr", {}, el("th", {}, ""), runs.map((r) =>
        el("th", { scope: "col" }, runLink(r, `${r.name} · ${r.id.slice(0, 8)}`))))),
      el("tbody", {},
        row("Status", runs.map((r) => statusBadge(r.status))),
        row("Experiment", runs.map((r) => r.experiment)),
        row("Submitted", runs.map((r) => when(r.created))),
        row("Duration", runs.map((r) => duration(r.duration) || "—")),
        paramNames.length ? section("Parameters") : null,
        paramNames.map((name) => row(name, runs.map((r) => formatValue((r.parameters || {})[name])),
          { dataset: { param: name } })),
        section("Metrics"),
        metricKeys.length ? metricKeys.map((key) => row(metricLabel(key),
          runs.map((r) => fmt(((r.metrics || {})[key[0]] || {})[key[1]])),
          { dataset: { metric: key[1] } }))
          : el("tr", {}, el("td", { colspan: runs.length + 1, class: "muted" }, "No metrics yet.")))));
  compareHost.hidden = false;
  compareHost.scrollIntoView({ block: "nearest" });
}

function render() {
  statusFilter.addEventListener("change", () => load());
  compareButton.addEventListener("click", compare);
  root.append(
    el("h1", {}, "Experiments"),
    el("div", { class: "toolbar" },
      el("label", { for: "status-filter" }, "Status"), statusFilter,
      compareButton, selectionNote),
    compareHost,
    groupsHost);
  updateSelection();
}

render();
load();
