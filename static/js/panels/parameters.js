// Pipeline parameters: the Settings panel, the add-parameter dialog and type/value rules.
import { notify } from "../api.js";
import { el } from "../dom.js";
import { formDialog } from "./dialog.js";
import { confirmDialog } from "./browse.js";
import { blank, convert, describeValue, isRuleSet, PARAMETER_TYPES, parameterType, problem,
         editor as valueEditor } from "../values.js";

let uid = 0;

/** The parameter a field would be promoted to: {type, options, default} from its spec and value. */
export function inferParameter(fieldSpec, value) {
  const type = parameterType(fieldSpec.kind);
  let current = value === undefined ? fieldSpec.default : value;
  if (fieldSpec.kind === "columns" && Array.isArray(current)) current = current.join(", ");
  // Rules become their JSON text, the form a run takes them in (as in the Azure ML designer).
  if (fieldSpec.kind === "columns" && isRuleSet(current)) current = JSON.stringify(current);
  return { type, options: type === "choice" ? [...(fieldSpec.options || [])] : undefined,
           default: blank(current) ? null : current, min: fieldSpec.min, max: fieldSpec.max };
}

/** Whether a parameter definition can drive a module field (type accepted, default fits). */
export function fitsField(def, fieldSpec) {
  return (fieldSpec.accepts || []).includes(def.type) && !problem(fieldSpec, def.default);
}

/** Why value cannot be the value of def given every field it drives in graph, or null. */
export function valueProblem(graph, def, value) {
  const own = problem(def, value);
  if (own) return own;
  for (const { node, field } of graph.usages(def.name)) {
    const spec = graph.spec(node)?.params.find((p) => p.name === field);
    const wrong = spec && problem(spec, value);
    if (wrong) return `Does not fit ${graph.label(node)} · ${spec.label || field}: ${wrong}`;
  }
  return null;
}

/** An input of a parameter's value: {element, read}; read() -> {value (null when empty), problem}. */
function defaultEditor(def, value, { label, id = `pv-${++uid}`, onInput } = {}) {
  const editor = valueEditor(def, value, { id, label, onInput, none: true });
  return { element: editor.element, read: () => {
    const read = editor.read();
    return { value: read.value === undefined ? null : read.value, problem: read.problem };
  } };
}

/** The types `def` may take given the fields it drives, each with the options a choice would
 *  have: [{type, options}]. A choice needs options: those of a choice field it drives, or its own. */
export function typesFor(graph, def) {
  const specs = graph.usages(def.name)
    .map(({ node, field }) => graph.spec(node)?.params.find((p) => p.name === field)).filter(Boolean);
  const choiceField = specs.find((f) => f.kind === "choice");
  const options = def.type === "choice" ? def.options : choiceField?.options;
  return PARAMETER_TYPES
    .filter((type) => specs.every((f) => (f.accepts || []).includes(type)))
    .filter((type) => type !== "choice" || (options || []).length)
    .map((type) => ({ type, options: type === "choice" ? [...options] : undefined }));
}

/** A unique parameter name derived from a field name (path, path_2, ...). */
export function suggestName(graph, base) {
  let name = String(base || "parameter").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 60);
  if (!/^[A-Za-z]/.test(name)) name = `p_${name}`.slice(0, 60);
  let candidate = name;
  for (let i = 2; graph.parameter(candidate); i += 1) candidate = `${name}_${i}`;
  return candidate;
}

const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Why `name` cannot name a new parameter of graph (rules, uniqueness; `except` is its current
 *  name), or null: a hint while typing, the server checks again. */
export function nameProblem(graph, name, except = null) {
  if (!name) return "Give the parameter a name.";
  if (name.length > 64) return "A parameter name has at most 64 characters.";
  if (!/^[A-Za-z]/.test(name)) return "A parameter name starts with a letter.";
  if (!PARAM_NAME.test(name)) return "Use only letters, digits, '_' and '-' in a parameter name.";
  if (name !== except && graph.parameter(name)) return `A pipeline parameter named '${name}' exists.`;
  return null;
}

/**
 * The add-parameter dialog; the parameter is added by `edits` (the server). With `field`
 * ({node, field, label}) the type is fixed (inferred from the field) and the field is bound on
 * Save. Resolves to the new parameter's name, or null.
 */
