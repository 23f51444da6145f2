"""Lifecycle statuses of an electronic invoice, as dunning facts: one table, one function.

How this works: the French e-invoicing reform exchanges an invoice's life cycle as status
messages (CDAR, UN/CEFACT Cross Domain Acknowledgement And Response) with the codes of AFNOR
XP Z12-012 (annex A, "cycle de vie"), profiled by the FNFE-MPE specifications ("Flux 6",
external specifications of the DGFiP, v3.1). Everything that decides what a status does to
dunning lives in `LIFECYCLE_STATUSES` below; `lifecycle_event` only reads it. Statuses that
say nothing about what is owed (deposited, received, made available, approved...) give no
fact. Four statuses are mandatory for every platform: 200, 210, 212 and 213.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from dunning.exceptions import EInvoiceError, NotFoundError
from dunning.model import (
    DisputeOpened,
    DunningStopped,
    Event,
    HoldLifted,
    HoldPlaced,
    Payment,
)

__all__ = [
    "LIFECYCLE_STATUSES",
    "PAYMENT_IN_TRANSIT_DAYS",
    "LifecycleEffect",
    "LifecycleStatus",
    "lifecycle_event",
]

PAYMENT_IN_TRANSIT_DAYS = 7
"""Days a 211 "Paiement transmis" holds dunning by default: money on its way is not chased."""


class LifecycleEffect(StrEnum):
    """What a status does to dunning (the fact `lifecycle_event` returns)."""

    NONE = "none"
    """No fact: the status says nothing about what is owed."""
    DISPUTE = "dispute"
    """`DisputeOpened`: dunning pauses until the dispute is resolved."""
    PARTIAL_DISPUTE = "partial_dispute"
    """`DisputeOpened` on the amount not approved only."""
    HOLD = "hold"
    """`HoldPlaced` until lifted: dunning pauses."""
    BLOCK = "block"
    """`HoldPlaced` until the invoice is deposited again: nothing is chased meanwhile."""
    SHORT_HOLD = "short_hold"
    """`HoldPlaced` for a few days (`PAYMENT_IN_TRANSIT_DAYS` by default)."""
    HOLD_LIFTED = "hold_lifted"
    """`HoldLifted`: dunning resumes."""
    PAYMENT = "payment"
    """`Payment` of the amount collected."""
    STOP = "stop"
    """`DunningStopped`: the invoice is no longer the creditor's to chase."""


@dataclass(frozen=True, slots=True)
class LifecycleStatus:
    """One lifecycle status: its code, its French name, and what it does to dunning."""

    code: int
    name: str
    """The name in XP Z12-012 (French)."""
    effect: LifecycleEffect
    mandatory: bool = False
    """One of the four statuses every platform must exchange."""


_E = LifecycleEffect

LIFECYCLE_STATUSES = MappingProxyType(
    {
        s.code: s
        for s in (
            # AFNOR XP Z12-012 annex A (cycle de vie), FNFE-MPE / DGFiP external specs "Flux 6".
            LifecycleStatus(200, "Déposée", _E.NONE, mandatory=True),
            LifecycleStatus(201, "Émise par la plateforme", _E.NONE),
            LifecycleStatus(202, "Reçue par la plateforme", _E.NONE),
            LifecycleStatus(203, "Mise à disposition", _E.NONE),
            LifecycleStatus(204, "Prise en charge", _E.NONE),
            LifecycleStatus(205, "Approuvée", _E.NONE),
            # The buyer approves part: the part not approved is disputed, the rest is chased.
            LifecycleStatus(206, "Approuvée partiellement", _E.PARTIAL_DISPUTE),
            LifecycleStatus(207, "En litige", _E.DISPUTE),
            # The buyer suspends processing (a document missing); 209 when it is supplied.
            LifecycleStatus(208, "Suspendue", _E.HOLD),
            LifecycleStatus(209, "Complétée", _E.HOLD_LIFTED),
            # Refused by the buyer: not owed as issued (a credit note or a new invoice follows).
            LifecycleStatus(210, "Refusée", _E.STOP, mandatory=True),
            # The buyer says payment is on its way: a short hold, not a payment.
            LifecycleStatus(211, "Paiement transmis", _E.SHORT_HOLD),
            LifecycleStatus(212, "Encaissée", _E.PAYMENT, mandatory=True),
            # Rejected by a platform (format, routing): deemed not received until deposited
            # again. The host lifts the block (`HoldLifted`) when it deposits it again.
            LifecycleStatus(213, "Rejetée", _E.BLOCK, mandatory=True),
            LifecycleStatus(220, "Annulée", _E.STOP),
            LifecycleStatus(221, "Erreur de routage", _E.BLOCK),
            # Assigned to a factor: the factor collects, the creditor no longer chases.
            LifecycleStatus(225, "Affacturée", _E.STOP),
        )
    }
)
"""The statuses dunning knows, by code, with what each does (AFNOR XP Z12-012, FNFE-MPE)."""


