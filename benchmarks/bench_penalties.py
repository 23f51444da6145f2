"""Cost of one penalty breakdown for 10 days, 1 year and 10 years late, with 3 payments each.

The computation cuts the delay into periods (half-years, payments) and never loops over days,
so the cost follows the number of periods: 10 years late is ~20 half-years, not 3,650 days.
Each figure is printed next to its floor (`floor.interest_floor`: the same interest, cut at
the same payments and half-year rates, in plain Decimal arithmetic) and the ratio; the last
line is the ratio of 10 years late to 10 days late (target: at most 3).
Run with ``python benchmarks/bench_penalties.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial

from floor import interest_floor

from dunning.core.model import Customer, Invoice, Payment
from dunning.core.penalties import HalfYear, compute_penalties, default_rates

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


def b2b_default_steps(first: date, until: date) -> list[tuple[date, Decimal]]:
    """The B2B default rate of each half-year from *first* to *until*: ECB on its first day + 10."""
    ecb = default_rates().ecb
    steps = []
    half = HalfYear.of(first)
    while half.start <= until:
        rate = ecb.rate_on(half.start).rate + 10
        steps.append((max(half.start, first), rate))
        half = half.next()
    return steps


def timed(run: Callable[[], object]) -> Callable[[], float]:
    def measure() -> float:
        start = time.perf_counter()
        for _ in range(REPEAT):
            run()
        return (time.perf_counter() - start) / REPEAT

    return measure


def main() -> None:
    default_rates()  # read the packaged tables once, as a long-running host would
    print(f"compute_penalties, best of 15 interleaved runs of {REPEAT} calls, 3 payments each")
    runs: dict[str, tuple[Callable[[], float], Callable[[], float]]] = {}
    for label, (invoice, events, until) in SCENARIOS.items():
        first = invoice.first_due_on.toordinal() + 1
        steps = b2b_default_steps(date.fromordinal(first), until)
        money = [(p.on, p.amount) for p in events]

        library = partial(compute_penalties, invoice, events, until=until)
        floor = partial(interest_floor, invoice.total, steps[0][0], until, money, steps)
        breakdown = compute_penalties(invoice, events, until=until)
        print(
            f"{label:>14}: {(until - invoice.first_due_on).days:>4} days, "
            f"{len(breakdown.lines):>2} periods, interest {breakdown.interest} "
            f"(floor: {floor()}, rounded once)"
        )
        runs[label] = (timed(library), timed(floor))
    best = {label: [float("inf"), float("inf")] for label in runs}
    for _ in range(15):
        for label, pair in runs.items():
            for n, measure in enumerate(pair):
                best[label][n] = min(best[label][n], measure())
    for label, (figure, least) in best.items():
        print(
            f"{label:>14}: {figure * 1e6:7.1f} us per breakdown, floor {least * 1e6:5.1f} us, "
            f"ratio {figure / least:4.1f}x"
        )
    ratio = best["10 years late"][0] / best["10 days late"][0]
    print(f"10 years late / 10 days late: {ratio:.1f}x (target <= 3)")


if __name__ == "__main__":
    main()
