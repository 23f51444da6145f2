"""Many invoices at once: one message per customer per day, streaming over any iterable.

How this works
--------------
The host streams `PortfolioEntry` items, **grouped by customer** (sorted by customer id is the
usual way): `InvoiceHistory` (an invoice, its events, optionally its penalties) and the
customer-level credits not allocated to any invoice, `PaymentOnAccount` and
`UnappliedCreditNote`. `plan_customer_actions` walks the groups with `itertools.groupby`, so
only one customer's entries are in memory at a time. By default it requires the stream sorted by
customer id and compares each id with the previous one (constant memory); a customer id that
comes back after its group ended, or any id out of order, is an error, never a second, silent
message (``grouping="grouped"`` accepts any grouped order, keeping a set of the ids seen).

For each customer, at instant ``at``:

1. **Customer gap.** The last `ActionTaken` across all the customer's invoices (a delivery that
   failed does not count) must be at least the scenario's ``minimum_gap_days`` ago (and never
   on the same day): no two messages to one customer closer than that, whatever invoices they
   concern. The state comes from the events; nothing is stored.
2. **Decisions.** `decide` runs on each invoice. Invoices with an action due are the *covered*
   actions; every invoice that is overdue and neither paid nor paused (dispute, hold, promise,
   plan) is *listed*, as are invoices with an action due before their due date (courtesy).
3. **One message per currency** that has at least one action due: the *lead* action is the
   highest level due (ties: most days late, then invoice id); it gives the template, channel,
   deadline and approval. The message lists every listed invoice of that currency, oldest due
   date first, and deducts the customer's unapplied credit in that currency.
4. **Nothing for a customer who owes nothing**: a currency whose net balance (listed amounts
   less unapplied credit) is at or below the scenario's tolerance gets no message.

After sending a `CustomerAction`, record one `ActionTaken` per covered action on its invoice
(``covers``), with that action's id and step: each invoice's own ladder then moves on, and the
customer gap counts from that day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from dunning.core._types import MODEL_CONFIG, Currency, PositiveAmount, check_aware
from dunning.core.conversation import (
    STAFF_CHANNELS,
    Conversation,
    Shaped,
    approvals_of,
    read_conversation,
    shape,
)
from dunning.core.decider import _decide, _plan
from dunning.core.engine import Action, Decision, DecisionStatus, decide
from dunning.core.ledger import Ledger, MoneyOnAccount, impute_on_account
from dunning.core.model import (
    ActionTaken,
    Channel,
    Customer,
    DeliveryFailed,
    Event,
    Invoice,
    PenaltyWording,
)
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.policy import ScenarioChoice, as_chooser
from dunning.core.render import Creditor, InvoiceLine, PenaltySummary, RenderContext
from dunning.core.render.context import invoice_line
from dunning.core.runcache import RunCache
from dunning.core.scenario import Scenario, Step, StepKind
from dunning.exceptions import PortfolioOrderError

__all__ = [
    "CustomerAction",
    "CustomerReview",
    "InvoiceHistory",
    "PaymentOnAccount",
    "PortfolioEntry",
    "UnappliedCreditNote",
    "payment_history",
    "plan_customer_actions",
    "plan_for_customer",
    "review_customer",
]

NonEmptyStr = Annotated[str, Field(min_length=1)]


class InvoiceHistory(BaseModel):
    """One invoice of the portfolio with its events, as the host loads it.

    Attributes:
        invoice: the invoice (its customer groups the stream).
        events: its history, in any order.
        penalties: penalties owed on it, if the host computed them (listed in the message).
        document: a reference to the invoice PDF, joined to the message.

    Examples:
        >>> from datetime import date
        >>> inv = Invoice(id="F-1", number="2026-0001", customer=Customer(id="C1", name="ACME"),
        ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total="100")
        >>> InvoiceHistory(invoice=inv).customer_id
        'C1'
    """

    model_config = MODEL_CONFIG

    kind: Literal["invoice"] = "invoice"
    invoice: Invoice
    events: tuple[Event, ...] = ()
    penalties: PenaltySummary | None = None
    document: NonEmptyStr | None = None

    @property
    def customer_id(self) -> str:
        """The id of the invoice's customer."""
        return self.invoice.customer.id


