"""Datastores: named root folders or fsspec URLs (s3://bucket/prefix), and path resolution
that never leaves a root."""

from __future__ import annotations

import functools
import hashlib
import os
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from .outbound import OutboundPolicy
from .storage import RemotePath, StorageError, filesystem, scheme_of


class DatastoreError(ValueError):
    """An unknown datastore or a path that is not allowed."""

    def __init__(self, message: str, *, datastore: str | None = None, path: str | None = None):
        super().__init__(message)
        self.datastore = datastore
        self.path = path


# Files any route or module may read: data formats only, so no route can be used to read a
# key, a password file or the app's own code through a datastore.
DATA_FILES = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".data": "csv", ".parquet": "parquet"}
MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255  # one file or folder name, as most file systems allow

# Never a datastore root, nor anything inside them: the operating system's own folders.
SYSTEM_FOLDERS = ("/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/run", "/bin", "/sbin",
                  "/lib", "/lib32", "/lib64", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/libexec",
                  "/var/lib", "/var/log", "/var/run", "/var/spool", "/var/mail", "/var/cache")
# Never a root themselves (they hold everyone's files); a folder inside them is fine.
SHARED_FOLDERS = ("/home", "/Users", "/var", "/usr", "/usr/local", "/mnt", "/media", "/srv",
                  "/opt", "/tmp", "/var/tmp")  # noqa: S108 - names refused, not files used


def _forms(folder: str | Path) -> set[Path]:
    """``folder`` as written and with its symbolic links followed (/var/run -> /run)."""
    return {Path(folder), Path(os.path.realpath(folder))}


@functools.cache
def _system_forms() -> tuple[tuple[str, frozenset[Path]], ...]:
    """Each system folder with its forms, resolved once a process (a root is resolved at
    each use; following the system's own links at each one took milliseconds)."""
    return tuple((system, frozenset(_forms(system))) for system in SYSTEM_FOLDERS)


@functools.cache
def _shared_forms() -> frozenset[Path]:
    """The forms of the shared folders and of this user's home, resolved once a process."""
    return frozenset({f for name in SHARED_FOLDERS for f in _forms(name)} | _forms(Path.home()))


def root_problem(folder: Path, protected: Iterable[str | Path] = ()) -> str | None:
    """Why the resolved absolute ``folder`` may not be a datastore root, or None.

    ``protected`` are the app's own folders (instance, database, artifacts): a root may not be
    one of them, inside one or above one.
    """
    if folder == Path(folder.anchor):
        return "is the file system's root"
    for system, forms in _system_forms():
        for form in forms:
            if folder == form or form in folder.parents:
                return f"is a system folder ({system})"
    if folder in _shared_forms():
        return "holds other users' or the system's files; register a folder inside it"
    for own in protected:
        for form in _forms(own):
            if folder == form or form in folder.parents or folder in form.parents:
                return "holds the app's own data (instance, database or artifacts folder)"
    return None


def url_root_problem(url: str, protected: Iterable[str | Path] = ()) -> str | None:
    """Why the URL ``url`` may not be a datastore root, or None: it may not be one of the
    app's own locations (a remote artifact store), inside one or above one."""
    for own in protected:
        own = str(own).rstrip("/")
        if scheme_of(own) and (url == own or url.startswith(own + "/")
                               or own.startswith(url + "/")):
            return "holds the app's own data (the artifact store)"
    return None


def _suspicious(text: str) -> str | None:
    """Why ``text`` looks like an escape attempt, or None."""
    if "\x00" in text:
        return "contains a NUL byte"
    if "://" in text:
        return "is a URL"
    if "\\" in text:
        return "contains a backslash"
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return "is absolute"
    if ".." in PurePosixPath(text).parts:
        return "contains '..'"
    return None


def check_relative(path: str) -> str:
    """Return a clean relative POSIX path, or raise DatastoreError naming the problem.

    Percent-encoded and Unicode look-alike forms (e.g. ``%2e%2e``, fullwidth dots) are checked
    in their decoded and NFKC-normalised forms too, so none of them can smuggle a ``..``.
    """
    if not isinstance(path, str):
        raise DatastoreError(f"The path must be text, not {type(path).__name__}.", path=None)
    if not path.strip():
        raise DatastoreError("The path is empty.", path=path)
    forms = {path, unquote(path), unquote(unquote(path))}
    forms |= {unicodedata.normalize("NFKC", f) for f in list(forms)}
    for form in forms:
        reason = _suspicious(form)
        if reason:
            raise DatastoreError(
                f"The path {path!r} {reason}; paths must stay inside the datastore.", path=path
            )
    if len(path) > MAX_PATH_CHARS:
        raise DatastoreError(f"The path is {len(path)} characters long; at most "
                             f"{MAX_PATH_CHARS} are allowed.", path=path[:80] + "...")
    parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
    for part in parts:
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise DatastoreError(f"The path has a name longer than {MAX_NAME_BYTES} bytes "
                                 f"('{part[:40]}...').", path=path[:80] + "...")
    return "/".join(parts)


