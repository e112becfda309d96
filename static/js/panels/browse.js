// Browse path: a datastore's lazily loaded file tree, file preview, upload, and a data_path input.
import { api, ApiError, fallback } from "../api.js";
import { clear, el, openModal, when } from "../dom.js";

let uid = 0;
const enc = encodeURIComponent;
const PREVIEWABLE = /\.(csv|tsv|txt|data|parquet)$/i;  // the server's data-file rule
let datastoreList = null;

/** The registered datastores ([{name, root}]), fetched once per page. */
export function listDatastores() {
  datastoreList ||= api("/api/v1/datastores?counts=false", { quiet: true }).then((d) => d.datastores || [])
    .catch((error) => { datastoreList = null; return fallback("The datastores could not be listed", [])(error); });
  return datastoreList;
}

/** A human file size: 812 B, 3.4 KB, 12 MB. */
export function fileSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/**
 * A file browser for datastores: datastore select, folder tree (lazy), preview, upload form.
 * onSelect(selection|null) tells about the selected file; onPick(selection) about a double click.
 * Returns {element, selection()}; selection is {datastore, path} of the selected file, or null.
 */
export function createBrowser({ datastore = "", path = "", onSelect, onPick } = {}) {
  const browser = new FileBrowser({ onSelect, onPick });
  browser.start(datastore, path);
  return { element: browser.element, selection: () => browser.selected };
}

class FileBrowser {
  constructor({ onSelect, onPick }) {
    const n = ++uid;
    this.onSelect = onSelect;
    this.onPick = onPick;
    this.store = el("select", { id: `browse-store-${n}`, "aria-label": "Datastore" });
    this.tree = el("ul", { class: "browse-tree", role: "tree", "aria-label": "Files" });
    this.preview = el("section", { class: "browse-preview", "aria-label": "Preview" },
                      el("p", { class: "muted" }, "Select a CSV, TSV or Parquet file to preview it."));
    this.status = el("div", { class: "error-text browse-error", role: "alert" });
    this.folderInput = el("input", { type: "text", id: `browse-folder-${n}`, placeholder: "(top folder)",
                                     autocomplete: "off" });
    this.fileInput = el("input", { type: "file", id: `browse-file-${n}` });
    this.uploadButton = el("button", { type: "button" }, "Upload");
    const uploadForm = el("div", { class: "browse-upload", role: "group", "aria-label": "Upload a file" },
      el("label", { for: this.folderInput.id }, "Upload into folder"), this.folderInput,
      el("label", { for: this.fileInput.id }, "File"), this.fileInput, this.uploadButton);
    this.element = el("div", { class: "browser" },
      el("div", { class: "browse-top" }, el("label", { for: this.store.id }, "Datastore"), this.store),
      el("div", { class: "browse-main" },
         el("div", { class: "browse-files" },
            el("div", { class: "browse-head", "aria-hidden": "true" },
               el("span", {}, "Name"), el("span", {}, "Size"), el("span", {}, "Modified")), this.tree),
         this.preview),
      this.status, uploadForm);
    this.selected = null;
    this.previewSeq = 0;
    this.latestReveal = 0;
    this.loads = new WeakMap();
  }

  /** List the datastores, pick `datastore` and reveal `path` in it. */
  start(datastore, path) {
    this.uploadButton.addEventListener("click", () => this.upload());
    this.store.addEventListener("change", () => {
      this.setFolder("");
      this.select(null);
      this.status.textContent = "";
      this.reveal("");
    });
    listDatastores().then((stores) => {
      const names = stores.map((d) => d.name);
      if (datastore && !names.includes(datastore)) names.unshift(datastore);
      this.store.replaceChildren(...names.map((name) => el("option", { value: name, selected: name === datastore }, name)));
      if (!names.length) { this.status.textContent = "No datastore is registered."; return; }
      this.reveal(this.store.value === datastore ? path : "");
    });
  }

  setFolder(folder) { this.folderInput.value = folder; }

