"""Validated building blocks shared by the models: money, instants, codes.

Money is `Decimal`. A float is rejected rather than converted: ``0.1 + 0.2`` is not an amount
anyone wants on a formal notice. Instants must carry a time zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

MODEL_CONFIG = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
"""Every model is immutable and rejects unknown fields (a typo fails loudly)."""

_CURRENCIES = frozenset(list_currencies())

_M = TypeVar("_M", bound=BaseModel)
new_object = object.__new__
set_dict = object.__setattr__
# The slots every pydantic model has, set through their descriptors (as `model_construct` does).
set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def trusted(cls: type[_M], values: dict[str, Any]) -> _M:
    """An instance of *cls* holding *values* (every field, in order), without validation.

    What `BaseModel.model_construct` does, in four assignments: for results the core builds
    from values that are already valid (fields of validated models, sums of them), whose
    validation would cost more than the work (a penalty line per half-year, an invoice line
    per invoice of a book). Never for values from outside the core.
    """
    instance = new_object(cls)
    set_dict(instance, "__dict__", values)
    set_fields_set(instance, set(values))
    set_extra(instance, None)
    set_private(instance, None)
    return instance


def _to_decimal(value: Any) -> Any:
    """Accept Decimal, int or a numeric string; reject floats, booleans and non-finite values."""
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
        return Decimal(value)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise PydanticCustomError(
                "invalid_amount", "'{value}' is not a decimal number", {"value": value}
            ) from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise PydanticCustomError(
            "invalid_amount", "an amount must be finite, got {value}", {"value": str(value)}
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


def _check_locale(value: str) -> str:
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

Instant = Annotated[datetime, BeforeValidator(_reject_naive), AfterValidator(_reject_naive)]
"""A timezone-aware datetime; naive datetimes are rejected, whether given as objects or as ISO text
without an offset (the check runs again once the text is parsed)."""

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