def check_data_file(path: str) -> str:
    """The format a data file's extension stands for, or DatastoreError naming the path."""
    fmt = DATA_FILES.get(PurePosixPath(path).suffix.lower())
    if fmt is None:
        raise DatastoreError(f"'{path}' is not a data file: only "
                             f"{', '.join(DATA_FILES)} files can be read.", path=path)
    return fmt


def resolve_in_root(root: Path, path: str) -> Path:
    """Absolute path of ``path`` under ``root``, with symlinks followed and checked."""
    relative = check_relative(path)
    base = Path(os.path.realpath(root))
    target = Path(os.path.realpath(base / relative)) if relative else base
    if target != base and base not in target.parents:
        raise DatastoreError(
            f"The path {path!r} leads outside the datastore (through a symbolic link).", path=path
        )
    return target


class Datastores(Mapping[str, Path | str]):
    """Read-only name -> root (folder, or URL of a remote one) mapping handed to the executor,
    with the run's rules for reaching data: the folders no root may touch, the outbound fetch
    policy and the remote file systems' options (plain data, so it travels to wherever a step
    runs)."""

    def __init__(self, roots: Mapping[str, str | Path], *, protected: Iterable[str | Path] = (),
                 outbound: OutboundPolicy | None = None, options: dict | None = None):
        self._roots = {name: str(root).rstrip("/") if scheme_of(root) else Path(root)
                       for name, root in roots.items()}
        self.protected = tuple(str(p) for p in protected)
        self.outbound = outbound or OutboundPolicy()
        self.options = options or {}

    def __getitem__(self, name: str) -> Path | str:
        try:
            return self._roots[name]
        except KeyError:
            known = ", ".join(sorted(self._roots)) or "none"
            raise DatastoreError(
                f"Unknown datastore {name!r} (registered: {known}).", datastore=name
            ) from None

    def __contains__(self, name) -> bool:
        return name in self._roots

    def get(self, name, default=None):
        """The root of ``name``, or ``default`` (Mapping.get would see our DatastoreError)."""
        return self._roots.get(name, default)

    def __iter__(self):
        return iter(self._roots)

    def __len__(self):
        return len(self._roots)

    def root(self, datastore: str) -> Path | RemotePath:
        """The root of ``datastore``, checked again now: one registered before the rule on
        roots (or re-pointed on disk through a symbolic link) must not leak."""
        root = self[datastore]
        if isinstance(root, str):
            return self._remote_root(datastore, root)
        problem = root_problem(Path(os.path.realpath(root)), self.protected)
        if problem:
            raise DatastoreError(f"Datastore {datastore!r} cannot be used: its folder {problem}. "
                                 "An administrator must remove it or register another folder.",
                                 datastore=datastore)
        return root

    def _remote_root(self, datastore: str, url: str) -> RemotePath:
        problem = url_root_problem(url, self.protected)
        try:
            if problem is None:
                return RemotePath(*filesystem(url, self.options), url)
        except StorageError as exc:
            problem = str(exc)
        raise DatastoreError(f"Datastore {datastore!r} cannot be used: its URL {problem}.",
                             datastore=datastore)

    def resolve(self, datastore: str, path: str) -> Path | RemotePath:
        """Absolute path (or remote path) of ``path`` inside ``datastore``."""
        root = self.root(datastore)
        try:
            if isinstance(root, RemotePath):  # no symbolic links: the checked text is enough
                relative = check_relative(path)
                return root / relative if relative else root
            return resolve_in_root(root, path)
        except DatastoreError as exc:
            raise DatastoreError(str(exc), datastore=datastore, path=path) from None

    def resolve_file(self, datastore: str, path: str) -> Path | RemotePath:
        """Like resolve, for a file to read: only data files (see DATA_FILES), also when the
        name is a symbolic link to another file of the datastore. A folder is returned as it is
        (the caller says it is not a file)."""
        target = self.resolve(datastore, path)
        if target.is_dir():
            return target
        try:
            check_data_file(path)
            if target.suffix.lower() != PurePosixPath(path).suffix.lower():
                check_data_file(target.name)
        except DatastoreError:
            raise DatastoreError(f"'{path}' is not a data file: only {', '.join(DATA_FILES)} "
                                 "files can be read.", datastore=datastore, path=path) from None
        return target


def file_sha256(path: Path | RemotePath, chunk: int = 1024 * 1024) -> str:
    """SHA-256 of a file's content: which version of a data file was read (or arrived)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
