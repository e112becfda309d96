"""What Export as Python writes in place of the server's parts.

Every other module is exported as its own function (app.engine.sources copies it with the
helpers it uses), so a script computes exactly what a run does. Import Data reads a local
file or URL instead of a datastore; the step context only logs to standard error.
"""

from __future__ import annotations

import argparse
import os
import sys

import pandas as pd

from app.engine import context
from app.engine.context import Limits
from app.engine.spec import bool_word

from .data import _headerless_names, _read_text

# Modules a script cannot run, and why (the export refuses them, naming the node).
NOT_EXPORTABLE = {
    "export_data": "it writes into a datastore of the server",
    "web_service_input": "it belongs to a real-time inference pipeline",
    "web_service_output": "it belongs to a real-time inference pipeline",
    "saved_model": "it reads a model from the server's artifact store",
    "saved_transformation": "it reads a transformation from the server's artifact store",
    "execute_python_script": "its script runs only in the server's sandboxed process",
    "create_python_model": "its class runs only in the server's sandboxed process",
}


class StepContext:
    """A step's log in a script: lines go to standard error, prefixed by the module; the
    limits are the server's defaults (Apply SQL Transformation keeps to them)."""

    def __init__(self, module: str):
        self.module = module
        self.limits = Limits()

    def log(self, message: str) -> None:
        """Write one log line."""
        print(f"[{self.module}] {message}", file=sys.stderr)  # noqa: T201 - a script's log

    def check_cancelled(self) -> None:
        """A script is stopped with Ctrl+C; nothing to check."""


def import_data(*, source, path, url, format, header, column_names, na_values):
    """Import Data: read a CSV, TSV or Parquet file (a local path or an http(s) URL)."""
    where = path if source == "datastore" else url
    if format == "parquet":
        frame = pd.read_parquet(where)
    else:
        frame = _read_text(where, format, header, na_values)
        if not header:
            frame.columns = _headerless_names(frame.shape[1], column_names, where, "Import Data")
    frame.columns = [str(c) for c in frame.columns]
    return {"dataset": frame}


def data_file(folder: str, path: str) -> str:
    """A datastore-relative ``path`` inside ``folder`` (an absolute path stays as it is)."""
    return os.path.join(folder, path)


def yes_no(text: str) -> bool:
    """A command-line bool: true/false, yes/no, on/off or 1/0."""
    value = bool_word(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


# The step context the modules create when they are called without one.
SUBSTITUTES = {context.StepContext: StepContext}
OVERRIDES = {"import_data": import_data}
