"""Module preloading: the static ES modules a page imports, so the browser fetches them at once.

Without it the browser discovers imports level by level (a request round trip per level);
`<link rel="modulepreload">` for the whole static import graph removes the waterfall.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

from flask import current_app, url_for

from ..config import ROOT

STATIC = ROOT / "static"
# Static imports only (`import ... from "./x.js"` and `import "./x.js"`); dynamic import()
# stays lazy on purpose.
IMPORT = re.compile(r"""^\s*import\s+(?:[^'"]*?\s+from\s+)?["'](\.{1,2}/[^"']+\.js)["']""",
                    re.MULTILINE)


def _imports(relative: str) -> list[str]:
    text = (STATIC / relative).read_text(encoding="utf-8")
    base = PurePosixPath(relative).parent
    found = []
    for spec in IMPORT.findall(text):
        parts = []
        for part in (base / spec).parts:
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        found.append("/".join(parts))
    return found


@lru_cache(maxsize=64)
def _graph(entry: str) -> tuple[str, ...]:
    seen: list[str] = []
    stack = [entry]
    while stack:
        current = stack.pop()
        if current in seen or not (STATIC / current).is_file():
            continue
        seen.append(current)
        stack.extend(_imports(current))
    return tuple(seen)


def module_preloads(entry: str) -> list[str]:
    """URLs of every module ``entry`` (e.g. "js/pages/designer.js") imports, transitively."""
    if current_app.debug:
        _graph.cache_clear()
    return [url_for("static", filename=path) for path in _graph(entry)]
