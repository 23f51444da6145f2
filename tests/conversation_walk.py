"""Walk one customer's book day by day through the planner, as a credit controller would see it.

Every message the planner proposes is delivered the same day (a formal notice is approved on
the day first, when ``approve`` is set), and recorded as the runner records it: one
`ActionTaken` per covered per-invoice action. The result is the list of messages the customer
(and the staff) received, in order: what the conversation tests assert on, and what
``python -m tests.conversation_walk`` prints for the built-in ladders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dunning.core.model import (
    ActionApproved,
    ActionTaken,
    Channel,
    Customer,
    CustomerKind,
    Event,
    Invoice,
    Payment,
)
from dunning.core.portfolio import (
    CustomerAction,
    InvoiceHistory,
    PaymentOnAccount,
    UnappliedCreditNote,
    plan_for_customer,
)
from dunning.core.scenario import Scenario
from tests.helpers import PARIS

STAFF = frozenset({Channel.PHONE_TASK, Channel.INTERNAL_ALERT, Channel.HANDOVER})


@dataclass(frozen=True)
class Sent:
    """One message as it went out."""

    on: date
    action: CustomerAction

    @property
    def to_customer(self) -> bool:
        """A message the debtor receives (not a task for the staff)."""
        return self.action.channel not in STAFF

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        """The invoices whose steps the message carries out."""
        return tuple(a.invoice_id for a in self.action.covers)

    def describe(self) -> str:
        """``2026-05-04 formal_notice registered_letter [F1, F2]``."""
        covers = ", ".join(f"{a.invoice_id}:{a.step_id}" for a in self.action.covers)
        listed = ", ".join(line.id for line in self.action.invoices)
        return (
            f"{self.on.isoformat()} {self.action.template:<14} {self.action.channel.value:<17} "
            f"covers [{covers}] lists [{listed}]"
        )


def walk(  # noqa: C901
    histories: Sequence[InvoiceHistory],
    scenario: Scenario,
    *,
    start: date,
    days: int,
    account: Sequence[PaymentOnAccount | UnappliedCreditNote] = (),
    approve: bool = True,
    hours: Sequence[int] = (10, 15),
    facts: Mapping[date, Sequence[tuple[str, Event]]] | None = None,
    on_day: Callable[[date, list[InvoiceHistory]], None] | None = None,
) -> list[Sent]:
    """Plan and deliver every day from *start* for *days* days; return what went out.

    *facts* adds events (payments, disputes...) to an invoice on a given day, before planning.
    """
    events: dict[str, list[Event]] = {h.invoice.id: list(h.events) for h in histories}
    by_id = {h.invoice.id: h for h in histories}
    sent: list[Sent] = []
    for n in range(days):
        day = start + timedelta(days=n)
        for invoice_id, event in (facts or {}).get(day, ()):
            events[invoice_id].append(event)
        for hour in hours:
            at = datetime.combine(day, time(hour, 30), tzinfo=PARIS)
            current = [by_id[i].model_copy(update={"events": tuple(events[i])}) for i in by_id]
            if on_day is not None:
                on_day(day, current)
            for action in plan_for_customer([*current, *account], scenario, at=at):
                if action.requires_approval and not action.approved:
                    if not approve:
                        continue
                    for a in action.covers:
                        if a.requires_approval and not a.approved:
                            events[a.invoice_id].append(
                                ActionApproved(at=at, action_id=a.id, by="test")
                            )
                for a in action.covers:
                    events[a.invoice_id].append(
                        ActionTaken(
                            at=at, action_id=a.id, channel=action.channel, step_id=a.step_id
                        )
                    )
                sent.append(Sent(day, action))
    return sent


def three_invoices(kind: CustomerKind = CustomerKind.BUSINESS) -> list[InvoiceHistory]:
    """The issue's customer: three invoices falling due weeks apart, one partly paid."""
    customer = Customer(
        id="C1",
        name="Leroy SARL",
        kind=kind,
        email="compta@leroy.example",
        postal_address="3 rue des Lilas, 69003 Lyon",
    )

    def invoice(n: int, issued: date, due: date, total: str, *events: Event) -> InvoiceHistory:
        return InvoiceHistory(
            invoice=Invoice(
                id=f"F{n}",
                number=f"2026-010{n}",
                customer=customer,
                issued_on=issued,
                due_on=due,
                total=Decimal(total),
            ),
            events=events,
        )

    return [
        invoice(1, date(2026, 2, 2), date(2026, 3, 4), "1000.00"),
        invoice(
            2,
            date(2026, 2, 23),
            date(2026, 3, 25),
            "2400.00",
            Payment(on=date(2026, 3, 20), amount=Decimal("900.00")),
        ),
        invoice(3, date(2026, 3, 16), date(2026, 4, 15), "3685.65"),
    ]


def main() -> None:
    """Print what the three-invoice customer receives in 120 days under each built-in ladder."""
    from dunning.core.builtin import BUILTIN_SCENARIOS  # noqa: PLC0415

    for name, scenario in BUILTIN_SCENARIOS.items():
        sent = walk(three_invoices(), scenario, start=date(2026, 2, 25), days=120)
        customer = [s for s in sent if s.to_customer]
        staff = len(sent) - len(customer)
        print(f"## {name}: {len(customer)} messages to the customer, {staff} staff")  # noqa: T201
        for s in sent:
            print("  " + s.describe())  # noqa: T201


if __name__ == "__main__":
    main()


def per_invoice_spacing(scenario: Scenario) -> Scenario:
    """*scenario* with the customer gap and the cap loosened to the ladder's own spacing.

    For tests of the shell's mechanics (crashes, approvals, stores) written with one invoice:
    they follow the ladder's dates (J+1, J+7...), not the conversation's 7-day customer gap.
    """
    from dunning.core.scenario import ConversationRules  # noqa: PLC0415

    rules = ConversationRules(customer_gap_days=0, messages_per_30_days=30)
    return scenario.model_copy(update={"conversation": rules})
