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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from dunning._run import Run, takes_shard
from dunning._run_report import NOTIFIED, Notifier, Outcome, OutcomeJournal, RunItem, RunReport
from dunning.core.action_log import EntryStatus, LogEntry
from dunning.core.approvals import CoverStatus, still_due
from dunning.core.model import (
    Channel,
    check_aware,
)
from dunning.core.policy import ScenarioChoice, as_chooser
from dunning.core.render import Creditor, RenderBudget, TemplatePack
from dunning.core.shards import Shard
from dunning.exceptions import ConfigurationError, RunInThePastError, StaleApprovalError
from dunning.ports import (
    ActionLog,
    InvoiceSource,
    PaymentLinks,
    Sender,
)

__all__ = [
    "APPROVAL_WORKING_DAYS",
    "NOTIFIED",
    "CoverStatus",
    "Dunner",
    "Notifier",
    "Outcome",
    "OutcomeJournal",
    "RunItem",
    "RunReport",
    "approve",
    "reject",
    "resolve",
    "still_due",
]

APPROVAL_WORKING_DAYS = 5
"""How long an approval stays good: 5 working days of the customer's calendar (DOMAIN 9.5).

An approved message not sent by the end of the 5th working day after the day it was approved
(weekends and the public holidays of the customer's `BusinessCalendar` do not count) lapses
and waits for approval again. `Dunner.approval_working_days` changes it per runner.
"""


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
        notifier: told of each message sent, awaiting approval, uncertain or failed, after
            each run that writes (`Notifier`).
        outcome_with_next_reservation: write a sent message's outcome in the transaction that
            reserves the next message, when the log offers ``finish_and_reserve`` (the
            reference stores do): one durable commit per message instead of two. Each outcome
            is still written before the next send, so a crash leaves at most one message in
            doubt, but that window now spans the next customer's planning: more kills land in
            it, and each leaves a message uncertain for a human. Off by default.

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
    notifier: Notifier | None = None
    outcome_with_next_reservation: bool = False

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
        if self.notifier is not None and not isinstance(self.notifier, Notifier):
            msg = f"notifier: {type(self.notifier).__name__} has no notify(item, *, at) method"
            raise ConfigurationError(msg)

    def run(
        self,
        *,
        at: datetime,
        dry_run: bool = False,
        allow_past: bool = False,
        shard: tuple[int, int] | Shard | None = None,
        prepare_ahead: timedelta | None = None,
    ) -> RunReport:
        """Do everything due at *at*; return what was done.

        Args:
            at: the instant of the run (timezone-aware); the caller reads the clock.
            dry_run: render and report, but write and send nothing.
            allow_past: accept an instant earlier than the latest run the log has seen, as a
                read-only replay (like *dry_run*): it reports what the engine decides then.
            shard: ``(index, count)``: review only the customers of that shard
                (`dunning.core.shards.Shard`, a stable hash of tenant and customer id), so
                that *count* workers, one per index, review each customer exactly once.
                Recovery, tidying, the review index and the latest-run check are the
                shard's own: workers on other shards are never touched. A source or log
                that takes a ``shard`` keyword (the reference stores) reads and records
                only the shard's; with another, the runner filters what it reads and the
                latest run is the whole book's.
            prepare_ahead: for a run outside the send windows (a nightly batch, say at
                02:00): a message waiting only for its channel's window, opening within this
                time (``timedelta(hours=24)``: before the next daily run), is prepared now
                for that opening, rendered for its day. A sender that can schedule
                (``schedules = True``) is called at once with `SendContext.not_before`;
                for another, the message is reserved with ``not_before`` (outcome
                ``held_for_window``) until `deliver_due` or a run inside the window sends
                it. None (the default): a message goes only while its window is open.

        Returns:
            The `RunReport`.

        Raises:
            ValueError: if *at* is naive.
            RunInThePastError: if *at* is earlier than the latest run by more than the lease
                and *allow_past* is not set.
            ConfigurationError: if *shard* is not ``(index, count)`` with
                ``0 <= index < count``.
        """
        check_aware(at)
        part = _shard(shard)
        if prepare_ahead is not None and prepare_ahead < timedelta(0):
            msg = f"prepare_ahead: {prepare_ahead} is negative; give a time to look ahead"
            raise ConfigurationError(msg)
        run = Run(self, at, read_only=dry_run or allow_past, shard=part, ahead=prepare_ahead)
        per_shard = {"shard": part} if part and takes_shard(self.log.latest_run) else {}
        try:
            latest = self.log.latest_run(**per_shard)
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
                self.log.record_run(at, **per_shard)
            except Exception as error:  # noqa: BLE001
                run.error("-", error)
                return run.report()
        report = run.go()
        if self.notifier is None or report.dry_run:
            return report
        return _notified(report, self.notifier)

    def deliver_due(
        self, *, at: datetime, shard: tuple[int, int] | Shard | None = None
    ) -> RunReport:
        """Send the messages a run held for their send window, now that it is open.

        The cheap pass of a nightly batch whose senders cannot schedule: a run at 02:00
        with ``prepare_ahead`` holds each windowed message (reserved, ``not_before`` = its
        window's opening); this pass, run inside the window (say at 10:05), reviews again
        only the customers of held messages whose ``not_before`` has come and whose window
        (``not_after``) has not closed, as a run would: what is still due goes, and what a
        fact recorded since the batch forbids (a payment at 08:00, a dispute) is cancelled,
        never sent. The source's other customers are read past without a decision. One whose
        window closed is skipped, left to the next run, which prepares it again.

        Each message is claimed compare-and-set, so a run or another pass at the same moment
        never sends it twice; a crash after the claim leaves it "maybe sent" for recovery,
        as in a run. Nothing is recorded as a run instant.

        Args:
            at: the instant of the pass (timezone-aware).
            shard: ``(index, count)``: only the customers of that shard (see `run`).

        Returns:
            The `RunReport` of the messages it sent, or could not.

        Raises:
            ValueError: if *at* is naive.
            RunInThePastError: if *at* is earlier than the latest run by more than the lease.
            ConfigurationError: if *shard* is not ``(index, count)``.

        Examples:
            >>> from datetime import date, time
            >>> from dunning.adapters.memory import MemorySender, MemoryStore
            >>> from dunning.core.builtin import FIRM
            >>> from dunning.core.calendar import SendWindow
            >>> from dunning.testing import make_creditor, make_invoice, paris
            >>> office = FIRM.model_copy(update={"send_windows": {
            ...     Channel.SMS: (SendWindow(start=time(9), end=time(19)),)}})
            >>> store = MemoryStore()
            >>> store.add_invoice(make_invoice(due_on=date(2026, 4, 27)))
            >>> senders = {c: MemorySender(c) for c in (Channel.EMAIL, Channel.SMS)}
            >>> dunner = Dunner(store, store, senders, office, make_creditor())
            >>> dunner.run(at=paris(2026, 4, 28, 2, 0)).counts()   # J+1 email, Tuesday
            {'sent': 1}
            >>> night = paris(2026, 5, 5, 2, 0)     # the SMS, a week after the email: Tuesday
            >>> dunner.run(at=night, prepare_ahead=timedelta(hours=24)).counts()
            {'held_for_window': 1}
            >>> dunner.deliver_due(at=paris(2026, 5, 5, 8, 0)).counts()   # before 09:00
            {}
            >>> dunner.deliver_due(at=paris(2026, 5, 5, 9, 5)).counts()
            {'sent': 1}
            >>> dunner.deliver_due(at=paris(2026, 5, 5, 9, 10)).counts()  # never twice
            {}
        """
        check_aware(at)
        part = _shard(shard)
        run = Run(self, at, read_only=False, shard=part)
        per_shard = {"shard": part} if part and takes_shard(self.log.latest_run) else {}
        try:
            latest = self.log.latest_run(**per_shard)
        except Exception as error:  # noqa: BLE001  (the log is down: nothing can be claimed)
            run.error("-", error)
            return run.report()
        if latest is not None and at < latest - self.lease:
            msg = (
                f"at: {at.isoformat()} is before the latest run the log has seen "
                f"({latest.isoformat()}): time only moves forward"
            )
            raise RunInThePastError(msg, at=at, latest=latest)
        return run.deliver()

    def approve(self, key: str, *, by: str, at: datetime, seen: str | None = None) -> LogEntry:
        """Approve a message awaiting approval (`approve` on this runner's log).

        Pass *seen*, the `LogEntry.version` the approver was shown: a changed preview is
        refused with `StaleApprovalError`.
        """
        return approve(self.log, key, by=by, at=at, seen=seen)

    def reject(self, key: str, *, by: str, at: datetime, seen: str | None = None) -> LogEntry:
        """Reject a message awaiting approval (`reject` on this runner's log), as `approve`."""
        return reject(self.log, key, by=by, at=at, seen=seen)


def _shard(shard: tuple[int, int] | Shard | None) -> Shard | None:
    """The run's shard, checked; None for the whole book (no shard, or a count of 1)."""
    if shard is None:
        return None
    if not isinstance(shard, Shard):
        if not isinstance(shard, tuple) or len(shard) != 2:  # noqa: PLR2004
            msg = f"shard: {shard!r} is not (index, count)"
            raise ConfigurationError(msg)
        shard = Shard(*shard)
    return shard if shard.count > 1 else None


def _notified(report: RunReport, notifier: Notifier) -> RunReport:
    """Tell *notifier* of the report's notable items; a failing notice becomes an error item."""
    failures: list[RunItem] = []
    for item in report.items:
        if item.outcome not in NOTIFIED:
            continue
        try:
            notifier.notify(item, at=report.at)
        except Exception as error:  # noqa: BLE001  (a notice is best effort; the log has it)
            reason = f"notifier failed on {item.outcome.value}: {type(error).__name__}: {error}"
            failures.append(
                RunItem(Outcome.ERROR, item.customer_id, item.key, item.channel, reason)
            )
    if not failures:
        return report
    return replace(report, items=(*report.items, *failures))
