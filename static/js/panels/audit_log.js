// The Audit log tab of the Admin page: newest entries first, filtered by action and actor.
import { alreadyShown, api } from "../api.js";
import { clear, el, when } from "../dom.js";

const ACTIONS = [
  "signin.ok", "signin.failed", "signout", "token.issued", "token.refused",
  "user.create", "user.role", "user.enable", "user.disable", "user.password",
  "client.create", "client.enable", "client.disable",
  "datastore.add", "datastore.replace", "datastore.remove", "datastore.upload",
  "endpoint.create", "endpoint.default", "endpoint.enable", "endpoint.disable",
  "pipeline.publish", "pipeline.delete",
  "schedule.create", "schedule.update", "schedule.enable", "schedule.disable", "schedule.delete",
  "webhook.create", "webhook.enable", "webhook.disable", "webhook.delete",
];
const LIMIT = 200;

const details = (entry) => Object.entries(entry.details).map(([key, value]) => `${key}=${value}`).join(" ");

function entryRow(entry) {
  return el("tr", {},
    el("td", {}, when(entry.time)), el("td", {}, entry.actor), el("td", {}, entry.address),
    el("td", {}, el("code", {}, entry.action)), el("td", {}, entry.target),
    el("td", { class: "muted" }, details(entry)));
}

/** The tab's content: a filter form above the entries table (loaded now and on each filter). */
export function auditLog() {
  const action = el("select", { id: "audit-action" },
    el("option", { value: "" }, "All actions"), ACTIONS.map((a) => el("option", { value: a }, a)));
  const actor = el("input", { id: "audit-actor", type: "text", placeholder: "user:alice or client:nightly",
                              autocomplete: "off" });
  const host = el("div", { "aria-live": "polite" });
  async function load() {
    const query = new URLSearchParams({ limit: String(LIMIT) });
    if (action.value) query.set("action", action.value);
    if (actor.value.trim()) query.set("actor", actor.value.trim());
    const { entries } = await api(`/api/v1/audit?${query}`);
    clear(host).append(entries.length
      ? el("table", { "aria-label": "Audit log" },
        el("thead", {}, el("tr", {}, ["Time", "Actor", "Address", "Action", "Target", "Details"]
          .map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, entries.map(entryRow)))
      : el("p", { class: "empty" }, "No entries match."));
  }
  const form = el("form", { class: "inline-form", "aria-label": "Filter the audit log" },
    el("div", { class: "field" }, el("label", { for: action.id }, "Action"), action),
    el("div", { class: "field" }, el("label", { for: actor.id }, "Actor"), actor),
    el("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch(alreadyShown);
  });
  action.addEventListener("change", () => load().catch(alreadyShown));
  return { node: el("div", {}, el("p", { class: "muted" },
    `Sign-ins, tokens and every change to accounts, datastores and endpoints; the newest ${LIMIT} shown.`),
  form, host), load };
}
