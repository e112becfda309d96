// Run statuses, shared by the run page and the designer (which shows the last run on its nodes).

/** The statuses a run ends in: no more step updates follow. */
export const TERMINAL = new Set(["Finished", "Failed", "Canceled"]);
