"""One conversation per customer: what a credit controller lets go out, and in which tone.

How this works
--------------
Everything that shapes what one customer receives, across their invoices, lives here (DOMAIN
section 9). Each invoice keeps its own ladder in `dunning.core.engine` (its due date drives its
steps, its interest, its indemnity); this module takes the actions the engine says are due on
the customer's invoices today and decides which go out together, in which tone, or not at all.
Nothing is stored: the conversation is read from the `ActionTaken` events of the customer's
invoices (one message is the set of events recorded at one instant), so re-runs are idempotent.

`read_conversation` reads the past; `shape` decides today. The rules, in the order `shape`
applies them to messages *to the customer* (staff tasks are never carried by a customer message
nor the reverse, and keep only their ladder's own gap):

1. **One voice after a handover**: once a handover step was taken, nothing automatic goes to
   the customer.
2. **Business days, spacing and caps**: with ``business_days_only``, nothing on a weekend or
   public holiday of the customer's calendar (a step held back by these rules may otherwise
   fall due on one); at least ``customer_gap_days`` since the last message to the customer;
   at most ``messages_per_30_days`` (consumers: ``consumer_messages_per_30_days``) in any 30
   rolling days; nothing while a deadline stated in an earlier message runs (the customer gets
   only answers and receipts until it has passed).
3. **Never a notice first**: a formal-notice step of an invoice never named in a delivered
   message is replaced by the scenario's firmest written step below the notice (the *reprise*:
   a firm reminder with its dated deadline). A ladder with no written step before its notice
   (a notice-only scenario, which `lint` flags) keeps its notice.
4. **A notice is a legal act**: an invoice is put on notice at most once. A notice demands the
   invoices whose ladder reached it, plus those *pulled forward*: named in at least one delivered
   message and at least ``pull_forward_days`` late. Other overdue invoices are listed apart
   (their own due step rides along, without a threat); disputed and paused invoices never go
   in it. No notice for less than ``notice_minimum`` of principal, and at most one automatic
   notice per ``notice_spacing_days``.
5. **After a notice** (in the open conversation) later overdue invoices wait for the handover:
   nothing automatic goes to the customer except a *complementary* notice, always for a
   person's approval, no earlier than the first notice's deadline + ``complementary_gap_days``.
6. **No courtesy in dunning**: while the conversation is open, a courtesy step (before the due
   date) never makes a message of its own; it rides along with the next one.
7. **One level, never backwards**: the conversation's level is the highest level of the steps
   delivered since it opened; a message whose own steps are lower takes the tone (template,
   kind, level) of the scenario's step at that level (never the notice's: a newly overdue
   invoice does not inherit the legal step).
8. **Nothing under** ``minimum_overdue`` of net overdue balance.

The conversation opens with the first message to the customer and closes after ``quiet_days``
without one (``quiet_days_after_notice`` once it reached a notice): the tone then starts again
from the bottom. Notices already given still count: an invoice is never put on notice twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from dunning.core import _conversation_log as _log
from dunning.core.calendar import BusinessCalendar, calendar_for
from dunning.core.engine import Action, action_id
from dunning.core.model import (
    ActionApproved,
    Channel,
    Customer,
    CustomerKind,
    Event,
)
from dunning.core.scenario import ConversationRules, Scenario, Step, StepKind

__all__ = ["Conversation", "Shaped", "held_until", "quiet_until", "read_conversation", "shape"]

STAFF_CHANNELS = _log.STAFF_CHANNELS
"""Channels whose messages go to the creditor's staff, never to the customer."""

_ROLLING_DAYS = _log.ROLLING_DAYS


@dataclass(frozen=True, slots=True)
class Conversation:
    """The conversation with one customer as the events tell it, at one instant.

    Attributes:
        level: the conversation's level: the highest level of the scenario steps delivered
            since it opened (0 when closed or never opened).
        last_day: the local day of the last message to the customer, if any.
        recent_days: the days of the messages to the customer in the 30 days up to today.
        deadline_on: the latest payment deadline stated to the customer, if any.
        notice_on: the day of the formal notice of the open conversation, if one was given.
        notice_deadline_on: the deadline of the latest notice of the open conversation.
        notice_days: the days of every formal notice ever given to the customer.
        on_notice: the invoices ever put on notice.
        named: for each invoice named in a delivered message (not an uncertain one), the days
            it was named, oldest first.
        handed_over: a handover step was taken in the open conversation.
    """

    level: int = 0
    last_day: date | None = None
    recent_days: tuple[date, ...] = ()
    deadline_on: date | None = None
    notice_on: date | None = None
    notice_deadline_on: date | None = None
    notice_days: tuple[date, ...] = ()
    on_notice: frozenset[str] = frozenset()
    named: Mapping[str, tuple[date, ...]] = field(default_factory=dict)
    handed_over: bool = False

    @property
    def is_open(self) -> bool:
        """The customer is in dunning: a message went out and the quiet period has not passed."""
        return self.level > 0 or self.notice_on is not None


