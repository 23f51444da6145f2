"""Validated building blocks shared by the models: money, instants, codes.

Money is `Decimal`. A float is rejected rather than converted: ``0.1 + 0.2`` is not an amount
anyone wants on a formal notice. Instants must carry a time zone.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from pydantic import AfterValidator, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

MODEL_CONFIG = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
"""Every model is immutable and rejects unknown fields (a typo fails loudly)."""

_CURRENCIES = frozenset(list_currencies())

_T = TypeVar("_T")


_OBJECT_SETATTR: Any = object.__setattr__


def frozen_setter(instance: object) -> Callable[[str, object], None]:
    """``object.__setattr__`` bound to *instance*: how a frozen dataclass sets its fields.

    A frozen dataclass refuses ``self.x = ...``, so its generated ``__init__`` calls
    ``object.__setattr__(self, "x", x)`` per field (the dataclasses documentation says so);
    binding it once per instance, as attrs does for its frozen classes, saves the look-up of
    each call. For the hand-written ``__init__`` of the engine's wide result records, which
    `check_keyword_init` checks at import.

    Examples:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True, slots=True)
        ... class Point:
        ...     x: int
        >>> p = Point(1)
        >>> frozen_setter(p)("x", 2)
        >>> p
        Point(x=2)
    """
    setter: Callable[[str, object], None] = _OBJECT_SETATTR.__get__(instance)
    return setter


def check_keyword_init(cls: type[_T]) -> type[_T]:
    """Return *cls*, a frozen record with a hand-written constructor, once that is checked.

    *cls* is a frozen dataclass with a hand-written ``__init__``, or a `typing.NamedTuple`
    subclass with a hand-written ``__new__``. Checked where the class is defined (at import):
    the constructor takes exactly the fields, in order, each keyword-only with the field's
    default, and sets each field from its own keyword (an instance is built from a distinct
    marker per field and read back). A field added, renamed, reordered or forgotten fails at
    import, naming it.

    Raises:
        TypeError: if *cls* is neither, or if its constructor does not match.

    Examples:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True, init=False)
        ... class Point:
        ...     x: int
        ...     y: int = 0
        ...     def __init__(self, *, x: int, y: int = 0) -> None:
        ...         frozen_setter(self)("x", x)
        ...         frozen_setter(self)("y", x)  # the wrong keyword
        >>> check_keyword_init(Point)
        Traceback (most recent call last):
        ...
        TypeError: Point.__init__ does not set y from its keyword
    """
    expected: list[tuple[str, object, object]]
    constructor: Callable[..., object]
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):  # a named tuple's subclass
        where, constructor = f"{cls.__name__}.__new__", cls.__new__
        defaults: dict[str, object] = cls._field_defaults  # type: ignore[attr-defined]
        expected = [
            (name, inspect.Parameter.KEYWORD_ONLY, defaults.get(name, dataclasses.MISSING))
            for name in cls._fields  # type: ignore[attr-defined]
        ]
    elif dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        where, constructor = f"{cls.__name__}.__init__", cls.__init__
        expected = [
            (f.name, inspect.Parameter.KEYWORD_ONLY, f.default) for f in dataclasses.fields(cls)
        ]
    else:
        msg = f"{cls.__name__}: expected a frozen dataclass or a named tuple's subclass"
        raise TypeError(msg)
    params = list(inspect.signature(constructor).parameters.values())[1:]
    given: list[tuple[str, object, object]] = [
        (
            p.name,
            p.kind,
            dataclasses.MISSING if p.default is inspect.Parameter.empty else p.default,
        )
        for p in params
    ]
    if given != expected:
        msg = (
            f"{where}({_signature(given)}) does not match the fields "
            f"({_signature(expected)}): every field by keyword only, with its default"
        )
        raise TypeError(msg)
    markers = {name: object() for name, _, _ in expected}
    instance = cls(**markers)
    for name, marker in markers.items():
        if getattr(instance, name, None) is not marker:
            msg = f"{where} does not set {name} from its keyword"
            raise TypeError(msg)
    return cls


def _signature(params: list[tuple[str, object, object]]) -> str:
    shown = []
    for name, kind, default in params:
        text = name if default is dataclasses.MISSING else f"{name}={default!r}"
        shown.append(text if kind is inspect.Parameter.KEYWORD_ONLY else f"{text} (positional)")
    return ", ".join(shown)


def _same_names(where: str, what: str, given: set[str], actual: set[str]) -> None:
    if given == actual:
        return
    missing, unknown = sorted(actual - given), sorted(given - actual)
    problems = [f"missing {', '.join(missing)}"] * bool(missing)
    problems += [f"unknown {', '.join(unknown)}"] * bool(unknown)
    msg = f"{where}: {what} differ from the model's: {', '.join(problems)}"
    raise TypeError(msg)


AMOUNT_BOUND = Decimal(10) ** 15
"""Amounts are under 10^15 (at most 15 digits before the decimal point).

