"""The ``dunning`` command.

Subcommands:

- ``dunning demo``: replay the built-in demo portfolio over 60 days and print the timeline.
- ``dunning lint FILE [--templates DIR]``: load a scenario (``.toml`` / ``.json``), check
  that the template pack (built-in, or merged from DIR) has every template its steps need,
  report errors and findings.
- ``dunning schema``: print the JSON Schema of a scenario.
- ``dunning penalties ...``: itemised French late-payment penalties (see ``--help``).
- ``dunning init DB``: create a SQLite database holding the demo portfolio.
- ``dunning run [--db DB] [--at INSTANT] [--dry-run] [--smtp HOST:PORT]``: send what is due.
- ``dunning approvals`` / ``approve KEY`` / ``reject KEY``: the messages awaiting a human.
- ``dunning history INVOICE``: an invoice's events and messages.

Exit codes: 0 success; 1 findings, an invalid input file, a missing database, or a run with
errors or uncertain messages (they need a human); 2 bad command-line usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date

from dunning._cli_penalties import register as register_penalties
from dunning._cli_shell import register as register_shell
from dunning.core.checks import lint
from dunning.core.render import builtin_pack
from dunning.core.scenario import scenario_json_schema
from dunning.exceptions import (
    ConfigurationError,
    RunInThePastError,
    ScenarioError,
    TemplateError,
)
from dunning.loading import load_scenario
from dunning.templates_loading import load_template_pack

__all__ = ["main", "run"]


def _demo(args: argparse.Namespace) -> int:
    from dunning.demo import render_demo  # noqa: PLC0415  (only this command needs it)

    print(render_demo(start=args.start, days=args.days))
    return 0


def _lint(args: argparse.Namespace) -> int:
    try:
        pack = builtin_pack() if args.templates is None else load_template_pack(args.templates)
        scenario = load_scenario(args.file, templates=pack)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        for detail in error.details:
            print(f"  {detail.location}: {detail.message} [{detail.code}]", file=sys.stderr)
        return 1
    except TemplateError as error:
        print(f"error: {error} [{error.code}]", file=sys.stderr)
        return 1
    findings = lint(scenario, templates=pack)
    for finding in findings:
        where = f" (step {finding.step_id})" if finding.step_id else ""
        print(f"{finding.code}{where}: {finding.message}")
    if not findings:
        print(f"{args.file}: scenario '{scenario.id}' is valid, no findings")
    return 1 if findings else 0


def _schema(_: argparse.Namespace) -> int:
    print(json.dumps(scenario_json_schema(), indent=2, sort_keys=True))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dunning", description="Chase unpaid invoices like a careful French credit controller."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="replay the built-in demo portfolio and print it")
    demo.add_argument(
        "--start", type=date.fromisoformat, default=date(2026, 3, 2), help="first day (ISO date)"
    )
    demo.add_argument("--days", type=int, default=60, help="number of days (default 60)")
    demo.set_defaults(handler=_demo)

    check = sub.add_parser("lint", help="validate a scenario file and report findings")
    check.add_argument("file", help="scenario file, .toml or .json")
    check.add_argument(
        "--templates",
        metavar="DIR",
        help="template pack directory merged over the built-in pack (default: built-in only)",
    )
    check.set_defaults(handler=_lint)

    schema = sub.add_parser("schema", help="print the JSON Schema of a scenario")
    schema.set_defaults(handler=_schema)

    register_penalties(sub)
    register_shell(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dunning`` command with *argv* (default: the process arguments).

    Returns:
        The exit code.
    """
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (ConfigurationError, RunInThePastError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return code


def run() -> None:  # pragma: no cover  (the console script; tests call main())
    """Console-script entry point: run `main` and exit with its code."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
