// One pipeline endpoint: Overview (REST URL, status, code examples), Published pipelines, Runs,
// Schedules.
import { api, notify } from "../api.js";
import { clear, el, when } from "../dom.js";
import { formatValue } from "../panels/outputs.js";
import { fmt } from "../panels/visualize.js";
import { openEndpointSubmit } from "../panels/endpoint_submit.js";
import { copyButton } from "../panels/copy.js";
import { exportButton } from "../panels/export_python.js";
import { compareCard, readOnlyCanvas } from "../panels/version_diff.js";
import { codeBlock, curlExample, pythonExample } from "../panels/code_examples.js";
import { schedulesPanel } from "../panels/schedules.js";

const root = document.getElementById("app");
const endpointId = root.dataset.endpointId;
const enc = encodeURIComponent;
const TABS = [["overview", "Overview"], ["published", "Published pipelines"], ["runs", "Runs"],
              ["schedules", "Schedules"]];
const state = { endpoint: null, tab: "overview", catalog: null, stop: null };

const head = el("div", { class: "page-head" });
const tabList = el("div", { class: "page-tabs", role: "tablist", "aria-label": "Endpoint" });
const panel = el("section", { role: "tabpanel", id: "endpoint-panel" });

const statusBadge = (status) => el("span", { class: `status status-${status}` }, el("span", { class: "status-dot" }), status);
const endpointUrl = () => `/api/v1/endpoints/${enc(endpointId)}`;

/** The submit body the examples send: the default version's data paths (with their defaults). */
function exampleBody(endpoint) {
  const version = (endpoint.published || []).find((v) => v.is_default) || (endpoint.published || [])[0];
  const dataPaths = {};
  for (const p of (version && version.parameters) || []) {
    if (p.type !== "data_path") continue;
    const d = p.default || {};
    dataPaths[p.name] = { DataStoreName: d.datastore || "DATASTORE", RelativePath: d.path || "folder/file.csv" };
  }
  if (!Object.keys(dataPaths).length) {
    dataPaths.PARAMETER_NAME = { DataStoreName: "DATASTORE", RelativePath: "folder/file.csv" };
  }
  return { ExperimentName: endpoint.name, Description: "Retrained from code", DataPathAssignments: dataPaths };
}

function examples(endpoint) {
  const origin = window.location.origin;
  const url = `${origin}/api/v1/endpoints/${endpoint.id}/submit`;
  const body = exampleBody(endpoint);
  const curl = curlExample({ origin, url, body,
    note: "# 2. Submit a run of the default version (add ?pipelineVersion=N for another one)" });
  const python = pythonExample({ origin, body,
    note: "# 2. Submit a run of the default version (params={\"pipelineVersion\": N} for another one)",
    url: `f"{BASE}/api/v1/endpoints/${endpoint.id}/submit"`,
    after: ['run_id = response.json()["Id"]', 'print("Submitted run", run_id, f"{BASE}/runs/{run_id}")'] });
  return el("section", { class: "card", "aria-label": "Examples" }, el("h2", {}, "Submit from code"),
    el("p", { class: "muted" }, "Replace CLIENT_ID and CLIENT_SECRET with a service principal's credentials " +
      "(role runner or above); change the data path to retrain on new data."),
    el("div", { class: "examples" }, codeBlock("curl", curl), codeBlock("Python", python)));
}

function renderHead() {
  const e = state.endpoint;
  document.title = `${e.name} · Endpoints · Pipeline Designer`;
  clear(head).append(
    el("h1", {}, el("a", { href: "/endpoints", class: "muted" }, "Endpoints"), " / ", e.name),
    el("span", { class: `badge badge-${e.status}`, "data-testid": "endpoint-status" }, e.status),
    e.description ? el("p", { class: "muted subtitle" }, e.description) : "");
}

function renderOverview() {
  const e = state.endpoint;
  const urlInput = el("input", { type: "text", readonly: true, value: e.rest_url, "aria-label": "REST endpoint" });
  const enabled = e.status === "Active";
  const toggle = el("button", { type: "button", class: enabled ? "danger" : "primary" }, enabled ? "Disable" : "Enable");
  toggle.addEventListener("click", async () => {
    toggle.disabled = true;
    try {
      await api(`${endpointUrl()}/${enabled ? "disable" : "enable"}`, { method: "POST" });
      await refresh();
    } catch {
      toggle.disabled = false;
    }
  });
  return [
    el("section", { class: "card", "aria-label": "Endpoint details" }, el("h2", {}, "Details"),
      el("dl", { class: "kv" },
        el("dt", {}, "REST endpoint"),
        el("dd", {}, el("div", { class: "copy-row" }, urlInput, copyButton("Copy URL", e.rest_url, urlInput))),
        el("dt", {}, "Status"),
        el("dd", {}, el("span", { class: `badge badge-${e.status}`, "data-testid": "overview-status" }, e.status), toggle),
        el("dt", {}, "ID"), el("dd", {}, el("code", {}, e.id)),
        el("dt", {}, "Default version"), el("dd", {}, e.default_version === null ? "—" : String(e.default_version)),
        el("dt", {}, "Created"), el("dd", {}, when(e.created), e.created_by ? ` by ${e.created_by}` : ""))),
    examples(e),
  ];
}

const paramText = (params) => params.map((p) => `${p.name}: ${formatValue(p.default)}`);