export function openParameterDialog(graph, edits, { name = "", type = "string", options, value = null, min, max,
                                                    field = null } = {}) {
  return formDialog({
    title: field ? "Add to pipeline parameter" : "Add pipeline parameter", className: "parameter-dialog",
    submitLabel: "Save", build: (dialog) => {
      const form = definitionForm(graph, { name, type, options, value, min, max, fixedType: Boolean(field) });
      const fieldSpec = field && graph.spec(field.node).params.find((p) => p.name === field.field);
      const save = async () => {
        if (form.checkName()) { form.focus.focus(); return; }
        const def = form.draft();
        if (field) def.options = options;
        if (def.type === "choice" && !def.options.length) { dialog.fail("A choice parameter needs options."); return; }
        const read = form.readDefault();
        const wrong = read.problem || problem(def, read.value) || (fieldSpec && problem(fieldSpec, read.value));
        if (wrong) { dialog.fail(`Default: ${wrong}`); return; }
        def.default = read.value;
        const done = await edits.add(definition(def), field ? [{ node: field.node, field: field.field }] : []);
        if (done.ok) dialog.close(def.name);
        else dialog.fail(done.reason);
      };
      requestAnimationFrame(() => form.focus.select());
      return { submit: save, focus: form.focus, body: [
        field ? el("p", { class: "muted" }, `The new parameter drives ${field.label}.`) : null, form.nodes] };
    },
  });
}

/** The definition a form's draft describes: options only for a choice, a range only for numbers. */
function definition(draft) {
  const out = { name: draft.name, type: draft.type, default: draft.default ?? null, description: draft.description };
  if (draft.type === "choice") out.options = draft.options;
  if (draft.type === "int" || draft.type === "float") {
    if (!blank(draft.min)) out.min = draft.min;
    if (!blank(draft.max)) out.max = draft.max;
  }
  return out;
}

/** The fields of a new parameter: name (checked while typing), type, options, default, range and
 *  description: {nodes, focus, checkName, draft, readDefault}. */
function definitionForm(graph, { name, type, options, value, min, max, fixedType }) {
  const n = ++uid;
  const nameInput = el("input", { id: `np-name-${n}`, type: "text", autocomplete: "off", maxlength: "80" });
  nameInput.value = name;
  const nameMessage = el("div", { class: "error-text field-message", id: `np-name-msg-${n}`, "aria-live": "polite" });
  nameInput.setAttribute("aria-describedby", nameMessage.id);
  const typeSelect = el("select", { id: `np-type-${n}`, disabled: fixedType },
                        PARAMETER_TYPES.map((t) => el("option", { value: t, selected: t === type }, t)));
  const optionsInput = el("input", { id: `np-options-${n}`, type: "text", placeholder: "a, b, c" });
  optionsInput.value = (options || []).join(", ");
  const minInput = el("input", { id: `np-min-${n}`, type: "number", step: "any" });
  const maxInput = el("input", { id: `np-max-${n}`, type: "number", step: "any" });
  if (!blank(min)) minInput.value = String(min);
  if (!blank(max)) maxInput.value = String(max);
  const description = el("input", { id: `np-desc-${n}`, type: "text", autocomplete: "off" });
  const optionsRow = el("div", { class: "field" }, el("label", { for: optionsInput.id }, "Options (comma-separated)"), optionsInput);
  const rangeRow = el("div", { class: "field-pair" },
    el("div", { class: "field" }, el("label", { for: minInput.id }, "Minimum (optional)"), minInput),
    el("div", { class: "field" }, el("label", { for: maxInput.id }, "Maximum (optional)"), maxInput));
  const defaultRow = el("div", { class: "field" });
  let editor = null;
  const draft = () => ({
    name: nameInput.value.trim(), type: typeSelect.value, description: description.value.trim(),
    options: optionsInput.value.split(",").map((s) => s.trim()).filter(Boolean),
    min: minInput.value === "" ? null : Number(minInput.value),
    max: maxInput.value === "" ? null : Number(maxInput.value),
  });
  const buildDefault = (current) => {
    const def = draft();
    editor = defaultEditor(def, current, { id: `np-default-${n}`, label: "Default" });
    defaultRow.replaceChildren(el("label", { for: `np-default-${n}` }, "Default"), editor.element);
    optionsRow.hidden = def.type !== "choice" || fixedType;
    rangeRow.hidden = !["int", "float"].includes(def.type);
  };
  buildDefault(value);
  typeSelect.addEventListener("change", () => buildDefault(null));
  optionsInput.addEventListener("change", () => buildDefault(editor.read().value));
  const checkName = () => {
    const wrong = nameProblem(graph, nameInput.value.trim());
    nameMessage.textContent = wrong || "";
    nameInput.setAttribute("aria-invalid", wrong ? "true" : "false");
    return wrong;
  };
  nameInput.addEventListener("input", checkName);
  return {
    focus: nameInput, checkName, draft, readDefault: () => editor.read(),
    nodes: [el("div", { class: "field" }, el("label", { for: nameInput.id }, "Name"), nameInput, nameMessage),
            el("div", { class: "field" }, el("label", { for: typeSelect.id }, "Type"), typeSelect),
            optionsRow, defaultRow, rangeRow,
            el("div", { class: "field" }, el("label", { for: description.id }, "Description"), description)],
  };
}