def read_conversation(
    events_by_invoice: Mapping[str, Sequence[Event]],
    scenario: Scenario,
    customer: Customer,
    *,
    at: datetime,
    last_message_at: datetime | None = None,
) -> Conversation:
    """Read the conversation with *customer* from its invoices' events, as it stands at *at*.

    Args:
        events_by_invoice: each invoice's events, by invoice id.
        scenario: the customer's scenario (gives each step's level, kind and deadline).
        customer: the debtor (time zone, calendar).
        at: the instant (timezone-aware); later events are ignored.
        last_message_at: a message to the customer known from elsewhere (the action log),
            counted for spacing only.

    Returns:
        A `Conversation`.

    Examples:
        >>> from datetime import datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.core.model import ActionTaken
        >>> paris = ZoneInfo("Europe/Paris")
        >>> sent = ActionTaken(at=datetime(2026, 3, 18, 10, tzinfo=paris), action_id="a1",
        ...                    channel="email", step_id="firm")
        >>> c = read_conversation({"F1": [sent]}, STANDARD, Customer(id="C", name="C"),
        ...                       at=datetime(2026, 3, 20, 10, tzinfo=paris))
        >>> c.level, c.last_day, c.deadline_on
        (3, datetime.date(2026, 3, 18), datetime.date(2026, 3, 23))
        >>> dict(c.named)
        {'F1': (datetime.date(2026, 3, 18),)}
    """
    log = _log.read_log(events_by_invoice, scenario, customer, at=at)
    return conversation_at(log, scenario, customer, at=at, last_message_at=last_message_at)


def conversation_at(
    log: _log.Log,
    scenario: Scenario,
    customer: Customer,
    *,
    at: datetime,
    last_message_at: datetime | None = None,
) -> Conversation:
    """`read_conversation` from the messages already read out of the events.

    For a caller that keeps a customer's messages (`Log`, kept up to date with `Log.taken`)
    rather than reading every event again: the day's conversation from them.

    Args:
        log: the messages read (`read_log`); it must hold at *at* (`Log.holds_at`).
        scenario: the scenario the log was read with.
        customer: the debtor.
        at: the instant.
        last_message_at: as `read_conversation`.

    Returns:
        The `Conversation` `read_conversation` reads from the same events at *at*.

    Examples:
        >>> from zoneinfo import ZoneInfo
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.core.model import ActionTaken
        >>> paris, acme = ZoneInfo("Europe/Paris"), Customer(id="C", name="C")
        >>> sent = ActionTaken(at=datetime(2026, 3, 18, 10, tzinfo=paris), action_id="a1",
        ...                    channel="email", step_id="firm")
        >>> log = _log.read_log({"F1": [sent]}, STANDARD, acme, at=sent.at)
        >>> at = datetime(2026, 3, 20, 10, tzinfo=paris)
        >>> c = conversation_at(log, STANDARD, acme, at=at)
        >>> c == read_conversation({"F1": [sent]}, STANDARD, acme, at=at)
        True
        >>> c.level, c.last_day, c.deadline_on
        (3, datetime.date(2026, 3, 18), datetime.date(2026, 3, 23))
    """
    tz = customer.tz
    today = at.astimezone(tz).date()
    rules = scenario.conversation
    sent = log.sent
    # The open conversation: the messages since the last opening (`Log.opened`), unless a
    # quiet period passed since the last of them.
    current = sent[log.opened :]
    if current:
        noticed = log.noticed or current[-1].notice
        quiet = rules.quiet_days_after_notice if noticed else rules.quiet_days
        if (today - current[-1].day).days >= quiet:
            current = ()
    last_days = [s.day for s in sent[-1:]]
    if last_message_at is not None and last_message_at <= at:
        # Known from the log, perhaps the same message as an event here: spacing only.
        last_days.append(last_message_at.astimezone(tz).date())
    notices = [s for s in current if s.notice]
    opened_at = current[0].at if current else None
    rolling = timedelta(days=_ROLLING_DAYS)
    return Conversation(
        level=max((s.level for s in current), default=0),
        last_day=max(last_days) if last_days else None,
        recent_days=tuple(s.day for s in sent if today - s.day < rolling),
        deadline_on=log.deadline_on,
        notice_on=notices[0].day if notices else None,
        notice_deadline_on=(notices[-1].deadline_on or notices[-1].day) if notices else None,
        notice_days=log.notice_days,
        on_notice=frozenset(log.on_notice),
        named=log.named,
        handed_over=opened_at is not None and any(h >= opened_at for h in log.handed_over_at),
    )


