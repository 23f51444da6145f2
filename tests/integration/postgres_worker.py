"""One runner process of the multi-process PostgreSQL test, killed at random by the test.

``python -m tests.integration.postgres_worker URL SCHEMA AT OWNER SENT_LOG [INDEX/COUNT]``:
opens the store, prints ``ready``, waits for a line on stdin, runs the `Dunner` once at *AT*
(on shard ``(INDEX, COUNT)`` if given), prints ``reviewed`` and the ids of the customers it
reviewed, then ``done``. Its senders (every channel) append ``key`` to *SENT_LOG* with
``O_APPEND``, one line per message handed over: the provider's record, which survives the
process being killed between the hand-over and the log's ``finish``.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime, timedelta

from dunning import STANDARD, Channel
from dunning.adapters.postgres import PostgresStore
from dunning.ports import ActionLog, Receipt, SendContext
from dunning.render import Message
from dunning.runner import Dunner, approve, resolve
from dunning.testing import make_creditor, make_customer, make_invoice

CREDITOR = make_creditor()


class AppendSender:
    """Appends the key to a shared file in one system call: what the provider accepted."""

    deduplicates = False

    def __init__(self, channel: Channel, path: str) -> None:
        """Record the messages of *channel* in *path*."""
        self.channel = channel
        self.path = path

    def send(
        self, message: Message, *, idempotency_key: str, context: SendContext | None = None
    ) -> Receipt:
        """Append the key (after a short pause, so a kill can land in the middle of a run)."""
        time.sleep(0.004)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{idempotency_key}\n".encode())
        finally:
            os.close(fd)
        return Receipt(provider_id=f"p-{idempotency_key}")


def senders(path: str) -> dict[Channel, AppendSender]:
    """One appending sender per channel, all on *path*."""
    return {channel: AppendSender(channel, path) for channel in Channel}


def book() -> list[tuple[str, str, date]]:
    """(customer, invoice, due date): 20 customers, 30 invoices due between 4 and 16 May 2026."""
    out = []
    for n in range(20):
        out.append((f"C-{n:02}", f"A-{n:02}", date(2026, 5, 4) + timedelta(days=n % 5)))
        if n % 2 == 0:
            out.append((f"C-{n:02}", f"B-{n:02}", date(2026, 5, 7) + timedelta(days=n % 7)))
    return out


def fill(store: object) -> None:
    """Add the book to *store* (anything with ``add_invoice``)."""
    for customer_id, invoice_id, due in book():
        customer = make_customer(id=customer_id, name=f"Client {customer_id}")
        invoice = make_invoice(id=invoice_id, number=invoice_id, customer=customer, due_on=due)
        store.add_invoice(invoice)  # type: ignore[attr-defined]


def tidy(log: ActionLog, accepted: set[str], at: datetime) -> None:
    """What the humans do between runs: approve what waits, resolve uncertain truthfully."""
    from dunning.ports import EntryStatus  # noqa: PLC0415

    for entry in log.entries_with(EntryStatus.PENDING_APPROVAL):
        approve(log, entry.key, by="claire", at=at)
    for entry in log.entries_with(EntryStatus.UNCERTAIN):
        resolve(log, entry.key, delivered=entry.key in accepted, by="claire", at=at)


def main(url: str, schema: str, at: str, owner: str, sent_log: str, shard: str = "") -> None:  # noqa: PLR0917  (the command line's arguments)
    """Open, say ready, wait for the go, run once (on *shard*, ``index/count``, if given)."""
    part = tuple(int(n) for n in shard.split("/")) if shard else None
    with PostgresStore(url, schema=schema, create=False) as store:
        dunner = Dunner(store, store, senders(sent_log), STANDARD, CREDITOR, owner=owner)
        print("ready", flush=True)  # noqa: T201  (the parent waits for it)
        sys.stdin.readline()
        report = dunner.run(at=datetime.fromisoformat(at), shard=part)  # type: ignore[arg-type]
    reviewed = sorted({review.customer_id for review in report.reviews})
    print("reviewed", *reviewed, flush=True)  # noqa: T201
    print("done", flush=True)  # noqa: T201


if __name__ == "__main__":
    main(*sys.argv[1:7])
