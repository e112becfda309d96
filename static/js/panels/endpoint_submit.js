// The Submit dialog of a published endpoint version: a form generated from its parameter schema.
import { api } from "../api.js";
import { el, openModal } from "../dom.js";
import { parameterField, readFields, runFields } from "./parameter_fields.js";
import { fromSchema } from "../values.js";

let uid = 0;

/**
 * Open the Submit dialog for one published version. Resolves to the submit answer
 * ({Id, Status, ...}) or null when cancelled.
 */
export function openEndpointSubmit({ endpoint, version }) {
  return new Promise((resolve) => {
    const n = ++uid;
    const run = runFields({ experiment: endpoint.name });
    const experiment = run.experiment;
    const describe = run.description;
    const properties = Object.entries((version.parameter_schema || {}).properties || {});
    const fields = properties.map(([name, schema]) => {
      const p = fromSchema(name, schema);
      return parameterField(p, p.default);
    });
    const message = el("div", { class: "submit-message", role: "alert" });
    const submitButton = el("button", { type: "submit", class: "primary" }, "Submit");
    const dialog = el("dialog", { class: "endpoint-submit", "aria-labelledby": `se-title-${n}` });
    const form = el("form", { method: "dialog", novalidate: true },
      el("h2", { id: `se-title-${n}` }, `Submit ${endpoint.name} version ${version.version}`),
      run.nodes,
      el("fieldset", {}, el("legend", {}, "Parameters"),
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
      experiment.setAttribute("aria-invalid", String(!name));
      const { values, dataPaths, ok } = readFields(fields);
      const body = {
        ExperimentName: name, Description: describe.value, ParameterAssignments: values,
        DataPathAssignments: Object.fromEntries(Object.entries(dataPaths).map(([key, v]) =>
          [key, { DataStoreName: v.datastore, RelativePath: v.path }])),
      };
      if (!ok || !name) {
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
