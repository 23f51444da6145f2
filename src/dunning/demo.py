"""The demo: a small built-in portfolio replayed over 60 days.

Ten invoices of ten customers: one paid on time, one paid late, one disputed, one with a broken
promise, one on a payment plan, one on hold, a public buyer overseas, a consumer, and two that
go all the way to a formal notice, which waits for a human's approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dunning.core.builtin import DEFAULT_POLICY
from dunning.core.model import (
    Customer,
    DisputeOpened,
    Event,
    HoldPlaced,
    Installment,
    Invoice,
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
)
from dunning.core.scenario import Scenario
from dunning.core.timeline import TimelineEntry, timeline

__all__ = ["DemoCase", "demo_portfolio", "render_demo"]

DEMO_START = date(2026, 3, 2)
"""The demo starts on Monday 2 March 2026 (fixed, so the output never changes)."""


@dataclass(frozen=True, slots=True)
class DemoCase:
    """One invoice of the demo portfolio, its (partly future) history and its scenario."""

    invoice: Invoice
    events: tuple[Event, ...]
    scenario: Scenario
    story: str


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _case(
    n: int, customer: dict[str, Any], total: str, due: str, story: str, *events: Event
) -> DemoCase:
    # Fictitious contact details: .example addresses, and mobile numbers from the range ARCEP
    # keeps for fiction (06 39 98 xx xx).
    slug = "".join(c for c in customer["name"].lower() if c.isascii() and c.isalnum())
    contact = {
        "email": f"compta@{slug}.example",
        "phone": f"+33 6 39 98 00 {n:02}",
        "postal_address": f"{n} rue de la Demo, 69003 Lyon",
    }
    cust = Customer.model_validate({"id": f"C{n:02}", **contact, **customer})
    due_on = _d(due)
    invoice = Invoice(
        id=f"INV-{n:03}",
        number=f"2026-{n:04}",
        customer=cust,
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        total=Decimal(total),
    )
    return DemoCase(invoice, events, DEFAULT_POLICY.scenario_for(cust), story)


def demo_portfolio() -> list[DemoCase]:
    """The ten demo invoices, each with the scenario the default policy gives its customer."""
    return [
        _case(1, {"name": "Boulangerie Martin", "segment": "default"}, "1840.00", "2026-03-02",
              "pays late, after the firm reminder",
              Payment(on=_d("2026-03-20"), amount=Decimal("1840.00"))),
        _case(2, {"name": "Garage Dupont", "segment": "good"}, "620.00", "2026-03-06",
              "good payer: a courtesy email, then pays on time",
              Payment(on=_d("2026-03-05"), amount=Decimal("620.00"))),
        _case(3, {"name": "Atelier Bernard", "segment": "default"}, "2400.00", "2026-03-04",
              "disputes the invoice after the first reminder",
              DisputeOpened(on=_d("2026-03-12"), reason="delivery incomplete")),
        _case(4, {"name": "Café des Arts", "segment": "default"}, "980.00", "2026-03-03",
              "promises to pay on 20 March, does not",
              PromiseToPay(on=_d("2026-03-11"), promised_on=_d("2026-03-20"))),
        _case(5, {"name": "Menuiserie Petit", "segment": "late", "subdivision": "57"},
              "3150.00", "2026-03-09", "repeatedly late: firm ladder up to a formal notice"),
        _case(6, {"name": "Cabinet Leroy", "segment": "default"}, "5400.00", "2026-03-10",
              "never answers: standard ladder up to a formal notice"),
        _case(7, {"name": "Mairie de Saint-Paul", "kind": "public", "segment": "default",
                  "time_zone": "Indian/Reunion", "subdivision": "974"},
              "12500.00", "2026-03-16", "public buyer in La Réunion, pays after two reminders",
              Payment(on=_d("2026-04-02"), amount=Decimal("12500.00"))),
        _case(8, {"name": "Mme Claire Durand", "kind": "consumer", "segment": "good"},
              "350.00", "2026-03-20", "consumer, pays half, then the rest",
              Payment(on=_d("2026-04-08"), amount=Decimal("175.00")),
              Payment(on=_d("2026-04-24"), amount=Decimal("175.00"))),
        _case(9, {"name": "Transports Moreau", "segment": "default"}, "4000.00", "2026-03-05",
              "agrees a payment plan and keeps it",
              PaymentPlanAgreed(on=_d("2026-03-13"), installments=(
                  Installment(due_on=_d("2026-03-31"), amount=Decimal("2000.00")),
                  Installment(due_on=_d("2026-04-30"), amount=Decimal("2000.00")),
              )),
              Payment(on=_d("2026-03-30"), amount=Decimal("2000.00")),
              Payment(on=_d("2026-04-29"), amount=Decimal("2000.00"))),
        _case(10, {"name": "Plomberie Roux", "segment": "default"}, "760.00", "2026-03-02",
              "on hold until 25 March: the owner sees them on site",
              HoldPlaced(on=_d("2026-03-03"), reason="seen on site Monday",
                         until=_d("2026-03-25"))),
    ]  # fmt: skip


def render_demo(*, start: date = DEMO_START, days: int = 60) -> str:
    """Replay the demo portfolio and return its timeline as a text table.

    Formal notices need approval: the demo leaves them awaiting it, as a real run would.
    """
    end = start + timedelta(days=days - 1)
    rows: list[tuple[TimelineEntry, DemoCase]] = []
    for case in demo_portfolio():
        replay = timeline(case.invoice, case.events, case.scenario, start=start, end=end,
                          approve=False)  # fmt: skip
        rows.extend((entry, case) for entry in replay.entries)
    rows.sort(key=lambda r: (r[0].on, r[1].invoice.number))
    table = [("date", "invoice", "customer", "scenario", "level", "channel", "status", "note")]
    for entry, case in rows:
        action = entry.action or entry.decision.action
        level = f"{action.level} {action.level_name}" if action else ""
        table.append(
            (
                entry.on.isoformat(),
                case.invoice.number,
                case.invoice.customer.name,
                case.scenario.id,
                level,
                action.channel.value if action else "",
                entry.decision.status.value,
                entry.note,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    header = f"dunning demo: {len(demo_portfolio())} invoices from {start} to {end}\n"
    return header + "\n".join(lines)
