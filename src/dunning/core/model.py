"""Customers, invoices and the dated events that make up an invoice's history.

An invoice's dunning state is never stored: it is derived from its events (payments, credit
notes, disputes, promises, actions taken...). The host hands the library an `Invoice` and the
list of its events; everything else (balance, lateness, pauses, next step) is computed. The
money of an invoice (balance, days late, when it was paid) is read by `dunning.core.ledger`.

All models are frozen pydantic models that reject unknown fields. Amounts are `Decimal` (a float
is refused with the code ``float_amount``), instants are timezone-aware (``naive_datetime``).
Events can be built from plain dicts with `parse_events`, using their ``kind`` field.

Examples:
    >>> from datetime import date
    >>> from decimal import Decimal
    >>> from dunning import Customer, Invoice, Payment
    >>> from dunning.penalties import amount_outstanding, days_late
    >>> acme = Customer(id="C1", name="ACME SARL")
    >>> inv = Invoice(id="F-1", number="2026-0001", customer=acme,
    ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="1200.00")
    >>> events = [Payment(on=date(2026, 2, 10), amount=Decimal("200.00"))]
    >>> amount_outstanding(inv, events, on=date(2026, 2, 20))
    Decimal('1000.00')
    >>> days_late(inv, events, on=date(2026, 2, 20))
    16
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, TypeAdapter, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dunning.core._countries import check_country, check_subdivision
from dunning.core._types import (
    MODEL_CONFIG,
    Amount,
    Currency,
    Instant,
    LocaleName,
    PositiveAmount,
    TimeZoneName,
    check_aware,
)
from dunning.exceptions import InvoiceHistoryError

__all__ = [
    "ActionApproved",
    "ActionRejected",
    "ActionTaken",
    "Channel",
    "Civility",
    "CreditNote",
    "Customer",
    "CustomerKind",
    "DeliveryFailed",
    "DisputeOpened",
    "DisputeResolved",
    "DunningStopped",
    "Event",
    "HistoryProblem",
    "HoldLifted",
    "HoldPlaced",
    "Installment",
    "Invoice",
    "Payment",
    "PaymentPlanAgreed",
    "PenaltyWording",
    "PromiseToPay",
    "Reversal",
    "ReversalReason",
    "check_aware",
    "check_history",
    "check_new_event",
    "corrected",
    "default_penalty_wording",
    "event_day",
    "history_problem",
    "parse_events",
]

NonEmptyStr = Annotated[str, Field(min_length=1)]

FactId = Annotated[str, Field(min_length=1)]
"""The host's id for a dated fact (a payment, a dispute...): what a `Reversal` names."""


class CustomerKind(StrEnum):
    """Who the debtor is; it decides the legal regime (penalties, indemnity, prescription)."""

    BUSINESS = "business"
    """A professional (B2B): penalties run from the due date, 40 EUR indemnity (L441-10)."""
    CONSUMER = "consumer"
    """A private person (B2C): legal rate from the formal notice, no indemnity."""
    PUBLIC = "public"
    """A public buyer (State, local authority, hospital): ECB + 8 points, indemnity."""


class Channel(StrEnum):
    """How an action reaches the customer (or, for tasks, the creditor's own staff)."""

    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    REGISTERED_LETTER = "registered_letter"
    """Lettre recommandée avec accusé de réception (LRAR)."""
    PHONE_TASK = "phone_task"
    """A call for someone on the creditor's side to make, with a script."""
    INTERNAL_ALERT = "internal_alert"
    """A message to the creditor's own staff (account manager, accountant)."""
    HANDOVER = "handover"
    """Hand the file to a collection agency or a lawyer."""


class Civility(StrEnum):
    """How a contact is addressed: Madame / Monsieur in French, Ms / Mr in English."""

    MS = "ms"
    MR = "mr"


