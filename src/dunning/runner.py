"""The run loop: fetch -> decide -> group per customer -> render -> reserve -> send -> record.

How this works
--------------
Each message has one idempotency key, the `CustomerAction.id` (derived from the per-invoice
actions it carries out). The action log holds one entry per key and, what a customer perceives,
at most one *live* entry per per-invoice action (`dunning.ports.ActionLog.reserve`): if the set
of due invoices changes, the new grouping supersedes an undelivered entry and is refused while
an entry that may have been delivered (reserved, uncertain, sent) covers one of its actions.

A run:

1. **Time forward.** A run earlier than the latest one the log has seen, by more than the
   lease, is refused (`RunInThePastError`); ``allow_past=True`` replays it read-only.
2. **Recover** what a crashed run left: a ``reserved`` entry (ours at once, another runner's
   once its lease has expired) whose sender was called may have gone out: unless its sender
   deduplicates, it becomes ``uncertain``. Every ``uncertain`` entry is reported, every run,
   until a human resolves it (`resolve`): its steps count as taken meanwhile
   (`dunning.core.action_log.log_events`), so nothing re-sends them under any key.
3. **Plan** customer by customer (`review_customer`, the customer gap counted from the log's
   last message to the customer). Nothing is sent that the engine does not say is due now,
   nor what a fact dated after the run's instant forbids (a payment, a credit, a dispute, a
   hold, a rejection recorded since). A message is **rendered for the instant it is sent**:
   the stored text is a preview, refreshed while it waits whenever what the approver sees
   changes (amounts, deadline date, address), so each change gives a new `LogEntry.version`.
   An approval covers what the approver saw (DOMAIN 9.5): the covered invoices and amounts,
   the channel, the address and the deadline date. If any differs when the message is about to
   go, or the approval is older than `APPROVAL_WORKING_DAYS` working days of the customer's
   calendar, the approval lapses and the entry waits again, with a new preview and the reason.
   A message under a new key (another set of invoices) always needs its own approval.
4. **Tidy**: an undelivered entry (pending approval, approved, retry, abandoned reservation)
   of a reviewed customer whose actions are no longer all proposed is ``cancelled``
   (compare-and-set); so is one of a customer the source no longer returns. A cancelled
   message that becomes due again is reserved again.

Faults: anything a customer's processing raises (source rows, log, render, sender) becomes an
``error`` item for that customer, and the run goes on. After a provider accepted a message,
recording it is retried; if the log still fails, the outcome goes to the `OutcomeJournal`
(replayed at the next run) and the item is ``sent_unrecorded``: never lost, never re-sent.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from dunning.core.action_log import Covered, EntryStatus, LogEntry, Receipt
from dunning.core.calendar import calendar_for
from dunning.core.display import html_table
from dunning.core.engine import Decision, DecisionStatus, decide
from dunning.core.model import (
    ActionRejected,
    ActionTaken,
    Channel,
    CreditNote,
    DisputeOpened,
    Event,
    HoldPlaced,
    Payment,
    check_aware,
    event_day,
)
from dunning.core.portfolio import (
    CustomerAction,
    InvoiceHistory,
    PortfolioEntry,
    review_customer,
)
from dunning.core.render import Creditor, Message, RenderBudget, TemplatePack, render
from dunning.core.scenario import ScenarioChoice, as_chooser
from dunning.exceptions import ConfigurationError, RunInThePastError, StaleApprovalError
from dunning.ports import (
    ActionLog,
    InvoiceReview,
    InvoiceSource,
    PaymentLinks,
    SendContext,
    Sender,
    SendError,
    UnreadableEntry,
)

__all__ = [
    "APPROVAL_WORKING_DAYS",
    "Dunner",
    "Outcome",
    "OutcomeJournal",
    "RunItem",
    "RunReport",
    "approve",
    "reject",
    "resolve",
]

APPROVAL_WORKING_DAYS = 5
"""How long an approval stays good: 5 working days of the customer's calendar (DOMAIN 9.5).

