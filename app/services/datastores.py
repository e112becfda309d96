"""Datastores: register named root folders and resolve paths inside them."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from ..engine.datastores import DatastoreError, Datastores, resolve_in_root
from ..errors import BadRequest, Conflict, NotFound
from ..extensions import db
from ..models import Datastore
from . import audit

log = logging.getLogger(__name__)
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


def add(name: str, root: str | Path, *, replace: bool = False) -> Datastore:
    """Register ``root`` (an existing folder) as datastore ``name``."""
    if not isinstance(name, str) or not NAME.match(name):
        raise BadRequest(
            f"Datastore name {name!r} must be 1-64 letters, digits, '_' or '-', "
            "starting with a letter.", field="name")
    try:
        folder = Path(root).expanduser().resolve()
        is_dir = folder.is_dir()
    except (OSError, ValueError, RuntimeError):  # NUL bytes, unknown ~user, symlink loops
        is_dir = False
    if not is_dir:
        raise BadRequest(f"Datastore root {str(root)!r} is not an existing folder.", field="root")
    existing = db.session.scalar(select(Datastore).filter_by(name=name))
    if existing and not replace:
        raise Conflict(f"Datastore '{name}' already exists.", field="name")
    store = existing or Datastore(name=name)
    was = store.root
    store.root = str(folder)
    db.session.add(store)
    db.session.commit()
    audit.record("datastore.replace" if existing else "datastore.add", name,
                 {"root": store.root} | ({"was": was} if existing else {}))
    return store


def list_all() -> list[Datastore]:
    """Every datastore by name."""
    return list(db.session.scalars(select(Datastore).order_by(Datastore.name)))


def mapping() -> Datastores:
    """The name -> root mapping the executor resolves data paths with."""
    return Datastores({d.name: d.root for d in list_all()})


MAX_COUNT = 10_000


def count_files(root: str) -> tuple[int, bool]:
    """Files under ``root`` (hidden ones and outward links skipped): (count, capped)."""
    count = 0
    for _dirs, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        count += sum(1 for f in filenames if not f.startswith("."))
        if count >= MAX_COUNT:
            return MAX_COUNT, True
    return count, False


def as_dict(store: Datastore, *, with_count: bool = False) -> dict:
    """JSON form; ``with_count`` adds the number of files (counting stops at 10,000)."""
    out = {"name": store.name, "root": store.root}
    if with_count:
        out["files"], out["files_capped"] = count_files(store.root)
    return out


# -- browsing, previewing and uploading files --------------------------------------------------

MAX_ENTRIES = 2000
PREVIEW_FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet"}


def get(name: str) -> Datastore:
    """The datastore called ``name`` or NotFound listing the registered ones."""
    store = db.session.scalar(select(Datastore).filter_by(name=name))
    if store is None:
        known = ", ".join(d.name for d in list_all()) or "none"
        raise NotFound(f"Unknown datastore '{name}' (registered: {known}).")
    return store


def resolve(name: str, path: str) -> Path:
    """``path`` inside datastore ``name``; escapes are refused (400) and logged."""
    store = get(name)
    try:
        return resolve_in_root(Path(store.root), path)
    except DatastoreError as exc:
        log.warning("refused path %r in datastore %r: %s", path, name, exc)
        raise BadRequest(str(exc), datastore=name, path=path) from None


def browse(name: str, path: str = "") -> dict:
    """The entries of one folder (folders first), for the Browse path dialog."""
    root = Path(get(name).root).resolve()
    folder = resolve(name, path) if path.strip() else root
    if not folder.is_dir():
        raise NotFound(f"'{path}' is not a folder in datastore '{name}'.", path=path)
    entries = []
    for child in sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
        if child.name.startswith(".") or len(entries) >= MAX_ENTRIES:
            continue
        real = child.resolve()
        if real != root and root not in real.parents:
            continue  # a symbolic link leading out of the datastore is not shown
        stat = real.stat()
        entries.append({
            "name": child.name,
            "path": child.relative_to(root).as_posix(),
            "type": "folder" if real.is_dir() else "file",
            "size": None if real.is_dir() else stat.st_size,
            "modified": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
        })
    relative = "" if folder == root else folder.relative_to(root).as_posix()
    return {"datastore": name, "path": relative, "entries": entries,
            "truncated": len(entries) >= MAX_ENTRIES}


def preview(name: str, path: str, rows: int = 20) -> dict:
    """First rows and detected columns of a CSV, TSV or Parquet file."""
    file = resolve(name, path)
    if not file.is_file():
        raise NotFound(f"File '{path}' does not exist in datastore '{name}'.", path=path)
    fmt = PREVIEW_FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise BadRequest(f"'{path}' cannot be previewed: only .csv, .tsv, .txt and .parquet.",
                         path=path)
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(file).head(rows)
        else:
            frame = pd.read_csv(file, sep="\t" if fmt == "tsv" else ",", nrows=rows,
                                skipinitialspace=True)
    except Exception as exc:  # any parse failure of a user's file is the user's to see
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadRequest(f"'{path}' is not a readable {fmt} file: "
                         f"{detail.replace(str(file), path)}", path=path) from None
    data = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    return {"datastore": name, "path": path, "format": fmt,
            "columns": [{"name": str(c), "dtype": str(t)} for c, t in frame.dtypes.items()],
            "rows": data["data"]}


def upload(name: str, folder: str, file, *, overwrite: bool, max_bytes: int,
           extensions: tuple[str, ...]) -> dict:
    """Store an uploaded file in ``folder``; refuses escapes, bad types, overwrites, size."""
    filename = file.filename or ""
    if not filename or "/" in filename or "\\" in filename or filename.startswith("."):
        raise BadRequest(f"Invalid file name {filename!r}.", field="file")
    suffix = Path(filename).suffix.lower()
    if suffix not in extensions:
        raise BadRequest(f"Files of type '{suffix or filename}' are not accepted "
                         f"(allowed: {', '.join(extensions)}).", field="file")
    folder = folder.rstrip("/")
    relative = f"{folder}/{filename}" if folder else filename
    target = resolve(name, relative)
    if target.exists() and not overwrite:
        raise Conflict(f"'{relative}' already exists in datastore '{name}'; "
                       "confirm to overwrite it.", path=relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    resolve(name, relative)  # the folders just made must not lead out either
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := file.stream.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise BadRequest(f"'{filename}' is larger than the upload limit of "
                                     f"{max_bytes // (1024 * 1024)} MB.", field="file")
                out.write(chunk)
        if size == 0:
            raise BadRequest(f"'{filename}' is empty.", field="file")
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    audit.record("datastore.upload", name, {"path": relative, "size": size})
    return {"datastore": name, "path": relative, "size": size}