/** The Settings panel listing the pipeline parameters of `graph`; onSelectNode(id) on "used by". */
export class ParametersPanel {
  /** Build the (hidden) panel inside host. */
  constructor(host, graph, edits, { onSelectNode } = {}) {
    this.graph = graph;
    this.edits = edits;
    this.onSelectNode = onSelectNode;
    this.ownEdits = 0;
    this.list = el("div", { class: "param-cards" });
    this.element = el("aside", { class: "parameters-panel", role: "region", "aria-label": "Pipeline parameters",
                                 hidden: true },
      el("div", { class: "parameters-head" }, el("h2", {}, "Pipeline parameters"),
         el("button", { type: "button", "aria-label": "Add a pipeline parameter", title: "Add a pipeline parameter",
                        onclick: () => openParameterDialog(graph, edits, { name: suggestName(graph, "parameter") }) }, "+"),
         el("button", { type: "button", "aria-label": "Close pipeline parameters", onclick: () => this.close() }, "×")),
      this.list);
    host.append(this.element);
    graph.addEventListener("change", () => { if (!this.ownEdits && this.isOpen) this.render(); });
    this.element.addEventListener("keydown", (e) => { if (e.key === "Escape") this.close(); });
  }

  get isOpen() { return !this.element.hidden; }

  /** Show the panel. */
  open() { this.element.hidden = false; this.render(); }

  /** Hide the panel. */
  close() { this.element.hidden = true; this.element.dispatchEvent(new Event("close")); }

  /** Open or close. */
  toggle() { if (this.isOpen) this.close(); else this.open(); }

  /** Send an edit of parameter `name` typed in its card: the card is not redrawn meanwhile. */
  async edit(name, changes, message) {
    this.ownEdits += 1;
    try {
      const done = await this.edits.update(name, changes);
      if (!done.ok) message.textContent = done.reason;
      return done;
    } finally {
      this.ownEdits -= 1;
    }
  }

  render(focusName = null) {
    const params = this.graph.doc.parameters;
    this.list.replaceChildren(...params.map((p) => this.card(p)));
    if (!params.length) {
      this.list.append(el("p", { class: "muted" }, "No parameters yet. Use + here, or the \"...\" menu of a field."));
    }
    if (focusName) this.list.querySelector(`[data-parameter="${CSS.escape(focusName)}"] .param-name`)?.focus();
  }

