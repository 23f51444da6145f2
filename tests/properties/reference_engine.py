"""The decision engine as it stood before the speed work of issue 12, kept as a test oracle.

A verbatim copy of ``dunning.core.engine`` at that commit, except that the result classes
(`Action`, `Decision`, `DecisionStatus`) are the library's, so decisions compare equal.
Do not edit: `test_decide_many_properties` checks the fast engine against it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dunning.core._types import check_aware
from dunning.core.calendar import calendar_for, next_window
from dunning.core.engine import Action, Decision, DecisionStatus
from dunning.core.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    Channel,
    CreditNote,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    Event,
    HoldLifted,
    HoldPlaced,
    Invoice,
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
    check_history,
)
from dunning.core.penalties.compute import compute_penalties
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.scenario import CatchUp, Scenario, Step, StepKind
from dunning.exceptions import InvoiceHistoryError, RateNotAvailableError

__all__ = ["decide"]

_ONE_DAY = timedelta(days=1)
_RETRY = "retry after failed delivery"
_INSTANT_EVENTS = (ActionTaken, DeliveryFailed, ActionApproved, ActionRejected)


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
    return "act_" + hashlib.sha256(key.encode()).hexdigest()[:24]


@dataclass(slots=True)
class _Facts:
    """Everything `decide` derives from the history, in one pass."""

    settled: Decimal = Decimal(0)
    money: list[tuple[date, Decimal]] = field(default_factory=list)
    taken: list[ActionTaken] = field(default_factory=list)
    failed: dict[str, date] = field(default_factory=dict)
    approved: dict[str, Decimal | None] = field(default_factory=dict)  # id -> amount approved
    rejected: set[str] = field(default_factory=set)
    dispute_open: DisputeOpened | None = None
    hold: HoldPlaced | None = None
    agreement: PromiseToPay | PaymentPlanAgreed | None = None


def _collect(  # noqa: C901, PLR0912  (one pass, one branch per kind of event)
    events: Sequence[Event], today: date, at: datetime, tz: ZoneInfo
) -> _Facts:
    facts = _Facts()
    dated: list[tuple[date, int, Event]] = []
    for n, event in enumerate(events):
        if isinstance(event, _INSTANT_EVENTS):
            if event.at > at:
                continue
            if isinstance(event, ActionTaken):
                facts.taken.append(event)
            elif isinstance(event, DeliveryFailed):
                facts.failed[event.action_id] = event.at.astimezone(tz).date()
            elif isinstance(event, ActionApproved):
                facts.approved[event.action_id] = event.amount_due
            else:
                facts.rejected.add(event.action_id)
        elif event.on <= today:
            if isinstance(event, Payment | CreditNote):
                facts.settled += event.amount
                facts.money.append((event.on, event.amount))
            else:
                dated.append((event.on, n, event))
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
    facts.taken.sort(key=lambda e: e.at)
    return facts


def _paid_between(money: list[tuple[date, Decimal]], first: date, last: date) -> Decimal:
    return sum((amount for on, amount in money if first <= on <= last), Decimal(0))


@dataclass(frozen=True, slots=True)
class _Agreement:
    """The state of the latest promise or plan: pausing until a date, or broken on a date."""

    paused_until: date | None  # last paused day, inclusive
    broken_on: date | None  # first day dunning resumes after a break
    describe: str


def _agreement_state(
    agreement: PromiseToPay | PaymentPlanAgreed, facts: _Facts, today: date, grace: int
) -> _Agreement:
    slack = timedelta(days=grace)
    if isinstance(agreement, PromiseToPay):
        last_day = agreement.promised_on + slack
        if today <= last_day:
            return _Agreement(last_day, None, f"promise to pay by {agreement.promised_on}")
        paid = _paid_between(facts.money, agreement.on, last_day)
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
        if _paid_between(facts.money, agreement.on, last_day) < due:
            return _Agreement(
                None,
                last_day + _ONE_DAY,
                f"payment plan broken (installment of {installment.due_on})",
            )
    return _Agreement(None, None, "payment plan completed")


def _anchor(invoice: Invoice, settled: Decimal) -> date | None:
    """Due date of the oldest part of the invoice not covered by what was settled."""
    cumulative = Decimal(0)
    for due, amount in invoice.schedule:
        cumulative += amount
        if settled < cumulative:
            return due
    return None


def _start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


@dataclass(frozen=True, slots=True)
class _Candidate:
    step: Step
    channel: Channel
    occurrence: int
    retry_id: str | None  # set for a retry; ladder ids are only hashed when acted upon
    opens: datetime  # when it is (or becomes) due
    closes: datetime | None  # when the current window closes (None: no window)
    reason: str


def _channel_for(step: Step, opted_out: frozenset[Channel]) -> Channel | None:
    if step.channel not in opted_out:
        return step.channel
    if step.fallback_channel is not None and step.fallback_channel not in opted_out:
        return step.fallback_channel
    return None


def _is_open(candidate: _Candidate, at: datetime) -> bool:
    return candidate.opens <= at and (candidate.closes is None or at < candidate.closes)


class _Decider:
    """One decision in the making: the facts derived once, and one method per rule."""

    __slots__ = (
        "anchor",
        "at",
        "calendar",
        "facts",
        "floor",
        "invoice",
        "late",
        "level",
        "level_name",
        "notes",
        "outstanding",
        "scenario",
        "skipped",
        "stood_for",
        "taken_count",
        "today",
        "tz",
    )

    def __init__(
        self, invoice: Invoice, events: Sequence[Event], scenario: Scenario, at: datetime
    ) -> None:
        customer = invoice.customer
        self.invoice = invoice
        self.scenario = scenario
        self.at = at
        self.tz = tz = customer.tz
        self.today = today = at.astimezone(tz).date()
        self.facts = facts = _collect(events, today, at, tz)
        self.outstanding = max(invoice.total - facts.settled, Decimal(0))
        self.anchor = _anchor(invoice, facts.settled)
        self.late = max((today - self.anchor).days, 0) if self.anchor is not None else 0
        self.notes: list[str] = []
        self.skipped: list[str] = []
        self.taken_count: dict[str, int] = {}
        for taken in facts.taken:
            if taken.step_id is not None:
                self.taken_count[taken.step_id] = self.taken_count.get(taken.step_id, 0) + 1
            if taken.uncertain:
                self.notes.append(
                    f"'{taken.step_id or taken.action_id}' possibly sent: its delivery is "
                    "uncertain until someone resolves it"
                )
        # The letter sent on a broken promise stands for the ladder's steps of its level and
        # below: they count as taken (the ladder resumes above it, the level is theirs).
        broken = scenario.broken_promise_step
        self.stood_for: set[str] = set()
        if broken is not None and broken.id in self.taken_count:
            # Not a legal act, though, unless the letter is one too: a firm letter of the
            # notice's level is no formal notice.
            legal = {StepKind.FORMAL_NOTICE, StepKind.HANDOVER}
            self.stood_for = {
                s.id
                for s in scenario.steps
                if s.level <= broken.level and (s.kind not in legal or s.kind is broken.kind)
            }
        self.level, self.level_name = 0, ""
        for step in scenario.steps:
            if step.id in self.taken_count or step.id in self.stood_for:
                self.level, self.level_name = step.level, step.name
        self.calendar = calendar_for(customer.country, customer.subdivision)
        self.floor = self._floor()

    def finish(
        self,
        status: DecisionStatus,
        reason: str,
        *,
        actions: tuple[Action, ...] = (),
        next_review_at: datetime | None = None,
        next_step_id: str | None = None,
    ) -> Decision:
        return Decision(
            invoice_id=self.invoice.id,
            at=self.at,
            status=status,
            level=self.level,
            level_name=self.level_name,
            actions=actions,
            next_review_at=next_review_at,
            reason=reason,
            outstanding=self.outstanding,
            currency=self.invoice.currency,
            days_late=self.late,
            next_step_id=next_step_id,
            notes=tuple(self.notes),
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
            review = _start(until + _ONE_DAY, self.tz) if until else None
            return self.finish(DecisionStatus.PAUSED, reason, next_review_at=review), None
        if facts.agreement is None:
            return None, None
        state = _agreement_state(facts.agreement, facts, today, self.scenario.grace_days)
        if state.paused_until is not None:
            review = _start(state.paused_until + _ONE_DAY, self.tz)
            return self.finish(DecisionStatus.PAUSED, state.describe, next_review_at=review), None
        self.notes.append(state.describe)
        return None, state.broken_on

    def _floor(self) -> date | None:
        """First day the next action may come (gap after the last one, every deadline stated).

        A later action does not cancel an earlier deadline: a manual call after a letter giving
        15 days does not shorten those 15 days. A failed delivery does not count: the customer
        never read its deadline.
        """
        facts, tz = self.facts, self.tz
        floor: date | None = None
        for taken in facts.taken:
            if taken.action_id in facts.failed:
                continue
            day = taken.at.astimezone(tz).date()
            deadline = taken.deadline_days
            if deadline is None and taken.step_id is not None:
                step = self.scenario.step(taken.step_id)
                deadline = step.deadline_days if step is not None else None
            if deadline is not None:
                after_deadline = self.stated_deadline(day, deadline) + _ONE_DAY
                floor = after_deadline if floor is None else max(floor, after_deadline)
            # facts.taken is sorted by instant, so the last one seen sets the gap.
            gap_end = day + timedelta(days=self.scenario.minimum_gap_days)
            floor = gap_end if floor is None else max(floor, gap_end)
        return floor

    def stated_deadline(self, day: date, days: int) -> date:
        """*days* after *day*, rolled to the next business day (CPC art. 642, by analogy)."""
        return self.calendar.roll_forward(day + timedelta(days=days))

    def due(self, earliest: date, channel: Channel) -> tuple[datetime, datetime | None]:
        """When an action on *channel* allowed from *earliest* opens, and when its window closes."""
        if self.scenario.business_days_only:
            earliest = self.calendar.roll_forward(earliest)
        windows = self.scenario.send_windows.get(channel)
        if not windows:
            return _start(earliest, self.tz), None
        return next_window(windows, self.calendar, self.tz, first_day=earliest, at=self.at)

    def candidate(
        self, step: Step, planned: date, occurrence: int, reason: str
    ) -> _Candidate | None:
        channel = _channel_for(step, self.invoice.customer.opted_out)
        if channel is None:
            note = f"step '{step.id}' skipped: customer opted out of {step.channel}"
            self.notes.append(note)
            self.skipped.append(note)
            return None
        earliest = planned if self.floor is None else max(planned, self.floor)
        opens, closes = self.due(earliest, channel)
        return _Candidate(step, channel, occurrence, None, opens, closes, reason)

    def retry(self) -> _Candidate | None:
        """A failed delivery, retried once on the step's fallback channel, without waiting."""
        facts, opted_out = self.facts, self.invoice.customer.opted_out
        for n, taken in enumerate(facts.taken):
            failed_on = facts.failed.get(taken.action_id)
            step = self.scenario.step(taken.step_id) if taken.step_id is not None else None
            if failed_on is None or step is None:
                continue
            if any(later.action_id not in facts.failed for later in facts.taken[n + 1 :]):
                # A later action reached the customer: the dunning moved on, and repeating an
                # older, milder message now would be out of order.
                continue
            fallback = step.fallback_channel
            if fallback is None or fallback == taken.channel or fallback in opted_out:
                self.notes.append(f"delivery of '{step.id}' failed; no fallback channel is left")
                continue
            retry_id = _retry_id(taken.action_id, fallback)
            if retry_id in facts.rejected or any(t.action_id == retry_id for t in facts.taken):
                continue
            opens, closes = self.due(failed_on, fallback)
            return _Candidate(step, fallback, 0, retry_id, opens, closes, _RETRY)
        return None

    def after_break(self, broken_on: date) -> _Candidate | None:
        """The scenario's broken-promise step, once per break."""
        step = self.scenario.broken_promise_step
        if step is None:
            return None
        tz = self.tz
        if any(
            t.step_id == step.id and t.at.astimezone(tz).date() >= broken_on
            for t in self.facts.taken
        ):
            return None
        occurrence = self.taken_count.get(step.id, 0) + 1
        if action_id(self.invoice.id, step.id, occurrence) in self.facts.rejected:
            return None
        planned = broken_on + timedelta(days=step.offset_days)
        return self.candidate(step, planned, occurrence, "promise or plan broken")

    def ladder(self, anchor: date) -> tuple[_Candidate | None, list[_Candidate]]:
        """The next ladder step, and the later ones whose becoming due would change it."""
        steps = self.scenario.steps
        facts = self.facts
        highest = -1  # the highest step taken or rejected: the ladder resumes above it
        for n, step in enumerate(steps):
            if (
                step.id in self.taken_count
                or step.id in self.stood_for
                or (facts.rejected and action_id(self.invoice.id, step.id) in facts.rejected)
            ):
                highest = n
        jump = self.scenario.catch_up is CatchUp.JUMP_TO_DUE_LEVEL
        pending: list[_Candidate] = []
        for step in steps[highest + 1 :]:
            found = self.candidate(step, anchor + timedelta(days=step.offset_days), 1, "scheduled")
            if found is not None:
                pending.append(found)
                if not jump:
                    return found, []
        if not pending:
            return None, []
        due_now = [c for c in pending if _is_open(c, self.at)]
        chosen = due_now[-1] if due_now else min(pending, key=lambda c: c.opens)
        return chosen, [c for c in pending if c.opens > self.at]

    def approved(self, ident: str) -> bool:
        """An approval of this very action, for the balance as it is now (else it lapsed)."""
        if ident not in self.facts.approved:
            return False
        amount = self.facts.approved[ident]
        if amount is None or amount == self.outstanding:
            return True
        self.notes.append(
            f"approval lapsed: given for {amount} {self.invoice.currency}, "
            f"the balance is now {self.outstanding}"
        )
        return False

    def act(self, chosen: _Candidate, anchor: date, later: list[_Candidate]) -> Decision:
        step, today = chosen.step, self.today
        deadline = step.deadline_days
        ident = chosen.retry_id or action_id(self.invoice.id, step.id, chosen.occurrence)
        action = Action(
            id=ident,
            invoice_id=self.invoice.id,
            customer_id=self.invoice.customer.id,
            step_id=step.id,
            kind=step.kind,
            level=step.level,
            level_name=step.name,
            channel=chosen.channel,
            template=step.template,
            due_at=chosen.opens,
            deadline_on=self.stated_deadline(today, deadline) if deadline else None,
            deadline_days=deadline,
            requires_approval=step.requires_approval,
            approved=self.approved(ident),
            is_retry=chosen.retry_id is not None,
            amount_due=self.outstanding,
            currency=self.invoice.currency,
            days_late=(today - anchor).days,
            penalty_wording=step.penalty_wording,
        )
        changes = [c.opens for c in later]
        if chosen.closes is not None:
            changes.append(chosen.closes)
        return self.finish(
            DecisionStatus.ACTION_DUE,
            f"'{step.id}' due ({chosen.reason})",
            actions=(action,),
            next_review_at=min(changes) if changes else None,
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
) -> Decision:
    """Decide what is due on *invoice* at instant *at*, given its history and a scenario.

    Pure: the same arguments always give the same decision; nothing is read or written.

    Args:
        invoice: the invoice (with its customer: calendar, time zone, opt-outs).
        events: its history, in any order. Events after *at* are ignored.
        scenario: the ladder and timing rules.
        at: the instant to decide for; must be timezone-aware.
        with_penalties: also compute the late-payment penalties owed at the customer's local
            date of *at* (`compute_penalties`, regime from the customer's kind and the
            invoice's contractual rate; a consumer owes interest from the day a formal-notice
            step of *scenario* was delivered). Off by default: it costs more than the decision.
        rates: rate tables for the penalties; by default the packaged ones.

    Returns:
        A `Decision` with at most one action (and its ``penalties`` when asked for).

    Raises:
        ValueError: if *at* is naive.
        InvoiceHistoryError: if the events contradict the invoice (code and field named).

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
    """
    check_aware(at)
    check_history(invoice, events)
    decision = _decide(invoice, events, scenario, at)
    if not with_penalties:
        return decision
    return _with_penalties(decision, invoice, events, scenario, rates)