@dataclass(frozen=True, slots=True)
class Shaped:
    """What goes to the customer today in one currency, once the conversation rules applied.

    Attributes:
        covers: the per-invoice actions the message carries out (record one `ActionTaken`
            each); empty when nothing goes to the customer today.
        tone: the step whose template, kind and level the message takes.
        demanded: the invoices the message demands (for a notice: those put on notice).
        complementary: a formal notice that complements an earlier one.
        held: why the customer's due actions wait, one line each (for people).
    """

    covers: tuple[Action, ...] = ()
    tone: Step | None = None
    demanded: frozenset[str] = frozenset()
    complementary: bool = False
    held: tuple[str, ...] = ()


def shape(  # noqa: C901, PLR0911, PLR0912, PLR0915  (the rules of section 9, in order, in one place)
    due: Sequence[Action],
    overdue: Mapping[str, int],
    conversation: Conversation,
    scenario: Scenario,
    customer: Customer,
    *,
    today: date,
    principal: Mapping[str, Decimal],
    net_overdue: Decimal,
    approvals: Mapping[str, Iterable[str]] | None = None,
) -> Shaped:
    """Decide what goes to the customer today from the customer-facing actions *due*.

    Args:
        due: the actions to the customer the engine says are due today (staff ones excluded),
            one per invoice, in one currency.
        overdue: days late of every overdue invoice of that currency that may be chased (not
            paid, not paused), by invoice id.
        conversation: the conversation so far (`read_conversation`).
        scenario: the customer's scenario.
        customer: the debtor.
        today: the customer's local date.
        principal: the balance of each overdue invoice, by id.
        net_overdue: the overdue balance less unallocated credit.
        approvals: the ids of the approved actions, by invoice id (for notices pulled forward).

    Returns:
        A `Shaped`: the actions the message carries and its tone, or why nothing goes out.

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> shape([], {}, Conversation(), STANDARD, Customer(id="C", name="C"),
        ...       today=date(2026, 3, 2), principal={}, net_overdue=Decimal(0))
        Shaped(covers=(), tone=None, demanded=frozenset(), complementary=False, held=())
    """
    if not due:
        return Shaped()
    rules = scenario.conversation
    c = conversation
    if c.handed_over:
        return Shaped(held=("handed over: the file speaks with one voice",))
    if net_overdue < rules.minimum_overdue and any(a.days_late > 0 for a in due):
        return Shaped(held=(f"net overdue {net_overdue} is under {rules.minimum_overdue}",))
    calendar = calendar_for(customer.country, customer.subdivision)
    if scenario.business_days_only and not calendar.is_business_day(today):
        # A step held by the conversation and due since a weekday does not go on a Sunday.
        return Shaped(held=(f"{today} is not a business day",))
    gap = _gap_days(scenario)
    if c.last_day is not None and today < c.last_day + timedelta(days=gap):
        return Shaped(held=(f"last message on {c.last_day}: {gap} days between messages",))
    cap = _cap(scenario, customer)
    if len(c.recent_days) >= cap:
        return Shaped(held=(f"{cap} messages in 30 days already",))
    if c.deadline_on is not None and today <= c.deadline_on:
        return Shaped(held=(f"the deadline stated for {c.deadline_on} still runs",))

    notice_step = _notice_step(scenario)
    reprise = _reprise_step(scenario, notice_step)
    held: list[str] = []
    notices: list[Action] = []
    others: list[Action] = []
    for action in due:
        if action.kind is StepKind.FORMAL_NOTICE:
            if action.invoice_id in c.on_notice:
                held.append(f"{action.invoice_id} is already on notice")
            elif action.invoice_id not in c.named and reprise is not None:
                # Never a notice first: the reprise (a firm reminder with its deadline) instead.
                if c.notice_on is not None:
                    held.append(f"{action.invoice_id} was never reminded: no notice first")
                else:
                    others.append(
                        _as_step(action, reprise, approvals, today, calendar, customer.opted_out)
                    )
            else:
                notices.append(action)
        else:
            others.append(action)

    after_notice = c.notice_on is not None
    if notice_step is not None and (notices or (after_notice and rules.complementary_notice)):
        taken = {a.invoice_id for a in notices}
        for invoice_id, late in sorted(overdue.items()):
            if (
                invoice_id in taken
                or invoice_id in c.on_notice
                or invoice_id not in c.named
                or late < rules.pull_forward_days
            ):
                continue
            own = next((a for a in others if a.invoice_id == invoice_id), None)
            if own is not None:
                others.remove(own)  # the notice supersedes the step its ladder is at
                pulled = _as_step(own, notice_step, approvals, today, calendar, customer.opted_out)
            elif notices:
                ident = action_id(invoice_id, notice_step.id)
                pulled = replace(
                    notices[0],
                    id=ident,
                    invoice_id=invoice_id,
                    amount_due=principal.get(invoice_id, Decimal(0)),
                    days_late=late,
                    approved=ident in set((approvals or {}).get(invoice_id, ())),
                )
            else:
                continue  # nothing due on it today to carry the notice
            notices.append(
                replace(
                    pulled, deadline_on=notices[0].deadline_on if notices else pulled.deadline_on
                )
            )
        reason = (
            _notice_refused(notices, c, rules, today, principal, after_notice=after_notice)
            if notices
            else ""
        )
        if reason:
            # Not today: the notice waits, the other invoices' steps go on without it.
            held.append(reason)
            pulled_ids = {a.invoice_id for a in notices} - taken
            notices = []
            others = [a for a in due if a.invoice_id in pulled_ids] + others
    complementary = after_notice
    if notices and notice_step is not None:
        taken = {a.invoice_id for a in notices}
        if complementary:
            notices = [replace(a, requires_approval=True) for a in notices]
        ridden = [a for a in others if a.invoice_id not in taken]
        covers = tuple(_ordered(notices)) + tuple(_ordered(ridden))
        return Shaped(
            covers=covers,
            tone=notice_step,
            demanded=frozenset(a.invoice_id for a in notices),
            complementary=complementary,
            held=tuple(held),
        )
    if after_notice:
        return Shaped(held=(*held, f"after the notice of {c.notice_on}: waiting for the handover"))
    if c.is_open and all(a.kind is StepKind.COURTESY for a in others):
        return Shaped(held=(*held, "no courtesy message while the account is in dunning"))
    if not others:
        return Shaped(held=tuple(held))
    covers = tuple(_ordered(others))
    lead = covers[0]
    tone = scenario.step(lead.step_id)
    if c.level > lead.level:
        tone = _tone_at(scenario, c.level) or tone
    return Shaped(
        covers=covers,
        tone=tone,
        demanded=frozenset(a.invoice_id for a in covers if a.days_late > 0),
        held=tuple(held),
    )


