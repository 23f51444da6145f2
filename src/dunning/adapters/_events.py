"""The events an invoice source derives from the action log (shared by the reference adapters).

`dunning.ports.InvoiceSource` promises the engine an `ActionTaken` for every action of a sent
(or permanently failed) entry, a `DeliveryFailed` for a failed one, and `ActionApproved` /
`ActionRejected` for a human's decision. This is that rule, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from dunning.core._types import check_aware
from dunning.core.model import ActionApproved, ActionRejected, ActionTaken, DeliveryFailed, Event
from dunning.ports import EntryStatus, LogEntry

__all__ = ["bounce_events", "derived_events"]


def derived_events(entry: LogEntry) -> Iterator[tuple[str, Event]]:
    """The ``(invoice_id, event)`` pairs the engine must see for one log entry.

    A permanently failed entry counts as taken *and* failed, so the engine's fallback channel
    takes over with a new message (and a new key).
    """
    for covered in entry.covers:
        if entry.status in (EntryStatus.SENT, EntryStatus.FAILED):
            yield (
                covered.invoice_id,
                ActionTaken(
                    at=entry.updated_at,
                    action_id=covered.action_id,
                    channel=entry.channel,
                    step_id=covered.step_id,
                ),
            )
        if entry.status is EntryStatus.FAILED:
            yield (
                covered.invoice_id,
                DeliveryFailed(
                    at=entry.updated_at, action_id=covered.action_id, reason=entry.reason
                ),
            )
        if entry.decided_by and entry.status is EntryStatus.REJECTED:
            yield (
                covered.invoice_id,
                ActionRejected(
                    at=entry.updated_at, action_id=covered.action_id, by=entry.decided_by
                ),
            )
        elif entry.decided_by:
            yield (
                covered.invoice_id,
                ActionApproved(
                    at=entry.updated_at, action_id=covered.action_id, by=entry.decided_by
                ),
            )


def bounce_events(
    entry: LogEntry | None, key: str, *, at: datetime, reason: str
) -> list[tuple[str, DeliveryFailed]]:
    """The `DeliveryFailed` events a late bounce of the sent message *key* gives, per invoice.

    Raises:
        KeyError: if there is no entry under *key*.
        ValueError: if the entry was never sent (there is nothing to bounce), or *at* is naive.
    """
    check_aware(at)
    if entry is None:
        msg = f"no message with id {key!r} in the action log"
        raise KeyError(msg)
    if entry.status is not EntryStatus.SENT:
        msg = f"message {key!r} is {entry.status.value}, not sent: it cannot have bounced"
        raise ValueError(msg)
    return [
        (c.invoice_id, DeliveryFailed(at=at, action_id=c.action_id, reason=reason))
        for c in entry.covers
    ]
