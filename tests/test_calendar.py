"""Business days, public holidays and send windows, in the customer's calendar and time zone.

Every date below was worked out by hand from the French calendar (Code du travail L3133-1):
Easter 2026 is Sunday 5 April, so Good Friday is 3 April, Easter Monday 6 April, Ascension
(Easter + 39) Thursday 14 May and Whit Monday (Easter + 50) 25 May.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from dunning import Channel
from dunning.core.calendar import next_window
from dunning.scenarios import DEFAULT_SEND_WINDOWS, BusinessCalendar, SendWindow, calendar_for
from tests.helpers import PARIS, paris_at

REUNION = ZoneInfo("Indian/Reunion")  # UTC+4 all year, no summer time
SMS_WINDOWS = DEFAULT_SEND_WINDOWS[Channel.SMS]
FR = calendar_for("FR")


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 5, 2),  # Saturday
        date(2026, 5, 3),  # Sunday
        date(2026, 1, 1),  # Thursday, New Year's Day
        date(2026, 4, 6),  # Monday, Easter Monday
        date(2026, 5, 1),  # Friday, Labour Day
        date(2026, 5, 8),  # Friday, Victory in Europe Day
        date(2026, 5, 14),  # Thursday, Ascension
        date(2026, 5, 25),  # Monday, Whit Monday
        date(2026, 7, 14),  # Tuesday, Bastille Day
        date(2025, 8, 15),  # Friday, Assumption
        date(2026, 11, 11),  # Wednesday, Armistice
        date(2026, 12, 25),  # Friday, Christmas
    ],
)
def test_weekends_and_french_holidays_are_not_business_days(day: date) -> None:
    """Saturdays, Sundays and the French public holidays are not business days."""
    assert not FR.is_business_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 27),  # Monday
        date(2026, 4, 30),  # Thursday, the day before 1 May
        date(2026, 5, 13),  # Wednesday, the day before Ascension
        date(2026, 5, 26),  # Tuesday, after Whit Monday
        date(2026, 4, 3),  # Friday, Good Friday: not a holiday in plain France
        date(2025, 12, 26),  # Friday, 26 December: not a holiday in plain France
    ],
)
def test_ordinary_weekdays_are_business_days(day: date) -> None:
    """An ordinary weekday is a business day in plain France."""
    assert FR.is_business_day(day)


def test_holidays_have_names() -> None:
    """A holiday has a name; an ordinary day has none."""
    assert FR.is_holiday(date(2026, 7, 14))
    assert FR.holiday_name(date(2026, 7, 14))
    assert FR.holiday_name(date(2026, 7, 15)) is None
    # 15 August 2026 is a Saturday: a holiday that is a weekend day anyway.
    assert FR.is_holiday(date(2026, 8, 15))


def test_alsace_moselle_adds_good_friday_and_26_december() -> None:
    """In Moselle (57) and Alsace (6AE) Good Friday and 26 December are holidays too."""
    for sub in ("57", "6AE"):
        cal = calendar_for("FR", sub)
        assert not cal.is_business_day(date(2026, 4, 3))  # Friday, Good Friday 2026
        assert not cal.is_business_day(date(2025, 12, 26))  # Friday, Saint Stephen's Day 2025
        assert cal.is_business_day(date(2026, 4, 2))  # Thursday before Good Friday
    assert FR.is_business_day(date(2026, 4, 3))
    assert FR.is_business_day(date(2025, 12, 26))


def test_reunion_adds_abolition_of_slavery_day() -> None:
    """La Réunion (974) does not work on 20 December; mainland France does."""
    reunion = calendar_for("FR", "974")
    assert not reunion.is_business_day(date(2027, 12, 20))  # Monday 20 December 2027
    assert not reunion.is_business_day(date(2024, 12, 20))  # Friday 20 December 2024
    assert FR.is_business_day(date(2027, 12, 20))
    assert reunion.roll_forward(date(2027, 12, 20)) == date(2027, 12, 21)  # Tuesday


def test_calendar_for_shares_one_instance() -> None:
    """The same country and subdivision give the same calendar object."""
    assert calendar_for("FR", "57") is calendar_for("FR", "57")
    assert calendar_for("FR") is not calendar_for("FR", "57")
    assert repr(calendar_for("FR", "57")) == "BusinessCalendar(country='FR', subdivision='57')"
    assert isinstance(FR, BusinessCalendar)


def test_a_shared_calendar_is_never_changed_by_a_lookup() -> None:
    """Lookups in the years held and outside them leave the calendar's holidays as they were."""
    cal = BusinessCalendar("FR", "57", years=range(2025, 2027))
    before = dict(cal.holidays)
    # 2025 and 2026: 11 national holidays each, plus Good Friday and 26 December in Moselle.
    assert len(before) == 26
    assert cal.is_holiday(date(2026, 4, 3))  # Good Friday 2026, held
    assert cal.is_holiday(date(2030, 4, 19))  # Good Friday 2030 (Easter 21 April), not held
    assert cal.holiday_name(date(1995, 7, 14)) is not None  # 14 July 1995, not held
    assert not cal.is_holiday(date(2030, 4, 18))
    assert cal.roll_forward(date(2030, 12, 25)) == date(2030, 12, 27)  # Wed 25, Thu 26 off
    assert dict(cal.holidays) == before
    with pytest.raises(TypeError):
        cal.holidays[date(2026, 1, 2)] = "not a holiday"  # type: ignore[index]