def _gap_days(scenario: Scenario) -> int:
    """Days from one message to the customer to the next (rule 2's spacing)."""
    return max(scenario.conversation.customer_gap_days, scenario.minimum_gap_days, 1)


def _cap(scenario: Scenario, customer: Customer) -> int:
    """Messages to *customer* allowed in any 30 rolling days (rule 2's cap)."""
    rules = scenario.conversation
    if customer.kind is CustomerKind.CONSUMER:
        return rules.consumer_messages_per_30_days
    return rules.messages_per_30_days


def quiet_until(
    conversation: Conversation, scenario: Scenario, customer: Customer, *, today: date
) -> date:
    """The first day from *today* on which rule 2 lets a message to the customer out.

    Rule 2 as `shape` applies it: a business day (with ``business_days_only``), the spacing
    since the last message, the cap over 30 rolling days, and no stated deadline still
    running. Before that day `shape` lets nothing go to the customer, whatever else holds
    (staff tasks are not concerned): a lower bound for a caller that wants to know when to
    look again (the simulation), read from the conversation as it stands (a new message moves
    it).

    Args:
        conversation: the conversation so far (`read_conversation`).
        scenario: the customer's scenario.
        customer: the debtor (its kind sets the cap, its calendar the business days).
        today: the first day considered.

    Returns:
        *today* or a later day.

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> c = Conversation(last_day=date(2026, 3, 2), deadline_on=date(2026, 3, 10),
        ...                  recent_days=(date(2026, 3, 2),))
        >>> acme = Customer(id="C", name="C")
        >>> quiet_until(c, STANDARD, acme, today=date(2026, 3, 3))  # the day after the deadline
        datetime.date(2026, 3, 11)
        >>> quiet_until(Conversation(), STANDARD, acme, today=date(2026, 3, 7))  # a Saturday
        datetime.date(2026, 3, 9)
    """
    c = conversation
    first = today
    if c.last_day is not None:
        first = max(first, c.last_day + timedelta(days=_gap_days(scenario)))
    cap = _cap(scenario, customer)
    if len(c.recent_days) >= cap:
        # The count falls under the cap when enough of the oldest days are 30 days old.
        oldest = sorted(c.recent_days)[len(c.recent_days) - cap]
        first = max(first, oldest + timedelta(days=_ROLLING_DAYS))
    if c.deadline_on is not None:
        first = max(first, c.deadline_on + timedelta(days=1))
    if scenario.business_days_only:
        # Each bound above holds on every later day too: roll to a business day last.
        first = calendar_for(customer.country, customer.subdivision).roll_forward(first)
    return first


