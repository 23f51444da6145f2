"""In-memory reference adapters: an invoice store that is also the action log, and senders.

For tests and notebooks. `MemoryStore` keeps invoices, their events and the action log in
dicts behind one lock, so two runners in two threads see atomic reservations. It adds to each
invoice the events the runner relies on, derived from the log by
`dunning.core.action_log.log_events`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import count

from dunning.core.action_log import (
    Covered,
    EntryStatus,
    LatestRunReset,
    LogEntry,
    Receipt,
    bounced_entry,
    customer_ids_of,
    latest_run_reset,
    log_events,
    reached_at,
    reservation,
    resolved_entry,
    revised_entry,
)
from dunning.core.model import Channel, Event, Invoice, check_aware, check_new_event
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry
from dunning.core.render import Message
from dunning.core.shards import DEFAULT_TENANT, Shard, check_tenant, latest_run_names
from dunning.exceptions import NotFoundError
from dunning.ports import InvoiceReview, SendContext

__all__ = ["MemorySender", "MemoryStore"]


class MemoryStore:
    """Invoices, events and the action log, in memory (an `InvoiceSource` and an `ActionLog`).

    It keeps the whole `dunning.ports.ActionLog` contract (it passes `dunning.testing.contract`)
    and records what the runner reported per invoice in ``reviews`` (it does not index on it:
    every run reviews every invoice).

    Examples:
        >>> from datetime import date
        >>> from dunning.testing import make_invoice
        >>> store = MemoryStore()
        >>> store.add_invoice(make_invoice(due_on=date(2026, 5, 4)))
        >>> at = datetime.fromisoformat("2026-05-10T10:00+02:00")
        >>> [entry.invoice.id for entry in store.entries(at)]
        ['INV-001']
    """

    def __init__(self, *, tenant: str = DEFAULT_TENANT) -> None:
        """An empty store for *tenant* (`dunning.core.shards`)."""
        self.tenant = check_tenant(tenant)
        """The creditor this store holds the book of."""
        self._family: dict[str, MemoryStore] = {self.tenant: self}
        self._lock = threading.RLock()
        self._invoices: dict[str, Invoice] = {}
        self._events: dict[str, list[Event]] = {}
        self._log: dict[str, LogEntry] = {}
        self._latest_runs: dict[str, datetime] = {}  # the book's and each shard's
        self._resets: list[LatestRunReset] = []
        self.reviews: dict[str, InvoiceReview] = {}
        """The latest `InvoiceReview` the runner reported for each invoice."""

    def for_tenant(self, tenant: str) -> MemoryStore:
        """The store of another *tenant* of the same book (the same one each time it is asked).

        Raises:
            ConfigurationError: if *tenant* is not a plain tenant key.

        Examples:
            >>> from dunning.testing import make_invoice
            >>> acme = MemoryStore(tenant="acme")
            >>> acme.add_invoice(make_invoice(id="F-1"))
            >>> globex = acme.for_tenant("globex")
            >>> globex is acme.for_tenant("globex"), acme.for_tenant("acme") is acme
            (True, True)
            >>> list(globex.entries(datetime.fromisoformat("2026-05-10T10:00+02:00")))
            []
        """
        check_tenant(tenant)
        store = self._family.get(tenant)
        if store is None:
            fresh = MemoryStore(tenant=tenant)
            fresh._family = self._family
            store = self._family.setdefault(tenant, fresh)  # atomic: one store per tenant
        return store

    # -- the host's side: invoices and events ---------------------------------------------

    def add_invoice(self, invoice: Invoice, events: Iterable[Event] = ()) -> None:
        """Add (or replace) *invoice* with its events."""
        with self._lock:
            self._invoices[invoice.id] = invoice
            self._events[invoice.id] = list(events)

    def add_event(self, invoice_id: str, event: Event) -> None:
        """Record *event* on an invoice (a payment, a dispute...), once checked against it.

        Raises:
            KeyError: if there is no such invoice.
            InvoiceHistoryError: if the invoice or its history contradicts *event*
                (`check_new_event`); nothing is recorded.
        """
        with self._lock:
            check_new_event(self._invoices[invoice_id], self.events(invoice_id), event)
            self._events[invoice_id].append(event)

    def remove_invoice(self, invoice_id: str) -> None:
        """Stop returning an invoice (a host that filters paid invoices out, say); its log stays."""
        with self._lock:
            del self._invoices[invoice_id]

    def record_delivery_failure(self, key: str, *, at: datetime, reason: str) -> None:
        """Record that the sent message *key* never reached the customer (a bounce...).

        The entry becomes ``failed``, so the engine tries the step's fallback channel next,
        with a new message. For bounce reports and returned letters.

        Raises:
            KeyError: if there is no message under *key*.
            ValueError: if it was never sent.
        """
        with self._lock:
            self._log[key] = bounced_entry(self._log.get(key), key, at=at, reason=reason)

    def events(self, invoice_id: str) -> tuple[Event, ...]:
        """The invoice's events, the host's and those derived from the log."""
        with self._lock:
            return (*self._events[invoice_id], *self._derived().get(invoice_id, ()))

    def invoice(self, ref: str) -> Invoice:
        """The invoice whose id, else whose number, is *ref* (as `SqliteStore.invoice`).

        Raises:
            NotFoundError: (a `KeyError`) if no invoice has this id or number, or several
                have this number.

        Examples:
            >>> from dunning.testing import make_invoice
            >>> store = MemoryStore()
            >>> store.add_invoice(make_invoice(id="F-1", number="2026-0001"))
            >>> store.invoice("2026-0001").id, store.invoice("F-1").number
            ('F-1', '2026-0001')
        """
        with self._lock:
            found = self._invoices.get(ref)
            by_number = [i for i in self._invoices.values() if i.number == ref]
        if found is not None:
            return found
        if len(by_number) == 1:
            return by_number[0]
        if by_number:
            ids = ", ".join(sorted(i.id for i in by_number))
            msg = f"several invoices have the number {ref!r} (ids {ids}): give the id"
            raise NotFoundError(msg)
        msg = f"no invoice with id or number {ref!r}"
        raise NotFoundError(msg)

    def log_for_invoice(self, invoice_id: str) -> list[LogEntry]:
        """Every message that covered the invoice, oldest reservation first."""
        with self._lock:
            found = [
                e for e in self._log.values() if any(c.invoice_id == invoice_id for c in e.covers)
            ]
        return sorted(found, key=lambda e: (e.reserved_at, e.key))

    # -- InvoiceSource ----------------------------------------------------------------------

    def entries(self, at: datetime) -> Iterator[PortfolioEntry]:  # noqa: ARG002  (no index)
        """Every invoice with its events, grouped (sorted) by customer id, then invoice id."""
        with self._lock:
            derived = self._derived()
            snapshot = [
                InvoiceHistory(
                    invoice=invoice,
                    events=(*self._events[invoice.id], *derived.get(invoice.id, ())),
                )
                for invoice in sorted(
                    self._invoices.values(), key=lambda inv: (inv.customer.id, inv.id)
                )
            ]
        yield from snapshot

    def reviewed(self, reviews: Sequence[InvoiceReview]) -> None:
        """Keep what the runner decided per invoice (in ``reviews``)."""
        with self._lock:
            for review in reviews:
                self.reviews[review.invoice_id] = review

    def _derived(self) -> dict[str, list[Event]]:
        out: dict[str, list[Event]] = {}
        for entry in self._log.values():
            for invoice_id, event in log_events(entry):
                out.setdefault(invoice_id, []).append(event)
        return out

    # -- ActionLog --------------------------------------------------------------------------

    def get(self, key: str) -> LogEntry | None:
        """The entry for *key*, or None."""
        with self._lock:
            return self._log.get(key)

    def reserve(self, entry: LogEntry) -> bool:
        """Make *entry* the live entry for its key and actions (see `dunning.ports.ActionLog`)."""
        with self._lock:
            actions = {c.action_id for c in entry.covers}
            holders = [
                e for e in self._log.values() if any(c.action_id in actions for c in e.covers)
            ]
            stored, superseded = reservation(entry, self._log.get(entry.key), holders)
            if stored is None:
                return False
            for old in superseded:
                self._log[old.key] = old
            self._log[entry.key] = stored
            return True

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
        """Claim *key* for a send attempt if it is still as the caller saw it."""
        with self._lock:
            entry = self._expected(key, expect, expect_attempts)
            if entry is None:
                return None
            claimed = replace(
                entry,
                status=EntryStatus.RESERVED,
                owner=owner,
                attempts=entry.attempts + 1,
                updated_at=at,
                attempted_at=at,
                message=message or entry.message,
            )
            self._log[key] = claimed
            return claimed

    def cancel(
        self, key: str, *, expect: EntryStatus, expect_attempts: int, at: datetime, reason: str
    ) -> bool:
        """Cancel *key* if it is still as the caller saw it."""
        with self._lock:
            entry = self._expected(key, expect, expect_attempts)
            if entry is None:
                return False
            self._log[key] = replace(
                entry, status=EntryStatus.CANCELLED, updated_at=at, reason=reason
            )
            return True

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
        """Replace an undelivered entry's preview, amounts and status, compare-and-set."""
        with self._lock:
            entry = self._expected(key, expect, expect_attempts)
            if entry is None:
                return None
            new = revised_entry(
                entry, status=status, covers=covers, message=message, at=at, reason=reason
            )
            self._log[key] = new
            return new

    def _expected(self, key: str, expect: EntryStatus, attempts: int) -> LogEntry | None:
        entry = self._log.get(key)
        if entry is None or entry.status is not expect or entry.attempts != attempts:
            return None
        return entry

    def finish(
        self,
        key: str,
        status: EntryStatus,
        *,
        at: datetime,
        receipt: Receipt | None = None,
        reason: str = "",
    ) -> None:
        """Record the outcome of an attempt.

        Raises:
            KeyError: if there is no entry under *key*.
        """
        with self._lock:
            entry = self._log[key]
            self._log[key] = replace(
                entry, status=status, updated_at=at, receipt=receipt, reason=reason
            )

    def finish_and_reserve(
        self,
        key: str,
        status: EntryStatus,
        *,
        at: datetime,
        receipt: Receipt | None = None,
        reason: str = "",
        entry: LogEntry,
    ) -> bool:
        """`finish` one message, then `reserve` the next, under one lock (see `SqlStore`'s).

        Raises:
            KeyError: if there is no entry under *key* (nothing is reserved).
        """
        with self._lock:
            self.finish(key, status, at=at, receipt=receipt, reason=reason)
            return self.reserve(entry)

    def decide_approval(self, key: str, *, approved: bool, by: str, at: datetime) -> LogEntry:
        """Approve or reject a pending entry, stamped *at*.

        Raises:
            KeyError: if no message awaits approval under *key*.
        """
        with self._lock:
            entry = self._log.get(key)
            if entry is None or entry.status is not EntryStatus.PENDING_APPROVAL:
                msg = f"no message awaiting approval with id {key!r}"
                raise KeyError(msg)
            status = EntryStatus.APPROVED if approved else EntryStatus.REJECTED
            decided = replace(
                entry,
                status=status,
                decided_by=by or "unknown",
                decided_at=at,
                updated_at=at,
            )
            self._log[key] = decided
            return decided

    def resolve_uncertain(self, key: str, *, delivered: bool, by: str, at: datetime) -> LogEntry:
        """Record a human's answer for an uncertain entry (see `dunning.ports.ActionLog`).

        Raises:
            KeyError: if no uncertain message has this key.
        """
        with self._lock:
            entry = resolved_entry(self._log.get(key), key, delivered=delivered, by=by, at=at)
            self._log[key] = entry
            return entry

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        """Entries in any of *statuses*, oldest reservation first."""
        with self._lock:
            found = [e for e in self._log.values() if e.status in statuses]
        return sorted(found, key=lambda e: (e.reserved_at, e.key))

    def entries_updated_at(self, at: datetime) -> Sequence[LogEntry]:
        """The entries whose last change was at *at* (a run's instant), oldest reservation first.

        Raises:
            ValueError: if *at* is naive.
        """
        check_aware(at)
        with self._lock:
            found = [e for e in self._log.values() if e.updated_at == at]
        return sorted(found, key=lambda e: (e.reserved_at, e.key))

    def last_message_at(self, customer_id: str, *, at: datetime) -> datetime | None:
        """The latest message not after *at* among the customer's sent or uncertain entries.

        A message reaches the customer at its attempt, or at its ``not_before`` if later
        (`dunning.core.action_log.reached_at`).
        """
        with self._lock:
            times = [
                reached_at(e)
                for e in self._log.values()
                if e.customer_id == customer_id
                and e.status in (EntryStatus.SENT, EntryStatus.UNCERTAIN)
                and e.attempted_at is not None
            ]
        return max((t for t in times if t <= at), default=None)

    def last_messages_at(self, customer_ids: Sequence[str], *, at: datetime) -> dict[str, datetime]:
        """`last_message_at` of each of *customer_ids* (those with none left out).

        Examples:
            >>> from datetime import UTC
            >>> MemoryStore().last_messages_at(["C-001"], at=datetime(2026, 5, 5, tzinfo=UTC))
            {}
        """
        check_aware(at)
        found = {c: self.last_message_at(c, at=at) for c in customer_ids_of(customer_ids)}
        return {c: t for c, t in found.items() if t is not None}

    def latest_run(self, *, shard: Shard | None = None) -> datetime | None:
        """The latest run instant recorded (`dunning.core.shards.latest_run_names`)."""
        with self._lock:
            names = list(self._latest_runs) if shard is None else latest_run_names(shard)
            return max(
                (self._latest_runs[n] for n in names if n in self._latest_runs), default=None
            )

    def record_run(self, at: datetime, *, shard: Shard | None = None) -> None:
        """Remember *at* if it is later than the latest run instant (of *shard*, if given)."""
        name = latest_run_names(shard)[-1]
        with self._lock:
            known = self._latest_runs.get(name)
            if known is None or at > known:
                self._latest_runs[name] = at

    def reset_latest_run(
        self, to: datetime, *, by: str, at: datetime, reason: str
    ) -> LatestRunReset:
        """Move the latest run instants back to *to*, with an audit line (as the SQL stores)."""
        with self._lock:
            latest = max(self._latest_runs.values(), default=None)
            line = latest_run_reset(latest, to, by=by, at=at, reason=reason)
            for name, instant in self._latest_runs.items():
                self._latest_runs[name] = min(instant, to)
            self._resets.append(line)
        return line

    def latest_run_resets(self) -> list[LatestRunReset]:
        """Every move back of the latest run instant, oldest first."""
        with self._lock:
            return list(self._resets)


