// Version diff: two published versions (or a version and its draft) on one read-only canvas,
// added / removed / changed nodes and wires highlighted, changed fields and parameters listed.
import { alreadyShown, api } from "../api.js";
import { clear, el } from "../dom.js";
import { formatValue } from "./outputs.js";

const enc = encodeURIComponent;
const DRAFT = "draft";
let catalog = null;

/** Draw `document` read-only into `host` with the designer's canvas; the CanvasView. */
export async function readOnlyCanvas(host, document) {
  const [{ CanvasView }, { Graph }] = await Promise.all([import("../canvas/view.js"), import("../canvas/graph.js")]);
  catalog ||= api("/api/v1/modules").then((d) => new Map(d.modules.map((m) => [m.name, m])));
  const view = new CanvasView(host, new Graph(document, await catalog), { readOnly: true });
  requestAnimationFrame(() => view.fit());
  return view;
}

/** The "Compare versions" card of an endpoint's Published pipelines tab. */
export function compareCard(endpoint) {
  const numbers = (endpoint.published || []).map((v) => v.version).sort((a, b) => a - b);
  const pick = (label, options, value) => el("label", { class: "field-inline" }, label,
    el("select", { "aria-label": label }, options.map(([v, text]) => el("option", { value: String(v), selected: v === value }, text))));
  const versions = numbers.map((n) => [n, `Version ${n}`]);
  const from = pick("From", versions, numbers[Math.max(0, numbers.length - 2)]);
  const to = pick("To", [...versions, [DRAFT, "Its draft (current)"]], numbers.length > 1 ? numbers.at(-1) : DRAFT);
  const button = el("button", { type: "button" }, "Compare");
  const result = el("div", { class: "diff-result" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const target = to.querySelector("select").value;
      const query = target === DRAFT ? "" : `?to=${enc(target)}`;
      const base = from.querySelector("select").value;
      showDiff(result, await api(`/api/v1/endpoints/${enc(endpoint.id)}/versions/${enc(base)}/diff${query}`));
    } catch (error) {
      alreadyShown(error);
    } finally {
      button.disabled = false;
    }
  });
  return el("section", { class: "card compare", "aria-label": "Compare versions" },
    el("h2", {}, "Compare versions"), el("div", { class: "compare-form" }, from, to, button), result);
}

/** Both documents' nodes and wires: the "to" side, plus what the "from" side had and lost. */
export function mergedDocument(diff) {
  const removedNodes = new Set(diff.nodes.removed);
  const removedEdges = new Set(diff.edges.removed);
  const old = diff.from.document;
  const key = (e) => `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`;
  return { ...diff.to.document,
    nodes: [...diff.to.document.nodes, ...old.nodes.filter((n) => removedNodes.has(n.id))],
    edges: [...diff.to.document.edges, ...old.edges.filter((e) => removedEdges.has(key(e)))] };
}

/** Draw `diff` into `host`: the legend, the merged documents on a read-only canvas with the
 *  changes marked, and the list of changes. */
export async function showDiff(host, diff) {
  const canvas = el("div", { class: "version-graph diff-graph", "aria-label": `Changes from ${diff.from.label} to ${diff.to.label}` });
  clear(host).append(
    el("p", { class: "diff-legend" }, `${diff.from.label} → ${diff.to.label}: `,
      el("span", { class: "diff-key diff-added" }, "added"), el("span", { class: "diff-key diff-removed" }, "removed"),
      el("span", { class: "diff-key diff-changed" }, "changed")),
    canvas, changeList(diff));
  const view = await readOnlyCanvas(canvas, mergedDocument(diff));
  mark(view, diff);
}

/** Classes on the canvas's node groups and wires: diff-added, diff-removed, diff-changed. */
function mark(view, diff) {
  const nodes = [["added", diff.nodes.added], ["removed", diff.nodes.removed], ["changed", Object.keys(diff.nodes.changed)]];
  for (const [kind, ids] of nodes) {
    for (const id of ids) view.nodeEls.get(id)?.g.classList.add(`diff-${kind}`);
  }
  for (const [kind, keys] of [["added", diff.edges.added], ["removed", diff.edges.removed]]) {
    for (const key of keys) {
      const [from, to] = key.split("->");
      view.container.querySelector(`path.wire[data-from="${CSS.escape(from)}"][data-to="${CSS.escape(to)}"]`)
        ?.classList.add(`diff-${kind}`);
    }
  }
}

const change = (name, c) => el("li", {}, el("code", {}, name), ": ", formatValue(c.from), " → ", formatValue(c.to));

/** The changes as text: nodes, wires, fields, parameters (or "No changes."). */
function changeList(diff) {
  const items = [];
  const label = (doc, id) => `${doc.nodes.find((n) => n.id === id)?.module ?? "?"} (${id})`;
  for (const id of diff.nodes.added) items.push(el("li", {}, `Node added: ${label(diff.to.document, id)}`));
  for (const id of diff.nodes.removed) items.push(el("li", {}, `Node removed: ${label(diff.from.document, id)}`));
  for (const [id, c] of Object.entries(diff.nodes.changed)) {
    const fields = Object.entries({ ...(c.fields || {}), ...(c.module ? { module: c.module } : {}),
      ...(c.comment ? { comment: c.comment } : {}), ...(c.regenerate_output ? { regenerate_output: c.regenerate_output } : {}) });
    items.push(el("li", {}, `Node changed: ${label(diff.to.document, id)}`, el("ul", {}, fields.map(([f, v]) => change(f, v)))));
  }
  for (const key of diff.edges.added) items.push(el("li", {}, `Wire added: ${key}`));
  for (const key of diff.edges.removed) items.push(el("li", {}, `Wire removed: ${key}`));
  const p = diff.parameters;
  for (const name of p.added) items.push(el("li", {}, `Parameter added: ${name}`));
  for (const name of p.removed) items.push(el("li", {}, `Parameter removed: ${name}`));
  for (const [name, c] of Object.entries(p.changed)) {
    items.push(el("li", {}, `Parameter changed: ${name}`, el("ul", {}, Object.entries(c).map(([f, v]) => change(f, v)))));
  }
  for (const [f, v] of Object.entries(diff.pipeline)) items.push(change(f, v));
  return items.length ? el("ul", { class: "diff-list", "aria-label": "Changes" }, items)
    : el("p", { class: "muted", "aria-label": "Changes" }, "No changes.");
}