def test_a_calendar_holds_more_years_only_when_asked() -> None:
    """`with_years` gives a new calendar holding more years; the first one is unchanged."""
    cal = BusinessCalendar("FR", years=range(2026, 2027))
    wider = cal.with_years(range(2030, 2031))
    assert (cal.years, wider.years) == (range(2026, 2027), range(2026, 2031))
    # 11 French national holidays a year (Code du travail L3133-1), five years: 55.
    assert (len(cal.holidays), len(wider.holidays)) == (11, 55)
    assert date(2030, 7, 14) in wider.holidays
    assert date(2030, 7, 14) not in cal.holidays


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 28), date(2026, 4, 28)),  # Tuesday: itself
        (date(2026, 5, 2), date(2026, 5, 4)),  # Saturday -> Monday 4 May
        (date(2026, 5, 1), date(2026, 5, 4)),  # Friday 1 May -> Monday 4 May
        (date(2026, 5, 8), date(2026, 5, 11)),  # Friday 8 May -> Monday 11 May
        (date(2026, 5, 14), date(2026, 5, 15)),  # Thursday Ascension -> Friday 15 May
        (date(2026, 5, 23), date(2026, 5, 26)),  # Saturday -> Sun, Whit Monday -> Tuesday
        (date(2026, 7, 14), date(2026, 7, 15)),  # Tuesday 14 July -> Wednesday
        (date(2025, 8, 15), date(2025, 8, 18)),  # Friday 15 August 2025 -> Monday 18
        (date(2026, 12, 25), date(2026, 12, 28)),  # Friday Christmas -> Monday 28
    ],
)
def test_roll_forward(day: date, expected: date) -> None:
    """roll_forward keeps a business day and moves any other day to the next business day."""
    assert FR.roll_forward(day) == expected


def test_roll_forward_in_moselle() -> None:
    """Christmas Friday 25 Dec 2025 -> Monday 29 in Moselle (26th off), Friday 26 elsewhere."""
    assert calendar_for("FR", "57").roll_forward(date(2025, 12, 25)) == date(2025, 12, 29)
    assert FR.roll_forward(date(2025, 12, 25)) == date(2025, 12, 26)
    # Good Friday 3 April 2026, then the weekend and Easter Monday: Tuesday 7 April.
    assert calendar_for("FR", "57").roll_forward(date(2026, 4, 3)) == date(2026, 4, 7)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 27), date(2026, 4, 28)),  # Monday -> Tuesday
        (date(2026, 4, 30), date(2026, 5, 4)),  # Thursday -> (1 May, weekend) Monday 4 May
        (date(2026, 5, 13), date(2026, 5, 15)),  # Wednesday -> (Ascension) Friday
        (date(2026, 7, 13), date(2026, 7, 15)),  # Monday -> (14 July) Wednesday
        (date(2026, 5, 2), date(2026, 5, 4)),  # Saturday -> Monday
    ],
)
def test_next_business_day_is_strictly_after(day: date, expected: date) -> None:
    """next_business_day is the first business day strictly after the day given."""
    assert FR.next_business_day(day) == expected


# --------------------------------------------------------------------------------------------
# Send windows
# --------------------------------------------------------------------------------------------


def test_default_windows_for_sms_and_phone() -> None:
    """SMS and phone default to 10:00-13:00 and 14:00-20:00; email and letters have none."""
    expected = (
        SendWindow(start=time(10), end=time(13)),
        SendWindow(start=time(14), end=time(20)),
    )
    assert DEFAULT_SEND_WINDOWS[Channel.SMS] == expected
    assert DEFAULT_SEND_WINDOWS[Channel.PHONE_TASK] == expected
    assert Channel.EMAIL not in DEFAULT_SEND_WINDOWS
    assert Channel.LETTER not in DEFAULT_SEND_WINDOWS