def _with_penalties(
    decision: Decision,
    invoice: Invoice,
    events: Sequence[Event],
    scenario: Scenario,
    rates: PenaltyRates | None,
) -> Decision:
    tz = invoice.customer.tz
    today = decision.at.astimezone(tz).date()
    if today <= invoice.first_due_on:
        return decision
    failed = {e.action_id for e in events if isinstance(e, DeliveryFailed) and e.at <= decision.at}
    notices = [
        e.at.astimezone(tz).date()
        for e in events
        if isinstance(e, ActionTaken)
        and e.at <= decision.at
        and e.action_id not in failed
        and not e.uncertain
        and e.step_id is not None
        and (step := scenario.step(e.step_id)) is not None
        and step.kind is StepKind.FORMAL_NOTICE
    ]
    try:
        breakdown = compute_penalties(
            invoice,
            events,
            until=today,
            formal_notice_on=min(notices) if notices else None,
            rates=rates,
        )
    except RateNotAvailableError as error:
        # Never a guessed rate, and never a stalled batch: the decision stands without them.
        note = f"penalties not stated: {error}"
        return decision._replace(notes=(*decision.notes, note))
    except InvoiceHistoryError as error:
        if error.code != "payments_exceed_amount":
            raise
        # Overpaid (a payment recorded twice, say): nothing is owed, the host must look.
        note = f"penalties not stated: {error}"
        return decision._replace(notes=(*decision.notes, note))
    return decision._replace(penalties=breakdown)


