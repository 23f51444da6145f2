"""The ``dunning penalties`` subcommand: late-payment penalties of one amount, itemised.

This is the shell: it parses the command line, calls the pure `penalties_for_amount`, and
prints. ``dunning.cli`` calls `register` to add the subcommand to its own parser.

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="dunning")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["penalties", "5000", "--due", "2025-01-10",
    ...                           "--until", "2025-02-09", "--rate", "10%"])
    >>> args.handler(args)  # doctest: +ELLIPSIS
    Late-payment penalties on 5000.00 EUR due 2025-01-10, until 2025-02-09 (b2b_contractual)
    ...
    total...81.10
    ...
    0
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from dunning._cli_types import day_arg
from dunning.core.penalties import (
    DayCount,
    PenaltyBreakdown,
    PenaltyLine,
    PenaltyRegime,
    Rounding,
    penalties_for_amount,
)
from dunning.exceptions import DunningError, ProvisionalRateWarning, RateNotAvailableError

if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["register"]

_PLAIN_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
# People write a multiple of the legal rate "3x" or with the multiplication sign.
_TIMES = "\N{MULTIPLICATION SIGN}"
_RATE = re.compile(rf"^(?P<value>\d+(\.\d+)?)\s*(?P<unit>%|x|X|{_TIMES})?$")
_CENT = Decimal("0.01")
_USAGE_ERROR = 2

# Which command-line option each argument of penalties_for_amount comes from, so an error
# names what the user typed.
_OPTION = {
    "amount": "AMOUNT",
    "due_on": "--due",
    "until": "--until",
    "payments": "--payment",
    "rate": "--rate",
    "legal_rate_multiple": "--rate",
    "formal_notice_on": "--notice",
    "regime": "--consumer/--public",
}


# The indemnity's legal basis depends on the regime: Code de commerce D441-5 between
# businesses, Code de la commande publique D2192-35 for public buyers, none for consumers.
_INDEMNITY_LABEL = {
    PenaltyRegime.B2B_DEFAULT: "recovery indemnity (D441-5)",
    PenaltyRegime.B2B_CONTRACTUAL: "recovery indemnity (D441-5)",
    PenaltyRegime.PUBLIC_BUYER: "recovery indemnity (D2192-35)",
    PenaltyRegime.CONSUMER: "recovery indemnity (none: consumer)",
}


def _amount(text: str) -> Decimal:
    value = text.strip().replace("_", "")
    if not _PLAIN_DECIMAL.match(value):
        msg = f"{text!r} is not an amount such as 12000 or 12000.50"
        raise argparse.ArgumentTypeError(msg)
    amount = Decimal(value)
    if amount <= 0:
        msg = f"{text!r}: the amount must be greater than zero"
        raise argparse.ArgumentTypeError(msg)
    return amount


def _payment(text: str) -> tuple[date, Decimal]:
    day, sep, amount = text.partition(":")
    if not sep:
        msg = f"{text!r} is not DATE:AMOUNT, e.g. 2025-07-01:5000"
        raise argparse.ArgumentTypeError(msg)
    return day_arg(day), _amount(amount)


def _rate(text: str) -> tuple[str, Decimal]:
    match = _RATE.match(text.strip())
    if match is None:
        msg = f"{text!r} is not a rate such as 12% or a multiple of the legal rate such as 3x"
        raise argparse.ArgumentTypeError(msg)
    kind = "multiple" if match["unit"] in {"x", "X", _TIMES} else "percent"
    return kind, Decimal(match["value"])


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``penalties`` subcommand to *subparsers*; its handler is ``args.handler``.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers()``.

    Examples:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="dunning")
        >>> register(parser.add_subparsers())
        >>> parser.parse_args(["penalties", "100", "--due", "2025-01-10",
        ...                    "--until", "2025-02-09"]).amount
        Decimal('100')
    """
    parser = subparsers.add_parser(
        "penalties",
        help="late-payment interest and recovery indemnity of an amount (French law)",
        description="Compute French late-payment penalties, itemised per period. "
        "Default: business debtor, ECB rate + 10 points per half-year (Code de commerce "
        "L441-10), 40 EUR indemnity (D441-5).",
    )
    parser.add_argument("amount", type=_amount, help="amount due incl. VAT, e.g. 12000.50")
    parser.add_argument("--due", type=day_arg, required=True, help="due date YYYY-MM-DD")
    parser.add_argument("--until", type=day_arg, required=True, help="last day counted YYYY-MM-DD")
    who = parser.add_mutually_exclusive_group()
    who.add_argument(
        "--consumer", action="store_true", help="consumer debtor: legal rate from --notice"
    )
    who.add_argument("--public", action="store_true", help="public buyer: ECB + 8 points, one rate")
    parser.add_argument(
        "--rate", type=_rate, help="contractual rate: 12%% per year, or 3x the legal rate"
    )
    parser.add_argument(
        "--payment",
        type=_payment,
        action="append",
        default=[],
        metavar="DATE:AMOUNT",
        help="a partial payment or credit note (repeat the option for several)",
    )
    parser.add_argument("--notice", type=day_arg, help="formal notice date (consumer regime)")
    parser.add_argument(
        "--leap-years", action="store_true", help="count 366 days in leap years (default 365)"
    )
    parser.add_argument(
        "--round-total",
        action="store_true",
        help="round once on the total, as published examples do (default: per line)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (amounts as strings)")
    parser.set_defaults(handler=run)