A sane bound, not a legal one. It is above any real invoice in any currency, also in those
with the smallest units (10^15 Vietnamese dong or Iranian rials is still tens of millions of
euros or more), and it keeps every computation of the library in range: Decimal's default
context carries 28 significant digits and an exponent up to 999,999, so "1e999999999" is a
finite Decimal that overflows at the first subtraction, while 15 integer digits plus up to
4 decimal places (the most minor-unit digits of an ISO 4217 currency) leave 9 digits to
add up a book of a billion such amounts exactly; the penalties work at 60 digits.
"""


def _to_decimal(value: Any) -> Any:
    """Accept Decimal, int or a numeric string; refuse floats, booleans, non-finite, huge values."""
    if isinstance(value, bool):
        raise PydanticCustomError("invalid_amount", "an amount must be a number, not a boolean")
    if isinstance(value, float):
        raise PydanticCustomError(
            "float_amount",
            "amounts must be Decimal, int or str, not float ('{value}'): "
            'a float cannot hold cents exactly; write "{value}" (quoted, in a file) or '
            "Decimal('{value}') (in Python)",
            {"value": value},
        )
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise PydanticCustomError(
                "invalid_amount", "'{value}' is not a decimal number", {"value": value}
            ) from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PydanticCustomError(
                "invalid_amount", "an amount must be finite, got {value}", {"value": str(value)}
            )
        if value.copy_abs() >= AMOUNT_BOUND:  # copy_abs: abs() rounds, and overflows
            raise PydanticCustomError(
                "amount_too_large",
                "an amount must be under {bound} (at most 15 digits before the decimal point), "
                "got {value}",
                {"bound": "10^15", "value": str(value)},
            )
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError(
            "negative_amount", "an amount cannot be negative, got {value}", {"value": str(value)}
        )
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError(
            "non_positive_amount",
            "an amount must be greater than zero, got {value}",
            {"value": str(value)},
        )
    return value


def _reject_naive(value: Any) -> Any:
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise PydanticCustomError(
            "naive_datetime",
            "an instant must be timezone-aware, got {value} with no time zone",
            {"value": value.isoformat()},
        )
    return value


def _check_currency(value: str) -> str:
    if value not in _CURRENCIES:
        raise PydanticCustomError(
            "unknown_currency", "'{value}' is not an ISO 4217 currency code", {"value": value}
        )
    return value


@lru_cache(maxsize=256)
def _check_locale(value: str) -> str:
    """*value* if Babel knows the locale, each name parsed once.

    A book's customers share a few locales, and parsing one takes Babel several microseconds.
    """
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError):
        raise PydanticCustomError(
            "unknown_locale", "'{value}' is not a known locale (e.g. 'fr_FR')", {"value": value}
        ) from None
    return value


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "unknown_time_zone",
            "'{value}' is not an IANA time zone (e.g. 'Europe/Paris')",
            {"value": value},
        ) from None
    return value


Amount = Annotated[Decimal, BeforeValidator(_to_decimal), AfterValidator(_non_negative)]
"""A non-negative Decimal amount; floats are rejected."""

PositiveAmount = Annotated[Decimal, BeforeValidator(_to_decimal), AfterValidator(_positive)]
"""A strictly positive Decimal amount; floats are rejected."""

Instant = Annotated[datetime, AfterValidator(_reject_naive)]
"""A timezone-aware datetime; naive datetimes are rejected, whether given as objects or as ISO text
without an offset (the check runs on the parsed value, which covers both)."""

Currency = Annotated[str, AfterValidator(_check_currency)]
"""An ISO 4217 currency code such as ``EUR``."""

LocaleName = Annotated[str, AfterValidator(_check_locale)]
"""A locale Babel knows, such as ``fr_FR``."""

TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]
"""An IANA time zone name such as ``Europe/Paris``."""


def check_aware(at: datetime, name: str = "at") -> None:
    """Check that *at* is a timezone-aware datetime: the instants the library is given.

    Public as `dunning.core.model.check_aware` (the shell checks the instants it is handed).

    Args:
        at: the value to check.
        name: the argument's name, for the message.

    Raises:
        TypeError: if *at* is not a datetime.
        ValueError: if *at* has no time zone (naming *name*).

    Examples:
        >>> from datetime import UTC
        >>> check_aware(datetime(2026, 3, 2, 9, tzinfo=UTC))
        >>> check_aware(datetime(2026, 3, 2, 9), "run_at")
        Traceback (most recent call last):
        ...
        ValueError: run_at: an instant must be timezone-aware, got 2026-03-02T09:00:00 with no time zone
    """  # noqa: E501  (the error message, as it is raised)
    if not isinstance(at, datetime):
        msg = f"{name}: expected a timezone-aware datetime, got {type(at).__name__}"
        raise TypeError(msg)
    if at.utcoffset() is None:
        msg = f"{name}: an instant must be timezone-aware, got {at.isoformat()} with no time zone"
        raise ValueError(msg)