An approved message not sent by the end of the 5th working day after the day it was approved
(weekends and the public holidays of the customer's `BusinessCalendar` do not count) lapses
and waits for approval again. `Dunner.approval_working_days` changes it per runner.
"""

_FINISH_TRIES = 3
_REVIEW_BATCH = 200


class Outcome(StrEnum):
    """What a run did with one message (or customer, for ``error``)."""

    SENT = "sent"
    PENDING_APPROVAL = "pending_approval"
    RETRY = "retry"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    """Maybe sent: reported by every run until a human resolves it."""
    SENT_UNRECORDED = "sent_unrecorded"
    """The provider accepted it but the log could not record it (see the journal)."""
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    WOULD_SEND = "would_send"
    ERROR = "error"


_ATTENTION = (Outcome.ERROR, Outcome.UNCERTAIN, Outcome.SENT_UNRECORDED)


@dataclass(frozen=True, slots=True)
class RunItem:
    """One line of a `RunReport`."""

    outcome: Outcome
    customer_id: str
    key: str = ""
    channel: Channel | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one run did: per-message outcomes, and what it decided per invoice.

    Attributes:
        at: the run's instant.
        items: one per message handled (and per customer that could not be handled).
        dry_run: nothing was written (a dry run, or a replay of the past).
        reviews: per invoice reviewed, its decision and when to look at it again.

    Examples:
        >>> report = RunReport(at=datetime.fromisoformat("2026-05-04T10:00+02:00"), items=(
        ...     RunItem(Outcome.SENT, "C1", "m1", Channel.EMAIL),))
        >>> report.counts()
        {'sent': 1}
        >>> report.needs_attention
        False
        >>> print(report)
        run at 2026-05-04T10:00:00+02:00: 1 sent
        sent              C1          email              m1
    """

    at: datetime
    items: tuple[RunItem, ...]
    dry_run: bool = False
    reviews: tuple[InvoiceReview, ...] = ()

    def counts(self) -> dict[str, int]:
        """Messages per outcome."""
        out: dict[str, int] = {}
        for item in self.items:
            out[item.outcome.value] = out.get(item.outcome.value, 0) + 1
        return out

    def by_channel(self) -> dict[str, dict[str, int]]:
        """Messages per channel, then per outcome."""
        out: dict[str, dict[str, int]] = {}
        for item in self.items:
            channel = item.channel.value if item.channel else "-"
            per = out.setdefault(channel, {})
            per[item.outcome.value] = per.get(item.outcome.value, 0) + 1
        return out

    def with_outcome(self, outcome: Outcome) -> tuple[RunItem, ...]:
        """The items with this outcome."""
        return tuple(i for i in self.items if i.outcome is outcome)

    @property
    def needs_attention(self) -> bool:
        """An error, an unresolved uncertain message or an unrecorded send: a human must look."""
        return any(i.outcome in _ATTENTION for i in self.items)

    def _repr_html_(self) -> str:
        """The items as an HTML table, counts in the caption, for notebooks."""
        counts = ", ".join(f"{n} {name}" for name, n in sorted(self.counts().items()))
        caption = f"Run at {self.at.isoformat()}: {counts or 'nothing to do'}"
        rows = [(i.outcome, i.customer_id, i.channel or "", i.key, i.reason) for i in self.items]
        return html_table(
            ["outcome", "customer", "channel", "key", "reason"], rows, caption=caption
        )

    def __str__(self) -> str:
        """A readable summary, then one line per item."""
        counts = ", ".join(f"{n} {name}" for name, n in sorted(self.counts().items()))
        head = f"run at {self.at.isoformat()}{' (dry run)' if self.dry_run else ''}: "
        lines = [head + (counts or "nothing to do")]
        for i in self.items:
            channel = i.channel.value if i.channel else "-"
            line = f"{i.outcome.value:<17} {i.customer_id:<11} {channel:<18} {i.key}"
            lines.append((line + (f"  {i.reason}" if i.reason else "")).rstrip())
        return "\n".join(lines)


class OutcomeJournal(Protocol):
    """Where a runner keeps a send outcome the log could not take, until the log takes it.

    `dunning.adapters.files.FileJournal` is a file-backed one. Each method is called with the
    log unavailable, so it must not depend on it.
    """

    def keep(self, key: str, attempts: int, receipt: Receipt, at: datetime) -> None:
        """Record durably that attempt *attempts* of *key* was accepted with *receipt*."""
        ...

    def kept(self) -> Sequence[tuple[str, int, Receipt, datetime]]:
        """Every outcome kept and not yet dropped."""
        ...

    def drop(self, key: str) -> None:
        """Forget *key*'s outcome (the log has it now)."""
        ...


def _default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def approve(
    log: ActionLog, key: str, *, by: str, at: datetime, seen: str | None = None
) -> LogEntry:
    """Approve a message awaiting approval, on the log alone; the next run sends it.

    The approval covers what the preview showed: the invoices and amounts, the channel, the
    address and the deadline date. If any of them changes before the send, or the message is
    not sent within `APPROVAL_WORKING_DAYS` working days, the approval lapses and the message
    waits for approval again, with a new preview.

    Pass *seen*: the `LogEntry.version` of the preview the approver was shown. Without it
    (kept for compatibility) the approval covers whatever the preview is when it lands, which
    a run may have refreshed (a re-import changed an amount) after the approver looked.

    Args:
        log: the action log.
        key: the message key.
        by: who approves.
        at: when (timezone-aware).
        seen: the version of the preview the approver saw; the approval is refused if the
            preview is no longer that version.

    Returns:
        The approved entry.

    Raises:
        KeyError: if no message awaits approval under *key*.
        StaleApprovalError: if *seen* is given and the preview changed since (code
            ``stale_preview``; nothing is recorded: show the new preview and ask again).
        ValueError: if *at* is naive.

    Examples:
        >>> from dataclasses import replace
        >>> from dunning.core.action_log import _EXAMPLE
        >>> from dunning.testing import MemoryStore, paris
        >>> store = MemoryStore()
        >>> store.reserve(_EXAMPLE)
        True
        >>> shown = store.get("msg_1").version
        >>> approve(store, "msg_1", by="claire", at=paris(2026, 5, 5), seen="000000000000")
        Traceback (most recent call last):
        ...
        dunning.exceptions.StaleApprovalError: message 'msg_1' changed since its preview ...
        >>> approve(store, "msg_1", by="claire", at=paris(2026, 5, 5), seen=shown).status
        <EntryStatus.APPROVED: 'approved'>
        >>> approve(MemoryStore(), "msg_x", by="claire", at=paris(2026, 5, 5))
        Traceback (most recent call last):
        ...
        KeyError: "no message awaiting approval with id 'msg_x'"
    """
    check_aware(at)
    return _decide(log, key, approved=True, by=by, at=at, seen=seen)


def reject(log: ActionLog, key: str, *, by: str, at: datetime, seen: str | None = None) -> LogEntry:
    """Reject a message awaiting approval, on the log alone: never sent, its steps skipped.

    Args:
        log: the action log.
        key: the message key.
        by: who rejects.
        at: when (timezone-aware).
        seen: the `LogEntry.version` of the preview the approver saw, as for `approve`.

    Returns:
        The rejected entry.

    Raises:
        KeyError: if no message awaits approval under *key*.
        StaleApprovalError: if *seen* is given and the preview changed since.
        ValueError: if *at* is naive.

    Examples:
        >>> from dunning.testing import MemoryStore, paris
        >>> reject(MemoryStore(), "msg_x", by="claire", at=paris(2026, 5, 5))
        Traceback (most recent call last):
        ...
        KeyError: "no message awaiting approval with id 'msg_x'"
    """
    check_aware(at)
    return _decide(log, key, approved=False, by=by, at=at, seen=seen)


def _decide(
    log: ActionLog, key: str, *, approved: bool, by: str, at: datetime, seen: str | None
) -> LogEntry:
    """Record a human's decision, refused if the preview is not the version *seen*.

    The ports have no compare-and-set on the preview, so the version is checked before the
    decision and again on the entry it returns: a run that refreshed the preview in between
    loses, and the decision is withdrawn (the entry goes back to pending, compare-and-set).
    """
    if seen is not None:
        entry = log.get(key)
        if (
            entry is not None
            and entry.status is EntryStatus.PENDING_APPROVAL
            and entry.version != seen
        ):
            raise StaleApprovalError(key, seen=seen, current=entry.version)
    decided = log.decide_approval(key, approved=approved, by=by, at=at)
    if seen is None or decided.version == seen:
        return decided
    log.revise(
        key,
        expect=decided.status,
        expect_attempts=decided.attempts,
        status=EntryStatus.PENDING_APPROVAL,
        covers=decided.covers,
        message=decided.message,
        at=at,
        reason=f"decision by {by or 'unknown'} withdrawn: the preview changed as it was given",
    )
    raise StaleApprovalError(key, seen=seen, current=decided.version)


def resolve(log: ActionLog, key: str, *, delivered: bool, by: str, at: datetime) -> LogEntry:
    """Resolve an uncertain message: it reached the customer (``sent``), or it did not.

    Not delivered, it becomes ``retry``: its steps are due again, and the next run sends them
    (rendered for that day) if they still are.

    Raises:
        KeyError: if no uncertain message has this key.
        ValueError: if *at* is naive.

    Examples:
        >>> from dunning.testing import MemoryStore, paris
        >>> resolve(MemoryStore(), "msg_x", delivered=True, by="claire", at=paris(2026, 5, 5))
        Traceback (most recent call last):
        ...
        KeyError: "no uncertain message with id 'msg_x'"
    """
    check_aware(at)
    return log.resolve_uncertain(key, delivered=delivered, by=by, at=at)


@dataclass
class Dunner:
    """Runs dunning against a host's source, log and senders (see the module docs).

    Attributes:
        source: where invoices and events come from (`dunning.ports.InvoiceSource`).
        log: the action log (`dunning.ports.ActionLog`).
        senders: one `dunning.ports.Sender` per channel.
        scenario: the scenario, or a function choosing it per customer (a `Policy`'s
            ``scenario_for`` wrapped in a lambda, say).
        creditor: who the messages are from (bank details printed in them).
        pack: the template pack; the built-in one by default.
        payment_links: payment pages for the messages, if the host has them.
        owner: this runner's name in the log; unique per process. A restarted runner with the
            same name recovers its own unfinished reservations at once.
        lease: how long another runner's reservation is left alone before it is considered
            abandoned (its process died); also how far before the latest run a run may be.
        with_penalties: state the penalties owed in each message.
        journal: where a send outcome the log cannot take is kept until it can.
        render_budget: how much time and output one message may cost to render (a runaway
            template is an error for that customer); the default `RenderBudget` if None.
        keep_reviews: keep each invoice's `InvoiceReview` on the `RunReport` (``reviews``).
            They cost about 200 bytes an invoice for the length of the run; with False, a
            run's memory stays flat whatever the size of the book, and the reviews reach only
            the source's ``reviewed`` hook (in batches), as a large book wants.
        approval_working_days: how many working days of the customer's calendar an approval
            stays good for (`APPROVAL_WORKING_DAYS`, 5, by default); an approved message not
            sent by then lapses and waits for approval again.

    Raises:
        ConfigurationError: if a sender is registered under a channel it does not serve,
            *owner* is empty, or *approval_working_days* is below 1.

    Examples:
        >>> from datetime import date
        >>> from dunning.adapters.memory import MemorySender, MemoryStore
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.testing import make_creditor, make_invoice, paris
        >>> store = MemoryStore()
        >>> store.add_invoice(make_invoice(due_on=date(2026, 5, 4)))
        >>> email = MemorySender(Channel.EMAIL)
        >>> dunner = Dunner(store, store, {Channel.EMAIL: email}, STANDARD, make_creditor())
        >>> dunner.run(at=paris(2026, 5, 5)).counts()
        {'sent': 1}
        >>> dunner.run(at=paris(2026, 5, 5)).counts()   # re-running sends nothing new
        {}
        >>> len(email.sent)
        1
    """

    source: InvoiceSource
    log: ActionLog
    senders: Mapping[Channel, Sender]
    scenario: ScenarioChoice
    creditor: Creditor
    pack: TemplatePack | None = None
    payment_links: PaymentLinks | None = None
    owner: str = field(default_factory=_default_owner)
    lease: timedelta = timedelta(minutes=15)
    with_penalties: bool = True
    journal: OutcomeJournal | None = None
    render_budget: RenderBudget | None = None
    keep_reviews: bool = True
    approval_working_days: int = APPROVAL_WORKING_DAYS

    def __post_init__(self) -> None:
        """Refuse a sender under another channel than its own, or something not a scenario."""
        as_chooser(self.scenario)  # a Policy is a choice too; a wrong type fails here
        for channel, sender in self.senders.items():
            if sender.channel != channel:
                msg = (
                    f"senders[{channel.value!r}]: this sender serves {sender.channel.value}, "
                    f"not {channel.value}"
                )
                raise ConfigurationError(msg)
        if not self.owner:
            msg = "owner: a runner needs a name unique to its process"
            raise ConfigurationError(msg)
        if self.approval_working_days < 1:
            msg = (
                f"approval_working_days: {self.approval_working_days} would let no approval "
                "stand; give 1 or more (the default is 5)"
            )
            raise ConfigurationError(msg)

    def run(self, *, at: datetime, dry_run: bool = False, allow_past: bool = False) -> RunReport:
        """Do everything due at *at*; return what was done.

        Args:
            at: the instant of the run (timezone-aware); the caller reads the clock.
            dry_run: render and report, but write and send nothing.
            allow_past: accept an instant earlier than the latest run the log has seen, as a
                read-only replay (like *dry_run*): it reports what the engine decides then.

        Returns:
            The `RunReport`.

        Raises:
            ValueError: if *at* is naive.
            RunInThePastError: if *at* is earlier than the latest run by more than the lease
                and *allow_past* is not set.
        """
        check_aware(at)
        run = _Run(self, at, read_only=dry_run or allow_past)
        try:
            latest = self.log.latest_run()
        except Exception as error:  # noqa: BLE001  (the log is down: nothing can be claimed)
            run.error("-", error)
            return run.report()
        if latest is not None and at < latest - self.lease and not allow_past:
            msg = (
                f"at: {at.isoformat()} is before the latest run the log has seen "
                f"({latest.isoformat()}): time only moves forward; replay the past read-only "
                "with allow_past=True (dunning run --allow-past)"
            )
            raise RunInThePastError(msg, at=at, latest=latest)
        if not run.read_only:
            try:
                self.log.record_run(at)
            except Exception as error:  # noqa: BLE001
                run.error("-", error)
                return run.report()
        return run.go()

    def approve(self, key: str, *, by: str, at: datetime, seen: str | None = None) -> LogEntry:
        """Approve a message awaiting approval (`approve` on this runner's log).

        Pass *seen*, the `LogEntry.version` the approver was shown: a changed preview is
        refused with `StaleApprovalError`.
        """
        return approve(self.log, key, by=by, at=at, seen=seen)

    def reject(self, key: str, *, by: str, at: datetime, seen: str | None = None) -> LogEntry:
        """Reject a message awaiting approval (`reject` on this runner's log), as `approve`."""
        return reject(self.log, key, by=by, at=at, seen=seen)


_WAITING = (
    EntryStatus.PENDING_APPROVAL,
    EntryStatus.APPROVED,
    EntryStatus.RETRY,
    EntryStatus.RESERVED,
)


class _Run:
    """One run in the making: what it has seen and reported so far."""

    def __init__(self, dunner: Dunner, at: datetime, *, read_only: bool) -> None:
        self.d = dunner
        self.log = dunner.log
        self.at = at
        self.read_only = read_only
        self.items: list[RunItem] = []
        self.reviews: list[InvoiceReview] = []
        self.unsent_reviews: list[InvoiceReview] = []
        self.waiting: dict[str, list[LogEntry]] = {}
        self.seen: set[str] = set()
        self.seen_all = True  # the source's stream ran to its end

    # -- the whole run ---------------------------------------------------------------------

    def go(self) -> RunReport:
        if not self.read_only:
            self._replay_journal()
        self._recover()
        for customer_id, group in self._stream():
            if customer_id in self.seen:
                reason = (
                    "the source gave this customer's entries in two groups: give them grouped "
                    "(e.g. sorted) by customer id; the second group is left alone"
                )
                self.items.append(RunItem(Outcome.ERROR, customer_id, reason=reason))
                continue
            self.seen.add(customer_id)
            try:
                self._customer(customer_id, group)
            except Exception as error:  # noqa: BLE001  (one customer's fault stays its own)
                self.error(customer_id, error)
            if len(self.unsent_reviews) >= _REVIEW_BATCH:
                self._flush_reviews()
        self._flush_reviews()
        if not self.read_only:
            self._tidy_unseen()
        return self.report()

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
            iterator = iter(self.d.source.entries(self.at))
            group: list[PortfolioEntry | UnreadableEntry] = []
            current = ""
            for entry in iterator:
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
            try:
                self._recover_one(entry)
            except Exception as error:  # noqa: BLE001
                self.error(entry.customer_id, error, entry.key)

    def _recover_one(self, entry: LogEntry) -> None:
        if entry.status is EntryStatus.UNCERTAIN:
            self.items.append(_item(Outcome.UNCERTAIN, entry, _unresolved(entry)))
            return
        if entry.status is EntryStatus.RESERVED and not self._abandoned(entry):
            return  # another runner is sending it right now
        if self._maybe_sent(entry):
            if not self.read_only:
                reason = "a previous run stopped while sending it; it may or may not have gone out"
                self.log.finish(entry.key, EntryStatus.UNCERTAIN, at=self.at, reason=reason)
                self.items.append(_item(Outcome.UNCERTAIN, entry, _unresolved(entry, reason)))
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
                last_message_at=self.log.last_message_at(customer_id, at=self.at),
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
                    sent.extend(_taken(action, self.at))
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
                resendable = entry.status is EntryStatus.RETRY or (
                    entry.status is EntryStatus.RESERVED and not self._maybe_sent(entry)
                )
                if resendable:
                    self._cancel(entry)
                elif not {c.action_id for c in entry.covers} <= proposed:
                    self._close(entry)

    def _close(self, entry: LogEntry) -> None:
        """What waits and is no longer planned: cancelled, or uncertain if it may have gone.

        An abandoned reservation whose (deduplicating) sender was called may have reached the
        customer: only its own key could be sent again safely, and it is not planned any more.
        """
        if entry.status is EntryStatus.RESERVED and entry.attempts > 0:
            reason = "a previous run stopped while sending it, and it is no longer planned"
            self.log.finish(entry.key, EntryStatus.UNCERTAIN, at=self.at, reason=reason)
            self.items.append(_item(Outcome.UNCERTAIN, entry, _unresolved(entry, reason)))
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
            chosen = as_chooser(self.d.scenario)(invoice.customer)
            out.append(decide(invoice, (*history.events, *extra), chosen, at=self.at))
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

    def _cancel(self, entry: LogEntry) -> None:
        reason = "no longer due (paid, disputed, paused, or replaced by another message)"
        done = self.log.cancel(
            entry.key,
            expect=entry.status,
            expect_attempts=entry.attempts,
            at=self.at,
            reason=reason,
        )
        if done:
            self.items.append(_item(Outcome.CANCELLED, entry, reason))

    # -- one message -----------------------------------------------------------------------

    def _one(
        self, action: CustomerAction, histories: Mapping[str, InvoiceHistory]
    ) -> RunItem | None:
        stop = _later_stop(action, histories, self.at)
        if stop:
            return _action_item(Outcome.SKIPPED, action, f"a later fact forbids it: {stop}")
        existing = self.log.get(action.id)
        if existing is None:
            return self._new(action, fresh=True)  # a new message: reserved (and claimed)
        if existing.status in (EntryStatus.CANCELLED, EntryStatus.SUPERSEDED):
            # due again: reserved again, then claimed
            return self._new(action, fresh=False, before=existing)
        return self._existing(existing, action)

    def _render(self, action: CustomerAction) -> Message:
        link = self.d.payment_links.link_for(action) if self.d.payment_links else None
        context = action.render_context(
            creditor=self.d.creditor,
            message_date=self.at.astimezone(action.customer.tz).date(),
            payment_link=link,
        )
        return render(action, context, pack=self.d.pack, budget=self.d.render_budget)

    def _new(
        self, action: CustomerAction, *, fresh: bool, before: LogEntry | None = None
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
        """
        try:
            message = self._render(action)
        except Exception as error:  # noqa: BLE001
            reason = f"cannot render: {error}"
            return _action_item(Outcome.ERROR, action, reason)
        needs_approval = action.requires_approval and (
            before is None
            or not before.decided_by
            or bool(self._approval_changes(before, action, message))
        )
        if self.read_only:
            outcome = Outcome.PENDING_APPROVAL if needs_approval else Outcome.WOULD_SEND
            return _action_item(outcome, action, "dry run")
        sender = self.d.senders.get(action.channel)
        claimed = fresh and not needs_approval and sender is not None
        entry = LogEntry(
            key=action.id,
            customer_id=action.customer_id,
            channel=action.channel,
            covers=_covers(action),
            message=message,
            status=EntryStatus.PENDING_APPROVAL if needs_approval else EntryStatus.RESERVED,
            owner=self.d.owner,
            reserved_at=self.at,
            updated_at=self.at,
            requires_approval=action.requires_approval,
            attempts=1 if claimed else 0,
            attempted_at=self.at if claimed else None,
        )
        if not self.log.reserve(entry):
            reason = (
                "reserved by another run, or its actions are held by a message that may "
                "have gone out"
            )
            return _action_item(Outcome.SKIPPED, action, reason)
        if needs_approval:
            return _action_item(Outcome.PENDING_APPROVAL, action, "awaiting approval")
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
            return _item(Outcome.ERROR, entry, f"cannot render: {error}")
        if entry.requires_approval:
            changed = self._approval_changes(entry, action, message)
            if changed:
                return self._lapse(entry, action, message, changed)
        if self.read_only:
            return _item(Outcome.WOULD_SEND, entry, "dry run")
        return self._attempt(entry, action, message)

    def _approval_changes(
        self, entry: LogEntry, action: CustomerAction, message: Message
    ) -> list[str]:
        """Why *entry*'s approval does not cover *message* for *action* now ([]: it does).

        A deadline that only moved later, because the approved message leaves a day or two
        after the preview (a nightly run after an afternoon approval), is not a change: the
        debtor gets the same number of days the approver saw, never fewer. Anything else the
        approver saw, or an expired approval, is.
        """
        changes = _preview_changes(entry, action, message, later_deadline_ok=True)
        expired = _expiry(entry, action, self.at, self.d.approval_working_days)
        return [*changes, expired] if expired else changes

    def _refresh(self, entry: LogEntry, action: CustomerAction) -> RunItem | None:
        """A pending entry: its preview follows what would be sent, so the approver sees today's.

        Amounts, deadline date and address are revised in place (a new version); a new
        channel needs a new entry (cancelled, then reserved again under the same key).
        """
        if self.read_only:
            return _item(Outcome.PENDING_APPROVAL, entry, "awaiting approval")
        message = self._render(action)
        changed = _preview_changes(entry, action, message)
        if not changed:
            return _item(Outcome.PENDING_APPROVAL, entry, "awaiting approval")
        if entry.channel is not action.channel:
            return self._replace(entry, action, "preview updated: " + "; ".join(changed))
        self.log.revise(
            entry.key,
            expect=entry.status,
            expect_attempts=entry.attempts,
            status=EntryStatus.PENDING_APPROVAL,
            covers=_covers(action),
            message=message,
            at=self.at,
            reason="preview updated: " + "; ".join(changed),
        )
        return _item(Outcome.PENDING_APPROVAL, entry, "awaiting approval (preview updated)")

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
            return _item(Outcome.PENDING_APPROVAL, entry, reason)
        if entry.channel is not action.channel:
            return self._replace(entry, action, reason)
        self.log.revise(
            entry.key,
            expect=entry.status,
            expect_attempts=entry.attempts,
            status=EntryStatus.PENDING_APPROVAL,
            covers=_covers(action),
            message=message,
            at=self.at,
            reason=reason,
        )
        return _item(Outcome.PENDING_APPROVAL, entry, reason)

    def _replace(self, entry: LogEntry, action: CustomerAction, reason: str) -> RunItem | None:
        """Close *entry* (compare-and-set) and reserve *action* again under its key, pending.

        The log's `revise` keeps an entry's channel, so a message now due by another channel
        is cancelled with *reason* and reserved anew: it needs a new approval.
        """
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
            return _action_item(Outcome.PENDING_APPROVAL, action, reason)
        return item

    # -- sending ---------------------------------------------------------------------------

    def _attempt(
        self, entry: LogEntry, action: CustomerAction, message: Message, *, claimed: bool = False
    ) -> RunItem | None:
        """Claim *entry* for an attempt (unless reserved *claimed* already), then send it."""
        sender = self.d.senders.get(entry.channel)
        if sender is None:
            reason = f"no sender for channel {entry.channel.value}"
            if entry.status is not EntryStatus.RETRY:
                self.log.finish(entry.key, EntryStatus.RETRY, at=self.at, reason=reason)
            return _item(Outcome.RETRY, entry, reason)
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
        self, claimed: LogEntry, action: CustomerAction, message: Message, sender: Sender
    ) -> RunItem:
        """Call the sender with an entry durably claimed (reserved, attempts >= 1) by us."""
        context = SendContext(
            key=claimed.key,
            customer_id=claimed.customer_id,
            channel=claimed.channel,
            covers=_covers(action),
            attempt=claimed.attempts,
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
        return self._record(claimed, EntryStatus.SENT, "", receipt)

    def _record(
        self,
        claimed: LogEntry,
        status: EntryStatus,
        reason: str,
        receipt: Receipt | None = None,
    ) -> RunItem:
        """Record an outcome, retried; an accepted message the log refuses goes to the journal."""
        failure: Exception | None = None
        for _ in range(_FINISH_TRIES):
            try:
                self.log.finish(claimed.key, status, at=self.at, receipt=receipt, reason=reason)
            except Exception as error:  # noqa: BLE001
                failure = error
                continue
            shown = _unresolved(claimed, reason) if status is EntryStatus.UNCERTAIN else reason
            return _item(Outcome(status.value), claimed, shown)
        problem = f"the log could not record it ({type(failure).__name__}: {failure})"
        if status is not EntryStatus.SENT or receipt is None:
            # Not accepted (or unknown): the entry stays reserved with an attempt, so the next
            # run recovers it as uncertain unless the sender deduplicates. Never re-sent blind.
            return _item(Outcome.ERROR, claimed, f"{reason}; {problem}")
        journal = self.d.journal
        kept = ""
        if journal is not None:
            try:
                journal.keep(claimed.key, claimed.attempts, receipt, self.at)
                kept = "; kept in the journal, recorded at the next run"
            except Exception as error:  # noqa: BLE001
                kept = f"; the journal failed too ({type(error).__name__}: {error})"
        detail = f"accepted as {receipt.provider_id}; {problem}{kept}"
        return _item(Outcome.SENT_UNRECORDED, claimed, detail)


# -- helpers -------------------------------------------------------------------------------


def _taken(action: CustomerAction, at: datetime) -> list[tuple[str, ActionTaken]]:
    """The events the log will give for *action* once sent at *at* (`log_events`)."""
    return [
        (
            a.invoice_id,
            ActionTaken(at=at, action_id=a.id, channel=action.channel, step_id=a.step_id),
        )
        for a in action.covers
    ]


def _covers(action: CustomerAction) -> tuple[Covered, ...]:
    deadline = action.deadline_on
    return tuple(
        Covered(a.invoice_id, a.id, a.step_id, a.amount_due, deadline) for a in action.covers
    )


def _preview_changes(
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
    changes.extend(_amount_changes(entry, action))
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


def _amount_changes(entry: LogEntry, action: CustomerAction) -> list[str]:
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


def _expiry(entry: LogEntry, action: CustomerAction, at: datetime, working_days: int) -> str:
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


_STOPPING = (Payment, CreditNote, DisputeOpened, HoldPlaced)


def _later_stop(
    action: CustomerAction, histories: Mapping[str, InvoiceHistory], at: datetime
) -> str:
    """A stopping fact dated after *at* on a covered invoice ("" if none): it wins."""
    tz = action.customer.tz
    today = at.astimezone(tz).date()
    ids = {a.id for a in action.covers}
    for covered in action.covers:
        history = histories.get(covered.invoice_id)
        events: Iterable[Event] = history.events if history is not None else ()
        for event in events:
            if isinstance(event, ActionRejected):
                if event.action_id in ids and event.at > at:
                    return f"{covered.invoice_id}: rejected on {event.at.isoformat()}"
            elif isinstance(event, _STOPPING) and event_day(event, tz) > today:
                return f"{covered.invoice_id}: {event.kind} of {event.on}"
    return ""


def _unresolved(entry: LogEntry, reason: str = "") -> str:
    why = reason or entry.reason
    return f"unresolved: {why}; resolve it: dunning resolve {entry.key} --delivered|--not-delivered"


def _item(outcome: Outcome, entry: LogEntry, reason: str) -> RunItem:
    return RunItem(outcome, entry.customer_id, entry.key, entry.channel, reason)


def _action_item(outcome: Outcome, action: CustomerAction, reason: str) -> RunItem:
    return RunItem(outcome, action.customer_id, action.id, action.channel, reason)