function versionCard(v) {
  const graphHost = el("div", { class: "version-graph", hidden: true, "aria-label": `Graph of version ${v.version}` });
  const graphButton = el("button", { type: "button" }, "View graph");
  graphButton.addEventListener("click", () => toggleGraph(v, graphHost, graphButton));
  const setDefault = el("button", { type: "button" }, "Set as default");
  setDefault.addEventListener("click", async () => {
    setDefault.disabled = true;
    try {
      await api(`${endpointUrl()}/default`, { method: "POST", body: { version: v.version } });
      notify(`Version ${v.version} is now the default.`, "success");
      await refresh();
    } catch {
      setDefault.disabled = false;
    }
  });
  const submit = el("button", { type: "button", class: "primary" }, "Submit");
  submit.addEventListener("click", async () => {
    const answer = await openEndpointSubmit({ endpoint: state.endpoint, version: v });
    if (answer) window.location.assign(`/runs/${enc(answer.Id)}`);
  });
  const params = v.parameters || [];
  return el("article", { class: "version", "aria-label": `Version ${v.version}`,
                         dataset: { version: v.version, default: String(v.is_default) } },
    el("div", { class: "version-head" },
      el("h2", {}, `Version ${v.version}`),
      v.is_default ? el("span", { class: "badge badge-default", "data-testid": "default-marker" }, "Default") : null,
      el("span", { class: "muted" }, `Published ${when(v.published)}${v.published_by ? ` by ${v.published_by}` : ""}`),
      el("div", { class: "actions" }, v.is_default ? null : setDefault, graphButton,
        exportButton(null, `${endpointUrl()}/versions/${v.version}/export.py`), submit)),
    v.description ? el("p", {}, v.description) : null,
    params.length
      ? el("ul", { class: "params", "aria-label": "Parameters" }, paramText(params).map((t) => el("li", {}, el("code", {}, t))))
      : el("p", { class: "muted" }, "No parameters."),
    graphHost);
}

async function toggleGraph(v, host, button) {
  if (!host.hidden) {
    host.hidden = true;
    button.textContent = "View graph";
    return;
  }
  host.hidden = false;
  button.textContent = "Hide graph";
  if (host.childElementCount) return;
  try {
    await readOnlyCanvas(host, v.document);
  } catch (error) {
    host.append(el("p", { class: "error-text" }, `The graph cannot be shown: ${error.message}`));
  }
}

function renderPublished() {
  const versions = [...(state.endpoint.published || [])].sort((a, b) => b.version - a.version);
  if (!versions.length) return el("p", { class: "empty" }, "No published versions.");
  return [compareCard(state.endpoint), ...versions.map(versionCard)];
}

function firstMetric(run) {
  const first = Object.values(run.metrics || {})[0];
  const [name, value] = Object.entries(first || {})[0] || [];
  return name === undefined ? "—" : `${name} ${fmt(value)}`;
}

async function renderRuns() {
  const { runs } = await api(`${endpointUrl()}/runs`);
  if (!runs.length) return el("p", { class: "empty" }, "No runs yet. Submit a published version.");
  return el("table", { "aria-label": "Endpoint runs" },
    el("thead", {}, el("tr", {}, ["Run", "Version", "Parameters", "Status", "Submitted by", "Submitted", "Key metric"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, runs.map((run) => {
      const params = Object.entries(run.parameters || {}).map(([k, v]) => `${k}=${formatValue(v)}`).join("; ");
      return el("tr", { dataset: { runId: run.id } },
        el("td", { class: "name-cell" }, el("a", { href: `/runs/${enc(run.id)}` }, run.id.slice(0, 8)),
          run.description ? el("div", { class: "muted" }, run.description) : null),
        el("td", {}, run.endpoint_version === null ? "—" : String(run.endpoint_version)),
        el("td", { class: "params-short", title: params }, params || "—"),
        el("td", {}, statusBadge(run.status)),
        el("td", {}, run.submitted_by || "—", run.source ? el("span", { class: "muted" }, ` (${run.source.toUpperCase()})`) : null),
        el("td", {}, when(run.created)),
        el("td", { class: "num" }, firstMetric(run)));
    })));
}

async function tabContent(tab) {
  if (tab === "overview") return renderOverview();
  if (tab === "published") return renderPublished();
  if (tab === "runs") return renderRuns();
  const schedules = await schedulesPanel(state.endpoint, refresh);
  state.stop = schedules.stop;
  return schedules.nodes;
}

async function showTab(name, { push = true } = {}) {
  state.tab = TABS.some(([key]) => key === name) ? name : "overview";
  for (const button of tabList.children) {
    button.setAttribute("aria-selected", String(button.dataset.tab === state.tab));
  }
  panel.setAttribute("aria-labelledby", `tab-${state.tab}`);
  if (push) history.replaceState(null, "", `#${state.tab}`);
  clear(panel).append(el("p", { class: "muted" }, "Loading..."));
  state.stop?.();
  state.stop = null;
  try {
    const content = await tabContent(state.tab);
    clear(panel).append(...[content].flat());
  } catch (error) {
    clear(panel).append(el("p", { class: "alert", role: "alert" }, error.message));
  }
}

/** Reload the endpoint and redraw the header and the open tab. */
async function refresh() {
  state.endpoint = await api(endpointUrl());
  renderHead();
  await showTab(state.tab, { push: false });
}

async function main() {
  tabList.append(...TABS.map(([key, label]) => el("button", {
    type: "button", role: "tab", id: `tab-${key}`, "aria-controls": "endpoint-panel", dataset: { tab: key },
    onclick: () => showTab(key),
  }, label)));
  root.append(head, tabList, panel);
  state.tab = window.location.hash.slice(1) || "overview";
  await refresh();
}

main().catch((error) => {
  clear(root).append(el("h1", {}, "This endpoint cannot be shown"), el("p", { class: "alert", role: "alert" }, error.message));
});
