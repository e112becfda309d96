// Value kinds (int, float, bool, string, choice, data_path, columns), each defined once: how a
// value of the kind is checked (problem), carried over from another kind (convert) and edited
// (editor). A spec is a module field ({kind, min, max, options, ...}) or a pipeline parameter
// definition ({type, ...}): parameters reuse the field kinds. The rules mirror the server's
// app/engine/spec.py, which has the last word.
import { fallback } from "./api.js";
import { el } from "./dom.js";
import { dataPathInput } from "./panels/browse.js";
import { codeEditor } from "./panels/code_editor.js";

/** The words a bool accepts as text (the server's spec.py takes the same). */
export const TRUE_WORDS = ["true", "1", "yes", "on"];
export const FALSE_WORDS = ["false", "0", "no", "off"];

export const blank = (v) => v === null || v === undefined || v === "";
const given = (v) => v !== null && v !== undefined;
const kindOf = (spec) => spec.kind || spec.type || "string";

/** The types of a pipeline parameter: the field kinds but columns (a parameter gives its text). */
export const PARAMETER_TYPES = ["string", "int", "float", "bool", "choice", "data_path"];

/** The parameter type a field of `kind` is promoted to. */
export function parameterType(kind) {
  return PARAMETER_TYPES.includes(kind) ? kind : "string";
}

