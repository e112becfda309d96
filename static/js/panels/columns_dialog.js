// The "Edit columns" dialog of a column list field: pick columns by name from the upstream
// design-time columns, or by rules (include / exclude by name and by type), with the resulting
// list previewed. Names are saved as a list; rules as a rule set (Azure's form, which the
// server resolves on the columns that arrive: app/engine/column_rules.py).
import { api, fallback } from "../api.js";
import { el } from "../dom.js";
import { bindingName } from "../canvas/graph.js";
import { columnNames, ruleSetOf } from "../values.js";
import { formDialog } from "./dialog.js";

/** The column types a rule can name, with the words a person reads. */
export const COLUMN_TYPES = {
  numeric: "Numeric",
  text: "Text",
  categorical: "Categorical",
  label: "Label",
};

/** The types of one column from its pandas data type, as Select Columns in Dataset reads
 *  them: numeric, text, categorical (pandas categories and text, which Train Model encodes as
 *  categories); label when a field of the pipeline names it as a label column. */
export function columnTypes(dtype, isLabel) {
  const types = new Set();
  if (/^(u?int|float|Int|UInt|Float)/.test(dtype)) types.add("numeric");
  if (/^(object|str|string)/.test(dtype)) types.add("text");
  if (/^(object|str|string|category)/.test(dtype)) types.add("categorical");
  if (isLabel) types.add("label");
  return types;
}

/**
 * The columns `rules` select from `names` (in their order): start from all or none, then each
 * rule in turn includes or excludes the columns it names or the columns of a type.
 * rules: {start: "all" | "none", rules: [{action: "include" | "exclude", by: "names" | "type",
 * names: [..], type}]}; types: {column: Set of types} (a column of unknown type has none).
 */
export function selectColumns(names, types, { start, rules }) {
  const chosen = new Set(start === "all" ? names : []);
  for (const rule of rules) {
    const hits = rule.by === "type" ? names.filter((n) => types[n]?.has(rule.type))
      : names.filter((n) => (rule.names || []).includes(n));
    for (const name of hits) {
      if (rule.action === "exclude") chosen.delete(name);
      else chosen.add(name);
    }
  }
  return names.filter((n) => chosen.has(n));
}

// The dialog's type words and the rule set's column types; "label" is a column kind there.
const RULE_TYPES = { numeric: "Numeric", text: "String", categorical: "Categorical" };

/** The dialog's rules ({start, rules}, as selectColumns takes them) as the field stores them. */
export function toRuleSet({ start, rules }) {
  const out = start === "all" ? [{ ruleType: "AllColumns", exclude: false }] : [];
  for (const rule of rules) {
    const exclude = rule.action === "exclude";
    if (rule.by === "names") out.push({ ruleType: "ColumnNames", exclude, columns: [...(rule.names || [])] });
    else if (rule.type === "label") out.push({ ruleType: "ColumnTypes", exclude, columnTypes: ["All"], columnKinds: ["Label"] });
    else out.push({ ruleType: "ColumnTypes", exclude, columnTypes: [RULE_TYPES[rule.type]], columnKinds: ["All"] });
  }
  return { isFilter: true, rules: out };
}

/** A stored rule set as the dialog's rules (a rule of several types becomes one rule each). */
export function fromRuleSet(ruleSet) {
  const rules = [...ruleSet.rules];
  const start = rules[0]?.ruleType === "AllColumns" && !rules[0].exclude ? "all" : "none";
  if (start === "all") rules.shift();
  const out = [];
  for (const rule of rules) {
    const action = rule.exclude ? "exclude" : "include";
    if (rule.ruleType === "ColumnNames") {
      out.push({ action, by: "names", names: [...(rule.columns || [])], type: "numeric" });
    } else if (rule.ruleType === "ColumnTypes" && (rule.columnKinds || []).includes("Label")) {
      out.push({ action, by: "type", names: [], type: "label" });
    } else if (rule.ruleType === "ColumnTypes") {
      for (const [type, word] of Object.entries(RULE_TYPES)) {
        if ((rule.columnTypes || []).includes(word)) out.push({ action, by: "type", names: [], type });
      }
    }
  }
  return { start, rules: out };
}

