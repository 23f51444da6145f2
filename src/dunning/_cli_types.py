"""The command line's argument types for days and instants, bounded to years a book can hold.

A day or an instant outside 1970-2199 is refused by argparse with a message, never passed on:
near year 1 or 9999 the date arithmetic of a run overflows, and a mistaken far-future ``--at``
would be recorded as the latest run and refuse every later one.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dunning.core.shards import check_tenant
from dunning.exceptions import ConfigurationError

__all__ = ["EARLIEST", "LATEST", "day_arg", "instant_arg", "tenant_arg"]

EARLIEST = date(1970, 1, 1)
LATEST = date(2199, 12, 31)
_PARIS = ZoneInfo("Europe/Paris")


def _bounded(text: str, day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        msg = (
            f"{text!r} is outside the years {EARLIEST.year} to {LATEST.year} "
            "that dunning works with (check the year)"
        )
        raise argparse.ArgumentTypeError(msg)


def day_arg(text: str) -> date:
    """A day written YYYY-MM-DD, between `EARLIEST` and `LATEST`.

    Examples:
        >>> day_arg(" 2026-05-04 ")
        datetime.date(2026, 5, 4)
        >>> day_arg("9999-12-31")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: '9999-12-31' is outside the years 1970 to 2199 ...
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        msg = f"{text!r} is not a date YYYY-MM-DD"
        raise argparse.ArgumentTypeError(msg) from None
    _bounded(text, day)
    return day


def instant_arg(text: str) -> datetime:
    """``--at``: an ISO 8601 instant with its UTC offset (``2026-03-20T10:00+01:00``).

    A date alone, or a time without an offset, is refused with the instant to write: the
    given date and time (10:00 for a date alone) with Paris's offset on that day. The day must
    lie between `EARLIEST` and `LATEST`.

    Examples:
        >>> instant_arg("2026-03-20T10:00Z").isoformat()
        '2026-03-20T10:00:00+00:00'
        >>> instant_arg("0001-01-01T00:00+01:00")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: '0001-01-01T00:00+01:00' is outside the years 1970 to ...
    """
    value = text.strip()
    try:
        at = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        at = None
    if at is not None and at.tzinfo is not None and at.utcoffset() is not None:
        _bounded(text, at.date())
        return at
    local = at
    if local is None or len(value.rstrip("Z")) == len("2026-03-20"):  # a date alone
        try:
            local = datetime.combine(datetime.fromisoformat(value.rstrip("Z")).date(), time(10))
        except ValueError:
            msg = f"{text!r} is not an instant: write e.g. 2026-03-20T10:00+01:00"
            raise argparse.ArgumentTypeError(msg) from None
    _bounded(text, local.date())
    example = local.replace(tzinfo=_PARIS).isoformat(timespec="minutes")
    msg = f"{text!r} is not an instant with its UTC offset: write e.g. {example} (Paris time)"
    raise argparse.ArgumentTypeError(msg)


def tenant_arg(text: str) -> str:
    """``--tenant``: a plain tenant key (`dunning.core.shards.check_tenant`).

    Examples:
        >>> tenant_arg("acme")
        'acme'
        >>> tenant_arg("a b")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: 'a b' is not a tenant key ...
    """
    try:
        return check_tenant(text)
    except ConfigurationError as error:
        msg = str(error).removeprefix("tenant: ")
        raise argparse.ArgumentTypeError(msg) from None
