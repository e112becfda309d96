"""Design-time column functions of the built-in modules (see app.engine.schema)."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from ..engine.registry import REGISTRY
from . import data, transform, transform_split, transform_sql  # noqa: F401


def _import_data(fed, params, datastores):
    """The file's header (first line only), or the column_names given for headerless files."""
    path = params.get("path")
    if params.get("source") != "datastore" or not path:
        return {"dataset": None}
    file = datastores.resolve_file(path["datastore"], path["path"])
    if params["format"] == "parquet":
        return {"dataset": list(pq.read_schema(file).names)}
    sep = "\t" if params["format"] == "tsv" else ","
    if not params["header"]:
        names = [n.strip() for n in params["column_names"].split(",") if n.strip()]
        if not names:
            width = pd.read_csv(file, sep=sep, header=None, nrows=1).shape[1]
            names = [f"Col{i}" for i in range(1, width + 1)]
        return {"dataset": names}
    header = pd.read_csv(file, sep=sep, nrows=0, skipinitialspace=True)
    return {"dataset": [str(c) for c in header.columns]}


def _same(port_in: str, *ports_out: str):
    def columns(fed, params, datastores):
        return {port: fed.get(port_in) for port in ports_out}

    return columns


def _clean(fed, params, datastores):
    names = fed.get("dataset")
    if names is None or not params["generate_indicator"]:
        return {"cleaned_dataset": names}
    # Which columns get an indicator depends on the data's missing ratios: unknown here.
    return {"cleaned_dataset": None}


def _select(fed, params, datastores):
    names = fed.get("dataset")
    if names is None or params["column_type"] != "any":
        return {"dataset": None}
    chosen = set(params["columns"] or [])
    if params["mode"] == "include":
        keep = names if not chosen else [c for c in names if c in chosen]
    else:
        keep = [c for c in names if c not in chosen]
    return {"dataset": keep}


def _edit(fed, params, datastores):
    names = fed.get("dataset")
    new = [n.strip() for n in params["new_names"].split(",")] if params["new_names"].strip() else []
    if names is None or not new:
        return {"dataset": names}
    renames = dict(zip(params["columns"], new, strict=False))
    return {"dataset": [renames.get(c, c) for c in names]}


def _join(fed, params, datastores):
    left, right = fed.get("left"), fed.get("right")
    if left is None or right is None:
        return {"dataset": None}
    if params["join_type"] == "left_semi":
        return {"dataset": list(left)}
    out = list(left)
    drop = set() if params["keep_right_keys"] else set(params["right_keys"])
    for name in right:
        if name in drop:
            continue
        candidate, n = name, 2
        while candidate in out:
            candidate, n = f"{name} ({n})", n + 1
        out.append(candidate)
    return {"dataset": out}


COLUMN_FUNCTIONS = {
    "import_data": _import_data,
    "clean_missing_data": _clean,
    "select_columns": _select,
    "edit_metadata": _edit,
    "split_data": _same("dataset", "results1", "results2"),
    "normalize_data": _same("dataset", "transformed_dataset"),
    "join_data": _join,
}

for _name, _fn in COLUMN_FUNCTIONS.items():
    REGISTRY[_name].columns = _fn
