"""Plain HTML tables for notebooks (``_repr_html_``), built with `html.escape` only.

Nothing here imports pandas: a notebook shows the core's results without the extra installed.
Numbers are written the way a reader of the locale expects them (Babel, ``fr_FR`` unless a
table says otherwise): a `Money` cell as ``12 345,60 €``, a bare `Decimal` or integer with
its thousands separator and its own number of decimals (``56,8``). Babel is imported when a
table is drawn, not when this module is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from html import escape

__all__ = [
    "DEFAULT_LOCALE",
    "Money",
    "format_amount",
    "format_money",
    "html_table",
]

DEFAULT_LOCALE = "fr_FR"
"""The locale of displays and plots that are given none (the library's first users are French)."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency: a table cell shown with its currency symbol.

    Attributes:
        amount: the amount (exact).
        currency: its ISO 4217 code.
    """

    amount: Decimal
    currency: str


def format_money(
    amount: Decimal | int,
    currency: str,
    *,
    locale: str = DEFAULT_LOCALE,
    cents: bool = True,
) -> str:
    r"""*amount* in *currency* as the locale writes it, with Babel.

    Args:
        amount: the amount.
        currency: its ISO 4217 code (an unknown code is written as is).
        locale: a Babel locale (``fr_FR``, ``en_GB``...).
        cents: keep the currency's decimals (default), or round to whole units (axis ticks).

    Returns:
        The text, with the locale's non-breaking spaces.

    Examples:
        >>> format_money(Decimal("12345.6"), "EUR").replace("\u202f", " ").replace("\xa0", " ")
        '12 345,60 €'
        >>> format_money(Decimal("1234567.89"), "EUR", locale="en_GB", cents=False)
        '€1,234,568'
    """
    from babel import Locale  # noqa: PLC0415  (Babel is loaded when a table is drawn)
    from babel.numbers import format_currency  # noqa: PLC0415

    if cents:
        return str(format_currency(amount, currency, locale=locale))
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    whole = re.sub(r"\.[0#]+", "", pattern)
    return str(
        format_currency(amount, currency, format=whole, locale=locale, currency_digits=False)
    )


def format_amount(value: Decimal | int, *, locale: str = DEFAULT_LOCALE) -> str:
    r"""A number as the locale writes it, with its thousands separator and its own decimals.

    Examples:
        >>> format_amount(Decimal("12345.60")).replace("\u202f", " ")
        '12 345,60'
        >>> format_amount(Decimal("56.8"), locale="en_GB"), format_amount(1500, locale="en_GB")
        ('56.8', '1,500')
    """
    from babel.numbers import format_decimal  # noqa: PLC0415  (loaded when a table is drawn)

    exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern, locale=locale))


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    caption: str = "",
    locale: str = DEFAULT_LOCALE,
) -> str:
    """An HTML ``<table>`` with a caption, one header row and escaped cells.

    Cells are written as text, then escaped: `Money` with its currency, numbers with the
    locale's separators, dates in ISO 8601, enum members by their value, None as nothing.

    Args:
        headers: the column names.
        rows: the cells, one sequence per row.
        caption: the table's caption.
        locale: how numbers and money are written.

    Returns:
        The HTML, on one line.

    Examples:
        >>> print(html_table(["a", "b"], [[1, "<x>"]], caption="t & u"))
        <table><caption>t &amp; u</caption><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>&lt;x&gt;</td></tr></tbody></table>
        >>> html_table(["due"], [[Money(Decimal("1500"), "EUR")]], locale="en_GB")[-39:]
        '<td>€1,500.00</td></tr></tbody></table>'
    """  # noqa: E501  (one line of HTML, as it is produced)
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(c, locale))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object, locale: str) -> str:  # noqa: PLR0911  (one return per kind)
    if value is None:
        return ""
    if isinstance(value, Money):
        return format_money(value.amount, value.currency, locale=locale)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal | int):
        return format_amount(value, locale=locale)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(getattr(value, "value", value))