class PenaltyWording(StrEnum):
    """What a message says about late-payment penalties (a step's ``penalty_wording``)."""

    NONE = "none"
    """Nothing: a courtesy or friendly note claims no penalties (the terms carry the mention)."""
    MENTION = "mention"
    """That penalties and, for businesses, the indemnity apply, without amounts."""
    AMOUNTS = "amounts"
    """The amounts owed: interest (with its rate, start date and legal basis) and indemnity."""


_PENALTY_WORDING_BY_KIND = {
    # The tone of a careful credit controller: no claim in a courtesy or friendly note, the
    # consequences in a reminder, the amounts from the last reminder before a formal notice on.
    "courtesy": PenaltyWording.NONE,
    "friendly": PenaltyWording.NONE,
    "reminder": PenaltyWording.MENTION,
}


def default_penalty_wording(kind: str) -> PenaltyWording:
    """What a step of *kind* says about penalties unless told otherwise.

    Examples:
        >>> default_penalty_wording("friendly"), default_penalty_wording("firm")
        (<PenaltyWording.NONE: 'none'>, <PenaltyWording.AMOUNTS: 'amounts'>)
    """
    return _PENALTY_WORDING_BY_KIND.get(kind, PenaltyWording.AMOUNTS)


class Customer(BaseModel):
    """The debtor: who they are, how and when they may be contacted.

    Attributes:
        id: the host's identifier.
        name: legal or display name.
        kind: business, consumer or public buyer (decides the legal regime).
        locale: language and formats of messages, e.g. ``fr_FR``.
        time_zone: IANA zone used for "today", business days and send windows.
        country: ISO country whose public holidays apply (``FR`` by default).
        subdivision: a subdivision the ``holidays`` package knows for that country, e.g. ``57``
            (Moselle), ``6AE`` (Alsace), ``974`` (La Réunion).
        segment: explicit segment used by a `Policy` (``good``, ``default``, ``late``...).
        opted_out: channels this customer must not be contacted on.
        contact_civility: how to address the contact (or, for a consumer without a contact,
            the customer): ``ms`` or ``mr``; greetings fall back to "Madame, Monsieur" /
            "Dear Sir or Madam" without it.
        contact_surname: the contact's surname alone (e.g. ``Leroy`` for Anne Leroy), for a
            formal English greeting ("Dear Ms Leroy"); with a civility but no surname, English
            letters write "Dear Sir or Madam" rather than guess which word of the name it is.
    """

    model_config = MODEL_CONFIG

    id: NonEmptyStr
    name: NonEmptyStr
    kind: CustomerKind = CustomerKind.BUSINESS
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    postal_address: str | None = None
    locale: LocaleName = "fr_FR"
    time_zone: TimeZoneName = "Europe/Paris"
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "FR"
    subdivision: str | None = None
    segment: str | None = None
    opted_out: frozenset[Channel] = frozenset()
    contact_civility: Civility | None = None
    contact_surname: NonEmptyStr | None = None

    @field_validator("country")
    @classmethod
    def _check_country(cls, value: str) -> str:
        check_country(value)
        return value

    @field_validator("subdivision")
    @classmethod
    def _check_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if value is not None and country is not None:
            check_subdivision(country, value)
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The customer's time zone as a `ZoneInfo`."""
        return ZoneInfo(self.time_zone)


class Installment(BaseModel):
    """One dated part of an invoice payable in several installments (échéances)."""

    model_config = MODEL_CONFIG

    due_on: date
    amount: PositiveAmount