class PaymentOnAccount(BaseModel):
    """Money received from a customer and not yet allocated to an invoice (acompte).

    Examples:
        >>> from datetime import date
        >>> PaymentOnAccount(customer_id="C1", on=date(2026, 3, 1), amount="50").currency
        'EUR'
    """

    model_config = MODEL_CONFIG

    kind: Literal["payment_on_account"] = "payment_on_account"
    customer_id: NonEmptyStr
    on: date
    amount: PositiveAmount
    currency: Currency = "EUR"
    reference: str | None = None


class UnappliedCreditNote(BaseModel):
    """A credit note (avoir) issued to a customer and not yet allocated to an invoice.

    Examples:
        >>> from datetime import date
        >>> UnappliedCreditNote(customer_id="C1", on=date(2026, 3, 1), amount="20.00").amount
        Decimal('20.00')
    """

    model_config = MODEL_CONFIG

    kind: Literal["unapplied_credit_note"] = "unapplied_credit_note"
    customer_id: NonEmptyStr
    on: date
    amount: PositiveAmount
    currency: Currency = "EUR"
    number: str | None = None


PortfolioEntry = InvoiceHistory | PaymentOnAccount | UnappliedCreditNote
"""One item of the stream `plan_customer_actions` reads, grouped by ``customer_id``."""


@dataclass(frozen=True, slots=True)
class CustomerAction:
    """One message to one customer in one currency, covering several invoices.

    It reads like an engine `Action` (``template``, ``channel``, ``level``, ``deadline_on``...),
    so `dunning.core.render.render` accepts it.

    Attributes:
        id: deterministic, from the customer, the currency and the covered action ids: use it as
            the idempotency key of the message.
        customer: the debtor.
        currency: the currency of every listed amount.
        kind: the lead action's step kind.
        level: the lead action's level (the highest due).
        level_name: its display name.
        channel: the lead action's channel.
        template: the lead action's template.
        due_at: when the lead action became due.
        deadline_on: the payment deadline stated, if the lead step has one.
        deadline_days: that deadline in days.
        requires_approval: some covered action needs a human's approval.
        approved: every covered action that needs approval has it.
        covers: the per-invoice actions this message carries out; record one `ActionTaken` for
            each, on its invoice, once the message is sent.
        invoices: every listed invoice, oldest due date first.
        unapplied_credit: credit notes and payments on account deducted.
        amount_due: listed amounts less unapplied credit.
        previous_messages: messages the customer already received about the listed invoices
            (delivered emails, SMS and letters; a grouped message counts once).
        penalty_wording: what the message says about penalties (the lead step's setting).
        demanded: the invoices the message demands payment of (for a formal notice: those it
            puts on notice); the other listed invoices are shown apart, without a threat.
        complementary_notice: a formal notice that complements an earlier one (it always
            needs a person's approval).
        notice_on: the day of the formal notice already given in this conversation, if any:
            the message is worded "suite à notre mise en demeure du ...".
        earlier_reminders: the days the demanded invoices were named in earlier messages
            ("malgré nos relances des 3 et 10 avril").
        not_before: the lead action's ``not_before``: the opening of the send window the
            message was prepared for ahead of time (``prepare_ahead``); None: it may go now.
        not_after: the lead action's ``not_after``: when that window closes.
    """

    id: str
    customer: Customer
    currency: str
    kind: StepKind
    level: int
    level_name: str
    channel: Channel
    template: str
    due_at: datetime
    deadline_on: date | None
    deadline_days: int | None
    requires_approval: bool
    approved: bool
    covers: tuple[Action, ...]
    invoices: tuple[InvoiceLine, ...]
    unapplied_credit: Decimal
    amount_due: Decimal
    previous_messages: int = 0
    penalty_wording: PenaltyWording | None = None
    demanded: frozenset[str] = frozenset()
    complementary_notice: bool = False
    notice_on: date | None = None
    earlier_reminders: tuple[date, ...] = ()
    not_before: datetime | None = None
    not_after: datetime | None = None

    @property
    def customer_id(self) -> str:
        """The customer's id."""
        return self.customer.id

    def render_context(
        self,
        *,
        creditor: Creditor,
        message_date: date,
        payment_link: str | None = None,
        attachments: tuple[str, ...] = (),
    ) -> RenderContext:
        """The `RenderContext` for this message; penalties are the listed invoices' summed.

        Examples:
            >>> from datetime import date, datetime, timezone
            >>> from dunning.core.builtin import STANDARD
            >>> acme = Customer(id="C1", name="ACME SARL")
            >>> h = InvoiceHistory(invoice=Invoice(id="F-1", number="2026-0001", customer=acme,
            ...     issued_on=date(2026, 1, 2), due_on=date(2026, 2, 6), total="100.00"))
            >>> [a] = plan_for_customer([h], STANDARD,
            ...                         at=datetime(2026, 2, 9, 9, tzinfo=timezone.utc))
            >>> creditor = Creditor(name="Durand", address="Lyon", bic="AGRIFRPP",
            ...     iban="FR7630006000011234567890189", email="compta@durand.example")
            >>> a.render_context(creditor=creditor, message_date=date(2026, 2, 9)).amount_due
            Decimal('100.00')
        """
        return RenderContext(
            creditor=creditor,
            customer=self.customer,
            invoices=self._lines_with_roles(),
            message_date=message_date,
            payment_link=payment_link,
            unapplied_credit=self.unapplied_credit,
            attachments=attachments,
            previous_messages=self.previous_messages,
            earlier_reminders=self.earlier_reminders,
            notice_on=self.notice_on,
            complementary_notice=self.complementary_notice,
        )

    def _lines_with_roles(self) -> tuple[InvoiceLine, ...]:
        """The listed invoices, each with its role: a notice demands only what it puts on notice.

        The other overdue invoices are listed apart, with no threat and no indemnity; those not
        yet due are "à échoir". Other messages demand every invoice they list.
        """
        if self.kind is not StepKind.FORMAL_NOTICE or not self.demanded:
            return self.invoices
        return tuple(
            line.model_copy(
                update={
                    "role": "demanded"
                    if line.id in self.demanded
                    else ("listed" if line.days_late > 0 else "upcoming")
                }
            )
            for line in self.invoices
        )


