// The Submit dialog (experiment, description, one field per pipeline parameter) and the problems list.
import { el, openModal } from "../dom.js";
import { formDialog } from "./dialog.js";
import { parameterField, readFields, runFields } from "./parameter_fields.js";

let uid = 0;

/**
 * Open the Submit dialog. parameters: the document's parameter definitions; values: prefilled
 * values by name (defaults otherwise); submit(body) -> Promise<run> posts {parameters,
 * experiment, description}; resolves to the run, or null when the dialog is cancelled.
 */
export function openSubmitDialog({ parameters = [], values = {}, experiment = "default",
                                   description = "", submit, title = "Submit a run" }) {
  return formDialog({ title, className: "submit-dialog", build: (dialog) => {
    const run = runFields({ experiment, description });
    const fields = parameters.map((p) => parameterField(p, p.name in values ? values[p.name] : p.default));
    const send = async () => {
      const name = run.experiment.value.trim();
      if (!name) { dialog.fail("Give an experiment name."); return; }
      const { values: given, dataPaths, ok } = readFields(fields);
      if (!ok) { dialog.fail("Correct the marked parameters."); return; }
      try {
        dialog.close(await submit({ parameters: { ...given, ...dataPaths }, experiment: name,
                                    description: run.description.value }));
      } catch (error) {
        dialog.fail(refusalText(error));
      }
    };
    return { submit: send, focus: run.experiment, body: [
      run.nodes,
      el("fieldset", { class: "submit-parameters" }, el("legend", {}, "Pipeline parameters"),
         fields.length ? fields.map((f) => f.node) : el("p", { class: "muted" }, "This pipeline has no parameters.")),
    ] };
  } });
}

/** Why a submit was refused: the message, then each node's problems on a line of its own. */
export function refusalText(error) {
  const details = error.body && error.body.node_errors
    ? Object.entries(error.body.node_errors).map(([n, ms]) => `${n}: ${ms.join(" ")}`).join("\n") : "";
  return [error.message, details].filter(Boolean).join("\n");
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
