"""Peak memory of a run (`Dunner.run`) over 100,000 and 1,000,000 invoices from a stream.

The source yields its invoices lazily, sorted by customer id, ten per customer, none due yet
(so the figure is the runner's own: no message, no log entry). Each size and setting runs in
a fresh interpreter; the figure is the process's peak resident set size next to its floor,
the peak after the imports and a run over one customer. With ``keep_reviews=True`` (the
default) the report keeps one `InvoiceReview` per invoice; with False the reviews reach only
the source's ``reviewed`` hook and the run keeps the ids of the customers seen (to refuse a
customer given in two groups) and what it reports per message.
Usage: python benchmarks/bench_runner_memory.py [SIZE ...]   (default 100000 1000000)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from fresh import in_fresh_interpreter, peak_mb

PER_CUSTOMER = 10


def measure(size: int, *, keep_reviews: bool) -> None:
    """Run over *size* invoices in this process; print the floor, the peak and the counts."""
    from dunning import STANDARD, Customer, Dunner, Invoice  # noqa: PLC0415
    from dunning.adapters.memory import MemoryStore  # noqa: PLC0415
    from dunning.core.portfolio import InvoiceHistory  # noqa: PLC0415
    from dunning.testing import make_creditor, paris  # noqa: PLC0415

    class Stream:
        """*count* invoices, generated as they are read; nothing is due before 15 June."""

        def __init__(self, count: int) -> None:
            self.count = count

        def entries(self, at: datetime) -> Iterator[InvoiceHistory]:  # noqa: ARG002
            customer = Customer(id="C0000000", name="Customer 0")
            for n in range(self.count):
                if n % PER_CUSTOMER == 0:
                    c = n // PER_CUSTOMER
                    customer = Customer(id=f"C{c:07}", name=f"Customer {c}")
                due = date(2026, 6, 15)
                yield InvoiceHistory(
                    invoice=Invoice(
                        id=f"F{n}",
                        number=str(n),
                        customer=customer,
                        issued_on=due - timedelta(days=30),
                        due_on=due,
                        total=Decimal(100 + n % 900),
                    )
                )

    at = paris(2026, 5, 5)
    log = MemoryStore()
    creditor = make_creditor()
    Dunner(Stream(PER_CUSTOMER), log, {}, STANDARD, creditor, keep_reviews=keep_reviews).run(at=at)
    floor = peak_mb()
    start = time.perf_counter()
    report = Dunner(Stream(size), log, {}, STANDARD, creditor, keep_reviews=keep_reviews).run(at=at)
    elapsed = time.perf_counter() - start
    print(f"{size},{floor:.1f},{peak_mb():.1f},{len(report.reviews)},{elapsed:.1f}")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [100_000, 1_000_000]
    print("Dunner.run over a stream of invoices, peak RSS, one fresh interpreter per run")
    for keep in ("False", "True"):
        peaks = []
        for size in sizes:
            _, floor, peak, reviews, elapsed = in_fresh_interpreter(__file__, str(size), keep)
            peaks.append(float(peak))
            print(
                f"keep_reviews={keep:<5} {size:>9} invoices: peak {float(peak):6.1f} MB, "
                f"floor {float(floor):6.1f} MB, {float(peak) - float(floor):+6.1f} MB above it; "
                f"{reviews} reviews kept; {elapsed} s"
            )
        if len(peaks) > 1:
            print(f"  peak growth from the smallest to the largest: {peaks[-1] - peaks[0]:+.1f} MB")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        measure(int(sys.argv[2]), keep_reviews=sys.argv[3] == "True")
    else:
        main()