class Invoice(BaseModel):
    """An invoice to chase: one due date, or several installments.

    Attributes:
        id: the host's stable identifier (action ids are derived from it).
        number: the invoice number printed on the document.
        customer: the debtor.
        issued_on: the invoice date.
        due_on: the payment date stated on the invoice (give this or ``installments``).
        installments: the schedule of an invoice payable in parts, in date order.
        total: amount including VAT (the legal base for penalties, CJEU C-585/20).
        currency: ISO 4217 code.
        contractual_rate: annual late-payment rate agreed in the contract, in percent, if any.
    """

    model_config = MODEL_CONFIG

    id: NonEmptyStr
    number: NonEmptyStr
    customer: Customer
    issued_on: date
    due_on: date | None = None
    installments: tuple[Installment, ...] = ()
    total: PositiveAmount
    currency: Currency = "EUR"
    contractual_rate: Amount | None = None

    @model_validator(mode="after")
    def _check_schedule(self) -> Invoice:
        due = self.due_on
        if due is not None and not self.installments and due >= self.issued_on:
            return self  # the common case, one due date on or after the issue date: all is said
        if (due is None) == (not self.installments):
            raise PydanticCustomError(
                "due_date_or_installments",
                "give exactly one of due_on or installments",
            )
        for due, where in self._dated_parts():
            if due < self.issued_on:
                raise PydanticCustomError(
                    "due_before_issue",
                    "{where} {due} is before the issue date {issued}",
                    {"where": where, "due": due.isoformat(), "issued": self.issued_on.isoformat()},
                )
        if self.installments:
            dates = [i.due_on for i in self.installments]
            if dates != sorted(set(dates)):
                raise PydanticCustomError(
                    "installments_not_in_order",
                    "installments must have distinct due dates in increasing order",
                )
            parts = sum((i.amount for i in self.installments), Decimal(0))
            if parts != self.total:
                raise PydanticCustomError(
                    "installments_do_not_add_up",
                    "installments add up to {parts}, not to the total {total}",
                    {"parts": str(parts), "total": str(self.total)},
                )
        return self

    def _dated_parts(self) -> list[tuple[date, str]]:
        if self.due_on is not None:
            return [(self.due_on, "due_on")]
        return [(i.due_on, f"installments[{n}].due_on") for n, i in enumerate(self.installments)]

    @property
    def schedule(self) -> tuple[tuple[date, Decimal], ...]:
        """``(due date, amount)`` pairs: the installments, or the single due date and total."""
        if self.due_on is not None:
            return ((self.due_on, self.total),)
        return tuple((i.due_on, i.amount) for i in self.installments)

    @property
    def first_due_on(self) -> date:
        """The earliest due date (the only one for a single-payment invoice)."""
        return self.schedule[0][0]

    @property
    def last_due_on(self) -> date:
        """The latest due date (the only one for a single-payment invoice)."""
        return self.schedule[-1][0]


# --------------------------------------------------------------------------------------------
# Events. Money and agreement events are dated (`on`); actions and their outcomes are instants
# (`at`). `event_day` gives every event a civil date in the customer's time zone.
# --------------------------------------------------------------------------------------------


class Payment(BaseModel):
    """Money received against the invoice (partial payments allowed)."""

    model_config = MODEL_CONFIG

    kind: Literal["payment"] = "payment"
    on: date
    amount: PositiveAmount
    currency: Currency = "EUR"
    reference: str | None = None
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""


class CreditNote(BaseModel):
    """A credit note (avoir) reducing what is owed on the invoice.

    Attributes:
        on: the credit note's date.
        amount: what it credits.
        currency: ISO 4217 code.
        number: its number, if any.
        corrects_invoice: the credit note corrects the invoice (a pricing error, goods never
            delivered): the corrected part was never owed, so late-payment interest never ran
            on it and it reduces the principal from the due date. False (the default) treats
            it like a payment on its date: a commercial gesture or a later return settles
            part of a debt that was owed until then. Only the creditor knows which it is.
    """

    model_config = MODEL_CONFIG

    kind: Literal["credit_note"] = "credit_note"
    on: date
    amount: PositiveAmount
    currency: Currency = "EUR"
    number: str | None = None
    corrects_invoice: bool = False
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""


class DisputeOpened(BaseModel):
    """The customer contests the invoice (or part of it): dunning pauses until resolved."""

    model_config = MODEL_CONFIG

    kind: Literal["dispute_opened"] = "dispute_opened"
    on: date
    reason: str = ""
    amount: PositiveAmount | None = None
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""


