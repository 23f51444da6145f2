"""The decision engine: which action, if any, is due on an invoice at an instant.

How this works
--------------
`decide` is a pure function of (invoice, events, scenario, at). Events dated after ``at`` (or
after the customer's local date of ``at``) are ignored, so the same history can be replayed at
any instant. The history is read as corrected (`dunning.core.model.corrected`): a fact that a
`Reversal` cancels never happened, whatever the reversal's date. All timing rules live in this
module, in this order:

1. **Closed**: the balance (total less payments and credit notes, as `dunning.core.ledger`
   reads them) is at or below the scenario's tolerance, or dunning was stopped for good
   (`DunningStopped`: refused, cancelled, assigned to a factor).
2. **Paused**, first match wins: an open dispute; an active hold (until its end date, inclusive);
   a payment plan whose installments are paid on time (each may be up to ``grace_days`` late);
   a promise to pay whose date plus ``grace_days`` has not passed. The latest of plan and
   promise is the one that counts. A broken plan or promise resumes dunning, first with the
   scenario's ``broken_promise_step`` if it has one (once per break).
3. **Retry**: an action whose delivery failed is retried once on its step's fallback channel,
   as soon as the channel allows (no minimum gap: the customer never received the first one),
   unless a later action has since reached the customer. The retry has its own id, so a step
   that requires approval must be approved again for the new channel.
4. **Next step**. A step's *planned date* is the due date of the oldest unpaid part of the
   invoice + ``offset_days``. Its *earliest date* is the latest of: the planned date; the date
   of the previous delivered action (scenario or manual) + ``minimum_gap_days``; the day after
   every payment deadline stated so far (an action's date + ``deadline_days``, rolled to the
   next business day of the customer's calendar as a stated deadline is, see `Action`; a later
   action without a deadline does not cancel an earlier one). A failed delivery sets neither. With
   ``business_days_only`` the earliest date rolls forward to the next business day of the
   customer's calendar. A channel with send windows is due at the first window opening on or
   after that day, and only while a window is open. Without windows the action is due from
   00:00 local time on the earliest date. A caller that runs outside the windows (a nightly
   batch) asks for ``prepare_ahead``: an action whose window opens within that time after
   the instant is due now, for later: its ``not_before`` is the opening (its ``not_after`` the
   close), and its deadline and days late are those of the opening's local date.
5. **Catch-up**: ``one_level_at_a_time`` proposes the first step after the highest step taken;
   ``jump_to_due_level`` the last step already due (lower ones are skipped for good). Never
   more than one action per invoice per decision.

A step counts as taken once an `ActionTaken` event names it, also one marked ``uncertain``
(possibly delivered: never proposed again until a human says it was not). A step that requires
approval is proposed (with ``requires_approval=True``) at every decision until then, with the
same id; an approval given for another balance than today's has lapsed. A rejected action
(`ActionRejected`) skips its step. A channel the customer opted out of is
replaced by the step's fallback channel, or the step is skipped.

``next_review_at`` is the earliest instant at which the status or the actions can change
absent new events (days late and penalties grow every day regardless); with ``prepare_ahead``,
a windowed step's opening less that time (when a run may prepare it). None means only a new
event can change the decision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from dunning.core._types import check_aware, check_keyword_init, frozen_setter
from dunning.core.calendar import next_window
from dunning.core.ledger import Ledger, standing_after
from dunning.core.model import (
    _INSTANT_EVENTS,
    ActionApproved,
    ActionTaken,
    Channel,
    CreditNote,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    DunningStopped,
    Event,
    HoldLifted,
    HoldPlaced,
    Invoice,
    Payment,
    PaymentPlanAgreed,
    PenaltyWording,
    PromiseToPay,
    Reversal,
    check_history,
    corrected,
)
from dunning.core.penalties.compute import PenaltyBreakdown, compute_penalties
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.policy import Chooser, ScenarioChoice, as_chooser
from dunning.core.runcache import Place, RunCache, place_of
from dunning.core.scenario import Scenario, ScenarioPlan, Step, StepKind
from dunning.exceptions import InvoiceHistoryError, RateNotAvailableError

__all__ = [
    "Action",
    "Decision",
    "DecisionStatus",
    "action_id",
    "decide",
    "decide_many",
    "penalties_at",
]

_ONE_DAY = timedelta(days=1)
_TWO_DAYS = timedelta(days=2)
_ZERO = Decimal(0)
_RETRY = "retry after failed delivery"


class DecisionStatus(StrEnum):
    """Where an invoice stands at an instant."""

    NOT_DUE = "not_due"
    """Not yet due and nothing to do now."""
    WAITING = "waiting"
    """Overdue; the next step is planned later (see ``next_review_at``)."""
    ACTION_DUE = "action_due"
    """An action is due now (see ``actions``)."""
    PAUSED = "paused"
    """Dispute, hold, promise to pay or payment plan in good standing."""
    CLOSED = "closed"
    """Paid (balance at or below the tolerance), or stopped for good (`DunningStopped`)."""
    EXHAUSTED = "exhausted"
    """Still unpaid, every step taken: a human decides what comes next."""


@check_keyword_init
@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class Action:
    """An action the host should carry out (send, call, prepare for approval).

    Attributes:
        id: deterministic: the same invoice, step and occurrence always give the same id. Use
            it as the idempotency key and record it in `ActionTaken`.
        invoice_id: the invoice chased.
        customer_id: its customer.
        step_id: the scenario step.
        kind: the step's kind (selects the template family).
        level: escalation level of the step.
        level_name: display name of the level.
        channel: the channel to use (the fallback channel for a retry or an opt-out).
        template: template name.
        due_at: the instant the action became due.
        deadline_on: the payment deadline to state, if the step has one: the local date of the
            decision + ``deadline_days``, rolled to the customer's next business day when it
            falls on a weekend or public holiday (the rule of CPC art. 642 for procedural
            deadlines; docs/timing.md).
        penalty_wording: what the message says about penalties (the step's setting); None
            means the default for the step's kind.
        deadline_days: the step's deadline in days, if any.
        requires_approval: a human must approve before it is sent.
        approved: an `ActionApproved` event exists for this id, for the current balance
            (an approval given for another amount has lapsed).
        is_retry: a retry on the fallback channel after a failed delivery.
        amount_due: the balance at the decision.
        currency: the invoice currency.
        days_late: days the oldest unpaid part is overdue (negative: days before due).
        not_before: set when the action was prepared ahead of its send window (``decide``'s
            ``prepare_ahead``): the window's opening, the instant it may reach the customer
            from; None when it may go now.
        not_after: with ``not_before``, the instant that window closes.
    """

    id: str
    invoice_id: str
    customer_id: str
    step_id: str
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
    is_retry: bool
    amount_due: Decimal
    currency: str
    days_late: int
    penalty_wording: PenaltyWording | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None

    def __init__(  # one keyword per field, checked at import by check_keyword_init
        self,
        *,
        id: str,  # noqa: A002  (the field's name)
        invoice_id: str,
        customer_id: str,
        step_id: str,
        kind: StepKind,
        level: int,
        level_name: str,
        channel: Channel,
        template: str,
        due_at: datetime,
        deadline_on: date | None,
        deadline_days: int | None,
        requires_approval: bool,
        approved: bool,
        is_retry: bool,
        amount_due: Decimal,
        currency: str,
        days_late: int,
        penalty_wording: PenaltyWording | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> None:
        """Set every field from its keyword (checked at import by `check_keyword_init`)."""
        set_field = frozen_setter(self)
        set_field("id", id)
        set_field("invoice_id", invoice_id)
        set_field("customer_id", customer_id)
        set_field("step_id", step_id)
        set_field("kind", kind)
        set_field("level", level)
        set_field("level_name", level_name)
        set_field("channel", channel)
        set_field("template", template)
        set_field("due_at", due_at)
        set_field("deadline_on", deadline_on)
        set_field("deadline_days", deadline_days)
        set_field("requires_approval", requires_approval)
        set_field("approved", approved)
        set_field("is_retry", is_retry)
        set_field("amount_due", amount_due)
        set_field("currency", currency)
        set_field("days_late", days_late)
        set_field("penalty_wording", penalty_wording)
        set_field("not_before", not_before)
        set_field("not_after", not_after)


@check_keyword_init
@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class Decision:
    """What `decide` concluded for one invoice at one instant.

    Attributes:
        invoice_id: the invoice.
        at: the instant decided for.
        status: see `DecisionStatus`.
        level: highest escalation level reached so far (0 before any step).
        level_name: its display name ("" before any step).
        actions: the actions due now (at most one).
        next_review_at: earliest instant the decision can change absent new events, or None.
        reason: one line explaining the status, for people.
        outstanding: the balance at the decision.
        currency: the invoice currency.
        days_late: days the oldest unpaid part is overdue (0 if none is).
        next_step_id: the step planned next, if any.
        notes: other facts worth showing (a step skipped, a promise kept, penalties not stated).
        penalties: the late-payment penalties owed at the decision's local date, itemised,
            when `decide` was asked for them (``with_penalties=True``) and the invoice is late;
            None otherwise, or when a rate they need is not in the tables (see ``notes``).
    """

    invoice_id: str
    at: datetime
    status: DecisionStatus
    level: int
    level_name: str
    actions: tuple[Action, ...]
    next_review_at: datetime | None
    reason: str
    outstanding: Decimal
    currency: str
    days_late: int
    next_step_id: str | None = None
    notes: tuple[str, ...] = ()
    penalties: PenaltyBreakdown | None = None

    def __init__(  # one keyword per field, checked at import by check_keyword_init
        self,
        *,
        invoice_id: str,
        at: datetime,
        status: DecisionStatus,
        level: int,
        level_name: str,
        actions: tuple[Action, ...],
        next_review_at: datetime | None,
        reason: str,
        outstanding: Decimal,
        currency: str,
        days_late: int,
        next_step_id: str | None = None,
        notes: tuple[str, ...] = (),
        penalties: PenaltyBreakdown | None = None,
    ) -> None:
        """Set every field from its keyword (checked at import by `check_keyword_init`)."""
        set_field = frozen_setter(self)
        set_field("invoice_id", invoice_id)
        set_field("at", at)
        set_field("status", status)
        set_field("level", level)
        set_field("level_name", level_name)
        set_field("actions", actions)
        set_field("next_review_at", next_review_at)
        set_field("reason", reason)
        set_field("outstanding", outstanding)
        set_field("currency", currency)
        set_field("days_late", days_late)
        set_field("next_step_id", next_step_id)
        set_field("notes", notes)
        set_field("penalties", penalties)

    @property
    def action(self) -> Action | None:
        """The action due now, or None."""
        return self.actions[0] if self.actions else None

    def _repr_html_(self) -> str:
        """The decision as an HTML table, for notebooks."""
        # Imported here: a notebook nicety, kept out of the engine's dependencies.
        from dunning.core.display import Money, html_table  # noqa: PLC0415

        a = self.action
        rows = [
            ("status", self.status),
            ("reason", self.reason),
            ("level", f"{self.level} {self.level_name}".strip()),
            ("action", f"{a.step_id} by {a.channel.value}" if a else ""),
            ("outstanding", Money(self.outstanding, self.currency)),
            ("days late", self.days_late),
            ("next review", self.next_review_at),
            *(("note", note) for note in self.notes),
        ]
        return html_table(["", ""], rows, caption=f"Decision on {self.invoice_id} at {self.at}")


def action_id(invoice_id: str, step_id: str, occurrence: int = 1) -> str:
    """The deterministic id of an action: same inputs, same id, across runs and machines.

    *occurrence* is 1 for a ladder step; a broken-promise step taken again after a second
    break is occurrence 2, and so on. Retries on a fallback channel get an id derived from the
    failed action's id.

    Examples:
        >>> action_id("F-1", "reminder") == action_id("F-1", "reminder", 1)
        True
        >>> action_id("F-1", "reminder") == action_id("F-2", "reminder")
        False
        >>> len(action_id("F-1", "reminder"))
        28
    """
    return _digest(f"{invoice_id}\x1f{step_id}\x1f{occurrence}")


def _retry_id(failed_action_id: str, channel: Channel) -> str:
    return _digest(f"{failed_action_id}\x1fretry:{channel.value}")


def _digest(key: str) -> str:
    # 96 bits of SHA-256: collisions are out of reach for any portfolio, and ids stay short.
    # The first 12 bytes in hex: the first 24 hex digits of the digest.
    return "act_" + hashlib.sha256(key.encode()).digest()[:12].hex()


_Taken = tuple[ActionTaken, date]
"""An action taken, with its day in the customer's time zone: a plain pair, always unpacked
(a NamedTuple's ``__new__`` is Python code, and one is made per action in a history)."""


class _Facts:
    """Everything `decide` derives from the history, in one pass."""

    __slots__ = (
        "agreement",
        "approved",
        "dispute_open",
        "failed",
        "hold",
        "money",
        "rejected",
        "settled",
        "stopped",
        "taken",
    )

    def __init__(self) -> None:
        # Literals, not dataclass default factories: one `_Facts` per decision.
        self.money: list[Payment | CreditNote] = []  # dated on or before the day decided
        self.settled = _ZERO  # what they settle, summed as they are read
        self.taken: list[_Taken] = []
        self.failed: dict[str, date] = {}
        self.approved: dict[str, Decimal | None] = {}  # id -> amount approved
        self.rejected: set[str] = set()
        self.dispute_open: DisputeOpened | None = None
        self.hold: HoldPlaced | None = None
        self.agreement: PromiseToPay | PaymentPlanAgreed | None = None
        self.stopped: DunningStopped | None = None


_NO_FACTS = _Facts()
"""The facts of an empty history, shared: only `_collect` ever changes a `_Facts`, while it
builds a new one."""


def _collect(  # noqa: C901, PLR0912  (one pass, one branch per kind of event)
    invoice: Invoice, events: Sequence[Event], today: date, at: datetime, tz: ZoneInfo
) -> _Facts:
    """The facts of the history known at *at*, read as corrected, checked on the way.

    One pass: each instant is converted to the customer's local day once, for the check and
    for the rules. A problem found is reported by `check_history` (the first one, by position).
    A history with a `Reversal` is read again as `corrected` gives it (which checks it whole).
    """
    if not events:
        return _NO_FACTS
    if not isinstance(events, list | tuple):
        events = tuple(events)  # read more than once (a check, a reversal)
    facts = _Facts()
    issued, currency = invoice.issued_on, invoice.currency
    dated: list[tuple[date, int, Event]] = []
    money = facts.money
    settled = _ZERO
    # An instant whose local day is before *recent* is before *at*: two instants' UTC offsets
    # differ by less than 48 hours (each is under 24 in absolute value, a rule of `datetime`),
    # so the exact comparison of aware instants (slow across time zones) is only needed for
    # the last two days and after.
    recent = today - _TWO_DAYS
    for n, event in enumerate(events):
        if isinstance(event, _INSTANT_EVENTS):
            day = event.at.astimezone(tz).date()
            if day < issued:
                check_history(invoice, events)
            if day >= recent and event.at > at:
                continue
            if isinstance(event, ActionTaken):
                facts.taken.append((event, day))
            elif isinstance(event, DeliveryFailed):
                facts.failed[event.action_id] = day
            elif isinstance(event, ActionApproved):
                facts.approved[event.action_id] = event.amount_due
            else:
                facts.rejected.add(event.action_id)
            continue
        if type(event) is Reversal:
            # A fact cancelled: read the history as corrected (checked whole first), from the
            # start. Rare, so the common history is walked once, not once more by `corrected`.
            return _collect(invoice, corrected(invoice, events), today, at, tz)
        on = event.on
        if on < issued:
            check_history(invoice, events)
        if isinstance(event, Payment | CreditNote):
            if event.currency != currency:
                check_history(invoice, events)
            if on <= today:
                money.append(event)
                settled += event.amount
        elif on <= today:
            dated.append((on, n, event))
    if dated:
        _read_dated(facts, dated)
    facts.settled = settled
    if len(facts.taken) > 1:
        facts.taken.sort(key=lambda taken: taken[0].at)
    return facts


def _read_dated(facts: _Facts, dated: list[tuple[date, int, Event]]) -> None:
    """Set the pauses and the stop of *facts* from the dated events, in date order."""
    # Same-day events keep the host's order: "opened then resolved" on one day is resolved.
    dated.sort(key=lambda item: (item[0], item[1]))
    for _, _, event in dated:
        if isinstance(event, DisputeOpened):
            facts.dispute_open = event
        elif isinstance(event, DisputeResolved):
            facts.dispute_open = None
        elif isinstance(event, HoldPlaced):
            facts.hold = event
        elif isinstance(event, HoldLifted):
            facts.hold = None
        elif isinstance(event, PromiseToPay | PaymentPlanAgreed):
            facts.agreement = event
        elif isinstance(event, DunningStopped) and facts.stopped is None:
            facts.stopped = event  # the first stop: nothing lifts it


@dataclass(frozen=True, slots=True)
class _Agreement:
    """The state of the latest promise or plan: pausing until a date, or broken on a date."""

    paused_until: date | None  # last paused day, inclusive
    broken_on: date | None  # first day dunning resumes after a break
    describe: str


def _agreement_state(
    agreement: PromiseToPay | PaymentPlanAgreed, ledger: Ledger, today: date, grace: int
) -> _Agreement:
    slack = timedelta(days=grace)
    if isinstance(agreement, PromiseToPay):
        last_day = agreement.promised_on + slack
        if today <= last_day:
            return _Agreement(last_day, None, f"promise to pay by {agreement.promised_on}")
        paid = ledger.received_between(agreement.on, last_day)
        kept = agreement.amount is not None and paid >= agreement.amount
        if kept:
            return _Agreement(None, None, f"promise of {agreement.on} kept")
        return _Agreement(
            None, last_day + _ONE_DAY, f"promise to pay by {agreement.promised_on} broken"
        )
    due = Decimal(0)
    for installment in agreement.installments:
        due += installment.amount
        last_day = installment.due_on + slack
        if today <= last_day:
            # This installment can still be paid on time: the plan holds until then.
            return _Agreement(last_day, None, "payment plan in good standing")
        if ledger.received_between(agreement.on, last_day) < due:
            return _Agreement(
                None,
                last_day + _ONE_DAY,
                f"payment plan broken (installment of {installment.due_on})",
            )
    return _Agreement(None, None, "payment plan completed")


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 0.6 us; never changed once made
class _Candidate:
    step: Step
    channel: Channel
    occurrence: int
    retry_id: str | None  # set for a retry; ladder ids are only hashed when acted upon
    opens: datetime  # when it is (or becomes) due
    closes: datetime | None  # when the current window closes (None: no window)
    reason: str


@dataclass(slots=True)  # not frozen, as _Candidate: never changed once made
class _Outcome:
    """What a chosen candidate makes of a decision, beyond the invoice's own figures."""

    status: DecisionStatus  # action due, waiting or not due
    reason: str
    review: datetime | None  # the decision's next_review_at
    ahead: bool = field(kw_only=True)  # due at its window's opening, for later
    days_late: int = field(kw_only=True)  # the action's (counted from the day it goes out)
    deadline_on: date | None = field(kw_only=True)  # the action's stated deadline


_Ladder = tuple[_Candidate | None, Sequence[_Candidate], _Outcome | None]
"""The next ladder step, the later ones whose becoming due would change it, and its outcome."""


def _channel_for(step: Step, opted_out: frozenset[Channel]) -> Channel | None:
    if step.channel not in opted_out:
        return step.channel
    if step.fallback_channel is not None and step.fallback_channel not in opted_out:
        return step.fallback_channel
    return None


def _is_open(candidate: _Candidate, at: datetime) -> bool:
    return candidate.opens <= at and (candidate.closes is None or at < candidate.closes)


def _ahead(candidate: _Candidate, at: datetime, ahead: timedelta | None) -> bool:
    """Whether *candidate* waits only for its send window, which opens within *ahead* of *at*."""
    return ahead is not None and candidate.closes is not None and at < candidate.opens <= at + ahead


def _plan(scenario: Scenario) -> ScenarioPlan:
    """The scenario's plan (`Scenario.plan`, kept by the scenario).

    A copy made with ``model_copy`` carries its original's plan in its ``__dict__``: its own
    is worked out afresh (and not kept).
    """
    plan = scenario.plan
    return plan if plan.scenario is scenario else ScenarioPlan.of(scenario)


class _Decider:
    """One decision in the making: the facts derived once, and one method per rule."""

    __slots__ = (
        "ahead",
        "anchor",
        "at",
        "facts",
        "floor",
        "highest_taken",
        "invoice",
        "late",
        "level",
        "level_name",
        "notes",
        "outstanding",
        "place",
        "plan",
        "skipped",
        "today",
        "tz",
    )

    def __init__(
        self,
        invoice: Invoice,
        events: Sequence[Event],
        plan: ScenarioPlan,
        at: datetime,
        place: Place,
        *,
        today: date,
        ahead: timedelta | None = None,
    ) -> None:
        self.invoice = invoice
        self.plan = plan
        self.at = at
        self.ahead = ahead
        self.place, self.tz = place, place.tz
        self.today = today
        self.facts = facts = _collect(invoice, events, today, at, place.tz)
        # The money is the ledger's: what is owed, and since which due date (`_collect` summed
        # the money of the history as corrected, dated on or before *today*).
        self.outstanding, anchor = standing_after(invoice, facts.settled)
        self.anchor = anchor
        late = (today - anchor).days if anchor is not None else 0
        self.late = max(0, late)
        # Notes and skipped steps are rare: their lists are made by `note` when needed.
        self.notes: list[str] | None = None
        self.skipped: list[str] | None = None
        self.level, self.level_name = 0, ""
        self.floor: date | None = None
        # The position in the ladder of the highest ladder step taken, -1 if none.
        self.highest_taken = -1
        if not facts.taken:
            return
        index, highest = plan.index, -1
        for taken, _day in facts.taken:
            if taken.step_id is not None:
                n = index.get(taken.step_id, -1)  # -1: not a ladder step
                highest = max(highest, n)
            if taken.uncertain:
                self.note(
                    f"'{taken.step_id or taken.action_id}' possibly sent: its delivery is "
                    "uncertain until someone resolves it"
                )
        if highest >= 0:  # the level reached is the highest ladder step's
            step = plan.steps[highest]
            self.highest_taken, self.level, self.level_name = highest, step.level, step.name
        self.floor = self._floor()

    def note(self, text: str) -> None:
        """Add *text* to the decision's notes."""
        if self.notes is None:
            self.notes = [text]
        else:
            self.notes.append(text)

    def finish(
        self,
        status: DecisionStatus,
        reason: str,
        *,
        actions: tuple[Action, ...] = (),
        next_review_at: datetime | None = None,
        next_step_id: str | None = None,
    ) -> Decision:
        invoice = self.invoice
        return Decision(
            invoice_id=invoice.id,
            at=self.at,
            status=status,
            level=self.level,
            level_name=self.level_name,
            actions=actions,
            next_review_at=next_review_at,
            reason=reason,
            outstanding=self.outstanding,
            currency=invoice.currency,
            days_late=self.late,
            next_step_id=next_step_id,
            notes=tuple(self.notes) if self.notes is not None else (),
        )

    def pause(self) -> tuple[Decision | None, date | None]:
        """A paused decision if something pauses dunning; else the day a break resumed it."""
        facts, today = self.facts, self.today
        if facts.dispute_open is not None:
            reason = f"dispute opened on {facts.dispute_open.on}"
            return self.finish(DecisionStatus.PAUSED, reason), None
        hold = facts.hold
        if hold is not None and (hold.until is None or today <= hold.until):
            until = hold.until
            reason = f"on hold since {hold.on}" + (f" until {until}" if until else "")
            review = self.place.midnight(until + _ONE_DAY) if until else None
            return self.finish(DecisionStatus.PAUSED, reason, next_review_at=review), None
        if facts.agreement is None:
            return None, None
        state = _agreement_state(
            facts.agreement, Ledger(self.invoice, facts.money), today, self.plan.scenario.grace_days
        )
        if state.paused_until is not None:
            review = self.place.midnight(state.paused_until + _ONE_DAY)
            return self.finish(DecisionStatus.PAUSED, state.describe, next_review_at=review), None
        self.note(state.describe)
        return None, state.broken_on

    def _floor(self) -> date | None:
        """First day the next action may come (gap after the last one, every deadline stated).

        A later action does not cancel an earlier deadline: a manual call after a letter giving
        15 days does not shorten those 15 days. A failed delivery does not count: the customer
        never read its deadline.
        """
        facts, by_id, gap = self.facts, self.plan.by_id, self.plan.gap
        floor: date | None = None
        for taken, day in facts.taken:
            if taken.action_id in facts.failed:
                continue
            deadline = taken.deadline_days
            if deadline is None and taken.step_id is not None:
                step = by_id.get(taken.step_id)
                deadline = step.deadline_days if step is not None else None
            if deadline is not None:
                after_deadline = self.stated_deadline(day, deadline) + _ONE_DAY
                floor = after_deadline if floor is None else max(floor, after_deadline)
            # facts.taken is sorted by instant, so the last one seen sets the gap.
            gap_end = day + gap
            floor = gap_end if floor is None else max(floor, gap_end)
        return floor

    def stated_deadline(self, day: date, days: int) -> date:
        """*days* after *day*, rolled to the next business day (CPC art. 642, by analogy)."""
        return self.place.roll_forward(day + timedelta(days=days))

    def due(self, earliest: date, channel: Channel) -> tuple[datetime, datetime | None]:
        """When an action on *channel* allowed from *earliest* opens, and when its window closes."""
        plan = self.plan
        if plan.business_days_only:
            earliest = self.place.roll_forward(earliest)
        windows = plan.windows.get(channel) if plan.windows else None
        if windows is None:  # the plan keeps only channels that have windows
            return self.place.midnight(earliest), None
        return next_window(windows, self.place.calendar, self.tz, first_day=earliest, at=self.at)

    def candidate(
        self, step: Step, planned: date, occurrence: int, reason: str
    ) -> _Candidate | None:
        opted_out = self.invoice.customer.opted_out
        channel: Channel | None = step.channel
        if opted_out:
            channel = _channel_for(step, opted_out)
        if channel is None:
            note = f"step '{step.id}' skipped: customer opted out of {step.channel}"
            self.note(note)
            if self.skipped is None:
                self.skipped = [note]
            else:
                self.skipped.append(note)
            return None
        floor = self.floor
        earliest = planned if floor is None or planned >= floor else floor
        plan = self.plan
        if plan.business_days_only or plan.windows:
            opens, closes = self.due(earliest, channel)
        else:  # what `due` gives without its two rules
            opens, closes = self.place.midnight(earliest), None
        return _Candidate(step, channel, occurrence, None, opens, closes, reason)

    def retry(self) -> _Candidate | None:
        """A failed delivery, retried once on the step's fallback channel, without waiting."""
        facts = self.facts  # called only when a delivery failed
        opted_out, by_id = self.invoice.customer.opted_out, self.plan.by_id
        for n, (taken, _day) in enumerate(facts.taken):
            failed_on = facts.failed.get(taken.action_id)
            step = by_id.get(taken.step_id) if taken.step_id is not None else None
            if failed_on is None or step is None:
                continue
            if any(later.action_id not in facts.failed for later, _ in facts.taken[n + 1 :]):
                # A later action reached the customer: the dunning moved on, and repeating an
                # older, milder message now would be out of order.
                continue
            fallback = step.fallback_channel
            if fallback is None or fallback == taken.channel or fallback in opted_out:
                self.note(f"delivery of '{step.id}' failed; no fallback channel is left")
                continue
            retry_id = _retry_id(taken.action_id, fallback)
            if retry_id in facts.rejected or any(t.action_id == retry_id for t, _ in facts.taken):
                continue
            opens, closes = self.due(failed_on, fallback)
            return _Candidate(step, fallback, 0, retry_id, opens, closes, _RETRY)
        return None

    def after_break(self, broken_on: date) -> _Candidate | None:
        """The scenario's broken-promise step, once per break."""
        step = self.plan.scenario.broken_promise_step
        if step is None:
            return None
        if any(t.step_id == step.id and day >= broken_on for t, day in self.facts.taken):
            return None
        occurrence = 1 + sum(1 for t, _ in self.facts.taken if t.step_id == step.id)
        if action_id(self.invoice.id, step.id, occurrence) in self.facts.rejected:
            return None
        planned = broken_on + timedelta(days=step.offset_days)
        return self.candidate(step, planned, occurrence, "promise or plan broken")

    def ladder(self, anchor: date) -> _Ladder:
        """The next ladder step, the later ones whose becoming due would change it, its outcome.

        Without opt-outs and rejections (whose notes and ids are the invoice's own), the answer
        depends only on the plan, the instant, the place, *anchor*, the highest step taken and
        the floor: many invoices of a run share it, so it is kept in the place's memo for the
        run (`Place.ladders`; candidates and outcomes are never changed once made).
        """
        memo = self.place.ladders
        if memo is None or self.facts.rejected or self.invoice.customer.opted_out:
            return self._with_outcome(anchor)
        key = (self.plan, self.at, self.ahead, anchor, self.highest_taken, self.floor)
        found: _Ladder | None = memo.get(key)
        if found is None:
            found = memo[key] = self._with_outcome(anchor)
        return found

    def _with_outcome(self, anchor: date) -> _Ladder:
        chosen, later = self._ladder(anchor)
        if chosen is None:
            return None, later, None
        return chosen, later, self.outcome(chosen, anchor, later)

    def _ladder(self, anchor: date) -> tuple[_Candidate | None, Sequence[_Candidate]]:
        steps, offsets = self.plan.steps, self.plan.offsets
        rejected = self.facts.rejected
        highest = self.highest_taken  # the highest step taken or rejected: resume above it
        if rejected:
            for n in range(len(steps) - 1, highest, -1):
                if action_id(self.invoice.id, steps[n].id) in rejected:
                    highest = n
                    break
        if not self.plan.jump:  # one level at a time: the first step not taken or skipped
            for n in range(highest + 1, len(steps)):
                found = self.candidate(steps[n], anchor + offsets[n], 1, "scheduled")
                if found is not None:
                    return found, ()
            return None, ()
        pending: list[_Candidate] = []
        for n in range(highest + 1, len(steps)):
            found = self.candidate(steps[n], anchor + offsets[n], 1, "scheduled")
            if found is not None:
                pending.append(found)
        if not pending:
            return None, ()
        at, ahead = self.at, self.ahead
        due_now = [c for c in pending if _is_open(c, at) or _ahead(c, at, ahead)]
        chosen = due_now[-1] if due_now else min(pending, key=lambda c: c.opens)
        return chosen, tuple(c for c in pending if c.opens > at and c is not chosen)

    def approved(self, ident: str) -> bool:
        """An approval of this very action (*ident*, approved), for the balance as it is now."""
        amount = self.facts.approved[ident]
        if amount is None or amount == self.outstanding:
            return True
        self.note(
            f"approval lapsed: given for {amount} {self.invoice.currency}, "
            f"the balance is now {self.outstanding}"
        )
        return False

    def outcome(self, chosen: _Candidate, anchor: date, later: Sequence[_Candidate]) -> _Outcome:
        """What *chosen* makes of the decision: due now, due ahead of its window, or waited for.

        It depends on the candidates, the instant, the place and *anchor* only, never on the
        invoice's own figures, so the ladder's memo keeps it with them (`ladder`).
        """
        at, ahead = self.at, self.ahead
        if chosen.opens <= at and (chosen.closes is None or at < chosen.closes):  # _is_open
            return self._due(chosen, anchor, later, ahead=False)
        if ahead is not None and _ahead(chosen, at, ahead):
            return self._due(chosen, anchor, later, ahead=True)
        # Not due yet: review it when it becomes due.
        review = chosen.opens
        if ahead is not None and chosen.closes is not None:
            # The run that can prepare it ahead comes before its window: review it from then.
            review -= ahead
        status = DecisionStatus.WAITING
        if self.today <= anchor:
            # Not due yet; the status itself turns to "waiting" the day after the due date.
            status = DecisionStatus.NOT_DUE
            review = min(review, self.place.midnight(anchor + _ONE_DAY))
        reason = f"next: '{chosen.step.id}' on {chosen.opens.date()}"
        return _Outcome(status, reason, review, ahead=False, days_late=0, deadline_on=None)

    def _due(
        self, chosen: _Candidate, anchor: date, later: Sequence[_Candidate], *, ahead: bool
    ) -> _Outcome:
        """*chosen* due; *ahead*: due at its window's opening, for later."""
        step, today = chosen.step, self.today
        if ahead:  # the message goes out, and counts its days, on the day its window opens
            today = chosen.opens.astimezone(self.tz).date()
        deadline = step.deadline_days
        review = chosen.closes  # when nothing is planned later (the common case)
        if later:
            horizon = self.ahead
            changes = [
                c.opens - horizon if horizon is not None and c.closes is not None else c.opens
                for c in later
            ]
            if review is not None:
                changes.append(review)
            review = min(changes)
        reason = f"'{step.id}' due ({chosen.reason})"
        if ahead:
            opens = chosen.opens.isoformat()
            reason = f"'{step.id}' due at {opens}, when its send window opens ({chosen.reason})"
        return _Outcome(
            DecisionStatus.ACTION_DUE,
            reason,
            review,
            ahead=ahead,
            days_late=(today - anchor).days,
            deadline_on=self.stated_deadline(today, deadline) if deadline else None,
        )

    def act(self, chosen: _Candidate, outcome: _Outcome) -> Decision:
        """The decision with *chosen* due, as *outcome* (`outcome`) says."""
        step, invoice = chosen.step, self.invoice
        ident = chosen.retry_id or action_id(invoice.id, step.id, chosen.occurrence)
        ahead = outcome.ahead
        action = Action(
            id=ident,
            invoice_id=invoice.id,
            customer_id=invoice.customer.id,
            step_id=step.id,
            kind=step.kind,
            level=step.level,
            level_name=step.name,
            channel=chosen.channel,
            template=step.template,
            due_at=chosen.opens,
            deadline_on=outcome.deadline_on,
            deadline_days=step.deadline_days,
            requires_approval=step.requires_approval,
            approved=ident in self.facts.approved and self.approved(ident),
            is_retry=chosen.retry_id is not None,
            amount_due=self.outstanding,
            currency=invoice.currency,
            days_late=outcome.days_late,
            penalty_wording=step.penalty_wording,
            not_before=chosen.opens if ahead else None,
            not_after=chosen.closes if ahead else None,
        )
        return self.finish(
            DecisionStatus.ACTION_DUE,
            outcome.reason,
            actions=(action,),
            next_review_at=outcome.review,
            next_step_id=step.id,
        )


def decide(
    invoice: Invoice,
    events: Sequence[Event],
    scenario: Scenario,
    *,
    at: datetime,
    with_penalties: bool = False,
    rates: PenaltyRates | None = None,
    cache: RunCache | None = None,
    prepare_ahead: timedelta | None = None,
) -> Decision:
    """Decide what is due on *invoice* at instant *at*, given its history and a scenario.

    Pure: the same arguments always give the same decision; nothing is read or written.

    Args:
        invoice: the invoice (with its customer: calendar, time zone, opt-outs).
        events: its history, in any order. Events after *at* are ignored; a fact a
            `Reversal` cancels never happened, whatever the reversal's date (`corrected`).
        scenario: the ladder and timing rules.
        at: the instant to decide for; must be timezone-aware.
        with_penalties: also compute the late-payment penalties owed at the customer's local
            date of *at* (`compute_penalties`, regime from the customer's kind and the
            invoice's contractual rate; a consumer owes interest from the day a formal-notice
            step of *scenario* was delivered). Off by default: it costs more than the decision.
        rates: rate tables for the penalties; by default the packaged ones.
        cache: the run's `RunCache`, when deciding many invoices one call at a time (the
            runner and the portfolio pass theirs); by default a fresh one for this call.
        prepare_ahead: for a run outside the send windows (a nightly batch): an action that
            waits only for its channel's send window, opening within this time after *at*,
            is due now, with the opening as its ``not_before`` and the close as its
            ``not_after`` (its deadline counted from the opening's day). None (the default):
            an action is due only while its window is open.

    Returns:
        A `Decision` with at most one action (and its ``penalties`` when asked for).

    Raises:
        ValueError: if *at* is naive.
        InvoiceHistoryError: if the events contradict the invoice (code and field named),
            or a reversal breaks the rules of `check_history`.

    Examples:
        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning import STANDARD, Customer, Invoice
        >>> paris = ZoneInfo("Europe/Paris")
        >>> inv = Invoice(id="F-1", number="2026-0001", customer=Customer(id="C", name="ACME"),
        ...               issued_on=date(2026, 1, 2), due_on=date(2026, 2, 1), total="1200.00")
        >>> d = decide(inv, [], STANDARD, at=datetime(2026, 2, 2, 9, tzinfo=paris))
        >>> d.status.value, d.action.step_id, d.action.channel.value
        ('action_due', 'informative', 'email')
        >>> d = decide(inv, [], STANDARD, at=datetime(2026, 1, 20, tzinfo=paris))
        >>> d.status.value, d.next_review_at.isoformat()
        ('not_due', '2026-02-02T00:00:00+01:00')

        Penalties on request: 14 days late in February 2026 at the ECB rate of 1 January 2026
        (2.15 %) + 10 points, 1,200.00 x 12.15 % x 14 / 365 = 5.59, plus the 40 EUR indemnity:

        >>> d = decide(inv, [], STANDARD, at=datetime(2026, 2, 15, tzinfo=paris),
        ...            with_penalties=True)
        >>> d.penalties.interest, d.penalties.recovery_indemnity, d.penalties.total
        (Decimal('5.59'), Decimal('40.00'), Decimal('45.59'))

        A batch at 02:00 on Wednesday 25 February, the day the phone call of J+21 is planned
        (due 4 February; five days after the firm email of the 18th): the phone task's window
        opens at 10:00, so the batch prepares it for then.

        >>> from dunning.core.model import ActionTaken, Channel
        >>> taken = [ActionTaken(at=datetime(2026, 2, day, 10, tzinfo=paris), action_id=f"a{day}",
        ...                      channel=Channel.EMAIL, step_id=step)
        ...          for day, step in ((5, "informative"), (11, "reminder"), (18, "firm"))]
        >>> late = inv.model_copy(update={"due_on": date(2026, 2, 4)})
        >>> night = datetime(2026, 2, 25, 2, tzinfo=paris)
        >>> decide(late, taken, STANDARD, at=night).status.value
        'waiting'
        >>> d = decide(late, taken, STANDARD, at=night, prepare_ahead=timedelta(hours=24))
        >>> d.status.value, d.action.step_id, d.action.not_before.isoformat()
        ('action_due', 'phone_call', '2026-02-25T10:00:00+01:00')
    """
    check_aware(at)
    customer = invoice.customer
    place = cache.place(customer) if cache is not None else place_of(customer)
    plan, today = _plan(scenario), at.astimezone(place.tz).date()
    decision = _decide(invoice, events, plan, at, place, today=today, ahead=prepare_ahead)
    if not with_penalties:
        return decision
    events = corrected(invoice, events)
    return _with_penalties(decision, invoice, events, plan, rates, tz=place.tz, today=today)


def decide_many(
    items: Iterable[tuple[Invoice, Sequence[Event]]],
    scenario: ScenarioChoice,
    *,
    at: datetime,
    with_penalties: bool = False,
    rates: PenaltyRates | None = None,
    cache: RunCache | None = None,
    prepare_ahead: timedelta | None = None,
) -> Iterator[Decision]:
    """Decide many invoices at one instant, lazily: one `Decision` per pair, in order.

    Gives exactly what `decide` gives for each pair, faster: the scenario's plan is worked
    out once per scenario (`Scenario.plan`), time zones, calendars, rolled days and midnights
    once per place (in a `RunCache` made for the call), and no pair is kept once decided, so
    any number of invoices runs in constant memory (read them from a cursor, a file, a
    generator).

    Args:
        items: ``(invoice, events)`` pairs, from any iterable (consumed as decisions are
            asked for).
        scenario: one `Scenario` for every invoice; a `Policy`, which picks one per customer
            (`Policy.scenario_for`); or any function of a `Customer` returning a `Scenario`,
            as the runner takes. A choice is made once per run of invoices of the same
            customer.
        at: the instant to decide for; must be timezone-aware (checked at once).
        with_penalties: also compute the penalties, as `decide` does.
        rates: rate tables for the penalties; by default the packaged ones.
        cache: a `RunCache` to use (the runner's, say); by default a fresh one for the call.
        prepare_ahead: as `decide`.

    Returns:
        An iterator of decisions, one per pair, in the order of *items*.

    Raises:
        ValueError: if *at* is naive (when called, before any pair is read).
        TypeError: if *scenario* is none of the three (when called).
        InvoiceHistoryError: as `decide`, when the pair is reached.

    Examples:
        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning import STANDARD, Customer, Invoice, Payment
        >>> acme = Customer(id="C", name="ACME")
        >>> pairs = [
        ...     (Invoice(id=f"F-{n}", number=f"2026-{n}", customer=acme, issued_on=date(2026, 1, 2),
        ...              due_on=date(2026, 2, 1), total="100.00"), events)
        ...     for n, events in enumerate([[], [Payment(on=date(2026, 2, 1), amount="100.00")]])
        ... ]
        >>> at = datetime(2026, 2, 2, 9, tzinfo=ZoneInfo("Europe/Paris"))
        >>> [d.status.value for d in decide_many(pairs, STANDARD, at=at)]
        ['action_due', 'closed']

        A `Policy` picks each customer's scenario (here the default policy's, for a customer
        of no particular segment):

        >>> from dunning.scenarios import DEFAULT_POLICY
        >>> [d.status.value for d in decide_many(pairs, DEFAULT_POLICY, at=at)]
        ['action_due', 'closed']
    """
    check_aware(at)
    if not isinstance(scenario, Scenario):
        scenario = as_chooser(scenario)  # a wrong type fails here, not for each invoice
    return _decide_many(
        items,
        scenario,
        at,
        with_penalties=with_penalties,
        rates=rates,
        cache=cache or RunCache(),
        ahead=prepare_ahead,
    )


def _decide_many(
    items: Iterable[tuple[Invoice, Sequence[Event]]],
    scenario: Scenario | Chooser,
    at: datetime,
    *,
    with_penalties: bool,
    rates: PenaltyRates | None,
    cache: RunCache,
    ahead: timedelta | None = None,
) -> Iterator[Decision]:
    fixed = _plan(scenario) if isinstance(scenario, Scenario) else None
    customer, place = None, None
    if fixed is not None and not with_penalties:
        # The common case, without the per-pair choice of scenario and of penalties; the local
        # date of *at* is worked out once per run of invoices in the same time zone.
        zone, today = None, date.min  # both set with the first invoice's place
        for invoice, events in items:
            if invoice.customer is not customer or place is None:
                customer = invoice.customer
                place = cache.place(customer)
                if place.tz is not zone:
                    zone, today = place.tz, at.astimezone(place.tz).date()
            yield _decide(invoice, events, fixed, at, place, today=today, ahead=ahead)
        return
    plan = fixed
    for invoice, events in items:
        if invoice.customer is not customer or place is None or plan is None:
            # Invoices usually come customer by customer: the place and the scenario are
            # looked up once per run of them.
            customer = invoice.customer
            place = cache.place(customer)
            if not isinstance(scenario, Scenario):
                # decide_many sees invoices one by one: no payment history for the choice.
                plan = _plan(scenario(customer, ()))
        assert plan is not None  # noqa: S101 (fixed, or chosen with the customer)
        today = at.astimezone(place.tz).date()
        events = corrected(invoice, events)  # noqa: PLW2901  (read as corrected from here on)
        decision = _decide(invoice, events, plan, at, place, today=today, ahead=ahead)
        if with_penalties:
            decision = _with_penalties(
                decision, invoice, events, plan, rates, tz=place.tz, today=today
            )
        yield decision


def penalties_at(
    invoice: Invoice,
    events: Sequence[Event],
    scenario: Scenario,
    *,
    at: datetime,
    rates: PenaltyRates | None = None,
    cache: RunCache | None = None,
) -> PenaltyBreakdown | None:
    """The penalties `decide` states with ``with_penalties=True``, without deciding the rest.

    For a caller that wants only what is owed (a simulation's final book, a report): the
    same breakdown as the decision's ``penalties``, at the cost of the penalties alone.

    Args:
        invoice: the invoice.
        events: its history, as `decide` reads it.
        scenario: the scenario (its formal-notice steps start a consumer's interest).
        at: the instant (timezone-aware): penalties owed at the customer's local date.
        rates: rate tables; by default the packaged ones.
        cache: the run's `RunCache`, as `decide` takes it.

    Returns:
        The breakdown, or None where the decision's ``penalties`` is None: on or before
        the first due date, or when they cannot be stated (a rate beyond the tables, an
        overpaid invoice; the decision's notes say why).

    Raises:
        ValueError: if *at* is naive.
        InvoiceHistoryError: as `decide`.

    Examples:
        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning import STANDARD, Customer, Invoice
        >>> inv = Invoice(id="F-1", number="2026-0001", customer=Customer(id="C", name="ACME"),
        ...               issued_on=date(2026, 1, 2), due_on=date(2026, 2, 1), total="1200.00")
        >>> paris = ZoneInfo("Europe/Paris")
        >>> penalties_at(inv, [], STANDARD, at=datetime(2026, 2, 15, tzinfo=paris)).total
        Decimal('45.59')
        >>> penalties_at(inv, [], STANDARD, at=datetime(2026, 2, 1, tzinfo=paris)) is None
        True
    """
    check_aware(at)
    customer = invoice.customer
    place = cache.place(customer) if cache is not None else place_of(customer)
    owed = _penalties_owed(
        invoice,
        corrected(invoice, events),
        _plan(scenario),
        rates,
        at=at,
        tz=place.tz,
        today=at.astimezone(place.tz).date(),
    )
    return owed if isinstance(owed, PenaltyBreakdown) else None


def _with_penalties(
    decision: Decision,
    invoice: Invoice,
    events: Sequence[Event],
    plan: ScenarioPlan,
    rates: PenaltyRates | None,
    *,
    tz: ZoneInfo,
    today: date,
) -> Decision:
    """*decision* with the penalties owed on *today* (the local date of its instant in *tz*)."""
    owed = _penalties_owed(invoice, events, plan, rates, at=decision.at, tz=tz, today=today)
    if owed is None:
        return decision
    if isinstance(owed, str):
        return replace(decision, notes=(*decision.notes, owed))
    return replace(decision, penalties=owed)


def _penalties_owed(
    invoice: Invoice,
    events: Sequence[Event],
    plan: ScenarioPlan,
    rates: PenaltyRates | None,
    *,
    at: datetime,
    tz: ZoneInfo,
    today: date,
) -> PenaltyBreakdown | str | None:
    """The penalties owed on *today*; None before they can run; a note when not stated.

    A consumer owes interest from the first formal notice delivered (a scenario step of kind
    formal notice, taken by *at*, neither failed nor uncertain).
    """
    if today <= invoice.first_due_on:
        return None
    failed: set[str] = set()
    sent: list[ActionTaken] = []
    for e in events:  # one pass: the formal notices taken, and the deliveries that failed
        if isinstance(e, ActionTaken):
            if e.step_id is not None and not e.uncertain:
                step = plan.by_id.get(e.step_id)
                if step is not None and step.kind is StepKind.FORMAL_NOTICE and e.at <= at:
                    sent.append(e)
        elif isinstance(e, DeliveryFailed) and e.at <= at:
            failed.add(e.action_id)
    notices = [e.at.astimezone(tz).date() for e in sent if e.action_id not in failed]
    try:
        return compute_penalties(
            invoice,
            events,
            until=today,
            formal_notice_on=min(notices) if notices else None,
            rates=rates,
        )
    except RateNotAvailableError as error:
        # Never a guessed rate, and never a stalled batch: the decision stands without them.
        return f"penalties not stated: {error}"
    except InvoiceHistoryError as error:
        if error.code != "payments_exceed_amount":
            raise
        # Overpaid (a payment recorded twice, say): nothing is owed, the host must look.
        return f"penalties not stated: {error}"


def _decide(
    invoice: Invoice,
    events: Sequence[Event],
    plan: ScenarioPlan,
    at: datetime,
    place: Place,
    *,
    today: date,
    ahead: timedelta | None = None,
) -> Decision:
    """The decision on one invoice; *today* is the local date of *at* in *place*'s time zone.

    With *ahead*, an action that waits only for a send window opening within it is due, for
    later (`_Decider.outcome`).
    """
    d = _Decider(invoice, events, plan, at, place, today=today, ahead=ahead)
    anchor = d.anchor
    # 1. Closed: paid in full, or no longer chased (refused, cancelled, factored).
    if anchor is None or d.outstanding <= plan.tolerance:
        return d.finish(DecisionStatus.CLOSED, "paid in full")
    stopped = d.facts.stopped
    if stopped is not None:
        return d.finish(DecisionStatus.CLOSED, f"stopped on {stopped.on}: {stopped.reason}")
    # 2. Paused (dispute, hold, promise or plan in good standing).
    facts = d.facts
    broken_on = None
    if facts.dispute_open is not None or facts.hold is not None or facts.agreement is not None:
        paused, broken_on = d.pause()
        if paused is not None:
            return paused
    # 3. Retry, 4. broken-promise step, 5. the ladder: the first that has something wins.
    chosen = d.retry() if facts.failed else None
    if chosen is None and broken_on is not None:
        chosen = d.after_break(broken_on)
    if chosen is not None:
        outcome: _Outcome | None = d.outcome(chosen, anchor, ())
    else:
        chosen, _, outcome = d.ladder(anchor)
    if chosen is None or outcome is None:
        reason = (
            "no step left that can be taken: " + "; ".join(d.skipped)
            if d.skipped
            else "every step has been taken"
        )
        return d.finish(DecisionStatus.EXHAUSTED, reason)
    if outcome.status is DecisionStatus.ACTION_DUE:
        return d.act(chosen, outcome)
    return d.finish(
        outcome.status,
        outcome.reason,
        next_review_at=outcome.review,
        next_step_id=chosen.step.id,
    )
