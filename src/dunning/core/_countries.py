"""Which countries and subdivisions have a holiday calendar (from the `holidays` package).

Below both `dunning.core.model` (a `Customer` names its country) and `dunning.core.calendar`
(which builds the calendars), so neither imports the other to validate a country.
"""

from __future__ import annotations

from functools import cache

import holidays
from pydantic_core import PydanticCustomError

__all__ = ["check_country", "check_subdivision"]


@cache
def _holiday_class(country: str) -> type[holidays.HolidayBase]:
    try:
        return holidays.country_holidays(country).__class__
    except NotImplementedError:
        raise PydanticCustomError(
            "unknown_country", "no holiday calendar for country '{country}'", {"country": country}
        ) from None


@cache
def _subdivisions(country: str) -> frozenset[str]:
    """The codes and aliases of *country*'s subdivisions, built once per country.

    A book validates thousands of customers of a handful of countries.
    """
    cls = _holiday_class(country)
    return frozenset(cls.subdivisions) | frozenset(getattr(cls, "subdivisions_aliases", {}))


def check_country(country: str) -> None:
    """Raise a validation error unless ``holidays`` has a calendar for *country*.

    Examples:
        >>> check_country("FR")
        >>> check_country("ZZ")
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.PydanticCustomError: no holiday calendar for country 'ZZ'
    """
    _holiday_class(country)


def check_subdivision(country: str, subdivision: str) -> None:
    """Raise a validation error unless ``holidays`` knows *subdivision* of *country*.

    Both codes (``57``) and the package's aliases (``Moselle``) are accepted.
    """
    if subdivision not in _subdivisions(country):
        cls = _holiday_class(country)
        raise PydanticCustomError(
            "unknown_subdivision",
            "'{subdivision}' is not a subdivision of {country}; known: {known}",
            {
                "subdivision": subdivision,
                "country": country,
                "known": ", ".join(sorted(cls.subdivisions)),
            },
        )
