// Docked side panels that collapse to a narrow strip, so a small screen can give the canvas
// their room; each remembers its state in the browser.
import { el } from "../dom.js";

const STORE = "designer-collapsed-panels";

function remembered() {
  try {
    return new Set(JSON.parse(localStorage.getItem(STORE) || "[]"));
  } catch {
    return new Set();
  }
}

/**
 * A docked panel: an aside labelled `label` (class `className`) holding a Hide / Show button and
 * a content box; returns {panel, content}. The panel's own code fills `content` (and may clear
 * it) without touching the button. `side` (left or right) orients the arrow.
 */
export function dockedPanel({ label, name, className, side }) {
  const content = el("div", { class: "dock-content" });
  const panel = el("aside", { class: `${className} docked dock-${side}`, "aria-label": label }, content);
  const toggle = el("button", { type: "button", class: "dock-toggle" });
  const show = (collapsed) => {
    panel.classList.toggle("collapsed", collapsed);
    content.hidden = collapsed;
    toggle.textContent = (side === "left") === collapsed ? "»" : "«";
    toggle.setAttribute("aria-label", `${collapsed ? "Show" : "Hide"} ${name}`);
    toggle.title = toggle.getAttribute("aria-label");
    toggle.setAttribute("aria-expanded", String(!collapsed));
  };
  toggle.addEventListener("click", () => {
    const collapsed = !panel.classList.contains("collapsed");
    show(collapsed);
    const stored = remembered();
    if (collapsed) stored.add(className); else stored.delete(className);
    localStorage.setItem(STORE, JSON.stringify([...stored]));
  });
  panel.prepend(toggle);
  show(remembered().has(className));
  return { panel, content };
}
