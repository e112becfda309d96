"""Fire times of cron expressions in a time zone, across daylight-saving changes."""

from datetime import UTC, datetime

import pytest

from app.services.firetimes import TimingError, check_cron, cron_times


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_a_daily_time_in_a_time_zone_is_that_wall_clock_time_in_utc():
    times = cron_times("0 9 * * *", "America/New_York", utc(2026, 1, 5, 12), 2)
    assert times == [utc(2026, 1, 5, 14), utc(2026, 1, 6, 14)]


def test_a_time_that_does_not_exist_in_spring_fires_after_the_gap():
    # Berlin skips 02:00-03:00 on 29 March 2026: 02:30 fires at 03:00 CEST (01:00 UTC).
    times = cron_times("30 2 * * *", "Europe/Berlin", utc(2026, 3, 27, 12), 4)
    assert times == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0),
                     utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)]


def test_a_time_that_occurs_twice_in_autumn_fires_once():
    # Berlin repeats 02:00-03:00 on 25 October 2026: 02:30 CEST is 00:30 UTC, 02:30 CET 01:30.
    times = cron_times("30 2 * * *", "Europe/Berlin", utc(2026, 10, 23, 12), 3)
    assert times == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30),
                     utc(2026, 10, 26, 1, 30)]


def test_an_hourly_schedule_fires_in_both_repeated_hours():
    times = cron_times("0 * * * *", "Europe/Berlin", utc(2026, 10, 24, 22, 30), 4)
    assert times == [utc(2026, 10, 24, 23), utc(2026, 10, 25, 0), utc(2026, 10, 25, 1),
                     utc(2026, 10, 25, 2)]


@pytest.mark.parametrize(("expression", "zone", "field", "message"), [
    ("61 * * * *", "UTC", "cron", "not valid"),
    ("* * *", "UTC", "cron", "must have 5 fields"),
    ("0 9 * * *", "Mars/Olympus", "timezone", "Unknown time zone 'Mars/Olympus'"),
])
def test_a_bad_expression_or_zone_is_named(expression, zone, field, message):
    with pytest.raises(TimingError, match=message) as caught:
        cron_times(expression, zone, utc(2026, 1, 1), 1)
    assert caught.value.field == field


def test_spacing_is_normalised():
    assert check_cron("  0   9 * *  1-5 ") == "0 9 * * 1-5"
