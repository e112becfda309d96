// Challengers tab of a real-time endpoint: each challenger beside the champion on the same
// held-out rows, Promote and Roll back (with a reason), every decision, and the settings of the
// link to a pipeline endpoint and of the automatic promotion rule.
import { api } from "../api.js";
import { clear, el, when } from "../dom.js";
import { formDialog } from "./dialog.js";
import { modelLink, versionText } from "./served_model.js";
import { renderEvaluation } from "./visualize.js";

const enc = encodeURIComponent;
const SIDES = ["Champion", "Challenger"];

/** The Challengers tab: sections filled as their data arrives; `reload` redraws the page. */
export function renderChallengers(endpoint, reload) {
  const base = `/api/v1/realtime-endpoints/${enc(endpoint.name)}`;
  const sections = {
    challengers: el("section", { "aria-label": "Challengers" }, el("p", { class: "muted" }, "Loading…")),
    earlier: el("section", { class: "card", "aria-label": "Earlier versions" }),
    decisions: el("section", { class: "card", "aria-label": "Decisions" }),
  };
  const fail = (section) => (error) => clear(section).append(el("p", { class: "alert", role: "alert" }, error.message));
  const loadChallengers = () => api(`${base}/challengers`, { quiet: true })
    .then(({ challengers }) => fillChallengers(sections.challengers, endpoint, challengers, reload))
    .catch(fail(sections.challengers));
  loadChallengers();
  api(`${base}/deployments`, { quiet: true })
    .then(({ deployments }) => fillEarlier(sections.earlier, endpoint, deployments, reload))
    .catch(fail(sections.earlier));
  api(`${base}/decisions`, { quiet: true })
    .then(({ decisions }) => fillDecisions(sections.decisions, decisions))
    .catch(fail(sections.decisions));
  return [
    el("section", { class: "card", "aria-label": "Champion" }, el("h2", {}, "Champion"),
      el("p", { "data-testid": "champion" }, modelLink(endpoint.model),
        el("span", { class: "muted" }, ` · deployment ${endpoint.deployment}`))),
    sections.challengers, sections.earlier, sections.decisions, settingsForm(endpoint, loadChallengers),
  ];
}

function fillChallengers(section, endpoint, challengers, reload) {
  clear(section).append(el("h2", {}, "Challengers"));
  if (!challengers.length) {
    section.append(el("p", { class: "empty" }, endpoint.pipeline_endpoint
      ? `No challenger yet: retrain ${endpoint.pipeline_endpoint} to register one.`
      : "No challenger yet: link a pipeline endpoint below; each of its retrains registers one."));
    return;
  }
  challengers.forEach((version, index) => {
    const model = { name: version.model, version: version.version };
    const comparison = el("div", { class: "comparison", "aria-live": "polite" });
    const compareButton = el("button", { type: "button", onclick: () => compare() }, "Compare with the champion");
    const compare = () => {
      compareButton.remove();
      showComparison(comparison, endpoint, model);
    };
    section.append(el("article", { class: "card challenger", "aria-label": versionText(model) },
      el("div", { class: "version-head" }, el("h3", {}, modelLink(model)),
        el("span", { class: "muted" }, `registered ${when(version.created)}`,
          version.run_id ? " from run " : "",
          version.run_id ? el("a", { href: `/runs/${enc(version.run_id)}` }, version.run_id.slice(0, 8)) : ""),
        el("div", { class: "actions" }, compareButton, el("button", {
          type: "button", class: "primary",
          onclick: () => decide(endpoint, model, "Promote", reload),
        }, "Promote"))),
      comparison));
    if (index === 0) compare();  // the newest challenger is compared at once
  });
}

/** Champion and challenger scored on the challenger run's held-out rows, side by side. */
async function showComparison(target, endpoint, model) {
  target.append(el("p", { class: "muted" }, "Scoring both on the same held-out rows…"));
  let answer;
  try {
    answer = await api(`/api/v1/realtime-endpoints/${enc(endpoint.name)}/compare?model=${enc(model.name)}`
      + `&version=${model.version}`, { quiet: true });
  } catch (error) {
    clear(target).append(el("p", { class: "alert", role: "alert" }, error.message));
    return;
  }
  const side = (evaluation) => versionText({ name: evaluation.model, version: evaluation.version });
  clear(target).append(el("p", { class: "muted", "data-testid": "compared-on" },
    `Champion ${side(answer.champion)} and challenger ${side(answer.challenger)}, both scored on `
    + `the ${answer.rows} held-out rows of run `, el("a", { href: `/runs/${enc(answer.run_id)}` },
      answer.run_id.slice(0, 8)), "."));
  renderEvaluation(target, answer.champion, answer.challenger, SIDES);
}

