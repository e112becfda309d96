// Code examples shown on endpoint pages: a titled block with a Copy button, Python literals,
// and the client-credentials token step in curl and in Python.
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

/** The curl lines setting $TOKEN from /oauth2/token on `origin`. */
export function curlToken(origin) {
  return [
    TOKEN_NOTE,
    `TOKEN=$(curl -s -X POST ${origin}/oauth2/token \\`,
    "  -d grant_type=client_credentials -d client_id=CLIENT_ID -d client_secret=CLIENT_SECRET \\",
    "  | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access_token\"])')",
  ];
}

/** A JSON body as one single-quoted shell word. */
export function shellJson(body) {
  return `'${JSON.stringify(body, null, 2).replaceAll("'", "'\\''")}'`;
}

/** The Python lines (requests) setting BASE and `token`. */
export function pythonToken(origin) {
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
  ];
}
