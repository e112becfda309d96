// The details panel: a form generated from the selected module's spec, its comment and flags;
// each field's "..." menu promotes it to, attaches it to or detaches it from a pipeline parameter.
import { clear, el } from "../dom.js";
import { bindingName } from "../canvas/graph.js";
import { dataPathInput } from "./browse.js";
import { describeValue, fitsField, inferParameter, openParameterDialog, suggestName } from "./parameters.js";

let uid = 0;
const isBound = (v) => bindingName(v) !== null;
const shown = (v) => (v === null || v === undefined ? "" : v);

/** The right-hand panel editing the selected node of `graph`. */
export class DetailsPanel {
  /** columnsFor(nodeId, inputPort) -> Promise<string[] | null>; datastores: Promise<[{name}]>. */
  constructor(container, graph, { columnsFor, onOpenParameters }) {
    this.container = container;
    this.graph = graph;
    this.columnsFor = columnsFor;
    this.onOpenParameters = onOpenParameters;
    this.menu = null;
    this.ids = [];
    this.errors = {};
    this.ownEdit = false;
    graph.addEventListener("change", (e) => {
      if (this.ownEdit) return;
      const { kind, ids } = e.detail;
      if (kind === "reset" || kind === "remove" || e.detail.parameters
          || (kind === "param" && ids.some((i) => this.ids.includes(i)))) {
        this.show(this.ids.filter((id) => graph.node(id)));
      } else if (kind === "edges" && this.ids.length === 1 && ids.includes(this.ids[0])) {
        this.show(this.ids);
      }
    });
  }

  /** Show the form of one node, a summary of several, or the pipeline when none is selected. */
  show(ids) {
    this.closeMenu();
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
      markInvalid(slot.closest(".field"), slot.textContent);
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
    const helpText = [param.description, rangeText(param)].filter(Boolean).join(" ");
    const help = helpText ? el("div", { class: "muted hint" }, helpText) : null;
    const more = this.menuButton(id, param);
    if (isBound(value)) {
      const def = this.graph.parameter(value.$param);
      put(wrap, el("span", { class: "field-label" }, param.label || param.name),
          el("div", { class: "bound-value" },
             el("span", { class: "param-chip", title: "Bound to a pipeline parameter (read-only here)", id: fid },
                "⚙ ", value.$param),
             el("span", { class: "muted bound-default" }, def ? `= ${describeValue(def.default)}` : "(unknown parameter)")),
          help, server, more);
      markInvalid(wrap, server.textContent);
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
        put(wrap, control, label, help, server, more);
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
        control = dataPathInput({ value: current, label: param.label || param.name, id: fid, onChange: set }).element;
        break;
      default:
        control = withValue(el(param.multiline ? "textarea" : "input", {
          id: fid, rows: param.multiline ? 5 : null, type: param.multiline ? null : "text",
          oninput: (e) => set(e.target.value),
        }), String(shown(current)));
    }
    put(wrap, label, control, help, local, server, more);
    markInvalid(wrap, server.textContent);
    return wrap;
  }

  /** The "..." button of a field, opening its pipeline-parameter menu. */
  menuButton(id, param) {
    const label = param.label || param.name;
    // The name is hidden text, not aria-label: get_by_label(field label) must find only the field.
    const button = el("button", { type: "button", class: "field-more", "aria-haspopup": "menu",
                                  "aria-expanded": "false", title: "More options" },
                      el("span", { "aria-hidden": "true" }, "…"), el("span", { class: "visually-hidden" }, `More options for ${label}`));
    button.addEventListener("click", (event) => {
      event.preventDefault();
      if (this.menu && this.menu.button === button) { this.closeMenu(); return; }
      // The value now, not when the field was drawn: typing does not redraw the panel.
      this.openMenu(button, this.menuItems(id, param, this.graph.node(id).params[param.name]));
    });
    return button;
  }

  menuItems(id, param, value) {
    const graph = this.graph;
    const label = param.label || param.name;
    if (isBound(value)) {
      return [
        { label: "Detach from pipeline parameter", run: () => graph.detachField(id, param.name) },
        this.onOpenParameters ? { label: "Show pipeline parameters", run: () => this.onOpenParameters() } : null,
      ].filter(Boolean);
    }
    const fitting = graph.doc.parameters.filter((p) => fitsField(p, param));
    return [
      { label: "Add to pipeline parameter", run: () => {
        const inferred = inferParameter(param, value);
        openParameterDialog(graph, { ...inferred, value: inferred.default, name: suggestName(graph, param.name),
                                     field: { node: id, field: param.name, label: `${graph.label(id)} · ${label}` } });
      } },
      { label: "Attach to pipeline parameter", empty: "No parameter of a fitting type",
        items: fitting.map((p) => ({ label: p.name, hint: p.type, run: () => graph.attachField(id, param.name, p.name) })) },
    ];
  }

