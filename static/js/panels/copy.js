// A Copy button: the clipboard when the browser allows it, else the text is selected for Ctrl+C.
import { el } from "../dom.js";

/** Copy text to the clipboard; when that is refused, select `target` so Ctrl+C works. */
export async function copyText(text, target, button) {
  const say = (word) => {
    if (!button) return;
    button.dataset.label ||= button.textContent;
    button.textContent = word;
    setTimeout(() => { button.textContent = button.dataset.label; }, 1500);
  };
  try {
    await navigator.clipboard.writeText(text);
    say("Copied");
  } catch {
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) {
      target.focus();
      target.select();
    } else if (target) {
      const range = document.createRange();
      range.selectNodeContents(target);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    say("Press Ctrl+C");
  }
}

/** A "Copy" button (aria-label `label`) copying `text` (a string or a function giving it). */
export function copyButton(label, text, target) {
  const button = el("button", { type: "button", class: "copy", "aria-label": label }, "Copy");
  button.addEventListener("click", () => copyText(typeof text === "function" ? text() : text, target, button));
  return button;
}

/** A box showing secrets once, each in a read-only input with a Copy button. */
export function secretBox(title, items, warning) {
  const box = el("div", { class: "secret-box", role: "region", "aria-label": title },
    el("p", { class: "warning" }, warning),
    el("dl", { class: "kv" }, items.flatMap(([label, value]) => {
      const input = el("input", { type: "text", readonly: true, value, "aria-label": label, size: 48 });
      return [el("dt", {}, label), el("dd", {}, el("div", { class: "copy-row" }, input, copyButton(`Copy ${label}`, value, input)))];
    })),
    el("button", { type: "button", onclick: () => box.remove() }, "Done, I have stored it"));
  return box;
}