class DisputeResolved(BaseModel):
    """The dispute is settled; dunning resumes on whatever is still owed."""

    model_config = MODEL_CONFIG

    kind: Literal["dispute_resolved"] = "dispute_resolved"
    on: date
    outcome: str = ""
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""


class PromiseToPay(BaseModel):
    """The customer promised to pay by a date: dunning pauses until then (plus grace)."""

    model_config = MODEL_CONFIG

    kind: Literal["promise_to_pay"] = "promise_to_pay"
    on: date
    promised_on: date
    amount: PositiveAmount | None = None
    """What was promised; None means the whole balance."""
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""

    @model_validator(mode="after")
    def _check_dates(self) -> PromiseToPay:
        if self.promised_on < self.on:
            raise PydanticCustomError(
                "promise_in_the_past",
                "promised_on {promised} is before the day the promise was made {on}",
                {"promised": self.promised_on.isoformat(), "on": self.on.isoformat()},
            )
        return self


class PaymentPlanAgreed(BaseModel):
    """A payment plan (échéancier): dunning pauses while its installments are paid on time."""

    model_config = MODEL_CONFIG

    kind: Literal["payment_plan_agreed"] = "payment_plan_agreed"
    on: date
    installments: Annotated[tuple[Installment, ...], Field(min_length=1)]
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""

    @model_validator(mode="after")
    def _check_installments(self) -> PaymentPlanAgreed:
        dates = [i.due_on for i in self.installments]
        if dates != sorted(set(dates)) or dates[0] < self.on:
            raise PydanticCustomError(
                "installments_not_in_order",
                "plan installments must have distinct due dates, in order, on or after {on}",
                {"on": self.on.isoformat()},
            )
        return self


class HoldPlaced(BaseModel):
    """A manual block ("don't chase them, I see them on site Monday"), optionally until a date."""

    model_config = MODEL_CONFIG

    kind: Literal["hold_placed"] = "hold_placed"
    on: date
    reason: str = ""
    until: date | None = None
    """Last day of the hold, inclusive; None means until a `HoldLifted`."""
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""


class HoldLifted(BaseModel):
    """The manual block is removed."""

    model_config = MODEL_CONFIG

    kind: Literal["hold_lifted"] = "hold_lifted"
    on: date
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""


class DunningStopped(BaseModel):
    """The invoice is no longer the creditor's to chase: dunning stops for good.

    What the host records when the invoice is not owed as issued (the buyer refused it, it
    was cancelled: a credit note or a new invoice follows) or when someone else collects it
    (a factor it was assigned to). Unlike a hold, nothing lifts it: `decide` closes the
    invoice from its date on. A `Reversal` cancels one recorded by mistake. It leaves the
    money as it is (the ledger, the penalties and the metrics do not read it): record a
    credit note for what is no longer owed.

    Attributes:
        on: the day dunning stopped.
        reason: why, in words (e.g. ``refused by the buyer (status 210)``).
        id: the host's id for this fact, which a `Reversal` names to cancel it.

    Examples:
        >>> from datetime import date
        >>> DunningStopped(on=date(2026, 3, 2), reason="assigned to a factor")
        DunningStopped(kind='dunning_stopped', on=datetime.date(2026, 3, 2), reason='assigned to a factor', id=None)
    """  # noqa: E501  (a repr, as it is printed)

    model_config = MODEL_CONFIG

    kind: Literal["dunning_stopped"] = "dunning_stopped"
    on: date
    reason: str = ""
    id: FactId | None = None
    """The host's id for this fact, which a `Reversal` names to cancel it."""


class ReversalReason(StrEnum):
    """Why a `Reversal` cancels an earlier fact."""

    MISTAKE = "mistake"
    """The fact was recorded by mistake (wrong invoice, wrong date, typed twice)."""
    RETURNED_DIRECT_DEBIT = "returned_direct_debit"
    """A SEPA direct debit came back unpaid (rejet, retour): the money never arrived."""
    CHARGEBACK = "chargeback"
    """A card payment was charged back by the payer's bank: the money went back."""


