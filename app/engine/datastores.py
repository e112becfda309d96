"""Datastores: named root folders, and path resolution that never leaves a root."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import unquote


class DatastoreError(ValueError):
    """An unknown datastore or a path that is not allowed."""

    def __init__(self, message: str, *, datastore: str | None = None, path: str | None = None):
        super().__init__(message)
        self.datastore = datastore
        self.path = path


def _suspicious(text: str) -> str | None:
    """Why ``text`` looks like an escape attempt, or None."""
    if "\x00" in text:
        return "contains a NUL byte"
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
    parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
    return "/".join(parts)


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


class Datastores(Mapping[str, Path]):
    """Read-only name -> root folder mapping handed to the executor."""

    def __init__(self, roots: Mapping[str, str | Path]):
        self._roots = {name: Path(root) for name, root in roots.items()}

    def __getitem__(self, name: str) -> Path:
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

    def resolve(self, datastore: str, path: str) -> Path:
        """Absolute path of ``path`` inside ``datastore``."""
        root = self[datastore]
        try:
            return resolve_in_root(root, path)
        except DatastoreError as exc:
            raise DatastoreError(str(exc), datastore=datastore, path=path) from None
