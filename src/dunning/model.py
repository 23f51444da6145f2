"""Invoices, customers, the events of an invoice's history, and what a portfolio holds.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module.
"""

from __future__ import annotations

from dunning.core.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    Channel,
    Civility,
    CreditNote,
    Customer,
    CustomerKind,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    DunningStopped,
    Event,
    HoldLifted,
    HoldPlaced,
    Installment,
    Invoice,
    Payment,
    PaymentPlanAgreed,
    PenaltyWording,
    PromiseToPay,
    Reversal,
    ReversalReason,
    check_history,
    check_new_event,
    corrected,
    parse_events,
)
from dunning.core.portfolio import (
    InvoiceHistory,
    PaymentOnAccount,
    PortfolioEntry,
    UnappliedCreditNote,
)
from dunning.core.render import (
    Creditor,
)

__all__ = [
    "ActionApproved",
    "ActionRejected",
    "ActionTaken",
    "Channel",
    "Civility",
    "CreditNote",
    "Creditor",
    "Customer",
    "CustomerKind",
    "DeliveryFailed",
    "DisputeOpened",
    "DisputeResolved",
    "DunningStopped",
    "Event",
    "HoldLifted",
    "HoldPlaced",
    "Installment",
    "Invoice",
    "InvoiceHistory",
    "Payment",
    "PaymentOnAccount",
    "PaymentPlanAgreed",
    "PenaltyWording",
    "PortfolioEntry",
    "PromiseToPay",
    "Reversal",
    "ReversalReason",
    "UnappliedCreditNote",
    "check_history",
    "check_new_event",
    "corrected",
    "parse_events",
]
