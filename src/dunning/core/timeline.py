"""Replay `decide` day by day: what happens to an invoice over the next weeks.

This is the unit-test and notebook view of a scenario. Each day at ``run_at`` (local time of
the customer) the invoice is decided; a due action is recorded as taken (approvals are granted
automatically unless ``approve=False``), and the history grows as a host's would. Simulated
events (a payment on a future date, a dispute...) are passed with the others: `decide` ignores
each event until its date has come.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dunning.core.display import html_table
from dunning.core.engine import Action, Decision, DecisionStatus, decide
from dunning.core.model import ActionApproved, ActionTaken, Event, Invoice
from dunning.core.scenario import Scenario

__all__ = ["Timeline", "TimelineEntry", "timeline"]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One day on which something happened: an action, or a change of status.

    Attributes:
        on: the day.
        decision: the decision taken that day.
        action: the action recorded that day, if any.
        note: what happened, in words (``sent``, ``awaiting approval``, ``paid in full``...).
    """

    on: date
    decision: Decision
    action: Action | None
    note: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """The days on which something happened, and the full history at the end.

    Attributes:
        invoice: the invoice replayed.
        entries: one per day on which something happened, in date order.
        events: the history at the end of the replay (given + simulated + recorded actions).
    """

    invoice: Invoice
    entries: tuple[TimelineEntry, ...]
    events: tuple[Event, ...]

    @property
    def actions(self) -> tuple[Action, ...]:
        """The actions recorded, in order."""
        return tuple(e.action for e in self.entries if e.action is not None)

    def format(self) -> str:
        """A plain-text table: date, invoice, level, channel, status, note."""
        rows = [("date", "invoice", "level", "channel", "status", "note")]
        for e in self.entries:
            a = e.action
            rows.append(
                (
                    e.on.isoformat(),
                    self.invoice.number,
                    f"{a.level} {a.level_name}" if a else str(e.decision.level),
                    a.channel.value if a else "",
                    e.decision.status.value,
                    e.note,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        )

    def _repr_html_(self) -> str:
        """The `format` table as HTML, for notebooks."""
        rows = [
            (
                e.on,
                self.invoice.number,
                f"{e.action.level} {e.action.level_name}" if e.action else e.decision.level,
                e.action.channel if e.action else "",
                e.decision.status,
                e.note,
            )
            for e in self.entries
        ]
        headers = ("date", "invoice", "level", "channel", "status", "note")
        return html_table(headers, rows, caption=f"Timeline of invoice {self.invoice.number}")


def timeline(
    invoice: Invoice,
    events: Iterable[Event],
    scenario: Scenario,
    *,
    start: date,
    end: date,
    run_at: time = time(10, 30),
    approve: bool = True,
) -> Timeline:
    """Replay `decide` once a day from *start* to *end* (inclusive) and record what it does.

    Args:
        invoice: the invoice.
        events: its history, plus any simulated future events (a payment on a later date).
        scenario: the ladder.
        start: first day replayed.
        end: last day replayed.
        run_at: local time of the daily run (default 10:30, inside the SMS and phone windows).
        approve: grant approvals automatically; with False, actions that require approval
            stay pending and the ladder stops there.

    Returns:
        A `Timeline` with one entry per day on which something happened.

    Raises:
        ValueError: if *end* is before *start*.

    Examples:
        >>> from datetime import date
        >>> from dunning import STANDARD, Customer, Invoice, Payment
        >>> inv = Invoice(id="F-1", number="2026-0001", customer=Customer(id="C", name="ACME"),
        ...               issued_on=date(2026, 1, 2), due_on=date(2026, 2, 2), total="500.00")
        >>> t = timeline(inv, [Payment(on=date(2026, 2, 12), amount="500.00")], STANDARD,
        ...              start=date(2026, 2, 1), end=date(2026, 3, 1))
        >>> print(t.format())
        date        invoice    level        channel  status      note
        2026-02-03  2026-0001  1 friendly   email    action_due  sent
        2026-02-09  2026-0001  2 reminder   email    action_due  sent
        2026-02-12  2026-0001  2                     closed      paid in full
    """
    if end < start:
        msg = f"end: {end} is before start {start}"
        raise ValueError(msg)
    history: list[Event] = list(events)
    tz = invoice.customer.tz
    entries: list[TimelineEntry] = []
    previous: DecisionStatus | None = None
    pending_noted: set[str] = set()
    day = start
    while day <= end:
        at = datetime.combine(day, run_at, tzinfo=tz)
        decision = decide(invoice, history, scenario, at=at)
        action = decision.action
        if action is not None and action.requires_approval and not action.approved:
            if approve:
                history.append(ActionApproved(at=at, action_id=action.id, by="timeline"))
            else:
                if action.id not in pending_noted:
                    pending_noted.add(action.id)
                    entries.append(TimelineEntry(day, decision, None, "awaiting approval"))
                previous = decision.status
                day += timedelta(days=1)
                continue
        if action is not None:
            history.append(
                ActionTaken(
                    at=at,
                    action_id=action.id,
                    channel=action.channel,
                    step_id=action.step_id,
                    deadline_days=action.deadline_days,
                )
            )
            note = "sent" + (f", pay by {action.deadline_on}" if action.deadline_on else "")
            entries.append(TimelineEntry(day, decision, action, note))
        elif decision.status != previous and decision.status in _NOTEWORTHY:
            entries.append(TimelineEntry(day, decision, None, decision.reason))
        previous = decision.status
        day += timedelta(days=1)
    return Timeline(invoice, tuple(entries), tuple(history))


_NOTEWORTHY = frozenset({DecisionStatus.CLOSED, DecisionStatus.PAUSED, DecisionStatus.EXHAUSTED})
