// The one fetch wrapper: JSON in and out, CSRF header, API errors turned into visible messages.
import { el } from "./dom.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : null;
}

/**
 * Call the API: api("/api/v1/pipelines", {method: "POST", body: {...}}).
 * Resolves to the parsed JSON (or null for 204); rejects with ApiError.
 * With {quiet: true} the caller handles errors itself; otherwise they are also shown.
 * {keepalive: true} lets the request outlive the page (a save as the page is left).
 */
export async function api(path, { method = "GET", body, quiet = false, signal, keepalive = false } = {}) {
  const headers = { Accept: "application/json" };
  const token = csrfToken();
  if (token) headers["X-CSRF-Token"] = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, signal, keepalive, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    const failure = new ApiError(0, { error: `The server cannot be reached (${error.message}).` });
    if (!quiet) notify(failure.message);
    throw failure;
  }
  if (response.status === 204) return null;
  const data = await jsonOf(response);
  if (!response.ok) throw refusal(response.status, data, quiet);
  return data;
}

async function jsonOf(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { error: text.slice(0, 200) || `HTTP ${response.status}` };
  }
}

function refusal(status, data, quiet) {
  const failure = new ApiError(status, data);
  if (!quiet) notify(failure.message);
  return failure;
}

/**
 * Download a file the API answers (an exported script): the browser saves it under the name
 * the server gives. A refusal is shown like api()'s and rejects with ApiError.
 */
export async function download(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) throw refusal(response.status, await jsonOf(response), false);
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (/filename="([^"]+)"/.exec(disposition) || [])[1] || "download";
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Rejection handler of an api() call made without {quiet: true}: api() has shown the error
 * already. Anything else (a bug, not a failed request) is thrown on, to the console.
 */
export function alreadyShown(error) {
  if (!(error instanceof ApiError)) throw error;
}

/**
 * Rejection handler of a request whose failure costs only a convenience (a hint, a suggestion
 * list): the failure is logged with `what` and `value` stands in for the answer.
 */
export function fallback(what, value) {
  return (error) => {
    console.warn(`${what}: ${error.message}`);
    return value;
  };
}

/** Show a toast message (kind: error, info, success) for a few seconds, or until dismissed. */
export function notify(message, kind = "error") {
  let box = document.getElementById("toasts");
  if (!box) {
    box = el("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  const toast = el("div", { class: `toast toast-${kind}` }, el("span", { class: "toast-text" }, message),
                   el("button", { type: "button", class: "toast-dismiss", "aria-label": "Dismiss message",
                                  onclick: () => toast.remove() }, "×"));
  box.append(toast);
  setTimeout(() => toast.remove(), kind === "error" ? 8000 : 3500);
  return toast;
}
