// How the real-time endpoint's tabs name a model version and a latency.
import { el } from "../dom.js";

const enc = encodeURIComponent;

/** "income version 2" for {name, version}. */
export const versionText = (model) => `${model.name} version ${model.version}`;

/** A link to the model's page labelled with the version, or a dash. */
export const modelLink = (model) => (model && model.name
  ? el("a", { href: `/models/${enc(model.name)}` }, versionText(model))
  : el("span", { class: "muted" }, "—"));

/** Milliseconds with one decimal, or a dash when not measured. */
export const ms = (value) => (value === undefined || value === null ? "—" : `${value.toFixed(1)} ms`);