def _customer_id(entry: PortfolioEntry) -> str:
    return entry.customer_id


def _message_id(customer_id: str, currency: str, covers: Sequence[Action]) -> str:
    key = "\x1f".join([customer_id, currency, *sorted(a.id for a in covers)])
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class CustomerReview:
    """Everything decided for one customer at one instant: its messages and per-invoice decisions.

    Attributes:
        customer_id: the customer.
        actions: the messages due now (see `plan_for_customer`).
        decisions: one `Decision` per invoice, in the order given (each invoice's own view:
            the customer gap does not change it).
        held: why actions due on the customer's invoices wait today (the conversation's
            rules: spacing, a deadline running, a notice given...), one line each.
        conversation: the conversation the review read (`read_conversation`), before its
            messages go out; None when the customer had no invoice to review. Left out of
            comparisons and the repr: it is what the review read, not what it decided.
    """

    customer_id: str
    actions: tuple[CustomerAction, ...]
    decisions: tuple[Decision, ...]
    held: tuple[str, ...] = ()
    conversation: Conversation | None = field(default=None, compare=False, repr=False)


def plan_for_customer(
    entries: Iterable[PortfolioEntry],
    scenario: ScenarioChoice,
    *,
    at: datetime,
    with_penalties: bool = False,
    rates: PenaltyRates | None = None,
    last_message_at: datetime | None = None,
    prepare_ahead: timedelta | None = None,
) -> tuple[CustomerAction, ...]:
    """The messages due today for one customer: at most one per currency.

    Args:
        entries: the customer's invoices and unallocated credits (all with one customer id).
        scenario: the scenario, or a function choosing it from the customer.
        at: the instant to decide for (timezone-aware).
        with_penalties: state the penalties owed on each listed invoice (computed by `decide`
            with ``with_penalties=True``) unless its `InvoiceHistory` already carries them.
        rates: rate tables for those penalties; by default the packaged ones.
        last_message_at: when the customer last received a message, if the caller knows it
            from elsewhere (the action log): the customer gap counts from the later of this
            and the `ActionTaken` events of *entries*, so invoices left out of the stream (paid
            ones, say) still count.
        prepare_ahead: as `decide`: an action that waits only for its send window, opening
            within this time, is due now for then; its message carries the window
            (``not_before``, ``not_after``). The customer's rules (the gap between two
            messages) are read on the day of *at*.

    Returns:
        The customer's actions, by currency; empty when nothing is due, the customer gap has
        not passed, or the customer owes nothing net of credits.

    Raises:
        ValueError: if *at* is naive or the entries belong to several customers.
        InvoiceHistoryError: from `decide`, if an invoice's events contradict it.

    Examples:
        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning.core.builtin import STANDARD
        >>> paris = ZoneInfo("Europe/Paris")
        >>> acme = Customer(id="C1", name="ACME SARL")
        >>> def inv(n, due, *events):
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=f"2026-{n:04d}",
        ...         customer=acme, issued_on=date(2026, 1, 2), due_on=due, total="100.00"),
        ...         events=events)
        >>> sent = ActionTaken(at=datetime(2026, 2, 9, 10, tzinfo=paris), action_id="a1",
        ...                    channel="email", step_id="informative")
        >>> at = datetime(2026, 3, 9, 10, tzinfo=paris)
        >>> [a] = plan_for_customer([inv(1, date(2026, 2, 6), sent), inv(2, date(2026, 3, 6))],
        ...                         STANDARD, at=at)
        >>> a.template, [line.number for line in a.invoices], a.amount_due
        ('reminder', ['2026-0001', '2026-0002'], Decimal('200.00'))
        >>> [c.step_id for c in a.covers]
        ['reminder', 'informative']
        >>> credit = PaymentOnAccount(customer_id="C1", on=date(2026, 3, 1), amount="200.00")
        >>> plan_for_customer([inv(1, date(2026, 2, 6), sent), inv(2, date(2026, 3, 6)), credit],
        ...                   STANDARD, at=at)
        ()
    """
    return review_customer(
        entries,
        scenario,
        at=at,
        with_penalties=with_penalties,
        rates=rates,
        last_message_at=last_message_at,
        prepare_ahead=prepare_ahead,
    ).actions


