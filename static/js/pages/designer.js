// The Designer page: palette, canvas, details panel, autosave, live validation and Submit.
import { api, fallback, notify } from "../api.js";
import { clear, el } from "../dom.js";
import { Autosave } from "../canvas/autosave.js";
import { Graph } from "../canvas/graph.js";
import { attachShortcuts } from "../canvas/keyboard.js";
import { layout } from "../canvas/layout.js";
import { ParameterEdits } from "../canvas/parameter_edits.js";
import { LiveValidation } from "../canvas/validation.js";
import { CanvasView } from "../canvas/view.js";
import { NODE_H, NODE_W } from "../canvas/geometry.js";
import { DetailsPanel } from "../panels/details.js";
import { compareButton } from "../panels/draft_diff.js";
import { openConnectDialog } from "../panels/connect.js";
import { openHelp } from "../panels/help.js";
import { deployButton, inferenceMenu, trainsModel } from "../panels/inference.js";
import { ParametersPanel } from "../panels/parameters.js";
import { dockedPanel } from "../panels/dock.js";
import { buildPalette } from "../panels/palette.js";
import { publishButton } from "../panels/publish.js";
import { runToHere } from "../panels/run_to_here.js";
import { exportButton } from "../panels/export_python.js";
import { openSubmitDialog, showProblems } from "../panels/submit.js";
import { TERMINAL } from "../runs.js";

const app = document.getElementById("app");
const pipelineId = app.dataset.pipelineId;
const SAVE_TEXT = { saved: "Saved", saving: "Saving..." };
const LAST_RUN_POLL_MS = 2000;
const MESSAGE_MS = 8000;
const ADD_GAP = 40;  // room between a module added at the centre and one already there

async function main() {
  app.append(el("p", { class: "muted loading" }, "Loading the pipeline..."));
  const [pipeline, modules] = await Promise.all([
    api(`/api/v1/pipelines/${encodeURIComponent(pipelineId)}`),
    api("/api/v1/modules"),
  ]);
  const catalog = new Map(modules.modules.map((m) => [m.name, m]));
  const graph = new Graph(pipeline.document, catalog);
  const ui = buildPage();
  const view = new CanvasView(ui.canvasHost, graph);
  attachZoom(ui, view);
  const renderTitle = editableTitle(ui.title, graph);
  attachMessages(ui.message, view);
  const autosave = attachAutosave(ui, graph, pipeline.revision);
  const edits = new ParameterEdits(pipelineId, graph, autosave);
  const details = attachPanels(ui, { graph, edits, view, catalog,
                                     runTo: (id) => runToHereAction(id) });
  attachToolbar(ui, graph, view, renderTitle);
  const validation = attachValidation(ui, graph, view, details);
  attachSubmit(ui.submitButton, { graph, view, autosave, validation });
  attachInference(ui.submitButton, graph, autosave);
  ui.submitButton.before(compareButton({ pipelineId, autosave, host: ui.canvasHost }));
  const followRun = attachLastRun(ui.saveState, view, graph);
  const runToHereAction = runToHere({ pipelineId, autosave, onRun: (run) => followRun(run.id) });
  // Started: instrumentation (the canvas benchmark) may listen for the parts; no global is set.
  document.dispatchEvent(new CustomEvent("designer-ready", { detail: { graph, view, autosave, validation } }));
}

const button = (label, attrs = {}) => el("button", { type: "button", ...attrs }, label);

