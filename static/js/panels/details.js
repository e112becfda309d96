// The details panel: a form generated from the selected module's spec, its comment and flags.
import { clear, el } from "../dom.js";

let uid = 0;
const isBound = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && "$param" in v;
const shown = (v) => (v === null || v === undefined ? "" : v);

/** The right-hand panel editing the selected node of `graph`. */
export class DetailsPanel {
  /** columnsFor(nodeId, inputPort) -> Promise<string[] | null>; datastores: Promise<[{name}]>. */
  constructor(container, graph, { columnsFor, datastores }) {
    this.container = container;
    this.graph = graph;
    this.columnsFor = columnsFor;
    this.datastores = datastores;
    this.ids = [];
    this.errors = {};
    this.ownEdit = false;
    graph.addEventListener("change", (e) => {
      if (this.ownEdit) return;
      const { kind, ids } = e.detail;
      if (kind === "reset" || kind === "remove" || (kind === "param" && ids.some((i) => this.ids.includes(i)))) {
        this.show(this.ids.filter((id) => graph.node(id)));
      } else if (kind === "edges" && this.ids.length === 1 && ids.includes(this.ids[0])) {
        this.show(this.ids);
      }
    });
  }

  /** Show the form of one node, a summary of several, or the pipeline when none is selected. */
  show(ids) {
    this.ids = [...ids];
    const body = clear(this.container);
    if (ids.length === 0) return this.showPipeline(body);
    if (ids.length > 1) {
      return body.append(el("h2", { class: "panel-title" }, `${ids.length} modules selected`),
                         el("p", { class: "muted" }, "Press Delete to remove them, Ctrl+C to copy them."));
    }
    const id = ids[0];
    const node = this.graph.node(id);
    const spec = this.graph.spec(id);
    body.append(el("h2", { class: "panel-title" }, spec ? spec.label : node.module));
    if (!spec) return body.append(el("p", { class: "error-text" }, `Unknown module '${node.module}'.`));
    if (spec.description) body.append(el("p", { class: "muted module-description" }, spec.description));
    const messages = this.errors[id] || [];
    const general = messages.filter((m) => !spec.params.some((p) => m.includes(`'${p.name}'`)));
    if (general.length) {
      body.append(el("ul", { class: "node-problems error-text", "aria-label": "Problems" },
                     general.map((m) => el("li", {}, m))));
    }
    const form = el("form", { class: "params-form", onsubmit: (e) => e.preventDefault() });
    for (const param of spec.params) form.append(this.field(id, node, spec, param, messages));
    if (!spec.params.length) form.append(el("p", { class: "muted" }, "This module has no settings."));
    body.append(form);
    const commentId = `f${++uid}`;
    const regenId = `f${++uid}`;
    body.append(el("div", { class: "field" },
                   el("label", { for: commentId }, "Comment"),
                   withValue(el("textarea", { id: commentId, rows: 2,
                                    oninput: (e) => this.edit(() => this.graph.setComment(id, e.target.value)) }),
                             node.comment || "")),
                el("div", { class: "field field-check" },
                   el("input", { type: "checkbox", id: regenId, checked: Boolean(node.regenerate_output),
                                 onchange: (e) => this.edit(() => this.graph.setRegenerate(id, e.target.checked)) }),
                   el("label", { for: regenId }, "Regenerate output"),
                   el("span", { class: "muted hint" }, "Always recompute instead of reusing a cached result.")));
    return body;
  }

  /** Server validation messages by node ({nodeId: [messages]}). */
  setErrors(nodeErrors) {
    const before = JSON.stringify(this.ids.map((id) => this.errors[id] || []));
    this.errors = nodeErrors || {};
    const after = JSON.stringify(this.ids.map((id) => this.errors[id] || []));
    if (before !== after && !this.container.contains(document.activeElement)) this.show(this.ids);
    else if (before !== after) this.updateServerMessages();
  }

  edit(fn) {
    this.ownEdit = true;
    try { fn(); } finally { this.ownEdit = false; }
  }

  updateServerMessages() {
    const messages = this.errors[this.ids[0]] || [];
    for (const slot of this.container.querySelectorAll("[data-server-for]")) {
      const name = slot.dataset.serverFor;
      slot.textContent = messages.filter((m) => m.includes(`'${name}'`)).join(" ");
    }
  }

  showPipeline(body) {
    const doc = this.graph.doc;
    body.append(el("h2", { class: "panel-title" }, "Pipeline"),
                el("p", { class: "muted" }, `${doc.nodes.length} modules, ${doc.edges.length} wires.`),
                el("p", { class: "muted" }, "Select a module to edit its settings."));
    if (doc.parameters.length) {
      body.append(el("h3", {}, "Pipeline parameters"),
                  el("ul", { class: "param-list" }, doc.parameters.map((p) => el("li", {},
                    el("span", { class: "param-chip" }, p.name), " ", el("span", { class: "muted" }, p.type)))));
    }
  }

