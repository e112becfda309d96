// The keyboard-shortcut help overlay opened with "?".
import { el, openModal } from "../dom.js";

const SHORTCUTS = [
  ["?", "Show this help"],
  ["Click / Shift+click", "Select a module / add it to the selection"],
  ["Shift+drag on the background", "Select with a rubber band"],
  ["Drag the background", "Pan"],
  ["Mouse wheel, + / -", "Zoom in / out"],
  ["0", "Fit to screen"],
  ["Drag from an output port to an input port", "Wire two modules"],
  ["Enter on a palette entry", "Add the module at the centre of the canvas"],
  ["] / [", "Select the next / previous module"],
  ["C", "Wire the selected module (choose the wire in a dialog)"],
  ["Delete / Backspace", "Delete the selected modules or wire"],
  ["Ctrl+A", "Select every module"],
  ["Ctrl+C / Ctrl+V", "Copy / paste modules (also between pipelines)"],
  ["Ctrl+D", "Duplicate the selection"],
  ["Ctrl+Z", "Undo"],
  ["Ctrl+Shift+Z / Ctrl+Y", "Redo"],
  ["Arrow keys (Shift: 10x)", "Nudge the selected modules"],
  ["Escape", "Clear the selection, close a dialog"],
];

/** Open the help overlay (a modal dialog listing the keyboard shortcuts). */
export function openHelp() {
  const existing = document.querySelector("dialog.help-dialog");
  if (existing) return existing;
  const dialog = el("dialog", { class: "help-dialog", "aria-labelledby": "help-title" },
    el("h2", { id: "help-title" }, "Keyboard shortcuts"),
    el("table", { class: "shortcuts" },
       el("tbody", {}, SHORTCUTS.map(([keys, what]) => el("tr", {},
         el("th", { scope: "row" }, keys.split(" / ").map((k, i) => [i ? " / " : "", el("kbd", {}, k)])),
         el("td", {}, what))))),
    el("div", { class: "actions" },
       el("button", { type: "button", class: "primary", onclick: () => dialog.close() }, "Close")));
  openModal(dialog);
  return dialog;
}
