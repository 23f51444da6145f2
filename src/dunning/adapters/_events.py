"""The events an invoice source derives from the action log (shared by the reference adapters).

`dunning.ports.InvoiceSource` promises the engine an `ActionTaken` for every action of a sent
(or permanently failed) entry, a `DeliveryFailed` for a failed one, and `ActionApproved` /
`ActionRejected` for a human's decision. This is that rule, once.
"""

from __future__ import annotations

from collections.abc import Iterator

from dunning.core.model import ActionApproved, ActionRejected, ActionTaken, DeliveryFailed, Event
from dunning.ports import EntryStatus, LogEntry

__all__ = ["derived_events"]


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
