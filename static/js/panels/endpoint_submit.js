// The Submit dialog of a published endpoint version: a form generated from its parameter schema.
import { api } from "../api.js";
import { el, openModal } from "../dom.js";

let uid = 0;
let browseModule = null;

/** Load the datastore Browse dialog once; null when it is not available. */
function loadBrowse() {
  browseModule ||= import("../panels/browse.js")
    .then((m) => (typeof m.openBrowseDialog === "function" ? m.openBrowseDialog : null))
    .catch(() => null);
  return browseModule;
}

const isDataPath = (schema) => schema["x-parameter-type"] === "data_path"
  || (schema.type === "object" && schema.properties && "datastore" in schema.properties);

/**
 * Open the Submit dialog for one published version. Resolves to the submit answer
 * ({Id, Status, ...}) or null when cancelled.
 */
export function openEndpointSubmit({ endpoint, version }) {
  return new Promise((resolve) => {
    const n = ++uid;
    const listId = `submit-experiments-${n}`;
    const experiment = el("input", { id: `se-exp-${n}`, type: "text", list: listId, autocomplete: "off",
                                     maxlength: "200", value: endpoint.name });
    const datalist = el("datalist", { id: listId });
    api("/api/v1/experiments", { quiet: true }).then((d) => {
      datalist.replaceChildren(...(d.experiments || []).map((x) => el("option", { value: x.name })));
    }).catch(() => {});
    const storesId = `submit-stores-${n}`;
    const stores = el("datalist", { id: storesId });
    api("/api/v1/datastores?counts=false", { quiet: true }).then((d) => {
      stores.replaceChildren(...(d.datastores || []).map((s) => el("option", { value: s.name })));
    }).catch(() => {});
    const describe = el("textarea", { id: `se-desc-${n}`, rows: 2, maxlength: "5000" });
    const properties = Object.entries((version.parameter_schema || {}).properties || {});
    const fields = properties.map(([name, schema]) => field(name, schema, storesId));
    const message = el("div", { class: "submit-message", role: "alert" });
    const submitButton = el("button", { type: "submit", class: "primary" }, "Submit");
    const dialog = el("dialog", { class: "endpoint-submit", "aria-labelledby": `se-title-${n}` });
    const form = el("form", { method: "dialog", novalidate: true },
      el("h2", { id: `se-title-${n}` }, `Submit ${endpoint.name} version ${version.version}`),
      el("div", { class: "field" }, el("label", { for: experiment.id }, "Experiment"), experiment, datalist,
        el("div", { class: "muted hint" }, "Pick an existing experiment or type a new name.")),
      el("div", { class: "field" }, el("label", { for: describe.id }, "Description"), describe),
      el("fieldset", {}, el("legend", {}, "Parameters"), stores,
        fields.length ? fields.map((f) => f.node) : el("p", { class: "muted" }, "This version has no parameters.")),
      message,
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: () => dialog.close() }, "Cancel"), submitButton));

    let result = null;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.replaceChildren();
      message.className = "submit-message";
      const name = experiment.value.trim();
      const body = { ExperimentName: name, Description: describe.value, ParameterAssignments: {},
                     DataPathAssignments: {} };
      let ok = Boolean(name);
      experiment.setAttribute("aria-invalid", String(!name));
      for (const f of fields) {
        const { value, error } = f.read();
        f.setError(error);
        if (error) { ok = false; continue; }
        if (value === undefined) continue;
        if (f.dataPath) body.DataPathAssignments[f.name] = { DataStoreName: value.datastore, RelativePath: value.path };
        else body.ParameterAssignments[f.name] = value;
      }
      if (!ok) {
        fail(name ? "Correct the marked parameters." : "Give an experiment name.");
        return;
      }
      submitButton.disabled = true;
      try {
        const query = `?pipelineVersion=${encodeURIComponent(version.version)}`;
        result = await api(`/api/v1/endpoints/${encodeURIComponent(endpoint.id)}/submit${query}`,
                           { method: "POST", body, quiet: true });
        dialog.close();
      } catch (error) {
        const culprit = error.body && error.body.parameter;
        const target = fields.find((f) => f.name === culprit);
        if (target) target.setError(error.message);
        fail(error.status ? error.message : `The server cannot be reached: ${error.message}`);
      } finally {
        submitButton.disabled = false;
      }
    });

    function fail(text) {
      message.className = "submit-message alert";
      message.textContent = text;
    }

    dialog.append(form);
    openModal(dialog, () => resolve(result));
    experiment.focus();
  });
}

