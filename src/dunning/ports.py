"""The ports: what a host implements so that `Dunner` can run dunning against its own world.

Four small `typing.Protocol`s. Everything that crosses them is frozen. The runner relies on the
guarantees written in each docstring; an adapter that keeps them gets the five guarantees of
docs/running.md ("once per reminder", "true when sent", "time forward", "one failure stays one
failure", "a public contract"). `dunning.testing.contract` is the test suite that checks a
store keeps them; the reference adapters (`dunning.adapters.memory`, `...sqlite`) pass it.

- `InvoiceSource`: what to review at an instant, grouped by customer, with the events the log
  implies (`log_events`); optionally told what was decided (`InvoiceSource.reviewed`).
- `ActionLog`: the idempotency record. One `LogEntry` per message key (the `CustomerAction.id`,
  derived from the actions it carries out), and at most one *live* entry per per-invoice
  action. Reserving is atomic; every outcome is recorded.
- `Sender`: one per channel. Takes a rendered `Message`, an idempotency key and its context.
- `PaymentLinks`: the payment page for a customer's message, if the host has one.

How log entries become events (`log_events`), per action an entry covers:

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
sent               `ActionTaken` (at the attempt)
uncertain          `ActionTaken` with ``uncertain=True``: possibly delivered, never re-sent
failed             `ActionTaken` (at the attempt) and `DeliveryFailed` (at the failure): the
                   step's fallback channel takes over, under a new action id
=================  ===========================================================================

Every entry that was approved also gives its `ActionApproved`, whatever its later status.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from dunning.core._types import check_aware
from dunning.core.engine import DecisionStatus
from dunning.core.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    Channel,
    DeliveryFailed,
    Event,
)
from dunning.core.portfolio import CustomerAction, PortfolioEntry
from dunning.core.render import Message

__all__ = [
    "HOLDING_STATUSES",
    "LIVE_STATUSES",
    "REVIVABLE_STATUSES",
    "ActionLog",
    "Covered",
    "EntryStatus",
    "InvoiceReview",
    "InvoiceSource",
    "LogEntry",
    "PaymentLinks",
    "Receipt",
    "SendContext",
    "SendError",
    "Sender",
    "UnreadableEntry",
    "bounced_entry",
    "holds",
    "log_events",
    "preview_version",
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


@dataclass(frozen=True, slots=True)
class Covered:
    """One per-invoice action a message carries out.

    Attributes:
        invoice_id: the invoice.
        action_id: the engine's action id (`dunning.action_id`).
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
        reason: why it failed, is uncertain, was cancelled, superseded, lapsed or resolved.
        decided_by: who approved or rejected it ("" when nobody has, or an approval lapsed).
        requires_approval: whether a human had to approve it before it could be sent.
        attempted_at: when a sender was last called with it (the instant its `ActionTaken`
            carries).
        decided_at: when it was approved or rejected (not when it was sent).
        resolved_by: who resolved it after an uncertain send.
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

    @property
    def version(self) -> str:
        """The version of what an approver sees in this entry (`preview_version`).

        It changes whenever the preview does: the invoices and amounts covered, the deadline,
        the channel, the address, the text. Pass the one you showed to `dunning.approve`
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


def log_events(entry: LogEntry) -> Iterator[tuple[str, Event]]:
    """The ``(invoice_id, event)`` pairs the engine must see for one log entry (table above).

    An `InvoiceSource` adds them to the events of each invoice it returns, so the engine knows
    what was sent, approved, rejected, failed or possibly sent.

    Examples:
        >>> from dataclasses import replace
        >>> entry = replace(_EXAMPLE, status=EntryStatus.UNCERTAIN, attempts=1)
        >>> [(invoice, event.kind, event.uncertain) for invoice, event in log_events(entry)]
        [('F-1', 'action_taken', True)]
        >>> entry = replace(_EXAMPLE, status=EntryStatus.FAILED, attempts=1)
        >>> [(invoice, event.kind) for invoice, event in log_events(entry)]
        [('F-1', 'action_taken'), ('F-1', 'delivery_failed')]
    """
    status = entry.status
    attempted = entry.attempted_at or entry.updated_at
    decided = entry.decided_at or entry.updated_at
    for covered in entry.covers:
        if status in (EntryStatus.SENT, EntryStatus.UNCERTAIN, EntryStatus.FAILED):
            yield (
                covered.invoice_id,
                ActionTaken(
                    at=attempted,
                    action_id=covered.action_id,
                    channel=entry.channel,
                    step_id=covered.step_id,
                    uncertain=status is EntryStatus.UNCERTAIN,
                ),
            )
        if status is EntryStatus.FAILED:
            yield (
                covered.invoice_id,
                DeliveryFailed(
                    at=entry.updated_at, action_id=covered.action_id, reason=entry.reason
                ),
            )
        if not entry.decided_by:
            continue
        if status is EntryStatus.REJECTED:
            yield (
                covered.invoice_id,
                ActionRejected(at=decided, action_id=covered.action_id, by=entry.decided_by),
            )
        else:
            yield (
                covered.invoice_id,
                ActionApproved(
                    at=decided,
                    action_id=covered.action_id,
                    by=entry.decided_by,
                    amount_due=covered.amount_due,
                ),
            )


@dataclass(frozen=True, slots=True)
class SendContext:
    """What a sender may want to know besides the message (a phone task names the customer).

    Attributes:
        key: the idempotency key.
        customer_id: the customer.
        channel: the channel.
        covers: the per-invoice actions the message carries out.
        attempt: 1 for the first attempt, 2 for the next...
    """

    key: str
    customer_id: str
    channel: Channel
    covers: tuple[Covered, ...]
    attempt: int


class SendError(Exception):
    """A sender could not hand the message over.

    Attributes:
        delivered: False when the provider certainly did not accept it (connection refused,
            authentication failed, refused recipient before any data was sent); None when it
            cannot be known (a timeout after the data was sent).
        permanent: True when trying again with the same message is pointless (a refused
            address), False when a later run may succeed.
    """

    def __init__(self, reason: str, *, delivered: bool | None, permanent: bool = False) -> None:
        """Describe the failure; *reason* is what the provider said."""
        super().__init__(reason)
        self.reason = reason
        self.delivered = delivered
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class UnreadableEntry:
    """What a source yields, in a customer's place in the stream, for rows it cannot read.

    The runner reports an error for that customer (with *reason*) and goes on with the next.

    Attributes:
        customer_id: the customer whose rows are bad.
        reason: what is wrong, and where (table and key).
    """

    customer_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class InvoiceReview:
    """What the runner decided for one invoice: when the host should next look at it.

    Attributes:
        invoice_id: the invoice.
        customer_id: its customer.
        status: the engine's decision status.
        due_now: an action is due now (whether or not it went out in this run: the gap to the
            customer's last message, an approval or a sender may hold it): review at every run.
        review_after: the instant from which the invoice must be reviewed again: the run's
            instant when ``due_now``, the decision's ``next_review_at`` otherwise; None when
            only a new event (a payment, a dispute ended, a hold lifted, a log change) can
            change anything.
    """

    invoice_id: str
    customer_id: str
    status: DecisionStatus
    due_now: bool
    review_after: datetime | None


REVIVABLE_STATUSES = frozenset({EntryStatus.CANCELLED, EntryStatus.SUPERSEDED})
"""Statuses whose key may be reserved again: the message was certainly never delivered."""

# -- the rules a store applies, so that a host's store keeps the contract with little code --


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


@runtime_checkable
class InvoiceSource(Protocol):
    """Implement this: the invoices to review at an instant, with their histories.

    Guarantees the runner relies on:

    - entries come grouped by customer id (sorted by it is the usual way), as
      `dunning.plan_customer_actions` requires; a customer comes with **all** its open
      invoices (the message lists them all), though a source may leave out customers with
      nothing to review at *at* (see `InvoiceReview`);
    - each invoice's events include the host's facts, **also those dated after** *at*
      (a payment recorded since: the runner never sends what a later fact forbids), and the
      events `log_events` derives from every log entry covering the invoice;
    - rows that cannot be read are yielded as an `UnreadableEntry` for their customer, not
      raised: one bad row stops one customer, not the run.

    Optionally, a source may also have a ``reviewed(reviews: Sequence[InvoiceReview]) -> None``
    method: the runner calls it (in batches, after the customers' messages are handled) with
    what it decided per invoice, so the source can index invoices by ``review_after`` and
    return only those due for review next time. A failure there is reported, never fatal.
    """

    def entries(self, at: datetime) -> Iterable[PortfolioEntry | UnreadableEntry]:
        """The invoices (and unallocated credits) to review at *at*, grouped by customer."""
        ...


@runtime_checkable
class ActionLog(Protocol):
    """Implement this: the idempotency record of every message, the only state the shell keeps.

    Guarantees the runner relies on (`dunning.testing.contract` checks each):

    - **one live entry per action**: `reserve` is atomic; it inserts an entry only if no
      entry has its key (or the one there is ``cancelled`` or ``superseded``), and no entry
      that may have been delivered (`holds`) covers one of its actions; in the same
      transaction, every other live entry covering one of its actions (pending approval,
      approved, retry, reserved with no attempt) becomes ``superseded``;
    - `begin_attempt`, `cancel` and `revise` are compare-and-set on status and attempts;
      `begin_attempt` is durable before the sender is called, so a crash after it leaves a
      ``reserved`` entry with ``attempts >= 1``: "maybe sent";
    - a brand-new message may be **reserved already claimed**: `reserve` of a ``reserved``
      entry with ``attempts=1`` and ``attempted_at`` set (the runner's first attempt, in the
      same commit as the reservation; the sender is called right after, without
      `begin_attempt`). `reserve` stores ``attempts`` and ``attempted_at`` as given for a new
      key, and refuses a claimed entry under a key that has one (cancelled or superseded
      included): a crash after it leaves the same "maybe sent" entry as after `begin_attempt`;
    - when an entry becomes ``pending_approval`` its approval (``decided_by``, ``decided_at``)
      is cleared: an approval is for what the approver saw;
    - every method changes what it changes durably before returning, and raises (any
      exception) rather than pretend: the runner contains the failure to one customer.
    """

    def get(self, key: str) -> LogEntry | None:
        """The entry for *key*, or None."""
        ...

    def reserve(self, entry: LogEntry) -> bool:
        """Make *entry* the live entry for its key and its actions, atomically (see above).

        When the entry under its key is ``cancelled`` or ``superseded``, it is replaced by
        *entry* but keeps its ``reserved_at``, ``attempts`` and (unless *entry* is pending
        approval) its approval. True if this call reserved it; False if the key is taken or an
        action is held by an entry that may have been delivered (nothing changes then).

        A new key's entry is stored as given, ``attempts`` and ``attempted_at`` included: the
        runner reserves a new message already claimed for its first attempt (``reserved``,
        ``attempts=1``), durably, then calls the sender. Such a claimed entry is refused
        (False) under a key that has any entry, since it would lose the old attempts.
        """
        ...

    def begin_attempt(
        self,
        key: str,
        *,
        owner: str,
        expect: EntryStatus,
        expect_attempts: int,
        at: datetime,
        message: Message | None = None,
    ) -> LogEntry | None:
        """Claim *key* for one send attempt, atomically (compare-and-set).

        If the entry's status is *expect* and its ``attempts`` is *expect_attempts*, set its
        status to ``reserved`` by *owner*, add one to ``attempts``, set ``attempted_at`` and
        ``updated_at`` to *at* and store *message* (what is about to be sent) if given,
        durably, and return the new entry; otherwise return None (another runner got there
        first).
        """
        ...

    def cancel(
        self, key: str, *, expect: EntryStatus, expect_attempts: int, at: datetime, reason: str
    ) -> bool:
        """Mark *key* ``cancelled`` (with *reason*) if it is still as the caller saw it.

        Compare-and-set like `begin_attempt`: True if this call changed it, False if another
        runner changed it first (then it is left alone).
        """
        ...

    def revise(
        self,
        key: str,
        *,
        expect: EntryStatus,
        expect_attempts: int,
        status: EntryStatus,
        covers: tuple[Covered, ...],
        message: Message,
        at: datetime,
        reason: str,
    ) -> LogEntry | None:
        """Replace an undelivered entry's preview and amounts, compare-and-set.

        Used to refresh a pending preview whose amounts changed, and to return an approved
        entry whose amounts changed to ``pending_approval`` (the approval lapses: it is
        cleared). *covers* must name the same actions. Returns the new entry, or None if it
        was no longer as the caller saw it.
        """
        ...

    def finish(
        self,
        key: str,
        status: EntryStatus,
        *,
        at: datetime,
        receipt: Receipt | None = None,
        reason: str = "",
    ) -> None:
        """Record the outcome of an attempt: sent (with *receipt*), failed, retry or uncertain."""
        ...

    def decide_approval(self, key: str, *, approved: bool, by: str, at: datetime) -> LogEntry:
        """Approve or reject a ``pending_approval`` entry, stamped *at* (``decided_at``).

        Raises:
            KeyError: if no message awaits approval under *key*.
        """
        ...

    def resolve_uncertain(self, key: str, *, delivered: bool, by: str, at: datetime) -> LogEntry:
        """Record a human's answer for an ``uncertain`` entry.

        It did (``sent``) or did not (``retry``) reach the customer. The reason records who
        said so and when.

        Raises:
            KeyError: if no uncertain message has this key.
        """
        ...

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        """Every entry whose status is one of *statuses*, oldest first."""
        ...

    def last_message_at(self, customer_id: str, *, at: datetime) -> datetime | None:
        """The latest ``attempted_at`` not after *at* of the customer's sent or uncertain entries.

        The customer gap counts from it. None if there is none.
        """
        ...

    def latest_run(self) -> datetime | None:
        """The latest instant `record_run` was given, or None."""
        ...

    def record_run(self, at: datetime) -> None:
        """Remember *at* as a run instant if it is later than the latest one (atomic max)."""
        ...


@runtime_checkable
class Sender(Protocol):
    """Implement this, once per channel: hand one message to a provider.

    Guarantees the runner relies on:

    - ``deduplicates`` is True only if the provider drops a second message with the same
      idempotency key (then a reservation with no outcome is simply sent again);
    - `send` raises `SendError` saying whether the provider may have accepted the message;
      any other exception is treated as "maybe sent";
    - it never adds to the message: what it sends is the `Message` it is given.
    """

    channel: Channel
    deduplicates: bool

    def send(
        self, message: Message, *, idempotency_key: str, context: SendContext | None = None
    ) -> Receipt:
        """Hand *message* over; return the provider's receipt.

        The runner always passes *context* (who the message is for, what it covers).
        """
        ...


@runtime_checkable
class PaymentLinks(Protocol):
    """Implement this if customers can pay online: the link printed in a message."""

    def link_for(self, action: CustomerAction) -> str | None:
        """An ``https://`` payment page for this message, or None."""
        ...