def payment_history(entries: Iterable[PortfolioEntry], *, at: datetime) -> tuple[int, ...]:
    """Days late of each invoice paid by the end of *at*'s local day, oldest payment first.

    Days late of a paid invoice = payment day - last due date, 0 when paid on time: the
    history a `Policy`'s rules read (``recent_days_late``), given to the scenario choice by
    `review_customer` (so by every run) from the invoices the source returns.

    Raises:
        ValueError: if *at* is naive.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import Payment
        >>> c = Customer(id="C", name="C")
        >>> def inv(n, paid):
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
        ...         issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1), total="10"),
        ...         events=(Payment(on=paid, amount="10"),))
        >>> payment_history([inv(1, date(2026, 2, 11)), inv(2, date(2026, 1, 20))],
        ...                 at=datetime(2026, 3, 1, tzinfo=timezone.utc))
        (0, 10)
    """
    check_aware(at)
    paid: list[tuple[date, str, int]] = []
    for entry in entries:
        if not isinstance(entry, InvoiceHistory):
            continue
        invoice = entry.invoice
        on = Ledger(invoice, entry.events).paid_on()
        if on is not None and on <= at.astimezone(invoice.customer.tz).date():
            paid.append((on, invoice.id, max(0, (on - invoice.last_due_on).days)))
    return tuple(late for _, _, late in sorted(paid))


