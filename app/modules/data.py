"""Data Input and Output: Import Data, Enter Data Manually, Export Data."""

from __future__ import annotations

import functools
import io
import os
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from app.engine.columns import Typed
from app.engine.context import ModuleError, StepContext
from app.engine.datastores import DatastoreError
from app.engine.outbound import OutboundError, fetch, redacted
from app.engine.registry import module
from app.engine.spec import DATAFRAME, Bool, Choice, DataPath, Port, Str
from app.engine.storage import RemotePath

CATEGORY = "Data Input and Output"
FORMATS = ["csv", "tsv", "parquet"]
FORMAT_LABELS = {"csv": "CSV", "tsv": "TSV", "parquet": "Parquet"}
TEXT = {"format": ["csv", "tsv"]}  # the fields of a text file only


def fingerprint(params: dict, datastores) -> str | None:
    """A string that changes whenever Import Data's source file changes, or None.

    ``params`` are Import Data's resolved parameters and ``datastores`` the run's
    app.engine.datastores.Datastores. For a datastore file the result combines the
    datastore, the relative path, the resolved absolute path (so a re-pointed datastore root or
    symbolic link counts as a change), the size and the modification time in nanoseconds; the
    engine adds it to the cache key so an edited file is re-read. None means "not reusable":
    URL sources (the remote content can change unseen) and files that cannot be resolved or
    read (the step will then run and report the problem itself).
    """
    path = params.get("path")
    if params.get("source", "datastore") != "datastore" or not path:
        return None
    try:
        file = datastores.resolve_file(path["datastore"], path["path"])
        stat = file.stat()
    except (DatastoreError, OSError):
        return None
    return f"{path['datastore']}:{path['path']}|{file}|{stat.st_size}|{stat.st_mtime_ns}"


# Up to this size a file is read whole at design time, once per version of the file, for its
# columns' types (they decide choices by type); a larger one gives its names only.
TYPES_MAX_BYTES = 32 * 1024 * 1024


def imported_columns(fed, params, datastores) -> dict:
    """The columns Import Data will read from a datastore file: with their types, from the file
    read as the run reads it, when it has up to TYPES_MAX_BYTES; else the names alone (a
    Parquet file's schema, a text file's first line)."""
    path = params.get("path")
    if params.get("source") != "datastore" or not path:
        return {"dataset": None}  # a URL is not fetched at design time
    file = datastores.resolve_file(path["datastore"], path["path"])
    fmt, header = params["format"], params["header"]
    stat = file.stat()
    if 0 < stat.st_size <= TYPES_MAX_BYTES:
        typed = _typed_read(file, stat.st_size, stat.st_mtime_ns, fmt, header,
                            params["na_values"], params["column_names"], _where(path))
        if typed is not None:
            names, dtypes = typed
            return {"dataset": Typed(names, dict(zip(names, dtypes, strict=True)))}
    source = file.open("rb") if isinstance(file, RemotePath) else file
    if fmt == "parquet":
        return {"dataset": [str(n) for n in pq.read_schema(source).names]}
    first = _read_text(source, fmt, header, nrows=0 if header else 1)
    if header:
        return {"dataset": [str(c) for c in first.columns]}
    return {"dataset": _headerless_names(first.shape[1], params["column_names"], _where(path),
                                         "Import Data")}


@functools.lru_cache(maxsize=64)
def _typed_read(file, size, mtime_ns, fmt, header, na_values, column_names, where):
    """(names, dtypes) of a file as Import Data parses it, or None when it cannot be parsed
    (the run will say why); one entry per version of the file (``size`` and ``mtime_ns`` are
    part of the key), so a file is read once, not at every edit."""
    data = io.BytesIO(file.read_bytes()) if isinstance(file, RemotePath) else file
    try:
        frame = _parse(data, where, fmt, header, column_names, na_values, "Import Data",
                       StepContext("design-time columns"))
    except (ModuleError, OSError):
        return None
    return tuple(frame.columns), tuple(frame.dtypes)


