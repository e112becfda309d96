// Value kinds: the checks and conversions every form shares.
import assert from "node:assert/strict";
import { test } from "node:test";

import { applies, boolWord, columnNames, convert, describeValue, FALSE_WORDS, fromSchema, parameterType, problem, rangeText, ruleSetOf,
         readNumber, shownNumber, TRUE_WORDS } from "../../static/js/values.js";

const seed = { kind: "int", min: 0, max: 99 };

test("numbers: type, whole numbers and ranges, with the range named once", () => {
  assert.equal(problem(seed, 7), null);
  assert.equal(problem(seed, 2.5), "Must be a whole number.");
  assert.equal(problem(seed, 120), "Must be between 0 and 99.");
  assert.equal(problem({ type: "float", min: 0 }, -1), "Must be at least 0.");
  assert.equal(problem({ type: "float", max: 10000 }, 20000), "Must be at most 10,000.");
  assert.equal(problem({ type: "float" }, "x"), "Not a number.");
  assert.equal(problem({ type: "float" }, Number.NaN), "Not a number.");
});

test("a blank value has no problem: the default applies", () => {
  for (const value of [null, undefined, ""]) assert.equal(problem(seed, value), null);
});

test("choices, bools, data paths and text", () => {
  const mode = { kind: "choice", options: ["rows", "regex"] };
  assert.equal(problem(mode, "rows"), null);
  assert.equal(problem(mode, "cols"), "Must be one of: rows, regex.");
  assert.equal(problem({ type: "bool" }, true), null);
  assert.equal(problem({ type: "bool" }, "yes"), "Must be true or false.");
  assert.equal(problem({ type: "data_path" }, { datastore: "samples", path: "a.csv" }), null);
  assert.equal(problem({ type: "data_path" }, { datastore: "", path: "a.csv" }), "Give the datastore.");
  assert.equal(problem({ type: "data_path" }, { datastore: "samples", path: "" }),
               "Give the path of a file in the datastore.");
  assert.equal(problem({ type: "string" }, "x"), null);
  assert.equal(problem({ type: "string" }, 3), "Must be text.");
  assert.equal(problem({ kind: "columns" }, ["a"]), null);
  assert.equal(problem({}, "no kind is text"), null);
});

test("bool words are the server's: true/false, yes/no, on/off, 1/0, any case", () => {
  assert.deepEqual(TRUE_WORDS, ["true", "1", "yes", "on"]);
  assert.deepEqual(FALSE_WORDS, ["false", "0", "no", "off"]);
  assert.equal(boolWord(" On "), true);
  assert.equal(boolWord("OFF"), false);
  assert.equal(boolWord("maybe"), null);
});

test("convert carries a value over to another kind, or gives null", () => {
  assert.equal(convert({ type: "int" }, "5"), 5);
  assert.equal(convert({ type: "int" }, "5.5"), null);
  assert.equal(convert({ type: "float" }, 3), 3);
  assert.equal(convert({ type: "float" }, "abc"), null);
  assert.equal(convert({ type: "float" }, { datastore: "s" }), null);
  assert.equal(convert({ type: "string" }, true), "true");
  assert.equal(convert({ type: "string" }, 0.5), "0.5");
  assert.equal(convert({ type: "bool" }, "yes"), true);
  assert.equal(convert({ type: "bool" }, "off"), false);
  assert.equal(convert({ type: "bool" }, "perhaps"), null);
  assert.equal(convert({ type: "bool" }, false), false);
  assert.equal(convert({ type: "choice", options: ["a", "b"] }, " b "), "b");
  assert.equal(convert({ type: "choice", options: ["a", "b"] }, "c"), null);
  const path = { datastore: "samples", path: "x.csv" };
  assert.equal(convert({ type: "data_path" }, path), path);
  assert.equal(convert({ type: "data_path" }, "samples:x.csv"), null);
  assert.equal(convert({ type: "int" }, ""), null);
});

test("readNumber reads typed text: empty, unreadable, out of range", () => {
  assert.deepEqual(readNumber(seed, " 7 "), { value: 7, problem: null });
  assert.deepEqual(readNumber(seed, ""), { value: undefined, empty: true });
  assert.deepEqual(readNumber(seed, "", true), { problem: "Not a number." });
  assert.deepEqual(readNumber(seed, "1e999"), { problem: "Not a number." });
  assert.deepEqual(readNumber(seed, "100"), { value: 100, problem: "Must be between 0 and 99." });
});