def held_until(
    conversation: Conversation,
    scenario: Scenario,
    customer: Customer,
    *,
    today: date,
    due_dates: Iterable[date] = (),
) -> date | None:
    """The first day after *today* on which `shape` may let out what it held back *today*.

    For a caller that saw the customer's due actions held back on *today* although rule 2
    let messages out that day (`quiet_until` from *today* is *today*): another rule held
    them. Absent new events and new due actions, what those rules read moves only on the
    days counted here: the conversation closing after its quiet period (the level, the
    courtesy of rule 6, the notice of rule 5, the handover of rule 1), a notice's spacing
    ending and a complementary notice's first day (rules 4 and 5), and an invoice falling
    overdue or reaching ``pull_forward_days`` late (rules 4 and 8), read from *due_dates*.
    From the day after, rule 2 applies again: the answer is never before `quiet_until`
    from tomorrow. A lower bound for a caller that wants to know when to look again (the
    simulation); the conversation must be read from the events alone (no
    ``last_message_at``), as it stands after the day's messages.

    Args:
        conversation: the conversation at *today* (`read_conversation`).
        scenario: the customer's scenario.
        customer: the debtor.
        today: the day the actions were held back.
        due_dates: the due dates of the parts still owed on the customer's invoices.

    Returns:
        A day after *today*, or None if none of those rules can let anything out before a
        new event.

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> acme = Customer(id="C", name="C")
        >>> c = Conversation(level=2, last_day=date(2026, 3, 2), recent_days=(date(2026, 3, 2),))
        >>> quiet = STANDARD.conversation.quiet_days
        >>> held_until(c, STANDARD, acme, today=date(2026, 3, 10)) == date(2026, 3, 2) + (
        ...     timedelta(days=quiet))  # the conversation closes: a courtesy step may go
        True
        >>> held_until(Conversation(), STANDARD, acme, today=date(2026, 3, 10),
        ...            due_dates=[date(2026, 3, 11)])  # falls overdue the day after
        datetime.date(2026, 3, 12)
        >>> held_until(Conversation(), STANDARD, acme, today=date(2026, 3, 10)) is None
        True
    """
    c = conversation
    rules = scenario.conversation
    moves: list[date] = []
    if c.last_day is not None:
        moves.extend(
            c.last_day + timedelta(days=days)
            for days in (rules.quiet_days, rules.quiet_days_after_notice)
        )
    if c.notice_on is not None:
        start = c.notice_deadline_on or c.notice_on
        moves.append(start + timedelta(days=rules.complementary_gap_days))
    moves.extend(d + timedelta(days=rules.notice_spacing_days) for d in c.notice_days)
    for due in due_dates:
        moves.extend((due + timedelta(days=1), due + timedelta(days=rules.pull_forward_days)))
    later = [d for d in moves if d > today]
    if not later:
        return None
    return max(min(later), quiet_until(c, scenario, customer, today=today + timedelta(days=1)))


