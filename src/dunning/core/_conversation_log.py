"""The messages a customer was sent, read once from its invoices' events and then kept up to date.

Internal to `dunning.core.conversation`, whose `read_conversation` is this module's two
halves in a row: `read_log` reads the messages out of the events (one message is the set of
`ActionTaken` events recorded at one instant), and `conversation_at` says what they make of
the conversation on a day (its level, spacing, deadlines, notices). The first half is the
costly one and depends on the day only through the events it leaves out as later than the
instant read; a caller that adds the events itself (the simulation) keeps the `Log` and
hands each `ActionTaken` it adds to `Log.taken`, instead of reading every event again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dunning.core.calendar import BusinessCalendar, calendar_for
from dunning.core.model import ActionTaken, Channel, Customer, DeliveryFailed, Event
from dunning.core.scenario import Scenario, Step, StepKind

STAFF_CHANNELS = frozenset({Channel.PHONE_TASK, Channel.INTERNAL_ALERT, Channel.HANDOVER})
"""Channels whose messages go to the creditor's staff, never to the customer."""

ROLLING_DAYS = 30


# `Sent` and `Log` are named tuples of immutable values (ids as sorted tuples, not sets), which
# the garbage collector stops tracking: a simulation keeps one log per customer for its whole run.


class Sent(NamedTuple):
    """One delivered message to the customer: the events recorded at one instant."""

    at: datetime
    day: date
    invoice_ids: tuple[str, ...]  # sorted
    level: int
    notice: bool
    deadline_on: date | None
    uncertain: bool


class Log(NamedTuple):
    """The messages to one customer read from its invoices' events up to an instant.

    With what `conversation_at` reads of them whatever the day (``opened`` to
    ``notice_days``), worked out once for the log rather than at each reading.

    Attributes:
        read_at: the instant read up to: events after it were left out.
        sent: the messages to the customer, oldest first.
        on_notice: the invoices a formal-notice step was taken on, sorted.
        handed_over_at: the instants of the handover steps taken.
        failed: the ids of the actions whose delivery failed, sorted.
        later: whether an `ActionTaken` or a `DeliveryFailed` was left out as later than
            ``read_at`` (then the log holds only at ``read_at``).
        opened: the index of the message that opened the conversation the last message is
            in (the days from one message to the next reach the quiet period of the
            messages since the last opening).
        noticed: whether a message from ``opened`` to the last one excluded was a notice.
        named: the days each invoice was named in a message that is not uncertain, oldest
            first (shared by the conversations read from the log: never changed).
        deadline_on: the latest deadline stated.
        notice_days: the days of the notices.
    """

    read_at: datetime
    sent: tuple[Sent, ...]
    on_notice: tuple[str, ...]
    handed_over_at: tuple[datetime, ...]
    failed: tuple[str, ...]
    later: bool
    opened: int
    noticed: bool
    named: Mapping[str, tuple[date, ...]]
    deadline_on: date | None
    notice_days: tuple[date, ...]

    def holds_at(self, at: datetime) -> bool:
        """Whether the log is what `read_log` would read at *at* from the same events."""
        return at == self.read_at or (at > self.read_at and not self.later)

    def taken(
        self,
        taken: Sequence[tuple[str, ActionTaken]],
        scenario: Scenario,
        customer: Customer,
        steps: Mapping[str, Step],
    ) -> Log | None:
        """The log once the *taken* events (invoice id, event), recorded now, are added.

        *taken* are recorded at one instant (one message, and staff tasks); *steps* are the
        scenario's (`steps_by_id`), the one the log was read with.

        Returns:
            The log `read_log` would read at that instant (or later) from the events with
            *taken*; None when the log cannot say (it left later events out, or the events
            are older than the instant it was read at): read the events again.
        """
        if not taken:
            return self
        at = taken[0][1].at
        if self.later or at < self.read_at or any(e.at != at for _, e in taken):
            return None
        on_notice, handed_over_at = set(self.on_notice), self.handed_over_at
        written: list[tuple[str, ActionTaken]] = []
        for invoice_id, event in taken:
            if event.action_id in self.failed:
                continue  # a failed delivery: no message (and no notice) from it
            step = steps.get(event.step_id) if event.step_id else None
            if step is not None and step.kind is StepKind.FORMAL_NOTICE:
                on_notice.add(invoice_id)
            if event.channel not in STAFF_CHANNELS:
                written.append((invoice_id, event))
            elif step is not None and step.kind is StepKind.HANDOVER:
                handed_over_at = (*handed_over_at, at)
        log = self._replace(
            read_at=at, on_notice=tuple(sorted(on_notice)), handed_over_at=handed_over_at
        )
        if not written:
            return log
        calendar = calendar_for(customer.country, customer.subdivision)
        one = message(at, customer.tz, written, steps, calendar)
        sent = self.sent
        # Every message read is from ``read_at`` or before: this one is the last.
        if sent and sent[-1].at == at:
            return _summarised(log, (*sent[:-1], _together(sent[-1], one)), scenario)
        return _appended(log, one, scenario)


def _appended(log: Log, one: Sent, scenario: Scenario) -> Log:
    """*log* with the message *one*, later than its last, and what it changes of the rest."""
    rules = scenario.conversation
    sent, opened, noticed = log.sent, log.opened, log.noticed
    if sent:
        before = sent[-1]
        noticed = noticed or before.notice
        quiet = rules.quiet_days_after_notice if noticed else rules.quiet_days
        if (one.day - before.day).days >= quiet:
            opened, noticed = len(sent), False
    named = log.named
    if not one.uncertain:
        named = dict(named)
        for invoice_id in one.invoice_ids:
            named[invoice_id] = (*named.get(invoice_id, ()), one.day)
    deadline_on = log.deadline_on
    if one.deadline_on is not None and (deadline_on is None or one.deadline_on > deadline_on):
        deadline_on = one.deadline_on
    return log._replace(
        sent=(*sent, one),
        opened=opened,
        noticed=noticed,
        named=named,
        deadline_on=deadline_on,
        notice_days=(*log.notice_days, one.day) if one.notice else log.notice_days,
    )