def _notice_mismatch(args: argparse.Namespace) -> str:
    """Why --notice is refused ("" when it is fine); --consumer alone owes nothing yet."""
    if args.notice is not None and not args.consumer:
        return "--notice applies to a consumer debtor only: add --consumer, or leave out --notice"
    return ""


# The public-buyer rate is set by law (ECB + 8 points, R2192-31): --rate is refused with
# --public, so no message may suggest it there.
_PUBLIC_RATE_HINT = (
    "--rate does not apply to a public buyer (ECB + 8 points, Code de la commande publique "
    "R2192-31)"
)


def _warn(caught: list[warnings.WarningMessage], err: TextIO, *, public: bool) -> None:
    hint = f"check it ({_PUBLIC_RATE_HINT})" if public else "check it, or give a rate with --rate"
    for warning in caught:
        text = str(warning.message).replace("pass your own rate to replace it", hint)
        print(f"dunning penalties: warning: {text}", file=err)


def run(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Compute and print the penalties described by *args*; return the exit code.

    Returns:
        0 on success, 2 on bad input (the message on stderr names the option).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    mismatch = _notice_mismatch(args)
    if mismatch:
        print(f"dunning penalties: error: {mismatch}", file=err)
        return _USAGE_ERROR
    regime: PenaltyRegime | None = None
    if args.consumer:
        regime = PenaltyRegime.CONSUMER
    elif args.public:
        regime = PenaltyRegime.PUBLIC_BUYER
    rate = multiple = None
    if args.rate is not None:
        kind, value = args.rate
        rate, multiple = (value, None) if kind == "percent" else (None, value)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ProvisionalRateWarning)
            breakdown = penalties_for_amount(
                args.amount,
                args.due,
                args.until,
                payments=args.payment,
                regime=regime,
                rate=rate,
                legal_rate_multiple=multiple,
                formal_notice_on=args.notice,
                day_count=DayCount.ACTUAL_366_IN_LEAP_YEARS
                if args.leap_years
                else DayCount.ACTUAL_365,
                rounding=Rounding.ON_TOTAL if args.round_total else Rounding.PER_LINE,
            )
    except ValidationError as exc:
        for error in exc.errors():
            option = _OPTION.get(str(error["loc"][0]), "--rate") if error["loc"] else "--rate"
            print(f"dunning penalties: error: {option}: {error['msg']}", file=err)
        return _USAGE_ERROR
    except RateNotAvailableError as exc:
        known = str(exc).split("; pass your own rate")[0]
        hint = (
            f"{_PUBLIC_RATE_HINT}: choose an --until the rate table covers"
            if args.public
            else "give the contractual rate with --rate (e.g. --rate 12%)"
        )
        print(f"dunning penalties: error: {known}; {hint}", file=err)
        return _USAGE_ERROR
    except DunningError as exc:
        print(f"dunning penalties: error: {exc}", file=err)
        return _USAGE_ERROR
    _warn(caught, err, public=bool(args.public))
    if args.json:
        payload = {"amount": str(args.amount), "due_on": args.due.isoformat()}
        payload |= to_jsonable_python(breakdown._asdict())
        # Each line as an object: a named tuple is written as a list, in field order.
        payload["lines"] = [
            dict(zip(PenaltyLine._fields, row, strict=True)) for row in payload["lines"]
        ]
        payload["conventions"] = breakdown.conventions
        print(json.dumps(payload, indent=2, ensure_ascii=False), file=out)
    else:
        print(_table(args.amount, args.due, breakdown), file=out)
    return 0


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT))


def _table(amount: Decimal, due: date, b: PenaltyBreakdown) -> str:
    head = (
        f"Late-payment penalties on {_money(amount)} {b.currency} due {due}, "
        f"until {b.until} ({b.regime.value})"
    )
    rows = [
        head,
        "",
        f"{'period':<24} {'days':>5} {'base':>12} {'rate':>9} {'interest':>10}  rate source",
    ]
    rows.extend(
        f"{f'{line.first_day} to {line.last_day}':<24} {line.days:>5} "
        f"{_money(line.principal):>12} {f'{line.annual_rate:.2f} %':>9} "
        f"{_money(line.interest):>10}  {line.rate_source}"
        for line in b.lines
    )
    width = 24 + 1 + 5 + 1 + 12 + 1 + 9 + 1 + 10
    rows.extend(
        [
            "-" * width,
            f"{'interest':<{width - 12}}{_money(b.interest):>12}",
            f"{_INDEMNITY_LABEL[b.regime]:<{width - 12}}{_money(b.recovery_indemnity):>12}",
            f"{'total':<{width - 12}}{_money(b.total):>12}",
            "",
            f"Conventions: {b.conventions}.",
        ]
    )
    if b.paid_on is not None:
        rows.append(f"Paid in full on {b.paid_on}: interest stops that day.")
    # The library's notes name its Python arguments; here the option is what to give.
    cli = ("pass formal_notice_on", "give it with --notice DATE")
    rows.extend(f"Note ({f.code}): {f.message.replace(*cli)}" for f in b.findings)
    return "\n".join(rows)
