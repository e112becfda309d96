// Endpoints page: the "Pipeline endpoints" tab listing every published endpoint with its last run.
import { alreadyShown, api } from "../api.js";
import { clear, el, when } from "../dom.js";

const root = document.getElementById("app");
const tableHost = el("div", { id: "endpoints-panel", role: "tabpanel", "aria-labelledby": "tab-pipeline-endpoints" });

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

/** Fetch the endpoints and draw the table. */
async function load() {
  const { endpoints } = await api("/api/v1/endpoints");
  clear(tableHost);
  if (!endpoints.length) {
    tableHost.append(el("p", { class: "empty" },
      "No pipeline endpoints yet. Open a pipeline in the designer and press Publish."));
    return;
  }
  tableHost.append(el("table", { "aria-label": "Pipeline endpoints" },
    el("thead", {}, el("tr", {}, ["Name", "Description", "Default version", "Versions", "Status", "Last run"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, endpoints.map(row))));
}

root.append(
  el("div", { class: "page-head" }, el("h1", {}, "Endpoints"),
    el("button", { type: "button", onclick: () => load().catch(alreadyShown) }, "Refresh")),
  el("div", { class: "page-tabs", role: "tablist", "aria-label": "Endpoint kinds" },
    el("button", { type: "button", role: "tab", id: "tab-pipeline-endpoints", "aria-selected": "true",
                   "aria-controls": "endpoints-panel" }, "Pipeline endpoints")),
  tableHost);
tableHost.append(el("p", { class: "muted" }, "Loading..."));
load().catch((error) => {
  clear(tableHost).append(el("p", { class: "alert", role: "alert" }, `The endpoints could not be loaded: ${error.message}`));
});
