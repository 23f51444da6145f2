"""dunning.core.parsing: one reading of amounts and days for the importer, notebooks and KPIs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from dunning.core.parsing import amount_text, day_text, read_day, to_day, to_moment

PLUS_TWO = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1103.82", "1103.82"),
        ("1103,82", "1103.82"),
        ("1 103,82", "1103.82"),
        ("1\u00a0103,82", "1103.82"),  # no-break space
        ("1\u202f103,82", "1103.82"),  # narrow no-break space (French locales)
        ("1'103.82", "1103.82"),
        ("-", "0"),
        ("-12,50", "-12.50"),
        ("1,103.82", "1,103.82"),  # both marks: left alone, Decimal refuses it
    ],
)
def test_amount_text(text: str, expected: str) -> None:
    """Thousands separators go, a lone decimal comma becomes a point, a lone dash is zero."""
    assert amount_text(text) == expected


def test_day_text_iso_and_french() -> None:
    """ISO and dd/mm/yyyy are read; month-first and impossible days are not."""
    assert day_text("30/12/2025") == date(2025, 12, 30)
    assert day_text("1/3/2026") == date(2026, 3, 1)
    assert day_text(" 2025-12-30 ") == date(2025, 12, 30)
    assert day_text("12/30/2025") is None
    assert day_text("31/02/2026") is None
    assert day_text("30.12.2025") is None


def test_to_day_policy() -> None:
    """Aware instants give their own civil date, naive midnight a day; a naive time is refused."""
    late = datetime(2026, 3, 31, 23, 30, tzinfo=PLUS_TWO)  # 21:30 UTC, 31 March at +02:00
    assert to_day(late, "end") == date(2026, 3, 31)
    assert to_day(datetime(2026, 3, 31), "end") == date(2026, 3, 31)
    assert to_day("2026-03-31T23:30+02:00", "end") == date(2026, 3, 31)
    with pytest.raises(ValueError, match=r"^end: 2026-03-31T09:00:00 has a time of day but no"):
        to_day(datetime(2026, 3, 31, 9), "end")
    with pytest.raises(ValueError, match=r"^start: 'March' is not a date"):
        to_day("March", "start")
    with pytest.raises(ValueError, match=r"^start: the date is missing"):
        to_day(None, "start")
    with pytest.raises(TypeError, match=r"^start: expected a date .* got int"):
        to_day(20260331, "start")


class _Timestamp(datetime):
    """Stands for pandas.Timestamp: a datetime subclass with to_pydatetime()."""

    def to_pydatetime(self) -> datetime:
        return datetime(self.year, self.month, self.day, self.hour, tzinfo=self.tzinfo)


def test_to_moment_keeps_instants_and_days_apart() -> None:
    """An aware instant stays one (ISO 'Z' too); a date or date text is a day; naive is refused."""
    assert to_moment("2026-03-31T18:00Z", "at") == datetime(2026, 3, 31, 18, tzinfo=UTC)
    assert to_moment(date(2026, 3, 31), "at") == date(2026, 3, 31)
    assert to_moment("31/03/2026", "at") == date(2026, 3, 31)
    for naive in (datetime(2026, 3, 31), "2026-03-31T00:00", _Timestamp(2026, 3, 31, 9)):
        with pytest.raises(ValueError, match=r"^at: an instant must be timezone-aware, got 2026-"):
            to_moment(naive, "at")


def test_timestamps_are_duck_typed() -> None:
    """Anything with to_pydatetime() is read through it, pandas or not."""
    stamp = _Timestamp(2026, 3, 31, 18, tzinfo=UTC)
    found = read_day(stamp)
    assert type(found) is datetime
    assert found == datetime(2026, 3, 31, 18, tzinfo=UTC)
    assert to_day(_Timestamp(2026, 3, 31), "end") == date(2026, 3, 31)
