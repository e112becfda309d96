// A small module catalog (the shape GET /api/v1/modules serves) and a document using it.

const port = (name, type) => ({ name, type });

export const CATALOG = new Map([
  ["import_data", { name: "import_data", label: "Import Data", inputs: [], outputs: [port("dataset", "dataframe")],
                    params: [{ name: "path", kind: "data_path", accepts: ["data_path"] }] }],
  ["split_data", { name: "split_data", label: "Split Data", inputs: [port("dataset", "dataframe")],
                   outputs: [port("results1", "dataframe"), port("results2", "dataframe")],
                   params: [{ name: "fraction", label: "Fraction", kind: "float", min: 0, max: 1, default: 0.5,
                              accepts: ["float", "int"] },
                            { name: "seed", label: "Seed", kind: "int", min: 0, default: 0, accepts: ["int"] },
                            { name: "mode", kind: "choice", options: ["rows", "regex"], default: "rows",
                              accepts: ["choice", "string"] }] }],
  ["train_model", { name: "train_model", label: "Train Model",
                    inputs: [port("model", "untrained_model"), port("dataset", "dataframe")],
                    outputs: [port("trained", "trained_model")], params: [] }],
]);

/** Import Data -> Split Data, no parameters. */
export function sampleDocument() {
  return {
    name: "Sample",
    nodes: [{ id: "n1", module: "import_data", position: { x: 0, y: 0 }, params: {} },
            { id: "n2", module: "split_data", position: { x: 0, y: 100 }, params: { seed: 3 } }],
    edges: [{ from: { node: "n1", port: "dataset" }, to: { node: "n2", port: "dataset" } }],
  };
}
