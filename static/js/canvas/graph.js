// The editable pipeline graph: the document, typed-port wiring rules and undo/redo history.
//
// Every mutation is one undo step (batch() groups several); each dispatches a "change" event
// whose detail is {kind, ids}: kind is add | remove | move | edges | param | meta | reset
// (an adopted server edit of pipeline parameters is kind param with `parameters: true`).

const HISTORY_LIMIT = 100;
const MERGE_MS = 1500;

const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
const edgeKey = (e) => `${e.from.node}.${e.from.port}>${e.to.node}.${e.to.port}`;

/** The parameter name of a {"$param": NAME} binding, or null. */
export function bindingName(value) {
  return value && typeof value === "object" && !Array.isArray(value) && typeof value.$param === "string"
    ? value.$param : null;
}

/** The readable stem of a new node's id: the module name within the document's id pattern
 *  (letters, digits, _ and -; at most 64 characters, leaving room for a _N suffix). */
export function nodeIdBase(module) {
  const stem = String(module || "").replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 56);
  return stem || "node";
}

/** A pipeline document with editing operations, validation of wires and history. */
export class Graph extends EventTarget {
  /** Wrap a pipeline document; catalog maps module name -> spec (GET /api/v1/modules). */
  constructor(document, catalog) {
    super();
    this.catalog = catalog;
    this.doc = normalize(clone(document) || {});
    this.undoStack = [];
    this.redoStack = [];
    this.batchDepth = 0;
    this.batchBefore = null;
    this.batchLabel = "";
    this.pending = null;
  }

  /** The node object with this id, or undefined. */
  node(id) {
    return this.doc.nodes.find((n) => n.id === id);
  }

  /** The module spec of a node (undefined for an unknown module). */
  spec(id) {
    const node = this.node(id);
    return node ? this.catalog.get(node.module) : undefined;
  }

  /** Edges touching a node (in and out). */
  edgesOf(id) {
    return this.doc.edges.filter((e) => e.from.node === id || e.to.node === id);
  }

  /** A human name for a node: its module label. */
  label(id) {
    const spec = this.spec(id);
    const node = this.node(id);
    return spec ? spec.label : node ? node.module : id;
  }

  get canUndo() { return this.undoStack.length > 0; }
  get canRedo() { return this.redoStack.length > 0; }

  /** Add a node of a module at a position; returns its new id. */
  addNode(module, position) {
    const id = this.newId(module);
    this.commit("Add module", { kind: "add", ids: [id] }, () => {
      this.doc.nodes.push({ id, module, position: roundPos(position), params: {},
                            comment: "", regenerate_output: false });
    });
    return id;
  }

  /** Remove nodes and every wire touching them. */
  removeNodes(ids) {
    const gone = new Set(ids);
    if (!this.doc.nodes.some((n) => gone.has(n.id))) return;
    this.commit("Delete", { kind: "remove", ids: [...gone] }, () => {
      this.doc.nodes = this.doc.nodes.filter((n) => !gone.has(n.id));
      this.doc.edges = this.doc.edges.filter((e) => !gone.has(e.from.node) && !gone.has(e.to.node));
    });
  }

  /** Move nodes by (dx, dy): one undo step whatever the number of nodes. */
  moveNodes(ids, dx, dy) {
    if (!ids.length || (!dx && !dy)) return;
    this.commit("Move", { kind: "move", ids: [...ids] }, () => {
      for (const id of ids) {
        const node = this.node(id);
        if (node) node.position = roundPos({ x: node.position.x + dx, y: node.position.y + dy });
      }
    });
  }

  /** Set node positions ({id: {x, y}}) as one undo step (auto-layout). */
  applyLayout(positions) {
    const ids = Object.keys(positions).filter((id) => this.node(id));
    this.commit("Auto-layout", { kind: "move", ids }, () => {
      for (const id of ids) this.node(id).position = roundPos(positions[id]);
    });
  }

  /** Why a wire from -> to ({node, port}) is refused, or null when it is allowed. */
  check(from, to) {
    const src = this.port(from);
    const dst = this.port(to);
    if (!src || !dst) return "That port does not exist.";
    if (src.side === dst.side) {
      return src.side === "out" ? "Cannot connect an output to another output."
        : "Cannot connect an input to another input.";
    }
    if (src.side === "in") return this.check(to, from);
    if (src.type !== dst.type) return `Cannot connect ${src.type} to ${dst.type}`;
    if (from.node === to.node) return `This wire would create a cycle: ${this.label(from.node)} -> ${this.label(from.node)}`;
    const path = this.pathBetween(to.node, from.node, to);
    if (path) {
      const names = [...path, to.node].map((id) => this.label(id));
      return `This wire would create a cycle: ${names.join(" -> ")}`;
    }
    return null;
  }

