// The editable graph: wiring rules, edits and the undo/redo history.
import assert from "node:assert/strict";
import { test } from "node:test";

import { bindingName, Graph, nodeIdBase } from "../../static/js/canvas/graph.js";
import { CATALOG, sampleDocument } from "./catalog.js";

const graph = () => new Graph(sampleDocument(), CATALOG);
const ref = (node, port) => ({ node, port });

test("a document is normalized: defaults for missing lists and node fields", () => {
  const g = new Graph({ nodes: [{ id: "a", module: "split_data" }] }, CATALOG);
  assert.deepEqual(g.doc.edges, []);
  assert.deepEqual(g.doc.parameters, []);
  assert.equal(g.doc.schema_version, 1);
  assert.deepEqual(g.node("a"), { id: "a", module: "split_data", params: {}, position: { x: 0, y: 0 },
                                  comment: "", regenerate_output: false });
});

test("wires are refused between sides, types and into cycles, naming the modules", () => {
  const g = graph();
  assert.equal(g.check(ref("n1", "dataset"), ref("n2", "results1")), "Cannot connect an output to another output.");
  assert.equal(g.check(ref("n2", "dataset"), ref("n2", "dataset")), "Cannot connect an input to another input.");
  assert.equal(g.check(ref("n1", "nope"), ref("n2", "dataset")), "That port does not exist.");
  const t = g.addNode("train_model", { x: 0, y: 200 });
  assert.equal(g.check(ref("n2", "results1"), ref(t, "model")), "Cannot connect dataframe to untrained_model");
  assert.equal(g.check(ref("n2", "results1"), ref("n2", "dataset")),
               "This wire would create a cycle: Split Data -> Split Data");
  const s = g.addNode("split_data", { x: 0, y: 300 });
  assert.equal(g.connect(ref("n2", "results1"), ref(s, "dataset")).ok, true);
  assert.equal(g.check(ref(s, "results1"), ref("n2", "dataset")),
               "This wire would create a cycle: Split Data -> Split Data -> Split Data");
  g.connect(ref(s, "results2"), ref("n1", "dataset"));  // import_data has no input: refused
  assert.equal(g.doc.edges.length, 2);
});

test("a cycle through other nodes names each of them; the wire a new one replaces is ignored", () => {
  const g = graph();
  const a = g.addNode("split_data", { x: 0, y: 0 });
  const b = g.addNode("split_data", { x: 0, y: 0 });
  g.connect(ref("n2", "results1"), ref(a, "dataset"));
  g.connect(ref(a, "results1"), ref(b, "dataset"));
  assert.equal(g.check(ref(b, "results1"), ref("n2", "dataset")),
               "This wire would create a cycle: Split Data -> Split Data -> Split Data -> Split Data");
  // The wire into n2's input would be replaced, so the cycle check ignores it.
  assert.equal(g.check(ref("n1", "dataset"), ref(a, "dataset")), null);
});

test("connecting from an input side is turned around; a second wire into an input replaces the first", () => {
  const g = graph();
  const s = g.addNode("split_data", { x: 0, y: 0 });
  const first = g.connect(ref(s, "dataset"), ref("n1", "dataset"));
  assert.deepEqual(first.edge, { from: ref("n1", "dataset"), to: ref(s, "dataset") });
  const second = g.connect(ref("n2", "results1"), ref(s, "dataset"));
  assert.equal(second.replaced, true);
  assert.deepEqual(g.doc.edges.filter((e) => e.to.node === s).map((e) => e.from), [ref("n2", "results1")]);
});

test("removing a node removes its wires; undo brings both back, redo removes them again", () => {
  const g = graph();
  const before = JSON.stringify(g.doc);
  g.removeNodes(["n1"]);
  assert.equal(g.node("n1"), undefined);
  assert.deepEqual(g.doc.edges, []);
  g.undo();
  assert.equal(JSON.stringify(g.doc), before);
  assert.equal(g.canRedo, true);
  g.redo();
  assert.equal(g.doc.nodes.length, 1);
  assert.equal(g.canUndo, true);
});

test("every mutation emits one change event with its kind and ids", () => {
  const g = graph();
  const events = [];
  g.addEventListener("change", (e) => events.push(e.detail));
  g.moveNodes(["n1", "n2"], 10, 5);
  g.setParam("n2", "seed", 4);
  g.setParam("n2", "seed", 4);  // no change, no event
  g.setName("Other");
  assert.deepEqual(events.map((d) => [d.kind, d.ids]), [["move", ["n1", "n2"]], ["param", ["n2"]], ["meta", []]]);
  assert.deepEqual(g.node("n1").position, { x: 10, y: 5 });
});

