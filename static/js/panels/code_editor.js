// A code editor for a script field: a plain textarea (what is typed, read, selected and
// announced) over a highlighted copy of its text (aria-hidden, drawn from highlight.js tokens).
// Tab indents and Shift+Tab dedents the selected lines; Enter keeps the line's indentation
// (one level more after a colon); Esc, then Tab, moves on to the next control.
import { el } from "../dom.js";
import { tokenize } from "../highlight.js";

const INDENT = "    ";
let uid = 0;

/** {element, textarea} editing `value`; onInput() runs after each edit. */
export function codeEditor({ id, value, onInput }) {
  const hintId = `code-hint-${++uid}`;
  const code = el("code");
  const shown = el("pre", { class: "code-highlight", "aria-hidden": "true" }, code);
  const textarea = el("textarea", {
    id, class: "code-input", spellcheck: false, autocomplete: "off", autocapitalize: "off",
    wrap: "off", rows: 14, "aria-describedby": hintId,
  });
  textarea.value = value;
  let leaving = false;  // Esc was pressed: the next Tab leaves the editor
  const draw = () => {
    // A final newline needs a character after it, or the copy is one line short of the textarea.
    code.replaceChildren(...tokenize(`${textarea.value}\n`).map((t) => (t.type
      ? el("span", { class: `tok-${t.type}` }, t.text) : document.createTextNode(t.text))));
    shown.scrollTop = textarea.scrollTop;
    shown.scrollLeft = textarea.scrollLeft;
  };
  textarea.addEventListener("input", () => { draw(); onInput?.(); });
  textarea.addEventListener("scroll", () => {
    shown.scrollTop = textarea.scrollTop;
    shown.scrollLeft = textarea.scrollLeft;
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { leaving = true; return; }
    if (event.key === "Tab" && !leaving && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      if (event.shiftKey) dedent(textarea); else indent(textarea);
    } else if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey) {
      event.preventDefault();
      insert(textarea, `\n${nextIndent(textarea)}`);
    }
    if (event.key !== "Shift") leaving = false;
  });
  draw();
  const element = el("div", { class: "code-field" },
                     el("div", { class: "code-editor", dataset: { language: "python" } }, shown, textarea),
                     el("p", { id: hintId, class: "muted hint" },
                        "Tab indents, Shift+Tab dedents; press Esc, then Tab, to leave the editor."));
  return { element, textarea };
}

/** Type `text` at the selection, keeping the browser's undo history where it can. */
function insert(textarea, text) {
  if (!document.execCommand?.("insertText", false, text)) {
    textarea.setRangeText(text, textarea.selectionStart, textarea.selectionEnd, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

/** The indentation a new line after the caret's line gets. */
function nextIndent(textarea) {
  const before = textarea.value.slice(0, textarea.selectionStart);
  const line = before.slice(before.lastIndexOf("\n") + 1);
  const own = line.match(/^[ \t]*/)[0];
  return line.trimEnd().endsWith(":") ? own + INDENT : own;
}

/** The start of the first and the end of the last line the selection touches. */
function selectedLines(textarea) {
  const { value, selectionStart: from, selectionEnd: to } = textarea;
  const start = value.lastIndexOf("\n", from - 1) + 1;
  const end = to > from && value[to - 1] === "\n" ? to - 1 : to;
  const stop = value.indexOf("\n", end);
  return [start, stop === -1 ? value.length : stop];
}

function indent(textarea) {
  const { selectionStart: from, selectionEnd: to } = textarea;
  if (from === to || !textarea.value.slice(from, to).includes("\n")) {
    insert(textarea, INDENT);
    return;
  }
  replaceLines(textarea, (line) => INDENT + line);
}

function dedent(textarea) {
  replaceLines(textarea, (line) => line.replace(/^( {1,4}|\t)/, ""));
}

/** Rewrite every line the selection touches with `change`, and select them. */
function replaceLines(textarea, change) {
  const [start, end] = selectedLines(textarea);
  const lines = textarea.value.slice(start, end).split("\n").map(change).join("\n");
  textarea.setSelectionRange(start, end);
  insert(textarea, lines);
  textarea.setSelectionRange(start, start + lines.length);
}
