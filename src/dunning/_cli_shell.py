"""The ``dunning init / run / approvals / approve / reject / resolve / history`` commands.

They work on a SQLite file (`dunning.adapters.sqlite.SqliteStore`), or on PostgreSQL
(`dunning.adapters.postgres.PostgresStore`) with ``--database-url``.

The database defaults to ``$DUNNING_DATABASE_URL`` if set, else the file ``$DUNNING_DB``, else
``dunning.db`` in the current directory.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import formataddr
from pathlib import Path
from typing import TYPE_CHECKING

from dunning._cli_types import instant_arg, tenant_arg
from dunning._console import cover_statuses, event_details, event_instant
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus, LogEntry
from dunning.core.builtin import DEFAULT_POLICY
from dunning.core.model import Channel, Customer, event_day
from dunning.core.render import Creditor, builtin_pack
from dunning.core.scenario import Scenario
from dunning.core.shards import DEFAULT_TENANT
from dunning.exceptions import StaleApprovalError
from dunning.loading import load_policy, load_scenario
from dunning.ports import Sender
from dunning.runner import Dunner, approve, reject, resolve

if TYPE_CHECKING:
    from dunning.adapters.postgres import PostgresStore

__all__ = ["DEMO_CREDITOR", "chooser", "open_store", "register", "with_db", "with_scenario"]

DEMO_CREDITOR = Creditor(
    name="Atelier Durand SAS",
    address="12 rue des Lilas, 69003 Lyon",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
    email="compta@atelier-durand.example",
    phone="04 72 00 00 00",
    signature="Le service comptabilité",
)
"""The creditor ``dunning init`` stores with the demo portfolio (fictitious)."""


def _db_default() -> str:
    return os.environ.get("DUNNING_DB", "dunning.db")


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:  # noqa: PLR2004
        msg = f"{text!r} is not HOST:PORT, e.g. localhost:1025"
        raise argparse.ArgumentTypeError(msg)
    return host, int(port)


def open_store(args: argparse.Namespace) -> SqliteStore | PostgresStore:
    """The store the command works on: ``--database-url`` (PostgreSQL) if given, else ``--db``."""
    url = getattr(args, "database_url", None)
    if url:
        from dunning.adapters.postgres import PostgresStore  # noqa: PLC0415  (an extra)

        return PostgresStore(url, create=False, tenant=args.tenant)
    return SqliteStore(args.db, create=False, tenant=args.tenant)


# -- init ----------------------------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    from dunning.demo import DEMO_START, demo_portfolio  # noqa: PLC0415  (only this command)

    path = Path(args.db)
    if path.exists() and not args.force:
        print(f"error: {path} already exists (use --force to replace it)", file=sys.stderr)
        return 1
    if path.exists():
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
    cases = demo_portfolio()
    with SqliteStore(path) as store:
        store.set_creditor(DEMO_CREDITOR)
        for case in cases:
            # The book as it stands on the demo's first day: the demo's later payments,
            # disputes and holds are its story, not facts yet (a run never sends what a known
            # later fact forbids).
            known = [e for e in case.events if event_day(e, case.invoice.customer.tz) <= DEMO_START]
            store.add_invoice(case.invoice, known)
    print(f"{path}: demo portfolio of {len(cases)} invoices, creditor {DEMO_CREDITOR.name}")
    print(f"next: dunning run --db {path} --at 2026-03-10T09:00+01:00")
    return 0


# -- run -----------------------------------------------------------------------------------


def chooser(args: argparse.Namespace) -> Callable[[Customer], Scenario]:
    """The scenario per customer: ``--scenario FILE`` for all, ``--policy FILE``, or the default."""
    if getattr(args, "scenario", None):
        scenario = load_scenario(args.scenario, templates=builtin_pack())
        return lambda _: scenario
    policy = (
        load_policy(args.policy, templates=builtin_pack())
        if getattr(args, "policy", None)
        else DEFAULT_POLICY
    )
    return policy.scenario_for


def _senders(args: argparse.Namespace, creditor: Creditor) -> dict[Channel, Sender]:
    from dunning.adapters.files import FolderSender  # noqa: PLC0415  (only 'run' sends)
    from dunning.adapters.smtp import SmtpSender  # noqa: PLC0415

    outbox = Path(args.outbox) if args.outbox else Path(f"{Path(args.db).with_suffix('')}-outbox")
    if not args.outbox and args.tenant != DEFAULT_TENANT:
        outbox /= args.tenant  # message keys are unique per tenant only
    # "Atelier Durand SAS <compta@...>": the customer sees who writes, not only an address.
    sender = formataddr((creditor.name, creditor.email))
    senders: dict[Channel, Sender] = {
        channel: FolderSender(channel, outbox, from_address=sender) for channel in Channel
    }
    if args.smtp:
        host, port = args.smtp
        senders[Channel.EMAIL] = SmtpSender(
            host=host,
            port=port,
            from_address=sender,
            starttls=args.smtp_starttls,
            username=args.smtp_user,
            password=os.environ.get("DUNNING_SMTP_PASSWORD") if args.smtp_user else None,
        )
    return senders


def _hours(text: str) -> int:
    try:
        hours = int(text)
    except ValueError:
        hours = -1
    if not 0 <= hours <= 168:  # noqa: PLR2004  (a week: beyond it, a run sees no window)
        msg = f"{text!r} is not a number of hours from 0 to 168"
        raise argparse.ArgumentTypeError(msg)
    return hours


def _run(args: argparse.Namespace) -> int:
    at: datetime = args.at or datetime.now(UTC)
    with open_store(args) as store:
        creditor = store.creditor()
        if creditor is None:
            whose = "" if args.tenant == DEFAULT_TENANT else f" for tenant {args.tenant!r}"
            print(
                f"error: {args.db} has no creditor{whose} (see 'dunning init', or"
                " set_creditor on the store)",
                file=sys.stderr,
            )
            return 1
        options = {"owner": args.owner} if args.owner else {}
        dunner = Dunner(
            store,
            store,
            _senders(args, creditor),
            chooser(args),
            creditor,
            with_penalties=not args.no_penalties,
            keep_reviews=False,  # the store's review index gets them; memory stays flat
            **options,
        )
        if args.deliver_due:
            report = dunner.deliver_due(at=at)
        else:
            ahead = None if args.prepare_ahead is None else timedelta(hours=args.prepare_ahead)
            report = dunner.run(
                at=at, dry_run=args.dry_run, allow_past=args.allow_past, prepare_ahead=ahead
            )
    print(report)
    return 1 if report.needs_attention else 0


# -- approvals -----------------------------------------------------------------------------


def _still_due(
    store: SqliteStore | PostgresStore, entry: LogEntry, args: argparse.Namespace
) -> str:
    """Whether the engine, asked now, still wants each step the entry covers (`still_due`)."""
    at: datetime = args.at or datetime.now(UTC)
    return "; ".join(str(s) for s in cover_statuses(store, entry, chooser(args), at=at))


def _approvals(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        pending = store.entries_with(EntryStatus.PENDING_APPROVAL)
        due = {entry.key: _still_due(store, entry, args) for entry in pending}
    if not pending:
        print("no message awaits approval")
        return 0
    for entry in pending:
        print(_entry_line(entry))
        print(f"    version {entry.version}: approve with --seen {entry.version}")
        print(f"    to {entry.message.to or '-'}: {entry.message.subject}")
        print(f"    {due[entry.key]}")
        if args.full:
            print()
            print("\n".join(f"    | {line}" for line in entry.message.text.splitlines()))
            print()
    print(f"{len(pending)} awaiting approval: dunning approve KEY --seen VERSION --db {args.db}")
    return 0


def _decide(args: argparse.Namespace, *, approved: bool) -> int:
    at: datetime = args.at or datetime.now(UTC)
    by = args.by or getpass.getuser()
    decide = approve if approved else reject
    with open_store(args) as store:
        try:
            entry = decide(store, args.key, by=by, at=at, seen=args.seen)
        except KeyError as error:
            print(f"error: {error.args[0]}", file=sys.stderr)
            return 1
        except StaleApprovalError as error:
            print(f"error: {error} [{error.code}]", file=sys.stderr)
            return 1
    verb = "approved" if approved else "rejected"
    then = "the next run sends it" if approved else "it will never be sent"
    print(f"{entry.key} {verb} by {by}: {then}")
    return 0


def _approve(args: argparse.Namespace) -> int:
    return _decide(args, approved=True)


def _reject(args: argparse.Namespace) -> int:
    return _decide(args, approved=False)


def _resolve(args: argparse.Namespace) -> int:
    at: datetime = args.at or datetime.now(UTC)
    by = args.by or getpass.getuser()
    with open_store(args) as store:
        try:
            entry = resolve(store, args.key, delivered=args.delivered, by=by, at=at)
        except KeyError as error:
            print(f"error: {error.args[0]}", file=sys.stderr)
            return 1
    then = (
        "its steps count as taken"
        if args.delivered
        else "the next run sends it again if it is still due"
    )
    answer = "delivered" if args.delivered else "not delivered"
    print(f"{entry.key} resolved by {by} as {answer}: {then}")
    return 0


def _reset_latest_run(args: argparse.Namespace) -> int:
    at: datetime = args.at or datetime.now(UTC)
    by = args.by or getpass.getuser()
    with open_store(args) as store:
        try:
            line = store.reset_latest_run(args.to, by=by, at=at, reason=args.reason)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(
        f"latest run moved back from {line.replaced.isoformat()} to {line.to.isoformat()}"
        f" by {line.by} ({line.reason}); recorded"
    )
    return 0


# -- history -------------------------------------------------------------------------------


def _history(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        try:
            invoice = store.invoice(args.invoice)
        except KeyError as error:
            print(f"error: {error.args[0]}", file=sys.stderr)
            return 1
        events = store.events(invoice.id)
        log = store.log_for_invoice(invoice.id)
    print(f"invoice {invoice.number} (id {invoice.id}), {invoice.customer.name}")
    print("events:")
    for event in events:
        when = event_instant(event)
        detail = ", ".join(f"{k}={v}" for k, v in event_details(event).items())
        print(f"  {when!s:<25} {event.kind:<20} {detail}".rstrip())
    if not events:
        print("  (none)")
    print("messages:")
    for entry in log:
        print("  " + _entry_line(entry))
        extra = [f"attempts {entry.attempts}"]
        if entry.receipt:
            extra.append(f"receipt {entry.receipt.provider_id}")
        if entry.decided_by:
            on = f" on {entry.decided_at.isoformat()}" if entry.decided_at else ""
            extra.append(f"decided by {entry.decided_by}{on}")
        if entry.reason:
            extra.append(entry.reason)
        print("      " + "; ".join(extra))
    if not log:
        print("  (none)")
    return 0


def _entry_line(entry: LogEntry) -> str:
    return (
        f"{entry.key}  {entry.status.value:<16} {entry.customer_id:<6} {entry.channel.value:<17}"
        f" {entry.message.template:<13} {entry.updated_at.isoformat()}"
    )


# -- the parsers ---------------------------------------------------------------------------


def with_scenario(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--scenario", metavar="FILE", help="one scenario (.toml/.json) for every customer"
    )
    which.add_argument(
        "--policy",
        metavar="FILE",
        help="a policy (.toml/.json) choosing the scenario per customer; it may name the "
        "built-in gentle, standard and firm (default: the built-in policy)",
    )


def with_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=_db_default(),
        help="the SQLite database (default: $DUNNING_DB, else dunning.db)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DUNNING_DATABASE_URL") or None,
        metavar="URL",
        help="a PostgreSQL database instead, postgresql://... (default: $DUNNING_DATABASE_URL;"
        " needs dunning[postgres])",
    )
    parser.add_argument(
        "--tenant",
        type=tenant_arg,
        default=os.environ.get("DUNNING_TENANT") or DEFAULT_TENANT,
        help="the creditor whose book to work on, when one database holds several"
        f" (default: $DUNNING_TENANT, else {DEFAULT_TENANT!r})",
    )


def _register_reset(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``dunning reset-latest-run``: undo a run given a wrong, later instant (audited)."""
    reset = sub.add_parser(
        "reset-latest-run",
        help="move the latest run instant back after a run given a wrong, later --at",
    )
    reset.add_argument(
        "--to", type=instant_arg, required=True, help="the instant to move it back to"
    )
    reset.add_argument("--reason", required=True, help="why, kept with who and when")
    with_db(reset)
    reset.add_argument("--by", help="who does it (default: the login name)")
    reset.add_argument("--at", type=instant_arg, help="when (default: now)")
    reset.set_defaults(handler=_reset_latest_run)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the shell commands to the ``dunning`` parser."""
    init = sub.add_parser("init", help="create a SQLite database holding the demo portfolio")
    init.add_argument("db", metavar="DB", help="the database file to create")
    init.add_argument("--force", action="store_true", help="replace the file if it exists")
    init.set_defaults(handler=_init)

    run = sub.add_parser("run", help="send what is due: plan, render, reserve, send, record")
    with_db(run)
    run.add_argument(
        "--at", type=instant_arg, help="the instant of the run, with its offset (default: now)"
    )
    run.add_argument("--dry-run", action="store_true", help="render and report, send nothing")
    run.add_argument(
        "--smtp", type=_host_port, metavar="HOST:PORT", help="send emails through this server"
    )
    run.add_argument("--smtp-starttls", action="store_true", help="require STARTTLS")
    run.add_argument(
        "--smtp-user",
        metavar="USER",
        help="log in as USER (password from $DUNNING_SMTP_PASSWORD)",
    )
    run.add_argument(
        "--outbox",
        metavar="DIR",
        help="folder for messages of other channels, and emails without --smtp "
        "(default: DB name + '-outbox')",
    )
    run.add_argument("--owner", help="this runner's name in the log (default: host:pid)")
    run.add_argument("--no-penalties", action="store_true", help="do not state penalties")
    run.add_argument(
        "--allow-past",
        action="store_true",
        help="replay an instant before the latest run, read-only (reports, sends nothing)",
    )
    batch = run.add_mutually_exclusive_group()
    batch.add_argument(
        "--prepare-ahead",
        type=_hours,
        nargs="?",
        const=24,
        metavar="HOURS",
        help="a nightly batch: prepare the messages whose send window opens within HOURS "
        "(default 24), held until a --deliver-due pass inside the window sends them",
    )
    batch.add_argument(
        "--deliver-due",
        action="store_true",
        help="only send the messages held for their send window, now open (run it inside "
        "the windows, e.g. at 10:05); the book is not reviewed",
    )
    with_scenario(run)
    run.set_defaults(handler=_run)

    approvals = sub.add_parser(
        "approvals", help="list the messages awaiting approval, and whether each is still due"
    )
    with_db(approvals)
    approvals.add_argument("--full", action="store_true", help="print each message's text")
    approvals.add_argument(
        "--at", type=instant_arg, help="whether still due at this instant (default: now)"
    )
    with_scenario(approvals)
    approvals.set_defaults(handler=_approvals)

    for name, handler, text in (
        ("approve", _approve, "approve a message: the next run sends it"),
        ("reject", _reject, "reject a message: it is never sent"),
    ):
        decide = sub.add_parser(name, help=text)
        decide.add_argument("key", metavar="KEY", help="the message key (see 'approvals')")
        with_db(decide)
        decide.add_argument(
            "--seen",
            metavar="VERSION",
            help="the version of the preview you saw (see 'approvals'): refused if it changed",
        )
        decide.add_argument("--by", help="who decides (default: the login name)")
        decide.add_argument("--at", type=instant_arg, help="when (default: now)")
        decide.set_defaults(handler=handler)

    resolve_ = sub.add_parser(
        "resolve", help="say whether an uncertain message reached the customer"
    )
    resolve_.add_argument("key", metavar="KEY", help="the message key (see 'run')")
    answer = resolve_.add_mutually_exclusive_group(required=True)
    answer.add_argument(
        "--delivered", dest="delivered", action="store_true", help="it reached the customer"
    )
    answer.add_argument(
        "--not-delivered",
        dest="delivered",
        action="store_false",
        help="it did not: send it again if still due",
    )
    with_db(resolve_)
    resolve_.add_argument("--by", help="who says so (default: the login name)")
    resolve_.add_argument("--at", type=instant_arg, help="when (default: now)")
    resolve_.set_defaults(handler=_resolve)

    _register_reset(sub)

    history = sub.add_parser("history", help="an invoice's events and messages")
    history.add_argument(
        "invoice", metavar="INVOICE", help="the invoice number or id, e.g. 2026-0005 or INV-005"
    )
    with_db(history)
    history.set_defaults(handler=_history)
