"""The facts the engine reads in a history: one pass, checked on the way.

`_collect` turns an invoice's events into a `_Facts` (the money dated so far, the actions
taken with their local days, failures, approvals, rejections, and the pause or stop in force)
for one decision; `_agreement_state` says whether the latest promise or payment plan still
pauses dunning or was broken. Private to the engine (`dunning.core.engine`, whose module
docstring states the rules); the checks are `dunning.core.model.check_history`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dunning.core.ledger import Ledger
from dunning.core.model import (
    _INSTANT_EVENTS,
    ActionApproved,
    ActionTaken,
    CreditNote,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    DunningStopped,
    Event,
    HoldLifted,
    HoldPlaced,
    Invoice,
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
    Reversal,
    check_history,
    corrected,
)

__all__: list[str] = []  # private to the engine (`dunning.core.engine`)


_ONE_DAY = timedelta(days=1)
_TWO_DAYS = timedelta(days=2)
_ZERO = Decimal(0)


_Taken = tuple[ActionTaken, date]
"""An action taken, with its day in the customer's time zone: a plain pair, always unpacked
(a NamedTuple's ``__new__`` is Python code, and one is made per action in a history)."""


class _Facts:
    """Everything `decide` derives from the history, in one pass."""

    __slots__ = (
        "agreement",
        "approved",
        "dispute_open",
        "failed",
        "hold",
        "money",
        "rejected",
        "settled",
        "stopped",
        "taken",
    )

    def __init__(self) -> None:
        # Literals, not dataclass default factories: one `_Facts` per decision.
        self.money: list[Payment | CreditNote] = []  # dated on or before the day decided
        self.settled = _ZERO  # what they settle, summed as they are read
        self.taken: list[_Taken] = []
        self.failed: dict[str, date] = {}
        self.approved: dict[str, Decimal | None] = {}  # id -> amount approved
        self.rejected: set[str] = set()
        self.dispute_open: DisputeOpened | None = None
        self.hold: HoldPlaced | None = None
        self.agreement: PromiseToPay | PaymentPlanAgreed | None = None
        self.stopped: DunningStopped | None = None


_NO_FACTS = _Facts()
"""The facts of an empty history, shared: only `_collect` ever changes a `_Facts`, while it
builds a new one."""


def _collect(  # noqa: C901, PLR0912  (one pass, one branch per kind of event)
    invoice: Invoice, events: Sequence[Event], today: date, at: datetime, tz: ZoneInfo
) -> _Facts:
    """The facts of the history known at *at*, read as corrected, checked on the way.

    One pass: each instant is converted to the customer's local day once, for the check and
    for the rules. A problem found is reported by `check_history` (the first one, by position).
    A history with a `Reversal` is read again as `corrected` gives it (which checks it whole).
    """
    if not events:
        return _NO_FACTS
    if not isinstance(events, list | tuple):
        events = tuple(events)  # read more than once (a check, a reversal)
    facts = _Facts()
    issued, currency = invoice.issued_on, invoice.currency
    dated: list[tuple[date, int, Event]] = []
    money = facts.money
    settled = _ZERO
    # An instant whose local day is before *recent* is before *at*: two instants' UTC offsets
    # differ by less than 48 hours (each is under 24 in absolute value, a rule of `datetime`),
    # so the exact comparison of aware instants (slow across time zones) is only needed for
    # the last two days and after.
    recent = today - _TWO_DAYS
    for n, event in enumerate(events):
        if isinstance(event, _INSTANT_EVENTS):
            day = event.at.astimezone(tz).date()
            if day < issued:
                check_history(invoice, events)
            if day >= recent and event.at > at:
                continue
            if isinstance(event, ActionTaken):
                facts.taken.append((event, day))
            elif isinstance(event, DeliveryFailed):
                facts.failed[event.action_id] = day
            elif isinstance(event, ActionApproved):
                facts.approved[event.action_id] = event.amount_due
            else:
                facts.rejected.add(event.action_id)
            continue
        if type(event) is Reversal:
            # A fact cancelled: read the history as corrected (checked whole first), from the
            # start. Rare, so the common history is walked once, not once more by `corrected`.
            return _collect(invoice, corrected(invoice, events), today, at, tz)
        on = event.on
        if on < issued:
            check_history(invoice, events)
        if isinstance(event, Payment | CreditNote):
            if event.currency != currency:
                check_history(invoice, events)
            if on <= today:
                money.append(event)
                settled += event.amount
        elif on <= today:
            dated.append((on, n, event))
    if dated:
        _read_dated(facts, dated)
    facts.settled = settled
    if len(facts.taken) > 1:
        facts.taken.sort(key=lambda taken: taken[0].at)
    return facts


def _read_dated(facts: _Facts, dated: list[tuple[date, int, Event]]) -> None:
    """Set the pauses and the stop of *facts* from the dated events, in date order."""
    # Same-day events keep the host's order: "opened then resolved" on one day is resolved.
    dated.sort(key=lambda item: (item[0], item[1]))
    for _, _, event in dated:
        if isinstance(event, DisputeOpened):
            facts.dispute_open = event
        elif isinstance(event, DisputeResolved):
            facts.dispute_open = None
        elif isinstance(event, HoldPlaced):
            facts.hold = event
        elif isinstance(event, HoldLifted):
            facts.hold = None
        elif isinstance(event, PromiseToPay | PaymentPlanAgreed):
            facts.agreement = event
        elif isinstance(event, DunningStopped) and facts.stopped is None:
            facts.stopped = event  # the first stop: nothing lifts it


@dataclass(frozen=True, slots=True)
class _Agreement:
    """The state of the latest promise or plan: pausing until a date, or broken on a date."""

    paused_until: date | None  # last paused day, inclusive
    broken_on: date | None  # first day dunning resumes after a break
    describe: str


def _agreement_state(
    agreement: PromiseToPay | PaymentPlanAgreed, ledger: Ledger, today: date, grace: int
) -> _Agreement:
    slack = timedelta(days=grace)
    if isinstance(agreement, PromiseToPay):
        last_day = agreement.promised_on + slack
        if today <= last_day:
            return _Agreement(last_day, None, f"promise to pay by {agreement.promised_on}")
        paid = ledger.received_between(agreement.on, last_day)
        kept = agreement.amount is not None and paid >= agreement.amount
        if kept:
            return _Agreement(None, None, f"promise of {agreement.on} kept")
        return _Agreement(
            None, last_day + _ONE_DAY, f"promise to pay by {agreement.promised_on} broken"
        )
    due = Decimal(0)
    for installment in agreement.installments:
        due += installment.amount
        last_day = installment.due_on + slack
        if today <= last_day:
            # This installment can still be paid on time: the plan holds until then.
            return _Agreement(last_day, None, "payment plan in good standing")
        if ledger.received_between(agreement.on, last_day) < due:
            return _Agreement(
                None,
                last_day + _ONE_DAY,
                f"payment plan broken (installment of {installment.due_on})",
            )
    return _Agreement(None, None, "payment plan completed")
