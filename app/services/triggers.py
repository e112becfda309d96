"""New-data triggers: watch a datastore folder and glob, start a run for each new file version.

Polling (not file-system events) so it works on every datastore and across processes. A file
starts a run once it has stopped changing: its size and modification time stayed the same
for ``settle_seconds``. The slot claimed is the file's path and SHA-256, so each version of a
file starts at most one run, whichever process sees it first. Files last changed before the
trigger was created (by more than two seconds) are not new data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from ..engine.datastores import DATA_FILES, DatastoreError, check_relative, file_sha256
from ..engine.document import PipelineDocument
from ..errors import AppError, Unprocessable
from ..extensions import db
from ..models import Schedule, ScheduleFire
from . import datastores
from .firetimes import as_utc
from .schedules import NEW_DATA, claim_and_start

log = logging.getLogger(__name__)
# File systems keep modification times coarsely (FAT: 2 s; others a clock tick behind the
# real time), so a file written just after the trigger was made may carry an earlier time.
MTIME_SLACK = timedelta(seconds=2)


def check_watch(doc: PipelineDocument, watch: dict | None) -> str:
    """The data path parameter a watch fills in; 422 naming what does not fit."""
    if not watch:
        raise Unprocessable("A 'new_data' schedule needs 'watch': datastore, pattern and "
                            "parameter.", field="watch")
    try:
        datastores.checked_root(watch["datastore"])
    except AppError as exc:
        raise Unprocessable(exc.message, field="watch.datastore") from None
    try:
        check_relative(watch["pattern"])
    except DatastoreError as exc:
        raise Unprocessable(f"The watch pattern is refused: {exc}",
                            field="watch.pattern") from None
    param = doc.parameter(watch["parameter"])
    if param is None or param.type != "data_path":
        paths = ", ".join(p.name for p in doc.parameters if p.type == "data_path") or "none"
        raise Unprocessable(f"'{watch['parameter']}' is not a data path parameter of this "
                            f"version (data path parameters: {paths}).", field="watch.parameter")
    return param.name


@dataclass
class Seen:
    """A file as last polled: size and modification time, and since when they held."""

    size: int
    mtime_ns: int
    since: datetime


@dataclass
class Watcher:
    """One process's memory of the watched files (the database remembers what fired)."""

    seen: dict[tuple[str, str], Seen] = field(default_factory=dict)
    fired: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    polled: dict[str, datetime] = field(default_factory=dict)

    def poll(self, now: datetime) -> list[ScheduleFire]:
        """Look at every enabled trigger whose poll interval has passed; start runs."""
        fires = []
        for trigger in db.session.scalars(select(Schedule).where(
                Schedule.enabled.is_(True), Schedule.kind == NEW_DATA)).all():
            last = self.polled.get(trigger.id)
            if last is not None and now - last < timedelta(seconds=trigger.poll_seconds):
                continue
            self.polled[trigger.id] = now
            try:
                fires += self.scan(trigger, now)
            except Exception:
                log.exception("trigger %s could not poll", trigger.id)
                db.session.rollback()
        return fires

    def scan(self, trigger: Schedule, now: datetime) -> list[ScheduleFire]:
        """Start a run for each settled file version of one trigger not fired yet."""
        fires = []
        for relative, path in matches(trigger):
            stat = path.stat()
            key = (trigger.id, relative)
            if stat.st_mtime_ns < (as_utc(trigger.created) - MTIME_SLACK).timestamp() * 1e9:
                continue  # there before the trigger: not new data
            if self.fired.get(key) == (stat.st_size, stat.st_mtime_ns):
                continue
            if not self._settled(key, stat, now, trigger.settle_seconds):
                continue
            slot = f"{relative}@{file_sha256(path)}"
            self.fired[key] = (stat.st_size, stat.st_mtime_ns)
            fire = claim_and_start(trigger, slot, now, data_paths={trigger.watch_parameter: {
                "datastore": trigger.watch_datastore, "path": relative}})
            if fire is not None:
                fires.append(fire)
        return fires

    def _settled(self, key, stat, now: datetime, settle_seconds: int) -> bool:
        """True once polls ``settle_seconds`` apart saw the same size and modification time
        (a file still being written changes between them)."""
        quiet = timedelta(seconds=settle_seconds)
        before = self.seen.get(key)
        if before is None or (before.size, before.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            self.seen[key] = Seen(stat.st_size, stat.st_mtime_ns, now)
        return now - self.seen[key].since >= quiet


def matches(trigger: Schedule) -> list[tuple[str, Path]]:
    """(path inside the datastore, file) of each data file matching the trigger's glob."""
    root = datastores.checked_root(trigger.watch_datastore)
    found = []
    for path in sorted(root.glob(trigger.watch_pattern)):
        relative = PurePosixPath(path.relative_to(root)).as_posix()
        if PurePosixPath(relative).suffix.lower() not in DATA_FILES:
            continue  # not a data file (no warning each poll: it may simply sit beside them)
        try:
            resolved = datastores.resolve(trigger.watch_datastore, relative, data_file=True)
        except AppError:
            continue  # a link leading outside the datastore (the resolver logs it)
        if resolved.is_file():
            found.append((relative, resolved))
    return found
