"""The decision engine: which action, if any, is due on an invoice at an instant.

How this works
--------------
`decide` is a pure function of (invoice, events, scenario, at). Events dated after ``at`` (or
after the customer's local date of ``at``) are ignored, so the same history can be replayed at
any instant. The history is read as corrected (`dunning.core.model.corrected`): a fact that a
`Reversal` cancels never happened, whatever the reversal's date. All timing rules are stated
here, in this order (their code: `dunning.core.decider`, one method per rule; the history is
read in `dunning.core.history_facts`; the result types are in `dunning.core.decision`):

1. **Closed**: the balance (total less payments and credit notes, as `dunning.core.ledger`
   reads them) is at or below the scenario's tolerance, or dunning was stopped for good
   (`DunningStopped`: refused, cancelled, assigned to a factor).
2. **Paused**, first match wins: an open dispute; an active hold (until its end date, inclusive);
   a payment plan whose installments are paid on time (each may be up to ``grace_days`` late);
   a promise to pay whose date plus ``grace_days`` has not passed. The latest of plan and
   promise is the one that counts. A broken plan or promise resumes dunning, first with the
   scenario's ``broken_promise_step`` if it has one (once per break).
3. **Retry**: an action whose delivery failed is retried once on its step's fallback channel,
   as soon as the channel allows (no minimum gap: the customer never received the first one),
   unless a later action has since reached the customer. The retry has its own id, so a step
   that requires approval must be approved again for the new channel.
4. **Next step**. A step's *planned date* is the due date of the oldest unpaid part of the
   invoice + ``offset_days``. Its *earliest date* is the latest of: the planned date; the date
   of the previous delivered action (scenario or manual) + ``minimum_gap_days``; the day after
   every payment deadline stated so far (an action's date + ``deadline_days``, rolled to the
   next business day of the customer's calendar as a stated deadline is, see `Action`; a later
   action without a deadline does not cancel an earlier one). A failed delivery sets neither. With
   ``business_days_only`` the earliest date rolls forward to the next business day of the
   customer's calendar. A channel with send windows is due at the first window opening on or
   after that day, and only while a window is open. Without windows the action is due from
   00:00 local time on the earliest date. A caller that runs outside the windows (a nightly
   batch) asks for ``prepare_ahead``: an action whose window opens within that time after
   the instant is due now, for later: its ``not_before`` is the opening (its ``not_after`` the
   close), and its deadline and days late are those of the opening's local date.
5. **Catch-up**: ``one_level_at_a_time`` proposes the first step after the highest step taken;
   ``jump_to_due_level`` the last step already due (lower ones are skipped for good). Never
   more than one action per invoice per decision. A broken-promise step taken stands for the
   ladder's steps of its level and below: the ladder resumes above them, never with a milder
   message after the firmer one.

A step counts as taken once an `ActionTaken` event names it, also one marked ``uncertain``
(possibly delivered: never proposed again until a human says it was not). A step that requires
approval is proposed (with ``requires_approval=True``) at every decision until then, with the
same id; an approval given for another balance than today's has lapsed. A rejected action
(`ActionRejected`) skips its step. A channel the customer opted out of is
replaced by the step's fallback channel, or the step is skipped.

``next_review_at`` is the earliest instant at which the status or the actions can change
absent new events (days late and penalties grow every day regardless); with ``prepare_ahead``,
a windowed step's opening less that time (when a run may prepare it). None means only a new
event can change the decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dunning.core._types import check_aware
from dunning.core.decider import _decide, _plan
from dunning.core.decision import Action, Decision, DecisionStatus, action_id
from dunning.core.model import ActionTaken, DeliveryFailed, Event, Invoice, corrected
from dunning.core.penalties.compute import PenaltyBreakdown, compute_penalties
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.policy import Chooser, ScenarioChoice, as_chooser
from dunning.core.runcache import RunCache, place_of
from dunning.core.scenario import Scenario, ScenarioPlan, StepKind
from dunning.exceptions import InvoiceHistoryError, RateNotAvailableError

__all__ = [
    "Action",
    "Decision",
    "DecisionStatus",
    "action_id",
    "decide",
    "decide_many",
    "penalties_at",
]


def decide(
    invoice: Invoice,
    events: Sequence[Event],
    scenario: Scenario,
    *,
    at: datetime,
    with_penalties: bool = False,
    rates: PenaltyRates | None = None,
    cache: RunCache | None = None,
    prepare_ahead: timedelta | None = None,
) -> Decision:
    """Decide what is due on *invoice* at instant *at*, given its history and a scenario.

    Pure: the same arguments always give the same decision; nothing is read or written.

    Args:
        invoice: the invoice (with its customer: calendar, time zone, opt-outs).
        events: its history, in any order. Events after *at* are ignored; a fact a
            `Reversal` cancels never happened, whatever the reversal's date (`corrected`).
        scenario: the ladder and timing rules.
        at: the instant to decide for; must be timezone-aware.
        with_penalties: also compute the late-payment penalties owed at the customer's local
            date of *at* (`compute_penalties`, regime from the customer's kind and the
            invoice's contractual rate; a consumer owes interest from the day a formal-notice
            step of *scenario* was delivered). Off by default: it costs more than the decision.
        rates: rate tables for the penalties; by default the packaged ones.
        cache: the run's `RunCache`, when deciding many invoices one call at a time (the
            runner and the portfolio pass theirs); by default a fresh one for this call.
        prepare_ahead: for a run outside the send windows (a nightly batch): an action that
            waits only for its channel's send window, opening within this time after *at*,
            is due now, with the opening as its ``not_before`` and the close as its
            ``not_after`` (its deadline counted from the opening's day). None (the default):
            an action is due only while its window is open.

    Returns:
        A `Decision` with at most one action (and its ``penalties`` when asked for).

    Raises:
        ValueError: if *at* is naive.
        InvoiceHistoryError: if the events contradict the invoice (code and field named),
            or a reversal breaks the rules of `check_history`.

    Examples:
        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning import STANDARD, Customer, Invoice
        >>> paris = ZoneInfo("Europe/Paris")
        >>> inv = Invoice(id="F-1", number="2026-0001", customer=Customer(id="C", name="ACME"),
        ...               issued_on=date(2026, 1, 2), due_on=date(2026, 2, 1), total="1200.00")
        >>> d = decide(inv, [], STANDARD, at=datetime(2026, 2, 2, 9, tzinfo=paris))
        >>> d.status.value, d.action.step_id, d.action.channel.value
        ('action_due', 'informative', 'email')
        >>> d = decide(inv, [], STANDARD, at=datetime(2026, 1, 20, tzinfo=paris))
        >>> d.status.value, d.next_review_at.isoformat()
        ('not_due', '2026-02-02T00:00:00+01:00')

        Penalties on request: 14 days late in February 2026 at the ECB rate of 1 January 2026
        (2.15 %) + 10 points, 1,200.00 x 12.15 % x 14 / 365 = 5.59, plus the 40 EUR indemnity:

        >>> d = decide(inv, [], STANDARD, at=datetime(2026, 2, 15, tzinfo=paris),
        ...            with_penalties=True)
        >>> d.penalties.interest, d.penalties.recovery_indemnity, d.penalties.total
        (Decimal('5.59'), Decimal('40.00'), Decimal('45.59'))

        A batch at 02:00 on Wednesday 25 February, the day the phone call of J+21 is planned
        (due 4 February; five days after the firm email of the 18th): the phone task's window
        opens at 10:00, so the batch prepares it for then.

        >>> from dunning.core.model import ActionTaken, Channel
        >>> taken = [ActionTaken(at=datetime(2026, 2, day, 10, tzinfo=paris), action_id=f"a{day}",
        ...                      channel=Channel.EMAIL, step_id=step)
        ...          for day, step in ((5, "informative"), (11, "reminder"), (18, "firm"))]
        >>> late = inv.model_copy(update={"due_on": date(2026, 2, 4)})
        >>> night = datetime(2026, 2, 25, 2, tzinfo=paris)
        >>> decide(late, taken, STANDARD, at=night).status.value
        'waiting'
        >>> d = decide(late, taken, STANDARD, at=night, prepare_ahead=timedelta(hours=24))
        >>> d.status.value, d.action.step_id, d.action.not_before.isoformat()
        ('action_due', 'phone_call', '2026-02-25T10:00:00+01:00')
    """
    check_aware(at)
    customer = invoice.customer
    place = cache.place(customer) if cache is not None else place_of(customer)
    plan, today = _plan(scenario), at.astimezone(place.tz).date()
    decision = _decide(invoice, events, plan, at, place, today=today, ahead=prepare_ahead)
    if not with_penalties:
        return decision
    events = corrected(invoice, events)
    return _with_penalties(decision, invoice, events, plan, rates, tz=place.tz, today=today)


def decide_many(
    items: Iterable[tuple[Invoice, Sequence[Event]]],
    scenario: ScenarioChoice,
    *,
    at: datetime,
    with_penalties: bool = False,
    rates: PenaltyRates | None = None,
    cache: RunCache | None = None,
    prepare_ahead: timedelta | None = None,
) -> Iterator[Decision]:
    """Decide many invoices at one instant, lazily: one `Decision` per pair, in order.

    Gives exactly what `decide` gives for each pair, faster: the scenario's plan is worked
    out once per scenario (`Scenario.plan`), time zones, calendars, rolled days and midnights
    once per place (in a `RunCache` made for the call), and no pair is kept once decided, so
    any number of invoices runs in constant memory (read them from a cursor, a file, a
    generator).

    Args:
        items: ``(invoice, events)`` pairs, from any iterable (consumed as decisions are
            asked for).
        scenario: one `Scenario` for every invoice; a `Policy`, which picks one per customer
            (`Policy.scenario_for`); or any function of a `Customer` returning a `Scenario`,
            as the runner takes. A choice is made once per run of invoices of the same
            customer.
        at: the instant to decide for; must be timezone-aware (checked at once).
        with_penalties: also compute the penalties, as `decide` does.
        rates: rate tables for the penalties; by default the packaged ones.
        cache: a `RunCache` to use (the runner's, say); by default a fresh one for the call.
        prepare_ahead: as `decide`.

    Returns:
        An iterator of decisions, one per pair, in the order of *items*.

    Raises:
        ValueError: if *at* is naive (when called, before any pair is read).
        TypeError: if *scenario* is none of the three (when called).
        InvoiceHistoryError: as `decide`, when the pair is reached.

    Examples:
        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning import STANDARD, Customer, Invoice, Payment
        >>> acme = Customer(id="C", name="ACME")
        >>> pairs = [
        ...     (Invoice(id=f"F-{n}", number=f"2026-{n}", customer=acme, issued_on=date(2026, 1, 2),
        ...              due_on=date(2026, 2, 1), total="100.00"), events)
        ...     for n, events in enumerate([[], [Payment(on=date(2026, 2, 1), amount="100.00")]])
        ... ]
        >>> at = datetime(2026, 2, 2, 9, tzinfo=ZoneInfo("Europe/Paris"))
        >>> [d.status.value for d in decide_many(pairs, STANDARD, at=at)]
        ['action_due', 'closed']

        A `Policy` picks each customer's scenario (here the default policy's, for a customer
        of no particular segment):

        >>> from dunning.scenarios import DEFAULT_POLICY
        >>> [d.status.value for d in decide_many(pairs, DEFAULT_POLICY, at=at)]
        ['action_due', 'closed']
    """
    check_aware(at)
    if not isinstance(scenario, Scenario):
        scenario = as_chooser(scenario)  # a wrong type fails here, not for each invoice
    return _decide_many(
        items,
        scenario,
        at,
        with_penalties=with_penalties,
        rates=rates,
        cache=cache or RunCache(),
        ahead=prepare_ahead,
    )


def _decide_many(
    items: Iterable[tuple[Invoice, Sequence[Event]]],
    scenario: Scenario | Chooser,
    at: datetime,
    *,
    with_penalties: bool,
    rates: PenaltyRates | None,
    cache: RunCache,
    ahead: timedelta | None = None,
) -> Iterator[Decision]:
    fixed = _plan(scenario) if isinstance(scenario, Scenario) else None
    customer, place = None, None
    if fixed is not None and not with_penalties:
        # The common case, without the per-pair choice of scenario and of penalties; the local
        # date of *at* is worked out once per run of invoices in the same time zone.
        zone, today = None, date.min  # both set with the first invoice's place
        for invoice, events in items:
            if invoice.customer is not customer or place is None:
                customer = invoice.customer
                place = cache.place(customer)
                if place.tz is not zone:
                    zone, today = place.tz, at.astimezone(place.tz).date()
            yield _decide(invoice, events, fixed, at, place, today=today, ahead=ahead)
        return
    plan = fixed
    for invoice, events in items:
        if invoice.customer is not customer or place is None or plan is None:
            # Invoices usually come customer by customer: the place and the scenario are
            # looked up once per run of them.
            customer = invoice.customer
            place = cache.place(customer)
            if not isinstance(scenario, Scenario):
                # decide_many sees invoices one by one: no payment history for the choice.
                plan = _plan(scenario(customer, ()))
        assert plan is not None  # noqa: S101 (fixed, or chosen with the customer)
        today = at.astimezone(place.tz).date()
        events = corrected(invoice, events)  # noqa: PLW2901  (read as corrected from here on)
        decision = _decide(invoice, events, plan, at, place, today=today, ahead=ahead)
        if with_penalties:
            decision = _with_penalties(
                decision, invoice, events, plan, rates, tz=place.tz, today=today
            )
        yield decision


def penalties_at(
    invoice: Invoice,
    events: Sequence[Event],
    scenario: Scenario,
    *,
    at: datetime,
    rates: PenaltyRates | None = None,
    cache: RunCache | None = None,
) -> PenaltyBreakdown | None:
    """The penalties `decide` states with ``with_penalties=True``, without deciding the rest.

    For a caller that wants only what is owed (a simulation's final book, a report): the
    same breakdown as the decision's ``penalties``, at the cost of the penalties alone.

    Args:
        invoice: the invoice.
        events: its history, as `decide` reads it.
        scenario: the scenario (its formal-notice steps start a consumer's interest).
        at: the instant (timezone-aware): penalties owed at the customer's local date.
        rates: rate tables; by default the packaged ones.
        cache: the run's `RunCache`, as `decide` takes it.

    Returns:
        The breakdown, or None where the decision's ``penalties`` is None: on or before
        the first due date, or when they cannot be stated (a rate beyond the tables, an
        overpaid invoice; the decision's notes say why).

    Raises:
        ValueError: if *at* is naive.
        InvoiceHistoryError: as `decide`.

    Examples:
        >>> from datetime import date, datetime
        >>> from zoneinfo import ZoneInfo
        >>> from dunning import STANDARD, Customer, Invoice
        >>> inv = Invoice(id="F-1", number="2026-0001", customer=Customer(id="C", name="ACME"),
        ...               issued_on=date(2026, 1, 2), due_on=date(2026, 2, 1), total="1200.00")
        >>> paris = ZoneInfo("Europe/Paris")
        >>> penalties_at(inv, [], STANDARD, at=datetime(2026, 2, 15, tzinfo=paris)).total
        Decimal('45.59')
        >>> penalties_at(inv, [], STANDARD, at=datetime(2026, 2, 1, tzinfo=paris)) is None
        True
    """
    check_aware(at)
    customer = invoice.customer
    place = cache.place(customer) if cache is not None else place_of(customer)
    owed = _penalties_owed(
        invoice,
        corrected(invoice, events),
        _plan(scenario),
        rates,
        at=at,
        tz=place.tz,
        today=at.astimezone(place.tz).date(),
    )
    return owed if isinstance(owed, PenaltyBreakdown) else None


def _with_penalties(
    decision: Decision,
    invoice: Invoice,
    events: Sequence[Event],
    plan: ScenarioPlan,
    rates: PenaltyRates | None,
    *,
    tz: ZoneInfo,
    today: date,
) -> Decision:
    """*decision* with the penalties owed on *today* (the local date of its instant in *tz*)."""
    owed = _penalties_owed(invoice, events, plan, rates, at=decision.at, tz=tz, today=today)
    if owed is None:
        return decision
    if isinstance(owed, str):
        return decision._replace(notes=(*decision.notes, owed))
    return decision._replace(penalties=owed)


def _penalties_owed(
    invoice: Invoice,
    events: Sequence[Event],
    plan: ScenarioPlan,
    rates: PenaltyRates | None,
    *,
    at: datetime,
    tz: ZoneInfo,
    today: date,
) -> PenaltyBreakdown | str | None:
    """The penalties owed on *today*; None before they can run; a note when not stated.

    A consumer owes interest from the first formal notice delivered (a scenario step of kind
    formal notice, taken by *at*, neither failed nor uncertain).
    """
    if today <= invoice.first_due_on:
        return None
    failed: set[str] = set()
    sent: list[ActionTaken] = []
    for e in events:  # one pass: the formal notices taken, and the deliveries that failed
        if isinstance(e, ActionTaken):
            if e.step_id is not None and not e.uncertain:
                step = plan.by_id.get(e.step_id)
                if step is not None and step.kind is StepKind.FORMAL_NOTICE and e.at <= at:
                    sent.append(e)
        elif isinstance(e, DeliveryFailed) and e.at <= at:
            failed.add(e.action_id)
    notices = [e.at.astimezone(tz).date() for e in sent if e.action_id not in failed]
    try:
        return compute_penalties(
            invoice,
            events,
            until=today,
            formal_notice_on=min(notices) if notices else None,
            rates=rates,
        )
    except RateNotAvailableError as error:
        # Never a guessed rate, and never a stalled batch: the decision stands without them.
        return f"penalties not stated: {error}"
    except InvoiceHistoryError as error:
        if error.code != "payments_exceed_amount":
            raise
        # Overpaid (a payment recorded twice, say): nothing is owed, the host must look.
        return f"penalties not stated: {error}"