  /** Load one folder's entries into a list element (role group or the tree). A load that a
   *  newer one into the same list overtook (another datastore picked meanwhile) is dropped. */
  async loadInto(list, folder, depth) {
    const load = {};
    this.loads.set(list, load);
    clear(list).append(el("li", { class: "muted browse-loading", role: "none" }, "Loading…"));
    let data;
    try {
      data = await api(`/api/v1/datastores/${enc(this.store.value)}/browse?path=${enc(folder)}`, { quiet: true });
    } catch (error) {
      if (this.loads.get(list) === load) clear(list).append(el("li", { class: "error-text", role: "none" }, error.message));
      return [];
    }
    if (this.loads.get(list) !== load) return [];
    const rows = data.entries.map((entry) => this.row(entry, depth));
    clear(list).append(...rows.map((r) => r.item));
    if (!rows.length) list.append(el("li", { class: "muted browse-empty", role: "none" }, "(empty folder)"));
    for (const skip of data.skipped || []) {
      list.append(el("li", { class: "muted browse-skipped", role: "none" }, `${skip.name}: ${skip.reason}`));
    }
    if (data.truncated) list.append(el("li", { class: "muted", role: "none" }, "Only the first entries are shown."));
    return rows;
  }

  /** One entry of the tree: {item, entry, toggle(open), reload()}. */
  row(entry, depth) {
    const isFolder = entry.type === "folder";
    const item = el("li", { role: "treeitem", class: `browse-item browse-${entry.type}`,
                            dataset: { path: entry.path, type: entry.type },
                            "aria-selected": "false", "aria-expanded": isFolder ? "false" : null });
    const children = isFolder ? el("ul", { role: "group", hidden: true }) : null;
    const name = el("button", { type: "button", class: "browse-name", style: { paddingLeft: `${0.4 + depth}rem` },
                                title: entry.path },
                    el("span", { class: "browse-icon", "aria-hidden": "true" }, isFolder ? "▸" : "•"), entry.name);
    item.append(el("div", { class: "browse-row" }, name,
                   el("span", { class: "browse-size" }, isFolder ? "" : fileSize(entry.size)),
                   el("span", { class: "browse-modified" }, when(entry.modified))));
    if (children) item.append(children);
    let loaded = false;
    const toggle = async (open) => {
      item.setAttribute("aria-expanded", String(open));
      name.firstChild.textContent = open ? "▾" : "▸";
      children.hidden = !open;
      if (open && !loaded) { loaded = true; return this.loadInto(children, entry.path, depth + 1); }
      return null;
    };
    name.addEventListener("click", () => {
      this.status.textContent = "";
      this.mark(item);
      if (isFolder) {
        this.setFolder(entry.path);
        this.select(null);
        toggle(item.getAttribute("aria-expanded") !== "true");
      } else {
        this.setFolder(entry.path.includes("/") ? entry.path.slice(0, entry.path.lastIndexOf("/")) : "");
        this.select({ datastore: this.store.value, path: entry.path });
      }
    });
    if (!isFolder) name.addEventListener("dblclick", () => this.onPick?.({ datastore: this.store.value, path: entry.path }));
    return { item, entry, toggle, reload: () => { loaded = true; return this.loadInto(children, entry.path, depth + 1); } };
  }

  mark(item) {
    for (const other of this.tree.querySelectorAll('[aria-selected="true"]')) other.setAttribute("aria-selected", "false");
    item.setAttribute("aria-selected", "true");
  }

  select(selection) {
    this.selected = selection;
    this.onSelect?.(selection);
    this.showPreview(selection);
  }

