// Pipeline parameters in the editor: promotion of a field, fitting types and values.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Graph } from "../../static/js/canvas/graph.js";
import { fitsField, inferParameter, nameProblem, suggestName, typesFor,
         valueProblem } from "../../static/js/panels/parameters.js";
import { CATALOG, sampleDocument } from "./catalog.js";

const split = CATALOG.get("split_data");
const field = (name) => split.params.find((p) => p.name === name);

/** The sample with an int parameter `seed` (0..10) bound to Split Data's seed. */
function withSeed() {
  const doc = sampleDocument();
  doc.parameters = [{ name: "seed", type: "int", default: 3, min: 0, max: 10, description: "" }];
  doc.nodes[1].params.seed = { $param: "seed" };
  return new Graph(doc, CATALOG);
}

test("a promoted field gives its kind, options, range and current value", () => {
  assert.deepEqual(inferParameter(field("fraction"), 0.3),
                   { type: "float", options: undefined, default: 0.3, min: 0, max: 1 });
  assert.deepEqual(inferParameter(field("mode"), undefined),
                   { type: "choice", options: ["rows", "regex"], default: "rows", min: undefined, max: undefined });
  assert.equal(inferParameter({ kind: "columns" }, ["a", "b"]).default, "a, b");
  assert.equal(inferParameter({ kind: "columns" }, ["a", "b"]).type, "string");
  const rules = { isFilter: true, rules: [{ ruleType: "AllColumns", exclude: false }] };
  assert.deepEqual(JSON.parse(inferParameter({ kind: "columns" }, rules).default), rules);
});

test("a parameter fits a field when the field accepts its type and its default fits the field", () => {
  assert.equal(fitsField({ type: "float", default: 0.5 }, field("fraction")), true);
  assert.equal(fitsField({ type: "float", default: 1.5 }, field("fraction")), false);
  assert.equal(fitsField({ type: "string", default: "x" }, field("fraction")), false);
  assert.equal(fitsField({ type: "int", default: null }, field("seed")), true);
});

test("a value must fit the parameter and every field it drives, naming the field", () => {
  const g = withSeed();
  const seed = g.parameter("seed");
  assert.equal(valueProblem(g, seed, 4), null);
  assert.equal(valueProblem(g, seed, 11), "Must be between 0 and 10.");
  assert.equal(valueProblem(g, { ...seed, min: undefined, max: undefined }, -1),
               "Does not fit Split Data · Seed: Must be at least 0.");
});

test("the types a parameter may take are those every bound field accepts", () => {
  const g = withSeed();
  assert.deepEqual(typesFor(g, g.parameter("seed")), [{ type: "int", options: undefined }]);
  g.adopt({ ...g.doc, parameters: [...g.doc.parameters, { name: "free", type: "string", default: "" }] }, "Add");
  assert.deepEqual(typesFor(g, g.parameter("free")).map((t) => t.type),
                   ["string", "int", "float", "bool", "data_path"], "no choice without options");
});

test("suggested names are valid and unique", () => {
  const g = withSeed();
  assert.equal(suggestName(g, "seed"), "seed_2");
  assert.equal(suggestName(g, "2 fast"), "p_2_fast");
});


test("a parameter name is checked while typing: rules first, then uniqueness", () => {
  const g = withSeed();
  assert.equal(nameProblem(g, ""), "Give the parameter a name.");
  assert.equal(nameProblem(g, "1x"), "A parameter name starts with a letter.");
  assert.equal(nameProblem(g, "a b"), "Use only letters, digits, '_' and '-' in a parameter name.");
  assert.equal(nameProblem(g, `a${"b".repeat(64)}`), "A parameter name has at most 64 characters.");
  assert.equal(nameProblem(g, "seed"), "A pipeline parameter named 'seed' exists.");
  assert.equal(nameProblem(g, "seed", "seed"), null, "its own current name is fine");
  assert.equal(nameProblem(g, "Seed-2_b"), null);
});
