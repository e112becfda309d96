// "Run to here": a run of the selected node and what it depends on, to preview its output.
import { api, notify } from "../api.js";
import { refusalText } from "./submit.js";

/**
 * The action behind a node's "Run to here" button: save the draft, submit a run of that node
 * and its ancestors (nodes after it are left out, so they may still be unfinished; outputs of
 * earlier runs are reused), then onRun(run) follows it on the canvas.
 */
export function runToHere({ pipelineId, autosave, onRun }) {
  return async (nodeId) => {
    if (!(await autosave.flush())) {
      if (autosave.state !== "conflict") notify(`The pipeline could not be saved: ${autosave.message}`);
      return;
    }
    try {
      const run = await api(`/api/v1/pipelines/${encodeURIComponent(pipelineId)}/runs`,
                            { method: "POST", body: { to_node: nodeId }, quiet: true });
      notify(run.description || "Run to here submitted", "info");
      onRun(run);
    } catch (error) {
      notify(refusalText(error));
    }
  };
}
