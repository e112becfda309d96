// Run view side panel of one step: tab "Parameters" and tab "Outputs + logs" (live log, error).
import { api } from "../api.js";
import { clear, duration, el } from "../dom.js";
import { openVisualize } from "./visualize.js";

const ACTIVE_STEP = new Set(["NotStarted", "Queued", "Running"]);
// Stored file kind: the port type it holds (data sets were Parquet before they were Arrow).
const PORT_TYPES = { arrow: "dataframe", parquet: "dataframe", json: "metrics", joblib: "model" };

/** A parameter value as a person reads it: data paths as datastore:path, lists joined. */
export function formatValue(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.map(formatValue).join(", ");
  if (typeof value === "object") {
    if ("datastore" in value && "path" in value) return `${value.datastore}:${value.path}`;
    return JSON.stringify(value);
  }
  return String(value);
}

/** A model name suggested for a run: its pipeline's name in the registry's alphabet. */
function modelNameFor(run) {
  const slug = String(run.name || "model").toLowerCase().replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z]+|-+$/g, "");
  return (slug || "model").slice(0, 64);
}

function outputUrl(runId, nodeId, port) {
  const enc = encodeURIComponent;
  return `/api/v1/runs/${enc(runId)}/steps/${enc(nodeId)}/outputs/${enc(port)}`;
}

/** The side panel: create once, then show(run, nodeId) for the step to display. */
export class StepPanel {
  constructor({ onClose, catalog }) {
    this.onClose = onClose;
    this.catalog = catalog || {};
    this.tab = "params";
    this.nodeId = null;
    this.run = null;
    this.logStatus = null;
    this.title = el("h2", { id: "step-panel-title" });
    this.statusText = el("span", { class: "status" });
    this.tabButtons = {
      params: this.tabButton("params", "Parameters"),
      outputs: this.tabButton("outputs", "Outputs + logs"),
    };
    this.body = el("div", { class: "side-body", role: "tabpanel" });
    this.log = el("pre", { class: "log", "aria-label": "Step log" });
    this.closeButton = el("button", { type: "button", "aria-label": "Close panel", onclick: () => this.close() }, "×");
    this.tabList = el("div", { class: "tabs", role: "tablist" }, Object.values(this.tabButtons));
    this.element = el("aside", { class: "side-panel", "aria-labelledby": "step-panel-title" },
      el("div", { class: "side-head" }, this.title, this.statusText, this.closeButton),
      this.tabList, this.body);
    this.renderEmpty();
  }

  /** Nothing selected: say how to pick a step. */
  renderEmpty() {
    this.title.textContent = "Step details";
    this.statusText.textContent = "";
    this.closeButton.hidden = true;
    this.tabList.hidden = true;
    clear(this.body).append(el("p", { class: "muted" },
      "Select a step in the list or on the graph to see its parameters, outputs and log."));
  }

  tabButton(key, label) {
    return el("button", { type: "button", role: "tab", onclick: () => this.selectTab(key) }, label);
  }

  /** Open (or refresh) the panel for one step of the run. */
  show(run, nodeId) {
    const changed = nodeId !== this.nodeId;
    this.run = run;
    this.nodeId = nodeId;
    this.closeButton.hidden = false;
    this.tabList.hidden = false;
    if (changed) {
      this.log.textContent = "";
      this.logStatus = null;
    }
    this.render();
  }

  /** New run detail arrived: redraw if a step is shown. */
  update(run) {
    this.run = run;
    if (this.nodeId) this.render();
  }

  close() {
    this.nodeId = null;
    this.renderEmpty();
    if (this.onClose) this.onClose();
  }

  selectTab(key) {
    this.tab = key;
    this.render();
  }

  /** A "log" event from the live stream: append it when it is this step's. */
  appendLog(nodeId, line) {
    if (nodeId !== this.nodeId || this.logStatus === null || typeof line !== "string") return;
    const text = this.log.textContent;
    if (text.endsWith(`${line}\n`)) return;  // already in the fetched log
    this.log.append(`${line}\n`);
    this.log.scrollTop = this.log.scrollHeight;
  }

  step() {
    return (this.run.steps || []).find((s) => s.node_id === this.nodeId) || null;
  }

  node() {
    return ((this.run.document || {}).nodes || []).find((n) => n.id === this.nodeId) || null;
  }

  render() {
    const step = this.step();
    const node = this.node();
    const spec = this.catalog[(node || step || {}).module] || null;
    this.title.textContent = (step && step.label) || (spec && spec.label) || this.nodeId;
    const status = step ? step.status : "NotStarted";
    this.statusText.className = `status status-${status}`;
    this.statusText.textContent = status;
    for (const [key, button] of Object.entries(this.tabButtons)) {
      button.setAttribute("aria-selected", String(key === this.tab));
    }
    clear(this.body);
    if (this.tab === "params") this.renderParams(node, spec);
    else this.renderOutputs(step, spec);
  }

