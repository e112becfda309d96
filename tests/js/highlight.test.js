// The Python highlighter's scanner: tokens cover the source exactly and get the right kinds.
import assert from "node:assert/strict";
import { test } from "node:test";

import { tokenize } from "../../static/js/highlight.js";

const kinds = (source) => tokenize(source).filter((t) => t.type).map((t) => [t.type, t.text]);

test("tokens put back together give the source", () => {
  const source = "import pandas as pd\n\n@cache\ndef azureml_main(dataframe1=None, dataframe2=None):\n"
    + "    s = f'{x}' + \"a\\\"b\"  # note\n    return dataframe1 * 2.5e3, 0x1F\n";
  assert.equal(tokenize(source).map((t) => t.text).join(""), source);
});

test("keywords, builtins, defined names, decorators, numbers, strings and comments", () => {
  assert.deepEqual(kinds("@cache\ndef f(x=None):\n    return len(x) + 1.5  # done"), [
    ["decorator", "@cache"], ["keyword", "def"], ["title", "f"], ["keyword", "None"],
    ["keyword", "return"], ["builtin", "len"], ["number", "1.5"], ["comment", "# done"]]);
  assert.deepEqual(kinds("class AzureMLModel:\n    pass"), [
    ["keyword", "class"], ["title", "AzureMLModel"], ["keyword", "pass"]]);
  assert.deepEqual(kinds("x = rb'a\\'b' + \"#no\""), [["string", "rb'a\\'b'"], ["string", "\"#no\""]]);
});

test("triple-quoted strings span lines; unterminated ones run to the end of the line or text", () => {
  assert.deepEqual(kinds('s = """a\n# b\n"""\nx1 = 2'), [["string", '"""a\n# b\n"""'], ["number", "2"]]);
  assert.deepEqual(kinds("s = 'open\nt = 1"), [["string", "'open"], ["number", "1"]]);
  assert.deepEqual(kinds("s = '''open\nstill"), [["string", "'''open\nstill"]]);
});

test("names holding digits or keywords are plain names", () => {
  assert.deepEqual(kinds("dataframe1 = iffy + x2 + import_data"), []);
});
