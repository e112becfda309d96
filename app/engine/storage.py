"""Storage locations as fsspec URLs: a local folder stays a plain path, anything else
(``s3://bucket/prefix``, ``memory://``, ...) goes through fsspec.

Credentials never sit in a URL: they come from the environment (``AWS_ACCESS_KEY_ID``, ...) or
from the storage options of the app's settings, given per scheme
(``{"s3": {"endpoint_url": ..., "key": ..., "secret": ...}}``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class StorageError(ValueError):
    """A storage URL that cannot be used: unknown scheme, missing driver, credentials in it."""


def scheme_of(location: str | Path) -> str | None:
    """The URL scheme of ``location``, or None for a local folder (a plain path or file://)."""
    text = str(location)
    if "://" not in text:
        return None
    scheme = text.split("://", 1)[0].lower()
    return None if scheme in ("file", "local") else scheme


def local_path(location: str | Path) -> Path:
    """The folder a local ``location`` (plain path or file:// URL) names."""
    text = str(location)
    for prefix in ("file://", "local://"):
        if text.lower().startswith(prefix):
            return Path(text[len(prefix):])
    return Path(text)


def filesystem(url: str, options: Mapping[str, Mapping[str, Any]] | None = None):
    """(fsspec file system, path without scheme) of a remote ``url``; StorageError if the
    scheme is unknown, its driver is not installed or the URL carries credentials."""
    import fsspec  # only remote locations pay for the import

    scheme = scheme_of(url)
    if scheme is None:
        raise StorageError(f"{url!r} is a local folder, not a URL.")
    if urlsplit(url).password is not None or "@" in urlsplit(url).netloc:
        raise StorageError(f"{redact(url)!r} carries credentials; give them in the environment "
                           "or DESIGNER_STORAGE_OPTIONS instead.")
    from fsspec.registry import known_implementations, registry

    if scheme not in known_implementations and scheme not in registry:
        raise StorageError(f"{url!r} has an unknown scheme '{scheme}' "
                           "(use a folder, file://, s3://, gs://, az://, ...).")
    try:
        cls = fsspec.get_filesystem_class(scheme)
    except (ImportError, ValueError) as exc:
        raise StorageError(f"{url!r} needs a driver that is not installed: "
                           f"{str(exc).splitlines()[0]}") from None
    # Several servers and workers write the same store: a cached listing would miss their
    # files, so every look asks the service.
    kwargs = {"use_listings_cache": False, **(options or {}).get(scheme, {})}
    path = cls._strip_protocol(url).rstrip("/")
    return cls(**kwargs), path


def redact(url: str) -> str:
    """``url`` without any user name or password in it."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


class RemotePath:
    """A file or folder on an fsspec file system, answering the few ``pathlib.Path`` questions
    the datastore code asks (name, suffix, is_file, stat, iterdir, open)."""

    def __init__(self, fs, path: str, url: str):
        self.fs, self.path, self.url = fs, path.rstrip("/"), url.rstrip("/")

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"RemotePath({self.url!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RemotePath) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __lt__(self, other: RemotePath) -> bool:
        return self.url < other.url

    def __truediv__(self, name: str) -> RemotePath:
        return RemotePath(self.fs, f"{self.path}/{name}", f"{self.url}/{name}")

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.name)[1]

    @property
    def parent(self) -> RemotePath:
        return RemotePath(self.fs, posixpath.dirname(self.path), posixpath.dirname(self.url))

    def _info(self) -> dict | None:
        try:
            return self.fs.info(self.path)
        except (FileNotFoundError, OSError):
            return None

    def exists(self) -> bool:
        """Whether a file or folder is there."""
        return self._info() is not None

    def is_dir(self) -> bool:
        """Whether a folder (or prefix holding files) is there."""
        info = self._info()
        return info is not None and info.get("type") == "directory"

    def is_file(self) -> bool:
        """Whether a file is there."""
        info = self._info()
        return info is not None and info.get("type") == "file"

    def is_symlink(self) -> bool:
        """Object stores have no symbolic links."""
        return False

    def stat(self) -> _Stat:
        """Size and modification time, as os.stat_result names them."""
        info = self._info()
        if info is None:
            raise FileNotFoundError(self.url)
        return _Stat(info)

    def iterdir(self):
        """The entries of this folder."""
        for info in self.fs.ls(self.path, detail=True):
            name = posixpath.basename(info["name"].rstrip("/"))
            if name:
                yield RemotePath(self.fs, f"{self.path}/{name}", f"{self.url}/{name}")

    def glob(self, pattern: str):
        """The files and folders under this folder matching ``pattern`` (``*.csv``,
        ``**/*.csv``)."""
        for found in self.fs.glob(f"{self.path}/{pattern}"):
            relative = found[len(self.path):].lstrip("/")
            if relative:
                yield self / relative

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Folders need not be made on object stores; made where the file system has them."""
        self.fs.makedirs(self.path, exist_ok=True)

    def open(self, mode: str = "rb"):
        """A file object on this path."""
        # Small read blocks: a preview or a header needs the first rows, not 50 MB.
        return self.fs.open(self.path, mode, **({"block_size": 2**20} if "r" in mode else {}))

    def read_bytes(self) -> bytes:
        """The whole content."""
        return self.fs.cat_file(self.path)

    def unlink(self, missing_ok: bool = False) -> None:
        """Remove this file."""
        try:
            self.fs.rm_file(self.path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def relative_to(self, other: RemotePath) -> Path:
        """This path relative to ``other``, as a PurePath for ``as_posix``."""
        return Path(posixpath.relpath(self.path, other.path))


# Where each file system's info names a file's last change: s3fs, adlfs (az://), gcsfs (an ISO
# text), local and SFTP, FTP and WebDAV; the memory file system knows only its creation.
MODIFIED_KEYS = ("LastModified", "last_modified", "updated", "mtime", "modified", "created")


class _Stat:
    """The parts of os.stat_result a remote file has (modification time 0 when not told)."""

    def __init__(self, info: dict):
        self.st_size = int(info.get("size") or 0)
        modified = next((info[k] for k in MODIFIED_KEYS if info.get(k) is not None), None)
        if isinstance(modified, str):
            try:
                modified = datetime.fromisoformat(modified)
            except ValueError:
                modified = None
        if isinstance(modified, datetime):
            stamp = modified.replace(tzinfo=modified.tzinfo or UTC).timestamp()
        elif isinstance(modified, int | float):
            stamp = float(modified)
        else:
            stamp = 0.0
        self.st_mtime = stamp
        self.st_mtime_ns = int(stamp * 1e9)