def test_send_window_must_end_after_it_starts() -> None:
    """A window 13:00-10:00 (or empty) is refused with window_not_in_order."""
    for start, end in (("13:00", "10:00"), ("10:00", "10:00")):
        with pytest.raises(ValidationError) as info:
            SendWindow.model_validate({"start": start, "end": end})
        assert [(e["type"], e["loc"]) for e in info.value.errors()] == [("window_not_in_order", ())]


@pytest.mark.parametrize(
    ("at", "opens", "closes"),
    [
        # Monday 4 May 2026 (Paris, UTC+2).
        (paris_at(2026, 5, 4, 9, 0), paris_at(2026, 5, 4, 10), paris_at(2026, 5, 4, 13)),
        (paris_at(2026, 5, 4, 10, 0), paris_at(2026, 5, 4, 10), paris_at(2026, 5, 4, 13)),
        (paris_at(2026, 5, 4, 12, 59), paris_at(2026, 5, 4, 10), paris_at(2026, 5, 4, 13)),
        # 13:00 the morning window has closed; 13:30 between windows -> 14:00.
        (paris_at(2026, 5, 4, 13, 0), paris_at(2026, 5, 4, 14), paris_at(2026, 5, 4, 20)),
        (paris_at(2026, 5, 4, 13, 30), paris_at(2026, 5, 4, 14), paris_at(2026, 5, 4, 20)),
        # 20:30 on Monday -> Tuesday 5 May 10:00.
        (paris_at(2026, 5, 4, 20, 30), paris_at(2026, 5, 5, 10), paris_at(2026, 5, 5, 13)),
        # Thursday 30 April 20:30 -> Friday 1 May off, weekend -> Monday 4 May 10:00.
        (paris_at(2026, 4, 30, 20, 30), paris_at(2026, 5, 4, 10), paris_at(2026, 5, 4, 13)),
        # Saturday 2 May noon -> Monday 4 May 10:00.
        (paris_at(2026, 5, 2, 12, 0), paris_at(2026, 5, 4, 10), paris_at(2026, 5, 4, 13)),
    ],
)
def test_next_window_in_paris(at: datetime, opens: datetime, closes: datetime) -> None:
    """The first window on a business day that has not closed at the instant given."""
    got = next_window(SMS_WINDOWS, FR, PARIS, first_day=date(2026, 4, 27), at=at)
    assert got == (opens, closes)


def test_next_window_starts_on_first_day() -> None:
    """A window is never before first_day, even when an earlier one is open now."""
    # At Monday 4 May 11:00, with first_day Wednesday 6 May: Wednesday 10:00-13:00.
    got = next_window(
        SMS_WINDOWS, FR, PARIS, first_day=date(2026, 5, 6), at=paris_at(2026, 5, 4, 11)
    )
    assert got == (paris_at(2026, 5, 6, 10), paris_at(2026, 5, 6, 13))
    # first_day on Ascension (Thursday 14 May): Friday 15 May 10:00.
    got = next_window(SMS_WINDOWS, FR, PARIS, first_day=date(2026, 5, 14), at=paris_at(2026, 5, 4))
    assert got == (paris_at(2026, 5, 15, 10), paris_at(2026, 5, 15, 13))


def test_next_window_in_reunion_across_the_utc_date_line() -> None:
    """21:30 UTC on Monday is already 01:30 on Tuesday in La Réunion (UTC+4)."""
    reunion = calendar_for("FR", "974")
    at = datetime(2026, 5, 4, 21, 30, tzinfo=UTC)  # Monday 4 May 21:30 UTC
    opens, closes = next_window(SMS_WINDOWS, reunion, REUNION, first_day=date(2026, 5, 4), at=at)
    # Tuesday 5 May 10:00-13:00 Réunion time = 06:00-09:00 UTC.
    assert opens == datetime(2026, 5, 5, 10, tzinfo=REUNION)
    assert closes == datetime(2026, 5, 5, 13, tzinfo=REUNION)
    assert opens == datetime(2026, 5, 5, 6, tzinfo=UTC)
    # The same instant in Paris is 23:30 on Monday: also Tuesday 10:00, but Paris time.
    paris_opens, _ = next_window(SMS_WINDOWS, FR, PARIS, first_day=date(2026, 5, 4), at=at)
    assert paris_opens == paris_at(2026, 5, 5, 10)


