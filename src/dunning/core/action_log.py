"""The action log's rules: the states of a message, how they become events, what a store writes.

How this works
--------------
Everything that decides what an action log holds lives here, as pure functions of entries
(no store, no clock), so that every store obeys the same rules with little code:

- `EntryStatus` is where one message stands; `LIVE_STATUSES`, `HOLDING_STATUSES` and
  `REVIVABLE_STATUSES` group the statuses the rules below read.
- `LOG_EVENTS` is the table of what each status tells the engine about every per-invoice
  action the entry covers; `log_events` reads it and builds the events. An `InvoiceSource`
  adds them to the invoices it returns, so the engine knows what was sent, approved,
  rejected, failed or possibly sent.
- `reservation`, `revised_entry`, `resolved_entry` and `bounced_entry` are the transitions a
  store applies (`dunning.ports.ActionLog` says when); `holds` says whether an entry may have
  reached the customer, so that nothing covers its actions again.

The table, per action an entry covers (`LogEvent` names each event):

=================  ===========================================================================
status             events on the covered invoice
=================  ===========================================================================
reserved           none (the entry itself holds the action: nothing else may cover it)
pending_approval   none
approved           `ActionApproved` (at the decision, by, the amount owed it was approved for)
rejected           `ActionRejected` (at the decision, by): the step is skipped for good
retry              none (certainly not delivered: the step is due again)
cancelled          none, plus `ActionApproved` if it had been approved
superseded         none, plus `ActionApproved` if it had been approved
sent               `ActionTaken` (at the attempt, or at ``not_before`` if later)
uncertain          `ActionTaken` with ``uncertain=True``: possibly delivered, never re-sent
failed             `ActionTaken` (at the attempt) and `DeliveryFailed` (at the failure): the
                   step's fallback channel takes over, under a new action id
=================  ===========================================================================

Every entry that was approved also gives its `ActionApproved`, whatever its later status; an
entry nobody decided gives neither `ActionApproved` nor `ActionRejected`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from dunning.core.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    Channel,
    DeliveryFailed,
    Event,
    check_aware,
)
from dunning.core.render import Message

__all__ = [
    "HOLDING_STATUSES",
    "LIVE_STATUSES",
    "LOG_EVENTS",
    "REVIVABLE_STATUSES",
    "Covered",
    "EntryStatus",
    "LatestRunReset",
    "LogEntry",
    "LogEvent",
    "Receipt",
    "bounced_entry",
    "customer_ids_of",
    "holds",
    "latest_run_reset",
    "log_events",
    "preview_version",
    "reached_at",
    "reservation",
    "resolved_entry",
    "revised_entry",
]


class EntryStatus(StrEnum):
    """Where one message stands in the action log."""

    RESERVED = "reserved"
    """Reserved by a runner that is sending it (or crashed while doing so)."""
    PENDING_APPROVAL = "pending_approval"
    """Rendered as a preview and stored; waits for a human to approve or reject it."""
    APPROVED = "approved"
    """Approved; the next run renders it again for its instant and sends it."""
    REJECTED = "rejected"
    """Rejected by a human; never sent, and its steps are skipped."""
    SENT = "sent"
    """Handed to the provider, with its receipt."""
    FAILED = "failed"
    """Not delivered and not to be retried under this key (a permanent refusal, a bounce)."""
    RETRY = "retry"
    """Certainly not delivered (the provider took nothing): the next run sends it if still due."""
    UNCERTAIN = "uncertain"
    """Maybe sent, maybe not: its steps count as taken until a human resolves it."""
    CANCELLED = "cancelled"
    """Never sent: no longer due when its turn came (paid, disputed, paused). Reserved again
    if the same message becomes due again."""
    SUPERSEDED = "superseded"
    """Never sent: a new message for the same customer covers its actions (the set of due
    invoices changed). Closed in the same transaction as the new one's reservation."""


LIVE_STATUSES = frozenset(
    {
        EntryStatus.RESERVED,
        EntryStatus.PENDING_APPROVAL,
        EntryStatus.APPROVED,
        EntryStatus.RETRY,
        EntryStatus.UNCERTAIN,
        EntryStatus.SENT,
    }
)
"""A per-invoice action belongs to at most one entry in one of these statuses."""

