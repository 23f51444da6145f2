"""Public helpers for testing scenarios: builders with sensible defaults, and recording.

These are part of the public API: use them in your own unit tests of a scenario, and of your
integration with the runner: `MemoryStore` is an in-memory invoice source and action log,
`MemorySender` a sender that keeps what it is given and can be told to fail or to crash
(`SimulatedCrash`) at the worst moment, and `FaultyLog` wraps any action log to make chosen
calls fail (`StorageFault`). `dunning.testing.contract` is the test suite a store must pass.

Examples:
    >>> from dunning import STANDARD, decide
    >>> from dunning.testing import make_invoice, paris, record
    >>> inv = make_invoice(due_on="2026-03-02")
    >>> d = decide(inv, [], STANDARD, at=paris(2026, 3, 3))
    >>> d.action.step_id
    'informative'
    >>> decide(inv, [record(d.action, at=paris(2026, 3, 3))], STANDARD,
    ...        at=paris(2026, 3, 3)).status.value
    'waiting'
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dunning.adapters.memory import MemorySender, MemoryStore, SimulatedCrash
from dunning.core.engine import Action
from dunning.core.model import ActionTaken, Customer, Invoice
from dunning.core.render import Creditor
from dunning.testing._faults import FaultyLog, StorageFault

__all__ = [
    "FaultyLog",
    "MemorySender",
    "MemoryStore",
    "SimulatedCrash",
    "StorageFault",
    "make_creditor",
    "make_customer",
    "make_invoice",
    "paris",
    "record",
]

_PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 10, minute: int = 30) -> datetime:
    """An aware instant in Europe/Paris (default 10:30, inside every default send window).

    Examples:
        >>> paris(2026, 7, 1).isoformat()
        '2026-07-01T10:30:00+02:00'
    """
    return datetime(year, month, day, hour, minute, tzinfo=_PARIS)


def make_creditor(**overrides: Any) -> Creditor:
    """Atelier Durand SAS in Lyon, with a valid IBAN and BIC; any field can be overridden.

    Examples:
        >>> make_creditor().email
        'compta@atelier-durand.example'
    """
    fields: dict[str, Any] = {
        "name": "Atelier Durand SAS",
        "address": "12 rue des Lilas, 69003 Lyon",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
        "email": "compta@atelier-durand.example",
    }
    fields.update(overrides)
    return Creditor.model_validate(fields)


def make_customer(**overrides: Any) -> Customer:
    """A French business customer in Paris; any field can be overridden.

    Examples:
        >>> make_customer(kind="consumer").kind.value
        'consumer'
    """
    fields: dict[str, Any] = {
        "id": "C-001",
        "name": "Boulangerie Martin SARL",
        "email": "compta@boulangerie-martin.example",
        "phone": "+33 1 23 45 67 89",
    }
    fields.update(overrides)
    return Customer.model_validate(fields)


def make_invoice(**overrides: Any) -> Invoice:
    """An invoice of 1,200.00 EUR issued 30 days before its due date; any field can be set.

    ``due_on`` defaults to 2026-03-02 and ``issued_on`` to 30 days earlier; ``customer``
    defaults to `make_customer()`.

    Examples:
        >>> make_invoice(total="99.90").total
        Decimal('99.90')
    """
    fields: dict[str, Any] = {
        "id": "INV-001",
        "number": "2026-0001",
        "total": Decimal("1200.00"),
        "currency": "EUR",
    }
    fields.update(overrides)
    if "customer" not in fields:
        fields["customer"] = make_customer()
    if "due_on" not in fields and "installments" not in fields:
        fields["due_on"] = date(2026, 3, 2)
    if "issued_on" not in fields:
        first_due = fields.get("due_on") or fields["installments"][0]["due_on"]
        first_due = date.fromisoformat(first_due) if isinstance(first_due, str) else first_due
        fields["issued_on"] = date.fromordinal(first_due.toordinal() - 30)
    return Invoice.model_validate(fields)


def record(action: Action, *, at: datetime) -> ActionTaken:
    """The `ActionTaken` event a host records once it has carried out *action* at *at*.

    Examples:
        >>> from dunning import STANDARD, decide
        >>> d = decide(make_invoice(), [], STANDARD, at=paris(2026, 3, 3))
        >>> record(d.action, at=paris(2026, 3, 3)).step_id
        'informative'
    """
    return ActionTaken(
        at=at,
        action_id=action.id,
        channel=action.channel,
        step_id=action.step_id,
        deadline_days=action.deadline_days,
    )
