"""How customers react to dunning, by payer type: `Behaviour`, and its calibration `Behaviour.fit`.

Theory of operation
-------------------
`Behaviour` holds the assumptions `dunning.core.simulate.simulation.simulate` draws from:
after each message, a customer disputes, promises, pays after a delay (in full or half) or
does nothing; invoices not yet due may be paid on time without any reminder. Which numbers
come from published studies and which are assumptions is written down in
``docs/simulation.md``.

`Behaviour.fit` reads the same quantities back from a host's own history. Each delivered
scenario message (an `ActionTaken` with a ``step_id``) is one case; what follows it on its
invoice, up to the next message on that invoice or ``window_days`` later (whichever comes
first), is its reaction: a dispute opened, else a promise to pay, else a payment (the first
one; partial if it left a balance), else nothing. A message whose window has not ended by
``as_of`` (and whose invoice is not paid) is too recent to tell and is left out. Each fitted
number needs ``min_cases`` cases; below that, the default is kept and the report says so.
Everything is a function of the arguments: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from pydantic import BaseModel, Field

from dunning.core._types import MODEL_CONFIG
from dunning.core.builtin import BUILTIN_SCENARIOS
from dunning.core.display import html_table
from dunning.core.ledger import Ledger
from dunning.core.metrics import Segment, suggest_segment
from dunning.core.metrics._common import delivered_actions, local_day
from dunning.core.metrics.actions import step_kinds
from dunning.core.model import (
    DisputeOpened,
    DisputeResolved,
    Event,
    Invoice,
    Payment,
    PromiseToPay,
    event_day,
)
from dunning.core.parsing import When, to_moment
from dunning.core.policy import Policy
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry
from dunning.core.scenario import Scenario, StepKind

__all__ = ["FIT_MIN_CASES", "Behaviour", "BehaviourFit", "FittedValue"]

Probability = Annotated[float, Field(ge=0, le=1)]
"""A probability, from 0 to 1."""
DayRange = tuple[Annotated[int, Field(ge=0, le=365)], Annotated[int, Field(ge=0, le=365)]]
"""An inclusive range of days, each from 0 to 365."""

FIT_MIN_CASES = 20
"""The fewest cases `Behaviour.fit` fits a number from; below it, the default is kept."""

_NOON_UTC = time(12, tzinfo=UTC)
_ONE_DAY = timedelta(days=1)


class Behaviour(BaseModel):
    """How customers react, by payer type: the assumptions of a simulation.

    A payer type is a `Segment` (good, ordinary ``default``, late): the customer's explicit
    segment, or `suggest_segment` of its history. The defaults are illustrative: where a
    published study exists they sit in its range (see ``docs/simulation.md`` for the figures
    and their sources), the rest are assumptions. Calibrate them on your own book with
    `Behaviour.fit` before trusting a forecast.

    Attributes:
        on_time: probability that an invoice not yet due at the start is paid by its due date
            without any reminder, by payer type (default 0.8 / 0.5 / 0.15, 60 % on the
            synthetic book's mix; Altares 2023: 49.3 % of French companies pay on time).
        response: base probability of paying after a message, by payer type (default 0.6 /
            0.4 / 0.2; an assumption)...
        step_weight: ...multiplied by the weight of the message's step kind (capped at 1): a
            formal notice moves more customers than a friendly email (default from 0.5 for
            a courtesy reminder to 2.0 for a formal notice; an assumption).
        delay_days: a payment comes this many days after the message, drawn uniformly in the
            inclusive range, by payer type (default 1-5 / 2-10 / 5-20; an assumption, in
            line with French average delays of 12 to 18 days past due).
        partial_payment: probability that a payment is half the balance, not all of it
            (default 0.15; an assumption).
        promise: probability that a message is answered by a promise to pay instead
            (default 0.1; an assumption).
        promise_days: the promised date, this many days after the promise (default 10).
        promise_kept: probability the promise is kept (paid on the promised date), by payer
            type (default 0.9 / 0.7 / 0.4; an assumption).
        dispute: probability that a message is answered by a dispute on its lead invoice
            (default 0.02; an assumption).
        dispute_days: days until a dispute is resolved (dunning then resumes; default 20).

    Examples:
        >>> Behaviour().response[Segment.GOOD]
        0.6
        >>> Behaviour(dispute=1.5)
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for Behaviour
        dispute
          Input should be less than or equal to 1 ...
    """

    model_config = MODEL_CONFIG

    on_time: Mapping[Segment, Probability] = Field(
        default_factory=lambda: {Segment.GOOD: 0.8, Segment.DEFAULT: 0.5, Segment.LATE: 0.15}
    )
    response: Mapping[Segment, Probability] = Field(
        default_factory=lambda: {Segment.GOOD: 0.6, Segment.DEFAULT: 0.4, Segment.LATE: 0.2}
    )
    step_weight: Mapping[StepKind, Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=lambda: {
            StepKind.COURTESY: 0.5,
            StepKind.FRIENDLY: 0.8,
            StepKind.REMINDER: 1.0,
            StepKind.FIRM: 1.3,
            StepKind.PHONE_CALL: 1.5,
            StepKind.INTERNAL_ALERT: 0.0,
            StepKind.FORMAL_NOTICE: 2.0,
            StepKind.HANDOVER: 1.5,
        }
    )
    delay_days: Mapping[Segment, DayRange] = Field(
        default_factory=lambda: {
            Segment.GOOD: (1, 5),
            Segment.DEFAULT: (2, 10),
            Segment.LATE: (5, 20),
        }
    )
    partial_payment: Probability = 0.15
    promise: Probability = 0.1
    promise_days: Annotated[int, Field(ge=1, le=365)] = 10
    promise_kept: Mapping[Segment, Probability] = Field(
        default_factory=lambda: {Segment.GOOD: 0.9, Segment.DEFAULT: 0.7, Segment.LATE: 0.4}
    )
    dispute: Probability = 0.02
    dispute_days: Annotated[int, Field(ge=1, le=365)] = 20

    def pay_probability(self, payer: Segment, kind: StepKind) -> float:
        """The probability of paying after a message of *kind*: response x weight, at most 1."""
        return min(1.0, self.response.get(payer, 0.0) * self.step_weight.get(kind, 1.0))

    @classmethod
    def fit(
        cls,
        entries: Iterable[PortfolioEntry],
        *,
        as_of: When,
        scenarios: Scenario | Policy | Iterable[Scenario] | None = None,
        payer_types: Mapping[str, Segment] | None = None,
        since: date | None = None,
        window_days: int = 30,
        min_cases: int = FIT_MIN_CASES,
    ) -> BehaviourFit:
        """Calibrate a `Behaviour` on a host's own history; the defaults where it is too thin.

        What is fitted, each from the cases named (a case counts once its outcome is known
        by *as_of*):

        - ``on_time[payer]``: invoices due by *as_of*; the share paid in full by the due date
          with no message on or before the payment day.
        - ``response[payer]`` and ``step_weight[kind]``: messages not answered by a dispute
          or a promise; with p the share followed by a payment, ``response[payer]`` is p
          over the payer's messages and ``step_weight[kind]`` is p over the kind's messages
          divided by p over all messages (so response x weight reproduces both shares).
        - ``delay_days[payer]``: days from a message to the payment that followed it; with
          q10 and q90 the nearest-rank 10th and 90th percentiles and s = (q90 - q10) / 8,
          the range (q10 - s, q90 + s) rounded, at least 1 (a uniform draw on it has those
          percentiles).
        - ``partial_payment``: payments that followed a message; the share that left a
          balance.
        - ``dispute`` and ``promise``: all messages; the share answered by a dispute
          (resp. a promise to pay).
        - ``promise_days`` and ``promise_kept[payer]``: promises (kept: the invoice paid in
          full by the promised date, for promises whose date has passed); the median days
          from promise to promised date.
        - ``dispute_days``: disputes resolved by *as_of*; the median days to resolve.

        Args:
            entries: the history (`InvoiceHistory` items; other entries are skipped).
            as_of: the day (or aware instant) the history is read at; later events are
                ignored.
            scenarios: what maps a message's ``step_id`` to its step kind; the built-in
                scenarios by default. A step id that is a step kind's name (``firm``) maps
                to that kind; messages of other step ids are not counted.
            payer_types: the payer type by customer id; else the customer's ``segment``
                when it is a `Segment` value, else `suggest_segment` at *as_of*.
            since: only invoices due on or after this day count (e.g. the last year).
            window_days: how long after a message a reaction is still its own.
            min_cases: the fewest cases a number is fitted from (`FIT_MIN_CASES`).

        Returns:
            A `BehaviourFit`: the fitted `Behaviour` (``.behaviour``) and one line per
            number, with its cases and whether the default was kept.

        Raises:
            ValueError: if *as_of* is unreadable or a naive datetime, or *window_days* or
                *min_cases* is below 1.

        Examples:
            >>> from datetime import date
            >>> from dunning.core.model import Customer, Invoice, Payment
            >>> c = Customer(id="C", name="C", segment="good")
            >>> paid = [date(2026, 1, 20), date(2026, 1, 31), date(2026, 1, 31), date(2026, 2, 9)]
            >>> book = [InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
            ...     issued_on=date(2026, 1, 1), due_on=date(2026, 1, 31), total="100"),
            ...     events=(Payment(on=day, amount="100"),)) for n, day in enumerate(paid)]
            >>> fit = Behaviour.fit(book, as_of=date(2026, 3, 1), min_cases=4)
            >>> fit.behaviour.on_time[Segment.GOOD]
            0.75
            >>> print(fit.line("on_time[good]"))
            on_time[good] = 0.75 (fitted, 4 cases)
            >>> print(fit.line("on_time[late]"))
            on_time[late] = 0.15 (default kept, 0 cases)
        """
        if window_days < 1 or min_cases < 1:
            msg = f"window_days and min_cases must be at least 1, got {window_days}, {min_cases}"
            raise ValueError(msg)
        at = to_moment(as_of, "as_of")
        return _Fitter(
            cls(), at, _kinds_of(scenarios), payer_types or {}, since, window_days, min_cases
        ).fit(entries)


# ------------------------------------------------------------------------------ fit report


@dataclass(frozen=True, slots=True)
class FittedValue:
    """One number of a `BehaviourFit`.

    Attributes:
        name: the `Behaviour` field, with its key: ``on_time[good]``, ``dispute``.
        value: the value in the fitted `Behaviour` (fitted, or the default kept).
        cases: how many cases the history had for it.
        fitted: False when the default was kept (fewer than ``min_cases`` cases).
    """

    name: str
    value: float | int | tuple[int, int]
    cases: int
    fitted: bool

    def __str__(self) -> str:
        """``name = value (fitted, n cases)`` or ``(default kept: n cases < min)``."""
        how = "fitted" if self.fitted else "default kept"
        cases = "1 case" if self.cases == 1 else f"{self.cases} cases"
        return f"{self.name} = {_show(self.value)} ({how}, {cases})"


@dataclass(frozen=True, slots=True)
class BehaviourFit:
    """What `Behaviour.fit` found: the `Behaviour` and how each number was obtained.

    Attributes:
        behaviour: the fitted `Behaviour`, ready for `simulate` and `compare`.
        values: one `FittedValue` per number, in the order of the `Behaviour`'s fields.
        min_cases: the fewest cases a number was fitted from.
        window_days: how long after a message a reaction counted as its own.
        invoices: invoices read.
        messages: messages with a known outcome (the cases of the message numbers).
        unknown_steps: step ids of messages that no scenario maps to a kind (not counted).
    """

    behaviour: Behaviour
    values: tuple[FittedValue, ...]
    min_cases: int
    window_days: int
    invoices: int
    messages: int
    unknown_steps: tuple[str, ...] = ()

    def line(self, name: str) -> FittedValue:
        """The `FittedValue` called *name* (``on_time[good]``).

        Raises:
            KeyError: if there is no such number.
        """
        for value in self.values:
            if value.name == name:
                return value
        raise KeyError(name)

    @property
    def defaults_kept(self) -> tuple[str, ...]:
        """The names of the numbers left at their default (too few cases)."""
        return tuple(v.name for v in self.values if not v.fitted)

    def _header(self) -> str:
        return (
            f"Behaviour fitted on {self.invoices} invoices and {self.messages} messages"
            f" (a reaction within {self.window_days} days; a number needs {self.min_cases}"
            " cases, else its default is kept)"
        )

    def __str__(self) -> str:
        """The header and one line per number."""
        lines = [self._header(), *(f"  {v}" for v in self.values)]
        if self.unknown_steps:
            lines.append(f"  not counted, unknown step ids: {', '.join(self.unknown_steps)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [
            (v.name, _show(v.value), v.cases, "fitted" if v.fitted else "default kept")
            for v in self.values
        ]
        return html_table(["number", "value", "cases", "source"], rows, caption=self._header())


def _show(value: float | tuple[int, int]) -> str:
    if isinstance(value, tuple):
        return f"{value[0]}-{value[1]} days"
    if isinstance(value, float):
        return str(round(value, 3))
    return str(value)


# ------------------------------------------------------------------------------ fitting


def _kinds_of(scenarios: Scenario | Policy | Iterable[Scenario] | None) -> dict[str, StepKind]:
    """Step id -> kind; a step id two scenarios give different kinds is left out."""
    if scenarios is None:
        chosen: Iterable[Scenario] = BUILTIN_SCENARIOS.values()
    elif isinstance(scenarios, Scenario):
        chosen = (scenarios,)
    elif isinstance(scenarios, Policy):
        chosen = scenarios.scenarios.values()
    else:
        chosen = scenarios
    kinds = step_kinds(chosen)
    found = {step: next(iter(ks)) for step, ks in kinds.items() if len(ks) == 1}
    for kind in StepKind:
        found.setdefault(kind.value, kind)
    return found


def _rank(values: Sequence[int], q: float) -> int:
    """The nearest-rank *q* quantile of sorted *values*."""
    return values[max(0, math.ceil(q * len(values)) - 1)]


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def _payer(
    entries: Sequence[InvoiceHistory], known: Mapping[str, Segment], at: datetime
) -> Segment:
    customer = entries[0].invoice.customer
    if customer.id in known:
        return known[customer.id]
    if customer.segment in {s.value for s in Segment}:
        return Segment(customer.segment)
    return suggest_segment(entries, at=at)


@dataclass
class _Counts:
    """What the history shows, by payer type and step kind."""

    on_time: dict[Segment, list[bool]]
    paid: dict[tuple[Segment, StepKind], list[bool]]
    delays: dict[Segment, list[int]]
    partial: list[bool]
    reactions: list[str]
    promise_days: list[int]
    kept: dict[Segment, list[bool]]
    dispute_days: list[int]
    unknown: set[str]
    invoices: int = 0


@dataclass(frozen=True, slots=True)
class _Fitter:
    defaults: Behaviour
    at: date | datetime
    kinds: Mapping[str, StepKind]
    known: Mapping[str, Segment]
    since: date | None
    window: int
    min_cases: int

    def fit(self, entries: Iterable[PortfolioEntry]) -> BehaviourFit:
        by_customer: dict[str, list[InvoiceHistory]] = {}
        for entry in entries:
            if isinstance(entry, InvoiceHistory):
                by_customer.setdefault(entry.invoice.customer.id, []).append(entry)
        counts = _Counts({}, {}, {}, [], [], [], {}, [], set())
        at = self.at if isinstance(self.at, datetime) else datetime.combine(self.at, _NOON_UTC)
        for customer_id in sorted(by_customer):
            history = by_customer[customer_id]
            payer = _payer(history, self.known, at)
            for entry in history:
                self.read(entry.invoice, entry.events, payer, counts)
        return self.report(counts)

    def read(self, invoice: Invoice, events: Sequence[Event], payer: Segment, c: _Counts) -> None:
        day = local_day(invoice, self.at)
        due = invoice.last_due_on
        if invoice.issued_on > day or (self.since is not None and due < self.since):
            return
        c.invoices += 1
        tz = invoice.customer.tz
        ledger = Ledger(invoice, events)
        paid_on = ledger.paid_on()
        paid = paid_on if paid_on is not None and paid_on <= day else None
        sent_kinds = [
            (a.at.astimezone(tz).date(), kind)
            for a in delivered_actions(events, self.at, tz)
            if (kind := self.kind(a.step_id, c)) is not None
        ]
        if due <= day:
            silent = paid is not None and not any(sent <= paid for sent, _ in sent_kinds)
            c.on_time.setdefault(payer, []).append(silent and paid is not None and paid <= due)
        known = [e for e in events if event_day(e, tz) <= day]
        self.read_messages(sent_kinds, known, ledger, payer, (day, paid), c)
        disputes = sorted(e.on for e in known if isinstance(e, DisputeOpened))
        resolved = sorted(e.on for e in known if isinstance(e, DisputeResolved))
        for opened in disputes:
            ends = [r for r in resolved if r >= opened]
            if ends:
                c.dispute_days.append((ends[0] - opened).days)
        for promise in (e for e in known if isinstance(e, PromiseToPay)):
            c.promise_days.append((promise.promised_on - promise.on).days)
            if promise.promised_on <= day:
                kept = paid is not None and paid <= promise.promised_on
                c.kept.setdefault(payer, []).append(kept)

    def read_messages(  # noqa: PLR0917  (one invoice's facts, read once by `read`)
        self,
        sent_kinds: Sequence[tuple[date, StepKind]],
        known: Sequence[Event],
        ledger: Ledger,
        payer: Segment,
        day_paid: tuple[date, date | None],
        c: _Counts,
    ) -> None:
        """Classify the reaction to each message of one invoice (see the module's docstring)."""
        day, paid = day_paid
        payments = sorted(e.on for e in known if isinstance(e, Payment))
        disputes = [e.on for e in known if isinstance(e, DisputeOpened)]
        promises = [e.on for e in known if isinstance(e, PromiseToPay)]
        for i, (sent, kind) in enumerate(sent_kinds):
            end = sent + timedelta(days=self.window)
            if i + 1 < len(sent_kinds):
                end = min(end, sent_kinds[i + 1][0])
            if end > day and paid is None:
                continue  # too recent to tell
            if any(sent < d <= end for d in disputes):
                c.reactions.append("dispute")
            elif any(sent < d <= end for d in promises):
                c.reactions.append("promise")
            else:
                c.reactions.append("other")
                after = [d for d in payments if sent < d <= end]
                c.paid.setdefault((payer, kind), []).append(bool(after))
                if after:
                    c.delays.setdefault(payer, []).append((after[0] - sent).days)
                    c.partial.append(ledger.balance(on=after[0]) > 0)

    def kind(self, step_id: str | None, c: _Counts) -> StepKind | None:
        if step_id is None:
            return None  # a manual action, not a scenario step
        kind = self.kinds.get(step_id)
        if kind is None:
            c.unknown.add(step_id)
        return None if kind is StepKind.INTERNAL_ALERT else kind

    def share(self, name: str, cases: Sequence[bool], default: float) -> FittedValue:
        if len(cases) < self.min_cases:
            return FittedValue(name, default, len(cases), fitted=False)
        return FittedValue(name, sum(cases) / len(cases), len(cases), fitted=True)

    def median(self, name: str, days: Sequence[int], default: int) -> FittedValue:
        if len(days) < self.min_cases:
            return FittedValue(name, default, len(days), fitted=False)
        return FittedValue(name, max(1, _rank(sorted(days), 0.5)), len(days), fitted=True)

    def report(self, c: _Counts) -> BehaviourFit:
        b = self.defaults
        values: list[FittedValue] = []
        fields: dict[str, object] = {}

        def by_payer(field: str, make: dict[Segment, FittedValue]) -> None:
            values.extend(make.values())
            fields[field] = {s: v.value for s, v in make.items()}

        by_payer(
            "on_time",
            {
                s: self.share(f"on_time[{s.value}]", c.on_time.get(s, []), b.on_time.get(s, 0.0))
                for s in Segment
            },
        )
        flat = [x for xs in c.paid.values() for x in xs]
        overall = sum(flat) / len(flat) if flat else 0.0
        by_payer(
            "response",
            {
                s: self.share(
                    f"response[{s.value}]",
                    [x for (p, _), xs in c.paid.items() if p is s for x in xs],
                    b.response.get(s, 0.0),
                )
                for s in Segment
            },
        )
        weights: dict[StepKind, FittedValue] = {}
        for kind in StepKind:
            cases = [x for (_, k), xs in c.paid.items() if k is kind for x in xs]
            default = b.step_weight.get(kind, 1.0)
            if len(cases) < self.min_cases or overall == 0:
                weights[kind] = FittedValue(
                    f"step_weight[{kind.value}]", default, len(cases), fitted=False
                )
            else:
                ratio = min(100.0, sum(cases) / len(cases) / overall)
                weights[kind] = FittedValue(
                    f"step_weight[{kind.value}]", ratio, len(cases), fitted=True
                )
        by_payer("step_weight", weights)  # type: ignore[arg-type]
        ranges: dict[Segment, FittedValue] = {}
        for s in Segment:
            days = sorted(c.delays.get(s, []))
            default_range = b.delay_days.get(s, (1, 10))
            if len(days) < self.min_cases:
                ranges[s] = FittedValue(
                    f"delay_days[{s.value}]", default_range, len(days), fitted=False
                )
                continue
            q10, q90 = _rank(days, 0.1), _rank(days, 0.9)
            spread = (q90 - q10) / 8
            low = min(365, max(1, _round(q10 - spread)))
            high = min(365, max(low, _round(q90 + spread)))
            ranges[s] = FittedValue(f"delay_days[{s.value}]", (low, high), len(days), fitted=True)
        by_payer("delay_days", ranges)
        partial = self.share("partial_payment", c.partial, b.partial_payment)
        promise = self.share("promise", [r == "promise" for r in c.reactions], b.promise)
        promise_days = self.median("promise_days", c.promise_days, b.promise_days)
        values += [partial, promise, promise_days]
        fields.update(
            partial_payment=partial.value, promise=promise.value, promise_days=promise_days.value
        )
        by_payer(
            "promise_kept",
            {
                s: self.share(
                    f"promise_kept[{s.value}]", c.kept.get(s, []), b.promise_kept.get(s, 0.0)
                )
                for s in Segment
            },
        )
        dispute = self.share("dispute", [r == "dispute" for r in c.reactions], b.dispute)
        dispute_days = self.median("dispute_days", c.dispute_days, b.dispute_days)
        values += [dispute, dispute_days]
        fields.update(dispute=dispute.value, dispute_days=dispute_days.value)
        return BehaviourFit(
            behaviour=Behaviour.model_validate(fields),
            values=tuple(values),
            min_cases=self.min_cases,
            window_days=self.window,
            invoices=c.invoices,
            messages=len(c.reactions),
            unknown_steps=tuple(sorted(c.unknown)),
        )
