"""Datastores: register named root folders (or fsspec URLs) and resolve paths inside them."""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import make_url

from ..engine.datastores import (
    DatastoreError,
    Datastores,
    check_data_file,
    root_problem,
    url_root_problem,
)
from ..engine.document import name_problem
from ..engine.outbound import OutboundPolicy
from ..engine.storage import RemotePath, StorageError, filesystem, local_path, scheme_of
from ..errors import BadRequest, Conflict, NotFound, TooLarge, Unprocessable
from ..extensions import db
from ..models import Datastore
from . import audit

log = logging.getLogger(__name__)


def add(name: str, root: str | Path, *, replace: bool = False) -> Datastore:
    """Register ``root`` (an existing folder, not a system or app folder, or the URL of one on
    a remote file system) as ``name``."""
    if problem := name_problem("Datastore name", name):
        raise BadRequest(problem, field="name")
    folder = check_root(root)
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


def check_root(root: str | Path) -> Path:
    """The resolved folder ``root`` names, or Unprocessable saying why it cannot be a datastore."""
    text = str(root)
    if "\x00" in text:
        raise Unprocessable(f"Datastore root {text!r} contains a NUL byte.", field="root")
    if not text.strip():
        raise Unprocessable("Datastore root is empty; give an existing folder.", field="root")
    if scheme_of(text):
        return check_url_root(text)
    try:
        folder = Path(text).expanduser().resolve()
        is_dir = folder.is_dir()
    except (OSError, ValueError, RuntimeError):  # unknown ~user, symlink loops, long names
        is_dir = False
    if not is_dir:
        raise Unprocessable(f"Datastore root {text!r} is not an existing folder.", field="root")
    problem = root_problem(folder, protected_folders())
    if problem:
        log.warning("refused datastore root %r: %s", text, problem)
        raise Unprocessable(f"Datastore root {text!r} {problem}.", field="root")
    return folder


def check_url_root(url: str) -> str:
    """The normalised ``url`` of a remote folder, or Unprocessable naming what is wrong: an
    unknown scheme, a missing driver, credentials in the URL, a bucket or folder that does not
    exist, the artifact store."""
    url = url.strip().rstrip("/")
    try:
        fs, path = filesystem(url, current_app.config["DESIGNER_STORAGE_OPTIONS"])
    except StorageError as exc:
        raise Unprocessable(f"Datastore root {exc}", field="root") from None
    bucket = path.split("/", 1)[0]
    try:
        found = bool(bucket) and fs.exists(bucket)
        is_dir = found and (path == bucket or fs.isdir(path))
    except Exception as exc:  # a remote service's refusal (credentials, network) is the user's
        log.warning("could not reach datastore root %r: %s", url, exc)
        raise Unprocessable(f"Datastore root {url!r} cannot be reached: "
                            f"{type(exc).__name__}: {exc}", field="root") from None
    if not found:
        raise Unprocessable(f"Datastore root {url!r}: bucket '{bucket}' does not exist.",
                            field="root")
    if not is_dir:
        raise Unprocessable(f"Datastore root {url!r} is not an existing folder.", field="root")
    if problem := url_root_problem(url, protected_folders()):
        raise Unprocessable(f"Datastore root {url!r} {problem}.", field="root")
    return url


def protected_folders() -> list[str]:
    """The app's own folders no datastore may touch: instance, SQLite database, artifacts."""
    config = current_app.config
    folders = [config["DESIGNER_HOME"]]
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folders.append(str(Path(url.database).resolve().parent))
    artifacts = config["DESIGNER_ARTIFACTS"]
    folders.append(artifacts.rstrip("/") if scheme_of(artifacts)
                   else str(local_path(artifacts).resolve()))
    return folders


def remove(name: str) -> None:
    """Forget datastore ``name``; its folder and files stay as they are on disk."""
    store = get(name)
    root = store.root
    db.session.delete(store)
    db.session.commit()
    audit.record("datastore.remove", name, {"root": root})
    log.info("removed datastore %r (%s)", name, root)


def list_all() -> list[Datastore]:
    """Every datastore by name."""
    return list(db.session.scalars(select(Datastore).order_by(Datastore.name)))


