// The Webhooks tab of the Admin page: add a webhook (URL, one pipeline endpoint or all, events;
// its signing secret shown once), send a test, enable / disable, delete, and each one's
// delivery log with every attempt's status code.
import { alreadyShown, api, notify } from "../api.js";
import { clear, el, when } from "../dom.js";
import { secretBox } from "./copy.js";

const enc = encodeURIComponent;
const EVENT_LABELS = { "run.finished": "Run finished", "run.failed": "Run failed",
                       "run.canceled": "Run canceled", "model.promoted": "Model promoted" };

/** One line per attempt: "500, 503, 200" or the error of an address that did not answer. */
export function attemptsText(delivery) {
  return delivery.attempts.map((a) => (a.status_code === null ? a.error : String(a.status_code))).join(", ");
}

/** A delivery's result: delivered, given up, waiting for its next attempt, or not sent yet. */
export function deliveryResult(d) {
  if (d.delivered) return { status: "Finished", text: `Delivered (${d.status_code})` };
  if (d.state === "failed") return { status: "Failed", text: "Not delivered" };
  if (d.attempts.length) return { status: "Queued", text: `Retrying at ${when(d.next_attempt_at)}` };
  return { status: "Queued", text: "Sending" };
}

function resultBadge({ status, text }) {
  return el("span", { class: `status status-${status}` }, text);
}

function deliveryTable(deliveries) {
  if (!deliveries.length) return el("p", { class: "muted" }, "Nothing sent yet.");
  return el("table", { "aria-label": "Deliveries" },
    el("thead", {}, el("tr", {}, ["Sent", "Event", "Result", "Attempts"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, deliveries.map((d) => el("tr", {},
      el("td", {}, when(d.created)), el("td", {}, el("code", {}, d.event)),
      el("td", {}, resultBadge(deliveryResult(d))),
      el("td", { class: "muted" }, attemptsText(d))))));
}

function hookRow(hook, reload) {
  const log = el("div", { class: "delivery-log", hidden: true });
  const showLog = async () => {
    const { deliveries } = await api(`/api/v1/webhooks/${enc(hook.id)}/deliveries`);
    clear(log).append(deliveryTable(deliveries));
    log.hidden = false;
  };
  const act = (label, run, cls) => el("button", { type: "button", class: cls, "aria-label": `${label} ${hook.url}`,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        await run();
      } catch (error) {
        alreadyShown(error);
      } finally {
        button.disabled = false;
      }
    } }, label);
  const row = el("tr", {},
    el("td", { class: "name-cell" }, el("code", {}, hook.url)),
    el("td", {}, hook.endpoint || "All endpoints"),
    el("td", {}, hook.events.map((e) => EVENT_LABELS[e] || e).join(", ")),
    el("td", {}, el("span", { class: `badge badge-${hook.enabled ? "Active" : "Disabled"}` }, hook.enabled ? "Enabled" : "Disabled")),
    el("td", { class: "actions" },
      act("Send test", async () => {
        await api(`/api/v1/webhooks/${enc(hook.id)}/test`, { method: "POST" });
        notify("Test event sent; its result shows in the deliveries.", "success");
        setTimeout(() => showLog().catch(alreadyShown), 1500);
      }),
      act("Deliveries", showLog),
      act(hook.enabled ? "Disable" : "Enable", async () => {
        await api(`/api/v1/webhooks/${enc(hook.id)}/${hook.enabled ? "disable" : "enable"}`, { method: "POST" });
        await reload();
      }),
      act("Delete", async () => {
        await api(`/api/v1/webhooks/${enc(hook.id)}`, { method: "DELETE" });
        await reload();
      }, "danger")));
  return [row, el("tr", { class: "log-row" }, el("td", { colspan: 5 }, log))];
}

function addForm(secretHost, reload) {
  const url = el("input", { id: "webhook-url", type: "url", required: true, placeholder: "https://example.com/hooks/retrain" });
  const endpoint = el("select", { id: "webhook-endpoint" }, el("option", { value: "" }, "All endpoints"));
  api("/api/v1/endpoints", { quiet: true }).then(({ endpoints }) => {
    endpoint.append(...endpoints.map((e) => el("option", { value: e.name }, e.name)));
  }).catch((error) => console.warn(`The endpoints could not be listed: ${error.message}`));
  const boxes = Object.entries(EVENT_LABELS).map(([key, label]) => {
    const box = el("input", { type: "checkbox", id: `webhook-event-${key}`, value: key, checked: key !== "model.promoted" });
    return el("label", { class: "field-check", for: box.id }, box, label);
  });
  const message = el("div", { class: "error-text", role: "alert" });
  const form = el("form", { class: "inline-form", "aria-label": "Add webhook" },
    el("div", { class: "field" }, el("label", { for: url.id }, "Webhook URL"), url),
    el("div", { class: "field" }, el("label", { for: endpoint.id }, "Pipeline endpoint"), endpoint),
    el("fieldset", { class: "events" }, el("legend", {}, "Events"), boxes),
    el("button", { type: "submit", class: "primary" }, "Add webhook"), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const events = boxes.map((b) => b.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
    try {
      const hook = await api("/api/v1/webhooks", { method: "POST", quiet: true,
                                                   body: { url: url.value.trim(), events, endpoint: endpoint.value || null } });
      clear(secretHost).append(secretBox(`Signing secret of ${hook.url}`, [["Signing secret", hook.secret]],
        "Receivers check the X-Designer-Signature header (sha256=HMAC-SHA256 of the body) with this secret. " +
        "Copy it now: it will not be shown again."));
      url.value = "";
      await reload();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  return form;
}

/** The tab's content and its loader: {node, load}. */
export function webhooksPanel() {
  const host = el("div");
  const secretHost = el("div", { "aria-live": "polite" });
  const load = async () => {
    const { webhooks } = await api("/api/v1/webhooks");
    clear(host).append(webhooks.length
      ? el("table", { "aria-label": "Webhooks" },
        el("thead", {}, el("tr", {}, ["URL", "Endpoint", "Events", "Status", ""].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, webhooks.flatMap((h) => hookRow(h, load))))
      : el("p", { class: "empty" }, "No webhooks yet."));
  };
  const node = el("section", { class: "admin-section", "aria-labelledby": "webhooks-title" },
    el("div", { class: "page-head" }, el("h2", { id: "webhooks-title" }, "Webhooks")),
    el("p", { class: "muted" }, "Each event is POSTed as JSON, signed with the webhook's secret; failed deliveries are retried with backoff."),
    addForm(secretHost, load), secretHost, host);
  return { node, load };
}
