// The designer's Publish button and dialog: publish the draft as a new version of a pipeline endpoint.
import { api } from "../api.js";
import { el, openModal } from "../dom.js";

let uid = 0;

/** A parameter's default value as short text (data paths as datastore:path). */
function formatValue(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "object" && "datastore" in value) return `${value.datastore}:${value.path}`;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

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
  return new Promise((resolve) => {
    const n = ++uid;
    const modeNew = el("input", { type: "radio", name: `publish-mode-${n}`, id: `pm-new-${n}`, value: "new", checked: true });
    const modeOld = el("input", { type: "radio", name: `publish-mode-${n}`, id: `pm-old-${n}`, value: "existing" });
    const nameInput = el("input", { id: `pe-name-${n}`, type: "text", maxlength: "64", autocomplete: "off",
                                    placeholder: "letters, digits, _ or -" });
    const describeEndpoint = el("input", { id: `pe-desc-${n}`, type: "text", maxlength: "5000" });
    const existing = el("select", { id: `pe-select-${n}` }, el("option", { value: "" }, "Loading..."));
    const setDefault = el("input", { id: `pe-default-${n}`, type: "checkbox" });
    const versionDescription = el("textarea", { id: `pv-desc-${n}`, rows: 2, maxlength: "5000" });
    const newBox = el("div", { class: "publish-new" },
      el("div", { class: "field" }, el("label", { for: nameInput.id }, "Endpoint name"), nameInput),
      el("div", { class: "field" }, el("label", { for: describeEndpoint.id }, "Endpoint description"), describeEndpoint));
    const oldBox = el("div", { class: "publish-existing", hidden: true },
      el("div", { class: "field" }, el("label", { for: existing.id }, "Pipeline endpoint"), existing));
    const message = el("div", { class: "publish-message", role: "alert" });
    const publishButtonEl = el("button", { type: "submit", class: "primary" }, "Publish");
    const closeButton = el("button", { type: "button", onclick: () => dialog.close() }, "Cancel");
    const dialog = el("dialog", { class: "publish-dialog", "aria-labelledby": `publish-title-${n}` });

    const endpoints = api("/api/v1/endpoints", { quiet: true }).then((d) => d.endpoints || []).catch((e) => {
      message.textContent = `The endpoints could not be listed: ${e.message}`;
      return [];
    });
    endpoints.then((list) => {
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

    const parameters = (graph && graph.doc.parameters) || [];
    const summary = parameters.length
      ? el("table", { class: "publish-parameters", "aria-label": "Pipeline parameters" },
        el("thead", {}, el("tr", {}, el("th", {}, "Parameter"), el("th", {}, "Type"), el("th", {}, "Default value"))),
        el("tbody", {}, parameters.map((p) => el("tr", { dataset: { parameter: p.name } },
          el("td", {}, p.name), el("td", { class: "muted" }, p.type), el("td", {}, formatValue(p.default))))))
      : el("p", { class: "muted" }, "This pipeline has no parameters: every run of the endpoint does the same.");

    const form = el("form", { method: "dialog" },
      el("h2", { id: `publish-title-${n}` }, "Publish pipeline"),
      el("fieldset", { class: "publish-target" }, el("legend", {}, "Pipeline endpoint"),
        el("div", { class: "radio-row" },
          el("label", {}, modeNew, " Create new"), el("label", {}, modeOld, " Select existing")),
        newBox, oldBox,
        el("div", { class: "field-check" }, setDefault,
          el("label", { for: setDefault.id }, " Set as default pipeline for this endpoint"))),
      el("div", { class: "field" }, el("label", { for: versionDescription.id }, "Version description"), versionDescription),
      el("fieldset", {}, el("legend", {}, "Parameters and their default values"), summary),
      message,
      el("div", { class: "actions" }, closeButton, publishButtonEl));

    let result = null;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.replaceChildren();
      message.className = "publish-message";
      const body = { set_default: setDefault.checked, description: versionDescription.value };
      if (modeNew.checked) {
        const name = nameInput.value.trim();
        if (!name) { showError(message, "Give the new endpoint a name."); nameInput.focus(); return; }
        body.new_endpoint = { name, description: describeEndpoint.value };
      } else {
        if (!existing.value) { showError(message, "Select an endpoint."); return; }
        body.endpoint = existing.value;
      }
      publishButtonEl.disabled = true;
      try {
        result = await api(`/api/v1/pipelines/${encodeURIComponent(pipelineId)}/publish`,
                           { method: "POST", body, quiet: true });
        showPublished(result);
      } catch (error) {
        showFailure(message, error, graph);
        publishButtonEl.disabled = false;
      }
    });

    function showPublished(version) {
      const endpoint = version.endpoint;
      form.replaceChildren(
        el("h2", { id: `publish-title-${n}` }, "Publish pipeline"),
        el("p", { class: "publish-success", role: "status" },
          `Published version ${version.version} to `,
          el("a", { href: `/endpoints/${encodeURIComponent(endpoint.id)}` }, endpoint.name),
          version.is_default ? " (the default version)." : "."),
        el("div", { class: "actions" },
          el("button", { type: "button", class: "primary", onclick: () => dialog.close() }, "Close")));
    }

    dialog.append(form);
    openModal(dialog, () => resolve(result));
    nameInput.focus();
  });
}

function showError(box, text) {
  box.className = "publish-message alert";
  box.replaceChildren(el("span", {}, text));
}

/** A refused publish: validation problems listed by module, other errors as their message. */
function showFailure(box, error, graph) {
  const body = error.body || {};
  const problems = [
    ...Object.entries(body.node_errors || {}).flatMap(([node, messages]) =>
      messages.map((m) => `${graph ? graph.label(node) : node}: ${m}`)),
    ...(body.errors || []),
  ];
  box.className = "publish-message alert";
  if (error.status === 422 || problems.length) {
    box.replaceChildren(el("strong", {}, "Fix these problems before publishing:"),
      el("ul", { class: "problem-list" }, (problems.length ? problems : [error.message]).map((p) => el("li", {}, p))));
  } else {
    box.replaceChildren(el("span", {}, error.status ? `${error.message} (HTTP ${error.status})` : error.message));
  }
}