/** One typed input for a schema property: {name, dataPath, node, read() -> {value, error}, setError}. */
function field(name, schema, storesId) {
  const id = `se-param-${++uid}`;
  const dflt = schema.default;
  const label = el("label", { for: id }, name);
  const note = el("div", { class: "error-text field-message" });
  const hint = schema.description ? el("div", { class: "muted hint" }, schema.description) : null;
  const controls = [];
  const wrap = (...parts) => el("div", { class: "field", dataset: { parameter: name } }, label, ...parts, hint, note);
  const setError = (text) => {
    note.textContent = text || "";
    for (const c of controls) c.setAttribute("aria-invalid", String(Boolean(text)));
  };
  const typeName = schema.type;

  if (isDataPath(schema)) {
    const current = dflt && typeof dflt === "object" ? dflt : {};
    const store = el("input", { id, type: "text", list: storesId, autocomplete: "off", placeholder: "datastore",
                                "aria-label": `${name} datastore` });
    const path = el("input", { type: "text", placeholder: "folder/file.csv", autocomplete: "off",
                               "aria-label": `${name} path` });
    store.value = current.datastore || "";
    path.value = current.path || "";
    controls.push(store, path);
    const browse = el("button", { type: "button", hidden: true, "aria-label": `Browse ${name}` }, "Browse");
    loadBrowse().then((open) => {
      if (!open) return;
      browse.hidden = false;
      browse.addEventListener("click", async () => {
        const picked = await open({ datastore: store.value.trim(), path: path.value.trim() });
        if (picked) {
          store.value = picked.datastore || store.value;
          path.value = picked.path || "";
          setError("");
        }
      });
    });
    return {
      name, dataPath: true, setError, node: wrap(el("div", { class: "data-path" }, store, path, browse)),
      read: () => {
        const datastore = store.value.trim();
        const relative = path.value.trim();
        if (!datastore && !relative) return { value: undefined };
        if (!datastore) return { error: "Give the datastore." };
        if (!relative) return { error: "Give the path of a file in the datastore." };
        return { value: { datastore, path: relative } };
      },
    };
  }
  if (typeName === "boolean") {
    const box = el("input", { id, type: "checkbox", checked: Boolean(dflt) });
    controls.push(box);
    return { name, dataPath: false, setError, node: el("div", { class: "field field-check", dataset: { parameter: name } },
      box, label, hint, note), read: () => ({ value: box.checked }) };
  }
  if (Array.isArray(schema.enum)) {
    const select = el("select", { id }, schema.enum.map((o) => el("option", { value: o, selected: o === dflt }, String(o))));
    controls.push(select);
    return { name, dataPath: false, setError, node: wrap(select), read: () => ({ value: select.value }) };
  }
  if (typeName === "integer" || typeName === "number") {
    const input = el("input", { id, type: "number", step: typeName === "integer" ? "1" : "any",
                                min: schema.minimum ?? null, max: schema.maximum ?? null });
    input.value = dflt === null || dflt === undefined ? "" : String(dflt);
    controls.push(input);
    return {
      name, dataPath: false, setError, node: wrap(input),
      read: () => {
        const raw = input.value.trim();
        if (raw === "") {
          return input.validity.badInput ? { error: `${name} must be a number.` } : { value: undefined };
        }
        const value = Number(raw);
        if (!Number.isFinite(value)) return { error: `${name} must be a number.` };
        if (typeName === "integer" && !Number.isInteger(value)) return { error: `${name} must be a whole number.` };
        if (schema.minimum !== undefined && schema.minimum !== null && value < schema.minimum) {
          return { error: `${name} must be at least ${schema.minimum}.` };
        }
        if (schema.maximum !== undefined && schema.maximum !== null && value > schema.maximum) {
          return { error: `${name} must be at most ${schema.maximum}.` };
        }
        return { value };
      },
    };
  }
  const input = el("input", { id, type: "text" });
  input.value = dflt === null || dflt === undefined ? "" : String(dflt);
  controls.push(input);
  return { name, dataPath: false, setError, node: wrap(input), read: () => ({ value: input.value }) };
}