@module(
    "import_data",
    label="Import Data",
    category=CATEGORY,
    outputs=[Port("dataset", DATAFRAME)],
    fingerprint=fingerprint,
    columns=imported_columns,
    params=[
        Choice("source", options=["datastore", "url"], default="datastore",
               option_labels={"datastore": "Datastore", "url": "URL over HTTP"}),
        DataPath("path", default=None, must_exist=True, when={"source": "datastore"},
                 description="File inside a datastore."),
        Str("url", default="", blank=False, when={"source": "url"}, label="URL",
            description="http:// or https:// address."),
        Choice("format", options=FORMATS, default="csv", option_labels=FORMAT_LABELS),
        Bool("header", default=True, when=TEXT, label="File has header row",
             description="The first line holds the column names."),
        Str("column_names", default="", when=TEXT | {"header": False},
            description="Comma-separated names used when there is no header (else Col1..ColN)."),
        Str("na_values", default="", when=TEXT,
            description="Comma-separated extra markers of missing values, e.g. '?'."),
    ],
)
def import_data(*, source, path, url, format, header, column_names, na_values, ctx=None):
    """Read a CSV, TSV or Parquet file from a datastore or an http(s) URL."""
    ctx = ctx or StepContext("import_data")
    if source == "datastore":
        file = _existing_file(ctx, path)
        stat = file.stat()
        ctx.log(f"Reading {_where(path)} ({stat.st_size} bytes, mtime_ns {stat.st_mtime_ns})")
        if stat.st_size == 0:
            raise ModuleError(f"Import Data: the file {_where(path)} is empty.")
        # A remote file is fetched once, whole, like a URL source.
        data = io.BytesIO(file.read_bytes()) if isinstance(file, RemotePath) else file
        what = _where(path)
    else:
        data, what = _download(url, ctx), redacted(url)
        if not data:
            raise ModuleError(f"Import Data: {what} returned an empty file.")
        data = io.BytesIO(data)
    frame = _parse(data, what, format, header, column_names, na_values, "Import Data", ctx)
    ctx.log(f"Read {len(frame)} rows, {frame.shape[1]} columns from {what}")
    return {"dataset": frame}


@module(
    "enter_data_manually",
    label="Enter Data Manually",
    category=CATEGORY,
    outputs=[Port("dataset", DATAFRAME)],
    params=[
        Choice("data_format", options=["csv", "tsv"], default="csv"),
        Bool("has_header", default=True),
        Str("data", default="", multiline=True),
    ],
)
def enter_data_manually(*, data_format, has_header, data, ctx=None):
    """Parse CSV or TSV text typed into the module's text area."""
    ctx = ctx or StepContext("enter_data_manually")
    if not data.strip():
        raise ModuleError("Enter Data Manually: the 'data' parameter is empty; type some rows.")
    buffer = io.BytesIO(data.encode("utf-8"))
    frame = _parse(buffer, "the typed data", data_format, has_header, "", "",
                   "Enter Data Manually", ctx)
    ctx.log(f"Parsed {len(frame)} rows, {frame.shape[1]} columns")
    return {"dataset": frame}


@module(
    "export_data",
    label="Export Data",
    category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)],
    params=[
        DataPath("path", description="Destination file inside a datastore."),
        Choice("format", options=FORMATS, default="csv", option_labels=FORMAT_LABELS),
        Bool("overwrite", default=False, description="Replace the file if it already exists."),
    ],
    # Writing a file is the point of this module: it must run every time, never be "reused".
    deterministic=False,
)
def export_data(dataset, *, path, format, overwrite, ctx=None):
    """Write the data set to a CSV, TSV or Parquet file inside a datastore."""
    ctx = ctx or StepContext("export_data")
    where = _where(path)
    target = _resolve(ctx, path, "Export Data")
    if target.is_dir():
        raise ModuleError(f"Export Data: {where} is a folder, not a file.")
    if target.exists() and not overwrite:
        raise ModuleError(
            f"Export Data: {where} already exists; set 'overwrite' to replace it."
        )
    if isinstance(target, RemotePath):
        _export_remote(dataset, target, format, where)
        ctx.log(f"Wrote {len(dataset)} rows, {dataset.shape[1]} columns to {where} ({format})")
        return {}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModuleError(
            f"Export Data: cannot create the folder for {where}: {_reason(exc)}"
        ) from None
    # Re-resolve: the folders just created must still lie inside the datastore.
    target = _resolve(ctx, path, "Export Data")
    # Writing beside the target then renaming means readers never see half a file.
    temp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        _write(dataset, temp, format)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        _publish(temp, target, overwrite, where)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ModuleError(f"Export Data: could not write {where}: {_reason(exc)}") from None
    finally:
        temp.unlink(missing_ok=True)
    ctx.log(f"Wrote {len(dataset)} rows, {dataset.shape[1]} columns to {where} ({format})")
    return {}