/** Ask for a confirmation and a reason, then serve `model` (a promotion or a roll back). */
async function decide(endpoint, model, verb, reload) {
  const reason = el("textarea", { id: "decision-reason", rows: 3, maxlength: 2000 });
  const done = await formDialog({
    title: `${verb} ${versionText(model)}?`, className: "decision-dialog", submitLabel: verb,
    build: (dialog) => ({
      focus: reason,
      body: [
        el("p", {}, `${endpoint.name} serves `, endpoint.model ? versionText(endpoint.model) : "no registered model",
          ` now; it will serve ${versionText(model)} from its next request. Requests in flight finish on the `
          + "model they started with."),
        el("div", { class: "field" }, el("label", { for: "decision-reason" }, "Reason"), reason),
      ],
      submit: async () => {
        try {
          const answer = await api(`/api/v1/realtime-endpoints/${enc(endpoint.name)}/promote`, {
            method: "POST", quiet: true,
            body: { model: model.name, version: model.version, reason: reason.value.trim() },
          });
          dialog.close(answer);
        } catch (error) {
          dialog.fail(error.message);
        }
      },
    }),
  });
  if (done) await reload();
}

function fillEarlier(section, endpoint, deployments, reload) {
  const current = endpoint.model ? versionText(endpoint.model) : "";
  const seen = new Set([current]);
  const earlier = deployments.map((d) => d.model).filter((m) => {
    if (!m || seen.has(versionText(m))) return false;
    seen.add(versionText(m));
    return true;
  });
  clear(section).append(el("h2", {}, "Earlier versions"));
  if (!earlier.length) {
    section.append(el("p", { class: "muted" }, "No earlier version has been served."));
    return;
  }
  section.append(el("ul", { class: "earlier" }, earlier.map((model) => el("li", {}, modelLink(model), " ",
    el("button", { type: "button", "aria-label": `Roll back to ${versionText(model)}`,
                   onclick: () => decide(endpoint, model, "Roll back to", reload) }, "Roll back")))));
}

function fillDecisions(section, decisions) {
  clear(section).append(el("h2", {}, "Decisions"));
  if (!decisions.length) {
    section.append(el("p", { class: "muted" }, "No decision yet."));
    return;
  }
  const label = (text) => (text ? text.replace(/:(\d+)$/, " version $1") : "—");
  section.append(el("div", { class: "table-scroll" }, el("table", { "aria-label": "Decisions" },
    el("thead", {}, el("tr", {}, ["When", "Decision", "Challenger", "Champion before", "By", "Reason"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, decisions.map((d) => el("tr", {},
      el("td", {}, when(d.created)),
      el("td", {}, `${d.rolled_back ? "Rolled back" : d.promoted ? "Promoted" : "Kept the champion"} `
        + `(${d.automatic ? "automatic" : "by hand"})`),
      el("td", {}, label(d.challenger)), el("td", {}, label(d.champion)),
      el("td", {}, d.decided_by || "—"), el("td", {}, d.reason || "—")))))));
}

/** The link to a pipeline endpoint and the promotion rule, saved with PATCH; `onSaved` runs
 *  after a save (the link decides who the challengers are). */
function settingsForm(endpoint, onSaved) {
  const linked = el("select", { id: "rt-linked" }, el("option", { value: "" }, "(none)"));
  const rule = endpoint.auto_promote;
  const auto = el("input", { type: "checkbox", id: "rt-auto", checked: Boolean(rule) });
  const metric = el("select", { id: "rt-metric" },
    endpoint.auto_promote_metrics.map((m) => el("option", { value: m }, m)));
  metric.value = rule ? rule.metric : "auc";
  const margin = el("input", { type: "number", id: "rt-margin", step: "any", value: String(rule ? rule.margin : 0) });
  const status = el("p", { role: "status", class: "muted" });
  api("/api/v1/endpoints", { quiet: true }).then(({ endpoints }) => {
    linked.append(...endpoints.map((p) => el("option", { value: p.name }, p.name)));
    linked.value = endpoint.pipeline_endpoint || "";
  }).catch((error) => { status.textContent = error.message; });
  const form = el("form", { class: "card settings-form", "aria-label": "Champion / challenger settings", novalidate: true },
    el("h2", {}, "Settings"),
    el("div", { class: "field" }, el("label", { for: "rt-linked" }, "Pipeline endpoint"), linked,
      el("span", { class: "muted hint" }, "Each retrain of this pipeline endpoint registers a challenger.")),
    el("label", { class: "field-check" }, auto, "Promote automatically when the challenger is better"),
    el("div", { class: "field" }, el("label", { for: "rt-metric" }, "Metric"), metric),
    el("div", { class: "field" }, el("label", { for: "rt-margin" }, "Margin"), margin,
      el("span", { class: "muted hint" }, "The challenger must beat the champion by more than this, on the same rows.")),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Save")), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { pipeline_endpoint: linked.value || null,
                   auto_promote: auto.checked ? { metric: metric.value, margin: Number(margin.value || 0) } : null };
    status.className = "muted";
    try {
      Object.assign(endpoint, await api(`/api/v1/realtime-endpoints/${enc(endpoint.name)}`,
                                        { method: "PATCH", body, quiet: true }));
      status.textContent = "Saved";
      onSaved();
    } catch (error) {
      status.textContent = error.message;
      status.className = "alert";
    }
  });
  return form;
}
