"""What one run of decisions works out once and reuses, held by an object the run creates.

`decide_many` creates a `RunCache` per call and `decide` one per call unless it is given one;
the runner and the portfolio pass theirs. Nothing here is shared between runs unless the caller
shares the object: there is no module-level state. What a cache holds is derived from immutable
values (a customer's time zone, country and subdivision, and dates), so a cache can never give
an answer a fresh one would not; it only saves the work.

Per place (time zone, country, subdivision) a `Place` holds the zone, the business calendar
(itself immutable and shared, see `dunning.core.calendar.calendar_for`, which rolls a day to
a business day in one look-up), and the run's memo of the local midnights it built: a batch
asks for the same few dates for every invoice. It also holds the run's memo of ladders
(`Place.ladders`): the next steps of a scenario's ladder depend only on the plan, the instant,
the place, the anchor date, the highest step taken and the first day allowed, which many
invoices of a book share; the engine fills and reads it (`dunning.core.decider`).

Examples:
    >>> from datetime import date
    >>> from dunning.core.model import Customer
    >>> cache = RunCache()
    >>> place = cache.place(Customer(id="C", name="ACME", subdivision="57"))
    >>> place is cache.place(Customer(id="D", name="Other", subdivision="57"))
    True
    >>> place.roll_forward(date(2026, 12, 25))  # Christmas, then 26 December in Moselle
    datetime.date(2026, 12, 28)
    >>> place.midnight(date(2026, 12, 28)).isoformat()
    '2026-12-28T00:00:00+01:00'
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dunning.core.calendar import BusinessCalendar, calendar_for
from dunning.core.model import Customer, start_of_day

__all__ = ["Place", "RunCache", "place_of"]


class Place:
    """A time zone and business calendar, with one run's memo of local midnights.

    Attributes:
        tz: the time zone.
        calendar: the business calendar (immutable, shared).
        ladders: the run's memo of the engine's ladder look-ups in this place, keyed and
            read by the engine only (its values are immutable); None for a place made for
            one decision (`place_of`), where nothing could share it.
    """

    __slots__ = ("_midnights", "calendar", "ladders", "roll_forward", "tz")

    def __init__(self, tz: ZoneInfo, calendar: BusinessCalendar, *, shared: bool = True) -> None:
        """Hold *tz* and *calendar*, with empty memos (none at all unless *shared*).

        A place that is not *shared* keeps nothing: nothing in it ever changes once made.
        """
        self.tz = tz
        self.calendar = calendar
        self.roll_forward: Callable[[date], date] = calendar.roll_forward
        """`BusinessCalendar.roll_forward` (one look-up in the calendar's table of days off)."""
        self._midnights: dict[date, datetime] | None = {} if shared else None
        self.ladders: dict[Hashable, Any] | None = {} if shared else None

    def __repr__(self) -> str:
        """Show the zone and calendar."""
        return f"Place(tz={self.tz.key!r}, calendar={self.calendar!r})"

    def midnight(self, day: date) -> datetime:
        """00:00 local time on *day* (`start_of_day`), memoised for the run if shared."""
        memo = self._midnights
        if memo is None:
            return start_of_day(day, self.tz)
        found = memo.get(day)
        if found is None:
            found = memo[day] = start_of_day(day, self.tz)
        return found


class RunCache:
    """The places one run has met, each worked out once.

    Create one per run, and keep it to one thread: it fills as it is used.

    Examples:
        >>> from dunning.core.model import Customer
        >>> RunCache().place(Customer(id="C", name="ACME"))
        Place(tz='Europe/Paris', calendar=BusinessCalendar(country='FR', subdivision=None))
    """

    __slots__ = ("_places",)

    def __init__(self) -> None:
        """Start empty."""
        self._places: dict[tuple[str, str, str | None], Place] = {}

    def place(self, customer: Customer) -> Place:
        """The time zone and calendar of *customer*, shared by every customer in that place."""
        key = (customer.time_zone, customer.country, customer.subdivision)
        found = self._places.get(key)
        if found is None:
            found = self._places[key] = Place(
                customer.tz, calendar_for(customer.country, customer.subdivision)
            )
        return found


def place_of(customer: Customer) -> Place:
    """The `Place` of *customer* for one decision: no memos (nothing to share them with).

    Such a place holds nothing that changes, so one is shared per zone and calendar
    (`_lone_place`, an ``lru_cache`` of a pure function of the place's names).

    Examples:
        >>> from dunning.core.model import Customer
        >>> place = place_of(Customer(id="C", name="ACME"))
        >>> place.ladders is None, place is place_of(Customer(id="D", name="Other"))
        (True, True)
    """
    return _lone_place(customer.time_zone, customer.country, customer.subdivision)


@lru_cache(maxsize=256)
def _lone_place(time_zone: str, country: str, subdivision: str | None) -> Place:
    """A place without memos, from its names: a pure function of strings, cached.

    Its value never changes (a place made with ``shared=False`` keeps nothing), so sharing
    it between decisions and threads is safe: `decide` has no run's cache of places.
    """
    return Place(ZoneInfo(time_zone), calendar_for(country, subdivision), shared=False)
