// Live validation: debounced POST /api/v1/pipelines/validate of the document being edited.
import { api } from "../api.js";

/** Validates `graph` after each change; event "result" (detail: {valid, node_errors, errors, warnings}). */
export class LiveValidation extends EventTarget {
  /** Watch graph changes, validating `delay` ms after the last one. */
  constructor(graph, { delay = 400 } = {}) {
    super();
    this.graph = graph;
    this.delay = delay;
    this.timer = 0;
    this.seq = 0;
    this.result = null;
    graph.addEventListener("change", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.validate(), this.delay);
    });
  }

  /** Validate the current document now; resolves to the result. */
  async validate() {
    clearTimeout(this.timer);
    const seq = ++this.seq;
    let result;
    try {
      result = await api("/api/v1/pipelines/validate", { method: "POST", quiet: true,
                                                          body: { document: this.graph.doc } });
    } catch (error) {
      if (error.status === 0) throw error;
      result = { valid: false, node_errors: error.body.node_errors || {}, field_errors: error.body.field_errors || {},
                 errors: error.body.node_errors ? [] : [error.message], warnings: [] };
    }
    if (seq === this.seq) {
      this.result = result;
      this.dispatchEvent(new CustomEvent("result", { detail: result }));
    }
    return result;
  }
}
