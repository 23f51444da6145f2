"""The ``dunning`` command.

Subcommands:

- ``dunning demo``: replay the built-in demo portfolio over 60 days and print the timeline.
- ``dunning lint FILE [--templates DIR] [--run-at HH:MM [--prepare-ahead]]``: load a
  scenario (``.toml`` / ``.json``), check that the template pack (built-in, or merged from
  DIR) has every template its steps need, that a daily run at HH:MM meets every send window,
  report errors and findings.
- ``dunning schema``: print the JSON Schema of a scenario.
- ``dunning penalties ...``: itemised French late-payment penalties (see ``--help``).
- ``dunning init DB``: create a SQLite database holding the demo portfolio.
- ``dunning run [--db DB] [--at INSTANT] [--dry-run] [--smtp HOST:PORT] [--prepare-ahead
  [HOURS]] [--deliver-due]``: send what is due (a nightly batch prepares windowed messages
  ahead; ``--deliver-due`` sends them inside their window).
- ``dunning approvals`` / ``approve KEY`` / ``reject KEY``: the messages awaiting a human.
- ``dunning history INVOICE``: an invoice's events and messages.
- ``dunning record KIND INVOICE ...``: record a payment, credit note, dispute, promise or hold.
- ``dunning import FILE.csv``: add or update customers and invoices from a CSV file.
- ``dunning serve [--port P]``: the web console on 127.0.0.1 (``dunning[web]``).

Every error is one line on stderr naming the problem and the fix, without a traceback.
Exit codes: 0 success; 1 an error (an invalid input file, a missing or unreadable database,
lint errors, a run with errors or uncertain messages: they need a human); 2 bad command-line
usage.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import warnings
from collections.abc import Sequence
from datetime import date, time
from pathlib import Path
from typing import NoReturn, cast

from dunning import __version__
from dunning._cli_book import register as register_book
from dunning._cli_penalties import register as register_penalties
from dunning._cli_serve import register as register_serve
from dunning._cli_shell import register as register_shell
from dunning.core.checks import lint
from dunning.core.render import builtin_pack
from dunning.core.scenario import scenario_json_schema
from dunning.exceptions import DunningError, ScenarioError, TemplateError
from dunning.loading import load_scenario
from dunning.templates_loading import load_template_pack

__all__ = ["main", "run"]


_USAGE = 2

# Findings that mean the scenario cannot run as written (the others are advice).
LINT_ERRORS = frozenset({"missing_template", "formal_notice_not_in_writing"})


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line naming the command and the fix."""

    def error(self, message: str) -> NoReturn:
        self.exit(_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days < 1:
        msg = f"{text!r} is not a number of days, at least 1"
        raise argparse.ArgumentTypeError(msg)
    return days


def _clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        msg = f"{text!r} is not a local time HH:MM"
        raise argparse.ArgumentTypeError(msg) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{text!r} is not a date YYYY-MM-DD"
        raise argparse.ArgumentTypeError(msg) from None


def _demo(args: argparse.Namespace) -> int:
    from dunning.demo import render_demo  # noqa: PLC0415  (only this command needs it)

    print(render_demo(start=args.start, days=args.days))
    return 0


def _lint(args: argparse.Namespace) -> int:
    try:
        pack = builtin_pack() if args.templates is None else load_template_pack(args.templates)
        scenario = load_scenario(args.file)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        for detail in error.details:
            print(f"  {detail.location}: {detail.message} [{detail.code}]", file=sys.stderr)
        return 1
    except TemplateError as error:
        print(f"error: {error} [{error.code}]", file=sys.stderr)
        return 1
    findings = lint(scenario, templates=pack, run_at=args.run_at, prepared_ahead=args.prepare_ahead)
    for finding in findings:
        where = f" (step {finding.step_id})" if finding.step_id else ""
        severity = "error" if finding.code in LINT_ERRORS else "warning"
        print(f"{finding.code}{where}: {severity}: {finding.message}")
    errors = sum(1 for f in findings if f.code in LINT_ERRORS)
    if not findings:
        print(f"{args.file}: scenario '{scenario.id}' is valid, no findings")
    else:
        print(f"{args.file}: {len(findings)} findings, {errors} errors")
    return 1 if errors or (args.strict and findings) else 0


def _schema(_: argparse.Namespace) -> int:
    print(json.dumps(scenario_json_schema(), indent=2, sort_keys=True))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dunning", description="Chase unpaid invoices like a careful French credit controller."
    )
    parser.add_argument("--version", action="version", version=f"dunning {__version__}")
    sub = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",  # noqa: SLF001  (argparse types it so)
        parser.add_subparsers(dest="command", required=True, metavar="COMMAND"),
    )

    demo = sub.add_parser("demo", help="replay the built-in demo portfolio and print it")
    demo.add_argument("--start", type=_day, default=date(2026, 3, 2), help="first day (ISO date)")
    demo.add_argument("--days", type=_days, default=60, help="number of days (default 60)")
    demo.set_defaults(handler=_demo)

    check = sub.add_parser("lint", help="validate a scenario file and report findings")
    check.add_argument("file", help="scenario file, .toml or .json")
    check.add_argument(
        "--templates",
        metavar="DIR",
        help="template pack directory merged over the built-in pack (default: built-in only)",
    )
    check.add_argument(
        "--strict", action="store_true", help="exit 1 on any finding, not only on errors"
    )
    check.add_argument(
        "--run-at",
        type=_clock,
        metavar="HH:MM",
        help="the local time of your daily run: warn about steps whose send window it misses",
    )
    check.add_argument(
        "--prepare-ahead",
        action="store_true",
        help="with --run-at: your runs prepare windowed messages ahead (a sender that "
        "schedules, or 'run --deliver-due' inside the windows)",
    )
    check.set_defaults(handler=_lint)

    schema = sub.add_parser("schema", help="print the JSON Schema of a scenario")
    schema.set_defaults(handler=_schema)

    register_penalties(sub)
    register_shell(sub)
    register_book(sub)
    register_serve(sub)
    return parser