/** The page's layout: top bar, conflict banner, then palette | canvas | details. */
function buildPage() {
  const ui = {
    title: el("h1", { class: "designer-title" }),
    gearButton: button("⚙", { class: "gear-button", "aria-label": "Pipeline parameters",
                              title: "Pipeline parameters (Settings)", "aria-expanded": "false" }),
    saveState: el("span", { class: "save-state", role: "status", "aria-live": "polite" }, "Saved"),
    problemsButton: button("", { class: "problems-button", hidden: true }),
    undoButton: button("Undo", { title: "Undo (Ctrl+Z)" }),
    redoButton: button("Redo", { title: "Redo (Ctrl+Shift+Z)" }),
    direction: el("select", { "aria-label": "Layout direction", class: "layout-direction" },
                  el("option", { value: "TB" }, "Layers top to bottom"),
                  el("option", { value: "LR" }, "Layers left to right")),
    layoutButton: button("Auto-layout", { title: "Arrange the modules in layers" }),
    helpButton: button("?", { title: "Keyboard shortcuts (?)", "aria-label": "Keyboard shortcuts" }),
    submitButton: button("Submit", { class: "primary" }),
    banner: el("div", { class: "designer-banner", role: "alert", hidden: true }),
    palette: dockedPanel({ label: "Module palette", name: "modules", className: "palette", side: "left" }),
    canvasHost: el("section", { class: "canvas-wrap", "aria-label": "Canvas" }),
    details: dockedPanel({ label: "Details", name: "details", className: "details", side: "right" }),
    message: el("div", { class: "canvas-message", hidden: true }),
    zoomLabel: el("span", { class: "zoom-label" }, "100%"),
    zoomOut: button("−", { "aria-label": "Zoom out", title: "Zoom out (-)" }),
    zoomIn: button("+", { "aria-label": "Zoom in", title: "Zoom in (+)" }),
    fitButton: button("Fit to screen", { title: "Fit to screen (0)" }),
  };
  ui.body = el("div", { class: "designer-body" }, ui.palette.panel, ui.canvasHost, ui.details.panel);
  clear(app).append(
    el("div", { class: "designer-bar" }, ui.title, ui.gearButton, ui.saveState, ui.problemsButton,
       el("span", { class: "spacer" }),
       el("div", { class: "toolbar", role: "toolbar", "aria-label": "Canvas tools" },
          ui.undoButton, ui.redoButton, ui.direction, ui.layoutButton, ui.helpButton), ui.submitButton),
    ui.banner, ui.message, ui.body);
  ui.paletteBox = ui.palette.content;
  ui.detailsBox = ui.details.content;
  return ui;
}

/** The zoom buttons and level under the canvas; the first paint fits the pipeline. */
function attachZoom(ui, view) {
  ui.canvasHost.append(el("div", { class: "zoom-controls" }, ui.zoomOut, ui.zoomLabel, ui.zoomIn,
                                      ui.fitButton));
  view.addEventListener("viewchange", (e) => { ui.zoomLabel.textContent = `${Math.round(e.detail.k * 100)}%`; });
  ui.zoomIn.addEventListener("click", () => view.zoomBy(1.2));
  ui.zoomOut.addEventListener("click", () => view.zoomBy(1 / 1.2));
  ui.fitButton.addEventListener("click", () => view.fit());
  requestAnimationFrame(() => view.fit());
}

