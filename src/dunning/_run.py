"""One run of `dunning.runner.Dunner`: recover, plan, reserve, send, record, tidy (`_Run`).

The steps and guarantees are described in `dunning.runner`; this module is the loop itself.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dunning._run_entries import (
    NO_LONGER_DUE,
    action_item,
    covers_of,
    entry_item,
    expiry_of,
    later_stop,
    preview_changes,
    taken_events,
    unresolved_note,
    why_not_planned,
)
from dunning._run_report import Outcome, RunItem, RunReport
from dunning.core.action_log import EntryStatus, LogEntry, Receipt, sent_reason
from dunning.core.engine import Decision, DecisionStatus, decide
from dunning.core.model import (
    ActionTaken,
)
from dunning.core.policy import as_chooser
from dunning.core.portfolio import (
    CustomerAction,
    InvoiceHistory,
    PortfolioEntry,
    payment_history,
    review_customer,
)
from dunning.core.render import Message, render
from dunning.core.runcache import RunCache
from dunning.core.shards import DEFAULT_TENANT, Shard
from dunning.ports import (
    InvoiceReview,
    SendContext,
    Sender,
    SendError,
    UnreadableEntry,
)

if TYPE_CHECKING:
    from dunning.runner import Dunner

_FINISH_TRIES = 3
"""Tries to record an outcome before it goes to the journal."""
_REVIEW_BATCH = 200
"""Reviews told to the source at once."""
_LOOKAHEAD = 100
"""How many of the source's customers a run reads ahead: when each last received a message
is read for them at once (``last_messages_at``, where the log has it)."""
_WAITS_FOR_A_RUN = (
    "waits for its send window: an earlier attempt failed, so a run inside the window sends it"
)

_RESERVED_ELSEWHERE = (
    "reserved by another run, or its actions are held by a message that may have gone out"
)
_KEY_TAKEN = RunItem(Outcome.SKIPPED, "-", reason="an entry has this key")
"""What `Run._new` gives back, when told the key may be taken, if the log refuses it."""

_WAITING = (
    EntryStatus.PENDING_APPROVAL,
    EntryStatus.APPROVED,
    EntryStatus.RETRY,
    EntryStatus.RESERVED,
)


@dataclass(frozen=True)
class _Sent:
    """A message sent whose outcome is not written yet: it goes with the next reservation."""

    claimed: LogEntry
    receipt: Receipt
    item: RunItem


def _combined(log: object, name: str, *parts: str) -> Callable[..., Any] | None:
    """*log*'s method *name*, if it is safe to call instead of its *parts* one by one.

    It is if the class that defines it defines each of *parts* too (so it does what they
    do); else None, and they are called one by one. A subclass or a wrapper that changes one
    of them (an audit line, a fault injected in a test) is never bypassed by a combined call
    that does not know of it.
    """
    mro = type(log).__mro__

    def home(method: str) -> type | None:
        return next((cls for cls in mro if method in vars(cls)), None)

    defined = home(name)
    if defined is None or any(home(part) is not defined for part in parts):
        return None
    method: Callable[..., Any] = getattr(log, name)
    return method


def _finish_and_reserve(log: object) -> Callable[..., bool] | None:
    """*log*'s ``finish_and_reserve``, if it is safe to call instead of ``finish`` + ``reserve``."""
    return _combined(log, "finish_and_reserve", "reserve", "finish")


def _batches(
    groups: Iterator[tuple[str, list[PortfolioEntry | UnreadableEntry]]], size: int
) -> Iterator[list[tuple[str, list[PortfolioEntry | UnreadableEntry]]]]:
    """*groups* (the source's customers), *size* at a time."""
    while batch := list(itertools.islice(groups, size)):
        yield batch


def takes_shard(method: Callable[..., object]) -> bool:
    """Whether a source's ``entries`` or a log's ``latest_run`` takes a ``shard`` keyword."""
    try:
        return "shard" in inspect.signature(method).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


