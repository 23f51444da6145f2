"""A first run and a re-run of 10,000 customers on PostgreSQL, beside SQLite.

Each customer has one 1,200.00 EUR invoice due Monday 4 May 2026; the first run (Tue 5 May,
10:00 Paris) sends each its J+1 email through a sender that only returns a receipt, so the
figures are the store's and the runner's. The re-run an hour later has nothing to send: it
reads what the review index says is due (nothing) and the log. Printed per store: wall time,
messages per second, and transactions per message (reads and writes, counted at the store).

PostgreSQL runs on a throwaway local cluster (tests/postgres_cluster.py) with its durable
defaults (fsync on, synchronous_commit on); SQLite is a file in WAL mode with
``synchronous=FULL``. Without the server binaries or psycopg it says so and skips PostgreSQL.
Run with ``python benchmarks/bench_postgres.py [CUSTOMERS] [--two-commits]``: by default each
outcome is written with the next reservation (`Dunner.outcome_with_next_reservation`).
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from dunning import STANDARD, Channel
from dunning.adapters.sqlite import SqliteStore
from dunning.ports import Receipt, SendContext
from dunning.render import Message
from dunning.runner import Dunner
from dunning.testing import make_creditor, make_customer, make_invoice, paris

AT = paris(2026, 5, 5)
COMBINED = "--two-commits" not in sys.argv
"""Write each outcome with the next reservation (`Dunner.outcome_with_next_reservation`), unless
``--two-commits`` is given."""
CREDITOR = make_creditor()


class NullSender:
    """Takes every email and returns a receipt at once."""

    channel = Channel.EMAIL
    deduplicates = False

    def send(
        self,
        message: Message,  # noqa: ARG002
        *,
        idempotency_key: str,
        context: SendContext | None = None,  # noqa: ARG002
    ) -> Receipt:
        """Accept."""
        return Receipt(provider_id=idempotency_key)


def counting(store: Any, counts: Counter[str]) -> None:
    """Count the store's read and write transactions (its ``_read`` / ``_write`` methods)."""
    for kind in ("_read", "_write"):
        original: Callable[[], Any] = getattr(store, kind)

        def wrapped(original: Callable[[], Any] = original, kind: str = kind) -> Any:
            counts[kind] += 1
            return original()

        setattr(store, kind, wrapped)


def invoices(n: int) -> list[Any]:
    out = []
    for i in range(n):
        customer = make_customer(id=f"C-{i:06}", name=f"Client {i}")
        out.append(make_invoice(id=f"INV-{i:06}", customer=customer, due_on=date(2026, 5, 4)))
    return out


def measure(name: str, store: Any, n: int) -> None:
    counts: Counter[str] = Counter()
    counting(store, counts)
    runner = Dunner(
        store,
        store,
        {Channel.EMAIL: NullSender()},
        STANDARD,
        CREDITOR,
        owner="b",
        outcome_with_next_reservation=COMBINED,
    )
    for label, at in (("first run", AT), ("re-run", AT + timedelta(hours=1))):
        counts.clear()
        start = time.perf_counter()
        report = runner.run(at=at)
        elapsed = time.perf_counter() - start
        sent = report.counts().get("sent", 0)
        if sent:
            print(
                f"{name:<10} {label:<9} {n:>6} customers  {sent:>6} sent  {elapsed:7.2f} s"
                f"  {sent / elapsed:7.1f} messages/s  {counts['_write'] / sent:4.2f} write"
                f" + {counts['_read'] / sent:4.2f} read transactions per message"
            )
        else:
            print(
                f"{name:<10} {label:<9} {n:>6} customers  {sent:>6} sent  {elapsed:7.3f} s"
                f"  {counts['_write']} write + {counts['_read']} read transactions in all"
            )


def sqlite(n: int, folder: Path) -> None:
    with SqliteStore(folder / "bench.db") as store:
        for invoice in invoices(n):
            store.add_invoice(invoice)
        measure("SQLite", store, n)


def cluster_module() -> ModuleType:
    """tests/postgres_cluster.py, loaded by path (the benchmarks are not a package)."""
    here = Path(__file__).parent.parent / "tests" / "postgres_cluster.py"
    spec = importlib.util.spec_from_file_location("postgres_cluster", here)
    if spec is None or spec.loader is None:
        msg = f"cannot load {here}"
        raise RuntimeError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def postgres(n: int) -> None:
    module = cluster_module()
    try:
        import psycopg  # noqa: PLC0415

        from dunning.adapters.postgres import PostgresStore  # noqa: PLC0415

        cluster = module.start_cluster(fast=False)
    except (ImportError, module.ClusterUnavailable) as error:
        print(f"PostgreSQL skipped: {error}")
        return
    try:
        with PostgresStore(cluster.url()) as store:
            with psycopg.connect(cluster.url()) as host, host.transaction():
                joined = store.joined(host)  # the book loaded in one transaction
                for invoice in invoices(n):
                    joined.add_invoice(invoice)
            measure("PostgreSQL", store, n)
    finally:
        cluster.destroy()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10_000
    postgres(n)
    with tempfile.TemporaryDirectory() as folder:
        sqlite(n, Path(folder))


if __name__ == "__main__":
    main()