class Reversal(BaseModel):
    """A correction: the earlier fact with the id *reverses* is treated as never having happened.

    Only a dated fact of the same invoice that carries an ``id`` can be reversed (a payment,
    a credit note, a dispute, a promise, a plan, a hold); not an action or its outcome, and
    not another reversal (record the fact again instead). A reversal applies whatever its
    date: a returned direct debit means the money never arrived, so the debt and its interest
    run on from the due date and chasing resumes. The reversal stays in the history, as the
    record of the correction (`corrected` gives the history the rules read).

    Attributes:
        on: the day the correction was made (on or after the invoice date).
        reverses: the ``id`` of the fact cancelled.
        reason: a mistake, a returned direct debit or a chargeback.
        note: free text, e.g. the bank's return code.
        id: the host's id for the correction itself.

    Examples:
        >>> from datetime import date
        >>> Reversal(on=date(2026, 3, 20), reverses="PAY-1", reason="returned_direct_debit")
        Reversal(kind='reversal', on=datetime.date(2026, 3, 20), reverses='PAY-1', ...)
    """

    model_config = MODEL_CONFIG

    kind: Literal["reversal"] = "reversal"
    on: date
    reverses: FactId
    reason: ReversalReason
    note: str | None = None
    id: FactId | None = None
    """The host's id for the correction itself."""


class ActionTaken(BaseModel):
    """An action was carried out: a scenario step, or a manual reminder (``step_id=None``).

    Manual reminders count for the minimum gap and for stated deadlines like any other.
    """

    model_config = MODEL_CONFIG

    kind: Literal["action_taken"] = "action_taken"
    at: Instant
    action_id: NonEmptyStr
    channel: Channel
    step_id: str | None = None
    deadline_days: Annotated[int, Field(ge=1)] | None = None
    """Payment deadline stated in the message; defaults to the step's own for scenario steps."""
    uncertain: bool = False
    """Possibly taken: the send's outcome is unknown until a human resolves it. The step counts
    as taken (it is not proposed again, and it counts for the gap and deadlines) but it does
    not start anything that needs proof of delivery (a consumer's interest from a formal
    notice)."""


class DeliveryFailed(BaseModel):
    """An action did not reach the customer (bounce, returned letter, wrong number)."""

    model_config = MODEL_CONFIG

    kind: Literal["delivery_failed"] = "delivery_failed"
    at: Instant
    action_id: NonEmptyStr
    reason: str = ""


class ActionApproved(BaseModel):
    """A human approved an action that required approval (e.g. a formal notice).

    An approval covers a decision, not a text: with ``amount_due`` set, it holds only while
    the invoice's balance is that amount. If the customer paid part since, the approval lapses
    and the action must be approved again (the approver saw another amount).
    """

    model_config = MODEL_CONFIG

    kind: Literal["action_approved"] = "action_approved"
    at: Instant
    action_id: NonEmptyStr
    by: str = ""
    amount_due: Amount | None = None
    """The balance of the invoice the approver saw; None approves whatever it is."""


class ActionRejected(BaseModel):
    """A human rejected an action: its step is skipped, never proposed again."""

    model_config = MODEL_CONFIG

    kind: Literal["action_rejected"] = "action_rejected"
    at: Instant
    action_id: NonEmptyStr
    by: str = ""
    reason: str = ""


Event = Annotated[
    Payment
    | CreditNote
    | DisputeOpened
    | DisputeResolved
    | PromiseToPay
    | PaymentPlanAgreed
    | HoldPlaced
    | HoldLifted
    | DunningStopped
    | Reversal
    | ActionTaken
    | DeliveryFailed
    | ActionApproved
    | ActionRejected,
    Field(discriminator="kind"),
]
"""Any event of an invoice's history, told apart by its ``kind`` field."""

