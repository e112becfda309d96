// The schedule dialog of a pipeline endpoint: when it fires (cron in a time zone, an interval,
// or new files in a datastore folder), the version and the parameter values each run gets, and
// the next five fire times, asked of the server as the timing is typed.
import { api, fallback } from "../api.js";
import { el } from "../dom.js";
import { formDialog } from "./dialog.js";
import { submitBody } from "./endpoint_submit.js";
import { parameterField, readFields, runFields } from "./parameter_fields.js";
import { fromSchema } from "../values.js";

const KINDS = [["cron", "Cron expression"], ["interval", "Interval"], ["new_data", "New data"]];
let uid = 0;

/** A labelled control: {input, node}. */
function field(label, input, hint) {
  input.id ||= `schedule-${++uid}`;
  return { input, node: el("div", { class: "field" }, el("label", { for: input.id }, label), input,
                           hint ? el("div", { class: "muted hint" }, hint) : null) };
}

const select = (options, value) => el("select", {}, options.map(([key, text]) =>
  el("option", { value: key, selected: String(key) === String(value) }, text)));

/** A fire time as the schedule's own zone shows it (the browser's zone if that one is unknown). */
export function zoned(iso, timeZone) {
  const options = { weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit",
                    minute: "2-digit", timeZoneName: "short" };
  try {
    return new Date(iso).toLocaleString(undefined, { ...options, timeZone });
  } catch {
    return new Date(iso).toLocaleString(undefined, options);
  }
}

