"""Public buyers on Chorus Pro: what each invoice status does to dunning, and the legal dates.

Invoices to the State, local authorities and public establishments still go through Chorus Pro
after the 2026 reform. Its statuses (the ``statutFacture`` values of the Chorus Pro API) map to
the same effects as the reform's lifecycle statuses (`LifecycleEffect`), in one table,
`CHORUS_STATUSES`. Two dates follow from the Code de la commande publique:

- the payment period runs from the receipt of the invoice, which for an invoice on the portal
  is the notice that it was made available ("Mise à disposition"): `public_payment_due`
  (R2192-10: 30 days for the State and local authorities, 50 for public hospitals, 60 for
  public companies; R2392-12-1 states the receipt rule in the same words for defence
  contracts, and the DGFiP instruction of 22 February 2017 applies it to every public buyer);
- late-payment interest and the 40 EUR indemnity are owed without a request, and must be paid
  within 45 days of the payment of the principal: `public_penalties_due` (R2192-36).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from dunning.einvoice._lifecycle import PAYMENT_IN_TRANSIT_DAYS, LifecycleEffect, effect_event
from dunning.exceptions import NotFoundError
from dunning.model import Event

__all__ = [
    "CHORUS_STATUSES",
    "PENALTIES_PAYMENT_DAYS",
    "PUBLIC_PAYMENT_DAYS",
    "ChorusStatus",
    "chorus_status_event",
    "public_payment_due",
    "public_penalties_due",
]

PENALTIES_PAYMENT_DAYS = 45
"""R2192-36: interest and indemnity are paid within 45 days of the payment of the principal."""


PUBLIC_PAYMENT_DAYS = MappingProxyType(
    {
        "state": 30,
        "local_authority": 30,
        "public_hospital": 50,
        "public_company": 60,
    }
)
"""The longest payment period of each kind of public buyer, in days (R2192-10): the State and
local authorities 30, public health establishments 50, public companies 60."""


@dataclass(frozen=True, slots=True)
class ChorusStatus:
    """One Chorus Pro invoice status: its API value, its label, and what it does to dunning."""

    value: str
    label: str
    effect: LifecycleEffect
    starts_period: bool = False
    """The buyer's payment period runs from this status's date (`public_payment_due`)."""


_E = LifecycleEffect

CHORUS_STATUSES = MappingProxyType(
    {
        s.value: s
        for s in (
            ChorusStatus("DEPOSEE", "Déposée", _E.NONE),
            ChorusStatus("EN_COURS_ACHEMINEMENT", "En cours d'acheminement", _E.NONE),
            # Received: the payment period starts (R2192-10, receipt = notice of availability).
            ChorusStatus("MISE_A_DISPOSITION", "Mise à disposition", _E.NONE, starts_period=True),
            # Sent to the wrong service: not received until routed again.
            ChorusStatus("A_RECYCLER", "À recycler", _E.BLOCK),
            # Rejected by the buyer: not owed as issued; a new invoice must be deposited.
            ChorusStatus("REJETEE", "Rejetée", _E.STOP),
            # The buyer suspends the period, once, for missing documents (R2192-27)...
            ChorusStatus("SUSPENDUE", "Suspendue", _E.HOLD),
            # ...and it runs again when the supplier completes the invoice.
            ChorusStatus("COMPLETEE", "Complétée", _E.HOLD_LIFTED),
            ChorusStatus("SERVICE_FAIT", "Service fait", _E.NONE),
            ChorusStatus("MANDATEE", "Mandatée", _E.NONE),
            ChorusStatus("MISE_A_DISPOSITION_COMPTABLE", "Mise à disposition comptable", _E.NONE),
            ChorusStatus("COMPTABILISEE", "Comptabilisée", _E.NONE),
            # Payment ordered: money on its way is not chased (like 211 "Paiement transmis").
            ChorusStatus("MISE_EN_PAIEMENT", "Mise en paiement", _E.SHORT_HOLD),
        )
    }
)
"""The Chorus Pro statuses dunning knows, by API value, with what each does."""


def chorus_status_event(
    status: str,
    *,
    invoice_id: str,
    on: date,
    reason: str | None = None,
    transit_days: int = PAYMENT_IN_TRANSIT_DAYS,
) -> Event | None:
    """The dunning fact a Chorus Pro status of invoice *invoice_id* states (`CHORUS_STATUSES`).

    Args:
        status: the ``statutFacture`` value, e.g. ``SUSPENDUE`` (case and spaces ignored,
            ``SERVICE-FAIT`` read as ``SERVICE_FAIT``).
        invoice_id: the invoice the status is about.
        on: the status date.
        reason: the buyer's reason (a rejection or a suspension gives one), kept in the fact.
        transit_days: how long ``MISE_EN_PAIEMENT`` holds dunning.

    Returns:
        The event to record, or None for a status that states no fact.

    Raises:
        NotFoundError: a status the table does not list (the message lists those it does).

    Examples:
        >>> from datetime import date
        >>> chorus_status_event("SUSPENDUE", invoice_id="F-1", on=date(2026, 10, 5),
        ...                     reason="bon de commande manquant").kind
        'hold_placed'
        >>> chorus_status_event("MISE_EN_PAIEMENT", invoice_id="F-1", on=date(2026, 11, 2)).until
        datetime.date(2026, 11, 9)
        >>> print(chorus_status_event("SERVICE_FAIT", invoice_id="F-1", on=date(2026, 10, 9)))
        None
    """
    key = status.strip().upper().replace("-", "_").replace(" ", "_")
    found = CHORUS_STATUSES.get(key)
    if found is None:
        known = ", ".join(CHORUS_STATUSES)
        msg = f"unknown Chorus Pro status {status!r} for invoice {invoice_id!r}: known are {known}"
        raise NotFoundError(msg)
    said = f"Chorus Pro {found.label}" + (f": {reason}" if reason else "")
    return effect_event(
        found.effect,
        said=said,
        source=f"Chorus Pro status {found.value}",
        invoice_id=invoice_id,
        on=on,
        amount=None,
        transit_days=transit_days,
    )


def public_payment_due(made_available_on: date, buyer: str | int = "state") -> date:
    """The day a public buyer must have paid by: the period runs from "Mise à disposition".

    The period is counted in calendar days from the day after the invoice was made available
    on the portal (R2192-10); the result is the last day of the period.

    Args:
        made_available_on: the date of the ``MISE_A_DISPOSITION`` status.
        buyer: the kind of buyer (a key of `PUBLIC_PAYMENT_DAYS`), or the period in days a
            contract states (it may be shorter, never longer: 1 to 60).

    Raises:
        ValueError: an unknown kind, or a period of no days or over 60 days.

    Examples:
        >>> from datetime import date
        >>> public_payment_due(date(2026, 10, 5))
        datetime.date(2026, 11, 4)
        >>> public_payment_due(date(2026, 10, 5), "public_hospital")
        datetime.date(2026, 11, 24)
    """
    if isinstance(buyer, str):
        if buyer not in PUBLIC_PAYMENT_DAYS:
            known = ", ".join(PUBLIC_PAYMENT_DAYS)
            msg = f"buyer: unknown kind of public buyer {buyer!r}: known are {known}"
            raise ValueError(msg)
        days = PUBLIC_PAYMENT_DAYS[buyer]
    else:
        days = buyer
    if isinstance(days, bool) or not 0 < days <= max(PUBLIC_PAYMENT_DAYS.values()):
        msg = f"buyer: a public buyer's payment period is 1 to 60 days, not {days}"
        raise ValueError(msg)
    return made_available_on + timedelta(days=days)


def public_penalties_due(principal_paid_on: date) -> date:
    """The day a public buyer must have paid the interest and the 40 EUR indemnity by.

    Both are owed without a request, and paid within 45 days of the payment of the principal
    (R2192-36).

    Examples:
        >>> from datetime import date
        >>> public_penalties_due(date(2026, 11, 20))
        datetime.date(2027, 1, 4)
    """
    return principal_paid_on + timedelta(days=PENALTIES_PAYMENT_DAYS)
