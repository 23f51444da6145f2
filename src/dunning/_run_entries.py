"""The run's small rules about log entries: covers, previews that changed, expiry, late stops."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from dunning._run_report import Outcome, RunItem
from dunning.core.action_log import Covered, LogEntry
from dunning.core.calendar import calendar_for
from dunning.core.model import (
    ActionRejected,
    ActionTaken,
    CreditNote,
    DisputeOpened,
    Event,
    HoldPlaced,
    Payment,
    corrected,
    event_day,
)
from dunning.core.portfolio import (
    CustomerAction,
    InvoiceHistory,
)
from dunning.core.render import Message

# -- helpers -------------------------------------------------------------------------------


def taken_events(action: CustomerAction, at: datetime) -> list[tuple[str, ActionTaken]]:
    """The events the log will give for *action* once sent at *at* (`log_events`)."""
    return [
        (
            a.invoice_id,
            ActionTaken(at=at, action_id=a.id, channel=action.channel, step_id=a.step_id),
        )
        for a in action.covers
    ]


def covers_of(action: CustomerAction) -> tuple[Covered, ...]:
    deadline = action.deadline_on
    return tuple(
        Covered(a.invoice_id, a.id, a.step_id, a.amount_due, deadline) for a in action.covers
    )


def preview_changes(
    entry: LogEntry, action: CustomerAction, message: Message, *, later_deadline_ok: bool = False
) -> list[str]:
    """What an approver of *entry*'s preview did not see in *message* for *action* ([]: none).

    The covered invoices and actions, their amounts owed, the channel, the address and the
    deadline date (DOMAIN 9.5). The text itself is rendered for the instant it is sent (the
    date of the letter, interest to that day), so it is not compared word for word.
    """
    changes = []
    before = {c.action_id: c.invoice_id for c in entry.covers}
    now = {a.id: a.invoice_id for a in action.covers}
    if before.keys() != now.keys():
        added = sorted({now[i] for i in now.keys() - before.keys()})
        dropped = sorted({before[i] for i in before.keys() - now.keys()})
        what = [f"now covers {', '.join(added)}"] if added else []
        what += [f"no longer covers {', '.join(dropped)}"] if dropped else []
        changes.append("the invoices covered changed: " + "; ".join(what or ["other steps"]))
    changes.extend(amount_changes(entry, action))
    if entry.channel is not action.channel:
        changes.append(f"channel changed from {entry.channel.value} to {action.channel.value}")
    if entry.message.to != message.to:
        changes.append(f"address changed from {entry.message.to!r} to {message.to!r}")
    shown = {c.deadline_on for c in entry.covers if c.action_id in now}
    later = (
        later_deadline_ok
        and action.deadline_on is not None
        and all(d is not None and d <= action.deadline_on for d in shown)
    )
    if shown and shown != {action.deadline_on} and not later:
        seen = ", ".join(sorted(str(d) for d in shown))
        changes.append(f"deadline date changed from {seen} to {action.deadline_on}")
    return changes


def amount_changes(entry: LogEntry, action: CustomerAction) -> list[str]:
    """What changed in the amounts owed since *entry* was rendered, per invoice."""
    now = {a.id: (a.invoice_id, a.amount_due) for a in action.covers}
    changes = []
    for covered in entry.covers:
        invoice_id, amount = now.get(covered.action_id, (covered.invoice_id, None))
        if covered.amount_due is not None and amount is not None and amount != covered.amount_due:
            changes.append(
                f"amount owed on {invoice_id} changed from {covered.amount_due} to {amount}"
            )
    return changes


def expiry_of(entry: LogEntry, action: CustomerAction, at: datetime, working_days: int) -> str:
    """Why *entry*'s approval has expired at *at* ("" if it stands, or there is none).

    It stands through the *working_days*-th working day after the day it was given, in the
    customer's time zone and calendar (weekends and public holidays do not count).
    """
    if not entry.decided_by or entry.decided_at is None:
        return ""
    customer = action.customer
    calendar = calendar_for(customer.country, customer.subdivision)
    given = entry.decided_at.astimezone(customer.tz).date()
    last = given
    for _ in range(working_days):
        last = calendar.next_business_day(last)
    if at.astimezone(customer.tz).date() <= last:
        return ""
    return (
        f"approved on {given.isoformat()}, not sent within {working_days} working days "
        f"(by {last.isoformat()})"
    )


STOPPING = (Payment, CreditNote, DisputeOpened, HoldPlaced)


def later_stop(
    action: CustomerAction, histories: Mapping[str, InvoiceHistory], at: datetime
) -> str:
    """A stopping fact dated after *at* on a covered invoice ("" if none): it wins."""
    tz = action.customer.tz
    today = at.astimezone(tz).date()
    ids = {a.id for a in action.covers}
    for covered in action.covers:
        history = histories.get(covered.invoice_id)
        events: Iterable[Event] = (
            corrected(history.invoice, history.events) if history is not None else ()
        )
        for event in events:
            if isinstance(event, ActionRejected):
                if event.action_id in ids and event.at > at:
                    return f"{covered.invoice_id}: rejected on {event.at.isoformat()}"
            elif isinstance(event, STOPPING) and event_day(event, tz) > today:
                return f"{covered.invoice_id}: {event.kind} of {event.on}"
    return ""


NO_LONGER_DUE = "no longer due (paid, disputed, paused, or replaced by another message)"


def why_not_planned(held: Iterable[str], *, still_due: bool) -> str:
    """Why a message waiting in the log is not sent today: what its cancellation records.

    Its steps are all still due, but the customer's conversation holds them back (*held*: the
    review's reasons, a holiday or the customer gap): it is reserved again under its key on the
    day it may go. Otherwise its steps are no longer due. A credit controller reading the log
    (or the console) sees which, instead of a payment or a dispute that never happened. (A
    message whose steps another message of today carries is superseded by it, not cancelled.)

    Examples:
        >>> why_not_planned(["EUR: 2026-05-08 is not a business day"], still_due=True)
        'held back today (EUR: 2026-05-08 is not a business day); due again when it may go'
        >>> why_not_planned([], still_due=False)
        'no longer due (paid, disputed, paused, or replaced by another message)'
    """
    if not still_due:
        return NO_LONGER_DUE
    reasons = "; ".join(held) or "by the customer's conversation"
    return f"held back today ({reasons}); due again when it may go"


def unresolved_note(entry: LogEntry, reason: str = "") -> str:
    why = reason or entry.reason
    return f"unresolved: {why}; resolve it: dunning resolve {entry.key} --delivered|--not-delivered"


def entry_item(outcome: Outcome, entry: LogEntry, reason: str) -> RunItem:
    return RunItem(outcome, entry.customer_id, entry.key, entry.channel, reason)


def action_item(outcome: Outcome, action: CustomerAction, reason: str) -> RunItem:
    return RunItem(outcome, action.customer_id, action.id, action.channel, reason)
