"""Reading a book from `SqliteStore.entries`: linear in its size, and only what is due.

For 4,000 and 40,000 invoices (one per customer, half of them overdue, the rest due in 30
days): the time per invoice of a full read (every invoice new: all due for review), and of the
read at the next day once the runner has indexed the book (`reviewed`): only the overdue
half is read. The issue this answers measured 43 us/invoice at 4k and 204 us at 40k before
(the batch query scanned the whole table for each batch of 200 customers): linear means the
per-invoice figure stays flat. Run with ``python benchmarks/bench_sqlite_entries.py``.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from dunning import DecisionStatus
from dunning.adapters.sqlite import SqliteStore
from dunning.ports import InvoiceReview
from dunning.testing import make_customer, make_invoice, paris

AT = paris(2026, 5, 5)


def fill(store: SqliteStore, n: int) -> None:
    for i in range(n):
        customer = make_customer(id=f"C-{i:06}", name=f"Client {i}")
        due = date(2026, 5, 4) if i % 2 == 0 else date(2026, 6, 4)
        store.add_invoice(make_invoice(id=f"INV-{i:06}", customer=customer, due_on=due))


def read(store: SqliteStore, at: datetime) -> tuple[int, float]:
    start = time.perf_counter()
    count = len(list(store.entries(at)))
    return count, time.perf_counter() - start


def measure(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.db")
        fill(store, n)
        count, elapsed = read(store, AT)
        per = elapsed / n * 1e6
        print(f"{n:>6} invoices  full read      {count:>6} read  {per:6.1f} us/invoice")
        # What a run tells the index: the overdue half is due now, the rest on its due date.
        reviews = [
            InvoiceReview(
                invoice_id=f"INV-{i:06}",
                customer_id=f"C-{i:06}",
                status=DecisionStatus.ACTION_DUE if i % 2 == 0 else DecisionStatus.NOT_DUE,
                due_now=i % 2 == 0,
                review_after=AT if i % 2 == 0 else paris(2026, 6, 5, 0, 0),
            )
            for i in range(n)
        ]
        store.reviewed(reviews)
        count, elapsed = read(store, AT + timedelta(days=1))
        print(
            f"{n:>6} invoices  indexed read   {count:>6} read  {elapsed / n * 1e6:6.1f} us/invoice"
            f" of the book, {elapsed / max(count, 1) * 1e6:6.1f} us/invoice read"
        )
        store.close()


def main() -> None:
    for n in (4_000, 40_000):
        measure(n)


if __name__ == "__main__":
    main()
