"""Amounts and dates as people type and export them: one reading for every entry point.

The CSV importer (`dunning.importing`), the notebook boundary (`dunning.notebook`) and the
metrics' arguments all read values here, so they accept the same things:

- amounts: ``1103.82``, ``1103,82`` (decimal comma), ``1 103,82`` with spaces, no-break
  spaces (U+00A0) or narrow no-break spaces (U+202F, what French locales print) or
  apostrophes between thousands, and a lone ``-`` (how accounting formats show zero);
- days: ISO (``2025-12-30``) or French (``30/12/2025``, day first, as a French export writes it);
- dates and instants as objects: `date`, `datetime`, and anything with ``to_pydatetime()``
  (a pandas ``Timestamp``; pandas is never imported here).

The time-zone policy, the same everywhere: an aware `datetime` is an instant, and its day is its
own civil date; a naive `datetime` at midnight is a day (what a date column of a DataFrame
holds); a naive `datetime` with a time of day is refused, since nobody can tell which instant
it means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

__all__ = ["DateProblem", "When", "amount_text", "day_text", "read_day", "to_day", "to_moment"]

When = date | datetime | str
"""What a KPI takes for a day or an instant: a `date`, a `datetime` (a pandas ``Timestamp`` is
one), or ISO / ``dd/mm/yyyy`` text; see `to_day` and `to_moment`."""

_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_SEPARATORS = re.compile(r"[\s\u00a0\u202f']")
_DASHES = frozenset({"-", "\u2013", "\u2014"})


def amount_text(text: str) -> str:
    r"""Normalise an amount typed or exported as text into a decimal string.

    Thousands separators (spaces, no-break spaces, narrow no-break spaces, apostrophes) are
    removed; a decimal comma becomes a point when there is no point; a lone dash is zero.
    The result is not checked: ``Decimal`` (or the model) says whether it is a number.

    Args:
        text: the cell.

    Returns:
        The decimal string.

    Examples:
        >>> amount_text("1 103,82"), amount_text("1\u202f103,82"), amount_text(" -12.5 ")
        ('1103.82', '1103.82', '-12.5')
        >>> amount_text("-")
        '0'
    """
    value = _SEPARATORS.sub("", text)
    if value in _DASHES:
        return "0"
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    return value


def day_text(text: str) -> date | None:
    """Read a day written as ISO text (``2025-12-30``) or French text (``30/12/2025``).

    Args:
        text: the text (surrounding spaces are ignored).

    Returns:
        The date, or None if the text is neither form or not a real day (``31/02/2026``).

    Examples:
        >>> day_text("30/12/2025"), day_text("2025-12-30"), day_text("12/30/2025")
        (datetime.date(2025, 12, 30), datetime.date(2025, 12, 30), None)
    """
    text = text.strip()
    match = _FRENCH_DATE.match(text)
    try:
        if match is None:
            return date.fromisoformat(text)
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DateProblem:
    """Why a value is not a date: a stable code and a message.

    Attributes:
        code: ``missing_date``, ``date_with_time`` or ``invalid_date``.
        message: what is wrong, quoting the value.
    """

    code: str
    message: str


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT and pandas.NA are not equal to themselves  # noqa: PLR0124
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def _as_datetime(value: object) -> object:
    """A pandas Timestamp as a `datetime` (duck-typed: anything with ``to_pydatetime``)."""
    convert = getattr(value, "to_pydatetime", None)
    if convert is not None and type(value) not in {datetime, date}:
        return convert()  # a Timestamp is a datetime subclass: take the plain one
    return value


def _text_moment(text: str) -> date | datetime | None:
    day = day_text(text)
    if day is not None:
        return day
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _naive_day(value: datetime) -> date | DateProblem:
    if value.time() != time(0):
        return DateProblem(
            "date_with_time",
            f"{value.isoformat()} has a time of day but no time zone: "
            "give a date, or an aware instant",
        )
    return value.date()


def read_day(value: object) -> date | datetime | DateProblem:
    """Read a value as a day or an instant, without raising: what `to_day` and `to_moment` share.

    Args:
        value: a `date`, a `datetime`, a pandas ``Timestamp``, or ISO / French text.

    Returns:
        A `date` (a day), an aware `datetime` (an instant), or the `DateProblem`.

    Examples:
        >>> read_day("30/12/2025"), read_day("2025-12-30T00:00")
        (datetime.date(2025, 12, 30), datetime.date(2025, 12, 30))
        >>> read_day("2025-12-30T09:30").code
        'date_with_time'
    """
    if _is_missing(value):
        return DateProblem("missing_date", "the date is missing")
    value = _as_datetime(value)
    if isinstance(value, str):
        found = _text_moment(value)
        if found is None:
            return DateProblem(
                "invalid_date",
                f"'{value}' is not a date: write 2025-12-30, 30/12/2025 or an ISO instant "
                "such as 2025-12-30T18:00+01:00",
            )
        value = found
    if isinstance(value, datetime):
        return value if value.utcoffset() is not None else _naive_day(value)
    if isinstance(value, date):
        return value
    return DateProblem(
        "invalid_date",
        f"expected a date (date, datetime, Timestamp or ISO text), got {type(value).__name__}",
    )


def _raise(problem: DateProblem, name: str) -> Any:
    msg = f"{name}: {problem.message}"
    if problem.code == "invalid_date" and problem.message.startswith("expected"):
        raise TypeError(msg)
    raise ValueError(msg)


def to_day(value: object, name: str) -> date:
    """A calendar day from a `date`, a `datetime`, a pandas ``Timestamp`` or text.

    An aware instant gives its own civil date; a naive one must be at midnight (see the
    module's policy); text is ISO or ``dd/mm/yyyy``.

    Args:
        value: the argument.
        name: its name, quoted in the error.

    Returns:
        The day.

    Raises:
        TypeError: for a value of another type.
        ValueError: for missing or unreadable text, or a naive time of day, naming *name*.

    Examples:
        >>> from datetime import timezone
        >>> to_day("31/03/2026", "end"), to_day(datetime(2026, 3, 31, 23, tzinfo=timezone.utc), "end")
        (datetime.date(2026, 3, 31), datetime.date(2026, 3, 31))
        >>> to_day("March", "start")
        Traceback (most recent call last):
        ...
        ValueError: start: 'March' is not a date: write 2025-12-30, 30/12/2025 or an ISO instant such as 2025-12-30T18:00+01:00
    """  # noqa: E501  (doctest lines)
    found = read_day(value)
    if isinstance(found, DateProblem):
        return _raise(found, name)  # type: ignore[no-any-return]
    return found.date() if isinstance(found, datetime) else found


def to_moment(value: object, name: str) -> date | datetime:
    """The moment a metric reads the book at: an aware instant, or a day.

    An aware `datetime` (or ``Timestamp``, or ISO text with an offset) stays an instant. A
    `date` or date text (ISO or ``dd/mm/yyyy``) is a day: the metrics read it as the end of
    that day in each customer's own time zone. A naive `datetime` is refused, even at
    midnight: an instant needs its time zone, and a day is better said as a `date`.

    Args:
        value: the argument.
        name: its name, quoted in the error.

    Returns:
        The aware `datetime` or the `date`.

    Raises:
        TypeError: for a value of another type.
        ValueError: for missing or unreadable text, or a naive time of day, naming *name*.

    Examples:
        >>> to_moment("2026-03-31T18:00+02:00", "at")
        datetime.datetime(2026, 3, 31, 18, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=7200)))
        >>> to_moment("31/03/2026", "at")
        datetime.date(2026, 3, 31)
    """  # noqa: E501  (doctest lines)
    plain = _as_datetime(value)
    if isinstance(plain, str) and day_text(plain) is None:
        plain = _text_moment(plain) or plain
    if isinstance(plain, datetime) and plain.utcoffset() is None:
        msg = (
            f"{name}: an instant must be timezone-aware, got {plain.isoformat()} with no time "
            "zone: give an aware instant, or a date for the end of that day"
        )
        raise ValueError(msg)
    found = read_day(plain)
    if isinstance(found, DateProblem):
        return _raise(found, name)  # type: ignore[no-any-return]
    return found