def test_next_window_in_reunion_open_while_closed_in_paris() -> None:
    """At 06:30 UTC the Réunion morning window is open (10:30 local); Paris's is not (08:30)."""
    at = datetime(2026, 5, 5, 6, 30, tzinfo=UTC)  # Tuesday 5 May
    reunion = calendar_for("FR", "974")
    opens, closes = next_window(SMS_WINDOWS, reunion, REUNION, first_day=date(2026, 5, 5), at=at)
    assert opens <= at < closes
    opens, closes = next_window(SMS_WINDOWS, FR, PARIS, first_day=date(2026, 5, 5), at=at)
    assert (opens, closes) == (paris_at(2026, 5, 5, 10), paris_at(2026, 5, 5, 13))
    assert not opens <= at


def test_next_window_skips_reunion_holiday() -> None:
    """On Monday 20 December 2027 (a Réunion holiday) the window moves to Tuesday 21."""
    reunion = calendar_for("FR", "974")
    at = datetime(2027, 12, 20, 9, tzinfo=REUNION)
    got = next_window(SMS_WINDOWS, reunion, REUNION, first_day=date(2027, 12, 20), at=at)
    assert got == (
        datetime(2027, 12, 21, 10, tzinfo=REUNION),
        datetime(2027, 12, 21, 13, tzinfo=REUNION),
    )


# --------------------------------------------------------------------------------------------
# Mutants found by the mutation run (host-contract issue)
# --------------------------------------------------------------------------------------------

MARTINIQUE = ZoneInfo("America/Martinique")  # UTC-4 all year, no summer time
NOUMEA = ZoneInfo("Pacific/Noumea")  # UTC+11 all year


def test_next_window_uses_the_customers_date_not_the_date_of_the_instant_given() -> None:
    """A window still open on the customer's Monday is open, whatever date the instant shows.

    00:30 on Tuesday 5 May in Paris (UTC+2) is 18:30 on Monday 4 May in Martinique (UTC-4):
    the Monday 14:00-20:00 window there is open. Read on the instant's own date (Tuesday) it
    would wrongly wait for Tuesday 10:00.
    """
    martinique = calendar_for("FR", "972")
    at = paris_at(2026, 5, 5, 0, 30)
    got = next_window(SMS_WINDOWS, martinique, MARTINIQUE, first_day=date(2026, 5, 4), at=at)
    assert got == (
        datetime(2026, 5, 4, 14, tzinfo=MARTINIQUE),
        datetime(2026, 5, 4, 20, tzinfo=MARTINIQUE),
    )
    assert got[0] <= at < got[1]
    # A host clock in Nouméa: 02:00 on Tuesday 5 May there is 17:00 on Monday 4 May in Paris.
    at = datetime(2026, 5, 5, 2, tzinfo=NOUMEA)
    got = next_window(SMS_WINDOWS, FR, PARIS, first_day=date(2026, 5, 4), at=at)
    assert got == (paris_at(2026, 5, 4, 14), paris_at(2026, 5, 4, 20))


def test_roll_forward_reads_the_days_off_worked_out_with_the_calendar() -> None:
    """Rolled days match a day-by-day walk, across the edges of the years the calendar holds."""
    calendar = BusinessCalendar("FR", "57", years=range(2026, 2028))
    # Worked out by hand: Thursday 31 December 2026 is a working day; Friday 1 January 2027 is
    # off, then a weekend: Monday 4 January. Saturday 25 December 2027 (Christmas) and Sunday
    # 26 (Saint Stephen, Moselle): Monday 27. Friday 31 December 2027 is a working day; in 2028
    # (outside the held years) Saturday 1 January rolls to Monday 3 January.
    assert calendar.roll_forward(date(2026, 12, 31)) == date(2026, 12, 31)
    assert calendar.roll_forward(date(2027, 1, 1)) == date(2027, 1, 4)
    assert calendar.roll_forward(date(2027, 12, 25)) == date(2027, 12, 27)
    assert calendar.roll_forward(date(2027, 12, 31)) == date(2027, 12, 31)
    assert calendar.roll_forward(date(2028, 1, 1)) == date(2028, 1, 3)
    assert not calendar.is_business_day(date(2027, 12, 26))
    assert calendar.is_business_day(date(2027, 12, 27))
    # Saturday 30 December 2028 rolls, outside the held years, over 1 January 2029 (Monday).
    assert calendar.roll_forward(date(2028, 12, 30)) == date(2029, 1, 2)
