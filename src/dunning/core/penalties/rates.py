"""Dated rate tables: the ECB main refinancing rate and the French legal interest rate.

How this works: a `RateTable` is a step function. Each `RateEntry` says "from this date on, the
rate is X %", and the table says up to which day it is known (`RateTable.last_day`). Looking a
day up returns the entry in force on that day; a day outside what the table covers raises
`RateNotAvailableError` naming the half-year, never an extrapolation. Half-yearly tables (the
legal rate, set each half-year by arrêté) only accept entries starting on 1 January or 1 July.

The package ships both series as CSV files in ``data/``, each with a header naming its source and
the date it was checked. Values not yet confirmed by an official publication are flagged
``provisional``: using one (`RateTable.rate_on`) emits a `ProvisionalRateWarning`. A vendor adds
next half-year's rates without waiting for a release with `PenaltyRates.with_legal_rate`,
`PenaltyRates.with_ecb_rate` or `RateTable.with_overrides`, or loads a whole table of its own
with `RateTable.from_rows` / `RateTable.from_csv`.

Examples:
    >>> from datetime import date
    >>> rates = default_rates()
    >>> rates.ecb.rate_on(date(2024, 7, 1)).rate
    Decimal('4.25')
    >>> rates.legal_other.rate_on(date(2024, 8, 15)).rate
    Decimal('4.92')
    >>> rates.legal_other.last_day
    datetime.date(2026, 12, 31)
    >>> str(HalfYear.of(date(2027, 3, 1)))
    '2027 H1'
"""

from __future__ import annotations

import csv
import re
import warnings
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from dunning.exceptions import ProvisionalRateWarning, RateNotAvailableError, RateTableError

__all__ = [
    "HalfYear",
    "LegalRateColumn",
    "PenaltyRates",
    "RateEntry",
    "RateTable",
    "default_rates",
]