  field(id, node, spec, param, messages) {
    const value = node.params[param.name];
    const fid = `f${++uid}`;
    const wrap = el("div", { class: "field", dataset: { param: param.name } });
    const label = el("label", { for: fid }, param.label || param.name);
    const local = el("div", { class: "error-text field-message", "aria-live": "polite" });
    const server = el("div", { class: "error-text field-message", dataset: { serverFor: param.name } },
                      messages.filter((m) => m.includes(`'${param.name}'`)).join(" "));
    const set = (v) => this.edit(() => this.graph.setParam(id, param.name, v));
    const help = param.description ? el("div", { class: "muted hint" }, param.description) : null;
    if (isBound(value)) {
      put(wrap, el("span", { class: "field-label" }, param.label || param.name),
                  el("span", { class: "param-chip", title: "Bound to a pipeline parameter", id: fid },
                     "⚙ ", value.$param),
                  help, server);
      return wrap;
    }
    const current = value === undefined ? param.default : value;
    let control;
    switch (param.kind) {
      case "int":
      case "float":
        control = el("input", { id: fid, type: "number", value: shown(current), min: param.min ?? null,
                                max: param.max ?? null, step: param.kind === "int" ? "1" : "any" });
        control.addEventListener("input", () => {
          const problem = numberProblem(param, control.value);
          local.textContent = problem || "";
          control.setAttribute("aria-invalid", problem ? "true" : "false");
          if (control.value === "") set(undefined);
          else if (!Number.isNaN(Number(control.value))) set(Number(control.value));
        });
        break;
      case "bool":
        control = el("input", { id: fid, type: "checkbox", checked: Boolean(current),
                                onchange: () => set(control.checked) });
        wrap.classList.add("field-check");
        put(wrap, control, label, help, server);
        return wrap;
      case "choice":
        control = el("select", { id: fid, onchange: () => set(control.value) },
                     (param.options || []).map((o) => el("option", { value: o, selected: o === current }, o)));
        if (!(param.options || []).includes(current)) {
          control.prepend(el("option", { value: shown(current), selected: true }, String(shown(current))));
        }
        break;
      case "columns":
        control = this.columnsField(id, param, current, fid, set, local);
        break;
      case "data_path":
        control = this.dataPathField(param, current, fid, set);
        break;
      default:
        control = withValue(el(param.multiline ? "textarea" : "input", {
          id: fid, rows: param.multiline ? 5 : null, type: param.multiline ? null : "text",
          oninput: (e) => set(e.target.value),
        }), String(shown(current)));
    }
    put(wrap, label, control, help, local, server);
    return wrap;
  }

  columnsField(id, param, current, fid, set, local) {
    const listId = `${fid}-list`;
    const text = Array.isArray(current) ? current.join(", ") : shown(current);
    const input = el("input", { id: fid, type: "text", value: text, list: listId, autocomplete: "off",
                                placeholder: param.single ? "column name" : "column names, comma-separated" });
    const datalist = el("datalist", { id: listId });
    const known = el("div", { class: "muted hint columns-known" });
    input.addEventListener("input", () => {
      const names = input.value.split(",").map((s) => s.trim()).filter(Boolean);
      const unknown = input.dataset.known ? names.filter((n) => !JSON.parse(input.dataset.known).includes(n)) : [];
      local.textContent = unknown.length ? `Not among the known columns: ${unknown.join(", ")}` : "";
      if (!names.length) set(undefined);
      else set(param.single ? names[0] : names);
    });
    if (param.input && this.columnsFor) {
      this.columnsFor(id, param.input).then((columns) => {
        if (!columns || !input.isConnected) return;
        input.dataset.known = JSON.stringify(columns);
        datalist.replaceChildren(...columns.map((c) => el("option", { value: c })));
        known.textContent = `Columns: ${columns.join(", ")}`;
      }).catch(() => {});
    }
    return el("div", { class: "columns-picker" }, input, datalist, known);
  }

  dataPathField(param, current, fid, set) {
    const value = current && typeof current === "object" ? current : {};
    const store = el("select", { id: fid, "aria-label": `${param.label || param.name} datastore` },
                     el("option", { value: "" }, "(datastore)"));
    const path = el("input", { type: "text", value: value.path || "", placeholder: "relative/path.csv",
                               "aria-label": `${param.label || param.name} path` });
    const names = new Set();
    const addOption = (name) => {
      if (!name || names.has(name)) return;
      names.add(name);
      store.append(el("option", { value: name, selected: name === value.datastore }, name));
    };
    addOption(value.datastore);
    Promise.resolve(this.datastores).then((list) => (list || []).forEach((d) => addOption(d.name))).catch(() => {});
    const commit = () => {
      if (!store.value && !path.value.trim()) set(undefined);
      else set({ datastore: store.value, path: path.value.trim() });
    };
    store.addEventListener("change", commit);
    path.addEventListener("input", commit);
    return el("div", { class: "data-path" }, store, path);
  }
}

function put(parent, ...children) {
  parent.append(...children.filter(Boolean));
  return parent;
}

function withValue(control, value) {
  control.value = value;
  return control;
}

function numberProblem(param, raw) {
  if (raw === "") return param.optional ? "" : "Empty: the default applies.";
  const n = Number(raw);
  if (Number.isNaN(n)) return "Not a number.";
  if (param.kind === "int" && !Number.isInteger(n)) return "Must be a whole number.";
  const { min, max } = param;
  if (min !== null && min !== undefined && n < min) {
    return max !== null && max !== undefined ? `Must be between ${min} and ${max}.` : `Must be at least ${min}.`;
  }
  if (max !== null && max !== undefined && n > max) {
    return min !== null && min !== undefined ? `Must be between ${min} and ${max}.` : `Must be at most ${max}.`;
  }
  return "";
}
