"""Business days and send windows, in the customer's own calendar and time zone.

Public holidays come from the `holidays` package (France by default, with its subdivisions:
``57`` Moselle and ``6AE`` Alsace add Good Friday and 26 December; overseas departments such as
``971``-``976`` add their abolition-of-slavery day). Nothing here is hand-written holiday data.

A send window is a span of local time on business days during which a channel may be used.
The defaults for SMS and phone follow the rules for calls to consumers (Code de la consommation
D223-9, in force since 1 March 2023): weekdays 10:00-13:00 and 14:00-20:00, never on Saturdays,
Sundays or public holidays. Email and letters have no window: any business day will do.

Examples:
    >>> from datetime import date
    >>> cal = calendar_for("FR")
    >>> cal.is_business_day(date(2026, 5, 1))            # Fête du Travail
    False
    >>> cal.roll_forward(date(2026, 5, 8))              # Friday 8 May -> Monday 11 May
    datetime.date(2026, 5, 11)
    >>> calendar_for("FR", "57").is_business_day(date(2026, 12, 26))  # Saturday anyway
    False
    >>> calendar_for("FR", "57").is_holiday(date(2026, 4, 3))   # Good Friday in Moselle
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from dunning.core._countries import check_country, check_subdivision
from dunning.core._types import MODEL_CONFIG
from dunning.core.model import Channel

__all__ = [
    "DEFAULT_SEND_WINDOWS",
    "DEFAULT_YEARS",
    "BusinessCalendar",
    "SendWindow",
    "calendar_for",
    "check_country",
    "check_subdivision",
    "holidays_of_year",
    "next_window",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY, _SUNDAY = 5, 6


DEFAULT_YEARS = range(2000, 2061)
"""The years a calendar holds from the start: any invoice a host chases today, and more."""


class BusinessCalendar:
    """Weekends and public holidays of one country (and optional subdivision). Immutable.

    The holidays of *years* are read from the ``holidays`` package when the calendar is built
    (``expand=False``: the package object is read once, never filled in by a look-up, and not
    kept), so one calendar can be shared by any number of runs and threads. A day of another
    year is answered from that year's holidays (`holidays_of_year`, worked out once per
    process), without changing the calendar; `with_years` builds one that holds more years.
    Build it with `calendar_for`, which shares one instance per calendar.

    Attributes:
        country: ISO 3166 code of the country.
        subdivision: code of the subdivision, if any.
        years: the years held from the start.
        holidays: the public holidays of those years, by date (read-only).
    """

    __slots__ = ("_days", "_next", "country", "holidays", "subdivision", "years")

    def __init__(
        self, country: str = "FR", subdivision: str | None = None, *, years: range = DEFAULT_YEARS
    ) -> None:
        """Read the holidays of *country* / *subdivision* for *years* from ``holidays``."""
        self.country = country
        self.subdivision = subdivision
        self.years = years
        found = holidays.country_holidays(country, subdiv=subdivision, years=years, expand=False)
        self.holidays: Mapping[date, str] = MappingProxyType(
            {day: name for day, name in found.items() if day.year in years}
        )
        self._days = frozenset(self.holidays)
        # Every day off of the held years, with the business day it rolls to: worked out once,
        # backwards from the first business day after them, so that `roll_forward` and
        # `is_business_day` are one look-up (the engine asks for the same days per invoice).
        self._next: Mapping[date, date] = MappingProxyType(self._days_off(years))

    def _days_off(self, years: range) -> dict[date, date]:
        # Built before `_next` exists: the slow path of `roll_forward`, one day past the years.
        after = date(years.stop, 1, 1) if years.stop <= date.max.year else date.max
        following = after
        while not self._is_business_day(following):
            following += _ONE_DAY
        days_off: dict[date, date] = {}
        if not years:
            return days_off
        day, first = after - _ONE_DAY, date(years.start, 1, 1)
        while day >= first:
            if day.weekday() >= _SATURDAY or day in self._days:
                days_off[day] = following
            else:
                following = day
            day -= _ONE_DAY
        return days_off

    def __repr__(self) -> str:
        """Show which calendar this is."""
        return f"BusinessCalendar(country={self.country!r}, subdivision={self.subdivision!r})"

    def with_years(self, years: range) -> BusinessCalendar:
        """A calendar of the same place holding *years* too (this one is unchanged).

        Examples:
            >>> calendar_for("FR").with_years(range(1990, 2061)).years
            range(1990, 2061)
        """
        first, last = min(self.years.start, years.start), max(self.years.stop, years.stop)
        return BusinessCalendar(self.country, self.subdivision, years=range(first, last))

    def _holidays_of(self, day: date) -> Mapping[date, str]:
        if day.year in self.years:
            return self.holidays
        return holidays_of_year(self.country, self.subdivision, day.year)

    def is_holiday(self, day: date) -> bool:
        """Whether *day* is a public holiday of this calendar."""
        if day.year in self.years:
            return day in self._days
        return day in holidays_of_year(self.country, self.subdivision, day.year)

    def holiday_name(self, day: date) -> str | None:
        """The holiday's name (from the ``holidays`` package), or None on an ordinary day."""
        return self._holidays_of(day).get(day)

    def is_business_day(self, day: date) -> bool:
        """Whether *day* is neither a Saturday, a Sunday nor a public holiday."""
        if day.year in self.years:
            return day not in self._next
        return self._is_business_day(day)

    def _is_business_day(self, day: date) -> bool:
        return day.weekday() < _SATURDAY and not self.is_holiday(day)

    def roll_forward(self, day: date) -> date:
        """*day* itself if it is a business day, else the next business day after it.

        Examples:
            >>> calendar_for("FR").roll_forward(date(2026, 5, 1))  # Friday 1 May, off
            datetime.date(2026, 5, 4)
            >>> calendar_for("FR").roll_forward(date(2060, 12, 31))  # Friday
            datetime.date(2060, 12, 31)
        """
        if day.year in self.years:
            return self._next.get(day, day)
        while not self._is_business_day(day):
            day += _ONE_DAY
        return day

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after *day*.

        Examples:
            >>> calendar_for("FR").next_business_day(date(2026, 7, 13))  # Monday -> 14 July off
            datetime.date(2026, 7, 15)
        """
        return self.roll_forward(day + _ONE_DAY)


@lru_cache(maxsize=1024)
def holidays_of_year(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    """The public holidays of one year, by date (read-only): for a year a calendar lacks.

    Examples:
        >>> date(1995, 7, 14) in holidays_of_year("FR", None, 1995)
        True
    """
    found = holidays.country_holidays(country, subdiv=subdivision, years=year, expand=False)
    return MappingProxyType({day: name for day, name in found.items() if day.year == year})


@lru_cache(maxsize=256)
def calendar_for(country: str = "FR", subdivision: str | None = None) -> BusinessCalendar:
    """The shared `BusinessCalendar` of a country and optional subdivision.

    Calendars are immutable: sharing one (across runs and threads) is safe.

    Raises:
        NotImplementedError: if the ``holidays`` package has no such country (customers are
            validated earlier, so this only happens when called directly).
    """
    return BusinessCalendar(country, subdivision)


class SendWindow(BaseModel):
    """A span of local time, on business days, during which a channel may be used.

    Examples:
        >>> SendWindow(start="10:00", end="13:00")
        SendWindow(start=datetime.time(10, 0), end=datetime.time(13, 0))
    """

    model_config = MODEL_CONFIG

    start: time
    end: time

    @model_validator(mode="after")
    def _check_order(self) -> SendWindow:
        if self.end <= self.start:
            raise PydanticCustomError(
                "window_not_in_order",
                "a send window must end after it starts ({start}-{end})",
                {"start": self.start.isoformat(), "end": self.end.isoformat()},
            )
        return self


SendWindows = Annotated[tuple[SendWindow, ...], Field(min_length=1)]

# Code de la consommation D223-9 (calls to consumers, since 1 March 2023): weekdays
# 10:00-13:00 and 14:00-20:00, no Saturday, Sunday or public holiday. No statute sets hours for
# amicable collection, so these are defaults a scenario may change (DOMAIN.md section 8).
DEFAULT_SEND_WINDOWS: Mapping[Channel, tuple[SendWindow, ...]] = {
    Channel.SMS: (
        SendWindow(start=time(10), end=time(13)),
        SendWindow(start=time(14), end=time(20)),
    ),
    Channel.PHONE_TASK: (
        SendWindow(start=time(10), end=time(13)),
        SendWindow(start=time(14), end=time(20)),
    ),
}


def next_window(
    windows: Sequence[SendWindow],
    calendar: BusinessCalendar,
    tz: ZoneInfo,
    *,
    first_day: date,
    at: datetime,
) -> tuple[datetime, datetime]:
    """The first window, on a business day on or after *first_day*, that has not closed at *at*.

    Returns:
        ``(opens, closes)`` as aware datetimes in *tz*. The window is open now when
        ``opens <= at < closes``.

    Examples:
        >>> from zoneinfo import ZoneInfo
        >>> paris = ZoneInfo("Europe/Paris")
        >>> w = DEFAULT_SEND_WINDOWS[Channel.SMS]
        >>> opens, closes = next_window(w, calendar_for("FR"), paris, first_day=date(2026, 5, 13),
        ...                             at=datetime(2026, 5, 13, 20, 30, tzinfo=paris))
        >>> opens.isoformat()   # Thursday 14 May is Ascension: Friday 15 May, 10:00
        '2026-05-15T10:00:00+02:00'
    """
    local_today = at.astimezone(tz).date()
    day = calendar.roll_forward(max(first_day, local_today))
    while True:
        for window in windows:
            closes = datetime.combine(day, window.end, tzinfo=tz)
            if closes > at:
                return datetime.combine(day, window.start, tzinfo=tz), closes
        day = calendar.next_business_day(day)
