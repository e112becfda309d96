// The Submit dialog of a published endpoint version: a form generated from its parameter schema.
import { api } from "../api.js";
import { el } from "../dom.js";
import { formDialog } from "./dialog.js";
import { parameterField, readFields, runFields } from "./parameter_fields.js";
import { fromSchema } from "../values.js";


/**
 * Open the Submit dialog for one published version. Resolves to the submit answer
 * ({Id, Status, ...}) or null when cancelled.
 */
export function openEndpointSubmit({ endpoint, version }) {
  return formDialog({
    title: `Submit ${endpoint.name} version ${version.version}`, className: "endpoint-submit",
    messageClass: "submit-message", failClass: "alert", build: (dialog) => {
      const run = runFields({ experiment: endpoint.name });
      const properties = Object.entries((version.parameter_schema || {}).properties || {});
      const fields = properties.map(([name, schema]) => {
        const p = fromSchema(name, schema);
        return parameterField(p, p.default);
      });
      const send = async () => {
        const name = run.experiment.value.trim();
        run.experiment.setAttribute("aria-invalid", String(!name));
        const { values, dataPaths, ok } = readFields(fields);
        if (!ok || !name) {
          dialog.fail(name ? "Correct the marked parameters." : "Give an experiment name.");
          return;
        }
        try {
          dialog.close(await api(`/api/v1/endpoints/${encodeURIComponent(endpoint.id)}/submit`
                                 + `?pipelineVersion=${encodeURIComponent(version.version)}`,
                                 { method: "POST", body: submitBody(name, run.description.value, values, dataPaths),
                                   quiet: true }));
        } catch (error) {
          fields.find((f) => f.name === error.body?.parameter)?.setError(error.message);
          dialog.fail(error.status ? error.message : `The server cannot be reached: ${error.message}`);
        }
      };
      return { submit: send, focus: run.experiment, body: [
        run.nodes,
        el("fieldset", {}, el("legend", {}, "Parameters"),
           fields.length ? fields.map((f) => f.node) : el("p", { class: "muted" }, "This version has no parameters.")),
      ] };
    },
  });
}

/** The Azure ML shaped submit body. */
export function submitBody(experiment, description, values, dataPaths) {
  return {
    ExperimentName: experiment, Description: description, ParameterAssignments: values,
    DataPathAssignments: Object.fromEntries(Object.entries(dataPaths).map(([key, v]) =>
      [key, { DataStoreName: v.datastore, RelativePath: v.path }])),
  };
}