@dataclass
class MemorySender:
    """A sender that keeps what it is given, with faults to inject (a test double).

    Attributes:
        channel: the channel it serves.
        deduplicates: drop a second message with a key already seen (like a provider with
            idempotency keys).
        schedules: the provider can send at a later instant (`SendContext.not_before`), like
            an SMS gateway's scheduled send; a run then hands it messages prepared before
            their send window opens.
        fail_next: exceptions to raise on the next calls, in order (e.g. a `SendError`).
        crash_after_send: raise `SimulatedCrash` *after* accepting the next message: a process
            dying between send and record.
        sent: the messages accepted, with their keys, in order (duplicates included unless
            ``deduplicates``).
        contexts: the `SendContext` of every call, accepted or not, in order.

    Examples:
        >>> from dunning.ports import SendError
        >>> sender = MemorySender(Channel.EMAIL)
        >>> sender.fail_next.append(SendError("connection refused", delivered=False))
        >>> sender.channel.value, sender.sent
        ('email', [])
    """

    channel: Channel
    deduplicates: bool = False
    schedules: bool = False
    fail_next: list[BaseException] = field(default_factory=list)
    crash_after_send: bool = False
    sent: list[tuple[str, Message]] = field(default_factory=list)
    contexts: list[SendContext] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: count(1), repr=False)

    def send(
        self, message: Message, *, idempotency_key: str, context: SendContext | None = None
    ) -> Receipt:
        """Accept *message* (or raise the next injected fault)."""
        if context is not None:
            self.contexts.append(context)
        if self.fail_next:
            raise self.fail_next.pop(0)
        if self.deduplicates and any(key == idempotency_key for key, _ in self.sent):
            return Receipt(provider_id=f"dup-{idempotency_key}", detail="duplicate dropped")
        self.sent.append((idempotency_key, message))
        receipt = Receipt(provider_id=f"{self.channel.value}-{next(self._ids)}")
        if self.crash_after_send:
            self.crash_after_send = False
            msg = "crash after send (injected)"
            raise SimulatedCrash(msg)
        return receipt


class SimulatedCrash(BaseException):
    """An injected process death: not an `Exception`, so nothing in the runner catches it."""