# A rate in a table is written in plain decimal notation ("4.25"): no exponent, no thousands
# separator, no sign. Anything else is a typo until proven otherwise.
_PLAIN_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
_HALF_YEAR = re.compile(r"^(\d{4}) ?H([12])$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_RATE = Decimal(100)
_PROVISIONAL = "provisional"

ECB_FILE = "ecb_main_refinancing_rate.csv"
LEGAL_FILE = "legal_interest_rate.csv"


@dataclass(frozen=True, order=True, slots=True)
class HalfYear:
    """A calendar half-year, the period the law sets rates for (``2027 H1``, ``2027 H2``).

    Attributes:
        year: the calendar year.
        half: 1 (January-June) or 2 (July-December).

    Examples:
        >>> h = HalfYear.parse("2024 H2")
        >>> h.start, h.end, str(h.next())
        (datetime.date(2024, 7, 1), datetime.date(2024, 12, 31), '2025 H1')
    """

    year: int
    half: int

    def __post_init__(self) -> None:
        """Reject a half other than 1 or 2 and a year a `date` cannot hold."""
        if self.half not in {1, 2} or not 1 <= self.year <= 9999:  # noqa: PLR2004
            msg = f"not a half-year: year={self.year}, half={self.half} (half is 1 or 2)"
            raise ValueError(msg)

    @classmethod
    def of(cls, day: date) -> HalfYear:
        """Return the half-year *day* falls in."""
        return cls(day.year, 1 if day.month <= 6 else 2)  # noqa: PLR2004

    @classmethod
    def parse(cls, text: str | HalfYear) -> HalfYear:
        """Read ``"2027 H1"`` (or ``"2027H1"``); a `HalfYear` is returned unchanged.

        Raises:
            ValueError: if *text* is not of that form.
        """
        if isinstance(text, HalfYear):
            return text
        match = _HALF_YEAR.match(text.strip())
        if match is None:
            msg = f"{text!r} is not a half-year such as '2027 H1'"
            raise ValueError(msg)
        return cls(int(match[1]), int(match[2]))

    @property
    def start(self) -> date:
        """1 January or 1 July."""
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        """30 June or 31 December."""
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    def next(self) -> HalfYear:
        """The half-year after this one."""
        return HalfYear(self.year, 2) if self.half == 1 else HalfYear(self.year + 1, 1)

    def __str__(self) -> str:
        """Return ``2027 H1``."""
        return f"{self.year} H{self.half}"


class LegalRateColumn(StrEnum):
    """Which column of the legal interest rate applies: it depends on the creditor (L313-2)."""

    PRIVATE = "particuliers"
    """The creditor is a natural person not acting for professional needs."""
    OTHER = "autres_cas"
    """Every other case, e.g. a business chasing a consumer; also the base of the B2B floor."""


@dataclass(frozen=True, slots=True)
class RateEntry:
    """One step of a rate table: from *starts_on* on, the annual rate is *rate* percent.

    Attributes:
        starts_on: first day the rate is in force (the ECB's effective date, or 1 January /
            1 July for a half-yearly rate).
        rate: annual rate in percent, e.g. ``Decimal("4.25")`` for 4.25 %.
        provisional: True if not confirmed by an official publication yet.
    """

    starts_on: date
    rate: Decimal
    provisional: bool = False

    @property
    def half_year(self) -> HalfYear:
        """The half-year *starts_on* falls in."""
        return HalfYear.of(self.starts_on)


def _location_label(entry: RateEntry, *, half_yearly: bool) -> str:
    return str(entry.half_year) if half_yearly else entry.starts_on.isoformat()


@dataclass(frozen=True, slots=True)
class RateTable:
    """A dated series of annual rates, looked up by day, that knows where its knowledge ends.

    Build one with `RateTable.from_rows` or `RateTable.from_csv`; the packaged tables come from
    `default_rates`. Construction checks the table and raises `RateTableError` naming the row.

    Attributes:
        name: what the rate is, used in messages (``ECB main refinancing rate``).
        entries: the steps, in strictly increasing date order.
        known_until: the last day the table is known to be right for.
        half_yearly: True if rates are set per half-year (entries start on 1 Jan / 1 Jul).
        source: where the values come from.
        checked_on: when they were last checked against the source.

    Examples:
        >>> from datetime import date
        >>> t = RateTable.from_rows("my rate", [("2027-01-01", "3.00"), ("2027-03-01", "2.75")],
        ...                         known_until=date(2027, 6, 30))
        >>> t.rate_on(date(2027, 2, 14)).rate, t.last_day
        (Decimal('3.00'), datetime.date(2027, 6, 30))
        >>> [str(e.rate) for e in t]
        ['3.00', '2.75']
    """

    name: str
    entries: tuple[RateEntry, ...]
    known_until: date
    half_yearly: bool = False
    source: str = ""
    checked_on: date | None = None
    _starts: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        """The hash of the fields compared, worked out once (tables key cached quotes)."""
        return self._hash

    def __post_init__(self) -> None:
        """Check the entries; raise `RateTableError` naming the first bad one."""
        entries = tuple(self.entries)
        object.__setattr__(self, "entries", entries)
        label = self.name or "rate table"
        if not entries:
            msg = "the table has no rows"
            raise RateTableError(msg, source=label, location="entries")
        previous: date | None = None
        for n, entry in enumerate(entries):
            where = f"entries[{n}]"
            _check_entry(entry, source=label, location=where, half_yearly=self.half_yearly)
            if previous is not None and entry.starts_on <= previous:
                problem = "duplicate date" if entry.starts_on == previous else "dates not in order"
                msg = f"{problem}: {entry.starts_on} comes after {previous}"
                raise RateTableError(msg, source=label, location=where)
            previous = entry.starts_on
        if isinstance(self.known_until, datetime) or not isinstance(self.known_until, date):
            msg = f"known_until must be a date, got {self.known_until!r}"
            raise RateTableError(msg, source=label, location="known_until")
        if self.known_until < entries[-1].starts_on:
            msg = f"known_until {self.known_until} is before the last entry {entries[-1].starts_on}"
            raise RateTableError(msg, source=label, location="known_until")
        object.__setattr__(self, "_starts", tuple(e.starts_on for e in entries))
        fields = (self.name, entries, self.known_until, self.half_yearly, self.source)
        object.__setattr__(self, "_hash", hash((*fields, self.checked_on)))

    # ----------------------------------------------------------------------------- builders

    @classmethod
    def from_rows(
        cls,
        name: str,
        rows: Iterable[RateEntry | tuple[object, ...]],
        *,
        half_yearly: bool = False,
        known_until: date | None = None,
        source: str = "",
        checked_on: date | None = None,
    ) -> RateTable:
        """Build a table from ``(start, rate)`` or ``(start, rate, provisional)`` rows.

        Args:
            name: what the rate is, for messages.
            rows: each a `RateEntry` or a tuple; *start* is a `date`, an ISO date string or a
                half-year (``"2027 H1"``); *rate* a `Decimal`, an `int` or a decimal string, in
                percent. Floats are refused: they cannot hold a rate exactly.
            half_yearly: True for a per-half-year rate (starts must be 1 Jan / 1 Jul).
            known_until: last day the table is right for; by default the end of the last
                half-year for a half-yearly table, else the last entry's start.
            source: where the values come from.
            checked_on: when they were checked.

        Returns:
            The checked table.

        Raises:
            RateTableError: naming the row (``rows[3]``) for a float, a non-decimal value,
                a bad date, a duplicate or an unsorted date.

        Examples:
            >>> t = RateTable.from_rows("legal rate", [("2027 H1", "2.50", True)], half_yearly=True)
            >>> t.last_day, t.entries[0].provisional
            (datetime.date(2027, 6, 30), True)
        """
        entries = _checked_rows(rows, source=name, half_yearly=half_yearly)
        return cls._build(
            name,
            entries,
            half_yearly=half_yearly,
            known_until=known_until,
            source=source,
            checked_on=checked_on,
        )

    @classmethod
    def _build(
        cls,
        name: str,
        entries: tuple[RateEntry, ...],
        *,
        half_yearly: bool,
        known_until: date | None,
        source: str,
        checked_on: date | None,
    ) -> RateTable:
        if known_until is None and entries:
            last = entries[-1].starts_on
            known_until = HalfYear.of(last).end if half_yearly else last
        return cls(
            name=name,
            entries=entries,
            known_until=known_until or date.min,
            half_yearly=half_yearly,
            source=source,
            checked_on=checked_on,
        )

    @classmethod
    def from_csv(cls, text: str, *, name: str, rate_column: str, origin: str = "") -> RateTable:
        r"""Read a table from CSV text in the format of the packaged files.

        Lines starting with ``#`` before the header are comments; ``# Source: ...``,
        ``# Checked: YYYY-MM-DD`` and ``# Known until: YYYY-MM-DD`` are read as metadata. The
        first column is ``effective_on`` (ISO dates) or ``half_year`` (``2027 H1``); an optional
        ``status`` column holds ``provisional`` or nothing.

        Args:
            text: the CSV text.
            name: what the rate is, for messages.
            rate_column: the header of the column holding the rate.
            origin: the file name or label used in error messages (defaults to *name*).

        Returns:
            The checked table.

        Raises:
            RateTableError: naming the line, for a missing column, a value that is not a plain
                decimal, a bad date, a duplicate or an unsorted date.

        Examples:
            >>> t = RateTable.from_csv("# Source: me\neffective_on,rate\n2027-01-01,2.5\n",
            ...                        name="ECB", rate_column="rate")
            >>> t.source, t.rate_on(t.last_day).rate
            ('me', Decimal('2.5'))
        """
        return _parse_csv(text, name=name, rate_column=rate_column, origin=origin or name)

    def with_overrides(
        self,
        rows: Iterable[RateEntry | tuple[object, ...]],
        *,
        known_until: date | None = None,
    ) -> RateTable:
        """Return a copy with *rows* added, replacing any entry that starts on the same day.

        Args:
            rows: as for `RateTable.from_rows`.
            known_until: new end of the table's knowledge; by default the later of the current
                one and what the new rows imply (end of their half-year for a half-yearly table).

        Returns:
            The new table (this one is unchanged).

        Raises:
            RateTableError: if a row is malformed.

        Examples:
            >>> from datetime import date
            >>> from decimal import Decimal
            >>> legal = default_rates().legal_other.with_overrides([("2027 H1", Decimal("2.40"))])
            >>> legal.rate_on(date(2027, 5, 1)).rate, legal.last_day
            (Decimal('2.40'), datetime.date(2027, 6, 30))
        """
        new = _checked_rows(rows, source=self.name, half_yearly=self.half_yearly, ordered=False)
        merged = {e.starts_on: e for e in self.entries} | {e.starts_on: e for e in new}
        entries = tuple(merged[day] for day in sorted(merged))
        if known_until is None:
            implied = [
                HalfYear.of(e.starts_on).end if self.half_yearly else e.starts_on for e in new
            ]
            known_until = max([self.known_until, *implied])
        return RateTable(
            name=self.name,
            entries=entries,
            known_until=known_until,
            half_yearly=self.half_yearly,
            source=self.source,
            checked_on=self.checked_on,
        )

    # ----------------------------------------------------------------------------- look-ups

    @property
    def first_day(self) -> date:
        """The first day the table has a rate for."""
        return self.entries[0].starts_on

    @property
    def last_day(self) -> date:
        """The last day the table is known to be right for (`known_until`)."""
        return self.known_until

    def rate_on(self, day: date, *, warn_if_provisional: bool = True) -> RateEntry:
        """Return the entry in force on *day*.

        Args:
            day: the civil date.
            warn_if_provisional: emit `ProvisionalRateWarning` if the entry is provisional.

        Returns:
            The `RateEntry` in force on *day*.

        Raises:
            RateNotAvailableError: if *day* is before the first entry or after `last_day`;
                its ``half_year`` is *day*'s half-year.

        Examples:
            >>> from datetime import date
            >>> default_rates().legal_other.rate_on(date(2027, 1, 1))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            dunning.exceptions.RateNotAvailableError: no legal interest rate ... for 2027 H1; ...
        """
        if not self.first_day <= day <= self.known_until:
            raise self._not_available(day)
        entry = self.entries[bisect_right(self._starts, day) - 1]
        if entry.provisional and warn_if_provisional:
            label = _location_label(entry, half_yearly=self.half_yearly)
            msg = (
                f"{self.name} {entry.rate} % ({label}) is provisional: not confirmed by an "
                "official publication yet; pass your own rate to replace it"
            )
            warnings.warn(msg, ProvisionalRateWarning, stacklevel=2)
        return entry

    def _not_available(self, day: date) -> RateNotAvailableError:
        half = HalfYear.of(day)
        if self.half_yearly:
            if day < self.first_day:
                bound = f"the table starts with {HalfYear.of(self.first_day)}"
            else:
                bound = f"the table ends with {HalfYear.of(self.known_until)}"
            msg = (
                f"no {self.name} for {half}; {bound}; pass your own rate, e.g. "
                f"rates.with_legal_rate('{half}', private=Decimal(...), other=Decimal(...)) "
                "or table.with_overrides(...)"
            )
        else:
            msg = (
                f"no {self.name} known for {day} ({half}); the table covers {self.first_day} "
                f"to {self.known_until}; pass your own rate, e.g. "
                f"rates.with_ecb_rate(date({day.year}, {day.month}, {day.day}), Decimal(...)) "
                "or table.with_overrides(...)"
            )
        return RateNotAvailableError(msg, half_year=str(half))

    def __iter__(self) -> Iterator[RateEntry]:
        """Iterate over the entries in date order."""
        return iter(self.entries)

    def __len__(self) -> int:
        """Return the number of entries."""
        return len(self.entries)


@dataclass(frozen=True, slots=True)
class PenaltyRates:
    """The rate tables a penalty computation reads: ECB rate and both legal-rate columns.

    Attributes:
        ecb: ECB main refinancing operations rate, by effective date.
        legal_private: legal interest rate, column "particuliers", half-yearly.
        legal_other: legal interest rate, column "autres cas", half-yearly.

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> rates = default_rates().with_legal_rate("2027 H1", private=Decimal("6.50"),
        ...                                         other=Decimal("2.60"))
        >>> rates.legal(LegalRateColumn.OTHER).rate_on(date(2027, 2, 1)).rate
        Decimal('2.60')
    """

    ecb: RateTable
    legal_private: RateTable
    legal_other: RateTable

    def __post_init__(self) -> None:
        """Check that both legal-rate tables are half-yearly."""
        for label, table in (
            ("legal_private", self.legal_private),
            ("legal_other", self.legal_other),
        ):
            if not table.half_yearly:
                msg = "the legal interest rate is set per half-year: build it with half_yearly=True"
                raise RateTableError(msg, source=table.name, location=label)

    def legal(self, column: LegalRateColumn) -> RateTable:
        """Return the legal-rate table for *column*."""
        return self.legal_private if column is LegalRateColumn.PRIVATE else self.legal_other

    def with_legal_rate(
        self,
        half_year: str | HalfYear,
        *,
        private: Decimal,
        other: Decimal,
        provisional: bool = False,
    ) -> PenaltyRates:
        """Return a copy with both legal-rate columns set for *half_year* (e.g. ``"2027 H1"``).

        Raises:
            RateTableError: if a value is not a decimal percentage or *half_year* is malformed.
        """
        try:
            start = HalfYear.parse(half_year).start
        except ValueError as exc:
            raise RateTableError(
                str(exc), source="legal interest rate", location="half_year"
            ) from None
        return PenaltyRates(
            ecb=self.ecb,
            legal_private=self.legal_private.with_overrides([(start, private, provisional)]),
            legal_other=self.legal_other.with_overrides([(start, other, provisional)]),
        )

    def with_ecb_rate(
        self,
        effective_on: date,
        rate: Decimal,
        *,
        known_until: date | None = None,
        provisional: bool = False,
    ) -> PenaltyRates:
        """Return a copy with an ECB rate taking effect on *effective_on*.

        Args:
            effective_on: the day the new rate takes effect (not the announcement date).
            rate: the rate in percent.
            known_until: the last day the ECB series is now known for; by default the later
                of the current end and *effective_on*.
            provisional: flag the value as not confirmed.

        Raises:
            RateTableError: if *rate* is not a decimal percentage.

        Examples:
            >>> from datetime import date
            >>> from decimal import Decimal
            >>> r = default_rates().with_ecb_rate(date(2027, 1, 1), Decimal("2.40"))
            >>> r.ecb.rate_on(date(2027, 1, 1)).rate
            Decimal('2.40')
        """
        return PenaltyRates(
            ecb=self.ecb.with_overrides(
                [(effective_on, rate, provisional)], known_until=known_until
            ),
            legal_private=self.legal_private,
            legal_other=self.legal_other,
        )


@lru_cache(maxsize=1)
def default_rates() -> PenaltyRates:
    """Return the rate tables shipped with the package (read once, then cached).

    Returns:
        The ECB and legal-rate tables from ``dunning/core/penalties/data/``.

    Raises:
        RateTableError: if a packaged file is malformed (a packaging bug).

    Examples:
        >>> default_rates().ecb.checked_on
        datetime.date(2026, 11, 22)
    """
    data = resources.files("dunning.core.penalties") / "data"
    ecb_text = (data / ECB_FILE).read_text(encoding="utf-8")
    legal_text = (data / LEGAL_FILE).read_text(encoding="utf-8")
    return PenaltyRates(
        ecb=_parse_csv(
            ecb_text, name="ECB main refinancing rate", rate_column="rate", origin=ECB_FILE
        ),
        legal_private=_parse_csv(
            legal_text,
            name="legal interest rate (particuliers)",
            rate_column="particuliers",
            origin=LEGAL_FILE,
        ),
        legal_other=_parse_csv(
            legal_text,
            name="legal interest rate (autres cas)",
            rate_column="autres_cas",
            origin=LEGAL_FILE,
        ),
    )


# --------------------------------------------------------------------------------- parsing


def _check_entry(entry: object, *, source: str, location: str, half_yearly: bool) -> None:
    if not isinstance(entry, RateEntry):
        msg = f"expected a RateEntry, got {type(entry).__name__}"
        raise RateTableError(msg, source=source, location=location)
    if isinstance(entry.starts_on, datetime) or not isinstance(entry.starts_on, date):
        msg = f"starts_on must be a date, got {entry.starts_on!r}"
        raise RateTableError(msg, source=source, location=location)
    if isinstance(entry.rate, float):
        msg = f"rate {entry.rate!r} is a float; write Decimal('{entry.rate}') or '{entry.rate}'"
        raise RateTableError(msg, source=source, location=location)
    if not isinstance(entry.rate, Decimal) or not entry.rate.is_finite():
        msg = f"rate must be a finite Decimal, got {entry.rate!r}"
        raise RateTableError(msg, source=source, location=location)
    if not 0 <= entry.rate <= _MAX_RATE:
        msg = f"rate {entry.rate} is not a percentage between 0 and 100"
        raise RateTableError(msg, source=source, location=location)
    if half_yearly and entry.starts_on != HalfYear.of(entry.starts_on).start:
        msg = f"a half-yearly rate starts on 1 January or 1 July, not {entry.starts_on}"
        raise RateTableError(msg, source=source, location=location)


def _start_from(value: object, *, source: str, location: str) -> date:
    if isinstance(value, HalfYear):
        return value.start
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _HALF_YEAR.match(text):
            return HalfYear.parse(text).start
        if _ISO_DATE.match(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
    msg = f"{value!r} is neither a date (YYYY-MM-DD) nor a half-year (2027 H1)"
    raise RateTableError(msg, source=source, location=location)


def _rate_from(value: object, *, source: str, location: str) -> Decimal:
    if isinstance(value, float):
        msg = f"rate {value!r} is a float; write Decimal('{value}') or '{value}'"
        raise RateTableError(msg, source=source, location=location)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _PLAIN_DECIMAL.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern only lets decimals through
            pass
    msg = f"rate {value!r} is not a plain decimal number such as 4.25"
    raise RateTableError(msg, source=source, location=location)


def _entry_from_row(
    row: RateEntry | tuple[object, ...], *, source: str, location: str
) -> RateEntry:
    if isinstance(row, RateEntry):
        return row
    if not isinstance(row, tuple) or len(row) not in {2, 3}:
        msg = f"a row is (start, rate) or (start, rate, provisional), got {row!r}"
        raise RateTableError(msg, source=source, location=location)
    provisional = row[2] if len(row) == 3 else False  # noqa: PLR2004
    if not isinstance(provisional, bool):
        msg = f"provisional must be True or False, got {provisional!r}"
        raise RateTableError(msg, source=source, location=location)
    return RateEntry(
        starts_on=_start_from(row[0], source=source, location=location),
        rate=_rate_from(row[1], source=source, location=location),
        provisional=provisional,
    )


def _read_header(lines: list[str], origin: str) -> tuple[dict[str, str], int]:
    """Read the ``# Key: value`` comments before the header row; return them and its index."""
    meta: dict[str, str] = {}
    first = 0
    while first < len(lines) and (not lines[first].strip() or lines[first].startswith("#")):
        key, sep, value = lines[first].lstrip("#").partition(":")
        if sep:
            meta.setdefault(key.strip().lower(), value.strip())
        first += 1
    if first == len(lines):
        msg = "no header row"
        raise RateTableError(msg, source=origin, location=f"line {first}")
    return meta, first


def _checked_rows(
    rows: Iterable[RateEntry | tuple[object, ...]],
    *,
    source: str,
    half_yearly: bool,
    ordered: bool = True,
) -> tuple[RateEntry, ...]:
    """Convert and check *rows*, naming the bad one as ``rows[n]``."""
    entries: list[RateEntry] = []
    for n, row in enumerate(rows):
        where = f"rows[{n}]"
        entry = _entry_from_row(row, source=source, location=where)
        _check_entry(entry, source=source, location=where, half_yearly=half_yearly)
        if ordered and entries and entry.starts_on <= entries[-1].starts_on:
            previous = entries[-1].starts_on
            problem = "duplicate date" if entry.starts_on == previous else "dates not in order"
            msg = f"{problem}: {entry.starts_on} comes after {previous}"
            raise RateTableError(msg, source=source, location=where)
        entries.append(entry)
    return tuple(entries)


def _parse_csv(text: str, *, name: str, rate_column: str, origin: str) -> RateTable:
    lines = text.splitlines()
    meta, first = _read_header(lines, origin)
    reader = csv.reader(lines[first:])
    header = [h.strip() for h in next(reader)]
    where = f"line {first + 1}"
    if header[0] not in {"effective_on", "half_year"}:
        msg = f"the first column must be effective_on or half_year, not {header[0]!r}"
        raise RateTableError(msg, source=origin, location=where)
    if rate_column not in header:
        msg = f"no column {rate_column!r} in {header}"
        raise RateTableError(msg, source=origin, location=where)
    half_yearly = header[0] == "half_year"
    rate_at = header.index(rate_column)
    status_at = header.index("status") if "status" in header else None
    entries: list[RateEntry] = []
    for cells in reader:
        where = f"line {first + reader.line_num}"
        if not cells or cells[0].startswith("#"):
            continue
        if len(cells) != len(header):
            msg = f"{len(cells)} cells for {len(header)} columns"
            raise RateTableError(msg, source=origin, location=where)
        status = cells[status_at].strip().lower() if status_at is not None else ""
        if status not in {"", _PROVISIONAL}:
            msg = f"status must be empty or {_PROVISIONAL!r}, got {status!r}"
            raise RateTableError(msg, source=origin, location=where)
        entry = RateEntry(
            starts_on=_start_from(cells[0], source=origin, location=where),
            rate=_rate_from(cells[rate_at], source=origin, location=where),
            provisional=status == _PROVISIONAL,
        )
        _check_entry(entry, source=origin, location=where, half_yearly=half_yearly)
        if entries and entry.starts_on <= entries[-1].starts_on:
            same = entry.starts_on == entries[-1].starts_on
            problem = f"duplicate row for {cells[0].strip()}" if same else "rows not in date order"
            raise RateTableError(problem, source=origin, location=where)
        entries.append(entry)
    if not entries:
        msg = "the table has no rows"
        raise RateTableError(msg, source=origin, location=where)
    return RateTable._build(  # noqa: SLF001 - same module
        name,
        tuple(entries),
        half_yearly=half_yearly,
        known_until=_meta_date(meta, "known until", origin),
        source=meta.get("source", ""),
        checked_on=_meta_date(meta, "checked", origin),
    )


def _meta_date(meta: dict[str, str], key: str, origin: str) -> date | None:
    if key not in meta:
        return None
    try:
        return date.fromisoformat(meta[key])
    except ValueError:
        msg = f"'# {key.capitalize()}:' must be a date YYYY-MM-DD, got {meta[key]!r}"
        raise RateTableError(msg, source=origin, location="header") from None