class Run:
    """One run in the making: what it has seen and reported so far."""

    def __init__(
        self,
        dunner: Dunner,
        at: datetime,
        *,
        read_only: bool,
        shard: Shard | None = None,
        ahead: timedelta | None = None,
    ) -> None:
        self.d = dunner
        self.log = dunner.log
        self.at = at
        self.read_only = read_only
        self.shard = shard
        self.ahead = ahead  # prepare messages whose send window opens within it (a batch)
        # Whose customers the shard's hash is of: the store's tenant (the log's, which the
        # source shares in the reference stores).
        self.tenant: str = getattr(dunner.log, "tenant", None) or DEFAULT_TENANT
        self.items: list[RunItem] = []
        self.cache = RunCache()  # places, rolled days and ladders, shared by the run's customers
        self.reviews: list[InvoiceReview] = []
        self.unsent_reviews: list[InvoiceReview] = []
        self.waiting: dict[str, list[LogEntry]] = {}
        self.seen: set[str] = set()
        self.seen_all = True  # the source's stream ran to its end
        self.only: set[str] | None = None  # a delivery pass reviews only these customers
        # A log that can record an outcome and reserve the next message in one transaction
        # saves a commit per message: a sent message's outcome waits for the next reservation
        # (`_reserve`), at most until the end of the next customer (`go`). Any other write
        # records it first (`_settle`), so the log sees the run's writes in their order.
        self.combined = (
            _finish_and_reserve(self.log) if dunner.outcome_with_next_reservation else None
        )
        self.unrecorded: _Sent | None = None
        # When each customer of the batch being visited last received a message, read for the
        # batch at once (`_read_last_messages`), where the log can.
        self.last_messages_at = _combined(self.log, "last_messages_at", "last_message_at")
        self.last_messages: dict[str, datetime] | None = None

    # -- the whole run ---------------------------------------------------------------------

    def go(self) -> RunReport:
        if not self.read_only:
            self._replay_journal()
        self._recover()
        try:
            for batch in _batches(self._stream(), _LOOKAHEAD):
                self._read_last_messages([customer_id for customer_id, _ in batch])
                for customer_id, group in batch:
                    self._visit(customer_id, group)
                    if len(self.unsent_reviews) >= _REVIEW_BATCH:
                        self._flush_reviews()
        finally:
            self._settle()  # even if the run is interrupted (Ctrl+C): what was sent is recorded
        self._flush_reviews()
        if not self.read_only:
            self._tidy_unseen()
        return self.report()

    def _visit(self, customer_id: str, group: Sequence[PortfolioEntry | UnreadableEntry]) -> None:
        """One customer's turn; an outcome carried in from the last is written by its end."""
        if customer_id in self.seen:
            reason = (
                "the source gave this customer's entries in two groups: give them grouped "
                "(e.g. sorted) by customer id; the second group is left alone"
            )
            self.items.append(RunItem(Outcome.ERROR, customer_id, reason=reason))
            return
        self.seen.add(customer_id)
        carried = self.unrecorded
        try:
            self._customer(customer_id, group)
        except Exception as error:  # noqa: BLE001  (one customer's fault stays its own)
            self.error(customer_id, error)
        finally:
            if carried is not None and self.unrecorded is carried:
                self._settle()  # this customer reserved nothing to write it with

    def deliver(self) -> RunReport:
        """The delivery pass: the customers with a message held for a window open now, again.

        Only the customers of entries reserved with no attempt whose ``not_before`` has come
        are reviewed, as a run reviews them: what is still due goes (the held message, claimed
        compare-and-set, so a run or another pass at the same moment never sends it twice),
        and what a fact recorded since the batch forbids (a payment at 08:00, a dispute) is
        cancelled, never sent. The source's other customers are read past without a decision,
        and nothing else is tidied.
        """
        try:
            entries = self.log.entries_with(EntryStatus.RESERVED)
        except Exception as error:  # noqa: BLE001
            self.error("-", error)
            return self.report()
        self.only = set()
        for entry in entries:
            opens, closes = entry.not_before, entry.not_after
            if opens is None or entry.attempts or opens > self.at:
                continue  # not held, being sent, or its window has not opened
            if closes is not None and self.at >= closes:
                reason = "its send window closed before it went: the next run prepares it again"
                self.items.append(entry_item(Outcome.SKIPPED, entry, reason))
                continue
            self.only.add(entry.customer_id)
        if not self.only:
            return self.report()
        self.seen_all = False  # only some customers are reviewed: the others are not tidied
        return self.go()

    def report(self) -> RunReport:
        return RunReport(
            at=self.at,
            items=tuple(self.items),
            dry_run=self.read_only,
            reviews=tuple(self.reviews),
        )

    def error(self, customer_id: str, error: BaseException, key: str = "") -> None:
        reason = f"{type(error).__name__}: {error}"
        self.items.append(RunItem(Outcome.ERROR, customer_id, key, reason=reason))

    def _stream(self) -> Iterator[tuple[str, list[PortfolioEntry | UnreadableEntry]]]:
        """The source's entries, customer by customer; a failing source ends the stream."""
        try:
            source, shard = self.d.source, self.shard
            split = shard is not None and takes_shard(source.entries)
            if split:  # noqa: SIM108  (the source reads only the shard's customers)
                read = source.entries(self.at, shard=shard)  # type: ignore[call-arg]
            else:
                read = source.entries(self.at)
            group: list[PortfolioEntry | UnreadableEntry] = []
            current = ""
            for entry in read:
                filtered = self.only is not None or (shard is not None and not split)
                if filtered and not self._ours(entry.customer_id):
                    continue
                if group and entry.customer_id != current:
                    yield current, group
                    group = []
                current = entry.customer_id
                group.append(entry)
            if group:
                yield current, group
        except Exception as error:  # noqa: BLE001  (reported; what was planned stands)
            self.error("-", error)
            self.seen_all = False

    # -- what a crashed run left, and what waits for a human --------------------------------

    def _recover(self) -> None:
        try:
            entries = self.log.entries_with(*_WAITING, EntryStatus.UNCERTAIN)
        except Exception as error:  # noqa: BLE001
            self.error("-", error)
            self.seen_all = False  # without the list, tidying would be blind
            return
        for entry in entries:
            if not self._ours(entry.customer_id):
                continue  # another shard's worker looks after it
            try:
                self._recover_one(entry)
            except Exception as error:  # noqa: BLE001
                self.error(entry.customer_id, error, entry.key)

    def _ours(self, customer_id: str) -> bool:
        """Whether this run reviews the customer: its shard's, and in a delivery pass the held."""
        if self.only is not None and customer_id not in self.only:
            return False
        return self.shard is None or self.shard.holds(self.tenant, customer_id)

    def _recover_one(self, entry: LogEntry) -> None:
        if entry.status is EntryStatus.UNCERTAIN:
            self.items.append(entry_item(Outcome.UNCERTAIN, entry, unresolved_note(entry)))
            return
        if entry.status is EntryStatus.RESERVED and not self._abandoned(entry):
            return  # another runner is sending it right now
        if self._maybe_sent(entry):
            if not self.read_only:
                reason = "a previous run stopped while sending it; it may or may not have gone out"
                if not self._uncertain(entry, reason):
                    return  # another runner moved it on since it was read: its outcome stands
                self.items.append(
                    entry_item(Outcome.UNCERTAIN, entry, unresolved_note(entry, reason))
                )
            return
        self.waiting.setdefault(entry.customer_id, []).append(entry)

    def _abandoned(self, entry: LogEntry) -> bool:
        """A reservation nobody is working on: ours (we restarted), or past its lease."""
        return entry.owner == self.d.owner or entry.updated_at + self.d.lease <= self.at

    def _maybe_sent(self, entry: LogEntry) -> bool:
        """A sender was called with it, the outcome is unknown, and a resend could duplicate."""
        if entry.status is not EntryStatus.RESERVED or entry.attempts == 0:
            return False
        sender = self.d.senders.get(entry.channel)
        return sender is None or not sender.deduplicates

    def _replay_journal(self) -> None:
        journal = self.d.journal
        if journal is None:
            return
        for key, attempts, receipt, at in journal.kept():
            try:
                entry = self.log.get(key)
                if (
                    entry is not None
                    and entry.status is EntryStatus.RESERVED
                    and entry.attempts == attempts
                ):
                    self.log.finish(key, EntryStatus.SENT, at=at, receipt=receipt)
                journal.drop(key)
            except Exception as error:  # noqa: BLE001
                self.error("-", error, key)

    # -- one customer ----------------------------------------------------------------------

    def _customer(  # noqa: C901  (plan, send, then tidy what waits)
        self, customer_id: str, group: Sequence[PortfolioEntry | UnreadableEntry]
    ) -> None:
        bad = [e for e in group if isinstance(e, UnreadableEntry)]
        if bad:
            reasons = "; ".join(e.reason for e in bad)
            self.items.append(RunItem(Outcome.ERROR, customer_id, reason=f"unreadable: {reasons}"))
            self.waiting.pop(customer_id, None)  # undecidable today: its entries stay as they are
            return
        entries = [e for e in group if not isinstance(e, UnreadableEntry)]
        try:
            review = review_customer(
                entries,
                self.d.scenario,
                at=self.at,
                with_penalties=self.d.with_penalties,
                last_message_at=self._last_message_at(customer_id),
                cache=self.cache,
                prepare_ahead=self.ahead,
            )
        except Exception as error:  # noqa: BLE001
            self.items.append(RunItem(Outcome.ERROR, customer_id, reason=f"cannot decide: {error}"))
            self.waiting.pop(customer_id, None)
            return
        histories = {e.invoice.id: e for e in entries if isinstance(e, InvoiceHistory)}
        planned: set[str] = set()
        sent: list[tuple[str, ActionTaken]] = []
        for action in review.actions:
            planned.add(action.id)
            try:
                item = self._one(action, histories)
            except Exception as error:  # noqa: BLE001
                self.error(customer_id, error, action.id)
                continue
            if item is not None:
                self.items.append(item)
                if item.outcome is Outcome.SENT:
                    sent.extend(taken_events(action, self._reaches(action)))
        self._note_reviews(customer_id, self._after_sends(review.decisions, histories, sent))
        proposed = {d.action.id for d in review.decisions if d.action is not None}
        if not self.read_only:
            for entry in self.waiting.pop(customer_id, []):
                if entry.key in planned:
                    continue
                # Not planned today: an approval waits; a message safe to send again (never
                # handed to a provider, or to one that deduplicates) that the conversation
                # holds back (a holiday, the customer gap) is cancelled, and reserved again
                # under its key on the day it may go.
                # A claim handed to a provider that is no longer due at all (paid since) may
                # have gone out: it is closed (uncertain), not cancelled as if never sent.
                still_due = {c.action_id for c in entry.covers} <= proposed
                resendable = entry.status is EntryStatus.RETRY or (
                    entry.status is EntryStatus.RESERVED
                    and not self._maybe_sent(entry)
                    and (entry.attempts == 0 or still_due)
                )
                if resendable:
                    self._cancel(entry, why_not_planned(review.held, still_due=still_due))
                elif not still_due:
                    self._close(entry)

    def _read_last_messages(self, customer_ids: Sequence[str]) -> None:
        """Read when each of *customer_ids* last received a message, in one call to the log.

        A run writes a customer's messages on its turn only, so the answers hold for the
        batch. (A runner reviewing the same customers at the same moment, not split by shard,
        could send one in between, as it could between a read on the customer's turn and the
        reservation: the reservation keeps each step to one message either way.) Where the
        log reads one customer at a time, or the batch read fails, each is read on its turn.
        """
        self.last_messages = None
        if self.last_messages_at is None:
            return
        try:
            found = self.last_messages_at(customer_ids, at=self.at)
        except Exception:  # noqa: BLE001  (each customer's own read reports its error)
            return
        self.last_messages = dict(found)

    def _last_message_at(self, customer_id: str) -> datetime | None:
        """When *customer_id* last received a message (the customer gap counts from it)."""
        if self.last_messages is None:
            return self.log.last_message_at(customer_id, at=self.at)
        return self.last_messages.get(customer_id)

    def _uncertain(self, entry: LogEntry, reason: str) -> bool:
        """Make *entry* uncertain if it is still as read (compare-and-set); False if it moved.

        Between reading an abandoned reservation and recording it, its runner may come back
        and record ``sent``: that outcome is the truth, and is never overwritten.
        """
        self._settle()
        revised = self.log.revise(
            entry.key,
            expect=entry.status,
            expect_attempts=entry.attempts,
            status=EntryStatus.UNCERTAIN,
            covers=entry.covers,
            message=entry.message,
            at=self.at,
            reason=reason,
        )
        return revised is not None

    def _close(self, entry: LogEntry) -> None:
        """What waits and is no longer planned: cancelled, or uncertain if it may have gone.

        An abandoned reservation whose (deduplicating) sender was called may have reached the
        customer: only its own key could be sent again safely, and it is not planned any more.
        """
        if entry.status is EntryStatus.RESERVED and entry.attempts > 0:
            reason = "a previous run stopped while sending it, and it is no longer planned"
            if not self._uncertain(entry, reason):
                return  # another runner moved it on since it was read: its outcome stands
            self.items.append(entry_item(Outcome.UNCERTAIN, entry, unresolved_note(entry, reason)))
            return
        self._cancel(entry)

    def _after_sends(
        self,
        decisions: Sequence[Decision],
        histories: Mapping[str, InvoiceHistory],
        sent: Sequence[tuple[str, ActionTaken]],
    ) -> list[Decision]:
        """The decisions as they stand once this run's messages went out (for the index)."""
        taken: dict[str, list[ActionTaken]] = {}
        for invoice_id, event in sent:
            taken.setdefault(invoice_id, []).append(event)
        out = []
        for decision in decisions:
            history = histories.get(decision.invoice_id)
            extra = taken.get(decision.invoice_id)
            if history is None or not extra:
                out.append(decision)
                continue
            invoice = history.invoice
            chosen = as_chooser(self.d.scenario)(
                invoice.customer, payment_history(histories.values(), at=self.at)
            )
            events = (*history.events, *extra)
            out.append(
                decide(
                    invoice,
                    events,
                    chosen,
                    at=self.at,
                    cache=self.cache,
                    prepare_ahead=self.ahead,
                )
            )
        return out

    def _note_reviews(self, customer_id: str, decisions: Sequence[Decision]) -> None:
        for d in decisions:
            due_now = d.status is DecisionStatus.ACTION_DUE
            review = InvoiceReview(
                invoice_id=d.invoice_id,
                customer_id=customer_id,
                status=d.status,
                due_now=due_now,
                review_after=self.at if due_now else d.next_review_at,
            )
            if self.d.keep_reviews:
                self.reviews.append(review)
            self.unsent_reviews.append(review)

    def _flush_reviews(self) -> None:
        self._settle()
        reviews, self.unsent_reviews = self.unsent_reviews, []
        hook = getattr(self.d.source, "reviewed", None)
        if self.read_only or hook is None or not reviews:
            return
        try:
            hook(reviews)
        except Exception as error:  # noqa: BLE001  (the index is an optimisation)
            self.error("-", error)

    def _tidy_unseen(self) -> None:
        """Cancel what waits for customers the source no longer returns (paid, archived)."""
        if not self.seen_all:
            return
        for customer_id, entries in self.waiting.items():
            if customer_id in self.seen:
                continue
            for entry in entries:
                try:
                    self._close(entry)
                except Exception as error:  # noqa: BLE001
                    self.error(customer_id, error, entry.key)

    def _cancel(self, entry: LogEntry, reason: str = NO_LONGER_DUE) -> None:
        self._settle()
        done = self.log.cancel(
            entry.key,
            expect=entry.status,
            expect_attempts=entry.attempts,
            at=self.at,
            reason=reason,
        )
        if done:
            self.items.append(entry_item(Outcome.CANCELLED, entry, reason))

    # -- one message -----------------------------------------------------------------------

    def _one(
        self, action: CustomerAction, histories: Mapping[str, InvoiceHistory]
    ) -> RunItem | None:
        stop = later_stop(action, histories, self.at)
        if stop:
            return action_item(Outcome.SKIPPED, action, f"a later fact forbids it: {stop}")
        if self._claimed_when_new(action):
            # Reserved already claimed if new, which the log refuses under a key it has
            # (`reservation`): so the key is not read first, only if refused.
            item = self._new(action, fresh=True, key_may_be_taken=True)
            if item is not _KEY_TAKEN:
                return item
        existing = self.log.get(action.id)
        if existing is None:
            return self._new(action, fresh=True)  # a new message: reserved (and claimed)
        if existing.status in (EntryStatus.CANCELLED, EntryStatus.SUPERSEDED):
            # due again: reserved again, then claimed
            return self._new(action, fresh=False, before=existing)
        return self._existing(existing, action)

    def _claimed_when_new(self, action: CustomerAction) -> bool:
        """Whether `_new` would reserve *action*'s message claimed, were its key new.

        It needs no approval, and its channel's sender takes it now (its send window is
        open, or the sender schedules).
        """
        if self.read_only or action.requires_approval:
            return False
        sender = self.d.senders.get(action.channel)
        return sender is not None and (self._reaches(action) <= self.at or _schedules(sender))

    def _reaches(self, action: CustomerAction) -> datetime:
        """When *action*'s message reaches the customer: now, or its send window's opening."""
        opens = action.not_before
        return opens if opens is not None and opens > self.at else self.at

    def _render(self, action: CustomerAction) -> Message:
        """The message, dated the day it reaches the customer (its window's, if prepared ahead)."""
        link = self.d.payment_links.link_for(action) if self.d.payment_links else None
        context = action.render_context(
            creditor=self.d.creditor,
            message_date=self._reaches(action).astimezone(action.customer.tz).date(),
            payment_link=link,
        )
        return render(action, context, pack=self.d.pack, budget=self.d.render_budget)

    def _new(  # noqa: PLR0911  (one return per way a new message ends)
        self,
        action: CustomerAction,
        *,
        fresh: bool,
        before: LogEntry | None = None,
        key_may_be_taken: bool = False,
    ) -> RunItem | None:
        """Reserve a message; send it if it needs no approval.

        A *fresh* key (no entry under it) is reserved already claimed for its first attempt
        (``attempts=1``) when its channel has a sender: one durable commit before the sender
        is called instead of two. A key due again keeps the old entry's attempts, so it is
        reserved, then claimed (`ActionLog.begin_attempt`).

        An approval is for one message: a fresh key (another set of invoices than any message
        approved) needs its own, whatever the engine knows of its actions' approvals; a key
        due again (*before*, cancelled or superseded) keeps its approval only if nothing the
        approver saw changed and it has not expired.

        With *key_may_be_taken*, *fresh* is a guess (the log was not read): if the log
        refuses the reservation, `_KEY_TAKEN` is returned for the caller to read it.
        """
        try:
            message = self._render(action)
        except Exception as error:  # noqa: BLE001
            reason = f"cannot render: {error}"
            return action_item(Outcome.ERROR, action, reason)
        needs_approval = action.requires_approval and (
            before is None
            or not before.decided_by
            or bool(self._approval_changes(before, action, message))
        )
        if self.read_only:
            outcome = Outcome.PENDING_APPROVAL if needs_approval else Outcome.WOULD_SEND
            return action_item(outcome, action, "dry run")
        sender = self.d.senders.get(action.channel)
        later = self._reaches(action) > self.at  # prepared before its send window opens
        hold = later and not needs_approval and sender is not None and not _schedules(sender)
        if hold and before is not None and before.attempts > 0:
            # Held as reserved, its old attempts would read "maybe sent": a run inside the
            # window sends it instead.
            return action_item(Outcome.SKIPPED, action, _WAITS_FOR_A_RUN)
        claimed = fresh and not needs_approval and sender is not None and not hold
        entry = LogEntry(
            key=action.id,
            customer_id=action.customer_id,
            channel=action.channel,
            covers=covers_of(action),
            message=message,
            status=EntryStatus.PENDING_APPROVAL if needs_approval else EntryStatus.RESERVED,
            owner=self.d.owner,
            reserved_at=self.at,
            updated_at=self.at,
            requires_approval=action.requires_approval,
            attempts=1 if claimed else 0,
            attempted_at=self.at if claimed else None,
            not_before=action.not_before if later else None,
            not_after=action.not_after if later else None,
        )
        if not self._reserve(entry):
            if key_may_be_taken:
                return _KEY_TAKEN
            return action_item(Outcome.SKIPPED, action, _RESERVED_ELSEWHERE)
        if needs_approval:
            return action_item(Outcome.PENDING_APPROVAL, action, "awaiting approval")
        if hold:
            return action_item(Outcome.HELD_FOR_WINDOW, action, _held_reason(entry))
        stored = entry if claimed else self.log.get(action.id)
        if stored is None:  # pragma: no cover  (reserved in this very run)
            return None
        return self._attempt(stored, action, message, claimed=claimed)

    def _existing(self, entry: LogEntry, action: CustomerAction) -> RunItem | None:  # noqa: PLR0911
        status = entry.status
        if status is EntryStatus.PENDING_APPROVAL:
            return self._refresh(entry, action)
        if status is EntryStatus.UNCERTAIN:
            return None  # reported by _recover, every run until resolved
        if status is EntryStatus.RESERVED and not self._abandoned(entry):
            return entry_item(Outcome.SKIPPED, entry, _RESERVED_ELSEWHERE)  # being sent now
        sendable = status in (EntryStatus.APPROVED, EntryStatus.RETRY) or (
            status is EntryStatus.RESERVED
            and self._abandoned(entry)
            and not self._maybe_sent(entry)
        )
        if not sendable:
            return None  # sent, failed, rejected, or another runner's: nothing to do here
        try:
            message = self._render(action)
        except Exception as error:  # noqa: BLE001
            return entry_item(Outcome.ERROR, entry, f"cannot render: {error}")
        if entry.requires_approval:
            changed = self._approval_changes(entry, action, message)
            if changed:
                return self._lapse(entry, action, message, changed)
        if self.read_only:
            return entry_item(Outcome.WOULD_SEND, entry, "dry run")
        if self._reaches(action) > self.at:
            return self._for_window(entry, action, message)
        return self._attempt(entry, action, message)

    def _for_window(
        self, entry: LogEntry, action: CustomerAction, message: Message
    ) -> RunItem | None:
        """An entry ready to go whose send window opens later: held (or scheduled) for it.

        An entry held already for this very window, with this very message, stays as it is.
        Otherwise it is closed and reserved again under its key with the window
        (`_replace`: compare-and-set, keeping its approval if nothing the approver saw
        changed), then scheduled or held by `_new`. One with attempts waits for a run inside
        the window: reserved again, they would read "maybe sent".
        """
        if (
            entry.status is EntryStatus.RESERVED
            and entry.not_before == action.not_before
            and entry.not_after == action.not_after
            and entry.message == message
            and not _schedules(self.d.senders.get(entry.channel))
        ):
            return entry_item(Outcome.HELD_FOR_WINDOW, entry, _held_reason(entry))
        if entry.attempts > 0:
            return entry_item(Outcome.SKIPPED, entry, _WAITS_FOR_A_RUN)
        return self._replace(entry, action, f"prepared again for its send window ({entry.reason})")

    def _approval_changes(
        self, entry: LogEntry, action: CustomerAction, message: Message
    ) -> list[str]:
        """Why *entry*'s approval does not cover *message* for *action* now ([]: it does).

        A deadline that only moved later, because the approved message leaves a day or two
        after the preview (a nightly run after an afternoon approval), is not a change: the
        debtor gets the same number of days the approver saw, never fewer. Anything else the
        approver saw, or an expired approval, is.
        """
        changes = preview_changes(entry, action, message, later_deadline_ok=True)
        expired = expiry_of(entry, action, self.at, self.d.approval_working_days)
        return [*changes, expired] if expired else changes

    def _refresh(self, entry: LogEntry, action: CustomerAction) -> RunItem | None:
        """A pending entry: its preview follows what would be sent, so the approver sees today's.

        Amounts, deadline date and address are revised in place (a new version); a new
        channel needs a new entry (cancelled, then reserved again under the same key).
        """
        if self.read_only:
            return entry_item(Outcome.PENDING_APPROVAL, entry, "awaiting approval")
        message = self._render(action)
        changed = preview_changes(entry, action, message)
        if not changed:
            return entry_item(Outcome.PENDING_APPROVAL, entry, "awaiting approval")
        if entry.channel is not action.channel:
            return self._replace(entry, action, "preview updated: " + "; ".join(changed))
        self._settle()
        self.log.revise(
            entry.key,
            expect=entry.status,
            expect_attempts=entry.attempts,
            status=EntryStatus.PENDING_APPROVAL,
            covers=covers_of(action),
            message=message,
            at=self.at,
            reason="preview updated: " + "; ".join(changed),
        )
        return entry_item(Outcome.PENDING_APPROVAL, entry, "awaiting approval (preview updated)")

    def _lapse(
        self, entry: LogEntry, action: CustomerAction, message: Message, changed: list[str]
    ) -> RunItem | None:
        """An approval that no longer covers what would be sent: the entry waits again."""
        reason = (
            f"approval by {entry.decided_by} lapsed: " + "; ".join(changed)
            if entry.decided_by
            else "changed since approval: " + "; ".join(changed)
        )
        if self.read_only:
            return entry_item(Outcome.PENDING_APPROVAL, entry, reason)
        if entry.channel is not action.channel:
            return self._replace(entry, action, reason)
        self._settle()
        self.log.revise(
            entry.key,
            expect=entry.status,
            expect_attempts=entry.attempts,
            status=EntryStatus.PENDING_APPROVAL,
            covers=covers_of(action),
            message=message,
            at=self.at,
            reason=reason,
        )
        return entry_item(Outcome.PENDING_APPROVAL, entry, reason)

    def _replace(self, entry: LogEntry, action: CustomerAction, reason: str) -> RunItem | None:
        """Close *entry* (compare-and-set) and reserve *action* again under its key, pending.

        The log's `revise` keeps an entry's channel, so a message now due by another channel
        is cancelled with *reason* and reserved anew: it needs a new approval.
        """
        self._settle()
        done = self.log.cancel(
            entry.key,
            expect=entry.status,
            expect_attempts=entry.attempts,
            at=self.at,
            reason=reason,
        )
        if not done:
            return None  # another runner changed it first
        cancelled = self.log.get(entry.key)
        item = self._new(action, fresh=False, before=cancelled)
        if item is not None and item.outcome is Outcome.PENDING_APPROVAL:
            return action_item(Outcome.PENDING_APPROVAL, action, reason)
        return item

    # -- sending ---------------------------------------------------------------------------

    def _attempt(
        self, entry: LogEntry, action: CustomerAction, message: Message, *, claimed: bool = False
    ) -> RunItem | None:
        """Claim *entry* for an attempt (unless reserved *claimed* already), then send it."""
        self._settle()
        sender = self.d.senders.get(entry.channel)
        if sender is None:
            reason = f"no sender for channel {entry.channel.value}"
            if entry.status is not EntryStatus.RETRY:
                self.log.finish(entry.key, EntryStatus.RETRY, at=self.at, reason=reason)
            return entry_item(Outcome.RETRY, entry, reason)
        if claimed:
            return self._send(entry, action, message, sender)
        claim = self.log.begin_attempt(
            entry.key,
            owner=self.d.owner,
            expect=entry.status,
            expect_attempts=entry.attempts,
            at=self.at,
            message=message,
        )
        if claim is None:
            return None  # another runner claimed it between our read and now
        return self._send(claim, action, message, sender)

    def _send(
        self, claimed: LogEntry, action: CustomerAction | None, message: Message, sender: Sender
    ) -> RunItem:
        """Call the sender with an entry durably claimed (reserved, attempts >= 1) by us.

        *action* is None for a held message a delivery pass sends as stored (`deliver`).
        """
        opens = claimed.not_before
        context = SendContext(
            key=claimed.key,
            customer_id=claimed.customer_id,
            channel=claimed.channel,
            covers=covers_of(action) if action is not None else claimed.covers,
            attempt=claimed.attempts,
            not_before=opens if opens is not None and opens > self.at else None,
        )
        try:
            receipt = sender.send(message, idempotency_key=claimed.key, context=context)
        except SendError as error:
            if error.delivered is False:
                status = EntryStatus.FAILED if error.permanent else EntryStatus.RETRY
            else:
                status = EntryStatus.RETRY if sender.deduplicates else EntryStatus.UNCERTAIN
            return self._record(claimed, status, error.reason)
        except Exception as error:  # noqa: BLE001  (any sender bug: "maybe sent", never lost)
            status = EntryStatus.RETRY if sender.deduplicates else EntryStatus.UNCERTAIN
            return self._record(claimed, status, f"{type(error).__name__}: {error}")
        if self.combined is None:
            return self._record(claimed, EntryStatus.SENT, sent_reason(claimed), receipt)
        self._settle()  # at most one outcome waits
        item = entry_item(Outcome.SENT, claimed, "")
        self.unrecorded = _Sent(claimed, receipt, item)
        return item

    def _reserve(self, entry: LogEntry) -> bool:
        """Reserve *entry*, with the outcome that waits if any (one transaction, one commit).

        If that call fails, the outcome is recorded on its own (`_record`: retried, else the
        journal), then *entry* reserved as usual. A store may have committed the outcome
        before the failure (`SqlActionLog.finish_and_reserve`): recorded again, it is the same.
        """
        waiting, combined = self.unrecorded, self.combined
        if waiting is None or combined is None:
            return self.log.reserve(entry)
        self.unrecorded = None
        try:
            return bool(
                combined(
                    waiting.claimed.key,
                    EntryStatus.SENT,
                    at=self.at,
                    receipt=waiting.receipt,
                    reason=sent_reason(waiting.claimed),
                    entry=entry,
                )
            )
        except Exception:  # noqa: BLE001  (recorded the usual way, then reserved alone)
            self.unrecorded = waiting
            self._settle()
            return self.log.reserve(entry)

    def _settle(self) -> None:
        """Record the outcome that waits for a reservation, now (`_record`)."""
        waiting = self.unrecorded
        if waiting is None:
            return
        self.unrecorded = None
        item = self._record(
            waiting.claimed, EntryStatus.SENT, sent_reason(waiting.claimed), waiting.receipt
        )
        if item == waiting.item:
            return
        for index in range(len(self.items) - 1, -1, -1):
            if self.items[index] is waiting.item:
                self.items[index] = item  # sent, but the log could not record it
                return
        self.items.append(item)  # pragma: no cover  (every sent item is in the report)

    def _record(
        self,
        claimed: LogEntry,
        status: EntryStatus,
        reason: str,
        receipt: Receipt | None = None,
    ) -> RunItem:
        """Record an outcome, retried; an accepted message the log refuses goes to the journal."""
        self._settle()  # an earlier outcome first
        failure: Exception | None = None
        for _ in range(_FINISH_TRIES):
            try:
                self.log.finish(claimed.key, status, at=self.at, receipt=receipt, reason=reason)
            except Exception as error:  # noqa: BLE001
                failure = error
                continue
            shown = unresolved_note(claimed, reason) if status is EntryStatus.UNCERTAIN else reason
            return entry_item(Outcome(status.value), claimed, shown)
        problem = f"the log could not record it ({type(failure).__name__}: {failure})"
        if status is not EntryStatus.SENT or receipt is None:
            # Not accepted (or unknown): the entry stays reserved with an attempt, so the next
            # run recovers it as uncertain unless the sender deduplicates. Never re-sent blind.
            return entry_item(Outcome.ERROR, claimed, f"{reason}; {problem}")
        journal = self.d.journal
        kept = ""
        if journal is not None:
            try:
                journal.keep(claimed.key, claimed.attempts, receipt, self.at)
                kept = "; kept in the journal, recorded at the next run"
            except Exception as error:  # noqa: BLE001
                kept = f"; the journal failed too ({type(error).__name__}: {error})"
        detail = f"accepted as {receipt.provider_id}; {problem}{kept}"
        return entry_item(Outcome.SENT_UNRECORDED, claimed, detail)


def _schedules(sender: Sender | None) -> bool:
    """Whether *sender* can send at a later instant (`SendContext.not_before`)."""
    return bool(getattr(sender, "schedules", False))


def _held_reason(entry: LogEntry) -> str:
    opens = entry.not_before.isoformat() if entry.not_before else "?"
    closes = entry.not_after.isoformat() if entry.not_after else "?"
    return (
        f"held for its send window ({opens} to {closes}): dunning run --deliver-due, or a run "
        "inside the window, sends it"
    )
