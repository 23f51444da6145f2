"""What a run reports: `Outcome`, `RunItem`, `RunReport`, and the `OutcomeJournal` port.

Public through `dunning.runner`, which re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol, runtime_checkable

from dunning.core.action_log import Receipt
from dunning.core.display import html_table
from dunning.core.model import (
    Channel,
)
from dunning.ports import (
    InvoiceReview,
)

__all__ = ["NOTIFIED", "Notifier", "Outcome", "OutcomeJournal", "RunItem", "RunReport"]


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
    HELD_FOR_WINDOW = "held_for_window"
    """Prepared before its send window opens, reserved with ``not_before``, for a sender that
    cannot schedule: a delivery pass (`dunning.runner.Dunner.deliver_due`) or a run inside the
    window sends it."""
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


NOTIFIED: Final = frozenset(
    {
        Outcome.SENT,
        Outcome.SENT_UNRECORDED,
        Outcome.PENDING_APPROVAL,
        Outcome.UNCERTAIN,
        Outcome.FAILED,
    }
)
"""The outcomes a `Notifier` hears of: sent, approval needed, uncertain, failed."""


@runtime_checkable
class Notifier(Protocol):
    """Implement this to be told what a person may want to know of a run (`Dunner.notifier`).

    After each run that writes (not a dry run or a replay), `notify` is called once per item
    of the report whose outcome is in `NOTIFIED`, in the report's order: a message ``sent``
    (or ``sent_unrecorded``), one awaiting approval (``pending_approval``), one that may or
    may not have gone (``uncertain``) and one the provider refused for good (``failed``).
    A message still awaiting approval, or still uncertain, is in every run's report until a
    person acts, so it is notified at every run: key on `RunItem.key` to tell a new one.

    It is best effort, after the log recorded everything: the log stays the record. An
    exception from `notify` becomes an ``error`` item of the report (the run and the other
    notices go on); a crash before the notices loses them, never a message.
    """

    def notify(self, item: RunItem, *, at: datetime) -> None:
        """Hear of *item*, from the run at *at*."""
        ...
