"""Benchmark: the designer canvas in Chromium with generated 1,000-, 300- and 50-node pipelines.

Run from the repository root: ``.venv/bin/python benchmarks/bench_canvas.py [--repeats 3]``.
Needs Debian's Chromium at /usr/bin/chromium (as the browser tests); no data folder.

The app runs in this process (werkzeug on a free port, a temporary DESIGNER_HOME, the samples
loaded, an admin user); Playwright signs in through the login form and creates the generated
pipelines with POST /api/v1/pipelines:
  1,000 nodes / 1,400 wires: 1 Import Data, 598 one-input modules, 401 Join Data (rows of 32;
      left semi joins, so the design-time schema keeps the data's 15 columns);
  300 nodes / 400 wires: 1 Import Data, 198 one-input modules (Split Data, Clean Missing Data),
      101 Join Data with two inputs; layered top to bottom, acyclic, every port a data frame;
  50 nodes / 66 wires: the same recipe, smaller.
Chromium runs with --disable-frame-rate-limit and --disable-gpu-vsync, meant to let
requestAnimationFrame run as fast as frames are made. In this headless Chromium (156) they have
no effect: the idle rAF interval stays at about 16.7 ms (printed as "idle ... interval"), so the
interval between frames cannot show a frame's cost. The frame time measured instead is each
frame's main-thread time: from its begin time (the rAF timestamp) until a message posted from
the rAF callback arrives, i.e. after the whole rendering update (rAF-aligned input events,
rAF callbacks, style, layout, paint, commit); the idle floor is under 1 ms. A frame whose time
exceeds 16.7 ms is a dropped frame at 60 Hz. CPU/frame (CDP Performance.getMetrics ThreadTime
and ProcessTime over the interaction / frames) shows how much of it is work rather than waiting
for a CPU on a loaded machine (the load average is printed first).

Figures, each the median of ``--repeats`` page loads (after one discarded warm-up load):
  load      navigation start -> "interactive": every node and wire of the document is in the
            SVG, the initial fit-to-screen transform is applied and painted (first frame after
            it), and no long task (>= 50 ms, Long Tasks API) follows in the next 500 ms; the
            moment is the later of that paint and the end of the last long task. The page then
            answers clicks, drags and keys (the designer's handlers are attached before it).
            The breakdown: HTML first byte, JS modules loaded, DOMContentLoaded, pipeline and
            module catalogue JSON received, and when the initial validation answered.
  drawn     navigation start -> that paint alone.
  drag      frames while one Join Data node (the one with the most wires) is dragged in
            circles (radius 120 px, 1 turn/s) for ``--seconds`` with Playwright mouse moves.
  zoom      frames during mouse-wheel zooming (100 px notches, 4 out then 4 in) at the canvas
            centre for ``--seconds``.
  pan       frames while the empty background is dragged in circles for ``--seconds``.
  pan 100%  the same at 100% zoom (the view zoomed around its centre), where names and ports
            are drawn and most of a large pipeline lies off screen.
Targets (issue 3): p95 frame < 16 ms, load < 1 s; the 50-node case "instant": load < 0.3 s.
``--profile`` adds, per interaction, the main-thread time per frame split into script / style /
layout / other (CDP); ``--trace FILE`` records Chrome traces of one 1,000-node load (FILE with
-load) and drag (FILE) and prints the per-frame BeginMainFrame wall and CPU times and the
heaviest main-thread events. Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--disable-frame-rate-limit", "--disable-gpu-vsync"]
PASSWORD = "bench-password"  # noqa: S105 - a throw-away instance's admin
FRAME_TARGET, LOAD_TARGET, INSTANT_TARGET = 16.0, 1000.0, 300.0
KINDS = {"drag": "drag", "zoom": "zoom", "pan": "pan", "pan100": "pan 100%"}  # result key: name
X_STEP, Y_STEP = 240, 110  # layout grid: NODE_W 210 + 30, NODE_H 46 + 64

# In-page instrumentation, installed before the page's own scripts.
PROBE = """
(() => {
  const b = window.__bench = { frames: null, longTasks: [], drawnAt: null, designer: null };
  // The designer announces its parts once started; the page itself defines no global.
  document.addEventListener("designer-ready", (e) => { b.designer = e.detail; });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longTasks.push([e.startTime, e.startTime + e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { b.noLongTasks = true; }
  let frame = 0, seen = -1;
  const poll = () => {
    frame += 1;
    const d = b.designer;
    if (d && seen < 0) seen = frame;
    // "designer-ready" comes at the end of the page's start-up; fit() runs in the next frame
    // and applies its transform in the one after: wait for both, then for the paint.
    if (d && frame - seen >= 2 && d.view.frame === 0
        && d.view.svg.dataset.zoom === d.view.t.k.toFixed(3)
        && document.querySelectorAll("g.node[data-node-id]").length === d.graph.doc.nodes.length
        && document.querySelectorAll("path.wire").length === d.graph.doc.edges.length) {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { b.drawnAt = performance.now(); };
      channel.port2.postMessage(0);
      return;
    }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
  // Per frame: the interval since the previous frame, and the frame's main-thread time: from
  // its begin time (the rAF timestamp) until a message posted in rAF arrives, which is after
  // the rendering update (input events, rAF callbacks, style, layout, paint, commit).
  const channel = new MessageChannel();
  channel.port1.onmessage = (e) => { if (b.work) b.work.push(performance.now() - e.data); };
  b.record = () => {
    const frames = b.frames = [];
    b.work = [];
    let last = null;
    const loop = (t) => {
      if (b.frames !== frames) return;
      if (last !== null) frames.push(t - last);
      last = t;
      channel.port2.postMessage(t);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  };
  b.stop = () => {
    const out = { intervals: b.frames, work: b.work };
    b.frames = null;
    b.work = null;
    return out;
  };
  b.quietFor = () => {
    const ends = b.longTasks.map((t) => t[1]);
    const last = Math.max(b.drawnAt || 0, ...ends);
    return performance.now() - last;
  };
})();
"""


# -- the generated pipelines ----------------------------------------------------------------

def generate(nodes: int, joins: int, width: int, seed: int = 0) -> dict:
    """A layered acyclic document: one Import Data, then rows of ``width`` nodes, ``joins`` of
    them Join Data (two inputs), the rest alternately Split Data / Clean Missing Data."""
    rng = random.Random(seed)
    singles = nodes - 1 - joins
    first = min(width, singles)  # the first row has only Import Data above it: no joins
    kinds = ["single"] * (singles - first) + ["join"] * joins
    rng.shuffle(kinds)
    kinds = ["single"] * first + kinds
    doc_nodes = [{"id": "import", "module": "import_data", "position": {"x": 0, "y": 0},
                  "params": {"source": "datastore", "format": "csv", "header": True,
                             "path": {"datastore": "samples", "path": "income/us.csv"}}}]
    outputs = {"import": ["dataset"]}
    rows = [["import"]]
    edges = []
    count = {"single": 0}
    for index, kind in enumerate(kinds):
        row, column = divmod(index, width)
        if column == 0:
            rows.append([])
        node_id = f"n{index + 1}"
        position = {"x": (column - width / 2) * X_STEP + X_STEP / 2, "y": (row + 1) * Y_STEP}
        # Inputs come from the row above, now and then from two rows above.
        sources = [rng.choice(rows[-3] if len(rows) > 3 and rng.random() < 0.2 else rows[-2])
                   for _ in range(2 if kind == "join" else 1)]
        if kind == "join":
            # Left semi joins: the schema keeps the data's width. Joins that keep the right
            # side's columns double the width on each row (117,279 columns by the last one),
            # and the server's design-time columns then take 20 s of CPU that the browser
            # being measured shares.
            node = {"id": node_id, "module": "join_data",
                    "params": {"left_keys": ["age"], "right_keys": ["age"],
                               "join_type": "left_semi"}}
            ports = ["left", "right"]
            outputs[node_id] = ["dataset"]
        elif count["single"] % 2 == 0:
            node = {"id": node_id, "module": "split_data", "params": {"fraction": 0.5}}
            ports = ["dataset"]
            outputs[node_id] = ["results1", "results2"]
        else:
            node = {"id": node_id, "module": "clean_missing_data", "params": {"mode": "mode"}}
            ports = ["dataset"]
            outputs[node_id] = ["cleaned_dataset"]
        if kind == "single":
            count["single"] += 1
        node["position"] = {"x": round(position["x"]), "y": position["y"]}
        doc_nodes.append(node)
        for source, port in zip(sources, ports, strict=True):
            edges.append({"from": {"node": source, "port": rng.choice(outputs[source])},
                          "to": {"node": node_id, "port": port}})
        rows[-1].append(node_id)
    return {"schema_version": 1, "name": f"Benchmark {nodes} nodes",
            "description": "Generated by benchmarks/bench_canvas.py", "parameters": [],
            "nodes": doc_nodes, "edges": edges}


CASES = [
    # name, nodes, joins, row width, expected wires
    ("1000 nodes", 1000, 401, 32, 1400),
    ("300 nodes", 300, 101, 20, 400),
    ("50 nodes", 50, 17, 7, 66),
]


def busiest_join(doc: dict) -> tuple[str, int]:
    """The Join Data node in the middle rows with the most wires (the drag target)."""
    wires: dict[str, int] = {}
    for edge in doc["edges"]:
        for end in ("from", "to"):
            wires[edge[end]["node"]] = wires.get(edge[end]["node"], 0) + 1
    ys = sorted(n["position"]["y"] for n in doc["nodes"])
    low, high = ys[len(ys) // 4], ys[3 * len(ys) // 4]
    joins = [n["id"] for n in doc["nodes"]
             if n["module"] == "join_data" and low <= n["position"]["y"] <= high]
    best = max(joins, key=lambda i: wires.get(i, 0))
    return best, wires[best]


# -- the server ------------------------------------------------------------------------------

def start_server(home: Path):
    """The app on a free port in a thread; returns (base URL, stop function)."""
    from werkzeug.serving import make_server

    from app import create_app
    from app.services import auth, samples

    app = create_app({"DESIGNER_HOME": str(home), "SECRET_KEY": "bench"})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with app.app_context():
        samples.init()
        auth.add_user("admin", PASSWORD, "admin")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["designer"].shutdown()

    return f"http://127.0.0.1:{server.server_port}", stop


# -- measuring -------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def frame_stats(recorded: dict) -> dict:
    """Main-thread time per frame (p50, p95, max) and the interval between frames."""
    work, intervals = recorded["work"], recorded["intervals"]
    return {"p50": pct(work, 50), "p95": pct(work, 95), "max": max(work, default=0.0),
            "interval_p50": pct(intervals, 50), "interval_p95": pct(intervals, 95),
            "frames": len(intervals)}


class Perf:
    """CDP Performance metrics of the renderer: main-thread time split by kind."""

    KEYS = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "TaskDuration",
            "ThreadTime", "ProcessTime")

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def snapshot(self) -> dict:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return {m["name"]: m["value"] for m in metrics if m["name"] in self.KEYS}

    @staticmethod
    def per_frame(before: dict, after: dict, frames: int) -> dict:
        delta = {k: (after[k] - before[k]) * 1000 / max(1, frames) for k in Perf.KEYS}
        other = delta["TaskDuration"] - delta["ScriptDuration"] - delta[
            "RecalcStyleDuration"] - delta["LayoutDuration"]
        return {"script": delta["ScriptDuration"], "style": delta["RecalcStyleDuration"],
                "layout": delta["LayoutDuration"], "other": other,
                "task": delta["TaskDuration"], "cpu": delta["ThreadTime"],
                "process_cpu": delta["ProcessTime"]}


def wait_idle(page, quiet_ms: float = 500, timeout: float = 60) -> None:
    """Wait until no long task has run for ``quiet_ms`` after the canvas was drawn."""
    page.wait_for_function(f"window.__bench.quietFor() >= {quiet_ms}", timeout=timeout * 1000,
                           polling=100)


def settle(page) -> None:
    """Wait for autosave and validation to be done, then for quiet."""
    page.wait_for_function(
        "window.__bench.designer.autosave.state === 'saved'"
        " && !window.__bench.designer.autosave.inflight",
        timeout=60_000)
    page.wait_for_timeout(300)
    wait_idle(page, 300)


def measure_load(page, url: str) -> dict:
    """Open the designer and time it (see the module docstring)."""
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__bench.drawnAt !== null", timeout=120_000, polling=50)
    wait_idle(page)
    page.wait_for_function("window.__bench.designer.validation.result !== null", timeout=120_000)
    return page.evaluate("""() => {
      const b = window.__bench;
      const nav = performance.getEntriesByType("navigation")[0];
      const res = performance.getEntriesByType("resource");
      const end = (test) => Math.max(0, ...res.filter((r) => test(new URL(r.name).pathname))
                                             .map((r) => r.responseEnd));
      const pipeline = "/api/v1/pipelines/" + location.pathname.split("/").pop();
      const scripts = res.filter((r) => new URL(r.name).pathname.startsWith("/static/js/"));
      const longTasks = b.longTasks.filter((t) => t[1] <= b.drawnAt + 60000);
      const lastLong = Math.max(0, ...longTasks.map((t) => t[1]));
      return {
        ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd,
        scripts: Math.max(0, ...scripts.map((r) => r.responseEnd)), script_files: scripts.length,
        data: end((p) => p === "/api/v1/modules" || p === pipeline),
        drawn: b.drawnAt, interactive: Math.max(b.drawnAt, lastLong),
        validated: end((p) => p === "/api/v1/pipelines/validate"),
        long_tasks: longTasks.length,
        longest: Math.max(0, ...longTasks.map((t) => t[1] - t[0])),
        long_api: !b.noLongTasks,
      };
    }""")


def record(page, perf: Perf | None, action) -> dict:
    """Record rAF intervals (and CDP metrics) while ``action()`` runs."""
    before = perf.snapshot() if perf else None
    page.evaluate("window.__bench.record()")
    extra = action() or {}
    page.wait_for_timeout(50)  # the last frame's message
    recorded = page.evaluate("window.__bench.stop()")
    stats = frame_stats(recorded) | extra
    if perf:
        stats["profile"] = Perf.per_frame(before, perf.snapshot(), stats["frames"])
    return stats


def idle_frames(page, seconds: float = 1.0) -> dict:
    """Frames with nothing happening: the floor of both figures (an interval of about 16.7 ms
    means requestAnimationFrame is held to 60 fps)."""
    return record(page, None, lambda: page.wait_for_timeout(seconds * 1000))


def canvas_box(page) -> dict:
    return page.locator("svg.canvas").bounding_box()


def circle(page, cx: float, cy: float, seconds: float, radius: float = 120) -> dict:
    """Move the (pressed) mouse in circles through (cx, cy) for ``seconds``."""
    moves = 0
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        angle = 2 * math.pi * elapsed
        page.mouse.move(cx + radius * (math.cos(angle) - 1), cy + radius * math.sin(angle))
        moves += 1
    return {"moves_per_s": moves / seconds}


def drag_node(page, node_id: str, seconds: float) -> dict:
    box = page.locator(f'g.node[data-node-id="{node_id}"] .node-body').bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()

    def act():
        result = circle(page, cx, cy, seconds)
        page.mouse.up()
        return result

    return act


def zoom(page, seconds: float):
    canvas = canvas_box(page)
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)

    def act():
        notches = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            page.mouse.wheel(0, 100 if (notches // 4) % 2 == 0 else -100)
            notches += 1
        return {"moves_per_s": notches / seconds}

    return act


def pan(page, seconds: float):
    point = page.evaluate("""() => {
      const svg = document.querySelector("svg.canvas");
      const box = svg.getBoundingClientRect();
      const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
      let best = null;
      for (let y = box.top + 10; y < box.bottom - 10; y += 8) {
        for (let x = box.left + 10; x < box.right - 10; x += 8) {
          if (document.elementFromPoint(x, y) !== svg) continue;
          const d = Math.hypot(x - cx, y - cy);
          if (!best || d < best.d) best = { x, y, d };
        }
      }
      return best;
    }""")
    canvas = canvas_box(page)
    if point is None:  # no empty background in sight: the middle button pans anywhere
        point, button = {"x": canvas["x"] + canvas["width"] / 2,
                         "y": canvas["y"] + canvas["height"] / 2}, "middle"
    else:
        button = "left"
    page.mouse.move(point["x"], point["y"])
    page.mouse.down(button=button)

    def act():
        result = circle(page, point["x"], point["y"], seconds)
        page.mouse.up(button=button)
        return result | {"button": button}

    return act


def one_repeat(context, url: str, drag_id: str, seconds: float) -> dict:
    """Load the designer, then drag, zoom and pan; the figures of one repetition."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        load = measure_load(page, url)
        perf = Perf(page)
        result = {"load": load, "idle": idle_frames(page)}
        result["drag"] = record(page, perf, drag_node(page, drag_id, seconds))
        settle(page)
        result["zoom"] = record(page, perf, zoom(page, seconds))
        settle(page)
        result["pan"] = record(page, perf, pan(page, seconds))
        settle(page)
        page.evaluate("() => { const v = window.__bench.designer.view; v.zoomBy(1 / v.t.k); }")
        settle(page)
        result["pan100"] = record(page, perf, pan(page, seconds))
        result["errors"] = errors
        return result
    finally:
        page.close()


TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc",
                    "v8.execute", "toplevel", "loading"]


def trace_load_and_drag(browser, context, url: str, drag_id: str, seconds: float,
                        path: Path) -> None:
    """Chrome traces of one load (PATH with -load) and one drag (PATH); print where time goes."""
    load_path = path.with_name(f"{path.stem}-load{path.suffix}")
    page = context.new_page()
    try:
        browser.start_tracing(page=page, path=str(load_path), categories=TRACE_CATEGORIES)
        load = measure_load(page, url)
        browser.stop_tracing()
        act = drag_node(page, drag_id, seconds)
        browser.start_tracing(page=page, path=str(path), categories=TRACE_CATEGORIES)
        page.evaluate("window.__bench.record()")
        act()
        frames = len(page.evaluate("window.__bench.stop()")["intervals"])
        browser.stop_tracing()
    finally:
        page.close()
    print(f"\nTrace {load_path}: one load (interactive at {load['interactive']:.0f} ms); "
          "renderer main-thread self time, heaviest first:")
    summarize_trace(load_path, 1, frames_line=False)
    summarize_trace(path, frames)


def summarize_trace(path: Path, frames: int, frames_line: bool = True) -> None:
    """Self time per event name on the renderer's main thread, per frame."""
    events = json.loads(path.read_text())
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"}
    spans = sorted(((e["ts"], e["ts"] + e.get("dur", 0), e["name"]) for e in events
                    if (e.get("pid"), e.get("tid")) in main and e.get("ph") == "X"
                    and e.get("dur")), key=lambda s: (s[0], -s[1]))
    self_time: dict[str, float] = {}
    stack: list[list] = []  # [end, name, child time]
    for start, end, name in spans:
        while stack and stack[-1][0] <= start:
            done = stack.pop()
            self_time[done[1]] = self_time.get(done[1], 0) + done[3] - done[2]
        if stack:
            stack[-1][2] += end - start
        stack.append([end, name, 0, end - start])
    for done in stack:
        self_time[done[1]] = self_time.get(done[1], 0) + done[3] - done[2]
    walls = sorted(e["dur"] / 1000 for e in events if (e.get("pid"), e.get("tid")) in main
                   and e.get("ph") == "X" and e.get("name") == "ProxyMain::BeginMainFrame")
    cpus = sorted(e.get("tdur", 0) / 1000 for e in events if (e.get("pid"), e.get("tid")) in main
                  and e.get("ph") == "X" and e.get("name") == "ProxyMain::BeginMainFrame")
    if not frames_line:
        for name, micros in sorted(self_time.items(), key=lambda kv: -kv[1])[:14]:
            print(f"  {name:<40} {micros / 1000:8.1f} ms")
        return
    print(f"\nTrace {path}: {len(walls)} BeginMainFrame (input, rAF, style, layout, paint, "
          f"commit): wall p50 {pct(walls, 50):.2f} p95 {pct(walls, 95):.2f} max "
          f"{max(walls, default=0):.2f} ms; CPU p50 {pct(cpus, 50):.2f} p95 {pct(cpus, 95):.2f} "
          f"max {max(cpus, default=0):.2f} ms")
    print(f"Renderer main-thread self time per frame ({frames} frames), heaviest first:")
    for name, micros in sorted(self_time.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {name:<34} {micros / 1000 / max(1, frames):7.2f} ms")


# -- report ----------------------------------------------------------------------------------

def median_of(results: list[dict], *keys: str) -> float:
    values = []
    for r in results:
        value = r
        for key in keys:
            value = value[key]
        values.append(value)
    return statistics.median(values)


def report(name: str, doc: dict, drag: tuple[str, int], results: list[dict],
           profile: bool) -> list[tuple[str, bool]]:
    m = lambda *keys: median_of(results, *keys)  # noqa: E731
    print(f"\n{name}: {len(doc['nodes'])} nodes, {len(doc['edges'])} wires; dragged "
          f"{drag[0]} ({drag[1]} wires); median of {len(results)} loads")
    print(f"  load  TTFB {m('load', 'ttfb'):5.0f} ms   {m('load', 'script_files'):.0f} JS modules "
          f"loaded {m('load', 'scripts'):5.0f} ms   DOMContentLoaded {m('load', 'dcl'):5.0f} ms"
          f"   pipeline + catalogue JSON {m('load', 'data'):5.0f} ms")
    print(f"        drawn {m('load', 'drawn'):5.0f} ms   interactive "
          f"{m('load', 'interactive'):5.0f} ms   validation answered {m('load', 'validated'):5.0f}"
          f" ms   long tasks {m('load', 'long_tasks'):.0f} (longest {m('load', 'longest'):.0f} ms)")
    print(f"  idle: frame {m('idle', 'p50'):5.2f} ms, interval {m('idle', 'interval_p50'):5.2f} ms"
          f" ({m('idle', 'frames'):.0f} frames in 1 s)")
    print("               frame main-thread ms  CPU/frame ms    interval ms")
    print("  interaction    p50     p95     max   main  all     p50    p95  frames  inputs/s")
    for kind, label in KINDS.items():
        print(f"  {label:<10} {m(kind, 'p50'):6.2f}  {m(kind, 'p95'):6.2f}  {m(kind, 'max'):6.1f}"
              f"  {m(kind, 'profile', 'cpu'):5.1f} {m(kind, 'profile', 'process_cpu'):5.1f}"
              f"  {m(kind, 'interval_p50'):6.1f} {m(kind, 'interval_p95'):6.1f}"
              f"  {m(kind, 'frames'):6.0f}  {m(kind, 'moves_per_s'):8.0f}")
        if profile:
            print(f"    main thread per frame (CDP): script {m(kind, 'profile', 'script'):5.2f}"
                  f"  style {m(kind, 'profile', 'style'):5.2f}  layout "
                  f"{m(kind, 'profile', 'layout'):5.2f}  other {m(kind, 'profile', 'other'):5.2f}"
                  f"  (all tasks {m(kind, 'profile', 'task'):5.2f} ms)")
    load_target = INSTANT_TARGET if len(doc["nodes"]) <= 50 else LOAD_TARGET
    checks = [(f"{name}: load {m('load', 'interactive'):.0f} ms < {load_target:.0f} ms",
               m("load", "interactive") < load_target)]
    for kind, label in KINDS.items():
        checks.append((f"{name}: {label} p95 {m(kind, 'p95'):.1f} ms < {FRAME_TARGET:.0f} ms",
                       m(kind, "p95") < FRAME_TARGET))
    if m("idle", "interval_p50") > 12:
        print("  NOTE: the idle interval is about 16.7 ms: requestAnimationFrame is held to 60 fps"
              " (the frame-rate flags had no effect), so the targets are checked on the frames'"
              " main-thread time")
    errors = sorted({e for r in results for e in r["errors"]})
    if errors:
        print(f"  page errors: {errors}")
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--profile", action="store_true",
                        help="CDP main-thread time per frame for each interaction")
    parser.add_argument("--trace", type=Path,
                        help="write Chrome traces of a 1,000-node load and drag")
    parser.add_argument("--case", choices=[c[0].split()[0] for c in CASES],
                        help="only this many nodes")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium); nothing measured.")
        return
    from playwright.sync_api import sync_playwright

    from app.engine.registry import discover

    discover()
    load1, load5, _ = os.getloadavg()
    print(f"Chromium canvas benchmark; {os.cpu_count()} CPUs, load average {load1:.1f} "
          f"(5 min {load5:.1f})")
    with tempfile.TemporaryDirectory(prefix="bench-canvas-") as tmp:
        url, stop = start_server(Path(tmp) / "instance")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                # The probes are polled with string expressions, which the page's
                # Content-Security-Policy (no eval) would refuse; the drawing is unchanged.
                context = browser.new_context(viewport={"width": 1280, "height": 800},
                                              base_url=url, bypass_csp=True)
                context.add_init_script(PROBE)
                print(f"Browser: Chromium {browser.version}, 1280x800, flags {' '.join(ARGS[-2:])}")
                checks = run_cases(browser, context, args)
                context.close()
                browser.close()
        finally:
            stop()
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {text}")


def sign_in(context) -> None:
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/login" not in u)
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    context.set_extra_http_headers({"X-CSRF-Token": token})
    page.close()


def run_cases(browser, context, args) -> list[tuple[str, bool]]:
    sign_in(context)
    checks = []
    for name, nodes, joins, width, wires in CASES:
        if args.case and args.case != str(nodes):
            continue
        doc = generate(nodes, joins, width)
        assert len(doc["nodes"]) == nodes and len(doc["edges"]) == wires, (name, len(doc["edges"]))
        response = context.request.post("/api/v1/pipelines", data={"document": doc})
        assert response.status == 201, response.text()
        pipeline_id = response.json()["id"]
        check = context.request.get(f"/api/v1/pipelines/{pipeline_id}/validate").json()
        problems = sum(len(v) for v in check["node_errors"].values()) + len(check["errors"])
        print(f"\n{name}: created {pipeline_id}; server validation: "
              f"{'valid' if check['valid'] else f'{problems} problems'}")
        drag = busiest_join(doc)
        url = f"/pipelines/{pipeline_id}"
        one_repeat(context, url, drag[0], 0.5)  # warm-up: caches, JIT
        results = []
        for i in range(args.repeats):
            result = one_repeat(context, url, drag[0], args.seconds)
            results.append(result)
            print(f"  run {i + 1}: load {result['load']['interactive']:.0f} ms, drag p95 "
                  f"{result['drag']['p95']:.1f}, zoom p95 {result['zoom']['p95']:.1f}, pan p95 "
                  f"{result['pan']['p95']:.1f}, pan 100% p95 {result['pan100']['p95']:.1f} ms")
        checks += report(name, doc, drag, results, args.profile)
        if args.trace and nodes == CASES[0][1]:
            trace_load_and_drag(browser, context, url, drag[0], args.seconds, args.trace)
    return checks


if __name__ == "__main__":
    main()