def review_customer(
    entries: Iterable[PortfolioEntry],
    scenario: ScenarioChoice,
    *,
    at: datetime,
    with_penalties: bool = False,
    rates: PenaltyRates | None = None,
    last_message_at: datetime | None = None,
    cache: RunCache | None = None,
    prepare_ahead: timedelta | None = None,
) -> CustomerReview:
    """`plan_for_customer`, with each invoice's `Decision` too (what a host indexes on).

    Args:
        entries: the customer's invoices and unallocated credits (all with one customer id).
        scenario: the scenario, or a function choosing it from the customer.
        at: the instant to decide for (timezone-aware).
        with_penalties: see `plan_for_customer`.
        rates: see `plan_for_customer`.
        last_message_at: see `plan_for_customer`.
        cache: the run's `RunCache`, shared by every customer a run reviews (places, rolled
            days, the ladder's next steps); None: one for this customer.
        prepare_ahead: see `plan_for_customer`.

    Returns:
        A `CustomerReview`: the messages, and one decision per invoice.

    Raises:
        ValueError: if *at* is naive or the entries belong to several customers.
        InvoiceHistoryError: from `decide`, if an invoice's events contradict it.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.builtin import STANDARD
        >>> acme = Customer(id="C1", name="ACME SARL")
        >>> h = InvoiceHistory(invoice=Invoice(id="F-1", number="2026-0001", customer=acme,
        ...     issued_on=date(2026, 1, 2), due_on=date(2026, 2, 6), total="100.00"))
        >>> review = review_customer([h], STANDARD, at=datetime(2026, 2, 9, 9, tzinfo=timezone.utc))
        >>> [d.status.value for d in review.decisions], len(review.actions)
        (['action_due'], 1)
    """
    return _review(
        entries,
        scenario,
        at=at,
        with_penalties=with_penalties,
        rates=rates,
        last_message_at=last_message_at,
        cache=cache,
        prepare_ahead=prepare_ahead,
    )


def _review(
    entries: Iterable[PortfolioEntry],
    scenario: ScenarioChoice,
    *,
    at: datetime,
    with_penalties: bool = False,
    rates: PenaltyRates | None = None,
    last_message_at: datetime | None = None,
    cache: RunCache | None = None,
    prepare_ahead: timedelta | None = None,
    conversation: Conversation | None = None,
) -> CustomerReview:
    """`review_customer`, given the customer's *conversation* if the caller keeps it.

    *conversation* must be what `read_conversation` reads at *at* from the events of every
    invoice of the customer (the simulation keeps each customer's up to date): then the
    entries need not include the invoices that tell the conversation and nothing else (paid
    ones). None: read from the entries.
    """
    check_aware(at)
    histories, account_credits = _split(entries)
    if not histories:
        customer_id = account_credits[0].customer_id if account_credits else ""
        return CustomerReview(customer_id, (), ())
    customer = histories[0].invoice.customer
    if isinstance(scenario, Scenario):
        chosen = scenario  # the same for every customer: no payment history to read
    else:
        chosen = as_chooser(scenario)(customer, payment_history(histories, at=at))
    today = at.astimezone(customer.tz).date()
    histories, unallocated = _impute(histories, account_credits, today, chosen)
    due, listed, decisions = _decide_all(
        histories,
        chosen,
        at,
        today,
        with_penalties=with_penalties,
        rates=rates,
        cache=RunCache() if cache is None else cache,
        ahead=prepare_ahead,
    )
    events = {h.invoice.id: h.events for h in histories}
    if conversation is None:
        conversation = read_conversation(
            events, chosen, customer, at=at, last_message_at=last_message_at
        )
    approvals = approvals_of(events, at)
    planned: list[CustomerAction] = []
    held: list[str] = []
    for currency in sorted(due):
        lines = tuple(sorted(listed[currency], key=lambda line: (line.due_on, line.number)))
        credit = unallocated.get(currency, Decimal(0))
        net = sum((line.amount_due for line in lines), Decimal(0)) - credit
        if net <= chosen.tolerance:
            continue
        overdue = {line.id: line.days_late for line in lines if line.days_late > 0}
        net_overdue = (
            sum((line.amount_due for line in lines if line.days_late > 0), Decimal(0)) - credit
        )
        written = [a for a in due[currency] if a.channel not in STAFF_CHANNELS]
        staff = [a for a in due[currency] if a.channel in STAFF_CHANNELS]
        shaped = shape(
            written,
            overdue,
            conversation,
            chosen,
            customer,
            today=today,
            principal={line.id: line.amount_due for line in lines},
            net_overdue=net_overdue,
            approvals=approvals,
        )
        held.extend(f"{currency}: {reason}" for reason in shaped.held)
        if not shaped.covers and not staff:
            continue
        listed_ids = {line.id for line in lines}
        received = _messages_received([h for h in histories if h.invoice.id in listed_ids], at)
        if shaped.covers:
            planned.append(
                _to_customer(
                    customer, currency, shaped, conversation, lines, credit, net, today, received
                )
            )
        if staff:
            covers = tuple(sorted(staff, key=lambda a: (-a.level, -a.days_late, a.invoice_id)))
            planned.append(
                _customer_action(
                    customer,
                    currency=currency,
                    covers=covers,
                    lines=lines,
                    credit=credit,
                    net=net,
                    previous_messages=received,
                )
            )
    return CustomerReview(
        customer.id, tuple(planned), decisions, tuple(held), conversation=conversation
    )