HOLDING_STATUSES = frozenset({EntryStatus.RESERVED, EntryStatus.UNCERTAIN, EntryStatus.SENT})
"""Live statuses that may mean "delivered" (``reserved`` only once a sender was called, with
``attempts >= 1``): a new entry covering the same action is refused. The other live entries
(pending approval, approved, retry, and ``reserved`` with no attempt) were certainly not
delivered and are superseded by it; a runner about to claim one of those loses its
compare-and-set."""

REVIVABLE_STATUSES = frozenset({EntryStatus.CANCELLED, EntryStatus.SUPERSEDED})
"""Statuses whose key may be reserved again: the message was certainly never delivered."""


@dataclass(frozen=True, slots=True)
class Covered:
    """One per-invoice action a message carries out.

    Attributes:
        invoice_id: the invoice.
        action_id: the engine's action id (`dunning.engine.action_id`).
        step_id: the scenario step.
        amount_due: the invoice's balance when the message was rendered: what an approver saw
            and approved (an approval lapses when it changes).
        deadline_on: the payment deadline the message states for this action when it was
            rendered (None: it states none, or the entry predates 0.x and did not record it).
            An approval covers it: a message that would state another date waits again.
    """

    invoice_id: str
    action_id: str
    step_id: str
    amount_due: Decimal | None = None
    deadline_on: date | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a provider answered when it accepted a message.

    Attributes:
        provider_id: the provider's own id for the message (a Message-ID, an SMS id...).
        detail: anything worth keeping (the server's reply line).
    """

    provider_id: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One message in the action log, keyed by its idempotency key.

    Attributes:
        key: the idempotency key: the `CustomerAction.id` (stable across runs).
        customer_id: the customer it is for.
        channel: the channel it goes by.
        covers: the per-invoice actions it carries out.
        message: the rendered message: a preview until it is sent, then what was sent.
        status: where it stands.
        owner: the runner that last reserved it.
        reserved_at: when it was first reserved.
        updated_at: when its status last changed.
        attempts: how many times a sender was called with it.
        receipt: the provider's receipt once sent.
        reason: why it failed, is uncertain, was cancelled, superseded, lapsed or resolved; or
            who approved or rejected it and why, in their words, kept once it is sent.
        decided_by: who approved or rejected it ("" when nobody has, or an approval lapsed).
        requires_approval: whether a human had to approve it before it could be sent.
        attempted_at: when a sender was last called with it (the instant its `ActionTaken`
            carries, or ``not_before`` if later: `reached_at`).
        decided_at: when it was approved or rejected (not when it was sent).
        resolved_by: who resolved it after an uncertain send.
        not_before: the instant it may reach the customer from: the opening of its channel's
            send window, when a run prepared it earlier (a nightly batch). A sender that can
            schedule is given it and sends then; otherwise the entry waits, reserved with no
            attempt, for a delivery pass or a run inside the window. None: at once.
        not_after: the instant that window closes (set with ``not_before``): a delivery pass
            after it leaves the entry to the next run, which prepares it again.
    """

    key: str
    customer_id: str
    channel: Channel
    covers: tuple[Covered, ...]
    message: Message
    status: EntryStatus
    owner: str
    reserved_at: datetime
    updated_at: datetime
    attempts: int = 0
    receipt: Receipt | None = None
    reason: str = ""
    decided_by: str = ""
    requires_approval: bool = False
    attempted_at: datetime | None = None
    decided_at: datetime | None = None
    resolved_by: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None

    @property
    def version(self) -> str:
        """The version of what an approver sees in this entry (`preview_version`).

        It changes whenever the preview does: the invoices and amounts covered, the deadline,
        the channel, the address, the text. Pass the one you showed to `dunning.runner.approve`
        (``seen=``): an approval of a preview that has changed since is refused.
        """
        return preview_version(self)


def preview_version(entry: LogEntry) -> str:
    """A short, stable digest of what an approver sees in *entry*: its preview's version.

    Derived from the stored entry alone, so a store keeps nothing more: the covered invoices,
    actions, steps, amounts and deadlines, the channel, and the preview message's recipient,
    subject and bodies (text, HTML, SMS) and attachments. Not the status, the approval or the
    instants: approving does not change the version.

    Returns:
        12 lower-case hexadecimal digits (the start of a SHA-256).

    Examples:
        >>> preview_version(_EXAMPLE)
        'a86ac341c8ce'
        >>> from dataclasses import replace
        >>> preview_version(replace(_EXAMPLE, status=EntryStatus.APPROVED)) == _EXAMPLE.version
        True
        >>> to_other = _EXAMPLE.message.model_copy(update={"to": "other@example.com"})
        >>> preview_version(replace(_EXAMPLE, message=to_other)) == _EXAMPLE.version
        False
    """
    message = entry.message
    parts: list[object] = [entry.channel.value]
    parts.extend(
        [c.invoice_id, c.action_id, c.step_id, str(c.amount_due), str(c.deadline_on)]
        for c in entry.covers
    )
    parts.extend(
        [
            message.channel.value,
            message.to,
            message.subject,
            message.text,
            message.html,
            message.sms,
            list(message.attachments),
        ]
    )
    # repr() of lists of str/None is unambiguous (quoted, escaped): no separator can collide.
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


_EXAMPLE_AT = datetime(2026, 3, 3, 9, tzinfo=UTC)
_EXAMPLE = LogEntry(
    key="msg_1",
    customer_id="C1",
    channel=Channel.EMAIL,
    covers=(Covered("F-1", "act_1", "friendly", Decimal("1200.00")),),
    message=Message(
        action_id="msg_1",
        channel=Channel.EMAIL,
        template="friendly",
        locale="fr_FR",
        subject="Facture",
        text="Bonjour",
    ),
    status=EntryStatus.PENDING_APPROVAL,
    owner="r1",
    reserved_at=_EXAMPLE_AT,
    updated_at=_EXAMPLE_AT,
    attempted_at=_EXAMPLE_AT,
)  # for the examples below


def holds(entry: LogEntry) -> bool:
    """Whether *entry* may have reached the customer, so that its actions are held for good.

    Examples:
        >>> from dataclasses import replace
        >>> entry = replace(_EXAMPLE, status=EntryStatus.RESERVED)
        >>> holds(entry), holds(replace(entry, attempts=1)), holds(replace(entry, status="sent"))
        (False, True, True)
    """
    if entry.status is EntryStatus.RESERVED:
        return entry.attempts > 0
    return entry.status in HOLDING_STATUSES


class LogEvent(StrEnum):
    """One event an entry gives each per-invoice action it covers (the values of `LOG_EVENTS`)."""

    TAKEN = "action_taken"
    """`ActionTaken` at the attempt (``attempted_at``, else ``updated_at``), or at the entry's
    ``not_before`` if later: a message handed over to be sent at its window's opening reaches
    the customer then (`reached_at`)."""
    POSSIBLY_TAKEN = "action_taken_uncertain"
    """`ActionTaken` with ``uncertain=True``, at the attempt: possibly delivered, never re-sent."""
    DELIVERY_FAILED = "delivery_failed"
    """`DeliveryFailed` at the failure (``updated_at``), with the entry's reason."""
    APPROVED = "action_approved"
    """`ActionApproved` at the decision (``decided_at``, else ``updated_at``), by whom and for
    the amount owed then: only if someone decided (``decided_by``), else nothing."""
    REJECTED = "action_rejected"
    """`ActionRejected` at the decision, by whom: only if someone decided, else nothing."""


LOG_EVENTS: Mapping[EntryStatus, tuple[LogEvent, ...]] = MappingProxyType(
    {
        # An approved entry keeps its approval while it is reserved, sent, fails..., so every
        # status but `rejected` gives its `ActionApproved` (when it has one). An entry back to
        # pending has lost its approval (`reservation`, `revised_entry`): nothing, in practice.
        EntryStatus.RESERVED: (LogEvent.APPROVED,),
        EntryStatus.PENDING_APPROVAL: (LogEvent.APPROVED,),
        EntryStatus.APPROVED: (LogEvent.APPROVED,),
        EntryStatus.REJECTED: (LogEvent.REJECTED,),
        EntryStatus.RETRY: (LogEvent.APPROVED,),
        EntryStatus.CANCELLED: (LogEvent.APPROVED,),
        EntryStatus.SUPERSEDED: (LogEvent.APPROVED,),
        EntryStatus.SENT: (LogEvent.TAKEN, LogEvent.APPROVED),
        EntryStatus.UNCERTAIN: (LogEvent.POSSIBLY_TAKEN, LogEvent.APPROVED),
        EntryStatus.FAILED: (LogEvent.TAKEN, LogEvent.DELIVERY_FAILED, LogEvent.APPROVED),
    }
)
"""What each status tells the engine, per action an entry covers, in order (the table above).

Examples:
    >>> [event.value for event in LOG_EVENTS[EntryStatus.FAILED]]
    ['action_taken', 'delivery_failed', 'action_approved']
"""


def decision_reason(entry: LogEntry, note: str, *, approved: bool) -> str:
    """The reason an approver's decision keeps on *entry*: who decided, and in their words.

    Examples:
        >>> from dataclasses import replace
        >>> decided = replace(_EXAMPLE, decided_by="claire")
        >>> decision_reason(decided, " customer agreed by phone ", approved=True)
        'approved by claire: customer agreed by phone'
    """
    verb = "approved" if approved else "rejected"
    return f"{verb} by {entry.decided_by}: {note.strip()}"


def sent_reason(claimed: LogEntry) -> str:
    """The reason a message keeps once sent: its approver's words, if the approval gave any.

    An approval's reason (`decision_reason`) is still the entry's when the approved message is
    claimed for its send; the send's outcome would otherwise write over it, and the log would
    lose why a person let a formal notice go. Any other reason (a failed attempt's) is done with.

    Examples:
        >>> from dataclasses import replace
        >>> approved = replace(_EXAMPLE, decided_by="claire",
        ...     reason="approved by claire: customer agreed by phone")
        >>> sent_reason(approved)
        'approved by claire: customer agreed by phone'
        >>> sent_reason(replace(approved, reason="timeout after DATA"))
        ''
    """
    if not claimed.decided_by:
        return ""
    words = f"approved by {claimed.decided_by}: "
    return claimed.reason if claimed.reason.startswith(words) else ""


def log_events(entry: LogEntry) -> Iterator[tuple[str, Event]]:
    """The ``(invoice_id, event)`` pairs the engine must see for one log entry (`LOG_EVENTS`).

    An `InvoiceSource` adds them to the events of each invoice it returns, so the engine knows
    what was sent, approved, rejected, failed or possibly sent.

    Returns:
        An iterator of pairs, action by action in the order the entry covers them, and for
        each action in the order of `LOG_EVENTS`.

    Examples:
        >>> from dataclasses import replace
        >>> entry = replace(_EXAMPLE, status=EntryStatus.UNCERTAIN, attempts=1)
        >>> [(invoice, event.kind, event.uncertain) for invoice, event in log_events(entry)]
        [('F-1', 'action_taken', True)]
        >>> entry = replace(_EXAMPLE, status=EntryStatus.FAILED, attempts=1)
        >>> [(invoice, event.kind) for invoice, event in log_events(entry)]
        [('F-1', 'action_taken'), ('F-1', 'delivery_failed')]
    """
    kinds = LOG_EVENTS[entry.status]
    for covered in entry.covers:
        for kind in kinds:
            event = _event(kind, entry, covered)
            if event is not None:
                yield covered.invoice_id, event


def reached_at(entry: LogEntry) -> datetime:
    """When a message handed to a sender reaches the customer: its attempt, or its window.

    The instant of its `ActionTaken` (and of the customer's last message,
    `dunning.ports.ActionLog.last_message_at`): the attempt (``attempted_at``, else
    ``updated_at``), or ``not_before`` when the message was handed over earlier, to be sent at
    its window's opening by a sender that schedules.

    Examples:
        >>> from dataclasses import replace
        >>> opening = datetime(2026, 3, 3, 10, tzinfo=UTC)
        >>> reached_at(_EXAMPLE).hour, reached_at(replace(_EXAMPLE, not_before=opening)).hour
        (9, 10)
    """
    attempted = entry.attempted_at or entry.updated_at
    not_before = entry.not_before
    return not_before if not_before is not None and not_before > attempted else attempted


def customer_ids_of(customer_ids: Sequence[str]) -> Sequence[str]:
    """*customer_ids*, as a log's ``last_messages_at`` takes them: a list, never one id.

    Raises:
        TypeError: if *customer_ids* is one string (it would be read letter by letter).

    Examples:
        >>> customer_ids_of(["C-001", "C-002"])
        ['C-001', 'C-002']
        >>> customer_ids_of("C-001")
        Traceback (most recent call last):
        ...
        TypeError: customer_ids: a list of customer ids, not one id ('C-001')
    """
    if isinstance(customer_ids, str):
        msg = f"customer_ids: a list of customer ids, not one id ({customer_ids!r})"
        raise TypeError(msg)
    return customer_ids


def _event(kind: LogEvent, entry: LogEntry, covered: Covered) -> Event | None:
    """The event *kind* stands for, for one covered action (None: a decision nobody made)."""
    if kind is LogEvent.TAKEN or kind is LogEvent.POSSIBLY_TAKEN:
        return ActionTaken(
            at=reached_at(entry),
            action_id=covered.action_id,
            channel=entry.channel,
            step_id=covered.step_id,
            uncertain=kind is LogEvent.POSSIBLY_TAKEN,
        )
    if kind is LogEvent.DELIVERY_FAILED:
        return DeliveryFailed(at=entry.updated_at, action_id=covered.action_id, reason=entry.reason)
    if not entry.decided_by:
        return None
    decided = entry.decided_at or entry.updated_at
    if kind is LogEvent.REJECTED:
        return ActionRejected(at=decided, action_id=covered.action_id, by=entry.decided_by)
    return ActionApproved(
        at=decided,
        action_id=covered.action_id,
        by=entry.decided_by,
        amount_due=covered.amount_due,
    )


# -- the transitions a store applies, so that a host's store keeps the contract with little code


def reservation(
    entry: LogEntry, existing: LogEntry | None, holders: Iterable[LogEntry]
) -> tuple[LogEntry | None, list[LogEntry]]:
    """What `ActionLog.reserve` writes: the entry to store (None: refuse) and those to supersede.

    *existing* is the entry under *entry*'s key; *holders* every other entry covering one of
    its actions. An entry reserved already claimed (``attempts >= 1``) is stored only under a
    key no entry has: a key due again keeps its old entry's attempts, so it is claimed apart
    (`ActionLog.begin_attempt`), and a claimed entry there is refused.
    """
    if existing is not None and (existing.status not in REVIVABLE_STATUSES or entry.attempts):
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


def revised_entry(
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


def resolved_entry(
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


def bounced_entry(entry: LogEntry | None, key: str, *, at: datetime, reason: str) -> LogEntry:
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


@dataclass(frozen=True, slots=True)
class LatestRunReset:
    """The audit line of the latest run instant moved back by a person.

    Attributes:
        replaced: the latest run instant before the reset (a mistaken far-future ``--at``).
        to: the instant it was moved back to.
        by: who moved it.
        at: when.
        reason: why, in their words.
    """

    replaced: datetime
    to: datetime
    by: str
    at: datetime
    reason: str


def latest_run_reset(
    latest: datetime | None, to: datetime, *, by: str, at: datetime, reason: str
) -> LatestRunReset:
    """The audit line of moving the latest run instant back from *latest* to *to*.

    Time only moves forward for the runner: a run earlier than the latest one is refused. A run
    given a wrong, far-future instant would refuse every later one; a person moves it back,
    saying who and why.

    Raises:
        ValueError: if no run was recorded, *to* is not before *latest*, an instant is naive,
            or *by* or *reason* is empty.

    Examples:
        >>> from datetime import timezone
        >>> mistake = datetime(2206, 3, 2, 10, tzinfo=timezone.utc)
        >>> line = latest_run_reset(mistake, datetime(2026, 3, 2, 10, tzinfo=timezone.utc),
        ...     by="claire", at=datetime(2026, 3, 2, 11, tzinfo=timezone.utc),
        ...     reason="typed 2206 for 2026")
        >>> line.replaced.year, line.to.year
        (2206, 2026)
    """
    check_aware(to, "to")
    check_aware(at)
    if not by.strip() or not reason.strip():
        msg = "by and reason: say who moves the latest run back, and why"
        raise ValueError(msg)
    if latest is None:
        msg = "no run has been recorded: there is no latest run to move back"
        raise ValueError(msg)
    if to >= latest:
        msg = (
            f"to: {to.isoformat()} is not before the latest run {latest.isoformat()}: "
            "it can only be moved back"
        )
        raise ValueError(msg)
    return LatestRunReset(replaced=latest, to=to, by=by.strip(), at=at, reason=reason.strip())
