// Admin page: users (role, active, add), service principals (create with a one-time secret, disable),
// webhooks and the audit log, each on a tab.
import { api, notify } from "../api.js";
import { clear, el, when } from "../dom.js";
import { auditLog } from "../panels/audit_log.js";
import { secretBox } from "../panels/copy.js";
import { webhooksPanel } from "../panels/webhooks.js";

const root = document.getElementById("app");
const ROLES = JSON.parse(root.dataset.roles);  // the server's role list, weakest first
const enc = encodeURIComponent;
const usersHost = el("div");
const clientsHost = el("div");
const userSecret = el("div", { "aria-live": "polite" });
const clientSecret = el("div", { "aria-live": "polite" });

const roleSelect = (attrs, value) => el("select", attrs, ROLES.map((r) => el("option", { value: r, selected: r === value }, r)));

function userRow(user) {
  const role = roleSelect({ "aria-label": `Role of ${user.username}` }, user.role);
  role.addEventListener("change", async () => {
    try {
      await api(`/api/v1/users/${enc(user.username)}`, { method: "PATCH", body: { role: role.value } });
      notify(`${user.username} is now ${/^[aeiou]/.test(role.value) ? "an" : "a"} ${role.value}.`, "success");
      user.role = role.value;
    } catch {
      role.value = user.role;
    }
  });
  const active = el("input", { type: "checkbox", checked: user.active, "aria-label": `${user.username} active` });
  const activeText = el("span", {}, user.active ? "Active" : "Disabled");
  active.addEventListener("change", async () => {
    active.disabled = true;
    try {
      await api(`/api/v1/users/${enc(user.username)}`, { method: "PATCH", body: { active: active.checked } });
      user.active = active.checked;
      activeText.textContent = user.active ? "Active" : "Disabled";
      notify(`${user.username} ${user.active ? "may sign in again" : "is disabled; their sessions ended"}.`, "success");
    } catch {
      active.checked = user.active;
    } finally {
      active.disabled = false;
    }
  });
  return el("tr", { dataset: { username: user.username } },
    el("td", {}, user.username), el("td", {}, role),
    el("td", {}, el("label", { class: "switch" }, active, activeText)),
    el("td", {}, when(user.created)));
}

