"""The run loop: fetch -> decide -> group per customer -> render -> reserve -> send -> record.

How this works
--------------
Each message has one idempotency key, the `CustomerAction.id` (derived from the per-invoice
actions it carries out, so the same due actions give the same key on every run). The action
log holds one entry per key; its status is the whole memory of the shell.

A run has two phases:

1. **Recover** what a crashed run left: a ``reserved`` entry (ours at once, another runner's
   once its lease has expired) whose sender was called (``attempts >= 1``) may have gone out;
   unless its sender deduplicates, it is marked ``uncertain`` for a human, never sent again.
2. **Plan** with `plan_for_customer` over the source's entries, customer by customer. Nothing
   is sent that the engine does not say is due *now*: a new key is rendered, then reserved
   (atomic; a runner that loses the race skips it); a key already in the log is sent if it is
   ``approved``, ``retry``, ``cancelled``, or ``reserved`` and abandoned with no attempt (or
   with a deduplicating sender). Messages that need approval are stored ``pending_approval``
   with their rendered text; the others are claimed (`ActionLog.begin_attempt`,
   compare-and-set, durable before the sender is called) and sent.
   Then every ``approved``, ``retry`` or abandoned unattempted ``reserved`` entry the plan did
   not ask for is ``cancelled`` (compare-and-set): its customer paid, disputed, was put on
   hold, or a firmer step replaced it. A cancelled message that becomes due again is sent then.

Outcomes: the sender's receipt -> ``sent``; a `SendError` that says the provider certainly did
not take the message -> ``retry`` (or ``failed`` if permanent); anything else ("maybe sent")
-> ``retry`` when the sender deduplicates, else ``uncertain``. One customer's failure (bad data,
a template that breaks, a sender down) is reported and the run goes on.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import groupby

from dunning.core._html import html_table
from dunning.core._types import check_aware
from dunning.core.model import Channel, Customer
from dunning.core.portfolio import CustomerAction, PortfolioEntry, plan_for_customer
from dunning.core.render import Creditor, TemplatePack, render
from dunning.core.scenario import Scenario
from dunning.exceptions import ConfigurationError, DunningError
from dunning.ports import (
    ActionLog,
    Covered,
    EntryStatus,
    InvoiceSource,
    LogEntry,
    PaymentLinks,
    Sender,
    SendError,
)

__all__ = ["Dunner", "Outcome", "RunItem", "RunReport"]


class Outcome(StrEnum):
    """What a run did with one message."""

    SENT = "sent"
    PENDING_APPROVAL = "pending_approval"
    RETRY = "retry"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    WOULD_SEND = "would_send"
    ERROR = "error"


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
    """What one run did: per-message outcomes, with counts per outcome and per channel.

    Examples:
        >>> report = RunReport(at=datetime.fromisoformat("2026-05-04T10:00+02:00"), items=(
        ...     RunItem(Outcome.SENT, "C1", "m1", Channel.EMAIL),))
        >>> report.counts()
        {'sent': 1}
        >>> print(report)
        run at 2026-05-04T10:00:00+02:00: 1 sent
        sent              C1          email              m1
    """

    at: datetime
    items: tuple[RunItem, ...]
    dry_run: bool = False

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


def _default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


ScenarioChoice = Scenario | Callable[[Customer], Scenario]


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
            abandoned (its process died).
        with_penalties: state the penalties owed in each message.

    Raises:
        ConfigurationError: if a sender is registered under a channel it does not serve, or
            *owner* is empty.

    Examples:
        >>> from datetime import date
        >>> from dunning.adapters.memory import MemorySender, MemoryStore
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.testing import make_invoice, paris
        >>> store = MemoryStore()
        >>> store.add_invoice(make_invoice(due_on=date(2026, 5, 4)))
        >>> email = MemorySender(Channel.EMAIL)
        >>> creditor = Creditor(name="Atelier Durand SAS", address="Lyon",
        ...     iban="FR7630006000011234567890189", bic="AGRIFRPP", email="compta@durand.example")
        >>> dunner = Dunner(store, store, {Channel.EMAIL: email}, STANDARD, creditor)
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

    def __post_init__(self) -> None:
        """Refuse a sender registered under another channel than its own."""
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

    def run(self, *, at: datetime, dry_run: bool = False) -> RunReport:
        """Do everything due at *at*; return what was done.

        Args:
            at: the instant of the run (timezone-aware); the caller reads the clock.
            dry_run: render and report, but reserve and send nothing.

        Returns:
            The `RunReport`.

        Raises:
            ValueError: if *at* is naive.
        """
        check_aware(at)
        items: list[RunItem | None] = []
        handled: set[str] = set()
        waiting: dict[str, list[LogEntry]] = {}
        for entry in self.log.entries_with(
            EntryStatus.APPROVED, EntryStatus.RETRY, EntryStatus.RESERVED
        ):
            if entry.status is EntryStatus.RESERVED and not self._abandoned(entry, at):
                continue  # another runner is sending it right now
            if self._maybe_sent(entry):
                if not dry_run:
                    handled.add(entry.key)
                    items.append(self._uncertain(entry, at))
                continue
            waiting.setdefault(entry.customer_id, []).append(entry)
        planned: set[str] = set()
        for customer_id, group in groupby(self.source.entries(at), key=_customer_id):
            actions = self._plan(customer_id, list(group), at, items)
            if actions is None:
                waiting.pop(customer_id, None)  # undecidable today: its entries stay as they are
                continue
            planned.update(action.id for action in actions)
            items.extend(self._one(a, at, dry_run=dry_run) for a in actions if a.id not in handled)
        if not dry_run:
            for entries in waiting.values():
                items.extend(self._cancel(e, at) for e in entries if e.key not in planned)
        return RunReport(at=at, items=tuple(i for i in items if i is not None), dry_run=dry_run)

    def approve(self, key: str, *, by: str, at: datetime) -> LogEntry:
        """Approve a message awaiting approval; the next run sends it.

        Raises:
            KeyError: if no message awaits approval under *key*.
        """
        check_aware(at)
        return self.log.decide_approval(key, approved=True, by=by, at=at)

    def reject(self, key: str, *, by: str, at: datetime) -> LogEntry:
        """Reject a message awaiting approval; it is never sent and its steps are skipped.

        Raises:
            KeyError: if no message awaits approval under *key*.
        """
        check_aware(at)
        return self.log.decide_approval(key, approved=False, by=by, at=at)

    # -- what a crashed run left ------------------------------------------------------------

    def _abandoned(self, entry: LogEntry, at: datetime) -> bool:
        """A reservation nobody is working on: ours (we restarted), or past its lease."""
        return entry.owner == self.owner or entry.updated_at + self.lease <= at

    def _maybe_sent(self, entry: LogEntry) -> bool:
        """A sender was called with it, the outcome is unknown, and a resend could duplicate."""
        if entry.status is not EntryStatus.RESERVED or entry.attempts == 0:
            return False
        sender = self.senders.get(entry.channel)
        return sender is None or not sender.deduplicates

    def _uncertain(self, entry: LogEntry, at: datetime) -> RunItem:
        reason = "a previous run stopped while sending it; it may or may not have gone out"
        self.log.finish(entry.key, EntryStatus.UNCERTAIN, at=at, reason=reason)
        return _item(Outcome.UNCERTAIN, entry, reason)

    def _cancel(self, entry: LogEntry, at: datetime) -> RunItem | None:
        reason = "no longer due (paid, disputed, paused, or replaced by another message)"
        done = self.log.cancel(
            entry.key, expect=entry.status, expect_attempts=entry.attempts, at=at, reason=reason
        )
        return _item(Outcome.CANCELLED, entry, reason) if done else None

    # -- what the engine says is due ---------------------------------------------------------

    def _plan(
        self,
        customer_id: str,
        group: list[PortfolioEntry],
        at: datetime,
        items: list[RunItem | None],
    ) -> Sequence[CustomerAction] | None:
        """The customer's due messages, or None (reported) if they cannot be decided."""
        try:
            return plan_for_customer(
                group, self.scenario, at=at, with_penalties=self.with_penalties
            )
        except (DunningError, ValueError) as error:
            items.append(RunItem(Outcome.ERROR, customer_id, reason=f"cannot decide: {error}"))
            return None

    def _one(self, action: CustomerAction, at: datetime, *, dry_run: bool) -> RunItem | None:
        existing = self.log.get(action.id)
        if existing is None:
            return self._new(action, at, dry_run=dry_run)
        if not self._sendable(existing, at):
            return _existing(existing)
        if dry_run:
            return _item(Outcome.WOULD_SEND, existing, "dry run")
        return self._attempt(existing, at)

    def _new(self, action: CustomerAction, at: datetime, *, dry_run: bool) -> RunItem | None:
        needs_approval = action.requires_approval and not action.approved
        try:
            link = self.payment_links.link_for(action) if self.payment_links else None
            context = action.render_context(
                creditor=self.creditor,
                message_date=at.astimezone(action.customer.tz).date(),
                payment_link=link,
            )
            message = render(action, context, pack=self.pack)
        except (DunningError, ValueError) as error:
            reason = f"cannot render: {error}"
            return RunItem(Outcome.ERROR, action.customer_id, action.id, action.channel, reason)
        if dry_run:
            outcome = Outcome.PENDING_APPROVAL if needs_approval else Outcome.WOULD_SEND
            return RunItem(outcome, action.customer_id, action.id, action.channel, "dry run")
        entry = LogEntry(
            key=action.id,
            customer_id=action.customer_id,
            channel=action.channel,
            covers=tuple(Covered(a.invoice_id, a.id, a.step_id) for a in action.covers),
            message=message,
            status=EntryStatus.PENDING_APPROVAL if needs_approval else EntryStatus.RESERVED,
            owner=self.owner,
            reserved_at=at,
            updated_at=at,
            requires_approval=action.requires_approval,
        )
        if not self.log.reserve(entry):
            return RunItem(
                Outcome.SKIPPED,
                action.customer_id,
                action.id,
                action.channel,
                "reserved by another run",
            )
        if needs_approval:
            return _item(Outcome.PENDING_APPROVAL, entry, "awaiting approval")
        return self._attempt(entry, at)

    def _sendable(self, entry: LogEntry, at: datetime) -> bool:
        """Whether a due message already in the log should be (re)sent now."""
        if entry.status in (EntryStatus.APPROVED, EntryStatus.RETRY, EntryStatus.CANCELLED):
            return True
        if entry.status is EntryStatus.RESERVED and self._abandoned(entry, at):
            return not self._maybe_sent(entry)
        return False

    # -- sending -----------------------------------------------------------------------------

    def _attempt(self, entry: LogEntry, at: datetime) -> RunItem | None:
        sender = self.senders.get(entry.channel)
        if sender is None:
            reason = f"no sender for channel {entry.channel.value}"
            if entry.status is not EntryStatus.RETRY:
                self.log.finish(entry.key, EntryStatus.RETRY, at=at, reason=reason)
            return _item(Outcome.RETRY, entry, reason)
        claimed = self.log.begin_attempt(
            entry.key,
            owner=self.owner,
            expect=entry.status,
            expect_attempts=entry.attempts,
            at=at,
        )
        if claimed is None:
            return None  # another runner claimed it between our read and now
        try:
            receipt = sender.send(claimed.message, idempotency_key=claimed.key)
        except SendError as error:
            if error.delivered is False:
                status = EntryStatus.FAILED if error.permanent else EntryStatus.RETRY
            else:
                status = EntryStatus.RETRY if sender.deduplicates else EntryStatus.UNCERTAIN
            self.log.finish(claimed.key, status, at=at, reason=error.reason)
            return _item(Outcome(status.value), claimed, error.reason)
        except Exception as error:  # noqa: BLE001  (any sender bug: "maybe sent", never lost)
            status = EntryStatus.RETRY if sender.deduplicates else EntryStatus.UNCERTAIN
            reason = f"{type(error).__name__}: {error}"
            self.log.finish(claimed.key, status, at=at, reason=reason)
            return _item(Outcome(status.value), claimed, reason)
        self.log.finish(claimed.key, EntryStatus.SENT, at=at, receipt=receipt)
        return _item(Outcome.SENT, claimed, "")


def _customer_id(entry: PortfolioEntry) -> str:
    return entry.customer_id


def _item(outcome: Outcome, entry: LogEntry, reason: str) -> RunItem:
    return RunItem(outcome, entry.customer_id, entry.key, entry.channel, reason)


def _existing(entry: LogEntry) -> RunItem | None:  # the entries `_sendable` leaves alone
    if entry.status is EntryStatus.PENDING_APPROVAL:
        return _item(Outcome.PENDING_APPROVAL, entry, "awaiting approval")
    if entry.status is EntryStatus.UNCERTAIN:
        return _item(Outcome.UNCERTAIN, entry, entry.reason)
    return None  # sent, failed, rejected: nothing more to do with this key
