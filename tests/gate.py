"""A test-only module whose step stays Running until the test creates a file.

Declared at module level in an importable module so a step run in another process finds it
too; the file is the signal because it crosses processes (an in-process event would not).
"""

import time
from pathlib import Path

from app.engine.registry import module
from app.engine.spec import DATAFRAME, Port, Str


@module("test_gate", label="Test Gate", category="Tests", inputs=[Port("dataset", DATAFRAME)],
        outputs=[Port("dataset", DATAFRAME)], params=[Str("path", default="")],
        deterministic=False)
def gate(dataset, *, path, ctx):
    """Pass the data set on once the file ``path`` exists (checking for cancellation)."""
    while not Path(path).exists():
        ctx.check_cancelled()
        time.sleep(0.02)
    ctx.log("released")
    return {"dataset": dataset}


def gated_document(name: str, release: Path) -> dict:
    """Enter Data Manually feeding a Test Gate that waits for ``release`` to exist."""
    return {"name": name, "nodes": [
        {"id": "data", "module": "enter_data_manually", "position": {"x": 0, "y": 0},
         "params": {"data": "a\n1\n2\n"}},
        {"id": "gate", "module": "test_gate", "position": {"x": 0, "y": 120},
         "params": {"path": str(release)}}],
        "edges": [{"from": {"node": "data", "port": "dataset"},
                   "to": {"node": "gate", "port": "dataset"}}]}