  async showPreview(selection) {
    const seq = ++this.previewSeq;
    const preview = this.preview;
    if (!selection || !PREVIEWABLE.test(selection.path)) {
      clear(preview).append(el("p", { class: "muted" }, selection
        ? `${selection.path} cannot be previewed (only CSV, TSV and Parquet).`
        : "Select a CSV, TSV or Parquet file to preview it."));
      return;
    }
    clear(preview).append(el("p", { class: "muted" }, "Loading the preview…"));
    try {
      const data = await api(`/api/v1/datastores/${enc(selection.datastore)}/preview?path=${enc(selection.path)}&rows=10`,
                             { quiet: true });
      if (seq === this.previewSeq) clear(preview).append(...previewOf(selection, data));
    } catch (error) {
      if (seq === this.previewSeq) clear(preview).append(el("p", { class: "error-text" }, error.message));
    }
  }

  /** Open the folders leading to path (a file or folder), then select it. A reveal that a
   *  newer one overtook (another datastore picked meanwhile) stops, so it cannot point the
   *  upload folder or the selection back at the old datastore. */
  async reveal(target) {
    const seq = ++this.latestReveal;
    let rows = await this.loadInto(this.tree, "", 0);
    const parts = target.split("/").filter(Boolean);
    for (let i = 0; i < parts.length; i += 1) {
      if (seq !== this.latestReveal) return;
      const prefix = parts.slice(0, i + 1).join("/");
      const found = rows.find((r) => r.entry.path === prefix);
      if (!found) return;
      if (found.entry.type === "folder") {
        this.setFolder(prefix);
        rows = (await found.toggle(true)) || [];
        if (i === parts.length - 1) this.mark(found.item);
      } else {
        found.item.querySelector(".browse-name").click();
        found.item.scrollIntoView({ block: "nearest" });
        return;
      }
    }
  }

  async upload(overwrite = false) {
    const { status, fileInput, uploadButton } = this;
    status.textContent = "";
    const file = fileInput.files[0];
    if (!file) { status.textContent = "Choose a file to upload."; return null; }
    const form = new FormData();
    form.append("file", file);
    form.append("folder", this.folderInput.value.trim());
    if (overwrite) form.append("overwrite", "true");
    uploadButton.disabled = true;
    try {
      const result = await postForm(`/api/v1/datastores/${enc(this.store.value)}/upload`, form);
      fileInput.value = "";
      await this.reveal(result.path);
      status.textContent = "";
      status.append(el("span", { class: "browse-ok" }, `Uploaded ${result.path} (${fileSize(result.size)}).`));
    } catch (error) {
      if (error.status === 409 && !overwrite && await confirmOverwrite(error.message)) return this.upload(true);
      status.textContent = error.message;
    } finally {
      uploadButton.disabled = false;
    }
    return null;
  }
}

/** A file's preview: its path, detected columns and first rows. */
function previewOf(selection, data) {
  const names = data.columns.map((c) => c.name);
  return [
    el("h3", {}, selection.path),
    el("p", { class: "browse-columns", "aria-label": "Detected columns" },
       `${names.length} columns: `, data.columns.map((c, i) => [i ? ", " : "", el("code", {}, c.name),
         el("span", { class: "muted" }, ` (${c.dtype})`)])),
    el("div", { class: "browse-table" }, el("table", { "aria-label": "First rows" },
       el("thead", {}, el("tr", {}, names.map((c) => el("th", {}, c)))),
       el("tbody", {}, data.rows.map((r) => el("tr", {}, r.map((v) => el("td", {}, v === null ? "" : String(v)))))))),
  ];
}

