"""What a penalty computation gives back: the itemised lines and the breakdown, and its conventions.

`PenaltyLine` and `PenaltyBreakdown` are immutable records on named tuples, built by
`dunning.core.penalties.compute` from values it checked; `DayCount` and `Rounding` name the
conventions a computation used. Kept apart from the computation so that the code that only
reads a breakdown (rendering, the notebook, the simulation) reads this small module.

Examples:
    >>> from datetime import date
    >>> from dunning.core.penalties.compute import penalties_for_amount
    >>> b = penalties_for_amount("5000", date(2025, 1, 10), date(2025, 2, 9), rate="10")
    >>> [line.days for line in b.lines], b.conventions.startswith("simple interest, 365")
    ([30], True)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple, Self

from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from dunning.core.penalties.regimes import PenaltyFinding, PenaltyRegime

__all__ = ["DayCount", "PenaltyBreakdown", "PenaltyLine", "Rounding"]

_ZERO = Decimal("0.00")


class DayCount(StrEnum):
    """How many days a year has in the interest formula."""

    ACTUAL_365 = "actual/365"
    """Always 365, even in leap years (service-public F783): the default."""
    ACTUAL_366_IN_LEAP_YEARS = "actual/366 in leap years"
    """366 for the days of a leap year, 365 otherwise."""


class Rounding(StrEnum):
    """Where interest is rounded half-up to the cent."""

    PER_LINE = "per_line"
    """Each line is rounded; the total is the sum of the rounded lines (the default)."""
    ON_TOTAL = "on_total"
    """The exact total is rounded once (as in published examples); lines share its cents."""


class PenaltyLine(NamedTuple):
    """One period of constant principal and rate: a row of the breakdown's table.

    A `typing.NamedTuple`, not a pydantic model: the library builds every line from values it
    computed and checked (a line per half-year over a long delay), so there is nothing to
    validate, and a named tuple is the cheapest immutable record Python builds (one
    ``tuple`` in C, by keyword). Read it by attribute; ``line._asdict()`` gives a dict.

    Attributes:
        installment: number of the installment (1 for the first), None for a single due date.
        first_day: first day of interest in the period.
        last_day: last day of interest in the period (included).
        days: ``last_day - first_day + 1``.
        principal: amount outstanding that bears interest during the period.
        annual_rate: annual rate in percent.
        rate_source: where the rate comes from, e.g. ``ECB 4.25 % in force on 2024-07-01 + 10``.
        provisional: True if the rate uses a value not yet officially confirmed.
        interest: interest of the period, in cents (see `Rounding`).

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> line = PenaltyLine(installment=None, first_day=date(2025, 6, 16),
        ...                    last_day=date(2025, 6, 30), days=15, principal=Decimal("12000"),
        ...                    annual_rate=Decimal("13.15"), rate_source="ECB 3.15 % + 10",
        ...                    provisional=False, interest=Decimal("64.85"))
        >>> line.days, line.interest
        (15, Decimal('64.85'))
    """

    installment: int | None
    first_day: date
    last_day: date
    days: int
    principal: Decimal
    annual_rate: Decimal
    rate_source: str
    provisional: bool
    interest: Decimal


class _BreakdownFields(NamedTuple):
    """The fields of a `PenaltyBreakdown`, in order (built only through it, by keyword)."""

    invoice_id: str
    currency: str
    regime: PenaltyRegime
    until: date
    paid_on: date | None
    lines: tuple[PenaltyLine, ...]
    interest: Decimal
    recovery_indemnity: Decimal
    total: Decimal
    day_count: DayCount
    rounding: Rounding
    findings: tuple[PenaltyFinding, ...] = ()


class PenaltyBreakdown(_BreakdownFields):
    """What a late invoice owes on top of its principal, itemised.

    An immutable record on a named tuple, like its lines (`PenaltyLine`), built by keyword
    only by `compute_penalties` and `penalties_for_amount` from values they checked; its
    sums are checked when it is made (``_replace`` included). Read it by attribute;
    ``b._asdict()`` gives a dict. For JSON, ``pydantic_core.to_jsonable_python(b._asdict())``
    gives amounts as strings and dates in ISO format, each line as a list in field order
    (pair it with ``PenaltyLine._fields``, as ``dunning penalties --json`` does).

    Attributes:
        invoice_id: the invoice concerned.
        currency: currency of every amount.
        regime: the legal regime applied.
        until: last day of the computation (included).
        paid_on: the day the invoice was fully settled, if on or before `until`.
        lines: one per period, in order (by installment, then by date).
        interest: total interest: exactly the sum of the lines.
        recovery_indemnity: fixed indemnity (40 EUR, D441-5), 0 for consumers or if not late.
        total: interest + recovery indemnity.
        day_count: the day-count convention used.
        rounding: where rounding happened.
        findings: what the user should know (a contractual rate below the legal floor, a
            consumer without a formal notice, a provisional rate...).

    Raises:
        pydantic.ValidationError: ``lines_do_not_add_up`` if the lines do not add up to
            *interest*; ``total_does_not_add_up`` if *interest* + *recovery_indemnity* is not
            *total* (when made).

    Examples:
        >>> from datetime import date
        >>> from dunning.core.penalties.compute import penalties_for_amount
        >>> b = penalties_for_amount("5000", date(2025, 1, 10), date(2025, 2, 9), rate="10")
        >>> b.interest, b.total
        (Decimal('41.10'), Decimal('81.10'))
        >>> b._replace(total=Decimal("81.11"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for PenaltyBreakdown
        total
          interest + indemnity != total...
    """

    __slots__ = ()

    def __new__(
        cls,
        *,
        invoice_id: str,
        currency: str,
        regime: PenaltyRegime,
        until: date,
        paid_on: date | None,
        lines: tuple[PenaltyLine, ...],
        interest: Decimal,
        recovery_indemnity: Decimal,
        total: Decimal,
        day_count: DayCount,
        rounding: Rounding,
        findings: tuple[PenaltyFinding, ...] = (),
    ) -> Self:
        """Check the sums, then build the breakdown from one keyword per field.

        The lines add up to *interest*, and *interest* + *recovery_indemnity* to *total*.
        """
        if sum([line.interest for line in lines], _ZERO) != interest:
            error = PydanticCustomError(
                "lines_do_not_add_up", "the lines do not add up to interest"
            )
            raise _invalid("PenaltyBreakdown", "interest", error, interest)
        if interest + recovery_indemnity != total:
            error = PydanticCustomError("total_does_not_add_up", "interest + indemnity != total")
            raise _invalid("PenaltyBreakdown", "total", error, total)
        return tuple.__new__(
            cls,
            (
                invoice_id,
                currency,
                regime,
                until,
                paid_on,
                lines,
                interest,
                recovery_indemnity,
                total,
                day_count,
                rounding,
                findings,
            ),
        )

    def __getnewargs_ex__(self) -> tuple[tuple[()], dict[str, object]]:
        """Rebuild by keyword when unpickled (the constructor takes no positional argument)."""
        return (), self._asdict()

    def _replace(self, **changes: Any) -> Self:
        """A copy with *changes*, made (and checked) by keyword like any breakdown."""
        return type(self)(**{**self._asdict(), **changes})

    def _repr_html_(self) -> str:
        """The lines and totals as an HTML table, for notebooks."""
        # Imported here: a notebook nicety, kept out of the penalty module's dependencies.
        from dunning.core.display import Money, html_table  # noqa: PLC0415

        cur = self.currency
        rows: list[tuple[object, ...]] = [
            (x.first_day, x.last_day, x.days, Money(x.principal, cur), f"{x.annual_rate} %",
             x.rate_source, Money(x.interest, cur))
            for x in self.lines
        ]  # fmt: skip
        rows.append(("interest", "", "", "", "", "", Money(self.interest, cur)))
        rows.append(("recovery indemnity", "", "", "", "", "", Money(self.recovery_indemnity, cur)))
        rows.append(("total", "", "", "", "", "", Money(self.total, cur)))
        headers = ("from", "to", "days", "principal", "rate", "source", "interest")
        caption = f"Penalties on {self.invoice_id} to {self.until} ({self.regime.value})"
        return html_table(headers, rows, caption=caption)

    @property
    def conventions(self) -> str:
        """The day count and rounding used, in words (for a footer under the table)."""
        year = (
            "365 days a year, even in leap years"
            if self.day_count is DayCount.ACTUAL_365
            else ("366 days in leap years, 365 otherwise")
        )
        if self.rounding is Rounding.PER_LINE:
            where = "each line rounded half-up to the cent; the total is the sum of the lines"
        else:
            where = (
                "the exact total rounded half-up to the cent once; its cents shared among the "
                "lines by largest remainder"
            )
        return f"simple interest, {year}; {where}"


def _invalid(
    title: str, field: str | tuple[str | int, ...], error: PydanticCustomError, value: object
) -> ValidationError:
    loc = (field,) if isinstance(field, str) else field
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=error, loc=loc, input=value)]
    )