  renderParams(node, spec) {
    if (!node) {
      this.body.append(el("p", { class: "muted" }, "This step is not in the run's document."));
      return;
    }
    const params = node.params || {};
    const declared = spec ? spec.params.map((p) => [p.name, p.label || p.name, p.default]) : [];
    const names = new Set(declared.map(([name]) => name));
    for (const name of Object.keys(params)) if (!names.has(name)) declared.push([name, name, undefined]);
    const runParams = this.run.parameters || {};
    const multiline = new Set(spec ? spec.params.filter((p) => p.multiline).map((p) => p.name) : []);
    const items = [];
    for (const [name, label, fallback] of declared) {
      const raw = name in params ? params[name] : fallback;
      const bound = raw && typeof raw === "object" && !Array.isArray(raw) && "$param" in raw;
      const value = bound ? runParams[raw.$param] : raw;
      const shown = multiline.has(name) && typeof value === "string" && value.includes("\n")
        ? el("pre", { class: "log", tabindex: 0 }, value) : formatValue(value);  // a script, CSV text
      items.push(el("dt", {}, label), el("dd", { dataset: { param: name } }, shown,
        bound ? el("span", { class: "bound", title: "Bound to a pipeline parameter" },
          `(parameter ${raw.$param})`) : null));
    }
    if (!items.length) this.body.append(el("p", { class: "muted" }, "This module has no parameters."));
    else this.body.append(el("dl", { class: "kv", "aria-label": "Step parameters" }, items));
    if (node.comment) this.body.append(el("h3", {}, "Comment"), el("p", {}, node.comment));
  }

  renderOutputs(step, spec) {
    if (!step) return;
    if (step.error) this.body.append(renderError(step.error));
    const facts = [];
    if (step.duration !== null && step.duration !== undefined) facts.push(`Duration ${duration(step.duration)}`);
    if (step.reused_from) facts.push(`Reused output of run ${step.reused_from.slice(0, 8)}`);
    if (facts.length) this.body.append(el("p", { class: "muted" }, facts.join(" · ")));
    this.body.append(el("h3", {}, "Outputs"));
    const ports = Object.entries(step.outputs || {});
    if (!ports.length) {
      const why = ACTIVE_STEP.has(step.status) ? "No outputs yet." : "This step has no outputs.";
      this.body.append(el("p", { class: "muted" }, why));
    } else {
      const labels = Object.fromEntries(((spec && spec.outputs) || []).map((p) => [p.name, p]));
      this.body.append(el("ul", { class: "outputs", "aria-label": "Outputs" }, ports.map(([port, info]) => {
        const meta = labels[port] || {};
        const type = meta.type || PORT_TYPES[info.kind] || info.kind;
        const label = meta.label || port;
        const url = outputUrl(this.run.id, step.node_id, port);
        return el("li", { dataset: { port } },
          el("span", { class: "port-name" },
            el("span", { class: "port-swatch", style: { background: `var(--port-${type}, #888)` } }),
            label, el("span", { class: "muted" }, ` (${info.kind})`)),
          el("button", { type: "button", "aria-label": `Visualize ${label}`,
            onclick: () => openVisualize({ runId: this.run.id, nodeId: step.node_id, port,
                                           title: `${step.label} · ${label}` }) }, "Visualize"),
          el("a", { class: "button", href: PORT_TYPES[info.kind] === "dataframe" ? `${url}?format=csv` : url,
                    download: "", "aria-label": `Download ${label}` }, "Download"),
          type === "trained_model" && this.run.status === "Finished" ? this.registerForm(step) : null);
      })));
    }
    this.body.append(el("h3", {}, "Log"), this.log);
    this.refreshLog(step);
  }

  /** "Register model": a finished run's trained model becomes the next version of a model. */
  registerForm(step) {
    const name = el("input", { name: "model", required: true, maxlength: "64", value: modelNameFor(this.run),
                               "aria-label": "Model name" });
    const result = el("p", { class: "muted", role: "status" });
    const submit = async (event) => {
      event.preventDefault();
      const enc = encodeURIComponent;
      try {
        const version = await api(`/api/v1/runs/${enc(this.run.id)}/steps/${enc(step.node_id)}/register`, {
          method: "POST", body: { name: name.value.trim() }, quiet: true });
        clear(result).append("Registered as ",
          el("a", { href: `/models/${enc(version.model)}` }, `${version.model} version ${version.version}`), ".");
        result.className = "muted";
      } catch (error) {
        clear(result).append(error.message);
        result.className = "alert";
      }
    };
    return el("form", { class: "register-model", onsubmit: submit },
      el("label", {}, "Model name ", name), el("button", { type: "submit" }, "Register model"), result);
  }

  /** Fetch the step log when first shown and again when the step's status changes. */
  async refreshLog(step) {
    if (this.logStatus === step.status) return;
    this.logStatus = step.status;
    const nodeId = step.node_id;
    const enc = encodeURIComponent;
    try {
      const data = await api(`/api/v1/runs/${enc(this.run.id)}/steps/${enc(nodeId)}/logs`, { quiet: true });
      if (nodeId !== this.nodeId) return;
      this.log.textContent = data.log || "";
      if (!data.log) this.log.textContent = ACTIVE_STEP.has(step.status) ? "" : "(empty log)\n";
      this.log.scrollTop = this.log.scrollHeight;
    } catch (error) {
      this.log.textContent = `The log cannot be read: ${error.message}\n`;
    }
  }
}

function renderError(error) {
  return el("div", { class: "step-error", role: "alert" },
    el("div", { class: "error-type" }, error.type || "Error"),
    el("p", { class: "error-message" }, error.message || ""),
    error.traceback ? el("details", {}, el("summary", {}, "Traceback"), el("pre", {}, error.traceback)) : null);
}
