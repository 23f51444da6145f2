"""Decisions per second over generated invoices (run with `nox -s bench`).

Figures: `decide` and `decide_many` over invoices and events that are already validated
models, each next to the hand-written floor (`floor.decide_floor`, measured in the same
process, best of five) with the ratio; `decide_many` with penalties next to the same calls
written by hand (`decide` then `compute_penalties`); and the whole path from raw dicts
(pydantic validation included), as a host loading JSON would.
Usage: python benchmarks/bench_decide.py [N]   (default N = 100000)
"""

from __future__ import annotations

import contextlib
import random
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from floor import decide_floor

from dunning import STANDARD, Customer, Event, Invoice, decide
from dunning.core.engine import decide_many
from dunning.core.penalties import compute_penalties
from dunning.exceptions import InvoiceHistoryError
from dunning.model import parse_events

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 6, 15, 10, 30, tzinfo=PARIS)
TODAY = AT.date()


def raw_portfolio(n: int, seed: int = 42) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """N invoices as plain dicts, over 500 customers, with a realistic mix of histories."""
    rng = random.Random(seed)
    customers = [
        {"id": f"C{c}", "name": f"Customer {c}", "subdivision": "57" if c % 10 == 0 else None}
        for c in range(500)
    ]
    out = []
    for i in range(n):
        due = date(2026, 6, 15) - timedelta(days=rng.randint(-20, 60))
        invoice = {
            "id": f"INV-{i}",
            "number": f"2026-{i:06}",
            "customer": customers[i % len(customers)],
            "issued_on": (due - timedelta(days=30)).isoformat(),
            "due_on": due.isoformat(),
            "total": f"{rng.randint(100, 100000)}.{rng.randint(0, 99):02}",
        }
        events: list[dict[str, Any]] = []
        roll = rng.random()
        if roll < 0.2:
            events.append({"kind": "payment", "on": due.isoformat(), "amount": invoice["total"]})
        elif roll < 0.6:
            # One or two reminders already sent.
            for k, step in enumerate(("informative", "reminder")[: rng.randint(1, 2)]):
                when = datetime.combine(due + timedelta(days=1 + 6 * k), datetime.min.time(), PARIS)
                if when < AT:
                    events.append(
                        {
                            "kind": "action_taken",
                            "at": when.replace(hour=9).isoformat(),
                            "action_id": f"a{i}-{k}",
                            "channel": "email",
                            "step_id": step,
                        }
                    )
        elif roll < 0.65:
            events.append({"kind": "dispute_opened", "on": due.isoformat(), "reason": "x"})
        out.append((invoice, events))
    return out


def best(*runs: Callable[[], None], rounds: int = 5) -> list[float]:
    """The fastest of *rounds* timed runs of each, interleaved (so load hits them alike)."""
    times = [float("inf")] * len(runs)
    for _ in range(rounds):
        for n, run in enumerate(runs):
            start = time.perf_counter()
            run()
            times[n] = min(times[n], time.perf_counter() - start)
    return times


def with_penalties(validated: list[tuple[Invoice, list[Event]]]) -> str:
    """`decide_many(..., with_penalties=True)` next to the same calls written by hand."""

    def batched() -> None:
        for _ in decide_many(validated, STANDARD, at=AT, with_penalties=True):
            pass

    def by_hand() -> None:
        # What a caller would write without the option: the decision, then the penalties of
        # a late invoice at the local date (no formal notice: these customers are businesses).
        for invoice, events in validated:
            decide(invoice, events, STANDARD, at=AT)
            if invoice.first_due_on < TODAY:
                with contextlib.suppress(InvoiceHistoryError):
                    compute_penalties(invoice, events, until=TODAY)

    both, hand = best(batched, by_hand, rounds=3)
    n = len(validated)
    return (
        f"  decide_many(with_penalties=True): {n / both:>8,.0f} /s  ({both / n * 1e6:.2f} us "
        f"each; decide() then compute_penalties() by hand: {hand / n * 1e6:.2f} us, "
        f"{both / hand:.2f}x)"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    raw = raw_portfolio(n)

    start = time.perf_counter()
    validated = [(Invoice.model_validate(inv), parse_events(ev)) for inv, ev in raw]
    validation = time.perf_counter() - start

    # Warm the shared calendars once, as a long-running host would be.
    decide(validated[0][0], validated[0][1], STANDARD, at=AT)

    statuses: dict[str, int] = {}
    for decision in decide_many(validated, STANDARD, at=AT):
        statuses[decision.status.value] = statuses.get(decision.status.value, 0) + 1

    def one_by_one() -> None:
        for invoice, events in validated:
            decide(invoice, events, STANDARD, at=AT)

    def batched() -> None:
        for _ in decide_many(validated, STANDARD, at=AT):
            pass

    def floor() -> None:
        for _ in decide_floor(validated, STANDARD, at=AT):
            pass

    floor_s, decided, many = best(floor, one_by_one, batched)

    customers = {
        c.id: c for c in (Customer.model_validate(inv["customer"]) for inv, _ in raw[:500])
    }
    start = time.perf_counter()
    for inv, ev in raw:
        invoice = Invoice.model_validate({**inv, "customer": customers[inv["customer"]["id"]]})
        decide(invoice, parse_events(ev), STANDARD, at=AT)
    end_to_end = time.perf_counter() - start

    print(f"bench_decide: {n} invoices, scenario 'standard', one core")
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    print(
        f"  floor (hand-written loop): {n / floor_s:>10,.0f} /s  ({floor_s / n * 1e6:.2f} us each)"
    )
    for label, seconds in (("decide()", decided), ("decide_many()", many)):
        print(
            f"  {label + ', pre-validated:':<27}{n / seconds:>10,.0f} /s  "
            f"({seconds / n * 1e6:.2f} us each, {seconds / floor_s:.1f}x the floor)"
        )
    print(with_penalties(validated))
    print(f"  validation only:{n / validation:>10,.0f} invoices/s")
    each = end_to_end / n * 1e6
    print(f"  from raw dicts: {n / end_to_end:>10,.0f} decisions/s  ({each:.1f} us each)")


if __name__ == "__main__":
    main()
