// Designer keyboard shortcuts and the clipboard (localStorage, so copy/paste works between pipelines).

const CLIPBOARD_KEY = "pipeline-designer.clipboard";
const FRAGMENT_KIND = "pipeline-designer/fragment";

function editable(target) {
  return target instanceof Element
    && (target.closest("input, textarea, select, [contenteditable]") !== null);
}

function readFragment(text) {
  try {
    const data = JSON.parse(text);
    return data && data.kind === FRAGMENT_KIND && Array.isArray(data.nodes) ? data : null;
  } catch {
    return null;
  }
}

/** Copy the selected nodes to the clipboard store; returns how many were copied. */
export function copySelection(graph, view) {
  const ids = view.selection;
  if (!ids.length) return 0;
  const text = JSON.stringify(graph.copy(ids));
  try { localStorage.setItem(CLIPBOARD_KEY, text); } catch { /* storage full or disabled */ }
  return ids.length;
}

/** Paste the stored fragment (shifted so repeated pastes do not stack); returns the new ids. */
export function pasteClipboard(graph, view, text = null) {
  const raw = text ?? (() => { try { return localStorage.getItem(CLIPBOARD_KEY); } catch { return null; } })();
  const fragment = raw && readFragment(raw);
  if (!fragment) return [];
  const taken = new Set(graph.doc.nodes.map((n) => `${n.position.x},${n.position.y}`));
  let step = 1;
  const clash = (k) => fragment.nodes.some((n) => taken.has(`${n.position.x + 40 * k},${n.position.y + 40 * k}`));
  while (clash(step) && step < 50) step += 1;
  const ids = graph.paste(fragment, { x: 40 * step, y: 40 * step });
  view.select(ids);
  return ids;
}

/** Select the module after (step 1) or before (step -1) the selected one, in the pipeline's
 *  order, so the keyboard reaches every module; the first or last when none is selected. */
export function stepSelection(graph, view, step) {
  const ids = graph.doc.nodes.map((n) => n.id);
  if (!ids.length) return;
  const at = ids.indexOf(view.selection.at(-1));
  const next = at < 0 ? (step > 0 ? 0 : ids.length - 1) : (at + step + ids.length) % ids.length;
  view.select([ids[next]]);
}

/** Wire the page's keyboard shortcuts; actions: {help, fit, connect(id)}. */
export function attachShortcuts(graph, view, actions) {
  let handledPaste = 0;
  document.addEventListener("keydown", (event) => {
    if (editable(event.target) || document.querySelector("dialog[open]")) return;
    const ctrl = event.ctrlKey || event.metaKey;
    const key = event.key;
    const lower = key.toLowerCase();
    let done = true;
    if (key === "?") actions.help();
    else if (key === "Delete" || key === "Backspace") {
      if (view.selectedEdge) {
        const edge = view.wireEls.get(view.selectedEdge)?.edge;
        if (edge) graph.removeEdge(edge);
      } else if (view.selection.length) {
        graph.removeNodes(view.selection);
      } else done = false;
    } else if (ctrl && lower === "z" && event.shiftKey) graph.redo();
    else if (ctrl && lower === "z") graph.undo();
    else if (ctrl && lower === "y") graph.redo();
    else if (ctrl && lower === "a") view.select(graph.doc.nodes.map((n) => n.id));
    else if (ctrl && lower === "c") { copySelection(graph, view); return; } // let the copy event run
    else if (ctrl && lower === "v") { pasteClipboard(graph, view); handledPaste = Date.now(); return; }
    else if (ctrl && lower === "d") {
      if (copySelection(graph, view)) pasteClipboard(graph, view);
    } else if (!ctrl && (key === "+" || key === "=")) view.zoomBy(1.2);
    else if (!ctrl && key === "-") view.zoomBy(1 / 1.2);
    else if (!ctrl && key === "0") actions.fit();
    else if (key === "Escape") view.select([]);
    else if (!ctrl && (key === "]" || key === "[")) stepSelection(graph, view, key === "]" ? 1 : -1);
    else if (!ctrl && lower === "c" && view.selection.length === 1) actions.connect(view.selection[0]);
    else if (key.startsWith("Arrow") && view.selection.length && !ctrl) {
      const d = event.shiftKey ? 10 : 1;
      const [dx, dy] = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, -d], ArrowDown: [0, d] }[key];
      graph.moveNodes(view.selection, dx, dy);
    } else done = false;
    if (done) event.preventDefault();
  });
  // The system clipboard too, when the browser offers it.
  document.addEventListener("copy", (event) => {
    if (editable(event.target) || !view.selection.length || !event.clipboardData) return;
    event.clipboardData.setData("text/plain", JSON.stringify(graph.copy(view.selection)));
    event.preventDefault();
  });
  document.addEventListener("paste", (event) => {
    if (editable(event.target) || !event.clipboardData || Date.now() - handledPaste < 500) return;
    const text = event.clipboardData.getData("text/plain");
    if (readFragment(text)) {
      event.preventDefault();
      pasteClipboard(graph, view, text);
    }
  });
}