_EVENTS_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def parse_events(raw: Iterable[object]) -> list[Event]:
    """Validate a list of plain dicts (e.g. from JSON) into events, using their ``kind``.

    Args:
        raw: dicts such as ``{"kind": "payment", "on": "2026-02-10", "amount": "200.00"}``.

    Returns:
        The events, in the given order.

    Raises:
        pydantic.ValidationError: naming the position and field of every problem
            (e.g. ``0.payment.amount``).

    Examples:
        >>> parse_events([{"kind": "payment", "on": "2026-02-10", "amount": "200.00"}])
        [Payment(kind='payment', on=datetime.date(2026, 2, 10), amount=Decimal('200.00'), ...)]
    """
    return _EVENTS_ADAPTER.validate_python(list(raw))


_INSTANT_EVENTS = (ActionTaken, DeliveryFailed, ActionApproved, ActionRejected)


def event_day(event: Event, tz: ZoneInfo) -> date:
    """The civil date of *event* in time zone *tz* (instants are converted, dates kept).

    Examples:
        >>> from datetime import datetime, timezone
        >>> e = ActionTaken(at=datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc),
        ...                 action_id="a1", channel="email")
        >>> event_day(e, ZoneInfo("Europe/Paris"))
        datetime.date(2026, 3, 2)
    """
    if isinstance(event, _INSTANT_EVENTS):
        return event.at.astimezone(tz).date()
    return event.on


class HistoryProblem(NamedTuple):
    """What is wrong with one event of an invoice's history (see `history_problem`)."""

    code: str
    """The stable code: ``event_before_issue`` or ``currency_mismatch``; for ids and
    reversals (`check_history`) ``duplicate_fact_id``, ``unknown_fact``, ``already_reversed``
    or ``not_reversible``."""
    field: str
    """The event's field at fault: ``at``, ``on``, ``currency``, ``id`` or ``reverses``."""
    message: str
    """What is wrong, in words."""


def history_problem(invoice: Invoice, event: Event, day: date) -> HistoryProblem | None:
    """The rule an event of *invoice*'s history must keep: what breaks it, or None.

    An event is dated on or after the invoice date (*day* is its civil date in the customer's
    time zone, `event_day`); a payment or credit note is in the invoice's currency. This is
    the one copy of the rule: `check_history` applies it to a whole history, and a one-pass
    reader of the events that finds a problem calls `check_history` to report the first one.
    (The rules on fact ids and reversals concern the history as a whole: `check_history`.)

    Args:
        invoice: the invoice the event belongs to.
        event: the event.
        day: the event's civil date in the customer's time zone.

    Returns:
        The first problem found, or None when the event fits the invoice.

    Examples:
        >>> from datetime import date
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
        >>> paid = Payment(on=date(2026, 1, 2), amount=100)
        >>> history_problem(inv, paid, paid.on)
        HistoryProblem(code='event_before_issue', field='on', message='payment dated 2026-01-02 is before the invoice date 2026-01-05')
        >>> history_problem(inv, Payment(on=date(2026, 1, 5), amount=100), date(2026, 1, 5))
    """  # noqa: E501  (a repr, as it is printed)
    issued = invoice.issued_on
    if day < issued:
        field = "at" if isinstance(event, _INSTANT_EVENTS) else "on"
        msg = f"{event.kind} dated {day} is before the invoice date {issued}"
        return HistoryProblem("event_before_issue", field, msg)
    if isinstance(event, Payment | CreditNote) and event.currency != invoice.currency:
        msg = f"{event.kind} in {event.currency} on an invoice in {invoice.currency}"
        return HistoryProblem("currency_mismatch", "currency", msg)
    return None


_MONEY_BACK = frozenset({ReversalReason.RETURNED_DIRECT_DEBIT, ReversalReason.CHARGEBACK})
"""Reasons that say money went back: only a payment can be reversed for them."""


