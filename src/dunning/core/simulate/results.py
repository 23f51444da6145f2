"""What a simulation returns: the messages sent, the payments made, the book each day.

`simulate` (`dunning.core.simulate.simulation`) builds them; `SimulationResult` holds the
whole run, with its figures and displays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dunning.core.display import html_table
from dunning.core.model import (
    Channel,
)
from dunning.core.penalties.compute import PenaltyBreakdown
from dunning.core.portfolio import (
    InvoiceHistory,
)
from dunning.core.scenario import StepKind

__all__ = [
    "SimulatedMessage",
    "SimulatedPayment",
    "SimulationDay",
    "SimulationResult",
]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class SimulatedMessage:
    """One message the simulation sent (what the runner would have sent that day).

    Attributes:
        on: the day.
        customer_id: the customer.
        channel: the message's channel.
        kind: the lead step's kind.
        level: the lead step's level.
        invoice_ids: the invoices whose actions it carries out.
        amount_due: the amount the message asks for.
    """

    on: date
    customer_id: str
    channel: Channel
    kind: StepKind
    level: int
    invoice_ids: tuple[str, ...]
    amount_due: Decimal


@dataclass(frozen=True, slots=True)
class SimulatedPayment:
    """A payment the behaviour model made.

    Attributes:
        on: the day.
        customer_id: the customer.
        invoice_id: the invoice paid.
        amount: the amount.
        partial: half the balance rather than all of it.
    """

    on: date
    customer_id: str
    invoice_id: str
    amount: Decimal
    partial: bool


@dataclass(frozen=True, slots=True)
class SimulationDay:
    """The book at the end of one simulated day.

    Attributes:
        on: the day.
        outstanding: receivables still owed.
        overdue: the part of them past due.
        collected: cash collected since the start (cumulative).
        messages: messages sent since the start (cumulative).
        formal_notices: formal notices sent since the start (cumulative).
        dso: count-back DSO that day (`DsoMethod.COUNT_BACK`: the simulated book issues no
            new invoices, so the standard method's sales window would empty).
    """

    on: date
    outstanding: Decimal
    overdue: Decimal
    collected: Decimal
    messages: int
    formal_notices: int
    dso: Decimal | None


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Everything one simulation did, and the book at its end.

    Attributes:
        label: the scenario's id, or ``policy`` for a policy.
        start: the first day simulated.
        end: the last day simulated.
        seed: the seed used.
        messages: the messages sent, in order.
        payments: the payments made, in order.
        days: one snapshot per day.
        entries: the book at the end (every event the simulation added included), for the
            functions of `dunning.core.metrics`.
        penalties: late-payment penalties owed at the end (or when paid), by invoice id, for
            each invoice that was late and whose rates are in the tables.
    """

    label: str
    start: date
    end: date
    seed: int
    messages: tuple[SimulatedMessage, ...]
    payments: tuple[SimulatedPayment, ...]
    days: tuple[SimulationDay, ...]
    entries: tuple[InvoiceHistory, ...] = field(repr=False)
    penalties: Mapping[str, PenaltyBreakdown] = field(repr=False)

    @property
    def collected(self) -> Decimal:
        """Cash collected over the whole simulation."""
        return sum((p.amount for p in self.payments), _ZERO)

    @property
    def penalties_owed(self) -> Decimal:
        """Interest and indemnities owed at the end, on every late invoice."""
        return sum((b.total for b in self.penalties.values()), _ZERO)

    @property
    def formal_notices(self) -> int:
        """Messages whose lead step is a formal notice."""
        return sum(1 for m in self.messages if m.kind is StepKind.FORMAL_NOTICE)

    def collected_by(self, day_number: int) -> Decimal | None:
        """Cash collected in the first *day_number* days (None if the run is shorter).

        Examples:
            >>> from datetime import date
            >>> r = SimulationResult("x", date(2026, 3, 1), date(2026, 3, 10), 1, (),
            ...     (SimulatedPayment(date(2026, 3, 5), "C", "F", Decimal("10"), False),),
            ...     (), (), {})
            >>> r.collected_by(5), r.collected_by(4), r.collected_by(11)
            (Decimal('10'), Decimal('0'), None)
        """
        if (self.end - self.start).days + 1 < day_number:
            return None
        last = self.start + timedelta(days=day_number - 1)
        return sum((p.amount for p in self.payments if p.on <= last), _ZERO)

    def messages_by_channel(self) -> dict[str, int]:
        """Messages sent per channel, by channel name."""
        out: dict[str, int] = {}
        for m in self.messages:
            out[m.channel.value] = out.get(m.channel.value, 0) + 1
        return dict(sorted(out.items()))

    def records(self) -> list[dict[str, Any]]:
        """One row per day (the `SimulationDay` fields), for a DataFrame."""
        return [
            {
                "on": d.on,
                "outstanding": d.outstanding,
                "overdue": d.overdue,
                "collected": d.collected,
                "messages": d.messages,
                "formal_notices": d.formal_notices,
                "dso": d.dso,
            }
            for d in self.days
        ]

    def _repr_html_(self) -> str:
        last = self.days[-1] if self.days else None
        rows = [
            ("days simulated", len(self.days)),
            ("messages sent", len(self.messages)),
            *((f"  by {ch}", n) for ch, n in self.messages_by_channel().items()),
            ("formal notices", self.formal_notices),
            ("payments", len(self.payments)),
            ("cash collected", self.collected),
            ("outstanding at the end", last.outstanding if last else ""),
            ("DSO at the end", last.dso if last else ""),
            ("penalties owed", self.penalties_owed),
        ]
        caption = f"Simulation '{self.label}' {self.start} to {self.end} (seed {self.seed})"
        return html_table(["", "value"], rows, caption=caption)
