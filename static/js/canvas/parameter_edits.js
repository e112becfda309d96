// Pipeline parameter edits (add, change, rename, delete, attach, detach) through the REST routes:
// the server owns them (API users need them too), the designer adopts the document it answers.
import { api } from "../api.js";

/** Sends parameter edits of the draft `pipelineId` shown in `graph`, saved by `autosave`. */
export class ParameterEdits {
  constructor(pipelineId, graph, autosave) {
    this.base = `/api/v1/pipelines/${encodeURIComponent(pipelineId)}`;
    this.graph = graph;
    this.autosave = autosave;
    this.queue = Promise.resolve();
  }

  /** Add a parameter ({name, type, default, ...}) binding fields [{node, field}] at once. */
  add(definition, attach = []) {
    return this.send("Add pipeline parameter", "POST", "/parameters", { parameter: definition, attach });
  }

  /** Change a parameter (name renames every binding, type, default, description, options, min,
   *  max). Quick edits of one parameter's same settings are one undo step. */
  update(name, changes) {
    const merge = !("name" in changes) && !("type" in changes)
      ? `parameter:${name}:${Object.keys(changes).sort().join(",")}` : null;
    return this.send("name" in changes ? "Rename pipeline parameter" : "Edit pipeline parameter", "PATCH",
                     `/parameters/${encodeURIComponent(name)}`, { changes }, merge);
  }

  /** Delete a parameter; every field it drove keeps the parameter's default as its value. */
  remove(name) {
    return this.send("Delete pipeline parameter", "DELETE", `/parameters/${encodeURIComponent(name)}`);
  }

  /** Bind a node's field to an existing parameter. */
  attach(node, field, name) {
    return this.send("Attach to pipeline parameter", "PUT", bindingPath(node, field), { parameter: name });
  }

  /** Unbind a field; it keeps the parameter's current default as its own value. */
  detach(node, field) {
    return this.send("Detach from pipeline parameter", "DELETE", bindingPath(node, field));
  }

  /** One edit after the other: save pending edits, send, adopt the answer. Resolves to {ok, reason}. */
  send(label, method, path, body = null, mergeKey = null) {
    const run = async () => {
      if (!(await this.autosave.flush())) {
        return { ok: false, reason: `The pipeline could not be saved: ${this.autosave.message}` };
      }
      const revision = this.autosave.revision;
      const url = body ? `${this.base}${path}` : `${this.base}${path}?revision=${revision}`;
      const request = api(url, { method, quiet: true, body: body ? { ...body, revision } : undefined });
      this.autosave.holdUntil(request.catch(() => null));  // autosave waits; the failure is handled below
      try {
        const saved = await request;
        this.graph.adopt(saved.document, label, mergeKey);
        this.autosave.adopt(saved.revision);
        return { ok: true };
      } catch (error) {
        if (error.status === 409) this.autosave.conflict(error.message);
        return { ok: false, reason: error.message };
      }
    };
    this.queue = this.queue.then(run);
    return this.queue;
  }
}

const bindingPath = (node, field) => `/bindings/${encodeURIComponent(node)}/${encodeURIComponent(field)}`;