def mapping() -> Datastores:
    """The name -> root mapping the executor resolves data paths with, and the run's rules for
    reaching data (protected folders, outbound fetch policy) as plain data."""
    config = current_app.config
    outbound = OutboundPolicy.from_settings(
        config["DESIGNER_OUTBOUND_ALLOW"], max_bytes=config["DESIGNER_OUTBOUND_MAX_BYTES"],
        timeout=config["DESIGNER_OUTBOUND_SECONDS"])
    return Datastores({d.name: d.root for d in list_all()}, protected=protected_folders(),
                      outbound=outbound, options=config["DESIGNER_STORAGE_OPTIONS"])


MAX_COUNT = 10_000


def count_files(root: str | RemotePath) -> tuple[int, bool]:
    """Files under ``root`` (hidden ones and outward links skipped): (count, capped)."""
    count = 0
    if isinstance(root, RemotePath):
        names = root.fs.find(root.path)
        count = sum(1 for n in names if not any(
            p.startswith(".") for p in n[len(root.path):].split("/")))
        return min(count, MAX_COUNT), count >= MAX_COUNT
    for _dirs, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        count += sum(1 for f in filenames if not f.startswith("."))
        if count >= MAX_COUNT:
            return MAX_COUNT, True
    return count, False


def as_dict(store: Datastore, *, with_count: bool = False) -> dict:
    """JSON form; ``with_count`` adds the number of files (counting stops at 10,000).

    A root the rule on roots refuses (registered before it) carries ``problem`` and is not
    walked.
    """
    out = {"name": store.name, "root": store.root}
    if scheme_of(store.root):
        return out | _remote_state(store, with_count)
    problem = root_problem(Path(os.path.realpath(store.root)), protected_folders())
    if problem:
        out["problem"] = f"cannot be used: its folder {problem}"
    if with_count:
        out["files"], out["files_capped"] = (None, False) if problem else count_files(store.root)
    return out


def _remote_state(store: Datastore, with_count: bool) -> dict:
    """``problem`` and the file count of a datastore on a remote file system."""
    try:
        root = mapping().root(store.name)
        counted = count_files(root) if with_count else None
    except DatastoreError as exc:
        return {"problem": str(exc)} | ({"files": None, "files_capped": False}
                                         if with_count else {})
    except Exception as exc:  # unreachable service: shown, not a failed listing
        return {"problem": f"cannot be reached: {type(exc).__name__}"} | (
            {"files": None, "files_capped": False} if with_count else {})
    return {"files": counted[0], "files_capped": counted[1]} if with_count else {}


# -- browsing, previewing and uploading files --------------------------------------------------

MAX_ENTRIES = 2000


def get(name: str) -> Datastore:
    """The datastore called ``name`` or NotFound listing the registered ones."""
    store = db.session.scalar(select(Datastore).filter_by(name=name))
    if store is None:
        known = ", ".join(d.name for d in list_all()) or "none"
        raise NotFound(f"Unknown datastore '{name}' (registered: {known}).")
    return store


def checked_root(name: str) -> Path | RemotePath:
    """The real root folder of datastore ``name``, refused (422) when the rule on roots
    forbids it (a datastore registered before the rule, or re-pointed on disk)."""
    get(name)
    try:
        root = mapping().root(name)
        return root if isinstance(root, RemotePath) else Path(os.path.realpath(root))
    except DatastoreError as exc:
        log.warning("refused datastore %r: %s", name, exc)
        raise Unprocessable(str(exc), datastore=name) from None


def resolve(name: str, path: str, *, data_file: bool = False) -> Path:
    """``path`` inside datastore ``name`` (a data file to read when ``data_file``), through the
    same resolver runs use; escapes are refused (422) and logged."""
    get(name)
    stores = mapping()
    try:
        return stores.resolve_file(name, path) if data_file else stores.resolve(name, path)
    except DatastoreError as exc:
        log.warning("refused path %r in datastore %r: %s", path, name, exc)
        raise Unprocessable(str(exc), datastore=name, path=exc.path) from None