def lifecycle_event(
    code: int | str,
    *,
    invoice_id: str,
    on: date,
    amount: Decimal | None = None,
    reason: str | None = None,
    transit_days: int = PAYMENT_IN_TRANSIT_DAYS,
) -> Event | None:
    """The dunning fact a lifecycle status of invoice *invoice_id* states (see the table).

    Args:
        code: the status code (``212`` or ``"212"``).
        invoice_id: the invoice the status is about (named in errors and reasons).
        on: the status date.
        amount: 212: the amount collected (required); 206: the amount not approved.
        reason: the status reason, if the message gives one (kept in the fact).
        transit_days: how long a 211 "Paiement transmis" holds dunning.

    Returns:
        The event to record on the invoice, or None for a status that states no fact.

    Raises:
        NotFoundError: for a code the table does not list (the message lists those it does).
        EInvoiceError: ``missing_element`` for a 212 without an amount.

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> lifecycle_event(212, invoice_id="F-1", on=date(2026, 10, 2), amount=Decimal("1200.00"))
        Payment(kind='payment', on=datetime.date(2026, 10, 2), amount=Decimal('1200.00'), ...)
        >>> lifecycle_event("210", invoice_id="F-1", on=date(2026, 10, 2)).kind
        'dunning_stopped'
        >>> print(lifecycle_event(204, invoice_id="F-1", on=date(2026, 10, 2)))
        None
    """
    status = LIFECYCLE_STATUSES.get(int(code)) if str(code).strip().isdigit() else None
    if status is None:
        known = ", ".join(str(c) for c in LIFECYCLE_STATUSES)
        msg = f"unknown lifecycle status {code!r} for invoice {invoice_id!r}: known are {known}"
        raise NotFoundError(msg)
    said = f"{status.code} {status.name}" + (f": {reason}" if reason else "")
    return effect_event(
        status.effect,
        said=said,
        source=f"status {status.code}",
        invoice_id=invoice_id,
        on=on,
        amount=amount,
        transit_days=transit_days,
    )


def effect_event(  # noqa: PLR0911  (one branch per effect)
    effect: LifecycleEffect,
    *,
    said: str,
    source: str,
    invoice_id: str,
    on: date,
    amount: Decimal | None,
    transit_days: int,
) -> Event | None:
    """The fact *effect* states; *said* names the status in reasons, *source* in errors."""
    if effect is _E.NONE:
        return None
    if effect is _E.PAYMENT:
        if amount is None:
            msg = f"{source} needs the amount collected (invoice {invoice_id!r})"
            raise EInvoiceError(msg, source=source, code="missing_element")
        return Payment(on=on, amount=amount, reference=source)
    if effect is _E.DISPUTE:
        return DisputeOpened(on=on, reason=said)
    if effect is _E.PARTIAL_DISPUTE:
        return DisputeOpened(on=on, reason=said, amount=amount)
    if effect is _E.HOLD:
        return HoldPlaced(on=on, reason=said)
    if effect is _E.BLOCK:
        return HoldPlaced(on=on, reason=f"{said} (until deposited again)")
    if effect is _E.SHORT_HOLD:
        return HoldPlaced(on=on, reason=said, until=on + timedelta(days=transit_days))
    if effect is _E.HOLD_LIFTED:
        return HoldLifted(on=on)
    return DunningStopped(on=on, reason=said)
