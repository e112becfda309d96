// Autosave of the draft: debounced PUT with the revision; a stale tab is told, never overwrites.
import { api } from "../api.js";

// Browsers refuse keepalive requests whose bodies add up to more than 64 KiB.
const KEEPALIVE_BYTES = 60 * 1024;

/** Saves `graph` to PUT /api/v1/pipelines/<id>; events "state" (detail {state, message}), "conflict". */
export class Autosave extends EventTarget {
  /** Start watching graph changes; revision is the stored revision the document came from. */
  constructor(pipelineId, graph, revision, { delay = 600 } = {}) {
    super();
    this.url = `/api/v1/pipelines/${encodeURIComponent(pipelineId)}`;
    this.graph = graph;
    this.revision = revision;
    this.delay = delay;
    this.timer = 0;
    this.inflight = null;
    this.savedJson = JSON.stringify(graph.doc);
    this.held = null;
    this.state = "saved";
    this.message = "";
    graph.addEventListener("change", () => this.schedule());
    window.addEventListener("beforeunload", (e) => {
      if (!this.saveOnLeave()) { e.preventDefault(); e.returnValue = ""; }
    });
    window.addEventListener("pagehide", () => this.saveOnLeave());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.saveOnLeave();
    });
  }

  /** True when the document differs from what the server has. */
  get dirty() {
    return JSON.stringify(this.graph.doc) !== this.savedJson;
  }

  /** Save soon (debounced). */
  schedule() {
    if (this.state === "conflict") return;
    clearTimeout(this.timer);
    if (!this.dirty) { if (!this.inflight) this.setState("saved"); return; }
    this.setState("saving");
    this.timer = setTimeout(() => this.save(), this.delay);
  }

  /** Save now and wait; resolves true when the server has the current document. */
  async flush() {
    clearTimeout(this.timer);
    if (this.state === "conflict") return false;
    if (this.inflight) await this.inflight;
    if (this.dirty) await this.save();
    return this.state === "saved";
  }

  /** Save what is unsaved now, as the page is left or hidden, in a request that outlives the
   *  page. False when that cannot carry the edit (a save in flight, whose new revision it would
   *  need; a document too large for a keepalive request), so the page asks before leaving. */
  saveOnLeave() {
    if (!this.dirty || this.state === "conflict") return true;
    if (this.inflight || this.held) return false;
    if (new TextEncoder().encode(JSON.stringify(this.graph.doc)).length > KEEPALIVE_BYTES) return false;
    clearTimeout(this.timer);
    this.save({ keepalive: true });
    return true;
  }

  /** Stop autosaving (after a conflict). */
  stop(message) {
    clearTimeout(this.timer);
    this.setState("conflict", message);
  }

  /** Make saves wait for `promise` (a parameter edit sent to the server). */
  holdUntil(promise) {
    const held = promise.finally(() => { if (this.held === held) this.held = null; });
    this.held = held;
  }

  /** The server changed the draft (a parameter edit) and the graph adopted its answer: the
   *  document shown is saved as `revision`. */
  adopt(revision) {
    clearTimeout(this.timer);
    this.revision = revision;
    this.savedJson = JSON.stringify(this.graph.doc);
    this.setState("saved");
  }

  /** Another tab saved first: stop saving and tell the page. */
  conflict(message) {
    this.stop(message);
    this.dispatchEvent(new CustomEvent("conflict", { detail: { message } }));
  }

  async save({ keepalive = false } = {}) {
    if (this.inflight) return this.inflight;
    if (this.state === "conflict") return undefined;
    this.inflight = (async () => {
      try {
        await this.held;  // a parameter edit on the server is under way: save after it, on its revision
        await this.put(keepalive);
      } finally {
        this.inflight = null;
      }
      if (this.state === "saving" && this.dirty) this.schedule();
    })();
    return this.inflight;
  }

  async put(keepalive) {
    const json = JSON.stringify(this.graph.doc);
    if (json === this.savedJson) { this.setState("saved"); return; }
    this.setState("saving");
    try {
      const saved = await api(this.url, { method: "PUT", quiet: true, keepalive,
                                          body: { document: JSON.parse(json), revision: this.revision } });
      this.revision = saved.revision;
      this.savedJson = json;
      this.setState(this.dirty ? "saving" : "saved");
      this.dispatchEvent(new CustomEvent("saved", { detail: saved }));
    } catch (error) {
      if (error.status === 409) {
        this.conflict(error.message);
      } else {
        this.setState("error", error.message);
        if (error.status === 0 || error.status >= 500) this.timer = setTimeout(() => this.save(), 5000);
      }
    }
  }

  setState(state, message = "") {
    if (this.state === state && this.message === message) return;
    this.state = state;
    this.message = message;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, message } }));
  }
}
