"""Babel filters (``money``, ``date_long``...) and the check of what a template prints."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from functools import lru_cache

import jinja2
import jinja2.exceptions
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import pass_context
from jinja2.runtime import Context

from dunning.core.render.typography import french_minus


def _locale_of(ctx: Context) -> str:
    return str(ctx.resolve_or_missing("locale"))


# Babel parses the locale and the pattern again at every call; a letter formats a dozen values
# that repeat from one letter to the next (dates of the day, indemnity, rates). Results are
# cached by the value's exact text (Decimal('1.50') and Decimal('1.5') print differently),
# the currency and the locale; the caches are bounded, so memory stays flat on any run.
_CACHE_SIZE = 4096


@lru_cache(maxsize=64)
def _babel_locale(name: str) -> Locale:
    return Locale.parse(name)


def _signed(formatted: str, locale: str) -> str:
    # Babel writes a hyphen-minus for fr_FR; French typography wants the minus sign (U+2212).
    return french_minus(formatted) if locale.split("_", 1)[0] == "fr" else formatted


@lru_cache(maxsize=_CACHE_SIZE)
def _format_money(text: str, code: str, locale: str) -> str:
    return _signed(str(format_currency(Decimal(text), code, locale=_babel_locale(locale))), locale)


@lru_cache(maxsize=_CACHE_SIZE)
def _format_date(day: date, pattern: str, locale: str) -> str:
    return str(format_date(day, format=pattern, locale=_babel_locale(locale)))


@lru_cache(maxsize=_CACHE_SIZE)
def _format_percent(text: str, locale: str) -> str:
    ratio = Decimal(text) / 100
    formatted = format_percent(ratio, locale=_babel_locale(locale), decimal_quantization=False)
    return _signed(str(formatted), locale)


@lru_cache(maxsize=_CACHE_SIZE)
def _format_number(text: str, locale: str) -> str:
    return _signed(str(format_decimal(Decimal(text), locale=_babel_locale(locale))), locale)


def _reject_undefined(value: object) -> None:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError, naming what is missing


def _as_number(value: object, filter_name: str) -> Decimal:
    _reject_undefined(value)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        msg = f"|{filter_name} cannot format {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return Decimal(value)


def _as_date(value: object, filter_name: str) -> date:
    _reject_undefined(value)
    if not isinstance(value, date):
        msg = f"|{filter_name} cannot format {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return value


@pass_context
def _money(ctx: Context, value: object, currency: str | None = None) -> str:
    code = currency or str(ctx.resolve_or_missing("currency"))
    return _format_money(str(_as_number(value, "money")), code, _locale_of(ctx))


@pass_context
def _date_long(ctx: Context, value: object) -> str:
    day = _as_date(value, "date_long")
    locale = _locale_of(ctx)
    if day.day == 1 and locale.split("_", 1)[0] == "fr":
        # French writes the first of the month as an ordinal, "1er avril 2026", and the other
        # days as cardinals (J. Hanse; Lexique des règles typographiques en usage à
        # l'Imprimerie nationale, "Dates"). Babel has no such pattern: the month stays Babel's.
        return _format_date(day, "d'er' MMMM y", locale)
    return _format_date(day, "long", locale)


_AND = {"fr": " et ", "en": " and "}


def date_list(days: object, locale: str) -> str:
    """Dates written as a person would list them: "3 et 10 avril 2026", "3 and 10 April 2026".

    A month (and a year) is written once for the days that share it: "28 mars et 3 avril
    2026", "30 décembre 2025 et 5 janvier 2026"; the first of the month is "1er" in French.

    Raises:
        TypeError: if *days* is not a sequence of dates.

    Examples:
        >>> from datetime import date
        >>> date_list([date(2026, 4, 3), date(2026, 4, 10)], "fr_FR")
        '3 et 10 avril 2026'
        >>> date_list([date(2026, 3, 28), date(2026, 4, 1), date(2026, 4, 10)], "fr_FR")
        '28 mars, 1er et 10 avril 2026'
        >>> date_list([date(2025, 12, 30), date(2026, 1, 5)], "en_GB")
        '30 December 2025 and 5 January 2026'
    """
    _reject_undefined(days)
    if isinstance(days, str) or not isinstance(days, list | tuple):
        msg = f"|date_list cannot format {type(days).__name__} {days!r}"
        raise TypeError(msg)
    dates = [_as_date(day, "date_list") for day in days]
    language = locale.split("_", 1)[0]
    words = []
    for i, day in enumerate(dates):
        following = dates[i + 1] if i + 1 < len(dates) else None
        first = "d'er'" if day.day == 1 and language == "fr" else "d"
        if following is None or following.year != day.year:
            pattern = f"{first} MMMM y"
        elif following.month != day.month:
            pattern = f"{first} MMMM"
        else:
            pattern = first
        words.append(_format_date(day, pattern, locale))
    if len(words) < 2:  # noqa: PLR2004
        return "".join(words)
    return ", ".join(words[:-1]) + _AND.get(language, ", ") + words[-1]


@pass_context
def _date_list(ctx: Context, value: object) -> str:
    return date_list(value, _locale_of(ctx))


@pass_context
def _date_short(ctx: Context, value: object) -> str:
    return _format_date(_as_date(value, "date_short"), "short", _locale_of(ctx))


@pass_context
def _percent(ctx: Context, value: object) -> str:
    # The value is in percent (12.15 means 12.15 %), as rates are quoted in French law.
    return _format_percent(str(_as_number(value, "percent")), _locale_of(ctx))


@pass_context
def _number(ctx: Context, value: object) -> str:
    return _format_number(str(_as_number(value, "number")), _locale_of(ctx))


def _iban(value: object) -> str:
    # Printed in groups of four, the way banks print it (ISO 13616 paper format).
    if not isinstance(value, str):
        msg = f"|iban cannot format {type(value).__name__} {value!r}"
        raise TypeError(msg)
    text = value
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _finalize(value: object) -> object:
    # What a template prints must be text: a None would be a blank in a letter, and a raw
    # Decimal or date would be formatted by hand instead of by Babel.
    if type(value) is str:  # what nearly every expression prints: no further test
        return value
    if value is None:
        msg = "printing None: guard optional values with {% if ... %}"
        raise TypeError(msg)
    if isinstance(value, bool | float | Decimal | date):
        msg = (
            f"printing a raw {type(value).__name__} ({value!r}): format it with "
            "|money, |number, |percent, |date_long or |date_short"
        )
        raise TypeError(msg)
    return value


def _fr_de(value: object) -> str:
    """French "de" before a name, elided before a vowel: "d'Anne Martin", "de Jeanne Martin".

    An initial "h" is left alone (aspirated or not depends on the word: no rule to apply).
    """
    if not isinstance(value, str):
        msg = f"|fr_de cannot format {type(value).__name__} {value!r}"
        raise TypeError(msg)
    first = unicodedata.normalize("NFKD", value[:1])[:1].lower()
    return f"d'{value}" if first and first in "aeiouy" else f"de {value}"
