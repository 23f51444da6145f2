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

How log entries become events, and the transitions a store applies (`reservation`,
`revised_entry`, `resolved_entry`, `bounced_entry`), are the pure rules of
`dunning.core.action_log`: its `LOG_EVENTS` table is the one every store obeys. The names
that cross the ports (`LogEntry`, `Covered`, `EntryStatus`, `Receipt`) are defined there and
re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from dunning.core.action_log import (
    HOLDING_STATUSES,
    LIVE_STATUSES,
    REVIVABLE_STATUSES,
    Covered,
    EntryStatus,
    LogEntry,
    Receipt,
    bounced_entry,
    holds,
    log_events,
    preview_version,
    reservation,
    resolved_entry,
    revised_entry,
)
from dunning.core.engine import DecisionStatus
from dunning.core.model import Channel
from dunning.core.portfolio import CustomerAction, PortfolioEntry
from dunning.core.render import Message

# The ports and what crosses them, plus names re-exported from dunning.core.action_log, where
# they live: those the Protocol signatures use (Covered, EntryStatus, LogEntry, Receipt) and,
# until the SQL stores import them from there, the store rules and status groups.
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


@dataclass(frozen=True, slots=True)
class SendContext:
    """What a sender may want to know besides the message (a phone task names the customer).

    Attributes:
        key: the idempotency key.
        customer_id: the customer.
        channel: the channel.
        covers: the per-invoice actions the message carries out.
        attempt: 1 for the first attempt, 2 for the next...
        not_before: given only to a sender that schedules (``schedules = True``), for a
            message prepared before its send window opens (a nightly batch): send it at this
            instant, not before (the window's opening; the message is dated that day). None:
            send it now.
    """

    key: str
    customer_id: str
    channel: Channel
    covers: tuple[Covered, ...]
    attempt: int
    not_before: datetime | None = None


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


@runtime_checkable
class InvoiceSource(Protocol):
    """Implement this: the invoices to review at an instant, with their histories.

    Guarantees the runner relies on:

    - entries come grouped by customer id (sorted by it is the usual way), as
      `dunning.engine.plan_customer_actions` requires; a customer comes with **all** its open
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

    Optionally, a sender may say it can send at a later instant (an SMS provider's scheduled
    send, a print house's posting date) with a class or instance attribute
    ``schedules = True`` (read with ``getattr(sender, "schedules", False)``). A run outside a
    channel's send window that prepares messages ahead (``Dunner.run(prepare_ahead=...)``)
    then calls it at once with `SendContext.not_before`, the window's opening: the provider
    must hold the message until then. A sender without it is never given a future instant:
    such messages wait in the log, reserved, for `Dunner.deliver_due` or a run inside the
    window.
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