/** The timing controls and the live preview of the next fire times. */
function timingControls(schedule, endpointUrl) {
  const kind = field("Kind", select(KINDS, schedule.kind || "cron"));
  const cron = field("Cron expression", el("input", { type: "text", value: schedule.cron || "0 2 * * *" }),
                     "minute hour day-of-month month day-of-week, e.g. 30 2 * * 1-5");
  const zone = field("Time zone", el("input", { type: "text",
    value: schedule.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" }));
  const every = field("Every (seconds)", el("input", { type: "number", min: "1",
                                                      value: schedule.interval_seconds || 3600 }));
  const next = el("ol", { class: "fire-times", "aria-label": "Next fire times" });
  const note = el("div", { class: "muted hint", role: "status" });
  const read = () => ({ kind: kind.input.value, cron: cron.input.value, timezone: zone.input.value.trim() || "UTC",
                        interval_seconds: Number(every.input.value) || null });
  let asked = 0;
  const refresh = async () => {
    const timing = read();
    cron.node.hidden = zone.node.hidden = timing.kind !== "cron";
    every.node.hidden = timing.kind !== "interval";
    next.replaceChildren();
    if (timing.kind === "new_data") {
      note.textContent = "Starts a run for each new or changed file once it stops changing.";
      return;
    }
    const mine = ++asked;
    try {
      const answer = await api(`${endpointUrl}/schedules/preview`, { method: "POST", body: timing, quiet: true });
      if (mine !== asked) return;
      note.textContent = "Next fire times:";
      next.replaceChildren(...answer.next.map((t) => el("li", { title: t }, zoned(t, timing.timezone))));
    } catch (error) {
      if (mine === asked) note.textContent = error.message;
    }
  };
  for (const f of [kind, cron, zone, every]) f.input.addEventListener("input", refresh);
  kind.input.addEventListener("change", refresh);
  refresh();
  return { read, refresh, kind,
           nodes: [kind.node, cron.node, zone.node, every.node, el("div", { class: "preview" }, note, next)] };
}

/** The new-data controls: datastore, glob, which data path parameter a file fills, polling. */
function watchControls(schedule, versionParams) {
  const watch = schedule.watch || {};
  const store = field("Datastore", select([[watch.datastore || "samples", watch.datastore || "samples"]], watch.datastore));
  api("/api/v1/datastores?counts=false", { quiet: true }).then(({ datastores }) => {
    store.input.replaceChildren(...datastores.map((d) => el("option", { value: d.name, selected: d.name === watch.datastore }, d.name)));
  }).catch(fallback("The datastores could not be listed", null));
  const pattern = field("Files (glob)", el("input", { type: "text", value: watch.pattern || "incoming/*.csv" }),
                        "Inside the datastore, e.g. incoming/*.csv");
  const paths = versionParams().filter((p) => p.type === "data_path").map((p) => [p.name, p.name]);
  const parameter = field("Data path parameter", select(paths, watch.parameter));
  const poll = field("Poll every (seconds)", el("input", { type: "number", min: "1", value: watch.poll_seconds ?? 30 }));
  const settle = field("Unchanged for (seconds)", el("input", { type: "number", min: "0", value: watch.settle_seconds ?? 10 }),
                       "A file counts once its size and time stayed the same this long.");
  const node = el("fieldset", {}, el("legend", {}, "Watch"), store.node, pattern.node, parameter.node, poll.node, settle.node);
  return { node, read: () => ({ datastore: store.input.value, pattern: pattern.input.value.trim(),
                                parameter: parameter.input.value, poll_seconds: Number(poll.input.value),
                                settle_seconds: Number(settle.input.value) }) };
}

/** The saved run values of a schedule, as the parameter fields show them. */
function savedValue(schedule, name, fallbackValue) {
  const run = schedule.run || {};
  const path = (run.data_path_assignments || {})[name];
  if (path) return path;
  return name in (run.parameter_assignments || {}) ? run.parameter_assignments[name] : fallbackValue;
}

/**
 * Open the dialog to create (schedule null) or edit a schedule of ``endpoint``; resolves to the
 * saved schedule or null.
 */
export function openScheduleForm({ endpoint, schedule = null }) {
  const endpointUrl = `/api/v1/endpoints/${encodeURIComponent(endpoint.id)}`;
  const current = schedule || {};
  const versions = endpoint.published || [];
  return formDialog({
    title: schedule ? `Edit schedule ${schedule.name}` : `New schedule of ${endpoint.name}`,
    className: "endpoint-submit schedule-form", submitLabel: "Save", messageClass: "submit-message", failClass: "alert",
    build: (dialog) => {
      const name = field("Name", el("input", { type: "text", maxlength: "64", value: current.name || "" }));
      const version = field("Version", select([["", "Default version"], ...versions.map((v) => [v.version, `Version ${v.version}`])],
                                              current.version ?? ""));
      const chosen = () => versions.find((v) => String(v.version) === version.input.value)
        || versions.find((v) => v.is_default) || versions[0] || {};
      const versionParams = () => Object.entries((chosen().parameter_schema || {}).properties || {})
        .map(([key, s]) => fromSchema(key, s));
      const timing = timingControls(current, endpointUrl);
      const watch = watchControls(current, versionParams);
      const showWatch = () => { watch.node.hidden = timing.kind.input.value !== "new_data"; };
      timing.kind.input.addEventListener("change", showWatch);
      showWatch();
      const catchUp = el("input", { type: "checkbox", id: `schedule-${++uid}`, checked: current.catch_up ?? true });
      const run = runFields({ experiment: current.run?.experiment_name || endpoint.name,
                              description: current.run?.description || "" });
      const params = el("fieldset", {}, el("legend", {}, "Parameters"));
      let fields = [];
      const buildParams = () => {
        fields = versionParams().map((p) => parameterField(p, savedValue(current, p.name, p.default)));
        params.replaceChildren(el("legend", {}, "Parameters"), ...fields.map((f) => f.node));
      };
      version.input.addEventListener("change", buildParams);
      buildParams();
      const save = async () => {
        const { values, dataPaths, ok } = readFields(fields);
        if (!ok) return dialog.fail("Correct the marked parameters.");
        const kind = timing.kind.input.value;
        const body = { ...timing.read(), name: name.input.value.trim(), catch_up: catchUp.checked,
                       enabled: current.enabled ?? true,
                       version: version.input.value === "" ? null : Number(version.input.value),
                       run: submitBody(run.experiment.value.trim() || endpoint.name, run.description.value, values, dataPaths),
                       watch: kind === "new_data" ? watch.read() : null };
        if (kind !== "cron") body.cron = null;
        if (kind !== "interval") body.interval_seconds = null;
        try {
          const path = schedule ? `${endpointUrl}/schedules/${encodeURIComponent(schedule.name)}` : `${endpointUrl}/schedules`;
          dialog.close(await api(path, { method: schedule ? "PUT" : "POST", body, quiet: true }));
        } catch (error) {
          fields.find((f) => f.name === error.body?.parameter)?.setError(error.message);
          dialog.fail(error.message);
        }
      };
      return { submit: save, focus: name.input, body: [
        name.node, timing.nodes, watch.node, version.node,
        el("div", { class: "field field-check" }, catchUp, el("label", { for: catchUp.id }, "Catch up missed fire times (one run)")),
        run.nodes, params,
      ] };
    },
  });
}
