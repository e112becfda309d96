// One typed input per pipeline parameter: shared by the Submit dialogs of drafts, runs and
// published endpoint versions.
import { api } from "../api.js";
import { el } from "../dom.js";
import { dataPathInput } from "./browse.js";

let uid = 0;

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

const given = (v) => v !== null && v !== undefined;

/** The Experiment (existing ones offered, or a new name) and Description fields of a Submit
 *  dialog: {experiment, description, nodes}. */
export function runFields({ experiment = "default", description = "" } = {}) {
  const n = ++uid;
  const listId = `experiments-${n}`;
  const experimentInput = el("input", { id: `exp-${n}`, type: "text", list: listId, autocomplete: "off",
                                        maxlength: "200", value: experiment });
  const datalist = el("datalist", { id: listId });
  api("/api/v1/experiments", { quiet: true }).then((data) => {
    datalist.replaceChildren(...(data.experiments || []).map((x) => el("option", { value: x.name })));
  }).catch(() => {});
  const describe = el("textarea", { id: `desc-${n}`, rows: 2, maxlength: "5000" });
  describe.value = description;
  return {
    experiment: experimentInput, description: describe,
    nodes: [
      el("div", { class: "field" }, el("label", { for: experimentInput.id }, "Experiment"), experimentInput, datalist,
         el("div", { class: "muted hint" }, "Pick an existing experiment or type a new name.")),
      el("div", { class: "field" }, el("label", { for: describe.id }, "Description"), describe),
    ],
  };
}

/**
 * The field for parameter ``p`` showing ``value``: {name, type, node, read, setError}.
 * read() -> {value} (value undefined when left empty, so the default applies) or {error}.
 */
export function parameterField(p, value) {
  const id = `param-${++uid}`;
  const label = el("label", { for: id }, p.name);
  const hint = p.description ? el("div", { class: "muted hint" }, p.description) : null;
  const note = el("div", { class: "error-text field-message" });
  const controls = [];
  const setError = (text) => {
    note.textContent = text || "";
    for (const c of controls) c.setAttribute("aria-invalid", String(Boolean(text)));
  };
  const field = (read, ...parts) => ({
    name: p.name, type: p.type, setError, read,
    node: el("div", { class: "field", dataset: { parameter: p.name } }, label, ...parts, hint, note),
  });

  switch (p.type) {
    case "bool": {
      const box = el("input", { id, type: "checkbox", checked: Boolean(value) });
      controls.push(box);
      return { name: p.name, type: p.type, setError, read: () => ({ value: box.checked }),
               node: el("div", { class: "field field-check", dataset: { parameter: p.name } },
                        box, label, hint, note) };
    }
    case "int":
    case "float": {
      const input = el("input", { id, type: "number", step: p.type === "int" ? "1" : "any",
                                  min: p.min ?? null, max: p.max ?? null });
      input.value = given(value) ? String(value) : "";
      controls.push(input);
      return field(() => readNumber(p, input), input);
    }
    case "choice": {
      const select = el("select", { id }, (p.options || []).map((o) =>
        el("option", { value: o, selected: o === value }, String(o))));
      controls.push(select);
      return field(() => ({ value: select.value }), select);
    }
    case "data_path": {
      const box = dataPathInput({ value, label: p.name, id });
      controls.push(...box.controls);
      return field(() => {
        const picked = box.read();
        if (picked === undefined) return { value: undefined };
        if (!picked.datastore) return { error: "Give the datastore." };
        if (!picked.path) return { error: "Give the path of a file in the datastore." };
        return { value: picked };
      }, box.element);
    }
    default: {
      const input = el("input", { id, type: "text" });
      input.value = given(value) ? String(value) : "";
      controls.push(input);
      return field(() => ({ value: input.value }), input);
    }
  }
}

function readNumber(p, input) {
  const raw = input.value.trim();
  if (raw === "") {
    return input.validity.badInput ? { error: `${p.name} must be a number.` } : { value: undefined };
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) return { error: `${p.name} must be a number.` };
  if (p.type === "int" && !Number.isInteger(value)) return { error: `${p.name} must be a whole number.` };
  if (given(p.min) && value < p.min) return { error: `${p.name} must be at least ${p.min}.` };
  if (given(p.max) && value > p.max) return { error: `${p.name} must be at most ${p.max}.` };
  return { value };
}

/** Read every field, marking the invalid ones: {values, dataPaths, ok}. */
export function readFields(fields) {
  const values = {};
  const dataPaths = {};
  let ok = true;
  for (const f of fields) {
    const { value, error } = f.read();
    f.setError(error);
    if (error) { ok = false; continue; }
    if (value === undefined) continue;
    if (f.type === "data_path") dataPaths[f.name] = value;
    else values[f.name] = value;
  }
  return { values, dataPaths, ok };
}