test("quick edits of one field merge into one undo step; a batch is one step", () => {
  const g = graph();
  g.setParam("n2", "seed", 4);
  g.setParam("n2", "seed", 5);
  g.setParam("n2", "seed", undefined);
  assert.equal(g.undoStack.length, 1);
  assert.equal("seed" in g.node("n2").params, false, "undefined removes the field: its default applies");
  g.undo();
  assert.equal(g.node("n2").params.seed, 3);
  g.batch("Two", () => {
    g.setComment("n1", "a");
    g.setRegenerate("n1", true);
  });
  assert.equal(g.undoStack.length, 1);
  g.undo();
  assert.equal(g.node("n1").comment, "");
  assert.equal(g.node("n1").regenerate_output, false);
});

test("the history keeps the last 100 steps; a new edit clears redo", () => {
  const g = graph();
  for (let i = 0; i < 105; i += 1) g.moveNodes(["n1"], 1, 0);
  assert.equal(g.undoStack.length, 100);
  g.undo();
  assert.equal(g.canRedo, true);
  g.moveNodes(["n1"], 1, 0);
  assert.equal(g.canRedo, false);
});

test("copy and paste: new ids, wires among the copied nodes only, shifted, one undo step", () => {
  const g = graph();
  const fragment = g.copy(["n2"]);
  assert.deepEqual(fragment.edges, []);
  const ids = g.paste(g.copy(["n1", "n2"]), { x: 40, y: 40 });
  assert.deepEqual(ids, ["import_data", "split_data"]);
  assert.deepEqual(g.node("split_data").position, { x: 40, y: 140 });
  assert.deepEqual(g.doc.edges.at(-1), { from: ref("import_data", "dataset"), to: ref("split_data", "dataset") });
  assert.deepEqual(g.paste({ nodes: [] }), []);
  g.undo();
  assert.equal(g.doc.nodes.length, 2);
});

test("reset replaces the document and clears the history", () => {
  const g = graph();
  g.setName("Changed");
  g.reset({ name: "New", nodes: [], edges: [] });
  assert.equal(g.doc.name, "New");
  assert.equal(g.canUndo, false);
});

test("bindingName reads a {$param} binding only", () => {
  assert.equal(bindingName({ $param: "p" }), "p");
  assert.equal(bindingName({ $param: 3 }), null);
  assert.equal(bindingName(["p"]), null);
  assert.equal(bindingName("p"), null);
  assert.equal(bindingName(null), null);
});

test("a document answered by the server is adopted as one undo step naming the changed nodes", () => {
  const g = graph();
  const events = [];
  g.addEventListener("change", (e) => events.push(e.detail));
  const answered = sampleDocument();
  answered.parameters = [{ name: "seed", type: "int", default: 3 }];
  answered.nodes[1].params.seed = { $param: "seed" };
  g.adopt(answered, "Add pipeline parameter");
  assert.deepEqual(events, [{ kind: "param", ids: ["n2"], parameters: true }]);
  assert.deepEqual(g.node("n2").params.seed, { $param: "seed" });
  assert.equal(g.node("n1").comment, "", "the adopted document is normalized");
  g.adopt(answered, "Again");
  assert.equal(g.undoStack.length, 1, "the same document again is no step");
  g.undo();
  assert.deepEqual(g.doc.parameters, []);
  assert.equal(g.node("n2").params.seed, 3);
  g.redo();
  assert.equal(g.doc.parameters.length, 1);
});

test("adopted edits with one merge key in quick succession are one undo step", () => {
  const g = graph();
  const withDefault = (value) => ({ ...sampleDocument(), parameters: [{ name: "p", type: "int", default: value }] });
  g.adopt(withDefault(1), "Add pipeline parameter");
  g.adopt(withDefault(12), "Edit pipeline parameter", "parameter:p:default");
  g.adopt(withDefault(123), "Edit pipeline parameter", "parameter:p:default");
  assert.equal(g.undoStack.length, 2);
  g.undo();
  assert.equal(g.doc.parameters[0].default, 1);
});

test("new nodes get ids read from their module name; existing ids stay", () => {
  const g = graph();
  assert.equal(g.addNode("split_data", { x: 0, y: 0 }), "split_data");
  assert.equal(g.addNode("split_data", { x: 0, y: 0 }), "split_data_2");
  assert.equal(g.addNode("split_data", { x: 0, y: 0 }), "split_data_3");
  assert.ok(g.node("n1") && g.node("n2"), "the document's own ids are kept");
  const pasted = g.paste(g.copy(["split_data", "n1"]));
  assert.deepEqual(pasted, ["import_data", "split_data_4"]);
  assert.equal(nodeIdBase("weird module!"), "weird_module");
  assert.match(g.newId("x".repeat(90)), /^[A-Za-z0-9_-]{1,64}$/);
});