/**
 * The types of the columns reaching input `port` of node `nodeId`, read from the datastore
 * files of the Import Data modules upstream (their first rows); {column: Set of types}.
 */
export async function upstreamColumnTypes(graph, nodeId, port) {
  const labels = new Set(graph.doc.nodes.map((n) => n.params?.label_column).filter((v) => typeof v === "string"));
  const types = {};
  for (const node of upstreamImports(graph, nodeId, port)) {
    const path = literal(graph, node.params.path);
    if (node.params.source === "url" || !path?.datastore || !path.path) continue;
    const query = new URLSearchParams({ path: path.path, rows: "50" });
    const preview = await api(`/api/v1/datastores/${encodeURIComponent(path.datastore)}/preview?${query}`, { quiet: true })
      .catch(fallback("The column types could not be read", null));
    for (const column of preview?.columns || []) types[column.name] ||= columnTypes(column.dtype, labels.has(column.name));
  }
  for (const name of labels) types[name] ||= new Set(["label"]);
  return types;
}

function upstreamImports(graph, nodeId, port) {
  const seen = new Set();
  const found = [];
  let edges = graph.doc.edges.filter((e) => e.to.node === nodeId && e.to.port === port);
  while (edges.length) {
    const next = [];
    for (const edge of edges) {
      const source = edge.from.node;
      if (seen.has(source)) continue;
      seen.add(source);
      const node = graph.node(source);
      if (node?.module === "import_data") found.push(node);
      next.push(...graph.doc.edges.filter((e) => e.to.node === source));
    }
    edges = next;
  }
  return found;
}

function literal(graph, value) {
  const name = bindingName(value);
  return name === null ? value : graph.parameter(name)?.default;
}

/** Open the dialog for a field labelled `label` holding `value` (names or a rule set); resolves
 *  to the chosen names or rule set, or null when cancelled. names: the known columns; types: as
 *  selectColumns. */
export function editColumns({ label, value, names, types }) {
  const ruleSet = ruleSetOf(value);
  const initial = new Set(ruleSet ? [] : Array.isArray(value) ? value : columnNames(value || ""));
  const state = { mode: ruleSet ? "rules" : "names", picked: new Set(names.filter((n) => initial.has(n))),
                  rules: ruleSet ? fromRuleSet(ruleSet) : { start: "all", rules: [] } };
  const chosen = () => (state.mode === "names" ? names.filter((n) => state.picked.has(n))
    : selectColumns(names, types, state.rules));
  return formDialog({
    title: `Edit columns: ${label}`, className: "columns-dialog", submitLabel: "Save",
    build: (dialog) => {
      const preview = el("div", { class: "columns-preview", "aria-live": "polite", "aria-label": "Selected columns" });
      const refresh = () => {
        const list = chosen();
        preview.replaceChildren(el("strong", {}, `${list.length} of ${names.length} columns selected`),
                                el("p", { class: "columns-preview-list" }, list.length ? list.join(", ") : "None"));
      };
      const byName = namePicker(names, types, state, refresh);
      const rulesBox = rulePicker(names, state, refresh);
      byName.hidden = state.mode !== "names";
      rulesBox.hidden = state.mode !== "rules";
      const mode = (which) => el("label", {}, el("input", { type: "radio", name: "columns-mode", value: which,
        checked: which === state.mode, onchange: () => {
          state.mode = which;
          byName.hidden = which !== "names";
          rulesBox.hidden = which !== "rules";
          refresh();
        } }), which === "names" ? " By name" : " With rules");
      refresh();
      const search = byName.querySelector("input[type=search]");
      return {
        body: [el("fieldset", { class: "columns-mode" }, el("legend", {}, "Select columns"), mode("names"), mode("rules")),
               byName, rulesBox, preview],
        focus: state.mode === "names" ? search : rulesBox.querySelector("select"),
        // Rules are kept as rules: the server applies them to the columns that arrive.
        submit: () => dialog.close(state.mode === "names" ? chosen() : toRuleSet(state.rules)),
      };
    },
  });
}

