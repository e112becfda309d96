// The Designer page: palette, canvas, details panel, autosave, live validation and Submit.
import { api, notify } from "../api.js";
import { clear, el } from "../dom.js";
import { Autosave } from "../canvas/autosave.js";
import { Graph } from "../canvas/graph.js";
import { attachShortcuts } from "../canvas/keyboard.js";
import { layout } from "../canvas/layout.js";
import { LiveValidation } from "../canvas/validation.js";
import { CanvasView } from "../canvas/view.js";
import { NODE_H, NODE_W } from "../canvas/geometry.js";
import { DetailsPanel } from "../panels/details.js";
import { openHelp } from "../panels/help.js";
import { ParametersPanel } from "../panels/parameters.js";
import { buildPalette } from "../panels/palette.js";
import { publishButton } from "../panels/publish.js";
import { openSubmitDialog, showProblems } from "../panels/submit.js";

const app = document.getElementById("app");
const pipelineId = app.dataset.pipelineId;
const SAVE_TEXT = { saved: "Saved", saving: "Saving..." };

async function main() {
  app.append(el("p", { class: "muted loading" }, "Loading the pipeline..."));
  const [pipeline, modules] = await Promise.all([
    api(`/api/v1/pipelines/${encodeURIComponent(pipelineId)}`),
    api("/api/v1/modules"),
  ]);
  const catalog = new Map(modules.modules.map((m) => [m.name, m]));
  const graph = new Graph(pipeline.document, catalog);
  clear(app);

  // Layout: top bar, conflict banner, then palette | canvas | details.
  const title = el("h1", { class: "designer-title" });
  const gearButton = el("button", { type: "button", class: "gear-button", "aria-label": "Pipeline parameters",
                                    title: "Pipeline parameters (Settings)", "aria-expanded": "false" }, "⚙");
  const saveState = el("span", { class: "save-state", role: "status", "aria-live": "polite" }, "Saved");
  const problemsButton = el("button", { type: "button", class: "problems-button", hidden: true });
  const undoButton = el("button", { type: "button", title: "Undo (Ctrl+Z)" }, "Undo");
  const redoButton = el("button", { type: "button", title: "Redo (Ctrl+Shift+Z)" }, "Redo");
  const direction = el("select", { "aria-label": "Layout direction", class: "layout-direction" },
                       el("option", { value: "TB" }, "Layers top to bottom"),
                       el("option", { value: "LR" }, "Layers left to right"));
  const layoutButton = el("button", { type: "button", title: "Arrange the modules in layers" }, "Auto-layout");
  const helpButton = el("button", { type: "button", title: "Keyboard shortcuts (?)", "aria-label": "Keyboard shortcuts" }, "?");
  const submitButton = el("button", { type: "button", class: "primary" }, "Submit");
  const banner = el("div", { class: "designer-banner", role: "alert", hidden: true });
  const paletteBox = el("aside", { class: "palette", "aria-label": "Module palette" });
  const canvasHost = el("section", { class: "canvas-wrap", "aria-label": "Canvas" });
  const detailsBox = el("aside", { class: "details", "aria-label": "Details" });
  const message = el("div", { class: "canvas-message", role: "alert", hidden: true });
  const zoomLabel = el("span", { class: "zoom-label" }, "100%");
  const zoomOut = el("button", { type: "button", "aria-label": "Zoom out", title: "Zoom out (-)" }, "−");
  const zoomIn = el("button", { type: "button", "aria-label": "Zoom in", title: "Zoom in (+)" }, "+");
  const fitButton = el("button", { type: "button", title: "Fit to screen (0)" }, "Fit to screen");
  app.append(
    el("div", { class: "designer-bar" }, title, gearButton, saveState, problemsButton, el("span", { class: "spacer" }),
       el("div", { class: "toolbar", role: "toolbar", "aria-label": "Canvas tools" },
          undoButton, redoButton, direction, layoutButton, helpButton), submitButton),
    banner,
    el("div", { class: "designer-body" }, paletteBox, canvasHost, detailsBox));

  const view = new CanvasView(canvasHost, graph);
  canvasHost.append(message, el("div", { class: "zoom-controls" }, zoomOut, zoomLabel, zoomIn, fitButton));
  view.addEventListener("viewchange", (e) => { zoomLabel.textContent = `${Math.round(e.detail.k * 100)}%`; });
  requestAnimationFrame(() => view.fit());

  // Title, editable in place.
  const renderTitle = () => {
    const name = graph.doc.name || "Untitled pipeline";
    document.title = `${name} · Pipeline Designer`;
    if (title.querySelector("input")) return;
    clear(title).append(el("button", { type: "button", class: "title-button", title: "Rename the pipeline",
                                       onclick: editTitle }, name));
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

  // Canvas messages (refused wires).
  let messageTimer = 0;
  const say = (text) => {
    message.textContent = text;
    message.hidden = false;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => { message.hidden = true; }, 6000);
  };
  view.addEventListener("wirerefused", (e) => say(e.detail.reason));

  // Palette and details.
  const addAtCentre = (module) => {
    const c = view.center();
    const id = graph.addNode(module, { x: c.x - NODE_W / 2, y: c.y - NODE_H / 2 });
    view.select([id]);
  };
  buildPalette(paletteBox, catalog, { onAdd: addAtCentre });
  const parameters = new ParametersPanel(canvasHost, graph, { onSelectNode: (id) => view.select([id]) });
  gearButton.addEventListener("click", () => parameters.toggle());
  const syncGear = () => gearButton.setAttribute("aria-expanded", String(parameters.isOpen));
  gearButton.addEventListener("click", syncGear);
  parameters.element.addEventListener("close", () => { syncGear(); gearButton.focus(); });
  const details = new DetailsPanel(detailsBox, graph, {
    columnsFor: makeColumnsProvider(graph),
    onOpenParameters: () => { parameters.open(); syncGear(); },
  });
  details.show([]);
  view.addEventListener("selectionchange", (e) => details.show(e.detail.ids));

  // History buttons and the rest of the toolbar.
  const refreshHistory = () => {
    undoButton.disabled = !graph.canUndo;
    redoButton.disabled = !graph.canRedo;
  };
  graph.addEventListener("change", (e) => {
    refreshHistory();
    if (e.detail.kind === "reset" || e.detail.kind === "meta") renderTitle();
  });
  refreshHistory();
  undoButton.addEventListener("click", () => graph.undo());
  redoButton.addEventListener("click", () => graph.redo());
  layoutButton.addEventListener("click", () => {
    graph.applyLayout(layout(graph.doc, { direction: direction.value }));
    view.fit();
  });
  zoomIn.addEventListener("click", () => view.zoomBy(1.2));
  zoomOut.addEventListener("click", () => view.zoomBy(1 / 1.2));
  fitButton.addEventListener("click", () => view.fit());
  helpButton.addEventListener("click", openHelp);
  attachShortcuts(graph, view, { help: openHelp, fit: () => view.fit() });

  // Autosave with its indicator; a conflict stops saving and offers a reload.
  const autosave = new Autosave(pipelineId, graph, pipeline.revision);
  autosave.addEventListener("state", (e) => {
    const { state, message: why } = e.detail;
    saveState.dataset.state = state;
    saveState.textContent = SAVE_TEXT[state]
      || (state === "conflict" ? "Not saved: changed in another tab" : `Not saved: ${why}`);
  });
  autosave.addEventListener("conflict", () => {
    clear(banner).append(
      el("span", {}, "This pipeline was changed in another tab. Your later edits here are not saved."),
      el("button", { type: "button", class: "primary", onclick: () => window.location.reload() }, "Reload"));
    banner.hidden = false;
  });

  // Live validation: red badges on nodes, messages in the details panel, a problem count.
  const validation = new LiveValidation(graph);
  const problemsOf = (result) => [
    ...Object.entries(result.node_errors || {}).flatMap(([node, messages]) =>
      messages.map((m) => ({ node: graph.node(node) ? node : null, label: graph.label(node), message: m }))),
    ...(result.errors || []).map((m) => ({ node: null, label: "", message: m })),
  ];
  validation.addEventListener("result", (e) => {
    view.setErrors(e.detail.node_errors || {});
    details.setErrors(e.detail);
    const count = problemsOf(e.detail).length;
    problemsButton.hidden = count === 0;
    problemsButton.textContent = `${count} problem${count === 1 ? "" : "s"}`;
  });
  problemsButton.addEventListener("click", () => {
    if (validation.result) showProblems(problemsOf(validation.result), { onPick: (id) => view.select([id]) });
  });
  validation.validate().catch(() => {});

  // Submit: save first, refuse with the list of problems, else the Submit dialog.
  submitButton.addEventListener("click", async () => {
    submitButton.disabled = true;
    try {
      if (!(await autosave.flush())) {
        if (autosave.state !== "conflict") notify(`The pipeline could not be saved: ${autosave.message}`);
        return;
      }
      const result = await validation.validate();
      const problems = problemsOf(result);
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
  submitButton.before(publishButton({ pipelineId, graph, autosave }));
  window.designer = { graph, view, autosave, validation };
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
        .then((d) => d.columns || {}).catch(() => ({})) };
    }
    const known = (await inferred.promise)[nodeId]?.[port];
    if (Array.isArray(known) && known.length) return known;
    const edge = graph.doc.edges.find((e) => e.to.node === nodeId && e.to.port === port);
    if (!edge) return null;
    lastRun ||= api(`/api/v1/runs?pipeline=${encodeURIComponent(pipelineId)}&limit=1`, { quiet: true })
      .then((d) => (d.runs && d.runs[0]) || null).catch(() => null);
    const run = await lastRun;
    if (!run) return null;
    const key = `${edge.from.node}/${edge.from.port}`;
    if (!previews.has(key)) {
      previews.set(key, api(`/api/v1/runs/${run.id}/steps/${encodeURIComponent(edge.from.node)}/outputs/`
                            + `${encodeURIComponent(edge.from.port)}/preview?rows=0`, { quiet: true })
        .then((d) => d.column_names || null).catch(() => null));
    }
    return previews.get(key);
  };
}

main().catch((error) => {
  clear(app).append(el("div", { class: "page" }, el("h1", {}, "The designer could not start"),
                       el("p", { class: "error-text" }, error.message)));
});
