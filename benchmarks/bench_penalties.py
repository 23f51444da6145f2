"""Cost of one penalty breakdown for 10 days, 1 year and 10 years late, with 3 payments each.

The computation cuts the delay into periods (half-years, payments) and never loops over days,
so the cost follows the number of periods: 10 years late is ~20 half-years, not 3,650 days.
Run with ``python benchmarks/bench_penalties.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from dunning.core.model import Customer, Invoice, Payment
from dunning.core.penalties import compute_penalties, default_rates

REPEAT = 2_000
CUSTOMER = Customer(id="C1", name="ACME SARL")


def scenario(due: date, until: date, paid: list[date]) -> tuple[Invoice, list[Payment], date]:
    invoice = Invoice(
        id="F-1",
        number="2026-0001",
        customer=CUSTOMER,
        issued_on=due,
        due_on=due,
        total=Decimal("12000.00"),
    )
    return invoice, [Payment(on=day, amount=Decimal("1000.00")) for day in paid], until


SCENARIOS = {
    "10 days late": scenario(
        date(2026, 1, 10),
        date(2026, 1, 20),
        [date(2026, 1, 12), date(2026, 1, 14), date(2026, 1, 16)],
    ),
    "1 year late": scenario(
        date(2025, 1, 10), date(2026, 1, 10), [date(2025, 3, 1), date(2025, 6, 1), date(2025, 9, 1)]
    ),
    "10 years late": scenario(
        date(2016, 1, 10), date(2026, 1, 10), [date(2018, 3, 1), date(2021, 6, 1), date(2024, 9, 1)]
    ),
}


def main() -> None:
    default_rates()  # read the packaged tables once, as a long-running host would
    print(f"compute_penalties, best of 5 runs of {REPEAT} calls, 3 payments each")
    for label, (invoice, events, until) in SCENARIOS.items():
        breakdown = compute_penalties(invoice, events, until=until)
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(REPEAT):
                compute_penalties(invoice, events, until=until)
            best = min(best, (time.perf_counter() - start) / REPEAT)
        days = (until - invoice.first_due_on).days
        print(
            f"{label:>14}: {best * 1e6:8.1f} us per breakdown "
            f"({days:>4} days, {len(breakdown.lines):>2} periods, interest {breakdown.interest})"
        )


if __name__ == "__main__":
    main()