class _FactIds:
    """The rules on fact ids and reversals, applied to a history one event at a time, in order.

    Two facts never share an id; a reversal names a fact met earlier (not an action or its
    outcome, not another reversal) that no earlier reversal cancelled. *actions* are the
    action ids of the whole history, so that naming one is told apart from a typo.
    """

    __slots__ = ("actions", "facts", "reversed")

    def __init__(self, actions: set[str]) -> None:
        self.actions = actions
        self.facts: dict[str, Event] = {}
        self.reversed: set[str] = set()

    def add(self, event: Event) -> HistoryProblem | None:
        """Note *event*; what breaks the rules if it comes next (then it is not noted)."""
        if isinstance(event, _INSTANT_EVENTS):
            return None
        if isinstance(event, Reversal):
            problem = self._reversal_problem(event)
            if problem is not None:
                return problem
        ident = event.id
        if ident is not None:
            if ident in self.facts:
                msg = f"{event.kind} has the id {ident!r} of an earlier {self.facts[ident].kind}"
                return HistoryProblem("duplicate_fact_id", "id", msg)
            self.facts[ident] = event
        if isinstance(event, Reversal):
            self.reversed.add(event.reverses)
        return None

    def _reversal_problem(self, reversal: Reversal) -> HistoryProblem | None:
        target_id = reversal.reverses
        target = self.facts.get(target_id)
        if target is None:
            if target_id in self.actions:
                msg = (
                    f"{target_id!r} is an action of the log: an action or its outcome is not "
                    "reversed (record a failed delivery, or resolve the entry, instead)"
                )
                return HistoryProblem("not_reversible", "reverses", msg)
            msg = f"no earlier fact of this invoice has the id {target_id!r}"
            return HistoryProblem("unknown_fact", "reverses", msg)
        if isinstance(target, Reversal):
            msg = f"{target_id!r} is a reversal: record the fact again rather than reverse it"
            return HistoryProblem("not_reversible", "reverses", msg)
        if reversal.reason in _MONEY_BACK and not isinstance(target, Payment):
            msg = f"a {reversal.reason.value} reverses a payment, not a {target.kind}"
            return HistoryProblem("not_reversible", "reverses", msg)
        if target_id in self.reversed:
            msg = f"the {target.kind} {target_id!r} is already reversed"
            return HistoryProblem("already_reversed", "reverses", msg)
        return None


def _action_ids(events: Iterable[Event]) -> set[str]:
    return {e.action_id for e in events if isinstance(e, _INSTANT_EVENTS)}


def check_history(invoice: Invoice, events: Sequence[Event]) -> None:
    """Check that *events* can belong to *invoice*: each event, and the ids and reversals.

    Each event is checked by `history_problem`, except a fact that a `Reversal` cancels (a
    payment dated before the invoice by mistake is corrected by reversing it). Fact ids are
    unique, and a reversal names an earlier fact of the history that may be reversed.

    Raises:
        InvoiceHistoryError: for the first event that breaks a rule, naming its position
            and field, with a stable code: ``event_before_issue`` (dated before the invoice
            date), ``currency_mismatch`` (a payment or credit note in another currency),
            ``duplicate_fact_id`` (two facts with one id), ``unknown_fact`` (a reversal of
            no earlier fact), ``not_reversible`` (a reversal of a reversal or of an action;
            a returned direct debit or chargeback of anything but a payment) or
            ``already_reversed`` (a fact reversed twice).

    Examples:
        >>> from datetime import date
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
        >>> check_history(inv, [Payment(on=date(2026, 1, 2), amount=100)])
        Traceback (most recent call last):
        ...
        dunning.exceptions.InvoiceHistoryError: invoice 'F-1': events[0].on: ...
        >>> check_history(inv, [Payment(on=date(2026, 1, 2), amount=100, id="P1"),
        ...     Reversal(on=date(2026, 2, 1), reverses="P1", reason="mistake")])
        >>> check_history(inv, [Reversal(on=date(2026, 2, 1), reverses="P2", reason="mistake")])
        Traceback (most recent call last):
        ...
        dunning.exceptions.InvoiceHistoryError: invoice 'F-1': events[0].reverses: no earlier fact of this invoice has the id 'P2'
    """  # noqa: E501  (the error message, as it is raised)
    ids = _FactIds(_action_ids(events))
    # The id rules first, over the whole history: which facts are reversed is known only then.
    id_problems = {n: p for n, e in enumerate(events) if (p := ids.add(e)) is not None}
    tz = invoice.customer.tz
    for n, event in enumerate(events):
        problem = id_problems.get(n)
        ident = getattr(event, "id", None)  # actions and their outcomes have none
        if problem is None and (ident is None or ident not in ids.reversed):
            problem = history_problem(invoice, event, event_day(event, tz))
        if problem is not None:
            raise InvoiceHistoryError(
                problem.message,
                invoice_id=invoice.id,
                location=f"events[{n}].{problem.field}",
                code=problem.code,
            )


