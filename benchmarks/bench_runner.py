"""Cost of a run: 1,000 customers with one overdue invoice each, memory and SQLite stores.

The built-in template pack is loaded (and checked by rendering samples) once per process,
before the runs. The first run plans, renders, reserves and "sends" 1,000 emails (a sender
that keeps nothing); the second run at the same instant finds every key in the log and sends
nothing. SQLite runs with ``synchronous=FULL``: each message costs two durable commits
(the reservation, claimed for its first attempt, and the outcome), so the figure depends on
the disk's fsync time.
Run with ``python benchmarks/bench_runner.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

from dunning import STANDARD, Channel, Dunner
from dunning.adapters.memory import MemoryStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.render import builtin_pack
from dunning.ports import Receipt
from dunning.render import Message
from dunning.testing import make_creditor, make_customer, make_invoice, paris

CUSTOMERS = 1_000
AT = paris(2026, 5, 5)
CREDITOR = make_creditor()


class NullSender:
    """Accepts everything, keeps nothing: measures the runner and the store, not a provider."""

    channel = Channel.EMAIL
    deduplicates = False

    def send(
        self,
        message: Message,  # noqa: ARG002
        *,
        idempotency_key: str,
        context: object = None,  # noqa: ARG002
    ) -> Receipt:
        """Accept the message."""
        return Receipt(provider_id=idempotency_key)


def fill(store: MemoryStore | SqliteStore) -> None:
    for n in range(CUSTOMERS):
        customer = make_customer(id=f"C-{n:05}", name=f"Client {n}")
        store.add_invoice(
            make_invoice(id=f"INV-{n:05}", customer=customer, due_on=date(2026, 5, 4))
        )


def measure(name: str, store: MemoryStore | SqliteStore) -> None:
    fill(store)
    dunner = Dunner(store, store, {Channel.EMAIL: NullSender()}, STANDARD, CREDITOR, owner="bench")
    for label in ("first run", "re-run"):
        start = time.perf_counter()
        report = dunner.run(at=AT)
        elapsed = time.perf_counter() - start
        sent = report.counts().get("sent", 0)
        print(
            f"{name:<7} {label:<10} {elapsed:7.2f} s  {CUSTOMERS / elapsed:8.0f} customers/s"
            f"  ({sent} sent)"
        )


def main() -> None:
    start = time.perf_counter()
    builtin_pack()  # loaded and checked once per process (memoised): not a per-run cost
    print(f"built-in template pack, loaded and checked once: {time.perf_counter() - start:.2f} s")
    measure("memory", MemoryStore())
    with tempfile.TemporaryDirectory() as folder, SqliteStore(Path(folder) / "b.db") as store:
        measure("sqlite", store)


if __name__ == "__main__":
    main()