def _export_remote(dataset: pd.DataFrame, target: RemotePath, fmt: str, where: str) -> None:
    """Write the data set to a remote file in one put (readers never see half of it)."""
    buffer = io.BytesIO()
    try:
        _write(dataset, buffer, fmt)
        target.fs.pipe_file(target.path, buffer.getvalue())
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ModuleError(f"Export Data: could not write {where}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    # An OSError's text embeds absolute server paths; its strerror does not.
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _write(frame: pd.DataFrame, file: Path, fmt: str) -> None:
    if fmt == "parquet":
        frame.to_parquet(file, index=False)
    else:
        frame.to_csv(file, index=False, sep="\t" if fmt == "tsv" else ",")


def _publish(temp: Path, target: Path, overwrite: bool, where: str) -> None:
    """Move ``temp`` onto ``target``; without ``overwrite`` never clobber a file that
    appeared meanwhile (a hard link fails if the name exists)."""
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)
    except FileExistsError:
        raise ModuleError(
            f"Export Data: {where} already exists; set 'overwrite' to replace it."
        ) from None
    except OSError:
        # Some filesystems have no hard links; the earlier exists() check must do.
        os.replace(temp, target)


def _where(path: dict) -> str:
    return f"'{path['path']}' in datastore '{path['datastore']}'"


def _resolve(ctx: StepContext, path: dict, label: str) -> Path:
    try:
        return ctx.resolve(path["datastore"], path["path"])
    except DatastoreError as exc:
        raise ModuleError(f"{label}: {exc}") from None


def _existing_file(ctx: StepContext, path: dict) -> Path:
    try:
        file = ctx.datastores.resolve_file(path["datastore"], path["path"])
    except DatastoreError as exc:
        raise ModuleError(f"Import Data: {exc}") from None
    if file.is_dir():
        raise ModuleError(f"Import Data: {_where(path)} is a folder, not a file.")
    if not file.is_file():
        raise ModuleError(f"Import Data: file not found: {_where(path)}.")
    return file


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _read_text(data, fmt: str, header: bool, na_values: str = "", nrows=None) -> pd.DataFrame:
    """Read CSV or TSV as Import Data does (``nrows`` rows only, if given)."""
    return pd.read_csv(
        data,
        sep="\t" if fmt == "tsv" else ",",
        header=0 if header else None,
        skipinitialspace=True,
        na_values=_split(na_values) or None,
        nrows=nrows,
        # One pass over the whole file: chunked type guessing can leave a column
        # half numbers, half text, which Parquet cannot store.
        low_memory=False,
    )


def _parse(data, what, fmt, header, column_names, na_values, label, ctx) -> pd.DataFrame:
    """Parse ``data`` (a path or a binary buffer) as ``fmt``; errors name ``what``."""
    ctx.check_cancelled()
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(data)
        else:
            frame = _read_text(data, fmt, header, na_values)
    except pd.errors.EmptyDataError:
        raise ModuleError(f"{label}: {what} is empty (no columns to read).") from None
    except UnicodeDecodeError as exc:
        raise ModuleError(
            f"{label}: {what} is not UTF-8 text (byte {exc.start}); is the format right?"
        ) from None
    except (pd.errors.ParserError, ValueError, pa.ArrowException, OSError) as exc:
        kind = "a Parquet" if fmt == "parquet" else f"a valid {fmt.upper()}"
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(data, Path):  # the server's folders are none of the user's business
            detail = detail.replace(str(data), "the file")
        raise ModuleError(f"{label}: {what} is not {kind} file: {detail}") from None
    if fmt != "parquet" and not isinstance(frame.index, pd.RangeIndex):
        # pandas silently turns the first column into the index when the data rows have one
        # field more than the header; that is a malformed file, not an index.
        raise ModuleError(
            f"{label}: {what} is not a valid {fmt.upper()} file: its rows have more fields "
            f"than its header ({frame.shape[1]} names)."
        )
    if fmt != "parquet" and not header:
        frame.columns = _headerless_names(frame.shape[1], column_names, what, label)
    elif column_names.strip():
        ctx.log("column_names ignored: the file has a header" if fmt != "parquet"
                else "column_names ignored for Parquet files")
    # Parquet between steps needs string column names.
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _headerless_names(count: int, column_names: str, what: str, label: str) -> list[str]:
    names = _split(column_names)
    if not names:
        return [f"Col{i}" for i in range(1, count + 1)]
    if len(names) != count:
        raise ModuleError(
            f"{label}: 'column_names' has {len(names)} names but {what} has {count} columns."
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ModuleError(f"{label}: 'column_names' repeats {', '.join(duplicates)}.")
    return names


def _download(url: str, ctx: StepContext) -> bytes:
    """The body at ``url`` through the guarded client, within the run's outbound limits."""
    url = url.strip()
    ctx.log(f"Downloading {redacted(url)}")
    try:
        body = fetch(url, ctx.outbound, on_chunk=lambda _size: ctx.check_cancelled())
    except OutboundError as exc:
        raise ModuleError(f"Import Data: {exc}.") from None
    ctx.log(f"Downloaded {len(body)} bytes")
    return body