def _to_customer(  # noqa: PLR0917
    customer: Customer,
    currency: str,
    shaped: Shaped,
    conversation: Conversation,
    lines: tuple[InvoiceLine, ...],
    credit: Decimal,
    net: Decimal,
    today: date,
    received: int,
) -> CustomerAction:
    """The message to the customer the conversation rules let out, in the conversation's tone."""
    reminded = sorted(
        {
            day
            for invoice_id in shaped.demanded
            for day in conversation.named.get(invoice_id, ())
            if day < today
        }
    )
    return _customer_action(
        customer,
        currency=currency,
        covers=shaped.covers,
        lines=lines,
        credit=credit,
        net=net,
        previous_messages=received,
        tone=shaped.tone,
        demanded=shaped.demanded,
        complementary_notice=shaped.complementary,
        notice_on=conversation.notice_on,
        earlier_reminders=tuple(reminded),
    )


def _impute(
    histories: list[InvoiceHistory],
    account_credits: Sequence[PaymentOnAccount | UnappliedCreditNote],
    today: date,
    scenario: Scenario,
) -> tuple[list[InvoiceHistory], Mapping[str, Decimal]]:
    """Money on account and unallocated credit notes imputed to the invoices (C. civ. 1342-10).

    Each invoice gets the `Payment` events the ledger imputes to it (so no interest runs on
    money received, and an invoice they settle is closed); what is left is deducted from the
    message's total as unallocated credit.
    """
    if not account_credits:
        return histories, {}
    receipts = [
        MoneyOnAccount(
            on=c.on,
            amount=c.amount,
            currency=c.currency,
            reference=c.reference if isinstance(c, PaymentOnAccount) else None,
        )
        for c in account_credits
    ]
    imputed = impute_on_account(
        [(h.invoice, h.events) for h in histories],
        receipts,
        on=today,
        rule=scenario.conversation.imputation,
    )
    out = [
        h.model_copy(update={"events": (*h.events, *imputed.payments[h.invoice.id])})
        if imputed.payments.get(h.invoice.id)
        else h
        for h in histories
    ]
    return out, imputed.unallocated


_TO_CUSTOMER = frozenset({Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.REGISTERED_LETTER})


def _messages_received(histories: Sequence[InvoiceHistory], at: datetime) -> int:
    """Messages delivered to the customer about these invoices (one grouped message counts once)."""
    failed: set[str] = set()
    taken: list[ActionTaken] = []
    for history in histories:
        for e in history.events:
            if isinstance(e, ActionTaken):
                if e.channel in _TO_CUSTOMER:
                    taken.append(e)
            elif isinstance(e, DeliveryFailed):
                failed.add(e.action_id)
    sent = {(e.at, e.channel) for e in taken if e.action_id not in failed and e.at <= at}
    return len(sent)


def _split(
    entries: Iterable[PortfolioEntry],
) -> tuple[list[InvoiceHistory], list[PaymentOnAccount | UnappliedCreditNote]]:
    histories: list[InvoiceHistory] = []
    account_credits: list[PaymentOnAccount | UnappliedCreditNote] = []
    ids: set[str] = set()
    for entry in entries:
        ids.add(entry.customer_id)
        if isinstance(entry, InvoiceHistory):
            histories.append(entry)
        else:
            account_credits.append(entry)
    if len(ids) > 1:
        msg = f"entries of several customers given together: {', '.join(sorted(ids))}"
        raise ValueError(msg)
    return histories, account_credits


