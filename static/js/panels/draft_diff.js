// The designer's Compare: the draft as it is now against a version it was published as, or two
// versions of that endpoint, drawn on a read-only canvas laid over the editing one (added,
// removed and changed nodes and wires marked) with every changed field and parameter listed.
import { api, ApiError, notify } from "../api.js";
import { clear, el } from "../dom.js";
import { showDiff } from "./version_diff.js";

const enc = encodeURIComponent;
const DRAFT = "draft";
/** A failed request is already on screen (api() shows it); anything else is shown here. */
const shown = (error) => { if (!(error instanceof ApiError)) notify(error.message); };

/** The Compare button of the designer bar; the view opens over `host` (the canvas area).
 *  autosave: the draft's Autosave (flushed first, so the draft compared is the one shown). */
export function compareButton({ pipelineId, autosave, host }) {
  const button = el("button", { type: "button", title: "Compare this draft with a published version" }, "Compare");
  let panel = null;
  const close = () => { panel?.remove(); panel = null; button.focus(); };
  button.addEventListener("click", async () => {
    if (panel) { close(); return; }
    button.disabled = true;
    try {
      if (!(await autosave.flush())) throw new Error(`The pipeline could not be saved: ${autosave.message}`);
      const { endpoints } = await api(`/api/v1/pipelines/${enc(pipelineId)}/published`);
      panel = comparePanel(pipelineId, endpoints, close);
      host.append(panel);
      panel.querySelector("select, button")?.focus();
    } catch (error) {
      shown(error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** The panel: From (a published version), To (the draft or another version), the diff. */
function comparePanel(pipelineId, endpoints, close) {
  const closeButton = el("button", { type: "button", class: "diff-close", onclick: close }, "Close");
  const panel = el("section", { class: "draft-diff", role: "region", "aria-label": "Compare versions" },
                   el("div", { class: "draft-diff-bar" }, el("h2", {}, "Compare versions"), closeButton));
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  if (!endpoints.length) {
    panel.append(el("p", { class: "muted" }, "This pipeline has not been published yet: publish it to compare its draft with a version."));
    return panel;
  }
  const versions = endpoints.flatMap((e) => e.versions.map((v) => ({ endpoint: e, ...v })));
  const start = versions.filter((v) => v.from_this_draft).at(-1) || versions.at(-1);
  const from = el("select", { "aria-label": "From" }, versions.map((v) => el("option", {
    value: `${v.endpoint.id}:${v.version}`, selected: v === start }, `${v.endpoint.name} version ${v.version}`)));
  const to = el("select", { "aria-label": "To" });
  const fillTo = () => {
    const [endpointId] = from.value.split(":");
    const endpoint = endpoints.find((e) => e.id === endpointId);
    clear(to).append(el("option", { value: DRAFT }, "This draft (current)"),
                     ...endpoint.versions.map((v) => el("option", { value: String(v.version) }, `Version ${v.version}`)));
  };
  from.addEventListener("change", fillTo);
  fillTo();
  const result = el("div", { class: "diff-result" });
  const compare = el("button", { type: "button", class: "primary" }, "Show changes");
  const run = async () => {
    compare.disabled = true;
    try {
      const [endpointId, number] = from.value.split(":");
      const query = to.value === DRAFT ? `?pipeline=${enc(pipelineId)}` : `?to=${enc(to.value)}`;
      await showDiff(result, await api(`/api/v1/endpoints/${enc(endpointId)}/versions/${enc(number)}/diff${query}`));
    } catch (error) {
      shown(error);
    } finally {
      compare.disabled = false;
    }
  };
  compare.addEventListener("click", run);
  panel.append(el("div", { class: "compare-form" }, el("label", { class: "field-inline" }, "From", from),
                  el("label", { class: "field-inline" }, "To", to), compare), result);
  run();
  return panel;
}