  card(p) {
    const graph = this.graph;
    const n = ++uid;
    const uses = graph.usages(p.name);
    const nameInput = el("input", { id: `pp-name-${n}`, class: "param-name", type: "text", autocomplete: "off" });
    nameInput.value = p.name;
    const nameMessage = el("div", { class: "error-text field-message", "aria-live": "polite" });
    let renaming = false;  // Enter and the change event that follows ask once
    const rename = async () => {
      const next = nameInput.value.trim();
      if (next === p.name || renaming) { if (!renaming) nameMessage.textContent = ""; return; }
      const wrong = nameProblem(graph, next, p.name);
      renaming = !wrong;
      const done = wrong ? { ok: false, reason: wrong } : await this.edits.update(p.name, { name: next });
      renaming = false;
      if (!done.ok) {
        nameMessage.textContent = done.reason;
        nameInput.setAttribute("aria-invalid", "true");
      } else this.render(next);
    };
    nameInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); rename(); }
      if (e.key === "Escape") { e.stopPropagation(); nameInput.value = p.name; nameMessage.textContent = ""; }
    });
    nameInput.addEventListener("change", rename);
    const defaultMessage = el("div", { class: "error-text field-message", "aria-live": "polite" });
    const editor = defaultEditor(p, p.default, { id: `pp-default-${n}`, label: "Default", onInput: () => {
      const read = editor.read();
      const problem = read.problem || valueProblem(graph, p, read.value);
      defaultMessage.textContent = problem || "";
      if (!problem) this.edit(p.name, { default: read.value }, defaultMessage);
    } });
    const types = typesFor(graph, p);
    const typeSelect = el("select", { id: `pp-type-${n}`, class: "param-type-select", disabled: types.length < 2 },
      types.map(({ type }) => el("option", { value: type, selected: type === p.type }, type)));
    const typeMessage = el("div", { class: "muted hint type-message", "aria-live": "polite" });
    typeSelect.addEventListener("change", async () => {
      const { type, options } = types.find((t) => t.type === typeSelect.value);
      const numeric = type === "int" || type === "float";
      const next = { type, options: type === "choice" ? options : null,
                     min: numeric ? p.min ?? null : null, max: numeric ? p.max ?? null : null };
      next.default = convert({ type, options }, p.default);
      if (next.default !== null && valueProblem(graph, { ...p, ...next }, next.default)) next.default = null;
      const done = await this.edits.update(p.name, next);
      if (!done.ok) typeMessage.textContent = done.reason;
      else {
        this.render();
        const kept = next.default === null && !blank(p.default) ? "The default did not carry over: give a new one." : "";
        this.list.querySelector(`[data-parameter="${CSS.escape(p.name)}"] .param-type-select`)?.focus();
        const hint = this.list.querySelector(`[data-parameter="${CSS.escape(p.name)}"] .type-message`);
        if (hint) hint.textContent = kept;
      }
    });
    const descriptionMessage = el("div", { class: "error-text field-message", "aria-live": "polite" });
    const description = el("input", { id: `pp-desc-${n}`, type: "text", autocomplete: "off",
      oninput: () => this.edit(p.name, { description: description.value }, descriptionMessage) });
    description.value = p.description || "";
    return el("section", { class: "param-card", dataset: { parameter: p.name }, "aria-label": `Parameter ${p.name}` },
      el("div", { class: "param-card-head" },
         uses.length ? null : el("span", { class: "unused-flag", title: "No field uses this parameter" }, "Unused"),
         el("button", { type: "button", class: "danger", onclick: () => this.remove(p) }, "Delete")),
      el("div", { class: "field" }, el("label", { for: nameInput.id }, "Name"), nameInput, nameMessage),
      el("div", { class: "field" }, el("label", { for: typeSelect.id }, "Type"), typeSelect, typeMessage),
      el("div", { class: "field" }, el("label", { for: `pp-default-${n}` }, "Default"), editor.element, defaultMessage),
      p.type === "choice" ? el("div", { class: "muted hint" }, `Options: ${(p.options || []).join(", ")}`) : null,
      ["int", "float"].includes(p.type) && (!blank(p.min) || !blank(p.max))
        ? el("div", { class: "muted hint" }, `Range: ${blank(p.min) ? "−∞" : p.min} to ${blank(p.max) ? "∞" : p.max}`) : null,
      el("div", { class: "field" }, el("label", { for: description.id }, "Description"), description,
         descriptionMessage),
      el("div", { class: "field" }, el("span", { class: "field-label" }, "Used by"), this.usedBy(p, uses)));
  }

  /** The fields a parameter drives, each a button selecting its node. */
  usedBy(p, uses) {
    const graph = this.graph;
    if (!uses.length) return el("p", { class: "muted" }, "Not used by any field.");
    return el("ul", { class: "used-by", "aria-label": `Used by (${p.name})` }, uses.map(({ node, field }) => {
      const spec = graph.spec(node)?.params.find((f) => f.name === field);
      return el("li", {}, el("button", { type: "button", class: "link", onclick: () => this.onSelectNode?.(node) },
                             `${graph.label(node)} · ${spec?.label || field}`));
    }));
  }

  async remove(p) {
    const count = this.graph.usages(p.name).length;
    const ok = await confirmDialog({
      title: `Delete pipeline parameter '${p.name}'?`, confirm: "Delete", danger: true,
      message: count ? `The ${count} field${count === 1 ? "" : "s"} it drives keep${count === 1 ? "s" : ""} its current value (${describeValue(p.default)}).`
        : "No field uses it.",
    });
    if (!ok) return;
    const done = await this.edits.remove(p.name);
    if (!done.ok) notify(done.reason);
  }
}