  /** Wire an output port to an input port; replaces a wire already on that input. */
  connect(from, to) {
    const reason = this.check(from, to);
    if (reason) return { ok: false, reason };
    if (this.port(from).side === "in") [from, to] = [to, from];
    const edge = { from: { node: from.node, port: from.port }, to: { node: to.node, port: to.port } };
    const existing = this.doc.edges.find((e) => e.to.node === to.node && e.to.port === to.port);
    if (existing && edgeKey(existing) === edgeKey(edge)) return { ok: true, edge: existing };
    this.commit(existing ? "Replace wire" : "Connect", { kind: "edges", ids: [from.node, to.node] }, () => {
      this.doc.edges = this.doc.edges.filter((e) => !(e.to.node === to.node && e.to.port === to.port));
      this.doc.edges.push(edge);
    });
    return { ok: true, edge, replaced: Boolean(existing) };
  }

  /** Remove one wire. */
  removeEdge(edge) {
    const key = edgeKey(edge);
    if (!this.doc.edges.some((e) => edgeKey(e) === key)) return;
    this.commit("Delete wire", { kind: "edges", ids: [edge.from.node, edge.to.node] }, () => {
      this.doc.edges = this.doc.edges.filter((e) => edgeKey(e) !== key);
    });
  }

  /** Set a module field (undefined or null removes it: the default applies). */
  setParam(id, name, value) {
    const node = this.node(id);
    if (!node) return;
    if (JSON.stringify(node.params[name]) === JSON.stringify(value)) return;
    this.commit("Edit field", { kind: "param", ids: [id] }, () => {
      if (value === undefined || value === null) delete node.params[name];
      else node.params[name] = clone(value);
    }, `param:${id}:${name}`);
  }

  /** Set a node's comment. */
  setComment(id, text) {
    const node = this.node(id);
    if (!node || node.comment === text) return;
    this.commit("Edit comment", { kind: "param", ids: [id] }, () => { node.comment = text; },
                `comment:${id}`);
  }

  /** Set a node's "Regenerate output" flag. */
  setRegenerate(id, flag) {
    const node = this.node(id);
    if (!node || node.regenerate_output === Boolean(flag)) return;
    this.commit("Regenerate output", { kind: "param", ids: [id] }, () => {
      node.regenerate_output = Boolean(flag);
    });
  }

  /** Rename the pipeline. */
  setName(name) {
    if (this.doc.name === name) return;
    this.commit("Rename", { kind: "meta", ids: [] }, () => { this.doc.name = name; });
  }

  /** A fragment (nodes + wires among them) of the given nodes, for the clipboard. */
  copy(ids) {
    const keep = new Set(ids);
    return {
      kind: "pipeline-designer/fragment",
      nodes: clone(this.doc.nodes.filter((n) => keep.has(n.id))),
      edges: clone(this.doc.edges.filter((e) => keep.has(e.from.node) && keep.has(e.to.node))),
    };
  }

  /** Paste a fragment shifted by offset {x, y}: new ids, one undo step; returns the new ids. */
  paste(fragment, offset = { x: 40, y: 40 }) {
    if (!fragment || !Array.isArray(fragment.nodes) || !fragment.nodes.length) return [];
    const ids = new Map();
    for (const node of fragment.nodes) ids.set(node.id, this.newId(node.module, [...ids.values()]));
    this.commit("Paste", { kind: "add", ids: [...ids.values()] }, () => {
      for (const node of fragment.nodes) {
        const copy = normalizeNode(clone(node));
        copy.id = ids.get(node.id);
        copy.position = roundPos({ x: copy.position.x + offset.x, y: copy.position.y + offset.y });
        this.doc.nodes.push(copy);
      }
      for (const edge of fragment.edges || []) {
        if (!ids.has(edge.from.node) || !ids.has(edge.to.node)) continue;
        this.doc.edges.push({ from: { node: ids.get(edge.from.node), port: edge.from.port },
                              to: { node: ids.get(edge.to.node), port: edge.to.port } });
      }
    });
    return [...ids.values()];
  }

  /** Run fn (which calls mutations) as one undo step. */
  batch(label, fn) {
    if (this.batchDepth === 0) {
      this.batchBefore = JSON.stringify(this.doc);
      this.batchLabel = label;
    }
    this.batchDepth += 1;
    try {
      return fn();
    } finally {
      this.batchDepth -= 1;
      if (this.batchDepth === 0) {
        const before = this.batchBefore;
        this.batchBefore = null;
        if (before !== JSON.stringify(this.doc)) {
          this.record(label, before, null);
          this.emit({ kind: "reset", ids: [] });
        }
      }
    }
  }

  /** Undo the last step. */
  undo() { this.travel(this.undoStack, this.redoStack, "undo"); }

  /** Redo the last undone step. */
  redo() { this.travel(this.redoStack, this.undoStack, "redo"); }

