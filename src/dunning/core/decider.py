"""The engine's timing rules, applied to one invoice: closed, paused, retry, next step.

`_decide` is the decision on one invoice at one instant once its history is read
(`dunning.core.history_facts`); `_Decider` holds what it derived and applies one rule per
method, in the order `dunning.core.engine`'s module docstring states them (that docstring is
the rules' statement; this module is their code). Private to the engine: `decide` and
`decide_many` are the way in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dunning.core.calendar import BusinessCalendar, next_window
from dunning.core.decision import Action, Decision, DecisionStatus, _retry_id, action_id
from dunning.core.history_facts import _NO_FACTS, _agreement_state, _collect
from dunning.core.ledger import Ledger, standing_after
from dunning.core.model import Channel, Event, Invoice
from dunning.core.runcache import Place
from dunning.core.scenario import Scenario, ScenarioPlan, Step

__all__: list[str] = []  # private to the engine (`dunning.core.engine`)


_ONE_DAY = timedelta(days=1)
_RETRY = "retry after failed delivery"


class _Candidate(NamedTuple):
    """A step that could be taken, on a channel, and when (named tuples: immutable and cheap)."""

    step: Step
    channel: Channel
    occurrence: int
    retry_id: str | None  # set for a retry; ladder ids are only hashed when acted upon
    opens: datetime  # when it is (or becomes) due
    closes: datetime | None  # when the current window closes (None: no window)
    reason: str


class _Outcome(NamedTuple):
    """What a chosen candidate makes of a decision, beyond the invoice's own figures."""

    status: DecisionStatus  # action due, waiting or not due
    reason: str
    review: datetime | None  # the decision's next_review_at
    ahead: bool  # due at its window's opening, for later
    days_late: int  # the action's (counted from the day it goes out)
    deadline_on: date | None  # the action's stated deadline


_LadderKey = tuple[ScenarioPlan, datetime, timedelta | None, date, int, date | None]
"""What a ladder depends on besides the place: plan, instant, ``prepare_ahead``, anchor, the
position of the highest step taken, and the floor (`_Decider.ladder`)."""

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
        "opted_out",
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
        self.opted_out = invoice.customer.opted_out
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
        # The position in the ladder of the highest ladder step taken, -1 if none (a
        # broken-promise step taken counts as the last ladder step of its level: `plan.index`).
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
        opted_out = self.opted_out
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
        opted_out, by_id = self.opted_out, self.plan.by_id
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
        if self.facts.rejected or self.opted_out:
            return self._with_outcome(anchor)
        key: _LadderKey = (self.plan, self.at, self.ahead, anchor, self.highest_taken, self.floor)
        place = self.place
        memo = place.ladders
        if memo is None:  # one decision, without a run's cache: the process-wide pure memo
            return _shared_ladder(key, place.tz, place.calendar)
        found: _Ladder | None = memo.get(key)
        if found is None:
            found = memo[key] = self._with_outcome(anchor)
        return found

    @classmethod
    def _walker(
        cls,
        plan: ScenarioPlan,
        at: datetime,
        ahead: timedelta | None,
        place: Place,
        *,
        highest_taken: int,
        floor: date | None,
    ) -> _Decider:
        """A decider for the ladder alone, of no invoice (`_shared_ladder`).

        It holds what `ladder` depends on, no more: no opt-outs, no rejections, no history;
        what would read an invoice (`finish`, `act`, `pause`...) fails on the missing slot.
        """
        d = cls.__new__(cls)
        d.plan, d.at, d.ahead = plan, at, ahead
        d.place, d.tz = place, place.tz
        d.today = at.astimezone(place.tz).date()
        d.facts = _NO_FACTS
        d.opted_out = frozenset()
        d.notes = d.skipped = None
        d.highest_taken, d.floor = highest_taken, floor
        return d

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


_SHARED_LADDERS = 4096
"""Most ladders `_shared_ladder` keeps (a few hundred bytes each)."""


@lru_cache(maxsize=_SHARED_LADDERS)
def _shared_ladder(key: _LadderKey, tz: ZoneInfo, calendar: BusinessCalendar) -> _Ladder:
    """`_Decider.ladder` for a decision made without a run's cache (`decide` alone).

    The ladder's answer is a pure function of immutable values: the key of the run's memo
    (`Place.ladders`: plan, instant, ``prepare_ahead``, anchor, highest step taken, floor)
    and the place's zone and calendar. Its value is immutable too (named tuples of steps,
    channels, instants and texts), so this ``lru_cache`` is shared by every call in the
    process and can never give an answer a fresh walk would not. It saves the walk (some
    3 us) when a host decides invoices one `decide` at a time at one instant. The plan is
    compared by identity: a cached one lives as long as its entry.
    """
    plan, at, ahead, anchor, highest_taken, floor = key
    walker = _Decider._walker(  # noqa: SLF001  (the decider's own alternate constructor)
        plan, at, ahead, Place(tz, calendar, shared=False), highest_taken=highest_taken, floor=floor
    )
    return walker._with_outcome(anchor)  # noqa: SLF001


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
