// Code examples shown on endpoint pages: a titled block with a Copy button, Python literals,
// and scripts that get a client-credentials token and POST a JSON body, in curl and in Python.
import { el } from "../dom.js";
import { copyButton } from "./copy.js";

/** A titled code block with a Copy button; the <pre> is labelled "<title> example". */
export function codeBlock(title, text) {
  const pre = el("pre", { "aria-label": `${title} example` }, el("code", {}, text));
  return el("div", {}, el("h3", {}, title),
    el("div", { class: "code-block" }, pre, copyButton(`Copy the ${title} example`, text, pre)));
}

/** Python literal of a JSON value (True/False/None, dicts, lists). */
export function py(value, indent = "") {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return `[${value.map((v) => py(v, indent)).join(", ")}]`;
  if (typeof value === "object") {
    const inner = `${indent}    `;
    const items = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${py(v, inner)},`);
    return items.length ? `{\n${items.join("\n")}\n${indent}}` : "{}";
  }
  return JSON.stringify(value);
}

const TOKEN_NOTE = "# 1. A token for a service principal (client credentials; ask an admin for them)";

/**
 * A curl script: a token from /oauth2/token on `origin`, then `body` POSTed as JSON to `url`
 * under the comment `note`.
 */
export function curlExample({ origin, note, url, body }) {
  const shellBody = JSON.stringify(body, null, 2).replaceAll("'", "'\\''");
  return [
    TOKEN_NOTE,
    `TOKEN=$(curl -s -X POST ${origin}/oauth2/token \\`,
    "  -d grant_type=client_credentials -d client_id=CLIENT_ID -d client_secret=CLIENT_SECRET \\",
    "  | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access_token\"])')",
    "",
    note,
    `curl -s -X POST ${url} \\`,
    '  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\',
    `  -d '${shellBody}'`,
  ].join("\n");
}

/**
 * A Python script (requests): BASE = `origin`, a token, then `body` POSTed to `url` (a Python
 * expression) under the comment `note`; `after` are the lines reading `response`.
 */
export function pythonExample({ origin, note, url, body, after }) {
  return [
    "import requests",
    "",
    `BASE = ${JSON.stringify(origin)}`,
    "",
    TOKEN_NOTE,
    "token = requests.post(f\"{BASE}/oauth2/token\", data={",
    '    "grant_type": "client_credentials",',
    '    "client_id": "CLIENT_ID",',
    '    "client_secret": "CLIENT_SECRET",',
    "}).json()[\"access_token\"]",
    "",
    note,
    "response = requests.post(",
    `    ${url},`,
    '    headers={"Authorization": f"Bearer {token}"},',
    `    json=${py(body, "    ")},`,
    ")",
    "response.raise_for_status()",
    ...after,
  ].join("\n");
}