def _database_problem(error: sqlite3.Error, db: str | None) -> str:
    """One line for a SQLite error: what is wrong with which file, and what to do."""
    text = str(error)
    where = repr(db) if db else "the database"
    if "unable to open" in text:
        return f"cannot open or create {where}: check that its folder exists and is writable"
    if "not a database" in text:
        return f"{where} is not a SQLite database: check the path (create one with 'dunning init')"
    if "locked" in text or "busy" in text:
        return f"{where} is locked by another process: try again when it has finished"
    if "readonly" in text or "read-only" in text:
        return f"{where} is read-only: check the permissions of the file and of its folder"
    return f"{where}: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dunning`` command with *argv* (default: the process arguments).

    Errors are printed on stderr as one line (no traceback); warnings too.

    Returns:
        The exit code: 0 success, 1 an error, 2 bad command-line usage.
    """
    args = _parser().parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            code: int = args.handler(args)
        except DunningError as error:
            print(f"error: {error}", file=sys.stderr)
            code = 1
        except sqlite3.Error as error:
            print(f"error: {_database_problem(error, getattr(args, 'db', None))}", file=sys.stderr)
            code = 1
        except OSError as error:
            name = f"{Path(error.filename)}: " if error.filename else ""
            print(f"error: {name}{error.strerror or error}", file=sys.stderr)
            code = 1
    # Once each, as one line (a run meets the same provisional rate in every message).
    for text in dict.fromkeys(str(w.message) for w in caught):
        hint = "check it, or run with --no-penalties" if args.command == "run" else "check it"
        print(f"warning: {text.replace('pass your own rate to replace it', hint)}", file=sys.stderr)
    return code


def run() -> None:  # pragma: no cover  (the console script; tests call main())
    """Console-script entry point: run `main` and exit with its code."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
