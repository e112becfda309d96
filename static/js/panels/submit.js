// The Submit dialog (experiment, description, one field per pipeline parameter) and the problems list.
import { el, openModal } from "../dom.js";
import { parameterField, readFields, runFields } from "./parameter_fields.js";

let uid = 0;

/**
 * Open the Submit dialog. parameters: the document's parameter definitions; values: prefilled
 * values by name (defaults otherwise); submit(body) -> Promise<run> posts {parameters,
 * experiment, description}; resolves to the run, or null when the dialog is cancelled.
 */
export function openSubmitDialog({ parameters = [], values = {}, experiment = "default",
                                   description = "", submit, title = "Submit a run" }) {
  return new Promise((resolve) => {
    const n = ++uid;
    const run = runFields({ experiment, description });
    const experimentInput = run.experiment;
    const describe = run.description;
    const fields = parameters.map((p) => parameterField(p, p.name in values ? values[p.name] : p.default));
    const message = el("div", { class: "error-text", role: "alert" });
    const submitButton = el("button", { type: "submit", class: "primary" }, "Submit");
    const dialog = el("dialog", { class: "submit-dialog", "aria-labelledby": `submit-title-${n}` });
    const form = el("form", { method: "dialog", novalidate: true },
      el("h2", { id: `submit-title-${n}` }, title),
      run.nodes,
      el("fieldset", { class: "submit-parameters" }, el("legend", {}, "Pipeline parameters"),
         fields.length ? fields.map((f) => f.node) : el("p", { class: "muted" }, "This pipeline has no parameters.")),
      message,
      el("div", { class: "actions" },
         el("button", { type: "button", onclick: () => dialog.close() }, "Cancel"), submitButton));
    let result = null;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.textContent = "";
      const name = experimentInput.value.trim();
      if (!name) { message.textContent = "Give an experiment name."; return; }
      const { values: given, dataPaths, ok } = readFields(fields);
      if (!ok) { message.textContent = "Correct the marked parameters."; return; }
      const parameterValues = { ...given, ...dataPaths };
      submitButton.disabled = true;
      try {
        result = await submit({ parameters: parameterValues, experiment: name, description: describe.value });
        dialog.close();
      } catch (error) {
        const details = error.body && error.body.node_errors
          ? Object.entries(error.body.node_errors).map(([n, ms]) => `${n}: ${ms.join(" ")}`).join("\n") : "";
        message.textContent = [error.message, details].filter(Boolean).join("\n");
      } finally {
        submitButton.disabled = false;
      }
    });
    dialog.append(form);
    openModal(dialog, () => resolve(result));
    experimentInput.focus();
  });
}

/** Show the validation problems that prevent a submit; onPick(nodeId) selects a node. */
export function showProblems(problems, { onPick } = {}) {
  const dialog = el("dialog", { class: "problems-dialog", "aria-labelledby": `problems-${++uid}` });
  const items = problems.map(({ node, label, message }) => el("li", {},
    node ? el("button", { type: "button", class: "link", onclick: () => { dialog.close(); onPick?.(node); } }, label)
      : null, node ? ": " : "", message));
  dialog.append(el("h2", { id: `problems-${uid}` }, "Fix these problems before submitting"),
                el("ul", { class: "problem-list" }, items),
                el("div", { class: "actions" },
                   el("button", { type: "button", class: "primary", onclick: () => dialog.close() }, "Close")));
  openModal(dialog);
  return dialog;
}