test("range texts and shown numbers", () => {
  assert.equal(rangeText(seed), "Range: 0 to 99.");
  assert.equal(rangeText({ kind: "float", min: 1 }), "At least 1.");
  assert.equal(rangeText({ kind: "float", max: 1e-12 }), "At most 1e-12.");
  assert.equal(rangeText({ kind: "float" }), "");
  assert.equal(rangeText({ kind: "string", min: 1 }), "");
  assert.equal(shownNumber(12345), "12,345");
  assert.equal(shownNumber(0.5), "0.5");
});

test("column names are split at commas and trimmed", () => {
  assert.deepEqual(columnNames(" age, , income "), ["age", "income"]);
  assert.deepEqual(columnNames(""), []);
});

test("fromSchema reads a published version's JSON Schema property", () => {
  assert.deepEqual(fromSchema("seed", { type: "integer", minimum: 0, maximum: 9, default: 1, description: "d" }),
                   { name: "seed", type: "int", options: undefined, min: 0, max: 9, description: "d", default: 1 });
  assert.equal(fromSchema("f", { type: "number" }).type, "float");
  assert.equal(fromSchema("b", { type: "boolean" }).type, "bool");
  assert.equal(fromSchema("c", { type: "string", enum: ["a"] }).type, "choice");
  assert.equal(fromSchema("p", { "x-parameter-type": "data_path" }).type, "data_path");
  assert.equal(fromSchema("p", { type: "object", properties: { datastore: {}, path: {} } }).type, "data_path");
  assert.equal(fromSchema("s", { type: "string" }).type, "string");
});

test("values are described briefly", () => {
  assert.equal(describeValue({ datastore: "samples", path: "income/us.csv" }), "samples:income/us.csv");
  assert.equal(describeValue(["a", "b"]), "a, b");
  assert.equal(describeValue(null), "(no default)");
  assert.equal(describeValue("", "—"), "—");
  assert.equal(describeValue(false), "false");
  assert.equal(describeValue({ a: 1 }), '{"a":1}');
  const rules = { isFilter: true, rules: [{ ruleType: "AllColumns", exclude: false },
                                          { ruleType: "ColumnNames", exclude: true, columns: ["income"] }] };
  assert.equal(describeValue(rules), "rules: all columns, exclude income");
  assert.equal(describeValue(JSON.stringify(rules)), "rules: all columns, exclude income");
});

test("a rule set is read from itself or from its JSON text, never from other text", () => {
  const rules = { rules: [{ ruleType: "AllColumns" }] };
  assert.deepEqual(ruleSetOf(rules), rules);
  assert.deepEqual(ruleSetOf(` ${JSON.stringify(rules)}`), rules);
  assert.equal(ruleSetOf('{"rules": ['), null);
  assert.equal(ruleSetOf('{"columns": ["a"]}'), null);
  assert.equal(ruleSetOf("age, income"), null);
  assert.equal(ruleSetOf(["a"]), null);
});

test("a field's kind gives the type of the parameter it is promoted to", () => {
  assert.equal(parameterType("int"), "int");
  assert.equal(parameterType("data_path"), "data_path");
  assert.equal(parameterType("columns"), "string");
  assert.equal(parameterType(undefined), "string");
});

test("a field applies while every sibling its `when` names holds one of the listed values", () => {
  const values = { mode: "split_rows", stratified: false };
  const valueOf = (name) => values[name];
  assert.equal(applies({ name: "seed" }, valueOf), true, "no `when`: always");
  assert.equal(applies({ when: { mode: ["split_rows"] } }, valueOf), true);
  assert.equal(applies({ when: { mode: ["regular_expression", "relative_expression"] } }, valueOf), false);
  assert.equal(applies({ when: { mode: ["split_rows"], stratified: [true] } }, valueOf), false);
  values.stratified = true;
  assert.equal(applies({ when: { mode: ["split_rows"], stratified: [true] } }, valueOf), true);
});