  openMenu(button, items) {
    this.closeMenu();
    const menu = el("ul", { class: "field-menu", role: "menu", "aria-label": "Field options" });
    const close = (focus) => { this.closeMenu(); if (focus) button.focus(); };
    const entry = (item) => {
      if (!item.items) {
        return el("li", { role: "none" }, el("button", { type: "button", role: "menuitem",
          onclick: () => { close(false); item.run(); } }, item.label, item.hint ? el("span", { class: "muted" }, ` (${item.hint})`) : null));
      }
      const sub = el("ul", { class: "field-submenu", role: "menu", "aria-label": item.label, hidden: true },
                     item.items.length ? item.items.map(entry)
                       : el("li", { role: "none" }, el("button", { type: "button", role: "menuitem", disabled: true }, item.empty)));
      const opener = el("button", { type: "button", role: "menuitem", "aria-haspopup": "menu", "aria-expanded": "false",
        onclick: () => {
          sub.hidden = !sub.hidden;
          opener.setAttribute("aria-expanded", String(!sub.hidden));
          if (!sub.hidden) sub.querySelector("button")?.focus();
        } }, item.label, " ▸");
      return el("li", { role: "none" }, opener, sub);
    };
    menu.append(...items.map(entry));
    menu.addEventListener("keydown", (event) => {
      const buttons = [...menu.querySelectorAll("button[role=menuitem]")].filter((b) => b.offsetParent && !b.disabled);
      const at = buttons.indexOf(document.activeElement);
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); close(true); }
      else if (event.key === "ArrowDown") { event.preventDefault(); buttons[(at + 1) % buttons.length]?.focus(); }
      else if (event.key === "ArrowUp") { event.preventDefault(); buttons[(at - 1 + buttons.length) % buttons.length]?.focus(); }
    });
    const outside = (event) => { if (!menu.contains(event.target) && event.target !== button) close(false); };
    document.addEventListener("pointerdown", outside, true);
    button.after(menu);
    button.setAttribute("aria-expanded", "true");
    this.menu = { button, menu, outside };
    menu.querySelector("button")?.focus();
  }

  closeMenu() {
    if (!this.menu) return;
    const { button, menu, outside } = this.menu;
    document.removeEventListener("pointerdown", outside, true);
    menu.remove();
    button.setAttribute("aria-expanded", "false");
    this.menu = null;
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
}

function put(parent, ...children) {
  parent.append(...children.filter(Boolean));
  return parent;
}

function markInvalid(wrap, message) {
  if (!wrap) return;
  wrap.classList.toggle("field-invalid", Boolean(message));
  const control = wrap.querySelector("input, select, textarea");
  if (control && message) control.setAttribute("aria-invalid", "true");
  else if (control && control.getAttribute("aria-invalid") === "true" && !wrap.querySelector(".field-message:not([data-server-for])")?.textContent) {
    control.setAttribute("aria-invalid", "false");
  }
}

function withValue(control, value) {
  control.value = value;
  return control;
}

const given = (v) => v !== null && v !== undefined;

// Large whole numbers get thousands separators; small floats keep their exponent (1e-12).
function shownNumber(n) {
  return Number.isInteger(n) && Math.abs(n) >= 10000 ? n.toLocaleString("en-US") : String(n);
}

// The declared range of a number field, as its help line states it.
function rangeText(param) {
  if (param.kind !== "int" && param.kind !== "float") return "";
  const { min, max } = param;
  if (given(min) && given(max)) return `Range: ${shownNumber(min)} to ${shownNumber(max)}.`;
  if (given(min)) return `At least ${shownNumber(min)}.`;
  if (given(max)) return `At most ${shownNumber(max)}.`;
  return "";
}

function numberProblem(param, raw) {
  if (raw === "") return param.optional ? "" : "Empty: the default applies.";
  const n = Number(raw);
  if (Number.isNaN(n)) return "Not a number.";
  if (param.kind === "int" && !Number.isInteger(n)) return "Must be a whole number.";
  const { min, max } = param;
  const both = given(min) && given(max) ? `Must be between ${shownNumber(min)} and ${shownNumber(max)}.` : "";
  if (given(min) && n < min) return both || `Must be at least ${shownNumber(min)}.`;
  if (given(max) && n > max) return both || `Must be at most ${shownNumber(max)}.`;
  return "";
}
