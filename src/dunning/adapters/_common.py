"""Rules the reference stores share, so that memory and SQLite keep the contract alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from dunning.core._types import check_aware
from dunning.core.render import Message
from dunning.ports import LIVE_STATUSES, Covered, EntryStatus, LogEntry, holds

__all__ = ["bounced", "reservation", "resolved", "revised"]

REVIVABLE = frozenset({EntryStatus.CANCELLED, EntryStatus.SUPERSEDED})
"""Statuses whose key may be reserved again: the message was certainly never delivered."""


def reservation(
    entry: LogEntry, existing: LogEntry | None, holders: Iterable[LogEntry]
) -> tuple[LogEntry | None, list[LogEntry]]:
    """What `ActionLog.reserve` writes: the entry to store (None: refuse) and those to supersede.

    *existing* is the entry under *entry*'s key; *holders* every other entry covering one of
    its actions.
    """
    if existing is not None and existing.status not in REVIVABLE:
        return None, []
    live = [h for h in holders if h.key != entry.key and h.status in LIVE_STATUSES]
    if any(holds(h) for h in live):
        return None, []
    stored = entry
    if existing is not None:
        keep_approval = entry.status is not EntryStatus.PENDING_APPROVAL
        stored = replace(
            entry,
            reserved_at=existing.reserved_at,
            attempts=existing.attempts,
            attempted_at=existing.attempted_at,
            decided_by=existing.decided_by if keep_approval else "",
            decided_at=existing.decided_at if keep_approval else None,
        )
    elif entry.status is EntryStatus.PENDING_APPROVAL:
        stored = replace(entry, decided_by="", decided_at=None)
    superseded = [
        replace(
            h,
            status=EntryStatus.SUPERSEDED,
            updated_at=entry.updated_at,
            reason=f"replaced by {entry.key}",
        )
        for h in live
    ]
    return stored, superseded


def revised(
    entry: LogEntry,
    *,
    status: EntryStatus,
    covers: tuple[Covered, ...],
    message: Message,
    at: datetime,
    reason: str,
) -> LogEntry:
    """The entry `ActionLog.revise` stores: new preview, amounts and status.

    An approval is cleared when the entry goes back to pending (it was for what the approver
    saw).

    Raises:
        ValueError: if *covers* does not name the entry's actions.
    """
    if {c.action_id for c in covers} != {c.action_id for c in entry.covers}:
        msg = f"revise {entry.key!r}: the covered actions must stay the same"
        raise ValueError(msg)
    pending = status is EntryStatus.PENDING_APPROVAL
    return replace(
        entry,
        status=status,
        covers=covers,
        message=message,
        updated_at=at,
        reason=reason,
        decided_by="" if pending else entry.decided_by,
        decided_at=None if pending else entry.decided_at,
    )


def resolved(
    entry: LogEntry | None, key: str, *, delivered: bool, by: str, at: datetime
) -> LogEntry:
    """The entry `ActionLog.resolve_uncertain` stores.

    Raises:
        KeyError: if *entry* is None or not uncertain.
    """
    check_aware(at)
    if entry is None or entry.status is not EntryStatus.UNCERTAIN:
        msg = f"no uncertain message with id {key!r}"
        raise KeyError(msg)
    answer = "delivered" if delivered else "not delivered"
    who = by or "unknown"
    return replace(
        entry,
        status=EntryStatus.SENT if delivered else EntryStatus.RETRY,
        updated_at=at,
        resolved_by=who,
        reason=f"resolved by {who} on {at.isoformat()}: {answer} (was: {entry.reason})",
    )


def bounced(entry: LogEntry | None, key: str, *, at: datetime, reason: str) -> LogEntry:
    """The entry a late bounce turns *entry* into: ``failed``, so the fallback channel follows.

    Raises:
        KeyError: if there is no entry under *key*.
        ValueError: if the entry was never sent (there is nothing to bounce), or *at* is naive.
    """
    check_aware(at)
    if entry is None:
        msg = f"no message with id {key!r} in the action log"
        raise KeyError(msg)
    if entry.status not in (EntryStatus.SENT, EntryStatus.UNCERTAIN):
        msg = f"message {key!r} is {entry.status.value}, not sent: it cannot have bounced"
        raise ValueError(msg)
    return replace(entry, status=EntryStatus.FAILED, updated_at=at, reason=f"bounced: {reason}")