/** The pipeline title, a button that turns into an input; returns the function redrawing it. */
function editableTitle(title, graph) {
  const renderTitle = () => {
    const name = graph.doc.name || "Untitled pipeline";
    document.title = `${name} · Pipeline Designer`;
    if (title.querySelector("input")) return;
    clear(title).append(button(name, { class: "title-button", title: "Rename the pipeline", onclick: editTitle }));
  };
  function editTitle() {
    const input = el("input", { type: "text", "aria-label": "Pipeline name", class: "title-input", maxlength: "200" });
    input.value = graph.doc.name || "";
    let done = false;
    const finish = (keep) => {
      if (done) return;
      done = true;
      const name = input.value.trim();
      input.remove();
      if (keep && name) graph.setName(name);
      renderTitle();
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") finish(true);
      else if (e.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
    clear(title).append(input);
    input.focus();
    input.select();
  }
  renderTitle();
  return renderTitle;
}

/** Canvas messages (refused wires) in a strip above the canvas, which moves down rather than
 *  being covered; Dismiss or a few seconds hide them. */
function attachMessages(message, view) {
  let messageTimer = 0;
  const hide = () => { clearTimeout(messageTimer); message.hidden = true; };
  const text = el("span", { class: "canvas-message-text", role: "alert" });
  message.append(text, button("×", { class: "message-dismiss", "aria-label": "Dismiss message", onclick: hide }));
  view.addEventListener("wirerefused", (e) => {
    text.textContent = e.detail.reason;
    message.hidden = false;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(hide, MESSAGE_MS);
  });
}

/** The palette, the pipeline parameters panel (behind the gear) and the details panel. */
function attachPanels(ui, { graph, edits, view, catalog, runTo }) {
  const addAtCentre = (module) => {
    const c = view.center();
    const id = graph.addNode(module, freeSpot(graph, { x: c.x - NODE_W / 2, y: c.y - NODE_H / 2 }));
    view.select([id]);
  };
  buildPalette(ui.paletteBox, catalog, { onAdd: addAtCentre });
  const parameters = new ParametersPanel(ui.body, graph, edits, { onSelectNode: (id) => view.select([id]) });
  const syncGear = () => ui.gearButton.setAttribute("aria-expanded", String(parameters.isOpen));
  ui.gearButton.addEventListener("click", () => { parameters.toggle(); syncGear(); });
  parameters.element.addEventListener("close", () => { syncGear(); ui.gearButton.focus(); });
  const details = new DetailsPanel(ui.detailsBox, graph, {
    edits,
    columnsFor: makeColumnsProvider(graph),
    onOpenParameters: () => { parameters.open(); syncGear(); },
    onRunToHere: runTo,
  });
  details.show([]);
  view.addEventListener("selectionchange", (e) => details.show(e.detail.ids));
  return details;
}

/** `at`, or the first place below it where no module lies: modules added from the keyboard one
 *  after another stand in a column instead of hiding each other. */
function freeSpot(graph, at) {
  const covered = (y) => graph.doc.nodes.some((n) => Math.abs(n.position.x - at.x) < NODE_W
    && Math.abs(n.position.y - y) < NODE_H + ADD_GAP);
  let y = at.y;
  while (covered(y)) y += NODE_H + ADD_GAP;
  return { x: at.x, y };
}

/** Undo, redo, auto-layout, help and the keyboard shortcuts. */
function attachToolbar(ui, graph, view, renderTitle) {
  const refreshHistory = () => {
    ui.undoButton.disabled = !graph.canUndo;
    ui.redoButton.disabled = !graph.canRedo;
  };
  graph.addEventListener("change", (e) => {
    refreshHistory();
    if (e.detail.kind === "reset" || e.detail.kind === "meta") renderTitle();
  });
  refreshHistory();
  ui.undoButton.addEventListener("click", () => graph.undo());
  ui.redoButton.addEventListener("click", () => graph.redo());
  ui.layoutButton.addEventListener("click", () => {
    graph.applyLayout(layout(graph.doc, { direction: ui.direction.value }));
    view.fit();
  });
  ui.helpButton.addEventListener("click", openHelp);
  attachShortcuts(graph, view, { help: openHelp, fit: () => view.fit(),
                                 connect: (id) => openConnectDialog(graph, id) });
}

/** Autosave with its indicator; a conflict stops saving and offers a reload. */
function attachAutosave(ui, graph, revision) {
  const autosave = new Autosave(pipelineId, graph, revision);
  autosave.addEventListener("state", (e) => {
    const { state, message: why } = e.detail;
    ui.saveState.dataset.state = state;
    ui.saveState.textContent = SAVE_TEXT[state]
      || (state === "conflict" ? "Not saved: changed in another tab" : `Not saved: ${why}`);
  });
  autosave.addEventListener("conflict", () => {
    clear(ui.banner).append(
      el("span", {}, "This pipeline was changed in another tab. Your later edits here are not saved."),
      button("Reload", { class: "primary", onclick: () => window.location.reload() }));
    ui.banner.hidden = false;
  });
  return autosave;
}

/** Every problem of a validation result: [{node (null when not on the canvas), label, message}]. */
function problemsOf(graph, result) {
  return [
    ...Object.entries(result.node_errors || {}).flatMap(([node, messages]) =>
      messages.map((m) => ({ node: graph.node(node) ? node : null, label: graph.label(node), message: m }))),
    ...(result.errors || []).map((m) => ({ node: null, label: "", message: m })),
  ];
}

/** Live validation: red badges on nodes, messages in the details panel, a problem count. */
function attachValidation(ui, graph, view, details) {
  const validation = new LiveValidation(graph);
  const { problemsButton } = ui;
  validation.addEventListener("result", (e) => {
    view.setErrors(e.detail.node_errors || {});
    details.setErrors(e.detail);
    const count = problemsOf(graph, e.detail).length;
    problemsButton.hidden = count === 0;
    problemsButton.textContent = `${count} problem${count === 1 ? "" : "s"}`;
  });
  problemsButton.addEventListener("click", () => {
    if (validation.result) showProblems(problemsOf(graph, validation.result), { onPick: (id) => view.select([id]) });
  });
  // After the first frame: the server's validation of a large pipeline would take CPU from the
  // browser drawing it (1,000 nodes: 0.1 to 0.2 s).
  requestAnimationFrame(() => setTimeout(() => validation.validate().catch((error) => notify(error.message))));
  return validation;
}

/** Submit: save first, refuse with the list of problems, else the Submit dialog; and Publish. */
function attachSubmit(submitButton, { graph, view, autosave, validation }) {
  submitButton.addEventListener("click", async () => {
    submitButton.disabled = true;
    try {
      if (!(await autosave.flush())) {
        if (autosave.state !== "conflict") notify(`The pipeline could not be saved: ${autosave.message}`);
        return;
      }
      const problems = problemsOf(graph, await validation.validate());
      if (problems.length) {
        showProblems(problems, { onPick: (id) => view.select([id]) });
        return;
      }
      const run = await openSubmitDialog({
        parameters: graph.doc.parameters,
        submit: (body) => api(`/api/v1/pipelines/${encodeURIComponent(pipelineId)}/runs`,
                              { method: "POST", body, quiet: true }),
      });
      if (run) window.location.assign(`/runs/${encodeURIComponent(run.id)}`);
    } catch (error) {
      notify(error.message);
    } finally {
      submitButton.disabled = false;
    }
  });
  const saved = async () => (await autosave.flush()) || notify(`The pipeline could not be saved: ${autosave.message}`);
  submitButton.before(exportButton(saved,
                                   `/api/v1/pipelines/${encodeURIComponent(pipelineId)}/export.py`));
  submitButton.before(publishButton({ pipelineId, graph, autosave }));
}

/** "Create inference pipeline" (from the pipeline's latest finished run, when it trains a model)
 *  and Deploy (when the document has a Web Service Output), before the Publish button. */
function attachInference(submitButton, graph, autosave) {
  const publish = submitButton.previousElementSibling;
  publish.before(deployButton({ pipelineId, graph, autosave }));
  api(`/api/v1/runs?pipeline=${encodeURIComponent(pipelineId)}&status=Finished&limit=1`, { quiet: true })
    .then(({ runs }) => {
      const run = runs[0];
      if (!run) return;
      const menu = inferenceMenu(() => run.id);
      const sync = () => { menu.hidden = !trainsModel(graph.doc.nodes); };
      graph.addEventListener("change", sync);
      sync();
      publish.before(menu);
    })
    .catch(fallback("The latest finished run could not be read", null));
}

/** The pipeline's latest run: each step's status on its node (followed until the run ends) and
 *  a link to the run beside the save state. Returns follow(runId), which shows a newer run
 *  (a run to here: nodes it left out show no status). */
function attachLastRun(saveState, view, graph) {
  const link = el("a", { class: "last-run", hidden: true });
  saveState.after(link);
  let shown = null;
  const follow = async (runId) => {
    shown = runId;
    const run = await api(`/api/v1/runs/${encodeURIComponent(runId)}`, { quiet: true });
    if (shown !== runId) return;
    const statuses = Object.fromEntries(graph.doc.nodes.map((n) => [n.id, null]));
    for (const s of run.steps) statuses[s.node_id] = s.status;
    view.setStatuses(statuses);
    link.href = `/runs/${encodeURIComponent(run.id)}`;
    link.textContent = `Last run: ${run.status}`;
    link.title = run.description || "";
    link.dataset.status = run.status;
    link.hidden = false;
    if (!TERMINAL.has(run.status)) setTimeout(() => keep(runId), LAST_RUN_POLL_MS);
  };
  const keep = (runId) => follow(runId).catch(fallback("The last run could not be read", null));
  api(`/api/v1/runs?pipeline=${encodeURIComponent(pipelineId)}&limit=1`, { quiet: true })
    .then(({ runs }) => { if (runs.length && shown === null) keep(runs[0].id); })
    .catch(fallback("The last run could not be read", null));
  return keep;
}

/** Columns of a node's input: design-time inference first, then the last run's outputs. */
function makeColumnsProvider(graph) {
  let inferred = { json: null, promise: null };
  let lastRun = null;
  const previews = new Map();
  return async (nodeId, port) => {
    const json = JSON.stringify(graph.doc);
    if (inferred.json !== json) {
      inferred = { json, promise: api("/api/v1/pipelines/columns", { method: "POST", quiet: true,
                                                                     body: { document: graph.doc } })
        .then((d) => d.columns || {}).catch(fallback("The columns could not be inferred", {})) };
    }
    const known = (await inferred.promise)[nodeId]?.[port];
    if (Array.isArray(known) && known.length) return known;
    const edge = graph.doc.edges.find((e) => e.to.node === nodeId && e.to.port === port);
    if (!edge) return null;
    lastRun ||= api(`/api/v1/runs?pipeline=${encodeURIComponent(pipelineId)}&limit=1`, { quiet: true })
      .then((d) => (d.runs && d.runs[0]) || null).catch(fallback("The last run could not be read", null));
    const run = await lastRun;
    if (!run) return null;
    const key = `${edge.from.node}/${edge.from.port}`;
    if (!previews.has(key)) {
      previews.set(key, api(`/api/v1/runs/${run.id}/steps/${encodeURIComponent(edge.from.node)}/outputs/`
                            + `${encodeURIComponent(edge.from.port)}/preview?rows=0`, { quiet: true })
        .then((d) => d.column_names || null).catch(fallback("The output columns could not be read", null)));
    }
    return previews.get(key);
  };
}

main().catch((error) => {
  clear(app).append(el("div", { class: "page" }, el("h1", {}, "The designer could not start"),
                       el("p", { class: "error-text" }, error.message)));
});
