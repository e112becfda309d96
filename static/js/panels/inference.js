// "Create inference pipeline" (run view, designer) and the designer's Deploy button and dialog.
import { api, notify } from "../api.js";
import { el } from "../dom.js";
import { formDialog } from "./dialog.js";

const enc = encodeURIComponent;
let uid = 0;

/** The modules that train a model an inference pipeline can serve (app/engine/inference.py). */
const TRAINERS = new Set(["train_model", "train_clustering_model", "train_anomaly_detection_model"]);

/** Whether a pipeline's nodes train a model, so its finished run can become an inference pipeline. */
export const trainsModel = (nodes) => (nodes || []).some((n) => TRAINERS.has(n.module));

/** Ask the server for the real-time inference pipeline of a finished run, then open the new draft. */
async function createRealtime(runId) {
  try {
    const pipeline = await api(`/api/v1/runs/${enc(runId)}/inference-pipeline`, { method: "POST", quiet: true });
    notify(`Created the draft "${pipeline.name}".`, "success");
    window.location.assign(`/pipelines/${enc(pipeline.id)}`);
  } catch (error) {
    notify(`The inference pipeline could not be created: ${error.message}`);
  }
}

/**
 * The "Create inference pipeline" menu button; runId() gives the finished training run to
 * derive from (it is read when the item is chosen).
 */
export function inferenceMenu(runId) {
  const button = el("button", { type: "button", "aria-haspopup": "menu", "aria-expanded": "false",
                                title: "Create a pipeline that scores new data with what this run learned" },
                    "Create inference pipeline ▾");
  const menu = el("ul", { class: "field-menu", role: "menu", "aria-label": "Create inference pipeline", hidden: true });
  const wrap = el("span", { class: "menu-wrap" }, button, menu);
  const setOpen = (open) => {
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button")?.focus();
  };
  const item = el("button", { type: "button", role: "menuitem" }, "Real-time inference pipeline");
  item.addEventListener("click", async () => {
    setOpen(false);
    button.disabled = true;
    await createRealtime(runId());
    button.disabled = false;
  });
  menu.append(el("li", { role: "none" }, item));
  button.addEventListener("click", () => setOpen(menu.hidden));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { setOpen(false); button.focus(); }
  });
  document.addEventListener("pointerdown", (event) => { if (!wrap.contains(event.target)) setOpen(false); }, true);
  return wrap;
}

/**
 * The designer's Deploy button: shown while the document has a Web Service Output; saves
 * pending edits, then opens the Deploy dialog.
 */
export function deployButton({ pipelineId, graph, autosave }) {
  const button = el("button", { type: "button", title: "Deploy this inference pipeline as a real-time endpoint" },
                    "Deploy");
  const sync = () => { button.hidden = !graph.doc.nodes.some((n) => n.module === "web_service_output"); };
  graph.addEventListener("change", sync);
  sync();
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (!(await autosave.flush())) {
        const why = autosave.state === "conflict" ? "it was changed in another tab" : autosave.message;
        notify(`The pipeline could not be saved: ${why}`);
        return;
      }
      await openDeployDialog(pipelineId);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** The Deploy dialog: a new or an existing real-time endpoint and a description. */
function openDeployDialog(pipelineId) {
  return formDialog({
    title: "Set up real-time endpoint", className: "publish-dialog", submitLabel: "Deploy",
    messageClass: "publish-message", failClass: "alert", build: (dialog) => {
      const n = ++uid;
      const modeNew = el("input", { type: "radio", name: `deploy-mode-${n}`, value: "new", checked: true });
      const modeOld = el("input", { type: "radio", name: `deploy-mode-${n}`, value: "existing" });
      const name = el("input", { id: `rt-name-${n}`, type: "text", maxlength: "64", autocomplete: "off",
                                 placeholder: "letters, digits, _ or -" });
      const existing = el("select", { id: `rt-select-${n}`, "aria-label": "Endpoint to replace", hidden: true },
                          el("option", { value: "" }, "Loading..."));
      const description = el("textarea", { id: `rt-desc-${n}`, rows: 2, maxlength: "5000" });
      api("/api/v1/realtime-endpoints", { quiet: true }).then((d) => {
        const list = d.endpoints || [];
        existing.replaceChildren(...(list.length
          ? list.map((e) => el("option", { value: e.name }, `${e.name} (deployment ${e.deployment})`))
          : [el("option", { value: "" }, "No real-time endpoints yet")]));
        modeOld.disabled = !list.length;
      }).catch((error) => dialog.fail(`The real-time endpoints could not be listed: ${error.message}`));
      const sync = () => { name.hidden = !modeNew.checked; existing.hidden = modeNew.checked; };
      modeNew.addEventListener("change", sync);
      modeOld.addEventListener("change", sync);
      const submit = async () => {
        const target = modeNew.checked ? name.value.trim() : existing.value;
        if (!target) { dialog.fail(modeNew.checked ? "Give the new endpoint a name." : "Select an endpoint."); return; }
        try {
          const endpoint = await api(`/api/v1/pipelines/${enc(pipelineId)}/deploy`, {
            method: "POST", quiet: true, body: { name: target, description: description.value } });
          dialog.done(endpoint);
          showDeployed(dialog, endpoint);
        } catch (error) {
          dialog.fail(error.message);
        }
      };
      return { submit, focus: name, body: [
        el("fieldset", {}, el("legend", {}, "Real-time endpoint"),
          el("div", { class: "radio-row" }, el("label", {}, modeNew, " Deploy new real-time endpoint"),
            el("label", {}, modeOld, " Replace an existing real-time endpoint")),
          el("div", { class: "field" }, el("label", { for: name.id }, "Name"), name, existing)),
        el("div", { class: "field" }, el("label", { for: description.id }, "Description"), description),
      ] };
    },
  });
}

/** After deploying: which endpoint serves it now, with a link to its page. */
function showDeployed(dialog, endpoint) {
  dialog.form.replaceChildren(
    el("h2", { id: dialog.titleId }, "Set up real-time endpoint"),
    el("p", { class: "publish-success", role: "status" },
      `Deployment ${endpoint.deployment} of `,
      el("a", { href: `/endpoints/realtime/${enc(endpoint.name)}` }, endpoint.name),
      ` is serving ${endpoint.model ? `${endpoint.model.name} version ${endpoint.model.version}` : "the pipeline"}.`),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "primary", onclick: () => dialog.close(endpoint) }, "Close")));
}
