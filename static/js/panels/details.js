// The details panel: a form generated from the selected module's spec, its comment and flags;
// each field's "..." menu promotes it to, attaches it to or detaches it from a pipeline parameter.
import { notify } from "../api.js";
import { clear, el } from "../dom.js";
import { bindingName } from "../canvas/graph.js";
import { applies, describeValue, editor as valueEditor, isNumeric, rangeText, ruleSetOf } from "../values.js";
import { editColumns, fromRuleSet, selectColumns, upstreamColumnTypes } from "./columns_dialog.js";
import { copyButton } from "./copy.js";
import { fitsField, inferParameter, openParameterDialog, suggestName } from "./parameters.js";

let uid = 0;
const isBound = (v) => bindingName(v) !== null;

/** The right-hand panel editing the selected node of `graph`. */
export class DetailsPanel {
  /** edits: the ParameterEdits of the draft; columnsFor(nodeId, inputPort) -> Promise<string[] | null>;
   *  onRunToHere(nodeId) -> Promise, when set, adds a "Run to here" button to a node's form. */
  constructor(container, graph, { edits, columnsFor, onOpenParameters, onRunToHere = null }) {
    this.container = container;
    this.graph = graph;
    this.edits = edits;
    this.columnsFor = columnsFor;
    this.onOpenParameters = onOpenParameters;
    this.onRunToHere = onRunToHere;
    this.menu = null;
    this.ids = [];
    this.errors = { nodes: {}, fields: {} };
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
    body.append(el("h2", { class: "panel-title" }, spec ? spec.label : node.module), nodeIdLine(id));
    if (spec && this.onRunToHere) body.append(this.runToHereButton(id));
    if (!spec) return body.append(el("p", { class: "error-text" }, `Unknown module '${node.module}'.`));
    if (spec.description) body.append(el("p", { class: "muted module-description" }, spec.description));
    body.append(el("p", { class: "module-help-line" },
                   el("a", { href: `/modules/${encodeURIComponent(spec.name)}/help`, target: "_blank",
                             rel: "noopener" }, "Module help")));
    const fieldMessages = this.errors.fields[id] || {};
    const attached = new Set(Object.values(fieldMessages).flat());
    const general = (this.errors.nodes[id] || []).filter((m) => !attached.has(m));
    if (general.length) {
      body.append(el("ul", { class: "node-problems error-text", "aria-label": "Problems" },
                     general.map((m) => el("li", {}, m))));
    }
    const form = el("form", { class: "params-form", onsubmit: (e) => e.preventDefault() });
    for (const param of spec.params) form.append(this.field(id, node, spec, param, fieldMessages[param.name] || []));
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

  /** "Run to here" for node `id`: disabled while its run is being submitted. */
  runToHereButton(id) {
    const button = el("button", { type: "button", class: "run-to-here",
                                  title: "Run this module and the modules it depends on, reusing earlier outputs",
                                  onclick: async () => {
                                    button.disabled = true;
                                    try { await this.onRunToHere(id); } finally { button.disabled = false; }
                                  } }, "Run to here");
    return el("p", { class: "node-actions" }, button);
  }

  /** Server validation messages: {node_errors: {nodeId: [messages]}, field_errors: {nodeId:
   *  {field: [messages]}}}. A message shows at its field when field_errors names it, else on top. */
  setErrors(result) {
    const shownNow = () => JSON.stringify(this.ids.map((id) => [this.errors.nodes[id], this.errors.fields[id]]));
    const before = shownNow();
    this.errors = { nodes: result?.node_errors || {}, fields: result?.field_errors || {} };
    const after = shownNow();
    if (before !== after && !this.container.contains(document.activeElement)) this.show(this.ids);
    else if (before !== after) this.updateServerMessages();
  }

  edit(fn) {
    this.ownEdit = true;
    try { fn(); } finally { this.ownEdit = false; }
    this.showApplying();
  }

  /** Show the fields of the selected node that apply to its current values, hide the others. */
  showApplying() {
    const id = this.ids.length === 1 ? this.ids[0] : null;
    const spec = id && this.graph.spec(id);
    if (!spec) return;
    for (const param of spec.params) {
      const wrap = this.container.querySelector(`.params-form .field[data-param="${CSS.escape(param.name)}"]`);
      if (wrap) wrap.hidden = !this.applies(id, spec, param);
    }
  }

  /** Whether `param` of node `id` applies: its declared `when`, read on the node's values
   *  (a bound field's value is its pipeline parameter's default). */
  applies(id, spec, param) {
    const params = this.graph.node(id).params;
    return applies(param, (name) => {
      const value = params[name];
      if (isBound(value)) return this.graph.parameter(value.$param)?.default;
      return value === undefined ? spec.params.find((p) => p.name === name)?.default : value;
    });
  }

  updateServerMessages() {
    const fieldMessages = this.errors.fields[this.ids[0]] || {};
    for (const slot of this.container.querySelectorAll("[data-server-for]")) {
      slot.textContent = (fieldMessages[slot.dataset.serverFor] || []).join(" ");
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
    const wrap = el("div", { class: "field", dataset: { param: param.name }, hidden: !this.applies(id, spec, param) });
    const label = el("label", { for: fid }, param.label || param.name);
    const local = el("div", { class: "error-text field-message", "aria-live": "polite" });
    const server = el("div", { class: "error-text field-message", dataset: { serverFor: param.name } },
                      messages.join(" "));
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
    const columns = param.kind === "columns" && param.input && this.columnsFor ? this.columnsFor(id, param.input) : null;
    const editor = valueEditor(param, current, { id: fid, label: param.label || param.name, columns, onInput: () => {
      const read = editor.read();
      const emptyNote = read.empty && isNumeric(param) && !param.optional ? "Empty: the default applies." : "";
      local.textContent = read.problem || emptyNote;
      for (const c of editor.controls) c.setAttribute("aria-invalid", read.problem ? "true" : "false");
      if (read.empty) set(undefined);
      else if (read.value !== undefined) set(read.value);
    } });
    if (editor.inline) {
      wrap.classList.add("field-check");
      put(wrap, editor.element, label, help, server, more);
      return wrap;
    }
    const byRules = param.kind === "columns" && !param.single && param.input
      ? this.rulesPreview(id, param, columns) : null;
    const pick = byRules ? this.columnsButton(id, param, editor, columns, byRules) : null;
    byRules?.show(current);
    put(wrap, label, editor.element, byRules?.element, pick, help, local, server, more);
    markInvalid(wrap, server.textContent);
    return wrap;
  }

  /** "Edit columns": the column selector dialog, writing its choice (names, or rules) into the
   *  field's editor, so the field's own checks and edit path apply. */
  columnsButton(id, param, editor, columns, preview) {
    const label = param.label || param.name;
    const open = async () => {
      const [names, types] = await Promise.all([
        Promise.resolve(columns).then((n) => n || []), upstreamColumnTypes(this.graph, id, param.input)]);
      const chosen = await editColumns({ label, value: editor.read().value, names, types });
      if (chosen === null) return;
      editor.set(chosen);
      preview.show(chosen);
    };
    return el("button", { type: "button", class: "columns-edit", onclick: () => open().catch((e) => notify(e.message)) },
              "Edit columns", el("span", { class: "visually-hidden" }, ` for ${label}`));
  }

  /** Under a field chosen by rules, the columns the rules select among those arriving now
   *  (the design-time columns and the upstream files' types): it follows upstream changes.
   *  {element, show(value)}; hidden for a list of names. */
  rulesPreview(id, param, columns) {
    const element = el("div", { class: "muted hint columns-resolved", "aria-label": "Selected columns", hidden: true });
    const show = async (value) => {
      const rules = ruleSetOf(value);
      element.hidden = !rules;
      if (!rules) return;
      const [names, types] = await Promise.all([
        Promise.resolve(columns).then((n) => n || []), upstreamColumnTypes(this.graph, id, param.input)]);
      if (!names.length) { element.textContent = "Selected: not known until the modules upstream are set up."; return; }
      const list = selectColumns(names, types, fromRuleSet(rules));
      element.textContent = `Selected: ${list.length} of ${names.length} columns: ${list.join(", ") || "none"}`;
    };
    return { element, show: (value) => show(value).catch((e) => notify(e.message)) };
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
    const { graph, edits } = this;
    const label = param.label || param.name;
    const report = (done) => { if (!done.ok) notify(done.reason); };
    if (isBound(value)) {
      return [
        { label: "Detach from pipeline parameter", run: () => edits.detach(id, param.name).then(report) },
        this.onOpenParameters ? { label: "Show pipeline parameters", run: () => this.onOpenParameters() } : null,
      ].filter(Boolean);
    }
    const fitting = graph.doc.parameters.filter((p) => fitsField(p, param));
    return [
      { label: "Add to pipeline parameter", run: () => {
        const inferred = inferParameter(param, value);
        openParameterDialog(graph, edits, { ...inferred, value: inferred.default, name: suggestName(graph, param.name),
                                     field: { node: id, field: param.name, label: `${graph.label(id)} · ${label}` } });
      } },
      { label: "Attach to pipeline parameter", empty: "No parameter of a fitting type",
        items: fitting.map((p) => ({ label: p.name, hint: p.type, run: () => edits.attach(id, param.name, p.name).then(report) })) },
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
}

/** The node's id with a Copy button: a run's steps, outputs and metrics are keyed by it. */
function nodeIdLine(id) {
  const code = el("code", { class: "node-id-value" }, id);
  return el("p", { class: "node-id muted", title: "Steps, outputs and metrics of a run are keyed by this id" },
            "Node id ", code, " ", copyButton("Copy node id", id, code));
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
