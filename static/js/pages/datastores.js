// Datastores page: the registered datastores, registering and removing a server folder, browsing and uploading.
import { api, notify } from "../api.js";
import { clear, el } from "../dom.js";
import { confirmDialog, createBrowser } from "../panels/browse.js";

const root = document.getElementById("app");
const tableHost = el("div");
const browseHost = el("section", { class: "datastore-browse", "aria-label": "Browse datastore", hidden: true });
let stores = [];

/** Show the browser of one datastore below the table (page mode: no "Choose"). */
function browse(name) {
  for (const row of tableHost.querySelectorAll("tr[data-datastore]")) {
    row.classList.toggle("current", row.dataset.datastore === name);
  }
  const browser = createBrowser({ datastore: name });
  clear(browseHost).append(
    el("div", { class: "page-head" }, el("h2", {}, "Files"),
       el("button", { type: "button", onclick: () => { browseHost.hidden = true; } }, "Close")),
    browser.element);
  browseHost.hidden = false;
  browseHost.scrollIntoView({ block: "nearest" });
}

function renderTable() {
  if (!stores.length) {
    clear(tableHost).append(el("p", { class: "empty" }, "No datastore is registered yet."));
    return;
  }
  clear(tableHost).append(el("table", { "aria-label": "Datastores" },
    el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "Root folder on the server"), el("th", {}, "Files"),
                          el("th", {}, ""))),
    el("tbody", {}, stores.map((d) => el("tr", { dataset: { datastore: d.name } },
      el("td", { class: "name-cell" }, el("strong", {}, d.name)),
      el("td", {}, el("code", {}, d.root)),
      el("td", { class: "file-count" }, d.problem ? el("span", { class: "error-text" }, d.problem)
        : `${d.files.toLocaleString()}${d.files_capped ? "+" : ""}`),
      el("td", { class: "row-actions" },
         el("button", { type: "button", "aria-label": `Browse ${d.name}`, onclick: () => browse(d.name) },
            "Browse"),
         el("button", { type: "button", "aria-label": `Upload to ${d.name}`, title: "Browse, then upload into a folder",
                        onclick: () => { browse(d.name); browseHost.querySelector('input[type="file"]')?.focus(); } },
            "Upload"),
         el("button", { type: "button", class: "danger", "aria-label": `Remove ${d.name}`, onclick: () => remove(d.name) },
            "Remove")))))));
}

/** Ask, then forget a datastore: its files stay on the server; pipelines using it stop validating. */
async function remove(name) {
  const ok = await confirmDialog({
    title: `Remove datastore '${name}'?`, confirm: "Remove", danger: true,
    message: "The folder and its files stay on the server. Pipelines that read from this datastore will fail " +
             "validation with \"unknown datastore\" until a datastore of that name is registered again.",
  });
  if (!ok) return;
  try {
    await api(`/api/v1/datastores/${encodeURIComponent(name)}`, { method: "DELETE", quiet: true });
  } catch (error) {
    notify(`Datastore "${name}" was not removed: ${error.message}`, "error");
    return;
  }
  if (!browseHost.hidden && tableHost.querySelector(`tr.current[data-datastore="${CSS.escape(name)}"]`)) {
    browseHost.hidden = true;
  }
  notify(`Removed datastore "${name}".`, "success");
  await load();
}

async function load() {
  const data = await api("/api/v1/datastores");
  stores = data.datastores || [];
  renderTable();
}

function registerForm() {
  const name = el("input", { id: "ds-name", type: "text", required: true, maxlength: "64", autocomplete: "off",
                             placeholder: "e.g. training" });
  const folder = el("input", { id: "ds-root", type: "text", required: true, autocomplete: "off",
                               placeholder: "/srv/data/training" });
  const message = el("div", { class: "error-text", role: "alert" });
  const button = el("button", { type: "submit", class: "primary" }, "Register");
  const form = el("form", { class: "register-datastore", "aria-label": "Register datastore" },
    el("h2", {}, "Register datastore"),
    el("p", { class: "muted" }, "Give a name to an existing folder on the server. Only administrators may register datastores."),
    el("div", { class: "field-row" },
       el("div", { class: "field" }, el("label", { for: name.id }, "Name"), name),
       el("div", { class: "field grow" }, el("label", { for: folder.id }, "Server folder"), folder),
       button),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    button.disabled = true;
    try {
      const created = await api("/api/v1/datastores", { method: "POST", quiet: true,
                                                        body: { name: name.value.trim(), root: folder.value.trim() } });
      notify(`Registered datastore "${created.name}".`, "success");
      form.reset();
      await load();
    } catch (error) {
      const details = (error.body.details || []).map((d) => (d.field ? `${d.field}: ${d.message}` : d.message));
      message.textContent = [error.message, ...details].join(" ");
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

async function start() {
  root.append(el("div", { class: "page-head" }, el("h1", {}, "Datastores")), tableHost, browseHost, registerForm());
  try {
    await load();
  } catch (error) {
    clear(tableHost).append(el("p", { class: "error-text" }, `The datastores could not be loaded: ${error.message}`));
  }
}

start();