def _summarised(log: Log, sent: tuple[Sent, ...], scenario: Scenario) -> Log:
    """*log* with the messages *sent*, and what the conversation reads of them whatever the day."""
    rules = scenario.conversation
    quiet, after_notice = rules.quiet_days, rules.quiet_days_after_notice
    opened, noticed = 0, False
    named: dict[str, list[date]] = {}
    deadline_on: date | None = None
    for n, s in enumerate(sent):
        if n:
            before = sent[n - 1]
            noticed = noticed or before.notice
            if (s.day - before.day).days >= (after_notice if noticed else quiet):
                opened, noticed = n, False
        if not s.uncertain:
            for invoice_id in s.invoice_ids:
                named.setdefault(invoice_id, []).append(s.day)
        if s.deadline_on is not None and (deadline_on is None or s.deadline_on > deadline_on):
            deadline_on = s.deadline_on
    return log._replace(
        sent=sent,
        opened=opened,
        noticed=noticed,
        named={k: tuple(v) for k, v in named.items()},
        deadline_on=deadline_on,
        notice_days=tuple(s.day for s in sent if s.notice),
    )


def read_log(
    events_by_invoice: Mapping[str, Sequence[Event]],
    scenario: Scenario,
    customer: Customer,
    *,
    at: datetime,
    steps: Mapping[str, Step] | None = None,
) -> Log:
    """The messages to *customer* in its invoices' events recorded up to *at*.

    *steps*: the scenario's by id (`steps_by_id`), if the caller keeps them.
    """
    calendar = calendar_for(customer.country, customer.subdivision)
    failed, later = _failed(events_by_invoice, at)
    if steps is None:
        steps = steps_by_id(scenario)
    # One message = the ActionTaken events recorded at one instant, on any of the invoices.
    grouped: dict[datetime, list[tuple[str, ActionTaken]]] = {}
    handed_over_at: list[datetime] = []
    on_notice: set[str] = set()
    for invoice_id, events in events_by_invoice.items():
        for e in events:
            if not isinstance(e, ActionTaken):
                continue
            if e.at > at:
                later = True
                continue
            if e.action_id in failed:
                continue
            step = steps.get(e.step_id) if e.step_id else None
            if step is not None and step.kind is StepKind.FORMAL_NOTICE:
                on_notice.add(invoice_id)
            if e.channel in STAFF_CHANNELS:
                if step is not None and step.kind is StepKind.HANDOVER:
                    handed_over_at.append(e.at)
                continue
            grouped.setdefault(e.at, []).append((invoice_id, e))
    sent = tuple(
        message(instant, customer.tz, grouped[instant], steps, calendar)
        for instant in sorted(grouped)
    )
    log = Log(
        at,
        (),
        tuple(sorted(on_notice)),
        tuple(handed_over_at),
        tuple(sorted(failed)),
        later,
        opened=0,
        noticed=False,
        named={},
        deadline_on=None,
        notice_days=(),
    )
    return _summarised(log, sent, scenario)


def _failed(
    events_by_invoice: Mapping[str, Sequence[Event]], at: datetime
) -> tuple[set[str], bool]:
    """The ids of the actions whose delivery failed by *at*, and whether one failed later."""
    failed: set[str] = set()
    later = False
    for events in events_by_invoice.values():
        for e in events:
            if isinstance(e, DeliveryFailed):
                if e.at <= at:
                    failed.add(e.action_id)
                else:
                    later = True
    return failed, later


def message(
    instant: datetime,
    tz: ZoneInfo,
    taken: Sequence[tuple[str, ActionTaken]],
    steps: Mapping[str, Step],
    calendar: BusinessCalendar,
) -> Sent:
    """The message made of the *taken* events (invoice id, event), all recorded at *instant*."""
    day = instant.astimezone(tz).date()
    level, notice, deadline, uncertain = 0, False, None, True
    for _invoice_id, e in taken:
        step = steps.get(e.step_id) if e.step_id else None
        days = e.deadline_days
        if step is not None:
            level = max(level, step.level)
            notice = notice or step.kind is StepKind.FORMAL_NOTICE
            if days is None:
                days = step.deadline_days
        if days is not None:
            stated = calendar.roll_forward(day + timedelta(days=days))
            deadline = stated if deadline is None else max(deadline, stated)
        uncertain = uncertain and e.uncertain
    ids = tuple(sorted({invoice_id for invoice_id, _ in taken}))
    return Sent(instant, day, ids, level, notice, deadline, uncertain)


def _together(a: Sent, b: Sent) -> Sent:
    """One message of the events of *a* and *b*, recorded at the same instant."""
    deadlines = [d for d in (a.deadline_on, b.deadline_on) if d is not None]
    return Sent(
        a.at,
        a.day,
        tuple(sorted({*a.invoice_ids, *b.invoice_ids})),
        max(a.level, b.level),
        a.notice or b.notice,
        max(deadlines) if deadlines else None,
        a.uncertain and b.uncertain,
    )


def steps_by_id(scenario: Scenario) -> dict[str, Step]:
    """Every step by id, as `Scenario.step` finds it (ladder steps before the broken promise)."""
    by_id: dict[str, Step] = {}
    if scenario.broken_promise_step is not None:
        by_id[scenario.broken_promise_step.id] = scenario.broken_promise_step
    for step in reversed(scenario.steps):
        by_id[step.id] = step
    return by_id
