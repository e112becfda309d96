// One real-time endpoint: Overview (scoring URL, model, requests), Test (a form from its input
// schema, scored by the endpoint), Consume (curl and Python with a token), Challengers (compare,
// promote, roll back, decisions, the promotion rule) and Deployments (history, request log).
import { api } from "../api.js";
import { clear, el, when } from "../dom.js";
import { codeBlock, curlExample, pythonExample } from "../panels/code_examples.js";
import { copyButton } from "../panels/copy.js";
import { renderChallengers } from "../panels/challengers.js";
import { renderDeployments } from "../panels/deployments.js";
import { modelLink, ms } from "../panels/served_model.js";
import { fmt } from "../panels/visualize.js";

const root = document.getElementById("app");
const name = root.dataset.endpointName;
const enc = encodeURIComponent;
const TABS = [["overview", "Overview"], ["test", "Test"], ["consume", "Consume"], ["challengers", "Challengers"],
  ["deployments", "Deployments"]];
const SCORED = ["Scored Labels", "Scored Probabilities"];
const state = { endpoint: null, tab: "overview", rows: null };

const head = el("div", { class: "page-head" });
const tabList = el("div", { class: "page-tabs", role: "tablist", "aria-label": "Real-time endpoint" });
const panel = el("section", { role: "tabpanel", id: "realtime-panel" });


/** The body the Test tab and the examples send: each input with its example row (in the
 *  schema's column order). */
function exampleBody(endpoint) {
  const inputs = Object.fromEntries(Object.entries(endpoint.input_schema || {}).map(([input, columns]) => {
    const example = (endpoint.example || {})[input] || {};
    return [input, [Object.fromEntries(columns.map((c) => [c.name, example[c.name] ?? null]))]];
  }));
  return { Inputs: inputs, GlobalParameters: {} };
}

function renderHead() {
  const e = state.endpoint;
  document.title = `${e.name} · Real-time endpoints · Pipeline Designer`;
  clear(head).append(
    el("h1", {}, el("a", { href: "/endpoints#realtime", class: "muted" }, "Real-time endpoints"), " / ", e.name),
    el("span", { class: "badge badge-Active", "data-testid": "endpoint-status" }, e.status),
    e.description ? el("p", { class: "muted subtitle" }, e.description) : "");
}

function renderOverview() {
  const e = state.endpoint;
  const r = e.requests;
  const url = el("input", { type: "text", readonly: true, value: e.scoring_url, "aria-label": "Scoring URL" });
  const fact = (label, value, testId) => [el("dt", {}, label), el("dd", { "data-testid": testId }, value)];
  return [
    el("section", { class: "card", "aria-label": "Endpoint details" }, el("h2", {}, "Details"),
      el("dl", { class: "kv" },
        fact("REST endpoint", el("div", { class: "copy-row" }, url, copyButton("Copy URL", e.scoring_url, url))),
        fact("Deployment state", el("span", { class: "badge badge-Active" }, e.status), "overview-status"),
        fact("Model", modelLink(e.model), "served-model"),
        fact("Deployment", String(e.deployment), "deployment"),
        fact("Inference pipeline", e.pipeline_id
          ? el("a", { href: `/pipelines/${enc(e.pipeline_id)}` }, "Open in the designer") : "—"),
        fact("Created", `${when(e.created)}${e.created_by ? ` by ${e.created_by}` : ""}`),
        fact("Updated", when(e.updated)))),
    el("section", { class: "card", "aria-label": "Requests" }, el("h2", {}, "Requests"),
      el("dl", { class: "kv" },
        fact("Count", String(r.count), "requests-count"),
        fact("Succeeded", String(r.succeeded), "requests-succeeded"),
        fact("Failed", String(r.failed), "requests-failed"),
        fact("Latency p50 / p95 / p99", `${ms(r.p50_ms)} / ${ms(r.p95_ms)} / ${ms(r.p99_ms)}`, "latency"))),
  ];
}

/** One input control for a column of the schema, holding `value`. */
function columnInput(input, column, value) {
  const id = `in-${input}-${column.name}`.replace(/[^\w-]/g, "_");
  const attrs = { id, name: column.name, dataset: { kind: column.type } };
  let control;
  if (column.type === "boolean") {
    control = el("select", attrs, el("option", { value: "" }, "(missing)"),
      el("option", { value: "true" }, "true"), el("option", { value: "false" }, "false"));
    control.value = value === null || value === undefined ? "" : String(value);
  } else {
    const numeric = column.type === "integer" || column.type === "number";
    control = el("input", { ...attrs, type: numeric ? "number" : "text",
                            step: column.type === "integer" ? "1" : numeric ? "any" : null });
    control.value = value === null || value === undefined ? "" : String(value);
  }
  return el("div", { class: "field" }, el("label", { for: id }, column.name,
    el("span", { class: "muted" }, ` (${column.type})`)), control);
}

/** The value a control holds, as the column's JSON type; empty is missing (null). */
function readControl(control) {
  const text = control.value.trim();
  if (text === "") return null;
  const kind = control.dataset.kind;
  if (kind === "boolean") return text === "true";
  if (kind === "integer" || kind === "number") return Number(text);
  return control.value;
}