def _decide(
    invoice: Invoice, events: Sequence[Event], scenario: Scenario, at: datetime
) -> Decision:
    d = _Decider(invoice, events, scenario, at)
    anchor = d.anchor
    # 1. Closed.
    if anchor is None or d.outstanding <= scenario.tolerance:
        return d.finish(DecisionStatus.CLOSED, "paid in full")
    # 2. Paused (dispute, hold, promise or plan in good standing).
    paused, broken_on = d.pause()
    if paused is not None:
        return paused
    # 3. Retry, 4. broken-promise step, 5. the ladder: the first that has something wins.
    later: list[_Candidate] = []
    chosen = d.retry()
    if chosen is None and broken_on is not None:
        chosen = d.after_break(broken_on)
    if chosen is None:
        chosen, later = d.ladder(anchor)
    if chosen is None:
        reason = (
            "no step left that can be taken: " + "; ".join(d.skipped)
            if d.skipped
            else "every step has been taken"
        )
        return d.finish(DecisionStatus.EXHAUSTED, reason)
    if _is_open(chosen, at):
        return d.act(chosen, anchor, later)
    review = chosen.opens
    status = DecisionStatus.WAITING
    if d.today <= anchor:
        # Not due yet; the status itself turns to "waiting" the day after the due date.
        status = DecisionStatus.NOT_DUE
        review = min(review, _start(anchor + _ONE_DAY, d.tz))
    return d.finish(
        status,
        f"next: '{chosen.step.id}' on {chosen.opens.date()}",
        next_review_at=review,
        next_step_id=chosen.step.id,
    )
