// The Connect dialog: wire the selected module from the keyboard (the pointer drags from a port).
import { el } from "../dom.js";
import { formDialog } from "./dialog.js";

/** Every wire into or out of node `id` that the graph would accept and does not hold yet:
 *  [{from, to, text}]. */
export function possibleWires(graph, id) {
  const ends = (nodeId, side) => (graph.spec(nodeId)?.[side === "in" ? "inputs" : "outputs"] || [])
    .map((port) => ({ node: nodeId, port: port.name }));
  const others = graph.doc.nodes.map((n) => n.id).filter((other) => other !== id);
  const pairs = [
    ...others.flatMap((other) => ends(other, "out").flatMap((from) => ends(id, "in").map((to) => [from, to]))),
    ...others.flatMap((other) => ends(id, "out").flatMap((from) => ends(other, "in").map((to) => [from, to]))),
  ];
  const side = (end) => `${graph.label(end.node)}: ${end.port}`;
  const same = (a, b) => a.node === b.node && a.port === b.port;
  const held = ([from, to]) => graph.doc.edges.some((e) => same(e.from, from) && same(e.to, to));
  return pairs.filter((pair) => !held(pair) && graph.check(...pair) === null)
    .map(([from, to]) => ({ from, to, text: `${side(from)} → ${side(to)}` }));
}

/** Open the Connect dialog for node `id`; resolves when it closes (wired or cancelled). */
export function openConnectDialog(graph, id) {
  const wires = possibleWires(graph, id);
  return formDialog({
    title: `Connect ${graph.label(id)}`,
    className: "connect-dialog",
    submitLabel: "Connect",
    build(dialog) {
      const select = el("select", { id: `${dialog.titleId}-wire` },
                        wires.map((wire, i) => el("option", { value: String(i) }, wire.text)));
      const body = wires.length
        ? el("div", { class: "field" }, el("label", { for: select.id }, "Wire"), select)
        : el("p", { class: "muted" }, "No other module has a port this one can be wired to.");
      return {
        body,
        focus: wires.length ? select : null,
        submit() {
          const wire = wires[Number(select.value)];
          if (!wire) return dialog.fail("Choose a wire.");
          const result = graph.connect(wire.from, wire.to);
          return result.ok ? dialog.close(result.edge) : dialog.fail(result.reason);
        },
      };
    },
  });
}