function namePicker(names, types, state, refresh) {
  const boxes = names.map((name) => {
    const box = el("input", { type: "checkbox", checked: state.picked.has(name), onchange: () => {
      if (box.checked) state.picked.add(name); else state.picked.delete(name);
      refresh();
    } });
    const kinds = [...(types[name] || [])].map((t) => COLUMN_TYPES[t]).join(", ");
    return el("label", { class: "column-choice", dataset: { column: name } }, box, ` ${name}`,
              kinds ? el("span", { class: "muted" }, ` ${kinds}`) : null);
  });
  const visible = () => boxes.filter((b) => !b.hidden);
  const setAll = (on) => {
    for (const row of visible()) {
      row.querySelector("input").checked = on;
      if (on) state.picked.add(row.dataset.column); else state.picked.delete(row.dataset.column);
    }
    refresh();
  };
  const search = el("input", { type: "search", "aria-label": "Search columns", placeholder: "Search columns",
    oninput: () => {
      const text = search.value.trim().toLowerCase();
      for (const row of boxes) row.hidden = Boolean(text) && !row.dataset.column.toLowerCase().includes(text);
    } });
  return el("div", { class: "columns-by-name" },
            el("div", { class: "columns-tools" }, search,
               el("button", { type: "button", onclick: () => setAll(true) }, "Select all"),
               el("button", { type: "button", onclick: () => setAll(false) }, "Select none")),
            el("div", { class: "columns-list", role: "group", "aria-label": "Columns" },
               names.length ? boxes : el("p", { class: "muted" }, "No columns are known yet: connect and configure the modules upstream.")));
}

function rulePicker(names, state, refresh) {
  const rows = el("ol", { class: "column-rules" });
  const start = el("select", { "aria-label": "Begin with", onchange: () => { state.rules.start = start.value; refresh(); } },
                   el("option", { value: "all" }, "All columns"), el("option", { value: "none" }, "No columns"));
  start.value = state.rules.start;
  state.rules.rules.forEach((rule, i) => rows.append(ruleRow(rule, state, refresh, i + 1)));
  const add = () => {
    const rule = { action: "exclude", by: "names", names: [], type: "numeric" };
    state.rules.rules.push(rule);
    rows.append(ruleRow(rule, state, refresh, state.rules.rules.length));
    refresh();
  };
  return el("div", { class: "columns-by-rules" },
            el("label", {}, "Begin with ", start), rows,
            el("button", { type: "button", onclick: add }, "Add rule"));
}

function ruleRow(rule, state, refresh, n) {
  const action = el("select", { "aria-label": `Rule ${n} action`, onchange: () => { rule.action = action.value; refresh(); } },
                    el("option", { value: "exclude" }, "Exclude"), el("option", { value: "include" }, "Include"));
  const names = el("input", { type: "text", "aria-label": `Rule ${n} column names`, placeholder: "names, comma-separated",
    oninput: () => { rule.names = columnNames(names.value); refresh(); } });
  const type = el("select", { "aria-label": `Rule ${n} column type`, hidden: true,
                              onchange: () => { rule.type = type.value; refresh(); } },
                  Object.entries(COLUMN_TYPES).map(([value, text]) => el("option", { value }, text)));
  const by = el("select", { "aria-label": `Rule ${n} by`, onchange: () => {
    rule.by = by.value;
    names.hidden = rule.by !== "names";
    type.hidden = rule.by !== "type";
    refresh();
  } }, el("option", { value: "names" }, "column names"), el("option", { value: "type" }, "column type"));
  action.value = rule.action;
  by.value = rule.by;
  names.value = (rule.names || []).join(", ");
  type.value = rule.type;
  names.hidden = rule.by !== "names";
  type.hidden = rule.by !== "type";
  const row = el("li", { class: "column-rule" }, action, by, names, type,
                 el("button", { type: "button", "aria-label": `Remove rule ${n}`, onclick: () => {
                   state.rules.rules.splice(state.rules.rules.indexOf(rule), 1);
                   row.remove();
                   refresh();
                 } }, "×"));
  return row;
}