def check_new_event(invoice: Invoice, history: Iterable[Event], event: Event) -> None:
    """Check *event* before it is recorded on *invoice*, whose history so far is *history*.

    What a store does in ``add_event``, against the invoice as stored: the event fits the
    invoice (`history_problem`: not before the invoice date, in its currency), and its id and,
    for a `Reversal`, the fact it names keep the rules of `check_history` given the history.
    Problems already in *history* are not this event's: they are not reported here.

    Raises:
        InvoiceHistoryError: with the location ``event.<field>`` and the codes of
            `check_history`.

    Examples:
        >>> from datetime import date
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
        >>> paid = Payment(on=date(2026, 2, 10), amount=100, id="P1")
        >>> check_new_event(inv, [paid], Reversal(on=date(2026, 2, 20), reverses="P1",
        ...                                       reason="returned_direct_debit"))
        >>> check_new_event(inv, [paid], Payment(on=date(2026, 1, 2), amount=100))
        Traceback (most recent call last):
        ...
        dunning.exceptions.InvoiceHistoryError: invoice 'F-1': event.on: payment dated 2026-01-02 is before the invoice date 2026-01-05
    """  # noqa: E501  (the error message, as it is raised)
    problem = history_problem(invoice, event, event_day(event, invoice.customer.tz))
    if problem is None:
        known = tuple(history)
        ids = _FactIds(_action_ids(known))
        for earlier in known:
            ids.add(earlier)
        problem = ids.add(event)
    if problem is not None:
        raise InvoiceHistoryError(
            problem.message,
            invoice_id=invoice.id,
            location=f"event.{problem.field}",
            code=problem.code,
        )


def corrected(invoice: Invoice, events: Iterable[Event]) -> Sequence[Event]:
    """*invoice*'s history as the rules read it: every fact a `Reversal` cancels left out.

    The one place reversals are applied: the engine, the ledger, the penalties and the
    metrics read a history through it, so a reversed fact never happened for any of them.
    The reversals are left out too (they have done their work); the history as recorded
    keeps them. A history without a reversal is returned as it is (a list or tuple, not
    copied); one with a reversal is checked whole first (`check_history`), so that a
    problem is reported at its position in the history as given.

    Args:
        invoice: the invoice (for the checks).
        events: its history as recorded.

    Returns:
        The events the rules read, in the given order. Calling it again on the result gives
        the result.

    Raises:
        InvoiceHistoryError: as `check_history`, for a history that holds a reversal.

    Examples:
        >>> from datetime import date
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100)
        >>> paid = Payment(on=date(2026, 2, 10), amount=100, id="SEPA-7")
        >>> returned = Reversal(on=date(2026, 2, 20), reverses="SEPA-7",
        ...                     reason="returned_direct_debit")
        >>> corrected(inv, [paid, returned])
        ()
        >>> corrected(inv, [paid]) == [paid]
        True
    """
    history = events if isinstance(events, list | tuple) else tuple(events)
    if Reversal not in map(type, history):
        return history
    check_history(invoice, history)
    gone = {e.reverses for e in history if isinstance(e, Reversal)}
    return tuple(
        e for e in history if type(e) is not Reversal and getattr(e, "id", None) not in gone
    )


_MIDNIGHT = time(0)


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """Midnight at the start of *day* in *tz*, as an aware datetime."""
    return datetime.combine(day, _MIDNIGHT, tzinfo=tz)