def browse(name: str, path: str = "") -> dict:
    """The entries of one folder (folders first), for the Browse path dialog.

    Entries that cannot be followed (a dangling symbolic link, a link loop) are listed under
    ``skipped`` with the reason instead of failing the whole folder.
    """
    root = checked_root(name)
    folder = resolve(name, path) if path.strip() else root
    if not folder.is_dir():
        raise NotFound(f"'{path}' is not a folder in datastore '{name}'.", path=path)
    if isinstance(folder, RemotePath):
        return _browse_remote(name, root, folder)
    entries, skipped = [], []
    for child in sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
        if child.name.startswith(".") or len(entries) >= MAX_ENTRIES:
            continue
        real = Path(os.path.realpath(child))
        if real != root and root not in real.parents:
            continue  # a symbolic link leading out of the datastore is not shown
        try:
            stat = real.stat()
        except OSError as exc:
            reason = ("symbolic link loop" if exc.errno == errno.ELOOP
                      else "dangling symbolic link" if child.is_symlink()
                      else exc.strerror or type(exc).__name__)
            skipped.append({"name": child.name, "reason": reason})
            continue
        entries.append({
            "name": child.name,
            "path": child.relative_to(root).as_posix(),
            "type": "folder" if real.is_dir() else "file",
            "size": None if real.is_dir() else stat.st_size,
            "modified": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
        })
    relative = "" if folder == root else folder.relative_to(root).as_posix()
    return {"datastore": name, "path": relative, "entries": entries, "skipped": skipped,
            "truncated": len(entries) >= MAX_ENTRIES}


def _browse_remote(name: str, root: RemotePath, folder: RemotePath) -> dict:
    """browse() of a folder on a remote file system: one listing, no links to follow."""
    entries = []
    for info in sorted(folder.fs.ls(folder.path, detail=True),
                       key=lambda i: (i["type"] != "directory", i["name"].lower())):
        child = folder / info["name"].rstrip("/").rsplit("/", 1)[-1]
        if child.name.startswith(".") or child.path == folder.path or len(entries) >= MAX_ENTRIES:
            continue
        is_dir = info["type"] == "directory"
        stat = None if is_dir else child.stat()
        entries.append({
            "name": child.name, "path": child.relative_to(root).as_posix(),
            "type": "folder" if is_dir else "file", "size": None if is_dir else stat.st_size,
            "modified": None if is_dir else datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
        })
    relative = "" if folder == root else folder.relative_to(root).as_posix()
    return {"datastore": name, "path": relative, "entries": entries, "skipped": [],
            "truncated": len(entries) >= MAX_ENTRIES}


def preview(name: str, path: str, rows: int = 20) -> dict:
    """First rows and detected columns of a CSV, TSV or Parquet file."""
    file = resolve(name, path, data_file=True)
    if not file.is_file():
        raise NotFound(f"File '{path}' does not exist in datastore '{name}'.", path=path)
    fmt = check_data_file(file.name)
    if isinstance(file, RemotePath):  # Parquet needs the whole file; a text file its head
        file = io.BytesIO(file.read_bytes()) if fmt == "parquet" else file.open("rb")
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(file).head(rows)
        else:
            frame = pd.read_csv(file, sep="\t" if fmt == "tsv" else ",", nrows=rows,
                                skipinitialspace=True)
    except Exception as exc:  # any parse failure of a user's file is the user's to see
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unprocessable(f"'{path}' is not a readable {fmt} file: "
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
        raise Unprocessable(f"Invalid file name {filename!r}.", field="file")
    suffix = Path(filename).suffix.lower()
    if suffix not in extensions:
        raise Unprocessable(f"Files of type '{suffix or filename}' are not accepted "
                         f"(allowed: {', '.join(extensions)}).", field="file")
    folder = folder.rstrip("/")
    relative = f"{folder}/{filename}" if folder else filename
    target = resolve(name, relative)
    if target.exists() and not overwrite:
        raise Conflict(f"'{relative}' already exists in datastore '{name}'; "
                       "confirm to overwrite it.", path=relative)
    if not isinstance(target, RemotePath):
        target.parent.mkdir(parents=True, exist_ok=True)
        resolve(name, relative)  # the folders just made must not lead out either
    # A remote file is sent whole once it has arrived and been checked (an object store's put
    # is atomic); a local one is renamed into place.
    fd, tmp = tempfile.mkstemp(dir=None if isinstance(target, RemotePath) else target.parent,
                               prefix=".upload-")
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := file.stream.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"'{filename}' is larger than the upload limit of "
                                     f"{max_bytes // (1024 * 1024)} MB.", field="file")
                out.write(chunk)
        if size == 0:
            raise Unprocessable(f"'{filename}' is empty.", field="file")
        if isinstance(target, RemotePath):
            target.fs.put_file(tmp, target.path)
        else:
            os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    audit.record("datastore.upload", name, {"path": relative, "size": size})
    return {"datastore": name, "path": relative, "size": size}
