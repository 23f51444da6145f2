"""Peak memory of `plan_customer_actions` over 100,000 and 1,000,000 generated invoices.

Each size runs in a fresh interpreter (so one size's peak does not hide the other's): the
entries are generated lazily, sorted by customer id, ten invoices per customer, and the
messages are consumed as they come. The figure is the process's peak resident set size
(`resource.getrusage`), next to its floor: the peak of the same interpreter after the imports
and one customer's plan, before the stream. Target: flat within 10 MB from 100k to 1M.
Usage: python benchmarks/bench_streaming.py [SIZE ...]   (default 100000 1000000)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from fresh import in_fresh_interpreter, peak_mb

PER_CUSTOMER = 10
AT = datetime(2026, 6, 15, 10, tzinfo=ZoneInfo("Europe/Paris"))


def measure(size: int) -> None:
    """Stream *size* invoices in this process; print the floor, the peak and the counts."""
    from dunning import STANDARD, Customer, Invoice  # noqa: PLC0415
    from dunning.core.portfolio import InvoiceHistory, plan_customer_actions  # noqa: PLC0415

    def entries(count: int) -> Iterator[InvoiceHistory]:
        customer = Customer(id="C0000000", name="Customer 0")
        for n in range(count):
            if n % PER_CUSTOMER == 0:
                c = n // PER_CUSTOMER
                customer = Customer(id=f"C{c:07}", name=f"Customer {c}")
            due = date(2026, 6, 15) - timedelta(days=n % 45)
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

    list(plan_customer_actions(entries(PER_CUSTOMER), STANDARD, at=AT))  # warm: imports, caches
    floor = peak_mb()
    start = time.perf_counter()
    messages = sum(1 for _ in plan_customer_actions(entries(size), STANDARD, at=AT))
    elapsed = time.perf_counter() - start
    print(f"{size},{floor:.1f},{peak_mb():.1f},{messages},{elapsed:.1f}")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [100_000, 1_000_000]
    print("plan_customer_actions, peak RSS, one fresh interpreter per size")
    peaks = []
    for size in sizes:
        _, floor, peak, messages, elapsed = in_fresh_interpreter(__file__, str(size))
        peaks.append(float(peak))
        print(
            f"{size:>9} invoices: peak {float(peak):6.1f} MB, floor {float(floor):6.1f} MB "
            f"(after imports), {float(peak) - float(floor):+6.1f} MB above it; "
            f"{messages} messages in {elapsed} s"
        )
    if len(peaks) > 1:
        print(f"peak growth from the smallest to the largest size: {peaks[-1] - peaks[0]:+.1f} MB")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(int(sys.argv[2]))
    else:
        main()
