// "Export as Python": download a pipeline as one standalone pandas / scikit-learn script.
import { alreadyShown, download } from "../api.js";
import { el } from "../dom.js";

/**
 * The button that downloads `url` (a draft's or a published version's export.py); `before`
 * (optional) runs first and may answer false to stop, e.g. saving the draft's pending edits.
 */
export function exportButton(before, url) {
  const button = el("button", { type: "button", title: "Download this pipeline as a standalone Python script" },
    "Export as Python");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (before && !(await before())) return;
      await download(url);
    } catch (error) {
      alreadyShown(error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
