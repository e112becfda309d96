// Models page: every registered model, or one model's versions with their lineage.
import { api } from "../api.js";
import { clear, el, when } from "../dom.js";
import { formatValue } from "../panels/outputs.js";
import { fmt } from "../panels/visualize.js";

const root = document.getElementById("app");
const modelName = root.dataset.model || null;
const enc = encodeURIComponent;
const host = el("section", { id: "models-panel" });

const runLink = (runId) => (runId
  ? el("a", { href: `/runs/${enc(runId)}`, title: `Run ${runId}` }, `Run ${runId.slice(0, 8)}`)
  : el("span", { class: "muted" }, "run deleted"));

function origin(version) {
  if (version.endpoint) {
    return el("span", {}, el("a", { href: `/endpoints/${enc(version.endpoint)}` }, version.endpoint),
      ` version ${version.endpoint_version}`);
  }
  return el("span", { class: "muted" }, version.source === "manual" ? "registered by hand" : "—");
}

/** The headline metrics of a version: every scalar of its first evaluation. */
function metricList(version) {
  const entries = Object.entries(version.metrics || {});
  if (!entries.length) return el("span", { class: "muted" }, "No metrics");
  return entries.map(([node, values]) => el("dl", { class: "kv metrics", dataset: { node } },
    Object.entries(values).flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, fmt(value))])));
}

function dataList(version) {
  if (!(version.data || []).length) return el("span", { class: "muted" }, "No data files");
  return el("ul", { class: "plain" }, version.data.map((d) => el("li", { dataset: { node: d.node } },
    el("code", {}, `${d.datastore}:${d.path}`),
    d.sha256
      ? el("span", { class: "muted", title: `SHA-256 ${d.sha256}` }, ` sha256 ${d.sha256.slice(0, 12)}…`)
      : el("span", { class: "muted" }, ` (${d.problem || "not readable"})`))));
}

function modelRow(model) {
  const latest = model.latest;
  return el("tr", { dataset: { model: model.name } },
    el("td", { class: "name-cell" }, el("a", { href: `/models/${enc(model.name)}` }, model.name)),
    el("td", { class: "num" }, latest ? `Version ${latest.version}` : "—"),
    el("td", { class: "num" }, String(model.versions)),
    el("td", {}, latest ? origin(latest) : "—"),
    el("td", {}, latest ? when(latest.created) : "—"));
}

async function showList() {
  const { models } = await api("/api/v1/models");
  clear(host);
  if (!models.length) {
    host.append(el("p", { class: "empty" },
      "No models yet. Each run of a pipeline endpoint registers the model it trained; on any "
      + "finished run, open Train Model's outputs and press Register model."));
    return;
  }
  host.append(el("table", { "aria-label": "Models" },
    el("thead", {}, el("tr", {}, ["Name", "Latest", "Versions", "From", "Registered"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, models.map(modelRow))));
}

function versionRow(name, v) {
  const download = `/api/v1/models/${enc(name)}/versions/${v.version}/download`;
  return el("tr", { dataset: { version: String(v.version) } },
    el("th", { scope: "row" }, `Version ${v.version}`),
    el("td", {}, when(v.created), el("br"), el("span", { class: "muted" }, v.registered_by || "")),
    el("td", {}, runLink(v.run_id), el("br"), origin(v)),
    el("td", {}, dataList(v)),
    el("td", {}, el("span", { class: "params" }, Object.entries(v.parameters || {})
      .map(([k, value]) => `${k} = ${formatValue(value)}`).join("; ") || "—")),
    el("td", {}, metricList(v)),
    el("td", {}, el("a", { class: "button", href: download, download: "",
                           "aria-label": `Download version ${v.version} (MLflow)` }, "Download (MLflow)")));
}

async function showModel() {
  const model = await api(`/api/v1/models/${enc(modelName)}`);
  clear(host).append(
    el("p", { class: "muted" }, `${model.versions.length} version(s); label column `,
      el("code", {}, (model.versions[0] || {}).label_column || "—"), "."),
    el("table", { "aria-label": "Model versions" },
      el("thead", {}, el("tr", {}, ["Version", "Registered", "Run", "Data", "Parameters", "Metrics", ""]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, model.versions.map((v) => versionRow(model.name, v)))));
}

const show = modelName ? showModel : showList;
root.append(
  el("div", { class: "page-head" },
    modelName
      ? el("h1", {}, el("a", { href: "/models" }, "Models"), " / ", modelName)
      : el("h1", {}, "Models"),
    el("button", { type: "button", onclick: () => load() }, "Refresh")),
  host);

function load() {
  host.setAttribute("aria-busy", "true");
  return show()
    .catch((error) => {
      clear(host).append(el("p", { class: "alert", role: "alert" }, `The models could not be loaded: ${error.message}`));
    })
    .finally(() => host.removeAttribute("aria-busy"));
}
host.append(el("p", { class: "muted" }, "Loading..."));
load();
