"""The money of an invoice, read in one place: what is settled, what is still owed, and since when.

How this works
--------------
Every figure about an invoice's money follows from one rule: **payments and credit notes settle
the oldest part first** (the single due date, or the installments in due-date order). A part of
*amount*, preceded by older parts owing *before* in all, still owes
``min(amount, max(0, before + amount - settled))`` once *settled* has been received
(`part_owed`). From it:

- the *balance* at the end of a day is the total less the money dated on or before it, never
  below zero;
- the *tranches* are the ``(due date, outstanding)`` of the parts still owed;
- the *anchor* is the due date of the oldest part still owed (`oldest_unpaid`): the day the
  invoice's lateness, its dunning ladder and its interest run from.

`Ledger` reads an invoice's history once (its payments and credit notes, by date) and answers
these questions for any local day; `amount_outstanding`, `overdue_since`, `days_late` and
`paid_on` are its one-line front doors. The engine, the metrics and the penalty computation ask
the same functions, so the rule is written once.

Money received from a customer but not allocated to an invoice (a transfer "on account") is
imputed by `impute_on_account`, under Code civil art. 1342-10 by default (see its docstring and
docs/ledger.md). Within an invoice, imputed money pays the principal (the balance); the
interest stays claimable separately (debtor-friendly, as accounting does; art. 1343-1 would
allow interest first, which this module does not do).

Examples:
    >>> from datetime import date
    >>> from dunning.core.model import CreditNote, Customer, Installment, Invoice, Payment
    >>> inv = Invoice(id="F-1", number="2026-0001", customer=Customer(id="C", name="C"),
    ...               issued_on=date(2026, 1, 5), total="300.00", installments=(
    ...                   Installment(due_on=date(2026, 2, 4), amount="100.00"),
    ...                   Installment(due_on=date(2026, 3, 4), amount="200.00")))
    >>> ledger = Ledger(inv, [Payment(on=date(2026, 2, 10), amount="150.00")])
    >>> ledger.balance(on=date(2026, 3, 10)), ledger.tranches(on=date(2026, 3, 10))
    (Decimal('150.00'), ((datetime.date(2026, 3, 4), Decimal('150.00')),))
    >>> ledger.anchor(on=date(2026, 2, 9)), ledger.anchor(on=date(2026, 2, 10))
    (datetime.date(2026, 2, 4), datetime.date(2026, 3, 4))
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter, itemgetter
from typing import Literal

from pydantic import BaseModel

from dunning.core._types import MODEL_CONFIG, Currency, PositiveAmount
from dunning.core.model import CreditNote, Event, Invoice, Payment, corrected
from dunning.exceptions import InvoiceHistoryError

__all__ = [
    "Imputation",
    "ImputationRule",
    "Ledger",
    "MoneyOnAccount",
    "Movement",
    "amount_outstanding",
    "days_late",
    "impute_on_account",
    "oldest_unpaid",
    "overdue_since",
    "paid_on",
    "part_owed",
    "standing",
    "standing_after",
]

_ZERO = Decimal(0)
_MONEY = (Payment, CreditNote)
_BY_DAY = attrgetter("on")

Schedule = Sequence[tuple[date, Decimal]]
"""``(due date, amount)`` of each part of an invoice, in due-date order (`Invoice.schedule`)."""


# ------------------------------------------------------------------------------- the rule


def part_owed(amount: Decimal, before: Decimal, settled: Decimal) -> Decimal:
    """What a part of *amount* still owes once *settled* was received, oldest parts first.

    Args:
        amount: the part's amount.
        before: what the older parts of the invoice amount to (they are settled first).
        settled: the money received (payments and credit notes) so far.

    Returns:
        Between 0 and *amount*: *amount* itself while the money has not reached this part.

    Examples:
        >>> part_owed(Decimal("100"), Decimal("50"), Decimal("120"))
        Decimal('30')
        >>> part_owed(Decimal("100"), Decimal("50"), Decimal("10")), part_owed(
        ...     Decimal("100"), Decimal("0"), Decimal("100"))
        (Decimal('100'), Decimal('0'))
    """
    left = before + amount - settled
    if left >= amount:
        return amount
    return left if left > 0 else _ZERO


def oldest_unpaid(schedule: Schedule, settled: Decimal) -> date | None:
    """Due date of the oldest part of *schedule* that *settled* does not cover, if any.

    Args:
        schedule: ``(due date, amount)`` parts in due-date order (`Invoice.schedule`).
        settled: the money received so far.

    Returns:
        That due date, passed or not; None when the money covers every part.

    Examples:
        >>> parts = [(date(2026, 2, 4), Decimal("100")), (date(2026, 3, 4), Decimal("200"))]
        >>> oldest_unpaid(parts, Decimal("99.99")), oldest_unpaid(parts, Decimal("100"))
        (datetime.date(2026, 2, 4), datetime.date(2026, 3, 4))
        >>> oldest_unpaid(parts, Decimal("300")) is None
        True
    """
    cumulative = _ZERO
    for due, amount in schedule:
        cumulative += amount
        # A part still owes exactly when `part_owed` is positive: settled < before + amount.
        if settled < cumulative:
            return due
    return None


def _parts_owed(schedule: Schedule, settled: Decimal) -> tuple[tuple[date, Decimal], ...]:
    parts: list[tuple[date, Decimal]] = []
    before = _ZERO
    for due, amount in schedule:
        remaining = part_owed(amount, before, settled)
        before += amount
        if remaining > 0:
            parts.append((due, remaining))
    return tuple(parts)


def standing_after(invoice: Invoice, settled: Decimal) -> tuple[Decimal, date | None]:
    """The balance and the anchor of *invoice* once *settled* was received.

    For a caller that has already summed the money of a day (the engine, while it reads the
    history once): what `standing` answers from that sum.

    Returns:
        ``(balance, anchor)``, as `standing`.

    Examples:
        >>> from dunning.core.model import Customer
        >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="100.00")
        >>> standing_after(inv, Decimal(30))
        (Decimal('70.00'), datetime.date(2026, 2, 4))
        >>> standing_after(inv, Decimal("100.00"))
        (Decimal('0.00'), None)
    """
    total = invoice.total
    due_on = invoice.due_on
    if due_on is not None:  # a single due date (most invoices): `oldest_unpaid` in one test
        anchor = due_on if settled < total else None
    else:
        anchor = oldest_unpaid(invoice.schedule, settled)
    # As max(balance, 0), which keeps the balance's own exponent when it is zero.
    return max(total - settled, _ZERO), anchor


def standing(invoice: Invoice, events: Iterable[Event], *, on: date) -> tuple[Decimal, date | None]:
    """The balance and the anchor of *invoice* at the end of day *on*, in one pass over *events*.

    What `Ledger.standing` answers, without building a `Ledger`: for a caller that asks about
    one day only (the engine, once per decision).

    Returns:
        ``(balance, anchor)``: what is still owed (never negative) and the due date of the
        oldest part still owed (None when nothing is).

    Examples:
        >>> from dunning.core.model import Customer
        >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="100.00")
        >>> standing(inv, [Payment(on=date(2026, 2, 1), amount="30")], on=date(2026, 2, 1))
        (Decimal('70.00'), datetime.date(2026, 2, 4))
    """
    settled = _ZERO
    for e in corrected(invoice, events):
        if isinstance(e, _MONEY) and e.on <= on:
            settled += e.amount
    return standing_after(invoice, settled)


# ----------------------------------------------------------------------------- the ledger


@dataclass(frozen=True, slots=True)
class Movement:
    """One payment or credit note of an invoice, as a statement shows it.

    Attributes:
        on: its date.
        amount: what it settles.
        kind: ``payment`` or ``credit_note``.
        reference: the payment's reference or the credit note's number, if any.

    Examples:
        >>> Movement(on=date(2026, 2, 10), amount=Decimal("200.00"), kind="payment",
        ...          reference="VIR 123")
        Movement(on=datetime.date(2026, 2, 10), amount=Decimal('200.00'), kind='payment', ...)
    """

    on: date
    amount: Decimal
    kind: Literal["payment", "credit_note"]
    reference: str | None = None


class Ledger:
    """The money of one invoice, read once from its history, answered for any day.

    Only payments and credit notes are read (other events are skipped), by date; money dated
    the same day keeps the host's order. A reversed payment or credit note never happened
    (`corrected`). Nothing else is checked here: `check_history` does that (currency, dates
    before the invoice), and `corrected` for a history with reversals.

    Args:
        invoice: the invoice.
        events: its history (any iterable, read once).

    Examples:
        >>> from dunning.core.model import Customer
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="100.00")
        >>> ledger = Ledger(inv, [Payment(on=date(2026, 2, 20), amount="40"),
        ...                       CreditNote(on=date(2026, 1, 9), amount="30", number="AV-1")])
        >>> ledger.settled(on=date(2026, 1, 31)), ledger.balance(on=date(2026, 2, 20))
        (Decimal('30'), Decimal('30.00'))
        >>> [(m.on.isoformat(), m.kind, m.reference) for m in ledger.movements()]
        [('2026-01-09', 'credit_note', 'AV-1'), ('2026-02-20', 'payment', None)]
        >>> ledger.days_late(on=date(2026, 3, 1)), ledger.paid_on() is None
        (25, True)
    """

    __slots__ = ("_days", "_money", "_running", "invoice")

    def __init__(self, invoice: Invoice, events: Iterable[Event]) -> None:
        """Read the payments and credit notes of *events* once, in date order, as corrected."""
        self.invoice = invoice
        # An empty list or tuple is falsy: nothing to read (most histories). Any other
        # iterable is read here, once.
        history = corrected(invoice, events) if events else ()
        money = [e for e in history if isinstance(e, _MONEY)] if history else []
        if len(money) > 1:
            money.sort(key=_BY_DAY)  # stable: same-day money keeps the host's order
        self._money = money
        self._days = [e.on for e in money] if money else []
        # running[i]: what the first i movements settle, from Decimal(0) so that a balance
        # keeps the total's own exponent.
        running = [_ZERO]
        total = _ZERO
        for e in money:
            total += e.amount
            running.append(total)
        self._running = running

    def settled(self, *, on: date) -> Decimal:
        """What payments and credit notes dated on or before *on* settle (may exceed the total).

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, [Payment(on=date(2026, 2, 1), amount=60)]).settled(
            ...     on=date(2026, 1, 31))
            Decimal('0')
        """
        return self._running[bisect_right(self._days, on)]

    def standing(self, *, on: date) -> tuple[Decimal, date | None]:
        """The balance and the anchor at the end of day *on*, in one look-up.

        Returns:
            ``(balance, anchor)``: as `balance` and `anchor` give them.

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, [Payment(on=date(2026, 2, 1), amount=100)]).standing(
            ...     on=date(2026, 2, 1))
            (Decimal('0'), None)
        """
        return standing_after(self.invoice, self._running[bisect_right(self._days, on)])

    def received_between(self, first: date, last: date) -> Decimal:
        """What the money dated from *first* to *last* (both included) settles.

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, [Payment(on=date(2026, 2, 1), amount=60)]).received_between(
            ...     date(2026, 2, 1), date(2026, 2, 1))
            Decimal('60')
        """
        if last < first:
            return _ZERO
        days, running = self._days, self._running
        return running[bisect_right(days, last)] - running[bisect_left(days, first)]

    def balance(self, *, on: date) -> Decimal:
        """What is still owed at the end of day *on*: the total less the money, never negative.

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, [Payment(on=date(2026, 2, 1), amount=160)]).balance(
            ...     on=date(2026, 2, 1))
            Decimal('0')
        """
        return self.standing(on=on)[0]

    def tranches(self, *, on: date) -> tuple[tuple[date, Decimal], ...]:
        """``(due date, outstanding)`` of each part still owed at the end of day *on*.

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, [Payment(on=date(2026, 2, 1), amount=60)]).tranches(
            ...     on=date(2026, 2, 1))
            ((datetime.date(2026, 2, 4), Decimal('40')),)
        """
        return _parts_owed(self.invoice.schedule, self.settled(on=on))

    def anchor(self, *, on: date) -> date | None:
        """Due date of the oldest part still owed at the end of day *on*, passed or not.

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, []).anchor(on=date(2026, 1, 10))
            datetime.date(2026, 2, 4)
        """
        return self.standing(on=on)[1]

    def overdue_since(self, *, on: date) -> date | None:
        """The anchor at *on*, if that due date has passed (None if nothing is late).

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, []).overdue_since(on=date(2026, 2, 4)) is None
            True
        """
        anchor = self.anchor(on=on)
        return anchor if anchor is not None and anchor < on else None

    def days_late(self, *, on: date) -> int:
        """Days the oldest unpaid part is overdue at *on* (0 if none is; the due date is not late).

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, []).days_late(on=date(2026, 2, 5))
            1
        """
        since = self.overdue_since(on=on)
        return 0 if since is None else (on - since).days

    def paid_on(self, *, tolerance: Decimal = _ZERO) -> date | None:
        """The day the balance first fell to *tolerance* or below, or None if it has not.

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, [Payment(on=date(2026, 2, 9), amount=99)]).paid_on(
            ...     tolerance=Decimal(1))
            datetime.date(2026, 2, 9)
        """
        total = self.invoice.total
        for day, settled in zip(self._days, self._running[1:], strict=True):
            if total - settled <= tolerance:
                return day
        return None

    def movements(self, *, on: date | None = None) -> tuple[Movement, ...]:
        """The payments and credit notes dated on or before *on* (all of them without), by date.

        Examples:
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
            >>> Ledger(inv, [Payment(on=date(2026, 2, 9), amount=99)]).movements(
            ...     on=date(2026, 2, 8))
            ()
        """
        money = self._money if on is None else self._money[: bisect_right(self._days, on)]
        return tuple(
            Movement(on=e.on, amount=e.amount, kind=e.kind, reference=e.reference)
            if isinstance(e, Payment)
            else Movement(on=e.on, amount=e.amount, kind=e.kind, reference=e.number)
            for e in money
        )


# ---------------------------------------------------------------------------- front doors


def amount_outstanding(invoice: Invoice, events: Iterable[Event], *, on: date) -> Decimal:
    """What is still owed at the end of day *on*: total less payments and credit notes.

    Never negative: an overpayment leaves nothing outstanding (`Ledger.balance`).

    Examples:
        >>> from dunning.core.model import Customer
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="100.00")
        >>> amount_outstanding(inv, [CreditNote(on=date(2026, 1, 9), amount="30")],
        ...                    on=date(2026, 1, 31))
        Decimal('70.00')
    """
    return Ledger(invoice, events).balance(on=on)


def overdue_since(invoice: Invoice, events: Iterable[Event], *, on: date) -> date | None:
    """Due date of the oldest part of *invoice* still unpaid at *on*, if that date has passed.

    Payments and credit notes are applied to installments in due-date order
    (`Ledger.overdue_since`).

    Examples:
        >>> from dunning.core.model import Customer
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="100.00")
        >>> overdue_since(inv, [], on=date(2026, 2, 5))
        datetime.date(2026, 2, 4)
    """
    return Ledger(invoice, events).overdue_since(on=on)


def days_late(invoice: Invoice, events: Iterable[Event], *, on: date) -> int:
    """Days the oldest unpaid part of the invoice is overdue at *on* (0 if none is).

    The due date itself is not late: an invoice due on 4 Feb is 1 day late on 5 Feb.

    Examples:
        >>> from dunning.core.model import Customer
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="100.00")
        >>> days_late(inv, [], on=date(2026, 2, 4)), days_late(inv, [], on=date(2026, 3, 1))
        (0, 25)
    """
    return Ledger(invoice, events).days_late(on=on)


def paid_on(
    invoice: Invoice, events: Iterable[Event], *, tolerance: Decimal = _ZERO
) -> date | None:
    """The day the balance first fell to *tolerance* or below, or None if it has not.

    Examples:
        >>> from dunning.core.model import Customer
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="100.00")
        >>> paid_on(inv, [Payment(on=date(2026, 2, 1), amount="60"),
        ...               Payment(on=date(2026, 2, 20), amount="40")])
        datetime.date(2026, 2, 20)
    """
    return Ledger(invoice, events).paid_on(tolerance=tolerance)


# ---------------------------------------------------------------- money on account (1342-10)


class ImputationRule(StrEnum):
    """How `impute_on_account` orders the invoices a receipt pays.

    Under both rules a receipt whose reference names an invoice it pays in full goes to that
    invoice first (the debtor's allocation binds, C. civ. 1342-10 al. 1).
    """

    CIVIL_CODE = "civil_code"
    """C. civ. 1342-10 al. 2: debts due at the receipt date before those not yet due; among
    them the one the debtor had most interest to pay (the highest contractual late-payment
    rate; invoices without one are equal, after those with one), then the oldest due date,
    then the invoice id. The default."""
    OLDEST_FIRST = "oldest_first"
    """The oldest due date first, then the invoice id, whatever the rates (what many
    accounting tools do)."""


class MoneyOnAccount(BaseModel):
    """Money received from a customer and not allocated to an invoice (a payment on account).

    Attributes:
        on: the day it was received.
        amount: how much.
        currency: ISO 4217 code.
        reference: what the debtor wrote with it, e.g. an invoice id or number.

    Examples:
        >>> MoneyOnAccount(on=date(2026, 3, 5), amount="6000.00", reference="2026-0101")
        MoneyOnAccount(on=datetime.date(2026, 3, 5), amount=Decimal('6000.00'), currency='EUR', ...)
    """

    model_config = MODEL_CONFIG

    on: date
    amount: PositiveAmount
    currency: Currency = "EUR"
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Imputation:
    """Where money on account goes: payments to add to invoices, and what is left.

    Attributes:
        payments: invoice id -> the `Payment` events to add to its history, by date (only
            invoices that receive something).
        unallocated: currency -> what no invoice could take (0 when all was imputed), for
            every currency received.

    Examples:
        >>> Imputation(payments={}, unallocated={"EUR": Decimal("10.00")}).unallocated["EUR"]
        Decimal('10.00')
    """

    payments: Mapping[str, tuple[Payment, ...]]
    unallocated: Mapping[str, Decimal]


class _Account:
    """One invoice during an imputation: its ledger and what it has taken so far."""

    __slots__ = ("imputed", "invoice", "ledger")

    def __init__(self, invoice: Invoice, events: Iterable[Event]) -> None:
        """Read the payments and credit notes of *events* once, in date order."""
        self.invoice = invoice
        self.ledger = Ledger(invoice, events)
        self.imputed = _ZERO

    def day_for(self, receipt: MoneyOnAccount) -> date:
        # Money on account pays an invoice issued later from the day it is issued.
        return max(receipt.on, self.invoice.issued_on)

    def owed(self, day: date) -> Decimal:
        return max(self.invoice.total - self.ledger.settled(on=day) - self.imputed, _ZERO)

    def anchor(self, day: date) -> date | None:
        settled = self.ledger.settled(on=day) + self.imputed
        return oldest_unpaid(self.invoice.schedule, settled)


def _order(
    accounts: list[_Account], receipt: MoneyOnAccount, rule: ImputationRule
) -> list[_Account]:
    """The accounts still owing at the receipt, in the order the receipt pays them."""
    keyed: list[tuple[tuple[bool, bool, Decimal, date, str], _Account]] = []
    civil = rule is ImputationRule.CIVIL_CODE
    for account in accounts:
        anchor = account.anchor(account.day_for(receipt))
        if anchor is None:
            continue  # nothing owed
        invoice = account.invoice
        rate = invoice.contractual_rate if civil else None
        key = (
            civil and anchor > receipt.on,  # due debts first (1342-10 al. 2)
            civil and rate is None,  # then the most onerous: a stipulated rate first...
            -(rate or _ZERO),  # ...the highest one
            anchor,  # at equal interest, the oldest
            invoice.id,
        )
        keyed.append((key, account))
    keyed.sort(key=itemgetter(0))
    return [account for _, account in keyed]


def impute_on_account(
    invoices: Iterable[tuple[Invoice, Iterable[Event]]],
    receipts: Iterable[MoneyOnAccount],
    *,
    on: date,
    rule: ImputationRule | str = ImputationRule.CIVIL_CODE,
) -> Imputation:
    """Impute money received on account to a customer's invoices (C. civ. 1342-10).

    Receipts are taken in date order (same-day ones in the order given). A receipt whose
    ``reference`` names an invoice (by id, else by a number no other invoice has) that it pays
    in full goes to that invoice first; a reference to an invoice it does not pay in full is
    ignored. The rest goes to the invoices in the order of *rule* (see `ImputationRule`), each
    taking at most its balance at the imputation date (after its own payments and credit
    notes, and after what earlier receipts gave it), until the receipt is used up. Money never
    goes to an invoice in another currency. An invoice issued after the receipt can take what
    is left of it: the imputation is then dated its issue date. Within an invoice, the money
    pays the principal (its balance): interest up to the payment date stays claimable.

    Args:
        invoices: ``(invoice, events)`` of one customer; their order does not matter.
        receipts: the money received on account.
        on: the day of the imputation: receipts dated after it and invoices issued after it
            are left out.
        rule: ``civil_code`` (default) or ``oldest_first``.

    Returns:
        An `Imputation`: the `Payment` events to add per invoice id (dated the receipt's date,
        or the invoice's issue date if later; their reference says they are money on account),
        and what is left unallocated per currency.

    Raises:
        ValueError: for an unknown *rule*.
        InvoiceHistoryError: ``duplicate_invoice`` if two invoices have the same id.

    Examples:
        >>> from dunning.core.model import Customer
        >>> acme = Customer(id="C", name="ACME")
        >>> old = Invoice(id="F-1", number="2026-0001", customer=acme, issued_on=date(2026, 1, 2),
        ...               due_on=date(2026, 2, 1), total="300.00")
        >>> new = Invoice(id="F-2", number="2026-0002", customer=acme, issued_on=date(2026, 2, 2),
        ...               due_on=date(2026, 3, 4), total="500.00")
        >>> result = impute_on_account([(new, []), (old, [])],
        ...                            [MoneyOnAccount(on=date(2026, 2, 10), amount="400.00")],
        ...                            on=date(2026, 2, 28))
        >>> {k: [(str(p.on), str(p.amount)) for p in v] for k, v in result.payments.items()}
        {'F-1': [('2026-02-10', '300.00')], 'F-2': [('2026-02-10', '100.00')]}
        >>> result.unallocated, result.payments["F-1"][0].reference
        ({'EUR': Decimal('0.00')}, 'imputed on account (receipt of 2026-02-10)')
    """
    chosen = ImputationRule(rule)
    accounts: list[_Account] = []
    ids: set[str] = set()
    for n, (invoice, events) in enumerate(invoices):
        if invoice.id in ids:
            msg = f"invoice id {invoice.id!r} is given twice"
            raise InvoiceHistoryError(
                msg, invoice_id=invoice.id, location=f"invoices[{n}]", code="duplicate_invoice"
            )
        ids.add(invoice.id)
        if invoice.issued_on <= on:
            accounts.append(_Account(invoice, events))
    # What a reference may name: an invoice's id, else its number if no other invoice has it.
    numbers = Counter(a.invoice.number for a in accounts)
    named = {a.invoice.number: a for a in accounts if numbers[a.invoice.number] == 1}
    named.update((a.invoice.id, a) for a in accounts)
    payments: dict[str, list[Payment]] = {}
    unallocated: dict[str, Decimal] = {}
    for receipt in sorted((r for r in receipts if r.on <= on), key=_BY_DAY):
        currency = receipt.currency
        same = [a for a in accounts if a.invoice.currency == currency]
        order = _order(same, receipt, chosen)
        bound = named.get(receipt.reference) if receipt.reference is not None else None
        if (
            bound is not None
            and bound in order
            and receipt.amount >= bound.owed(bound.day_for(receipt))
        ):
            # 1342-10 al. 1: the debtor's own allocation binds when it pays that debt in full.
            order.remove(bound)
            order.insert(0, bound)
        left = receipt.amount
        for account in order:
            if left <= 0:
                break
            day = account.day_for(receipt)
            owed = account.owed(day)
            if owed <= 0:
                continue
            taken = min(left, owed)
            account.imputed += taken
            left -= taken
            payments.setdefault(account.invoice.id, []).append(
                Payment(
                    on=day,
                    amount=taken,
                    currency=currency,
                    reference=_reference(receipt),
                )
            )
        unallocated[currency] = unallocated.get(currency, _ZERO) + left
    return Imputation(
        payments={k: tuple(v) for k, v in sorted(payments.items())},
        unallocated=dict(sorted(unallocated.items())),
    )


def _reference(receipt: MoneyOnAccount) -> str:
    text = f"imputed on account (receipt of {receipt.on.isoformat()}"
    if receipt.reference is not None:
        text += f", ref. {receipt.reference}"
    return text + ")"
