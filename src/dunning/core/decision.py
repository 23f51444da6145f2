"""What the engine returns: a `Decision` per invoice, with at most one `Action` due.

The result types of `dunning.core.engine` (which re-exports them), and the deterministic
action ids (`action_id`): frozen records the host reads, stores and compares. The rules that
fill them are in `dunning.core.decider`; the history they read, in `dunning.core.history_facts`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, Self

from dunning.core._types import check_keyword_init, frozen_setter
from dunning.core.model import Channel, PenaltyWording
from dunning.core.penalties.compute import PenaltyBreakdown
from dunning.core.scenario import StepKind

__all__ = [
    "Action",
    "Decision",
    "DecisionStatus",
    "action_id",
]


class DecisionStatus(StrEnum):
    """Where an invoice stands at an instant."""

    NOT_DUE = "not_due"
    """Not yet due and nothing to do now."""
    WAITING = "waiting"
    """Overdue; the next step is planned later (see ``next_review_at``)."""
    ACTION_DUE = "action_due"
    """An action is due now (see ``actions``)."""
    PAUSED = "paused"
    """Dispute, hold, promise to pay or payment plan in good standing."""
    CLOSED = "closed"
    """Paid (balance at or below the tolerance), or stopped for good (`DunningStopped`)."""
    EXHAUSTED = "exhausted"
    """Still unpaid, every step taken: a human decides what comes next."""


@check_keyword_init
@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class Action:
    """An action the host should carry out (send, call, prepare for approval).

    Attributes:
        id: deterministic: the same invoice, step and occurrence always give the same id. Use
            it as the idempotency key and record it in `ActionTaken`.
        invoice_id: the invoice chased.
        customer_id: its customer.
        step_id: the scenario step.
        kind: the step's kind (selects the template family).
        level: escalation level of the step.
        level_name: display name of the level.
        channel: the channel to use (the fallback channel for a retry or an opt-out).
        template: template name.
        due_at: the instant the action became due.
        deadline_on: the payment deadline to state, if the step has one: the local date of the
            decision + ``deadline_days``, rolled to the customer's next business day when it
            falls on a weekend or public holiday (the rule of CPC art. 642 for procedural
            deadlines; docs/timing.md).
        penalty_wording: what the message says about penalties (the step's setting); None
            means the default for the step's kind.
        deadline_days: the step's deadline in days, if any.
        requires_approval: a human must approve before it is sent.
        approved: an `ActionApproved` event exists for this id, for the current balance
            (an approval given for another amount has lapsed).
        is_retry: a retry on the fallback channel after a failed delivery.
        amount_due: the balance at the decision.
        currency: the invoice currency.
        days_late: days the oldest unpaid part is overdue (negative: days before due).
        not_before: set when the action was prepared ahead of its send window (``decide``'s
            ``prepare_ahead``): the window's opening, the instant it may reach the customer
            from; None when it may go now.
        not_after: with ``not_before``, the instant that window closes.
    """

    id: str
    invoice_id: str
    customer_id: str
    step_id: str
    kind: StepKind
    level: int
    level_name: str
    channel: Channel
    template: str
    due_at: datetime
    deadline_on: date | None
    deadline_days: int | None
    requires_approval: bool
    approved: bool
    is_retry: bool
    amount_due: Decimal
    currency: str
    days_late: int
    penalty_wording: PenaltyWording | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None

    def __init__(  # one keyword per field, checked at import by check_keyword_init
        self,
        *,
        id: str,  # noqa: A002  (the field's name)
        invoice_id: str,
        customer_id: str,
        step_id: str,
        kind: StepKind,
        level: int,
        level_name: str,
        channel: Channel,
        template: str,
        due_at: datetime,
        deadline_on: date | None,
        deadline_days: int | None,
        requires_approval: bool,
        approved: bool,
        is_retry: bool,
        amount_due: Decimal,
        currency: str,
        days_late: int,
        penalty_wording: PenaltyWording | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> None:
        """Set every field from its keyword (checked at import by `check_keyword_init`)."""
        set_field = frozen_setter(self)
        set_field("id", id)
        set_field("invoice_id", invoice_id)
        set_field("customer_id", customer_id)
        set_field("step_id", step_id)
        set_field("kind", kind)
        set_field("level", level)
        set_field("level_name", level_name)
        set_field("channel", channel)
        set_field("template", template)
        set_field("due_at", due_at)
        set_field("deadline_on", deadline_on)
        set_field("deadline_days", deadline_days)
        set_field("requires_approval", requires_approval)
        set_field("approved", approved)
        set_field("is_retry", is_retry)
        set_field("amount_due", amount_due)
        set_field("currency", currency)
        set_field("days_late", days_late)
        set_field("penalty_wording", penalty_wording)
        set_field("not_before", not_before)
        set_field("not_after", not_after)


class _DecisionFields(NamedTuple):
    """The fields of a `Decision`, in order (built only through `Decision`, by keyword)."""

    invoice_id: str
    at: datetime
    status: DecisionStatus
    level: int
    level_name: str
    actions: tuple[Action, ...]
    next_review_at: datetime | None
    reason: str
    outstanding: Decimal
    currency: str
    days_late: int
    next_step_id: str | None = None
    notes: tuple[str, ...] = ()
    penalties: PenaltyBreakdown | None = None


@check_keyword_init
class Decision(_DecisionFields):
    """What `decide` concluded for one invoice at one instant.

    An immutable record built by keyword only, on a named tuple: one is made per invoice
    decided, and a tuple is the cheapest immutable record Python builds (one allocation in C,
    where a frozen dataclass sets each field through ``object.__setattr__``). Read it by
    attribute; ``decision._replace(reason=...)`` gives a changed copy, ``decision._asdict()``
    a dict. Being a tuple, it also compares equal to a plain tuple of the same values.

    Attributes:
        invoice_id: the invoice.
        at: the instant decided for.
        status: see `DecisionStatus`.
        level: highest escalation level reached so far (0 before any step).
        level_name: its display name ("" before any step).
        actions: the actions due now (at most one).
        next_review_at: earliest instant the decision can change absent new events, or None.
        reason: one line explaining the status, for people.
        outstanding: the balance at the decision.
        currency: the invoice currency.
        days_late: days the oldest unpaid part is overdue (0 if none is).
        next_step_id: the step planned next, if any.
        notes: other facts worth showing (a step skipped, a promise kept, penalties not stated).
        penalties: the late-payment penalties owed at the decision's local date, itemised,
            when `decide` was asked for them (``with_penalties=True``) and the invoice is late;
            None otherwise, or when a rate they need is not in the tables (see ``notes``).

    Examples:
        >>> from datetime import UTC
        >>> d = Decision(invoice_id="F-1", at=datetime(2026, 2, 2, tzinfo=UTC),
        ...              status=DecisionStatus.CLOSED, level=0, level_name="", actions=(),
        ...              next_review_at=None, reason="paid in full", outstanding=Decimal(0),
        ...              currency="EUR", days_late=0)
        >>> d.status.value, d.action, d._replace(reason="x").reason
        ('closed', None, 'x')
    """

    __slots__ = ()

    def __new__(  # one keyword per field, checked at import by check_keyword_init
        cls,
        *,
        invoice_id: str,
        at: datetime,
        status: DecisionStatus,
        level: int,
        level_name: str,
        actions: tuple[Action, ...],
        next_review_at: datetime | None,
        reason: str,
        outstanding: Decimal,
        currency: str,
        days_late: int,
        next_step_id: str | None = None,
        notes: tuple[str, ...] = (),
        penalties: PenaltyBreakdown | None = None,
    ) -> Self:
        """Build the decision from one keyword per field (checked by `check_keyword_init`)."""
        return tuple.__new__(
            cls,
            (
                invoice_id,
                at,
                status,
                level,
                level_name,
                actions,
                next_review_at,
                reason,
                outstanding,
                currency,
                days_late,
                next_step_id,
                notes,
                penalties,
            ),
        )

    def __getnewargs_ex__(self) -> tuple[tuple[()], dict[str, object]]:
        """Rebuild by keyword when unpickled (the constructor takes no positional argument)."""
        return (), self._asdict()

    @property
    def action(self) -> Action | None:
        """The action due now, or None."""
        return self.actions[0] if self.actions else None

    def _repr_html_(self) -> str:
        """The decision as an HTML table, for notebooks."""
        # Imported here: a notebook nicety, kept out of the engine's dependencies.
        from dunning.core.display import Money, html_table  # noqa: PLC0415

        a = self.action
        rows = [
            ("status", self.status),
            ("reason", self.reason),
            ("level", f"{self.level} {self.level_name}".strip()),
            ("action", f"{a.step_id} by {a.channel.value}" if a else ""),
            ("outstanding", Money(self.outstanding, self.currency)),
            ("days late", self.days_late),
            ("next review", self.next_review_at),
            *(("note", note) for note in self.notes),
        ]
        return html_table(["", ""], rows, caption=f"Decision on {self.invoice_id} at {self.at}")


def action_id(invoice_id: str, step_id: str, occurrence: int = 1) -> str:
    """The deterministic id of an action: same inputs, same id, across runs and machines.

    *occurrence* is 1 for a ladder step; a broken-promise step taken again after a second
    break is occurrence 2, and so on. Retries on a fallback channel get an id derived from the
    failed action's id.

    Examples:
        >>> action_id("F-1", "reminder") == action_id("F-1", "reminder", 1)
        True
        >>> action_id("F-1", "reminder") == action_id("F-2", "reminder")
        False
        >>> len(action_id("F-1", "reminder"))
        28
    """
    return _digest(f"{invoice_id}\x1f{step_id}\x1f{occurrence}")


def _retry_id(failed_action_id: str, channel: Channel) -> str:
    return _digest(f"{failed_action_id}\x1fretry:{channel.value}")


def _digest(key: str) -> str:
    # 96 bits of SHA-256: collisions are out of reach for any portfolio, and ids stay short.
    # The first 12 bytes in hex: the first 24 hex digits of the digest.
    return "act_" + hashlib.sha256(key.encode()).digest()[:12].hex()