def _notice_refused(
    notices: Sequence[Action],
    c: Conversation,
    rules: ConversationRules,
    today: date,
    principal: Mapping[str, Decimal],
    *,
    after_notice: bool,
) -> str:
    """Why no notice goes out today ("" when one may)."""
    if after_notice:
        if not rules.complementary_notice:
            return f"after the notice of {c.notice_on}: complementary notices are off"
        start = (c.notice_deadline_on or c.notice_on or today) + timedelta(
            days=rules.complementary_gap_days
        )
        if today < start:
            return f"a complementary notice comes from {start}"
    else:
        recent = [d for d in c.notice_days if (today - d).days < rules.notice_spacing_days]
        if recent:
            return f"a notice was given on {recent[-1]}: one per {rules.notice_spacing_days} days"
    amount = sum((principal.get(a.invoice_id, Decimal(0)) for a in notices), Decimal(0))
    if amount < rules.notice_minimum:
        return f"a notice needs {rules.notice_minimum} of principal, not {amount}"
    return ""


def _ordered(actions: Iterable[Action]) -> list[Action]:
    return sorted(actions, key=lambda a: (-a.level, -a.days_late, a.invoice_id))


def _notice_step(scenario: Scenario) -> Step | None:
    return next((s for s in scenario.steps if s.kind is StepKind.FORMAL_NOTICE), None)


def _written(step: Step) -> bool:
    return step.channel not in STAFF_CHANNELS and step.kind is not StepKind.FORMAL_NOTICE


def _reprise_step(scenario: Scenario, notice: Step | None) -> Step | None:
    """The firmest written step below the notice: what an account met late receives first."""
    below = [
        s
        for s in scenario.steps
        if _written(s)
        and s.kind is not StepKind.COURTESY
        and (notice is None or s.level < notice.level)
    ]
    return max(below, key=lambda s: (s.level, s.offset_days)) if below else None


def _tone_at(scenario: Scenario, level: int) -> Step | None:
    """The scenario's written step at the conversation's level (never the notice)."""
    candidates = [
        s
        for s in scenario.steps
        if _written(s) and s.kind is not StepKind.COURTESY and s.level <= level
    ]
    return max(candidates, key=lambda s: (s.level, s.offset_days)) if candidates else None


def _as_step(  # noqa: PLR0917
    action: Action,
    step: Step,
    approvals: Mapping[str, Iterable[str]] | None,
    today: date,
    calendar: BusinessCalendar,
    opted_out: frozenset[Channel],
) -> Action:
    """*action*'s invoice, carried out at *step* (a notice pulled forward, a reprise).

    The id is the one the engine gives that step, so the invoice's ladder sees it taken.
    """
    ident = action_id(action.invoice_id, step.id)
    approved = ident in set((approvals or {}).get(action.invoice_id, ()))
    deadline_on = None
    if step.deadline_days is not None:
        # As the engine states a deadline (CPC art. 642 by analogy): rolled to a business day.
        deadline_on = calendar.roll_forward(today + timedelta(days=step.deadline_days))
    channel = step.channel
    if channel in opted_out:
        fallback = step.fallback_channel
        channel = fallback if fallback is not None and fallback not in opted_out else action.channel
    return replace(
        action,
        id=ident,
        step_id=step.id,
        kind=step.kind,
        level=step.level,
        level_name=step.name,
        channel=channel,
        template=step.template,
        deadline_days=step.deadline_days,
        deadline_on=deadline_on,
        requires_approval=step.requires_approval,
        approved=approved,
        penalty_wording=step.penalty_wording,
        is_retry=False,
    )


def approvals_of(
    events_by_invoice: Mapping[str, Sequence[Event]], at: datetime
) -> dict[str, set[str]]:
    """The ids of the actions approved up to *at*, by invoice id."""
    return {
        invoice_id: {e.action_id for e in events if isinstance(e, ActionApproved) and e.at <= at}
        for invoice_id, events in events_by_invoice.items()
    }
