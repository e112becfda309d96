// The designer's Publish button and dialog: publish the draft as a new version of a pipeline endpoint.
import { api } from "../api.js";
import { el, openModal } from "../dom.js";
import { formDialog } from "./dialog.js";
import { describeValue } from "../values.js";

let uid = 0;

const STYLES = "/static/css/endpoints.css";

/** The dialog's styles live in endpoints.css; the designer page links it on first use. */
function ensureStyles() {
  if (document.querySelector(`link[href="${STYLES}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href: STYLES }));
}

/**
 * The Publish button for the designer bar: saves pending edits, then opens the dialog.
 * graph: the designer's Graph (parameters, labels); autosave: its Autosave (flush()).
 */
export function publishButton({ pipelineId, graph, autosave }) {
  const button = el("button", { type: "button", title: "Publish this pipeline to a pipeline endpoint" }, "Publish");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (autosave && !(await autosave.flush())) {
        const why = autosave.state === "conflict" ? "it was changed in another tab" : autosave.message;
        showAlone(`The pipeline could not be saved: ${why}`);
        return;
      }
      await openPublishDialog({ pipelineId, graph });
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function showAlone(text) {
  ensureStyles();
  const dialog = el("dialog", { class: "publish-dialog", "aria-label": "Publish" },
    el("p", { class: "error-text", role: "alert" }, text),
    el("div", { class: "actions" }, el("button", { type: "button", onclick: () => dialog.close() }, "Close")));
  openModal(dialog);
}

/**
 * Open the Publish dialog for a saved draft; resolves to the published version (with its
 * endpoint) or null when closed without publishing.
 */
export function openPublishDialog({ pipelineId, graph }) {
  ensureStyles();
  return formDialog({
    title: "Publish pipeline", className: "publish-dialog", submitLabel: "Publish",
    messageClass: "publish-message", failClass: "alert", build: (dialog) => {
      const target = endpointTarget(dialog.message);
      const versionDescription = el("textarea", { id: `pv-desc-${++uid}`, rows: 2, maxlength: "5000" });
      const send = async () => {
        const where = target.read(dialog);
        if (!where) return;
        const body = { ...where, description: versionDescription.value };
        try {
          const version = await api(`/api/v1/pipelines/${encodeURIComponent(pipelineId)}/publish`,
                                    { method: "POST", body, quiet: true });
          dialog.done(version);
          showPublished(dialog, version);
        } catch (error) {
          dialog.fail(failure(error, graph));
        }
      };
      return { submit: send, focus: target.focus, body: [
        target.element,
        el("div", { class: "field" }, el("label", { for: versionDescription.id }, "Version description"),
           versionDescription),
        el("fieldset", {}, el("legend", {}, "Parameters and their default values"), parameterSummary(graph)),
      ] };
    },
  });
}

/** The endpoint to publish to (a new one or an existing one) and the default flag:
 *  {element, focus, read(dialog)}; read gives that part of the request, or null after a dialog.fail. */
function endpointTarget(message) {
  const n = ++uid;
  const modeNew = el("input", { type: "radio", name: `publish-mode-${n}`, id: `pm-new-${n}`, value: "new", checked: true });
  const modeOld = el("input", { type: "radio", name: `publish-mode-${n}`, id: `pm-old-${n}`, value: "existing" });
  const nameInput = el("input", { id: `pe-name-${n}`, type: "text", maxlength: "64", autocomplete: "off",
                                  placeholder: "letters, digits, _ or -" });
  const describeEndpoint = el("input", { id: `pe-desc-${n}`, type: "text", maxlength: "5000" });
  const existing = el("select", { id: `pe-select-${n}` }, el("option", { value: "" }, "Loading..."));
  const setDefault = el("input", { id: `pe-default-${n}`, type: "checkbox" });
  const newBox = el("div", { class: "publish-new" },
    el("div", { class: "field" }, el("label", { for: nameInput.id }, "Endpoint name"), nameInput),
    el("div", { class: "field" }, el("label", { for: describeEndpoint.id }, "Endpoint description"), describeEndpoint));
  const oldBox = el("div", { class: "publish-existing", hidden: true },
    el("div", { class: "field" }, el("label", { for: existing.id }, "Pipeline endpoint"), existing));
  api("/api/v1/endpoints", { quiet: true }).then((d) => d.endpoints || []).catch((e) => {
    message.textContent = `The endpoints could not be listed: ${e.message}`;
    return [];
  }).then((list) => {
    existing.replaceChildren(...(list.length
      ? list.map((e) => el("option", { value: e.id }, `${e.name} (${e.versions} version${e.versions === 1 ? "" : "s"})`))
      : [el("option", { value: "" }, "No endpoints yet")]));
    modeOld.disabled = list.length === 0;
  });
  const syncMode = () => {
    newBox.hidden = !modeNew.checked;
    oldBox.hidden = modeNew.checked;
  };
  modeNew.addEventListener("change", syncMode);
  modeOld.addEventListener("change", syncMode);
  const read = (dialog) => {
    if (modeNew.checked) {
      const name = nameInput.value.trim();
      if (!name) { dialog.fail(el("span", {}, "Give the new endpoint a name.")); nameInput.focus(); return null; }
      return { set_default: setDefault.checked, new_endpoint: { name, description: describeEndpoint.value } };
    }
    if (!existing.value) { dialog.fail(el("span", {}, "Select an endpoint.")); return null; }
    return { set_default: setDefault.checked, endpoint: existing.value };
  };
  const element = el("fieldset", { class: "publish-target" }, el("legend", {}, "Pipeline endpoint"),
    el("div", { class: "radio-row" },
      el("label", {}, modeNew, " Create new"), el("label", {}, modeOld, " Select existing")),
    newBox, oldBox,
    el("div", { class: "field-check" }, setDefault,
      el("label", { for: setDefault.id }, " Set as default pipeline for this endpoint")));
  return { element, focus: nameInput, read };
}

/** The pipeline's parameters and their defaults, as the published version will have them. */
function parameterSummary(graph) {
  const parameters = (graph && graph.doc.parameters) || [];
  return parameters.length
    ? el("table", { class: "publish-parameters", "aria-label": "Pipeline parameters" },
      el("thead", {}, el("tr", {}, el("th", {}, "Parameter"), el("th", {}, "Type"), el("th", {}, "Default value"))),
      el("tbody", {}, parameters.map((p) => el("tr", { dataset: { parameter: p.name } },
        el("td", {}, p.name), el("td", { class: "muted" }, p.type), el("td", {}, describeValue(p.default, "—"))))))
    : el("p", { class: "muted" }, "This pipeline has no parameters: every run of the endpoint does the same.");
}

/** After publishing: what was published where, and a Close button. */
function showPublished(dialog, version) {
  const endpoint = version.endpoint;
  dialog.form.replaceChildren(
    el("h2", { id: dialog.titleId }, "Publish pipeline"),
    el("p", { class: "publish-success", role: "status" },
      `Published version ${version.version} to `,
      el("a", { href: `/endpoints/${encodeURIComponent(endpoint.id)}` }, endpoint.name),
      version.is_default ? " (the default version)." : "."),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "primary", onclick: () => dialog.close(version) }, "Close")));
}

/** A refused publish: validation problems listed by module, other errors as their message. */
function failure(error, graph) {
  const body = error.body || {};
  const problems = [
    ...Object.entries(body.node_errors || {}).flatMap(([node, messages]) =>
      messages.map((m) => `${graph ? graph.label(node) : node}: ${m}`)),
    ...(body.errors || []),
  ];
  if (error.status === 422 || problems.length) {
    return [el("strong", {}, "Fix these problems before publishing:"),
            el("ul", { class: "problem-list" }, (problems.length ? problems : [error.message]).map((p) => el("li", {}, p)))];
  }
  return el("span", {}, error.status ? `${error.message} (HTTP ${error.status})` : error.message);
}
