"""Whether a message awaiting approval is still due: what an approver must see before deciding.

`still_due` asks the engine again, now, for each invoice a log entry covers: is its step still
due, and is the amount owed still the one the preview showed? The command line's ``dunning
approvals`` prints it, and a host's approval screen shows the same (issue 19). Pure: the
caller gives the invoices' histories and the instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dunning.core.action_log import LogEntry
from dunning.core.engine import decide
from dunning.core.policy import ScenarioChoice, as_chooser
from dunning.core.portfolio import InvoiceHistory, payment_history

__all__ = ["CoverStatus", "still_due"]


@dataclass(frozen=True, slots=True)
class CoverStatus:
    """One invoice of a message awaiting approval, as the engine sees it now.

    Attributes:
        invoice_id: the invoice.
        number: its number, as the customer knows it.
        due: the step the message carries out for it is still due now.
        reason: the engine's reason when it is not (paid, disputed, on hold...).
        owed_now: what the invoice's customer owes on it now.
        previewed: what the preview showed (None for an entry written before amounts were kept).
        currency: the invoice's currency.
    """

    invoice_id: str
    number: str
    due: bool
    reason: str
    owed_now: Decimal
    previewed: Decimal | None
    currency: str

    @property
    def amount_changed(self) -> bool:
        """Still due, but the amount owed is no longer the one the approver would see."""
        return self.due and self.previewed is not None and self.previewed != self.owed_now

    def __str__(self) -> str:
        """One line for a person: ``2026-0001: still due`` and what changed."""
        if not self.due:
            return f"{self.number}: no longer due ({self.reason})"
        if self.amount_changed:
            return (
                f"{self.number}: still due, {self.owed_now} {self.currency} owed now"
                f" ({self.previewed} in its preview: the next run updates it)"
            )
        return f"{self.number}: still due"


def still_due(
    entry: LogEntry,
    histories: Mapping[str, InvoiceHistory],
    scenario: ScenarioChoice,
    *,
    at: datetime,
) -> tuple[CoverStatus, ...]:
    """For each invoice *entry* covers, whether its step is still due at *at*, and for how much.

    Args:
        entry: the log entry (usually ``pending_approval``).
        histories: the covered invoices' histories, by invoice id (events the log implies
            included, as the store gives them).
        scenario: what picks each customer's scenario, as the runner has it.
        at: the instant to ask at (timezone-aware).

    Raises:
        NotFoundError: (a `KeyError`) if a covered invoice has no history in *histories*.

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from dunning.core.action_log import Covered, EntryStatus, LogEntry
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.core.engine import action_id
        >>> from dunning.core.model import Channel, Payment
        >>> from dunning.core.render import Message
        >>> from dunning.testing import make_invoice, paris
        >>> invoice = make_invoice(due_on=date(2026, 5, 4))
        >>> cover = Covered("INV-001", action_id("INV-001", "informative"), "informative",
        ...                 Decimal("1200.00"))
        >>> entry = LogEntry(key="m1", customer_id="C-001", channel=Channel.EMAIL,
        ...     covers=(cover,), message=Message(action_id="m1", channel=Channel.EMAIL,
        ...     template="friendly", locale="fr_FR", subject="Relance", text="Relance"),
        ...     status=EntryStatus.PENDING_APPROVAL,
        ...     owner="r1", reserved_at=paris(2026, 5, 5), updated_at=paris(2026, 5, 5))
        >>> paid = Payment(on=date(2026, 5, 5), amount="200.00")
        >>> [str(s) for s in still_due(entry, {"INV-001": InvoiceHistory(invoice=invoice,
        ...     events=(paid,))}, STANDARD, at=paris(2026, 5, 5, 10))]
        ['2026-0001: still due, 1000.00 EUR owed now (1200.00 in its preview: the next run updates it)']
    """  # noqa: E501  (a doctest line)
    from dunning.exceptions import NotFoundError  # noqa: PLC0415

    choose = as_chooser(scenario)
    paid_history = payment_history(histories.values(), at=at)
    out: list[CoverStatus] = []
    for covered in entry.covers:
        history = histories.get(covered.invoice_id)
        if history is None:
            msg = f"no history given for invoice {covered.invoice_id!r}"
            raise NotFoundError(msg)
        invoice = history.invoice
        decision = decide(invoice, history.events, choose(invoice.customer, paid_history), at=at)
        due = any(action.id == covered.action_id for action in decision.actions)
        out.append(
            CoverStatus(
                invoice_id=invoice.id,
                number=invoice.number,
                due=due,
                reason="" if due else decision.reason,
                owed_now=decision.outstanding,
                previewed=covered.amount_due,
                currency=invoice.currency,
            )
        )
    return tuple(out)
