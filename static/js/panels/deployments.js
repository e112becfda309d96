// Deployments tab of a real-time endpoint: every deployment it has had (deploy, promote, roll
// back) and its request log per time bucket (counts, latency percentiles), kept across restarts.
import { api } from "../api.js";
import { clear, el, when } from "../dom.js";
import { modelLink, ms } from "./served_model.js";
import { plot } from "./visualize.js";

const enc = encodeURIComponent;
const ACTIONS = { deploy: "Deployed", promote: "Promoted", "roll back": "Rolled back" };

/** The Deployments tab of `endpoint` (its JSON form, with the request log). */
export function renderDeployments(endpoint) {
  const history = el("section", { class: "card", "aria-label": "Deployments" }, el("h2", {}, "Deployments"),
    el("p", { class: "muted" }, "Loading…"));
  api(`/api/v1/realtime-endpoints/${enc(endpoint.name)}/deployments`, { quiet: true })
    .then(({ deployments }) => fillHistory(history, deployments))
    .catch((error) => clear(history).append(el("p", { class: "alert", role: "alert" }, error.message)));
  return [history, requestLog(endpoint.requests)];
}

function fillHistory(section, deployments) {
  clear(section).append(el("h2", {}, "Deployments"));
  if (!deployments.length) {
    section.append(el("p", { class: "muted" }, "No deployment recorded."));
    return;
  }
  section.append(el("div", { class: "table-scroll" }, el("table", { "aria-label": "Deployments" },
    el("thead", {}, el("tr", {}, ["Deployment", "What", "Model version", "Inference pipeline", "When", "By", "Reason"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, deployments.map((d) => el("tr", { dataset: { deployment: d.deployment } },
      el("td", {}, String(d.deployment)), el("td", {}, ACTIONS[d.action] || d.action),
      el("td", {}, modelLink(d.model)),
      el("td", {}, d.pipeline_id ? el("a", { href: `/pipelines/${enc(d.pipeline_id)}` }, "Open") : "—"),
      el("td", {}, when(d.created)), el("td", {}, d.deployed_by || "—"), el("td", {}, d.reason || "—")))))));
}

function requestLog(requests) {
  const fact = (label, value, testId) => [el("dt", {}, label), el("dd", { "data-testid": testId }, value)];
  const section = el("section", { class: "card", "aria-label": "Request log" }, el("h2", {}, "Request log"),
    el("dl", { class: "kv" },
      fact("Requests", String(requests.count), "log-count"),
      fact("Succeeded / failed", `${requests.succeeded} / ${requests.failed}`, "log-outcomes"),
      fact("Latency p50 / p95 / p99", `${ms(requests.p50_ms)} / ${ms(requests.p95_ms)} / ${ms(requests.p99_ms)}`,
        "log-latency")),
    el("p", { class: "muted" }, `Per ${requests.bucket_seconds / 60} minute; the newest ${requests.buckets.length} `
      + "with requests. Written every few seconds, kept across restarts."));
  if (!requests.buckets.length) return section;
  const chart = el("div", { class: "chart", "aria-label": "Requests per minute" });
  const buckets = [...requests.buckets].reverse();
  section.append(chart, el("div", { class: "table-scroll" }, el("table", { "aria-label": "Request log" },
    el("thead", {}, el("tr", {}, ["Minute", "Succeeded", "Failed", "p50", "p95", "p99"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, buckets.map((b) => el("tr", {}, el("td", {}, when(b.start)), el("td", {}, String(b.succeeded)),
      el("td", {}, String(b.failed)), el("td", {}, ms(b.p50_ms)), el("td", {}, ms(b.p95_ms)),
      el("td", {}, ms(b.p99_ms))))))));
  // Drawn once the chart's cell is in the page, so it takes its final width.
  requestAnimationFrame(() => drawChart(chart, requests.buckets));
  return section;
}

function drawChart(target, buckets) {
  // One category a bucket: a lone minute gets a bar of its own width, not a zoom to milliseconds.
  const x = buckets.map((b) => new Date(b.start).toLocaleString([], { month: "short", day: "numeric",
                                                                     hour: "2-digit", minute: "2-digit" }));
  const line = (key, name) => ({ x, y: buckets.map((b) => b[key] ?? null), name, mode: "lines+markers", yaxis: "y2" });
  plot(target, [
    { x, y: buckets.map((b) => b.succeeded), name: "succeeded", type: "bar", marker: { color: "#1a7f37" } },
    { x, y: buckets.map((b) => b.failed), name: "failed", type: "bar", marker: { color: "#cf222e" } },
    line("p50_ms", "p50 ms"), line("p95_ms", "p95 ms"), line("p99_ms", "p99 ms"),
  ], { title: { text: "Requests and latency per minute" }, barmode: "stack",
       xaxis: { type: "category" }, yaxis: { title: { text: "requests" } },
       yaxis2: { title: { text: "latency (ms)" }, overlaying: "y", side: "right", rangemode: "tozero" } });
}
