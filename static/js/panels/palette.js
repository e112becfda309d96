// The module palette: search box (names and descriptions), collapsible categories, modules
// dragged onto the canvas, each with a link to its help page.
import { el } from "../dom.js";
import { categoryStyle } from "../canvas/categories.js";
import { MODULE_TYPE } from "../canvas/editing.js";

/** Fill `container` with the palette of `catalog`; onAdd(name) adds a module at the centre. */
export function buildPalette(container, catalog, { onAdd }) {
  const search = el("input", { type: "search", placeholder: "Search modules",
                               "aria-label": "Search modules", class: "palette-search" });
  const list = el("div", { class: "palette-list" });
  const groups = new Map();
  for (const spec of catalog.values()) {
    if (!groups.has(spec.category)) groups.set(spec.category, []);
    groups.get(spec.category).push(spec);
  }
  const sections = [];
  for (const [category, specs] of groups) {
    const items = specs.sort((a, b) => a.label.localeCompare(b.label)).map((spec) => {
      const item = el("li", {
        class: "palette-item", draggable: "true", tabindex: "0", title: spec.description || spec.label,
        dataset: { module: spec.name },
        ondragstart: (e) => {
          e.dataTransfer.setData(MODULE_TYPE, spec.name);
          e.dataTransfer.setData("text/plain", spec.label);
          e.dataTransfer.effectAllowed = "copy";
        },
        ondblclick: (e) => { if (!e.target.closest("a")) onAdd(spec.name); },
        onkeydown: (e) => { if (e.key === "Enter" && e.target === e.currentTarget) onAdd(spec.name); },
      }, paletteIcon(spec.category), el("span", { class: "palette-label" }, spec.label),
      helpLink(spec, "palette-help"));
      return { item, text: `${spec.label} ${spec.name} ${spec.description || ""}`.toLowerCase() };
    });
    const details = el("details", { class: "palette-category", open: true },
                       el("summary", {}, category),
                       el("ul", {}, items.map((i) => i.item)));
    sections.push({ details, items, wasOpen: true });
    list.append(details);
  }
  const empty = el("p", { class: "muted palette-empty", hidden: true }, "No module matches.");
  search.addEventListener("input", () => {
    const query = search.value.trim().toLowerCase();
    let shown = 0;
    for (const section of sections) {
      let visible = 0;
      for (const { item, text } of section.items) {
        item.hidden = Boolean(query) && !text.includes(query);
        if (!item.hidden) visible += 1;
      }
      section.details.hidden = visible === 0;
      if (query) section.details.open = true;
      shown += visible;
    }
    empty.hidden = shown > 0;
  });
  container.append(el("h2", { class: "panel-title" }, "Modules"), search, list, empty,
                   el("p", { class: "muted palette-hint" }, "Drag a module onto the canvas (or double-click it)."));
  return { search };
}

/** A link to the module's help page (opens beside the designer, in a new tab). */
export function helpLink(spec, className) {
  return el("a", { class: className, href: `/modules/${encodeURIComponent(spec.name)}/help`,
                   target: "_blank", rel: "noopener", draggable: "false",
                   "aria-label": `Help: ${spec.label}`, title: `Help: ${spec.label}` }, "?");
}

/** The category's icon on its colour, as on the canvas's nodes. */
function paletteIcon(category) {
  const { color, icon } = categoryStyle(category);
  return el("span", { class: "palette-icon", "aria-hidden": "true", style: { background: color } }, icon);
}