  /** Go back to the snapshot on top of `from`, keeping the current document on `to`. */
  travel(from, to, direction) {
    const step = from.pop();
    if (!step) return;
    to.push({ label: step.label, before: JSON.stringify(this.doc) });
    this.doc = JSON.parse(step.before);
    this.emit({ kind: "reset", ids: [], [direction]: step.label });
  }

  /** Replace the whole document (after a reload); clears the history. */
  reset(document) {
    this.doc = normalize(clone(document));
    this.undoStack = [];
    this.redoStack = [];
    this.emit({ kind: "reset", ids: [] });
  }

  // -- pipeline parameters (fields bind with {"$param": NAME}) ------------------------------

  /** The parameter definition called name, or undefined. */
  parameter(name) {
    return this.doc.parameters.find((p) => p.name === name);
  }

  /** [{node, field}] of every field bound to the parameter called name. */
  usages(name) {
    const out = [];
    for (const node of this.doc.nodes) {
      for (const [field, value] of Object.entries(node.params)) {
        if (bindingName(value) === name) out.push({ node: node.id, field });
      }
    }
    return out;
  }

  /** Adopt a document the server answered after an edit (pipeline parameter edits are the
   *  server's): one undo step, merged with the last one of the same mergeKey. */
  adopt(document, label, mergeKey = null) {
    const next = normalize(clone(document));
    if (JSON.stringify(next) === JSON.stringify(this.doc)) return;
    const ids = next.nodes.filter((n) => JSON.stringify(n.params) !== JSON.stringify(this.node(n.id)?.params))
      .map((n) => n.id);
    this.commit(label, { kind: "param", ids, parameters: true }, () => { this.doc = next; }, mergeKey);
  }

  // -- internals ------------------------------------------------------------------------

  /** {side, type, name} of a port reference, or null. */
  port(ref) {
    const spec = ref && this.spec(ref.node);
    if (!spec) return null;
    const input = spec.inputs.find((p) => p.name === ref.port);
    if (input) return { side: "in", type: input.type, name: input.name };
    const output = spec.outputs.find((p) => p.name === ref.port);
    return output ? { side: "out", type: output.type, name: output.name } : null;
  }

  /** A node path start -> ... -> goal following wires (ignoring the wire into `skip`), or null. */
  pathBetween(start, goal, skip) {
    const next = new Map();
    for (const e of this.doc.edges) {
      if (skip && e.to.node === skip.node && e.to.port === skip.port) continue;
      if (!next.has(e.from.node)) next.set(e.from.node, []);
      next.get(e.from.node).push(e.to.node);
    }
    const parent = new Map([[start, null]]);
    const queue = [start];
    while (queue.length) {
      const id = queue.shift();
      if (id === goal) {
        const path = [];
        for (let at = id; at !== null; at = parent.get(at)) path.unshift(at);
        return path;
      }
      for (const to of next.get(id) || []) {
        if (!parent.has(to)) { parent.set(to, id); queue.push(to); }
      }
    }
    return null;
  }

  /** A free id read from the module's name (evaluate_model, evaluate_model_2 ...): scripts
   *  find "the evaluation" in a run's steps and metrics by it. */
  newId(module, taken = []) {
    const used = new Set([...this.doc.nodes.map((n) => n.id), ...taken]);
    const base = nodeIdBase(module);
    if (!used.has(base)) return base;
    let i = 2;
    while (used.has(`${base}_${i}`)) i += 1;
    return `${base}_${i}`;
  }

  commit(label, detail, fn, mergeKey = null) {
    if (this.batchDepth > 0) { fn(); return; }
    const before = JSON.stringify(this.doc);
    fn();
    this.record(label, before, mergeKey);
    this.emit(detail);
  }

  record(label, before, mergeKey) {
    const last = this.undoStack[this.undoStack.length - 1];
    const now = Date.now();
    const merge = mergeKey && last && last.mergeKey === mergeKey && now - last.at < MERGE_MS;
    if (merge) last.at = now;
    else this.undoStack.push({ label, before, mergeKey, at: now });
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  emit(detail) {
    this.dispatchEvent(new CustomEvent("change", { detail }));
  }
}

function roundPos(p) {
  return { x: Math.round(Number(p.x) || 0), y: Math.round(Number(p.y) || 0) };
}

function normalizeNode(node) {
  node.params = node.params || {};
  node.position = node.position || { x: 0, y: 0 };
  if (node.comment === undefined) node.comment = "";
  if (node.regenerate_output === undefined) node.regenerate_output = false;
  return node;
}

function normalize(doc) {
  doc.nodes = (doc.nodes || []).map(normalizeNode);
  doc.edges = doc.edges || [];
  doc.parameters = doc.parameters || [];
  if (doc.schema_version === undefined) doc.schema_version = 1;
  return doc;
}