async function loadUsers() {
  const { users } = await api("/api/v1/users");
  clear(usersHost).append(el("table", { "aria-label": "Users" },
    el("thead", {}, el("tr", {}, ["Name", "Role", "Active", "Created"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, users.map(userRow))));
}

function clientRow(client) {
  const toggle = el("button", { type: "button", class: client.active ? "danger" : "",
                                "aria-label": `${client.active ? "Disable" : "Enable"} ${client.name}` },
  client.active ? "Disable" : "Enable");
  toggle.addEventListener("click", async () => {
    toggle.disabled = true;
    try {
      await api(`/api/v1/clients/${enc(client.name)}/${client.active ? "disable" : "enable"}`, { method: "POST" });
      await loadClients();
    } catch {
      toggle.disabled = false;
    }
  });
  return el("tr", { dataset: { client: client.name } },
    el("td", {}, client.name), el("td", {}, el("code", {}, client.client_id)), el("td", {}, client.role),
    el("td", {}, el("span", { class: `badge badge-${client.active ? "Active" : "Disabled"}` }, client.active ? "Active" : "Disabled")),
    el("td", {}, when(client.created), client.created_by ? el("div", { class: "muted" }, `by ${client.created_by}`) : null),
    el("td", {}, toggle));
}

async function loadClients() {
  const { clients } = await api("/api/v1/clients");
  clear(clientsHost).append(clients.length
    ? el("table", { "aria-label": "Service principals" },
      el("thead", {}, el("tr", {}, ["Name", "Client ID", "Role", "Status", "Created", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, clients.map(clientRow)))
    : el("p", { class: "empty" }, "No service principals yet."));
}

function addUserForm() {
  const name = el("input", { id: "new-user-name", type: "text", required: true, maxlength: "64", autocomplete: "off" });
  const role = roleSelect({ id: "new-user-role" }, "viewer");
  const password = el("input", { id: "new-user-password", type: "password", autocomplete: "new-password",
                                 placeholder: "generated when empty" });
  const message = el("div", { class: "error-text", role: "alert" });
  const form = el("form", { class: "inline-form", "aria-label": "Add user" },
    el("div", { class: "field" }, el("label", { for: name.id }, "New user name"), name),
    el("div", { class: "field" }, el("label", { for: role.id }, "New user role"), role),
    el("div", { class: "field" }, el("label", { for: password.id }, "Password (optional)"), password),
    el("button", { type: "submit", class: "primary" }, "Add user"), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const body = { username: name.value.trim(), role: role.value };
    if (password.value) body.password = password.value;
    try {
      const user = await api("/api/v1/users", { method: "POST", body, quiet: true });
      clear(userSecret);
      if (user.password) {
        userSecret.append(secretBox(`Password of ${user.username}`, [["Generated password", user.password]],
          `${user.username} was created. Give them this password now: it will not be shown again.`));
      } else {
        notify(`${user.username} was created.`, "success");
      }
      name.value = "";
      password.value = "";
      await loadUsers();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  return form;
}

function createClientForm() {
  const name = el("input", { id: "new-client-name", type: "text", required: true, maxlength: "64", autocomplete: "off" });
  const role = roleSelect({ id: "new-client-role" }, "runner");
  const message = el("div", { class: "error-text", role: "alert" });
  const form = el("form", { class: "inline-form", "aria-label": "Create service principal" },
    el("div", { class: "field" }, el("label", { for: name.id }, "Service principal name"), name),
    el("div", { class: "field" }, el("label", { for: role.id }, "Service principal role"), role),
    el("button", { type: "submit", class: "primary" }, "Create service principal"), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const client = await api("/api/v1/clients", { method: "POST", quiet: true,
                                                    body: { name: name.value.trim(), role: role.value } });
      clear(clientSecret).append(secretBox(`Credentials of ${client.name}`,
        [["Client ID", client.client_id], ["Client secret", client.client_secret]],
        "Copy the client secret now: this secret will not be shown again (only its hash is stored)."));
      name.value = "";
      await loadClients();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  return form;
}

const accounts = el("div", {},
  el("section", { class: "admin-section", "aria-labelledby": "users-title" },
    el("div", { class: "page-head" }, el("h2", { id: "users-title" }, "Users")),
    addUserForm(), userSecret, usersHost),
  el("section", { class: "admin-section", "aria-labelledby": "clients-title" },
    el("div", { class: "page-head" }, el("h2", { id: "clients-title" }, "Service principals")),
    el("p", { class: "muted" }, "Scripts sign in with a service principal's client ID and secret at POST /oauth2/token."),
    createClientForm(), clientSecret, clientsHost));
const audit = auditLog();
const hooks = webhooksPanel();
const TABS = [["accounts", "Accounts", accounts], ["webhooks", "Webhooks", hooks.node], ["audit", "Audit log", audit.node]];
const tabList = el("div", { class: "page-tabs", role: "tablist", "aria-label": "Administration" });
const panel = el("section", { role: "tabpanel", id: "admin-panel" });

function showTab(name) {
  const [key, , content] = TABS.find(([k]) => k === name) || TABS[0];
  for (const button of tabList.children) button.setAttribute("aria-selected", String(button.dataset.tab === key));
  panel.setAttribute("aria-labelledby", `tab-${key}`);
  clear(panel).append(content);
  history.replaceState(null, "", `#${key}`);
  const loads = { audit: [audit, "the audit log"], webhooks: [hooks, "the webhooks"] };
  if (loads[key]) {
    const [tab, what] = loads[key];
    tab.load().catch((error) => {
      panel.append(el("p", { class: "alert", role: "alert" }, `Could not load ${what}: ${error.message}`));
    });
  }
}

tabList.append(...TABS.map(([key, label]) => el("button", {
  type: "button", role: "tab", id: `tab-${key}`, "aria-controls": "admin-panel", dataset: { tab: key },
  onclick: () => showTab(key),
}, label)));
root.append(el("h1", {}, "Administration"), tabList, panel);
showTab(window.location.hash.slice(1));
Promise.all([loadUsers(), loadClients()]).catch((error) => {
  accounts.append(el("p", { class: "alert", role: "alert" }, `Could not load the accounts: ${error.message}`));
});
