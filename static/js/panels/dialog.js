// One skeleton for the modal form dialogs (Submit a run, Submit a published version, Publish):
// a title, the dialog's own fields, a message line, then Cancel and one primary button.
import { el, openModal } from "../dom.js";

let uid = 0;

/**
 * Open a modal form dialog; resolves to what it was closed with, or null when cancelled.
 *
 * build(dialog) returns {body, submit, focus}: body, the nodes between the title and the
 * message line; submit(), run on the primary button (disabled until it settles), calls
 * dialog.close(result) to finish, dialog.done(result) to keep the dialog open (showing what
 * happened) with its result set, or dialog.fail(text | nodes) to say what is wrong; focus, the
 * control focused on opening. dialog also holds {element, form, message, titleId}.
 * messageClass is the message line's class; failClass is added to it by fail().
 */
export function formDialog({ title, className, submitLabel = "Submit", messageClass = "error-text",
                             failClass = null, build }) {
  return new Promise((resolve) => {
    const titleId = `dialog-title-${++uid}`;
    const element = el("dialog", { class: className, "aria-labelledby": titleId });
    const form = el("form", { method: "dialog", novalidate: true });
    const message = el("div", { class: messageClass, role: "alert" });
    const submitButton = el("button", { type: "submit", class: "primary" }, submitLabel);
    let result = null;
    const dialog = {
      element, form, message, titleId,
      close(value = result) { result = value; element.close(); },
      done(value) { result = value; },
      fail(...content) {
        message.className = [messageClass, failClass].filter(Boolean).join(" ");
        message.replaceChildren(...content.flat());
      },
    };
    const { body, submit, focus } = build(dialog);
    form.append(...[el("h2", { id: titleId }, title), body, message,
                    el("div", { class: "actions" },
                       el("button", { type: "button", onclick: () => element.close() }, "Cancel"), submitButton),
    ].flat(Infinity).filter(Boolean));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.replaceChildren();
      message.className = messageClass;
      submitButton.disabled = true;
      try {
        await submit();
      } finally {
        submitButton.disabled = false;
      }
    });
    element.append(form);
    openModal(element, () => resolve(result));
    focus?.focus();
  });
}
