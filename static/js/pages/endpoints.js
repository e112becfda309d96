// Endpoints page: tab "Pipeline endpoints" (every published endpoint with its last run) and tab
// "Real-time endpoints" (what each serves and how often it was called).
import { api } from "../api.js";
import { clear, el, when } from "../dom.js";

const root = document.getElementById("app");
const tableHost = el("div", { id: "endpoints-panel", role: "tabpanel", "aria-labelledby": "tab-pipeline" });
const TABS = [["pipeline", "Pipeline endpoints"], ["realtime", "Real-time endpoints"]];
let tab = "pipeline";

const enc = encodeURIComponent;
const statusBadge = (status) => el("span", { class: `status status-${status}` }, el("span", { class: "status-dot" }), status);

function row(endpoint) {
  const last = endpoint.last_run;
  return el("tr", { dataset: { endpointId: endpoint.id, endpointName: endpoint.name } },
    el("td", { class: "name-cell" }, el("a", { href: `/endpoints/${enc(endpoint.id)}` }, endpoint.name)),
    el("td", {}, endpoint.description || el("span", { class: "muted" }, "—")),
    el("td", {}, endpoint.default_version === null ? "—" : `Version ${endpoint.default_version}`),
    el("td", { class: "num" }, String(endpoint.versions)),
    el("td", {}, el("span", { class: `badge badge-${endpoint.status}` }, endpoint.status)),
    el("td", {}, last
      ? el("a", { href: `/runs/${enc(last.id)}`, title: `Run ${last.id}` }, statusBadge(last.status), " ", when(last.created))
      : el("span", { class: "muted" }, "No runs yet")));
}

/** The table of pipeline endpoints. */
async function pipelineTable() {
  const { endpoints } = await api("/api/v1/endpoints");
  if (!endpoints.length) {
    return el("p", { class: "empty" }, "No pipeline endpoints yet. Open a pipeline in the designer and press Publish.");
  }
  return el("table", { "aria-label": "Pipeline endpoints" },
    el("thead", {}, el("tr", {}, ["Name", "Description", "Default version", "Versions", "Status", "Last run"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, endpoints.map(row)));
}

function realtimeRow(endpoint) {
  const model = endpoint.model;
  return el("tr", { dataset: { endpointName: endpoint.name } },
    el("td", { class: "name-cell" }, el("a", { href: `/endpoints/realtime/${enc(endpoint.name)}` }, endpoint.name),
      endpoint.description ? el("div", { class: "muted" }, endpoint.description) : null),
    el("td", {}, model
      ? el("a", { href: `/models/${enc(model.name)}` }, `${model.name} version ${model.version}`)
      : el("span", { class: "muted" }, "—")),
    el("td", { class: "num" }, String(endpoint.deployment)),
    el("td", { class: "num" }, String(endpoint.requests.count)),
    el("td", {}, when(endpoint.updated)));
}

/** The table of real-time endpoints. */
async function realtimeTable() {
  const { endpoints } = await api("/api/v1/realtime-endpoints");
  if (!endpoints.length) {
    return el("p", { class: "empty" }, "No real-time endpoints yet. On a finished training run, press "
      + "Create inference pipeline, then Deploy the new pipeline from the designer.");
  }
  return el("table", { "aria-label": "Real-time endpoints" },
    el("thead", {}, el("tr", {}, ["Name", "Model", "Deployment", "Requests", "Updated"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, endpoints.map(realtimeRow)));
}

let loads = 0;  // the number of the latest load: an earlier one answering late draws nothing

/** Fetch the open tab's endpoints and draw its table (or why it could not be loaded). */
async function load() {
  const ticket = ++loads;
  let shown;
  try {
    shown = await (tab === "realtime" ? realtimeTable() : pipelineTable());
  } catch (error) {
    shown = el("p", { class: "alert", role: "alert" }, `The endpoints could not be loaded: ${error.message}`);
  }
  if (ticket === loads) clear(tableHost).append(shown);
}

const tabList = el("div", { class: "page-tabs", role: "tablist", "aria-label": "Endpoint kinds" },
  TABS.map(([key, label]) => el("button", { type: "button", role: "tab", id: `tab-${key}`, dataset: { tab: key },
                                            "aria-controls": "endpoints-panel", onclick: () => show(key) }, label)));

/** Open a tab (its key is kept in the address: /endpoints#realtime). */
function show(key) {
  tab = TABS.some(([k]) => k === key) ? key : "pipeline";
  for (const button of tabList.children) button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  tableHost.setAttribute("aria-labelledby", `tab-${tab}`);
  history.replaceState(null, "", tab === "pipeline" ? window.location.pathname : `#${tab}`);
  clear(tableHost).append(el("p", { class: "muted" }, "Loading..."));
  load();
}

root.append(
  el("div", { class: "page-head" }, el("h1", {}, "Endpoints"),
    el("button", { type: "button", onclick: load }, "Refresh")),
  tabList, tableHost);
show(window.location.hash.slice(1));