/** POST a multipart form with the CSRF token; rejects with ApiError like api(). */
async function postForm(url, form) {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const headers = { Accept: "application/json" };
  if (meta) headers["X-CSRF-Token"] = meta.content;
  let response;
  try {
    response = await fetch(url, { method: "POST", body: form, headers, credentials: "same-origin" });
  } catch (error) {
    throw new ApiError(0, { error: `The server cannot be reached (${error.message}).` });
  }
  const text = await response.text();
  let data;
  let ours = true;
  try { data = text ? JSON.parse(text) : {}; } catch { ours = false; data = { error: text.slice(0, 200) }; }
  // The server's own 413 names the file and the limit; a proxy's says nothing useful.
  if (response.status === 413 && !(ours && data.error)) data = { error: "The file is larger than the server accepts." };
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Ask whether to overwrite an existing file; resolves true to overwrite. */
export function confirmOverwrite(message) {
  return confirmDialog({ title: "Replace the existing file?", message, confirm: "Overwrite" });
}

/** A small modal confirmation; resolves true when confirmed. */
export function confirmDialog({ title, message, confirm = "OK", danger = false }) {
  return new Promise((resolve) => {
    const titleId = `confirm-${++uid}`;
    let answer = false;
    const dialog = el("dialog", { class: "confirm-dialog", "aria-labelledby": titleId },
      el("h2", { id: titleId }, title), el("p", {}, message),
      el("div", { class: "actions" },
         el("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
         el("button", { type: "button", class: danger ? "primary danger-fill" : "primary",
                        onclick: () => { answer = true; dialog.close(); } }, confirm)));
    openModal(dialog, () => resolve(answer));
  });
}

/** Open the Browse path dialog; resolves to the chosen {datastore, path} or null. */
export function openBrowseDialog({ datastore = "", path = "" } = {}) {
  return new Promise((resolve) => {
    const titleId = `browse-title-${++uid}`;
    const chosen = el("span", { class: "browse-chosen muted" }, "No file selected.");
    const choose = el("button", { type: "button", class: "primary", disabled: true }, "Choose");
    let result = null;
    const browser = createBrowser({
      datastore, path,
      onSelect: (s) => {
        choose.disabled = !s;
        chosen.textContent = s ? `${s.datastore}:${s.path}` : "No file selected.";
      },
      onPick: (s) => { result = s; dialog.close(); },
    });
    const dialog = el("dialog", { class: "browse-dialog", "aria-labelledby": titleId },
      el("h2", { id: titleId }, "Browse path"), browser.element,
      el("div", { class: "actions" }, chosen,
         el("button", { type: "button", onclick: () => dialog.close() }, "Cancel"), choose));
    choose.addEventListener("click", () => { result = browser.selection(); dialog.close(); });
    openModal(dialog, () => resolve(result));
  });
}

/**
 * A data_path input: datastore select + relative path + Browse button. label names the field
 * ("<label> datastore", "<label> path"); onChange({datastore, path} | undefined) on each edit.
 * Returns {element, read, write(value)}.
 */
export function dataPathInput({ value, label, id, onChange, disabled = false }) {
  const current = value && typeof value === "object" ? value : {};
  const store = el("select", { id, "aria-label": `${label} datastore`, disabled },
                   el("option", { value: "" }, "(datastore)"));
  const path = el("input", { type: "text", placeholder: "relative/path.csv", "aria-label": `${label} path`,
                             disabled, autocomplete: "off" });
  path.value = current.path || "";
  const names = new Set();
  const addOption = (name, selectIt = false) => {
    if (name && !names.has(name)) {
      names.add(name);
      store.append(el("option", { value: name }, name));
    }
    if (selectIt) store.value = name;
  };
  addOption(current.datastore, true);
  listDatastores().then((list) => list.forEach((d) => addOption(d.name)));
  const read = () => (!store.value && !path.value.trim() ? undefined
    : { datastore: store.value, path: path.value.trim() });
  const changed = () => onChange?.(read());
  store.addEventListener("change", changed);
  path.addEventListener("input", changed);
  const browse = el("button", { type: "button", class: "browse-button", disabled, "aria-label": `Browse ${label}`,
    onclick: async () => {
      const picked = await openBrowseDialog(read() || {});
      if (!picked) return;
      addOption(picked.datastore, true);
      path.value = picked.path;
      changed();
    } }, "Browse");
  const write = (v) => {
    const next = v && typeof v === "object" ? v : {};
    addOption(next.datastore || "", true);
    path.value = next.path || "";
  };
  return { element: el("div", { class: "data-path" }, store, path, browse), controls: [store, path], read, write };
}
