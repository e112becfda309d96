// The column selector's rules and column types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { columnTypes, selectColumns } from "../../static/js/panels/columns_dialog.js";

const NAMES = ["age", "city", "grade", "income"];
const TYPES = { age: columnTypes("int64"), city: columnTypes("str"), grade: columnTypes("category"),
                income: columnTypes("object", true) };

test("a column's types follow its pandas data type and the pipeline's label fields", () => {
  assert.deepEqual([...columnTypes("float64")], ["numeric"]);
  assert.deepEqual([...columnTypes("str")], ["text", "categorical"]);
  assert.deepEqual([...columnTypes("category")], ["categorical"]);
  assert.deepEqual([...columnTypes("bool")], []);
  assert.deepEqual([...columnTypes("int64", true)], ["numeric", "label"]);
});

test("rules apply in order from all or no columns, keeping the data set's order", () => {
  const pick = (start, ...rules) => selectColumns(NAMES, TYPES, { start, rules });
  assert.deepEqual(pick("all"), NAMES);
  assert.deepEqual(pick("none"), []);
  assert.deepEqual(pick("all", { action: "exclude", by: "type", type: "label" }), ["age", "city", "grade"]);
  assert.deepEqual(pick("none", { action: "include", by: "type", type: "categorical" },
                        { action: "exclude", by: "names", names: ["city", "nowhere"] }), ["grade", "income"]);
  assert.deepEqual(pick("none", { action: "include", by: "names", names: ["income", "age"] }), ["age", "income"]);
});

test("the dialog's rules round-trip through the stored rule set", async () => {
  const { fromRuleSet, toRuleSet } = await import("../../static/js/panels/columns_dialog.js");
  const rules = { start: "none", rules: [
    { action: "include", by: "type", names: [], type: "numeric" },
    { action: "exclude", by: "names", names: ["age"], type: "numeric" },
    { action: "exclude", by: "type", names: [], type: "label" }] };
  const stored = toRuleSet(rules);
  assert.deepEqual(stored.rules[0], { ruleType: "ColumnTypes", exclude: false, columnTypes: ["Numeric"], columnKinds: ["All"] });
  assert.deepEqual(stored.rules[2], { ruleType: "ColumnTypes", exclude: true, columnTypes: ["All"], columnKinds: ["Label"] });
  assert.deepEqual(fromRuleSet(stored), rules);
  assert.equal(fromRuleSet(toRuleSet({ start: "all", rules: [] })).start, "all");
  // Selecting with the stored form gives what the dialog previewed.
  assert.deepEqual(selectColumns(NAMES, TYPES, fromRuleSet(toRuleSet({ start: "all", rules: [
    { action: "exclude", by: "type", type: "categorical" }] }))), ["age"]);
});