def _decide_all(
    histories: Sequence[InvoiceHistory],
    scenario: Scenario,
    at: datetime,
    today: date,
    *,
    with_penalties: bool,
    rates: PenaltyRates | None,
    cache: RunCache,
    ahead: timedelta | None = None,
) -> tuple[dict[str, list[Action]], dict[str, list[InvoiceLine]], tuple[Decision, ...]]:
    """The actions due and the invoices to list, by currency, and every decision."""
    due: dict[str, list[Action]] = {}
    listed: dict[str, list[InvoiceLine]] = {}
    decisions: list[Decision] = []
    # What `decide` works out for each invoice (the place, the plan, the local day), once
    # for the customer's invoices, as `decide_many` does for a run of them.
    plan = _plan(scenario)
    customer, place, day = None, None, today
    for history in histories:
        if history.invoice.customer is not customer:
            customer = history.invoice.customer
            place = cache.place(customer)
            day = at.astimezone(place.tz).date()
        if with_penalties and history.penalties is None:
            decision = decide(
                history.invoice,
                history.events,
                scenario,
                at=at,
                with_penalties=True,
                rates=rates,
                cache=cache,
                prepare_ahead=ahead,
            )
        else:
            assert place is not None  # noqa: S101  (set with the first history)
            decision = _decide(
                history.invoice, history.events, plan, at, place, today=day, ahead=ahead
            )
        decisions.append(decision)
        action = decision.action
        if decision.status in (DecisionStatus.CLOSED, DecisionStatus.PAUSED):
            continue
        if action is None and decision.days_late <= 0:
            continue
        currency = history.invoice.currency
        if action is not None:
            due.setdefault(currency, []).append(action)
        penalties = history.penalties
        if penalties is None and decision.penalties is not None:
            locale = history.invoice.customer.locale
            penalties = PenaltySummary.from_breakdown(decision.penalties, locale=locale)
        listed.setdefault(currency, []).append(
            invoice_line(
                history.invoice,
                history.events,
                on=today,
                penalties=penalties,
                document=history.document,
            )
        )
    return due, listed, tuple(decisions)


def _customer_action(
    customer: Customer,
    *,
    currency: str,
    covers: tuple[Action, ...],
    lines: tuple[InvoiceLine, ...],
    credit: Decimal,
    net: Decimal,
    previous_messages: int,
    tone: Step | None = None,
    demanded: frozenset[str] = frozenset(),
    complementary_notice: bool = False,
    notice_on: date | None = None,
    earlier_reminders: tuple[date, ...] = (),
) -> CustomerAction:
    """The message covering *covers*, led by the first, in the *tone* step's words if it differs."""
    lead = covers[0]  # the highest level due, then the most days late
    kind, level, level_name = lead.kind, lead.level, lead.level_name
    template, wording = lead.template, lead.penalty_wording
    if tone is not None and (tone.kind is not kind or tone.level != level):
        kind, level, level_name = tone.kind, tone.level, tone.name
        template, wording = tone.template, tone.penalty_wording
    needs_approval = [a for a in covers if a.requires_approval]
    return CustomerAction(
        id=_message_id(customer.id, currency, covers),
        customer=customer,
        currency=currency,
        kind=kind,
        level=level,
        level_name=level_name,
        channel=lead.channel,
        template=template,
        due_at=lead.due_at,
        deadline_on=lead.deadline_on,
        deadline_days=lead.deadline_days,
        requires_approval=bool(needs_approval),
        approved=bool(needs_approval) and all(a.approved for a in needs_approval),
        covers=covers,
        invoices=lines,
        unapplied_credit=credit,
        amount_due=net,
        previous_messages=previous_messages,
        penalty_wording=wording,
        demanded=demanded,
        complementary_notice=complementary_notice,
        notice_on=notice_on,
        earlier_reminders=earlier_reminders,
        not_before=lead.not_before,
        not_after=lead.not_after,
    )


