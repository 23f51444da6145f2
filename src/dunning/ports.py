"""The ports: what a host implements so that `Dunner` can run dunning against its own world.

Four small `typing.Protocol`s. Everything that crosses them is frozen. The runner relies on the
guarantees written in each docstring; an adapter that keeps them gets "never a duplicate, never
a lost action" for free. The reference adapters (`dunning.adapters.memory`, ...) show how.

- `InvoiceSource`: what to review at an instant, grouped by customer.
- `ActionLog`: the idempotency record. One `LogEntry` per message key (the `CustomerAction.id`,
  derived from the actions it carries out). Reserving is atomic; every outcome is recorded.
- `Sender`: one per channel. Takes a rendered `Message` and an idempotency key.
- `PaymentLinks`: the payment page for a customer's message, if the host has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from dunning.core.model import Channel
from dunning.core.portfolio import CustomerAction, PortfolioEntry
from dunning.core.render import Message

__all__ = [
    "ActionLog",
    "Covered",
    "EntryStatus",
    "InvoiceSource",
    "LogEntry",
    "PaymentLinks",
    "Receipt",
    "SendError",
    "Sender",
]


class EntryStatus(StrEnum):
    """Where one message stands in the action log."""

    RESERVED = "reserved"
    """Reserved by a runner that is sending it (or crashed while doing so)."""
    PENDING_APPROVAL = "pending_approval"
    """Rendered and stored; waits for a human to approve or reject it."""
    APPROVED = "approved"
    """Approved; the next run sends it."""
    REJECTED = "rejected"
    """Rejected by a human; never sent."""
    SENT = "sent"
    """Handed to the provider, with its receipt."""
    FAILED = "failed"
    """Not sent and not to be retried with this key (a permanent refusal)."""
    RETRY = "retry"
    """Not sent (the provider was unreachable before accepting anything): the next run retries."""
    UNCERTAIN = "uncertain"
    """Maybe sent, maybe not, and the sender cannot deduplicate: a human must look."""
    CANCELLED = "cancelled"
    """Never sent: no longer due when its turn came (paid, disputed, paused, or superseded by
    a firmer step). Sent after all if the same message becomes due again."""


@dataclass(frozen=True, slots=True)
class Covered:
    """One per-invoice action a message carries out."""

    invoice_id: str
    action_id: str
    step_id: str


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
        message: the rendered message, stored with the reservation.
        status: where it stands.
        owner: the runner that last reserved it.
        reserved_at: when it was first reserved.
        updated_at: when its status last changed.
        attempts: how many times a sender was called with it.
        receipt: the provider's receipt once sent.
        reason: why it failed, is uncertain, or was rejected.
        decided_by: who approved or rejected it.
        requires_approval: whether a human had to approve it before it could be sent.
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


@runtime_checkable
class InvoiceSource(Protocol):
    """Implement this: the invoices to review at an instant, with their histories.

    Guarantees the runner relies on:

    - entries come grouped by customer id (sorted by it is the usual way), as
      `dunning.plan_customer_actions` requires;
    - each invoice's events include an `ActionTaken` for every action of every log entry that
      is ``sent`` (``at`` = when it was sent, ``action_id`` and ``step_id`` from `Covered`),
      an `ActionApproved` / `ActionRejected` for every approved / rejected entry's actions, and
      a `DeliveryFailed` for every delivery the host learned had failed. The reference adapters
      derive them from the log they share with the source.
    """

    def entries(self, at: datetime) -> Iterable[PortfolioEntry]:
        """The invoices (and unallocated credits) to review at *at*, grouped by customer."""
        ...


@runtime_checkable
class ActionLog(Protocol):
    """Implement this: the idempotency record of every message, the only state the shell keeps.

    Guarantees the runner relies on:

    - `reserve` is atomic: of two runners reserving one key at once, exactly one gets True;
    - `begin_attempt` and `cancel` are atomic (compare-and-set on status and attempts);
      `begin_attempt` is durable before the sender is called, so a crash after it leaves a
      ``reserved`` entry with ``attempts >= 1``: "maybe sent";
    - every other method changes one entry, durably, before returning.
    """

    def get(self, key: str) -> LogEntry | None:
        """The entry for *key*, or None."""
        ...

    def reserve(self, entry: LogEntry) -> bool:
        """Insert *entry* if no entry has its key. True if this call inserted it."""
        ...

    def begin_attempt(
        self, key: str, *, owner: str, expect: EntryStatus, expect_attempts: int, at: datetime
    ) -> LogEntry | None:
        """Claim *key* for one send attempt, atomically (compare-and-set).

        If the entry's status is *expect* and its ``attempts`` is *expect_attempts*, set its
        status to ``reserved`` by *owner*, add one to ``attempts``, durably, and return the new
        entry; otherwise return None (another runner got there first).
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
        """Approve or reject a ``pending_approval`` entry; raise `KeyError` if there is none."""
        ...

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        """Every entry whose status is one of *statuses*, oldest first."""
        ...


@runtime_checkable
class Sender(Protocol):
    """Implement this, once per channel: hand one message to a provider.

    Guarantees the runner relies on:

    - ``deduplicates`` is True only if the provider drops a second message with the same
      idempotency key (then a reservation with no outcome is simply sent again);
    - `send` raises `SendError` saying whether the provider may have accepted the message;
      any other exception is treated as "maybe sent".
    """

    channel: Channel
    deduplicates: bool

    def send(self, message: Message, *, idempotency_key: str) -> Receipt:
        """Hand *message* over; return the provider's receipt."""
        ...


@runtime_checkable
class PaymentLinks(Protocol):
    """Implement this if customers can pay online: the link printed in a message."""

    def link_for(self, action: CustomerAction) -> str | None:
        """An ``https://`` payment page for this message, or None."""
        ...