/** A value as short text (samples:income/us.csv, 0.5, true, a, b); `empty` stands for a blank one. */
export function describeValue(value, empty = "(no default)") {
  if (blank(value)) return empty;
  if (typeof value === "object" && "datastore" in value) return `${value.datastore}:${value.path}`;
  if (Array.isArray(value)) return value.join(", ");
  const rules = ruleSetOf(value);
  if (rules) return `rules: ${describeRuleSet(rules)}`;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Large whole numbers get thousands separators; small floats keep their exponent (1e-12). */
export function shownNumber(n) {
  return Number.isInteger(n) && Math.abs(n) >= 10000 ? n.toLocaleString("en-US") : String(n);
}

/** The declared range of a number spec as a help line states it ("" when it has none). */
export function rangeText(spec) {
  if (!isNumeric(spec)) return "";
  const { min, max } = spec;
  if (given(min) && given(max)) return `Range: ${shownNumber(min)} to ${shownNumber(max)}.`;
  if (given(min)) return `At least ${shownNumber(min)}.`;
  if (given(max)) return `At most ${shownNumber(max)}.`;
  return "";
}

/** Whether the spec holds numbers (int or float). */
export function isNumeric(spec) {
  const kind = kindOf(spec);
  return kind === "int" || kind === "float";
}

/** A parameter definition ({name, type, options, min, max, description, default}) read from a
 *  published version's JSON Schema property. */
export function fromSchema(name, schema) {
  const dataPath = schema["x-parameter-type"] === "data_path"
    || (schema.type === "object" && schema.properties && "datastore" in schema.properties);
  let type = "string";
  if (dataPath) type = "data_path";
  else if (schema.type === "boolean") type = "bool";
  else if (Array.isArray(schema.enum)) type = "choice";
  else if (schema.type === "integer") type = "int";
  else if (schema.type === "number") type = "float";
  return { name, type, options: schema.enum, min: schema.minimum, max: schema.maximum,
           description: schema.description, default: schema.default };
}

/** true or false for a bool word ("Yes", "off", "1"), null for any other text. */
export function boolWord(text) {
  const word = String(text).trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  return FALSE_WORDS.includes(word) ? false : null;
}

function numberProblem(spec, value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "Not a number.";
  if (kindOf(spec) === "int" && !Number.isInteger(value)) return "Must be a whole number.";
  const { min, max } = spec;
  const both = given(min) && given(max) ? `Must be between ${shownNumber(min)} and ${shownNumber(max)}.` : "";
  if (given(min) && value < min) return both || `Must be at least ${shownNumber(min)}.`;
  if (given(max) && value > max) return both || `Must be at most ${shownNumber(max)}.`;
  return null;
}

function numberConvert(spec, value) {
  const text = typeof value === "object" ? "" : String(value).trim();
  const n = typeof value === "number" ? value : text === "" ? NaN : Number(text);
  if (!Number.isFinite(n)) return null;
  return kindOf(spec) === "int" && !Number.isInteger(n) ? null : n;
}

const textOf = (value) => (typeof value === "object" ? null : String(value).trim());

/** The kinds by name: {problem(spec, value), convert(spec, value)}; editors are built by editor(). */
export const KINDS = {
  int: { problem: numberProblem, convert: numberConvert },
  float: { problem: numberProblem, convert: numberConvert },
  bool: {
    problem: (spec, value) => (typeof value === "boolean" ? null : "Must be true or false."),
    convert: (spec, value) => (typeof value === "boolean" ? value : textOf(value) === null ? null : boolWord(value)),
  },
  choice: {
    problem: (spec, value) => ((spec.options || []).includes(value) ? null
      : `Must be one of: ${(spec.options || []).join(", ")}.`),
    convert: (spec, value) => ((spec.options || []).includes(textOf(value)) ? textOf(value) : null),
  },
  data_path: {
    problem: (spec, value) => {
      if (typeof value !== "object" || !value.datastore) return "Give the datastore.";
      return value.path ? null : "Give the path of a file in the datastore.";
    },
    convert: (spec, value) => (typeof value === "object" && value.datastore ? value : null),
  },
  columns: {
    problem: (spec, value) => (Array.isArray(value) || typeof value === "string" || (!spec.single && isRuleSet(value))
      ? null : "Give column names."),
    convert: (spec, value) => textOf(value),
  },
  string: {
    problem: (spec, value) => (typeof value === "string" ? null : "Must be text."),
    convert: (spec, value) => textOf(value),
  },
};

const kind = (spec) => KINDS[kindOf(spec)] || KINDS.string;

/** Whether a field applies: every sibling its `when` names ({field: [values]}) holds one of
 *  those values; valueOf(name) gives a sibling's current value. */
export function applies(spec, valueOf) {
  return Object.entries(spec.when || {}).every(([name, wanted]) => wanted.includes(valueOf(name)));
}

/** Why `value` does not fit spec (type, range, options), or null; a blank value has no problem. */
export function problem(spec, value) {
  return blank(value) ? null : kind(spec).problem(spec, value);
}

/** `value` carried over to spec's kind, or null when it has no meaning there: "5" -> 5,
 *  3 -> 3.0, true -> "true", "yes" -> true, "off" -> false. */
export function convert(spec, value) {
  return blank(value) ? null : kind(spec).convert(spec, value);
}

/** Whether a columns field's value is a rule set (app/engine/column_rules.py), not names. */
export function isRuleSet(value) {
  return Boolean(value) && typeof value === "object" && !Array.isArray(value) && Array.isArray(value.rules);
}

/** The rule set `value` is or holds as JSON text (how a pipeline parameter gives it), or null. */
export function ruleSetOf(value) {
  if (isRuleSet(value)) return value;
  if (typeof value !== "string" || !value.trim().startsWith("{")) return null;
  try {
    const parsed = JSON.parse(value);
    return isRuleSet(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** A rule set in words: "all columns, exclude type String, include age, education". */
export function describeRuleSet(ruleSet) {
  const words = ruleSet.rules.map((rule, i) => {
    const verb = rule.exclude ? "exclude" : "include";
    if (rule.ruleType === "AllColumns") return i === 0 && !rule.exclude ? "all columns" : `${verb} all columns`;
    if (rule.ruleType === "ColumnNames") return `${verb} ${(rule.columns || []).join(", ")}`;
    const kinds = (rule.columnKinds || ["All"]).filter((k) => k !== "All");
    const types = (rule.columnTypes || ["All"]).filter((t) => t !== "All");
    return `${verb} ${[...types.map((t) => `type ${t}`), ...kinds.map((k) => `${k.toLowerCase()} columns`)].join(" ") || "all columns"}`;
  });
  const text = words.join(", ");
  return ruleSet.rules[0]?.ruleType === "AllColumns" && !ruleSet.rules[0].exclude ? text : `no columns${text ? `, ${text}` : ""}`;
}

/** The column names typed in a columns field ("a, b" -> ["a", "b"]). */
export function columnNames(text) {
  return String(text).split(",").map((s) => s.trim()).filter(Boolean);
}

/** A number typed as text: {value} (undefined when empty) and a problem, if any. */
export function readNumber(spec, raw, badInput = false) {
  const text = String(raw).trim();
  if (text === "") return badInput ? { problem: "Not a number." } : { value: undefined, empty: true };
  const value = Number(text);
  if (!Number.isFinite(value)) return { problem: "Not a number." };
  return { value, problem: problem(spec, value) };
}

/**
 * An input for a value of spec's kind showing `value`: {element, controls, read, inline}.
 * read() -> {value, problem, empty}: value undefined when left empty (or unreadable), problem a
 * sentence or null. Controls are named by a <label for=id>; `label` names the parts of a data
 * path. onInput() runs on each edit; `none` offers an empty choice; `columns` (a
 * Promise of names or null) lists the known columns of a columns field. `inline` says the
 * element is a checkbox, shown before its label.
 */
export function editor(spec, value, { id, label, onInput, none = false, columns = null } = {}) {
  const fire = () => onInput?.();
  const make = EDITORS[kindOf(spec)] || EDITORS.string;
  return make(spec, value, { id, label, fire, none, columns });
}

const checked = (spec, read) => ({ ...read, problem: read.problem ?? (read.empty ? null : problem(spec, read.value)) });

const EDITORS = {
  bool(spec, value, { id, fire }) {
    const box = el("input", { id, type: "checkbox", checked: Boolean(value), onchange: fire });
    return { element: box, controls: [box], inline: true, read: () => ({ value: box.checked, problem: null }) };
  },
  int: numberEditor,
  float: numberEditor,
  choice(spec, value, { id, fire, none }) {
    const options = spec.options || [];
    const select = el("select", { id, onchange: fire },
                      none ? el("option", { value: "" }, "(none)") : null,
                      options.map((o) => el("option", { value: o, selected: o === value },
                                            spec.option_labels?.[o] ?? String(o))));
    if (!blank(value) && !options.includes(value)) {  // keep showing what the document holds
      select.prepend(el("option", { value: String(value), selected: true }, String(value)));
    }
    return { element: select, controls: [select],
             read: () => checked(spec, select.value === "" ? { value: undefined, empty: true } : { value: select.value }) };
  },
  data_path(spec, value, { id, label, fire }) {
    const box = dataPathInput({ value, label, id, onChange: fire });
    return { element: box.element, controls: box.controls, read: () => {
      const picked = box.read();
      return checked(spec, picked === undefined ? { value: undefined, empty: true } : { value: picked });
    } };
  },
  columns: columnsEditor,
  string(spec, value, { id, fire }) {
    if (spec.language) {
      const code = codeEditor({ id, value: blank(value) ? "" : String(value), onInput: fire });
      return { element: code.element, controls: [code.textarea], read: () => ({ value: code.textarea.value, problem: null }) };
    }
    const input = el(spec.multiline ? "textarea" : "input", {
      id, rows: spec.multiline ? 5 : null, type: spec.multiline ? null : "text",
      autocomplete: "off", oninput: fire });
    input.value = blank(value) ? "" : String(value);
    return { element: input, controls: [input], read: () => ({ value: input.value, problem: null }) };
  },
};

function numberEditor(spec, value, { id, fire }) {
  const input = el("input", { id, type: "number", step: kindOf(spec) === "int" ? "1" : "any",
                              min: spec.min ?? null, max: spec.max ?? null, oninput: fire });
  input.value = blank(value) ? "" : String(value);
  return { element: input, controls: [input], read: () => readNumber(spec, input.value, input.validity.badInput) };
}

/** A columns field: names typed (with the known columns offered), or a rule set chosen in the
 *  column dialog, shown in words; set(value) takes either and fires. */
function columnsEditor(spec, value, { id, fire, columns }) {
  const listId = `${id}-list`;
  const input = el("input", { id, type: "text", list: listId, autocomplete: "off",
                              placeholder: spec.single ? "column name" : "column names, comma-separated",
                              oninput: () => { rules = null; fire(); } });
  const words = el("div", { class: "columns-rules", hidden: true });
  let rules = null;
  const show = (v) => {
    rules = ruleSetOf(v);
    input.hidden = Boolean(rules);
    words.hidden = !rules;
    words.textContent = rules ? `Chosen by rules: ${describeRuleSet(rules)}` : "";
    if (!rules) input.value = Array.isArray(v) ? v.join(", ") : blank(v) ? "" : String(v);
  };
  show(value);
  const datalist = el("datalist", { id: listId });
  const hint = el("div", { class: "muted hint columns-known" });
  let known = null;
  columns?.then((names) => {
    if (!names || !input.isConnected) return;
    known = names;
    datalist.replaceChildren(...names.map((c) => el("option", { value: c })));
    hint.textContent = `Columns: ${names.join(", ")}`;
  }).catch(fallback("The known columns could not be listed", null));
  const read = () => {
    if (rules) return { value: rules, empty: false, problem: null };
    const names = columnNames(input.value);
    const unknown = known ? names.filter((n) => !known.includes(n)) : [];
    return { value: !names.length ? undefined : spec.single ? names[0] : names, empty: !names.length,
             problem: unknown.length ? `Not among the known columns: ${unknown.join(", ")}` : null };
  };
  return { element: el("div", { class: "columns-picker" }, input, words, datalist, hint), controls: [input], read,
           set: (v) => { show(v); fire(); } };
}
