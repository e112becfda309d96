// Run view page: header, step list, read-only canvas with live status (SSE, polling fallback), side panel.
import { alreadyShown, api, fallback, notify } from "../api.js";
import { clear, duration, el, when } from "../dom.js";
import { formatValue, StepPanel } from "../panels/outputs.js";
import { inferenceMenu, trainsModel } from "../panels/inference.js";
import { openSubmitDialog } from "../panels/submit.js";
import { TERMINAL } from "../runs.js";

const root = document.getElementById("app");
const runId = root.dataset.runId;
const STEP_DONE = new Set(["Finished", "Failed", "Canceled", "Reused", "Skipped"]);
const STATUS_TEXT = { NotStarted: "Not started" };

const state = { run: null, catalog: {}, selected: null, view: null, source: null, poll: null,
                refetch: null, canceling: false, asked: 0, shown: 0,
                inference: inferenceMenu(() => runId) };

const header = el("section", { class: "run-header", "aria-label": "Run summary" });
const stepList = el("ol", { "aria-label": "Steps" });
const graphHost = el("section", { class: "run-graph", "aria-label": "Pipeline graph" });
const panel = new StepPanel({ onClose: () => select(null, { fromPanel: true }) });

/** Replace a node's children (el()'s rules: arrays flattened, null and false skipped). */
function fill(node, ...children) {
  clear(node).append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const statusWord = (status) => STATUS_TEXT[status] || status;
const statusBadge = (status, attrs = {}) => el("span", { class: `status status-${status}`, ...attrs },
  el("span", { class: "status-dot" }), statusWord(status));

/** Seconds the run has taken so far (live while it runs). */
function runSeconds(run) {
  if (run.duration !== null && run.duration !== undefined) return run.duration;
  if (!run.started) return null;
  return Math.max(0, (Date.now() - new Date(run.started).getTime()) / 1000);
}

function renderHeader() {
  const run = state.run;
  const active = !TERMINAL.has(run.status);
  const name = run.pipeline_id
    ? el("a", { href: `/pipelines/${encodeURIComponent(run.pipeline_id)}`, title: "Open the pipeline" }, run.name)
    : run.name;
  const fact = (label, ...value) => el("span", {}, el("span", { class: "fact-label" }, label), ...value);
  const params = Object.entries(run.parameters || {});
  fill(header,
    el("h1", {}, name),
    el("div", { class: "facts" },
      statusBadge(run.status, { "data-testid": "run-status", "aria-label": `Run status ${run.status}` }),
      fact("Duration", el("span", { class: "run-duration" }, duration(runSeconds(run)) || "—")),
      run.limits ? fact("Limits", el("span", { class: "run-limits" }, limitsText(run.limits))) : null,
      fact("Experiment", el("a", { href: `/experiments#${encodeURIComponent(run.experiment)}` }, run.experiment)),
      fact("Submitted", when(run.created))),
    el("div", { class: "actions" },
      active ? el("button", { type: "button", class: "danger", onclick: cancel, disabled: state.canceling },
        state.canceling ? "Canceling…" : "Cancel") : null,
      derivable(run) ? state.inference : null,
      el("button", { type: "button", onclick: resubmit }, "Resubmit")),
    run.description ? el("div", { class: "params muted" }, run.description) : null,
    params.length ? el("div", { class: "params", "aria-label": "Run parameters" },
      params.map(([key, value]) => el("span", { dataset: { param: key } },
        el("code", {}, key), " = ", formatValue(value), boundFields(run.document, key)))) : null,
    run.status_reason && run.status !== "Finished" ? el("div", { class: "reason" }, run.status_reason) : null);
}

/** A finished run whose pipeline trains a model: an inference pipeline can be made from it. */
const derivable = (run) => run.status === "Finished" && trainsModel((run.document || {}).nodes);

/** A limit in seconds as a person reads it: "6 h", "90 min", "45 s"; null is "none". */
function span(seconds) {
  if (seconds === null || seconds === undefined) return "none";
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The limits that apply to the run (DESIGNER_RUN_SECONDS and friends). */
function limitsText(limits) {
  const memory = limits.step_memory_mb === null ? "none" : `${limits.step_memory_mb} MB`;
  return `run ${span(limits.run_seconds)} · step ${span(limits.step_seconds)} · step memory ${memory}`;
}

/** " → Import Data.path, ..." naming the fields a parameter set (from the document's bindings). */
function boundFields(document, name) {
  const fields = [];
  for (const node of (document || {}).nodes || []) {
    for (const [field, value] of Object.entries(node.params || {})) {
      if (value && typeof value === "object" && value.$param === name) {
        fields.push(`${state.catalog[node.module]?.label || node.module}.${field}`);
      }
    }
  }
  return fields.length ? el("span", { class: "muted param-fields" }, ` → ${fields.join(", ")}`)
    : el("span", { class: "muted param-fields" }, " (unused)");
}

function renderSteps() {
  const steps = state.run.steps || [];
  fill(stepList, steps.map((step) => el("li", {},
    el("button", { type: "button", class: "step-row", "aria-pressed": String(step.node_id === state.selected),
                   dataset: { nodeId: step.node_id, status: step.status },
                   onclick: () => select(step.node_id) },
      el("span", { class: "step-label" }, step.label),
      el("span", { class: "step-meta" }, statusBadge(step.status, { "data-testid": "step-status" }),
        el("span", { class: "muted" }, step.status !== "Skipped" && step.duration !== null &&
          step.duration !== undefined ? duration(step.duration) : ""))))));
  if (state.view) {
    state.view.setStatuses(Object.fromEntries(steps.map((s) => [s.node_id, s.status])));
  }
}

function render() {
  renderHeader();
  renderSteps();
  panel.update(state.run);
}

/** Select a step (or null): highlights it in the list and canvas and opens the side panel. */
function select(nodeId, { fromView = false, fromPanel = false } = {}) {
  if (nodeId === state.selected) return;
  state.selected = nodeId;
  for (const row of stepList.querySelectorAll(".step-row")) {
    row.setAttribute("aria-pressed", String(row.dataset.nodeId === nodeId));
  }
  if (state.view && !fromView) state.view.select(nodeId ? [nodeId] : []);
  if (nodeId) panel.show(state.run, nodeId);
  else if (!fromPanel) panel.close();
}

async function refresh() {
  const asked = ++state.asked;
  const run = await api(`/api/v1/runs/${encodeURIComponent(runId)}`);
  // Answers can arrive out of order: one older than what is shown would turn the clock back.
  if (asked < state.shown) return state.run;
  state.shown = asked;
  state.run = run;
  if (TERMINAL.has(state.run.status)) state.canceling = false;
  render();
  return state.run;
}

/** Re-fetch the run detail soon (several events in a burst cause one request). */
function scheduleRefresh() {
  clearTimeout(state.refetch);
  state.refetch = setTimeout(() => refresh().catch(alreadyShown), 200);
}

function setStepStatus(nodeId, status) {
  const step = (state.run.steps || []).find((s) => s.node_id === nodeId);
  if (!step || step.status === status) return;
  step.status = status;
  renderSteps();
  panel.update(state.run);
}

/** Follow the run live over Server-Sent Events; fall back to polling if the stream fails. */
function follow() {
  if (!window.EventSource) return startPolling();
  const source = new EventSource(`/api/v1/runs/${encodeURIComponent(runId)}/events`);
  state.source = source;
  const parse = (event) => {
    try { return JSON.parse(event.data); } catch { return {}; }
  };
  source.addEventListener("step", (event) => {
    const data = parse(event);
    setStepStatus(data.node_id, data.status);
    if (STEP_DONE.has(data.status)) scheduleRefresh();
  });
  source.addEventListener("run", (event) => {
    const data = parse(event);
    if (data.status && data.status !== state.run.status) {
      state.run.status = data.status;
      if (data.status === "Running" && !state.run.started) state.run.started = new Date().toISOString();
      renderHeader();
      scheduleRefresh();
    }
  });
  source.addEventListener("log", (event) => {
    const data = parse(event);
    panel.appendLog(data.node_id, data.line);
  });
  source.addEventListener("end", () => {
    source.close();
    state.source = null;
    scheduleRefresh();
  });
  source.addEventListener("error", () => {
    // A stream the server ended on time reconnects by itself (CONNECTING); CLOSED is a failure.
    if (source.readyState === EventSource.CLOSED) {
      state.source = null;
      startPolling();
    }
  });
}

function startPolling() {
  if (state.poll) return;
  state.poll = setInterval(async () => {
    try {
      const run = await refresh();
      if (TERMINAL.has(run.status)) {
        clearInterval(state.poll);
        state.poll = null;
      }
    } catch {
      // Keep trying: the server may be restarting.
    }
  }, 2000);
}

async function cancel() {
  state.canceling = true;
  renderHeader();
  try {
    await api(`/api/v1/runs/${encodeURIComponent(runId)}/cancel`, { method: "POST" });
    notify("Cancel requested.", "info");
  } catch {
    state.canceling = false;
  }
  await refresh();
}

/** Submit the stored pipeline again, or this run's own document when the draft is gone. */
async function submitAgain(body) {
  const run = state.run;
  if (run.pipeline_id) {
    try {
      return await api(`/api/v1/pipelines/${encodeURIComponent(run.pipeline_id)}/runs`,
        { method: "POST", body, quiet: true });
    } catch (failure) {
      if (failure.status !== 404) throw failure;
    }
  }
  return api("/api/v1/runs", { method: "POST", body: { ...body, document: run.document }, quiet: true });
}

async function resubmit() {
  const run = state.run;
  const created = await openSubmitDialog({
    title: "Resubmit run", parameters: (run.document || {}).parameters || [],
    values: run.parameters || {}, experiment: run.experiment, description: run.description || "",
    submit: submitAgain,
  });
  if (created) window.location.assign(`/runs/${encodeURIComponent(created.id)}`);
}

/**
 * Integration point with the designer's canvas (static/js/canvas/view.js and graph.js).
 * Loaded dynamically so the run view still works (step list only) if they fail to load.
 */
async function mountCanvas() {
  let modules;
  try {
    modules = await Promise.all([import("../canvas/view.js"), import("../canvas/graph.js")]);
  } catch (error) {
    console.warn("The canvas could not be loaded; showing the step list only.", error);
    graphHost.append(el("p", { class: "placeholder muted" },
      "The graph view is unavailable; select a step in the list."));
    return;
  }
  const [{ CanvasView }, { Graph }] = modules;
  const catalog = new Map(Object.entries(state.catalog));
  const graph = new Graph(state.run.document, catalog);
  const view = new CanvasView(graphHost, graph, { readOnly: true });
  view.addEventListener("selectionchange", (event) => {
    const ids = event.detail.ids || [];
    if (ids.length === 1) select(ids[0], { fromView: true });
  });
  state.view = view;
  renderSteps();
  if (state.selected) view.select([state.selected]);
  view.fit();
}

async function start() {
  root.append(header, el("div", { class: "run-body" },
    el("aside", { class: "run-steps" }, el("h2", {}, "Steps"), stepList),
    graphHost, panel.element));
  const [modules] = await Promise.all([
    api("/api/v1/modules").catch(fallback("The module list could not be read", { modules: [] })),
    refresh(),
  ]);
  state.catalog = Object.fromEntries(modules.modules.map((m) => [m.name, m]));
  panel.catalog = state.catalog;
  renderHeader();
  setInterval(() => {
    if (state.run && state.run.started && !TERMINAL.has(state.run.status)) {
      const cell = header.querySelector(".run-duration");
      if (cell) cell.textContent = duration(runSeconds(state.run));
    }
  }, 1000);
  if (!TERMINAL.has(state.run.status)) follow();
  await mountCanvas();
}

start();
