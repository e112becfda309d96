// Pipelines page: list drafts; new, open, duplicate, rename, delete, import and export.
import { api, notify } from "../api.js";
import { clear, el, when } from "../dom.js";

const root = document.getElementById("app");
const alertBox = el("div", { class: "alert", role: "alert", hidden: true });
const tableHost = el("div");

/** Show an API error (with its per-field details) in the page's alert box. */
function showError(prefix, error) {
  clear(alertBox);
  const body = error && error.body ? error.body : {};
  alertBox.append(`${prefix}: ${error.message}`);
  const details = [];
  for (const item of Array.isArray(body.details) ? body.details : []) {
    details.push(item.field ? `${item.field}: ${item.message}` : String(item.message ?? item));
  }
  for (const [node, messages] of Object.entries(body.node_errors || {})) {
    for (const message of messages) details.push(`${node}: ${message}`);
  }
  for (const message of Array.isArray(body.errors) ? body.errors : []) details.push(String(message));
  if (details.length) alertBox.append(el("ul", {}, details.map((d) => el("li", {}, d))));
  alertBox.hidden = false;
}

function hideError() {
  alertBox.hidden = true;
  clear(alertBox);
}

async function fetchDocument(id) {
  return api(`/api/v1/pipelines/${encodeURIComponent(id)}`);
}

async function createPipeline(document) {
  return api("/api/v1/pipelines", { method: "POST", body: { document }, quiet: true });
}

async function newPipeline() {
  const created = await api("/api/v1/pipelines", {
    method: "POST", body: { document: { name: "New pipeline", nodes: [], edges: [] } },
  });
  window.location.assign(`/pipelines/${encodeURIComponent(created.id)}`);
}

async function duplicate(row) {
  const full = await fetchDocument(row.id);
  try {
    await createPipeline({ ...full.document, name: `${full.name} (copy)` });
    notify(`Duplicated "${full.name}".`, "success");
  } catch (error) {
    showError("Duplicate failed", error);
  }
  await load();
}

async function rename(row, name) {
  const trimmed = name.trim();
  if (!trimmed || trimmed === row.name) return load();
  const full = await fetchDocument(row.id);
  try {
    await api(`/api/v1/pipelines/${encodeURIComponent(row.id)}`, {
      method: "PUT", quiet: true,
      body: { document: { ...full.document, name: trimmed }, revision: full.revision },
    });
    hideError();
  } catch (error) {
    showError("Rename failed", error);
  }
  await load();
}

function startRename(row, cell) {
  const input = el("input", { type: "text", value: row.name, "aria-label": "New name",
                              maxlength: "200" });
  let done = false;
  const finish = (save) => {
    if (done) return;
    done = true;
    if (save) rename(row, input.value);
    else load();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") finish(true);
    else if (event.key === "Escape") finish(false);
  });
  input.addEventListener("blur", () => finish(true));
  clear(cell).append(input);
  input.focus();
  input.select();
}

function confirmDelete(row) {
  const dialog = el("dialog", { "aria-labelledby": "delete-title" },
    el("h2", { id: "delete-title" }, "Delete pipeline?"),
    el("p", {}, "Delete ", el("strong", {}, row.name),
       "? Its runs stay in their experiments, but the draft cannot be restored."),
    el("div", { class: "actions" },
      el("button", { type: "button", onclick: () => dialog.close("cancel") }, "Cancel"),
      el("button", { type: "button", class: "danger-fill", onclick: () => dialog.close("delete") },
         "Delete")));
  dialog.addEventListener("close", async () => {
    dialog.remove();
    if (dialog.returnValue !== "delete") return;
    await api(`/api/v1/pipelines/${encodeURIComponent(row.id)}`, { method: "DELETE" });
    notify(`Deleted "${row.name}".`, "success");
    await load();
  });
  document.body.append(dialog);
  dialog.showModal();
}

/** A safe file name from a pipeline name. */
function fileName(name) {
  const base = name.replace(/[^\w\- .()]+/g, "_").trim() || "pipeline";
  return `${base}.json`;
}

async function exportPipeline(row) {
  const full = await fetchDocument(row.id);
  const blob = new Blob([JSON.stringify(full.document, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: fileName(full.name), hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function importFile(file) {
  hideError();
  let parsed;
  try {
    parsed = JSON.parse(await file.text());
  } catch (error) {
    showError(`Import of ${file.name} failed`, { message: `not valid JSON (${error.message})` });
    return;
  }
  // Accept both a bare document and an API answer that wraps it.
  if (parsed && typeof parsed === "object" && parsed.document && !parsed.nodes) {
    parsed = parsed.document;
  }
  try {
    const created = await createPipeline(parsed);
    notify(`Imported "${created.name}".`, "success");
  } catch (error) {
    showError(`Import of ${file.name} failed`, error);
  }
  await load();
}

function statusCell(status) {
  if (!status) return el("span", { class: "muted" }, "Never run");
  return el("span", { class: `status status-${status}` }, el("span", { class: "status-dot" }), status);
}

function renderRow(row) {
  const nameCell = el("td", { class: "name-cell" },
    el("a", { href: `/pipelines/${encodeURIComponent(row.id)}` }, row.name));
  const button = (label, action, extra = {}) => el("button", {
    type: "button", "aria-label": `${label} ${row.name}`, title: label, onclick: action, ...extra,
  }, label);
  return el("tr", { dataset: { pipelineId: row.id } },
    nameCell,
    el("td", {}, String(row.modules)),
    el("td", {}, when(row.updated)),
    el("td", {}, statusCell(row.last_run_status)),
    el("td", {}, el("div", { class: "row-actions" },
      button("Open", () => window.location.assign(`/pipelines/${encodeURIComponent(row.id)}`)),
      button("Duplicate", () => duplicate(row)),
      button("Rename", () => startRename(row, nameCell)),
      button("Export", () => exportPipeline(row)),
      button("Delete", () => confirmDelete(row), { class: "danger" }))));
}

/** Fetch the drafts and redraw the table. */
async function load() {
  const { pipelines } = await api("/api/v1/pipelines");
  clear(tableHost);
  if (!pipelines.length) {
    tableHost.append(el("p", { class: "empty" }, "No pipelines yet. Create one or import a JSON file."));
    return;
  }
  tableHost.append(el("table", { "aria-label": "Pipelines" },
    el("thead", {}, el("tr", {},
      el("th", {}, "Name"), el("th", {}, "Modules"), el("th", {}, "Last edited"),
      el("th", {}, "Last run"), el("th", {}, "Actions"))),
    el("tbody", {}, pipelines.map(renderRow))));
}

function render() {
  const fileInput = el("input", { type: "file", accept: ".json,application/json",
                                  "aria-label": "Import pipeline JSON" });
  fileInput.addEventListener("change", () => {
    const [file] = fileInput.files;
    fileInput.value = "";
    if (file) importFile(file);
  });
  root.append(
    el("div", { class: "page-head" },
      el("h1", {}, "Pipelines"),
      el("label", { class: "button file-button" }, "Import", fileInput),
      el("button", { type: "button", class: "primary", onclick: newPipeline }, "New pipeline")),
    alertBox,
    tableHost);
}

render();
load();
