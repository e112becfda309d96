"""Step outputs for people: previews with per-column statistics, downloads."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from ..engine.artifacts import FRAMES, ArtifactRef, ArtifactStore
from ..errors import BadRequest, Unprocessable

MAX_PREVIEW_ROWS = 1000


def column_stats(frame: pd.DataFrame) -> list[dict]:
    """Type, missing count and mean/min/max or top categories of every column."""
    stats = []
    for name in frame.columns:
        col = frame[name]
        entry: dict[str, Any] = {"name": str(name), "dtype": str(col.dtype),
                                 "missing": int(col.isna().sum()),
                                 "unique": int(col.nunique(dropna=True))}
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            described = col.describe()
            for key in ("mean", "std", "min", "max"):
                value = described.get(key)
                entry[key] = None if value is None or pd.isna(value) else float(value)
        else:
            top = col.astype("string").value_counts(dropna=True).head(10)
            entry["top"] = [{"value": str(k), "count": int(v)} for k, v in top.items()]
        stats.append(entry)
    return stats


def preview(store: ArtifactStore, ref: ArtifactRef, rows: Any) -> dict:
    """First ``rows`` rows and column statistics of a data set; metrics/models described."""
    try:
        rows = int(rows)
    except (TypeError, ValueError):
        raise BadRequest(f"'rows' must be an int, got {rows!r}.", field="rows") from None
    if not 0 <= rows <= MAX_PREVIEW_ROWS:
        raise BadRequest(f"'rows' must be in the range [0, {MAX_PREVIEW_ROWS}].", field="rows")
    if ref.kind == "json":
        return {"kind": "json", "value": store.get(ref)}
    if ref.kind not in FRAMES:
        return {"kind": ref.kind, "description": "a trained or untrained model; download it"}
    frame = store.get(ref)
    head = json.loads(frame.head(rows).to_json(orient="split", index=False, date_format="iso"))
    return {"kind": "dataframe", "row_count": int(len(frame)),
            "column_count": int(frame.shape[1]), "columns": column_stats(frame),
            "rows": head["data"], "column_names": head["columns"]}


def download(store: ArtifactStore, ref: ArtifactRef, fmt: str | None) -> tuple[bytes, str, str]:
    """(bytes, mimetype, file extension) of an output; data sets as CSV unless asked."""
    if ref.kind in FRAMES:
        fmt = fmt or "csv"
        if fmt == "parquet":
            return _parquet(store, ref), "application/vnd.apache.parquet", "parquet"
        if fmt == "csv":
            buffer = io.StringIO()
            store.get(ref).to_csv(buffer, index=False)
            return buffer.getvalue().encode(), "text/csv", "csv"
        raise BadRequest(f"'format' must be csv or parquet, got {fmt!r}.", field="format")
    if fmt not in (None, ref.kind):
        raise Unprocessable(f"This output is {ref.kind}; 'format' {fmt!r} is not offered.",
                         field="format")
    mime = "application/json" if ref.kind == "json" else "application/octet-stream"
    return store.read_bytes(ref), mime, ref.kind


def _parquet(store: ArtifactStore, ref: ArtifactRef) -> bytes:
    """A stored data set as Parquet bytes (data sets are stored as Arrow files)."""
    if ref.kind == "parquet":
        return store.read_bytes(ref)
    buffer = io.BytesIO()
    store.get(ref).to_parquet(buffer, index=False)
    return buffer.getvalue()
