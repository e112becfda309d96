// The Schedules tab of a pipeline endpoint: each schedule or trigger with its timing, next fire
// times, Edit / Enable / Disable / Delete, and its history (every run it started, with status).
import { api, alreadyShown } from "../api.js";
import { el, when } from "../dom.js";
import { formDialog } from "./dialog.js";
import { formatValue } from "./outputs.js";
import { openScheduleForm, zoned } from "./schedule_form.js";

const enc = encodeURIComponent;
const HISTORY_SECONDS = 5; // how often an open tab looks for new runs

/** One line saying when a schedule fires. */
export function timingText(s) {
  if (s.kind === "cron") return `Cron ${s.cron} (${s.timezone})`;
  if (s.kind === "interval") return `Every ${s.interval_seconds} s`;
  const w = s.watch || {};
  return `New files ${w.datastore}:${w.pattern} → ${w.parameter} (poll ${w.poll_seconds} s, unchanged ${w.settle_seconds} s)`;
}

/** What a fire ran on: its data path values, shortest first. */
export function firedWith(entry) {
  return Object.entries(entry.parameters || {}).map(([k, v]) => `${k}=${formatValue(v)}`).join("; ");
}

const badge = (status) => el("span", { class: `status status-${status}` }, el("span", { class: "status-dot" }), status);

function historyTable(schedule, history) {
  if (!history.length) return el("p", { class: "muted" }, "No runs started yet.");
  return el("table", { "aria-label": `History of ${schedule.name}` },
    el("thead", {}, el("tr", {}, ["Fired", "For", "Run", "Status", "Parameters"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, history.map((h) => el("tr", {},
      el("td", {}, when(h.created)),
      el("td", {}, schedule.kind === "new_data" ? h.slot.split("@")[0] : zoned(h.fire_time, schedule.timezone),
         h.catch_up ? el("span", { class: "muted" }, " (catch-up)") : null),
      el("td", {}, h.run_id ? el("a", { href: `/runs/${enc(h.run_id)}` }, h.run_id.slice(0, 8)) : "—"),
      el("td", {}, h.status ? badge(h.status) : el("span", { class: "error-text" }, h.error || "not started")),
      el("td", { class: "params-short" }, firedWith(h) || "—")))));
}

function confirmDelete(url, schedule) {
  return formDialog({
    title: `Delete schedule ${schedule.name}?`, submitLabel: "Delete", build: (dialog) => ({
      body: el("p", {}, "Its history goes too; the runs it started stay."),
      submit: async () => dialog.close(await api(url, { method: "DELETE" }).then(() => true, alreadyShown)),
    }),
  });
}

function scheduleCard(endpoint, schedule, reload) {
  const url = `/api/v1/endpoints/${enc(endpoint.id)}/schedules/${enc(schedule.name)}`;
  const act = (label, run, cls) => {
    const button = el("button", { type: "button", class: cls }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        if (await run()) await reload();
      } catch (error) {
        alreadyShown(error);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  };
  const history = el("div", { class: "schedule-history" }, el("p", { class: "muted" }, "Loading history..."));
  const upcoming = schedule.enabled && schedule.upcoming.length
    ? [el("h3", {}, "Next fire times"),
       el("ol", { class: "fire-times", "aria-label": `Next fire times of ${schedule.name}` },
          schedule.upcoming.map((t) => el("li", { title: t }, zoned(t, schedule.timezone))))]
    : null;
  const card = el("article", { class: "version schedule", "aria-label": `Schedule ${schedule.name}` },
    el("div", { class: "version-head" },
      el("h2", {}, schedule.name),
      el("span", { class: `badge badge-${schedule.enabled ? "Active" : "Disabled"}` }, schedule.enabled ? "Enabled" : "Disabled"),
      el("span", { class: "muted" }, timingText(schedule)),
      el("div", { class: "actions" },
        act("Edit", () => openScheduleForm({ endpoint, schedule })),
        act(schedule.enabled ? "Disable" : "Enable", () => api(`${url}/${schedule.enabled ? "disable" : "enable"}`, { method: "POST" })),
        act("Delete", () => confirmDelete(url, schedule), "danger"))),
    el("p", { class: "muted" }, `Version: ${schedule.version === null ? "default" : schedule.version}; experiment ${schedule.run.experiment_name}`),
    upcoming, el("h3", {}, "History"), history);
  const loadHistory = async () => {
    const full = await api(url, { quiet: true });
    history.replaceChildren(historyTable(schedule, full.history));
  };
  return { card, loadHistory };
}

/**
 * The tab's content for ``endpoint``: {nodes, stop}. ``reload`` redraws the tab; while it is
 * shown each schedule's history is looked at again every few seconds, until ``stop()``.
 */
export async function schedulesPanel(endpoint, reload) {
  const { schedules } = await api(`/api/v1/endpoints/${enc(endpoint.id)}/schedules`);
  const add = el("button", { type: "button", class: "primary" }, "New schedule");
  add.addEventListener("click", async () => {
    if (await openScheduleForm({ endpoint })) await reload();
  });
  const cards = schedules.map((s) => scheduleCard(endpoint, s, reload));
  const refresh = () => Promise.all(cards.map((c) => c.loadHistory())).catch((error) => {
    console.warn(`The schedule history could not be loaded: ${error.message}`);
  });
  refresh();
  const timer = setInterval(refresh, HISTORY_SECONDS * 1000);
  return {
    stop: () => clearInterval(timer),
    nodes: [
      el("div", { class: "toolbar" }, add,
         el("span", { class: "muted" }, "Runs this endpoint on a timetable, or when new data files arrive.")),
      ...(cards.length ? cards.map((c) => c.card) : [el("p", { class: "empty" }, "No schedules yet.")]),
    ],
  };
}
