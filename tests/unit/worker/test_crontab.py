"""The crontab text of the schedules: read as huey reads it, the next and
the latest firing found in the company's zone, and the slot a firing is for."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from huey import crontab as huey_crontab

from backend.schedules.crontab import Crontab, CrontabError
from backend.schedules.registry import SCHEDULES, ScheduleConfig
from backend.worker.schedules import zoned

UTC = timezone.utc
KOLKATA = ZoneInfo("Asia/Kolkata")


def at(*args, zone=UTC) -> datetime:
    return datetime(*args, tzinfo=zone)


@pytest.mark.parametrize("text", ["30 1 * * *", "*/15 8-18 * * 1-5", "0 0 1,15 * *", "5 4 * 2 0", "0 12 29 2 *",
                                  "0 9 * * 7"] + [s.cron for s in SCHEDULES])
def test_every_minute_of_two_weeks_matches_exactly_when_hueys_crontab_does(text):
    mine, theirs = Crontab.parse(text), huey_crontab(strict=True, **Crontab.parse(text).fields())
    start = datetime(2028, 2, 20)  # across a 29 February
    for minute in range(0, 14 * 24 * 60, 1):
        t = start + timedelta(minutes=minute)
        assert mine.matches(t) == theirs(t), t


def test_next_and_latest_firing_in_the_company_zone():
    daily = Crontab.parse("30 1 * * *")  # 01:30 in Kolkata is 20:00 UTC the day before
    assert daily.next_after(at(2026, 12, 4, 12, 0), KOLKATA) == at(2026, 12, 4, 20, 0)
    assert daily.next_after(at(2026, 12, 4, 20, 0), KOLKATA) == at(2026, 12, 5, 20, 0)  # strictly after
    assert daily.last_at_or_before(at(2026, 12, 4, 20, 0), KOLKATA) == at(2026, 12, 4, 20, 0)  # at counts
    assert daily.last_at_or_before(at(2026, 12, 4, 19, 59), KOLKATA) == at(2026, 12, 3, 20, 0)
    leap = Crontab.parse("0 12 29 2 *")
    assert leap.next_after(at(2026, 3, 1), UTC) == at(2028, 2, 29, 12, 0)
    assert Crontab.parse("0 0 31 2 *").next_after(at(2026, 1, 1), UTC) is None  # never


def test_a_schedules_slot_is_the_day_or_hour_of_its_latest_firing_in_the_zone():
    by = {s.name: s for s in SCHEDULES}
    daily, hourly = by["contract_daily"], by["overdue_alerts"]
    # 20:05 UTC on 4 December is 01:35 on the 5th in Kolkata: the 01:30 run of the 5th
    assert daily.slot_at(at(2026, 12, 4, 20, 5), KOLKATA) == "2026-12-05"
    assert daily.slot_at(at(2026, 12, 4, 19, 55), KOLKATA) == "2026-12-04"
    assert hourly.slot_at(at(2026, 12, 4, 20, 5), KOLKATA) == "2026-12-05T01"  # :15 of the hour before
    assert hourly.slot_at(at(2026, 12, 4, 20, 0), KOLKATA) == "2026-12-05T01"


def test_the_worker_checks_huey_timestamps_on_the_zones_wall_clock():
    check = zoned(Crontab.parse("30 1 * * *"), KOLKATA)
    assert check(datetime(2026, 12, 4, 20, 0))  # huey hands a naive UTC time
    assert not check(datetime(2026, 12, 5, 1, 30))


@pytest.mark.parametrize("text", ["* * * *", "61 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * */2",
                                  "x * * * *", "1-99 * * * *", "*/0 * * * *"])
def test_a_crontab_that_cannot_be_read_is_refused(text):
    with pytest.raises(CrontabError):
        Crontab.parse(text)


def test_every_schedule_reads_and_describes_itself_with_the_configured_days():
    cfg = ScheduleConfig.from_env({"SCHEDULE_TIMEZONE": "UTC", "TICKET_AUTOCLOSE_DAYS": "9"})
    assert cfg.zone == "UTC" and cfg.ticket_autoclose_days == 9
    assert ScheduleConfig.from_env({"PORTAL_TIMEZONE": "Europe/Berlin"}).zone == "Europe/Berlin"
    assert ScheduleConfig.from_env({}).zone == "Asia/Kolkata"
    for s in SCHEDULES:
        assert s.crontab.next_after(at(2026, 12, 4), cfg.tz) is not None
        assert "{" not in s.describe(cfg)
    assert "9 days" in next(s for s in SCHEDULES if s.name == "ticket_autoclose").describe(cfg)


def test_the_common_shapes_are_said_in_words():
    assert Crontab.parse("30 1 * * *").words() == "every day at 01:30"
    assert Crontab.parse("15 * * * *").words() == "every hour at :15"
    assert Crontab.parse("0 9 * * 1-5").words() == "0 9 * * 1-5"