def plan_customer_actions(
    entries: Iterable[PortfolioEntry],
    scenario: ScenarioChoice,
    *,
    at: datetime,
    with_penalties: bool = False,
    rates: PenaltyRates | None = None,
    grouping: Literal["sorted", "grouped"] = "sorted",
) -> Iterator[CustomerAction]:
    """Stream the messages due at *at*, one customer at a time, over entries sorted by customer.

    Only one customer's entries are held in memory. Knowing that a customer's group does not
    come back needs either the order or a memory of every id seen: by default the entries must
    be **sorted by customer id** (ascending, as Python compares strings; ``ORDER BY
    customer_id`` in SQL with a binary collation), and each group's id is compared with the
    previous one, in constant memory: an id that is not above the previous one is an error.
    A stream that is grouped but not sorted (e.g. by customer number as an integer) can pass
    ``grouping="grouped"``: then the ids already seen are kept in a set (memory grows with the
    number of customers, about 100 bytes each).

    Args:
        entries: `InvoiceHistory`, `PaymentOnAccount` and `UnappliedCreditNote` items, sorted
            (or, with ``grouping="grouped"``, grouped) by customer id.
        scenario: the scenario, or a function choosing it from the customer.
        at: the instant to decide for (timezone-aware).
        with_penalties: state each listed invoice's penalties (see `plan_for_customer`).
        rates: rate tables for those penalties; by default the packaged ones.
        grouping: ``"sorted"`` (default, constant memory) or ``"grouped"`` (a set of ids).

    Yields:
        `CustomerAction` items, customer by customer (see `plan_for_customer`).

    Raises:
        ValueError: if *at* is naive.
        PortfolioOrderError: (a ValueError, code ``customer_not_grouped``) if a customer id is
            not above the previous one (``"sorted"``), or reappears after its group ended
            (``"grouped"``). Raised when that group is reached: the customers before it have
            been yielded.

    Examples:
        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning.core.builtin import STANDARD
        >>> def inv(customer_id, due):
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{customer_id}-{due}",
        ...         number="1", customer=Customer(id=customer_id, name=customer_id),
        ...         issued_on=date(2026, 1, 2), due_on=due, total="100.00"))
        >>> at = datetime(2026, 3, 9, 10, tzinfo=ZoneInfo("Europe/Paris"))
        >>> stream = [inv("A", date(2026, 3, 6)), inv("B", date(2026, 3, 6))]
        >>> [(a.customer_id, a.template) for a in plan_customer_actions(stream, STANDARD, at=at)]
        [('A', 'friendly'), ('B', 'friendly')]
        >>> list(plan_customer_actions(stream + [inv("A", date(2026, 3, 1))], STANDARD, at=at))
        Traceback (most recent call last):
        ...
        dunning.exceptions.PortfolioOrderError: customer 'A' comes after 'B': give the entries ...
        >>> backwards = [inv("B", date(2026, 3, 6)), inv("A", date(2026, 3, 6))]
        >>> len(list(plan_customer_actions(backwards, STANDARD, at=at, grouping="grouped")))
        2
    """
    check_aware(at)
    if grouping not in {"sorted", "grouped"}:
        msg = f"grouping must be 'sorted' or 'grouped', not {grouping!r}"
        raise ValueError(msg)
    seen: set[str] | None = set() if grouping == "grouped" else None
    previous: str | None = None
    for customer_id, group in groupby(entries, key=_customer_id):
        if seen is None:
            if previous is not None and customer_id <= previous:
                # groupby merged equal neighbours: an id not above the previous one is either a
                # group coming back or a stream out of order, and both are refused.
                msg = (
                    f"customer {customer_id!r} comes after {previous!r}: give the entries sorted "
                    "by customer id (a customer's group must not come back after it ended; "
                    "for a stream grouped but not sorted, pass grouping='grouped')"
                )
                raise PortfolioOrderError(msg)
            previous = customer_id
        else:
            if customer_id in seen:
                msg = (
                    f"customer {customer_id!r} appears again after its group ended: "
                    "give the entries grouped (e.g. sorted) by customer id"
                )
                raise PortfolioOrderError(msg)
            seen.add(customer_id)
        yield from plan_for_customer(
            group, scenario, at=at, with_penalties=with_penalties, rates=rates
        )
