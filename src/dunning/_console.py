"""What the people who approve and resolve see: shared by ``dunning approvals`` and `dunning.web`.

The command line and the web console show the same things from a store: whether each message
awaiting approval is still due (`cover_statuses`), an invoice's time line (`event_instant`,
`event_details`), what the latest run did (`latest_run_entries`), and a decision with its
reason (`decide`). One copy here, so the two screens cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from dunning.core.action_log import EntryStatus, LogEntry, decision_reason
from dunning.core.approvals import CoverStatus, still_due
from dunning.core.model import Event, Invoice
from dunning.core.policy import ScenarioChoice
from dunning.core.portfolio import InvoiceHistory
from dunning.ports import ActionLog
from dunning.runner import approve, reject

__all__ = [
    "ConsoleStore",
    "cover_statuses",
    "decide",
    "event_details",
    "event_instant",
    "latest_run_entries",
]


class ConsoleStore(ActionLog, Protocol):
    """An action log that also finds invoices, their events and their messages.

    `dunning.adapters.memory.MemoryStore`, `dunning.adapters.sqlite.SqliteStore` and
    `dunning.adapters.postgres.PostgresStore` are.
    """

    def invoice(self, ref: str) -> Invoice:
        """The invoice whose id, else whose number, is *ref* (`KeyError` if none)."""
        ...

    def events(self, invoice_id: str) -> tuple[Event, ...]:
        """The invoice's events, the host's and those derived from the log."""
        ...

    def log_for_invoice(self, invoice_id: str) -> list[LogEntry]:
        """Every message that covered the invoice, oldest reservation first."""
        ...


def cover_statuses(
    store: ConsoleStore, entry: LogEntry, scenario: ScenarioChoice, *, at: datetime
) -> tuple[CoverStatus, ...]:
    """Whether the engine, asked at *at*, still wants each step *entry* covers (`still_due`).

    Raises:
        KeyError: if a covered invoice is no longer in the store.

    Examples:
        >>> from dunning.core.action_log import _EXAMPLE
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.core.model import Payment
        >>> from dunning.testing import MemoryStore, make_invoice, paris
        >>> store = MemoryStore()
        >>> paid = Payment(on=date(2026, 5, 4), amount="1200.00")
        >>> store.add_invoice(make_invoice(id="F-1", due_on=date(2026, 4, 1)), [paid])
        >>> [str(s) for s in cover_statuses(store, _EXAMPLE, STANDARD, at=paris(2026, 5, 5))]
        ['2026-0001: no longer due (paid in full)']
    """
    histories = {
        c.invoice_id: InvoiceHistory(
            invoice=store.invoice(c.invoice_id), events=store.events(c.invoice_id)
        )
        for c in entry.covers
    }
    return still_due(entry, histories, scenario, at=at)


def decide(
    log: ActionLog,
    key: str,
    *,
    approved: bool,
    by: str,
    at: datetime,
    seen: str | None,
    reason: str = "",
) -> LogEntry:
    """Approve or reject (`dunning.runner.approve` / `reject`), then keep the *reason* on the entry.

    The reason is written with the log's compare-and-set `revise` (same status, same preview,
    so the version does not change). If a run sent the approved message in between, the
    decision stands and the reason is not kept (the entry is no longer as it was decided).

    Returns:
        The decided entry, with its reason when one was kept.

    Raises:
        KeyError: if no message awaits approval under *key*.
        StaleApprovalError: if the preview is no longer the version *seen*.

    Examples:
        >>> from dunning.core.action_log import _EXAMPLE
        >>> from dunning.testing import MemoryStore, paris
        >>> store = MemoryStore()
        >>> store.reserve(_EXAMPLE)
        True
        >>> done = decide(store, "msg_1", approved=False, by="claire", at=paris(2026, 5, 5),
        ...               seen=_EXAMPLE.version, reason="customer paid by cheque")
        >>> done.status.value, done.decided_by, done.reason
        ('rejected', 'claire', 'rejected by claire: customer paid by cheque')
    """
    decided = (approve if approved else reject)(log, key, by=by, at=at, seen=seen)
    if not reason.strip():
        return decided
    kept = log.revise(
        key,
        expect=decided.status,
        expect_attempts=decided.attempts,
        status=decided.status,
        covers=decided.covers,
        message=decided.message,
        at=at,
        reason=decision_reason(decided, reason, approved=approved),
    )
    return kept or decided


def event_instant(event: Event) -> date | datetime:
    """When *event* happened: its day (``on``) or its instant (``at``).

    Examples:
        >>> from dunning.core.model import Payment
        >>> event_instant(Payment(on=date(2026, 3, 5), amount="620.00"))
        datetime.date(2026, 3, 5)
    """
    when: date | datetime = getattr(event, "on", None) or event.at  # type: ignore[union-attr]
    return when


def event_details(event: Event) -> dict[str, object]:
    """The fields of *event* other than its kind and date, those left at their default omitted.

    Examples:
        >>> from dunning.core.model import Payment
        >>> event_details(Payment(on=date(2026, 3, 5), amount="620.00"))
        {'amount': Decimal('620.00')}
    """
    return event.model_dump(exclude={"kind", "on", "at"}, exclude_defaults=True)


def latest_run_entries(log: ActionLog) -> tuple[datetime | None, Sequence[LogEntry]]:
    """The latest run's instant and the messages whose status that run last set.

    A run stamps what it does with its instant, so the entries updated at that instant are
    its report, as far as the log keeps it (an entry a later decision changed shows there).
    A log with ``entries_updated_at`` (the reference stores) reads only those; another is read
    whole.

    Examples:
        >>> from dunning.testing import MemoryStore
        >>> latest_run_entries(MemoryStore())
        (None, ())
    """
    at = log.latest_run()
    if at is None:
        return None, ()
    only = getattr(log, "entries_updated_at", None)
    if only is not None:
        return at, tuple(only(at))
    return at, tuple(e for e in log.entries_with(*EntryStatus) if e.updated_at == at)
