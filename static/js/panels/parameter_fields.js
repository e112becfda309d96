// One typed input per pipeline parameter: shared by the Submit dialogs of drafts, runs and
// published endpoint versions.
import { api, fallback } from "../api.js";
import { el } from "../dom.js";
import { editor as valueEditor } from "../values.js";

let uid = 0;

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
  }).catch(fallback("The experiments could not be listed", null));
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
  const editor = valueEditor(p, value, { id, label: p.name });
  const setError = (text) => {
    note.textContent = text || "";
    for (const c of editor.controls) c.setAttribute("aria-invalid", String(Boolean(text)));
  };
  const read = () => {
    const { value: read, problem, empty } = editor.read();
    return problem ? { error: problem } : { value: empty ? undefined : read };
  };
  const parts = editor.inline ? [editor.element, label] : [label, editor.element];
  return { name: p.name, type: p.type, setError, read,
           node: el("div", { class: editor.inline ? "field field-check" : "field", dataset: { parameter: p.name } },
                    ...parts, hint, note) };
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
