"""When schedules fire: cron expressions in a time zone (parsed by croniter), or intervals.

Pure functions of their arguments (no clock, no database), so tests give them any "now".

Daylight-saving changes follow classic cron: a wall-clock time that does not exist (spring
forward) fires at the first moment after the gap; a time that occurs twice (autumn) fires
once, at its first occurrence, unless the hour field is ``*`` (an hourly schedule fires in
both of the repeated hours, as real time passes through both).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

MAX_INTERVAL_SECONDS = 366 * 24 * 3600


class TimingError(ValueError):
    """A cron expression, time zone or interval that cannot be used; ``field`` names it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or TimingError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimingError(f"Unknown time zone {name!r}; use an IANA name such as "
                          "'UTC' or 'Europe/Berlin'.", "timezone") from None


def check_cron(expression: str) -> str:
    """The expression with its spacing normalised, or TimingError naming what is wrong."""
    text = " ".join(str(expression or "").split())
    if len(text.split()) != 5:
        raise TimingError(f"The cron expression {text!r} must have 5 fields (minute hour "
                          "day-of-month month day-of-week).", "cron")
    try:
        croniter(text)
    except (CroniterError, ValueError) as exc:
        raise TimingError(f"The cron expression {text!r} is not valid: {exc}", "cron") from None
    return text


def _second_occurrence(moment: datetime) -> bool:
    """True when ``moment`` is the later of two equal wall-clock times (autumn repeat)."""
    first = moment.replace(tzinfo=None).replace(tzinfo=moment.tzinfo, fold=0)
    return first.utcoffset() != moment.utcoffset()


def cron_iter(expression: str, timezone: str, after: datetime) -> Iterator[datetime]:
    """The fire times strictly after ``after``, in UTC, one after the other."""
    text, tz = check_cron(expression), zone(timezone)
    hourly = text.split()[1] == "*"
    times = croniter(text, after.astimezone(tz))
    while True:
        moment = times.get_next(datetime)
        if hourly or not _second_occurrence(moment):
            yield moment.astimezone(UTC)


def cron_times(expression: str, timezone: str, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after``, in UTC."""
    return list(islice(cron_iter(expression, timezone, after), count))


def check_interval(seconds: int | None) -> int:
    """An interval in whole seconds within [1 s, one year], or TimingError."""
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not (
            1 <= seconds <= MAX_INTERVAL_SECONDS):
        raise TimingError(f"'interval_seconds' must be an int in the range "
                          f"[1, {MAX_INTERVAL_SECONDS}]. Got {seconds!r} instead.",
                          "interval_seconds")
    return seconds


def as_utc(value: datetime) -> datetime:
    """A database time as an aware UTC datetime (SQLite returns naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
