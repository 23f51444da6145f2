"""decide_many and the fast decide give exactly what the engine gave before they were written.

`reference_engine` is a verbatim copy of `dunning.core.engine` as it stood before the speed
work (issue 12): one `Scenario.step` scan per lookup, `check_history` as a separate pass, a
`ZoneInfo` and an `astimezone` per use. Both engines decide the same random histories
(payments, pauses, manual and scenario actions, failed deliveries, approvals for the right and
the wrong amount, rejections, uncertain sends, send windows, instants written in other time
zones), and every field must match. The current engine is the specification now: those
comparisons are ``oracle`` tests, out of the default run (``nox -s oracle`` runs them), while
decide_many is still compared with decide in every run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import examples
from tests.properties import reference_engine
from tests.properties.test_engine_properties import SCENARIOS, _instant, histories, invoices

from dunning import Channel, Decision, Event, Invoice, Payment, Scenario, decide
from dunning.core.engine import decide_many
from dunning.engine import action_id
from dunning.exceptions import InvoiceHistoryError, ProvisionalRateWarning
from dunning.model import ActionApproved, ActionRejected, ActionTaken, DeliveryFailed
from dunning.scenarios import DEFAULT_SEND_WINDOWS

WINDOWED = SCENARIOS[1].model_copy(update={"send_windows": DEFAULT_SEND_WINDOWS})
# Without any send window, with and without business days: the engine's shortest path.
UNWINDOWED = SCENARIOS[0].model_copy(update={"send_windows": {}})
CALENDAR_DAYS = UNWINDOWED.model_copy(update={"business_days_only": False})
ALL_SCENARIOS = [*SCENARIOS, WINDOWED, UNWINDOWED, CALENDAR_DAYS]
# The same instants written in other time zones (events and *at* may come in any offset):
# UTC, the extreme offsets a `datetime` meets in practice (+14:00 Kiritimati, -11:00 Pago Pago).
OTHER_ZONES = [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-11))]
SETTINGS = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def step_events(draw: st.DrawFn, invoice: Invoice, scenario: Scenario) -> list[Event]:
    """Scenario actions taken, failed, approved (right or wrong amount), rejected, uncertain."""
    tz = invoice.customer.tz
    steps = [*scenario.steps]
    if scenario.broken_promise_step is not None:
        steps.append(scenario.broken_promise_step)
    events: list[Event] = []
    for _ in range(draw(st.integers(0, 4))):
        step = draw(st.sampled_from(steps))
        occurrence = draw(st.sampled_from([1, 1, 2]))
        ident = action_id(invoice.id, step.id, occurrence)
        day = invoice.issued_on + timedelta(days=draw(st.integers(0, 150)))
        at = datetime.combine(day, time(draw(st.integers(0, 23))), tzinfo=tz)
        if draw(st.booleans()):
            at = at.astimezone(draw(st.sampled_from(OTHER_ZONES)))
        what = draw(st.sampled_from(["taken", "taken", "failed", "approved", "rejected"]))
        if what in {"taken", "failed"}:
            channel = draw(st.sampled_from([step.channel, Channel.EMAIL, Channel.LETTER]))
            uncertain = draw(st.booleans()) and what == "taken"
            events.append(
                ActionTaken(
                    at=at, action_id=ident, channel=channel, step_id=step.id, uncertain=uncertain
                )
            )
            if what == "failed":
                later = at + timedelta(hours=draw(st.integers(0, 72)))
                events.append(DeliveryFailed(at=later, action_id=ident))
        elif what == "approved":
            amount = draw(st.none() | st.just(invoice.total) | st.just(Decimal("1.00")))
            events.append(ActionApproved(at=at, action_id=ident, amount_due=amount))
        else:
            events.append(ActionRejected(at=at, action_id=ident))
    return events


Batch = tuple[list[tuple[Invoice, list[Event]]], Scenario, datetime]


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    """One to five invoices with rich histories, a scenario and an instant."""
    scenario = draw(st.sampled_from(ALL_SCENARIOS))
    pairs = []
    for n in range(draw(st.integers(1, 5))):
        invoice = draw(invoices()).model_copy(update={"id": f"F-{n}"})
        events = [*draw(histories(invoice)), *draw(step_events(invoice, scenario))]
        pairs.append((invoice, draw(st.permutations(events))))
    at = _instant(draw, pairs[0][0])
    if draw(st.booleans()):
        at = at.astimezone(draw(st.sampled_from(OTHER_ZONES)))
    return pairs, scenario, at


def _outcome(
    engine: Callable[..., Decision],
    case: tuple[Invoice, list[Event]],
    scenario: Scenario,
    at: datetime,
) -> object:
    """The decision, or the history error's code and location (both engines must agree)."""
    try:
        return engine(case[0], case[1], scenario, at=at)
    except InvoiceHistoryError as error:
        return ("error", error.code, error.location)


@pytest.mark.oracle
@SETTINGS
@given(batches())
def test_decide_equals_the_reference_engine(batch: Batch) -> None:
    """decide() after the speed work gives the same decisions (all fields) as before it."""
    pairs, scenario, at = batch
    for case in pairs:
        assert _outcome(decide, case, scenario, at) == _outcome(
            reference_engine.decide, case, scenario, at
        )


@pytest.mark.oracle
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_decide_with_penalties_equals_the_reference_engine(batch: Batch) -> None:
    """With penalties (formal notices sent, failed, uncertain): the same as before the work."""
    pairs, scenario, at = batch
    with warnings.catch_warnings():
        # Instants after the last published rate use a provisional one: the same for both.
        warnings.simplefilter("ignore", ProvisionalRateWarning)
        for case in pairs:
            fast = _outcome(partial(decide, with_penalties=True), case, scenario, at)
            slow = _outcome(
                partial(reference_engine.decide, with_penalties=True), case, scenario, at
            )
            assert fast == slow


@SETTINGS
@given(batches())
def test_decide_many_equals_decide(batch: Batch) -> None:
    """decide_many yields, in order, exactly what decide gives pair by pair."""
    pairs, scenario, at = batch
    try:
        expected = [decide(invoice, events, scenario, at=at) for invoice, events in pairs]
    except InvoiceHistoryError:
        with pytest.raises(InvoiceHistoryError):
            list(decide_many(pairs, scenario, at=at))
        return
    assert list(decide_many(iter(pairs), scenario, at=at)) == expected
    chooser = list(decide_many(pairs, lambda _customer: scenario, at=at))
    assert chooser == expected


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_decide_many_with_penalties_equals_decide(batch: Batch) -> None:
    """With penalties asked for, decide_many still gives decide's decisions."""
    pairs, scenario, at = batch
    pairs = [(inv, [e for e in ev if not isinstance(e, Payment)]) for inv, ev in pairs]
    with warnings.catch_warnings():
        # Instants after the last published rate use a provisional one: the same for both.
        warnings.simplefilter("ignore", ProvisionalRateWarning)
        try:
            expected = [decide(i, e, scenario, at=at, with_penalties=True) for i, e in pairs]
        except InvoiceHistoryError:
            return
        assert list(decide_many(pairs, scenario, at=at, with_penalties=True)) == expected