function resultTable(rows) {
  const columns = Object.keys(rows[0] || {});
  const ordered = [...SCORED.filter((c) => columns.includes(c)), ...columns.filter((c) => !SCORED.includes(c))];
  return el("div", { class: "table-scroll" }, el("table", { "aria-label": "Test result" },
    el("thead", {}, el("tr", {}, ordered.map((c) => el("th", { scope: "col" }, c)))),
    el("tbody", {}, rows.map((row) => el("tr", {}, ordered.map((c) => el("td", { dataset: { column: c } },
      row[c] === null ? "—" : typeof row[c] === "number" ? fmt(row[c]) : String(row[c]))))))));
}

function renderTest() {
  const e = state.endpoint;
  const body = exampleBody(e);
  const result = el("div", { "aria-live": "polite" });
  const form = el("form", { class: "card test-form", "aria-label": "Test the endpoint", novalidate: true },
    Object.entries(e.input_schema || {}).map(([input, columns]) => el("fieldset", { dataset: { input } },
      el("legend", {}, input), columns.map((c) => columnInput(input, c, body.Inputs[input][0][c.name])))),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Test")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const inputs = Object.fromEntries([...form.querySelectorAll("fieldset")].map((set) => [set.dataset.input,
      [Object.fromEntries([...set.querySelectorAll("input, select")].map((c) => [c.name, readControl(c)]))]]));
    button.disabled = true;
    clear(result).append(el("p", { class: "muted" }, "Scoring..."));
    try {
      const answer = await api(`/api/v1/score/${enc(e.name)}`, { method: "POST", quiet: true,
                                                                 body: { Inputs: inputs, GlobalParameters: {} } });
      clear(result).append(...Object.entries(answer.Results).map(([output, rows]) =>
        el("section", { class: "card" }, el("h2", {}, output), resultTable(rows))));
    } catch (error) {
      clear(result).append(el("p", { class: "alert", role: "alert" }, error.message));
    } finally {
      button.disabled = false;
    }
  });
  return [form, result];
}

function renderConsume() {
  const e = state.endpoint;
  const origin = window.location.origin;
  const body = exampleBody(e);
  const note = "# 2. Score rows (Azure's request body; one row here)";
  const curl = curlExample({ origin, note, url: e.scoring_url, body });
  const python = pythonExample({ origin, note, url: JSON.stringify(e.scoring_url), body, after: [
    'for output, rows in response.json()["Results"].items():',
    "    for row in rows:",
    '        print(output, row["Scored Labels"], row.get("Scored Probabilities"))',
  ] });
  return el("section", { class: "card", "aria-label": "Examples" }, el("h2", {}, "Consume"),
    el("dl", { class: "kv" }, el("dt", {}, "REST endpoint"), el("dd", {}, el("code", {}, e.scoring_url)),
      el("dt", {}, "Authentication"), el("dd", {}, "OAuth 2.0 bearer token (client credentials), role runner or above")),
    el("p", { class: "muted" }, "Replace CLIENT_ID and CLIENT_SECRET with a service principal's credentials; "
      + "send up to the server's row limit per request."),
    el("div", { class: "examples" }, codeBlock("curl", curl), codeBlock("Python", python)));
}

/** Fetch the endpoint again (after a promotion or a settings change) and redraw the tab. */
async function reload() {
  state.endpoint = await api(`/api/v1/realtime-endpoints/${enc(name)}`);
  renderHead();
  showTab(state.tab);
}

const RENDER = {
  overview: renderOverview, test: renderTest, consume: renderConsume,
  challengers: () => renderChallengers(state.endpoint, reload),
  deployments: () => renderDeployments(state.endpoint),
};

function showTab(key) {
  state.tab = RENDER[key] ? key : "overview";
  for (const button of tabList.children) button.setAttribute("aria-selected", String(button.dataset.tab === state.tab));
  panel.setAttribute("aria-labelledby", `tab-${state.tab}`);
  history.replaceState(null, "", `#${state.tab}`);
  clear(panel).append(...[RENDER[state.tab]()].flat());
}

async function main() {
  // The tabs appear with the endpoint: a tab clicked earlier would draw from nothing.
  state.endpoint = await api(`/api/v1/realtime-endpoints/${enc(name)}`);
  tabList.append(...TABS.map(([key, label]) => el("button", {
    type: "button", role: "tab", id: `tab-${key}`, "aria-controls": "realtime-panel", dataset: { tab: key },
    onclick: async () => {
      if (key === "overview" || key === "deployments") {
        state.endpoint = await api(`/api/v1/realtime-endpoints/${enc(name)}`);
      }
      showTab(key);
    },
  }, label)));
  root.append(head, tabList, panel);
  renderHead();
  showTab(window.location.hash.slice(1));
}

main().catch((error) => {
  clear(root).append(el("h1", {}, "This endpoint cannot be shown"), el("p", { class: "alert", role: "alert" }, error.message));
});
