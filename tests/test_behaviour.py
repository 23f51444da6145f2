"""`Behaviour.fit`: the behaviour model calibrated on a host's own history (issue 23).

Every expected value is worked out by hand in the test's docstring or comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dunning.core.builtin import STANDARD
from dunning.core.metrics import Segment
from dunning.core.model import (
    ActionTaken,
    Channel,
    Customer,
    DisputeOpened,
    DisputeResolved,
    Event,
    Invoice,
    Payment,
    PromiseToPay,
)
from dunning.core.portfolio import InvoiceHistory
from dunning.core.scenario import StepKind
from dunning.core.simulate import (
    Behaviour,
    BehaviourFit,
    compare,
    simulate,
    synthetic_portfolio,
)
from dunning.core.simulate.behaviour import FIT_MIN_CASES

AS_OF = date(2026, 3, 31)
DUE = date(2026, 1, 1)
GOOD = Customer(id="G", name="Good", segment="good")
LATE = Customer(id="L", name="Late", segment="late")
_count = iter(range(1, 10_000))


def invoice(
    customer: Customer, *events: Event, due: date = DUE, total: str = "100"
) -> InvoiceHistory:
    n = next(_count)
    return InvoiceHistory(
        invoice=Invoice(
            id=f"F-{n}",
            number=str(n),
            customer=customer,
            issued_on=due - timedelta(days=30),
            due_on=due,
            total=Decimal(total),
        ),
        events=events,
    )


def sent(day: date, step: str) -> ActionTaken:
    return ActionTaken(
        at=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9),
        action_id=f"{step}-{next(_count)}",
        channel=Channel.EMAIL,
        step_id=step,
    )


def paid(day: date, amount: str = "100") -> Payment:
    return Payment(on=day, amount=Decimal(amount))


def test_on_time_is_the_share_paid_by_the_due_date_without_a_message() -> None:
    """Four invoices issued by as_of, three due by it: on time only the first, 1/3.

    The second was paid by its due date, but after a courtesy message (a reaction, not on
    time); the third was paid late; the fourth is not yet due (no outcome); the fifth was issued
    after as_of (not read at all).
    """
    due = date(2026, 1, 31)
    book = [
        invoice(GOOD, paid(due), due=due),
        invoice(GOOD, sent(date(2026, 1, 28), "courtesy"), paid(date(2026, 1, 30)), due=due),
        invoice(GOOD, paid(date(2026, 2, 5)), due=due),
        invoice(GOOD, due=date(2026, 4, 15)),
        invoice(GOOD, due=date(2026, 6, 1)),
    ]
    fit = Behaviour.fit(book, as_of=AS_OF, min_cases=3)
    assert fit.behaviour.on_time[Segment.GOOD] == pytest.approx(1 / 3)
    assert fit.line("on_time[good]").cases == 3
    assert fit.line("on_time[good]").fitted
    assert fit.invoices == 4
    # No late payer in the book: its default is kept, with 0 cases.
    assert fit.behaviour.on_time[Segment.LATE] == 0.15
    assert str(fit.line("on_time[late]")) == "on_time[late] = 0.15 (default kept, 0 cases)"


def test_response_and_step_weight_reproduce_the_shares_paid_after_each_message() -> None:
    """Seven messages, no dispute nor promise: the shares paid after each kind and payer type.

    Paid after a message (within the window, before the next message):
    good / reminder: A1 yes (4 days), A2 no;   good / formal notice: A2 yes (2 days);
    late / reminder: B1 no, B2 no;             late / formal notice: B1 yes (16 days), B2 no.

    Overall 3/7. response[good] = 2/3, response[late] = 1/4; step_weight[reminder] = (1/4) / (3/7)
    = 7/12, step_weight[formal_notice] = (2/3) / (3/7) = 14/9.
    """
    book = [
        invoice(GOOD, sent(date(2026, 1, 10), "reminder"), paid(date(2026, 1, 14))),
        invoice(
            GOOD,
            sent(date(2026, 1, 10), "reminder"),
            sent(date(2026, 2, 1), "formal_notice"),
            paid(date(2026, 2, 3)),
        ),
        invoice(
            LATE,
            sent(date(2026, 1, 10), "reminder"),
            sent(date(2026, 1, 20), "formal_notice"),
            paid(date(2026, 2, 5)),
        ),
        invoice(
            LATE, sent(date(2026, 1, 10), "reminder"), sent(date(2026, 1, 20), "formal_notice")
        ),
    ]
    fit = Behaviour.fit(book, as_of=AS_OF, min_cases=3)
    b = fit.behaviour
    assert b.response[Segment.GOOD] == pytest.approx(2 / 3)
    assert b.response[Segment.LATE] == pytest.approx(1 / 4)
    assert b.step_weight[StepKind.REMINDER] == pytest.approx(7 / 12)
    assert b.step_weight[StepKind.FORMAL_NOTICE] == pytest.approx(14 / 9)
    assert b.pay_probability(Segment.GOOD, StepKind.FORMAL_NOTICE) == 1.0  # 2/3 x 14/9, capped
    assert fit.messages == 7
    assert (fit.line("response[good]").cases, fit.line("response[late]").cases) == (3, 4)
    # No message of another kind: those weights keep their defaults.
    assert b.step_weight[StepKind.FIRM] == 1.3
    assert not fit.line("step_weight[firm]").fitted
    # Only full payments, no dispute nor promise among the seven.
    assert (b.partial_payment, b.dispute, b.promise) == (0.0, 0.0, 0.0)
    # No invoice paid by its due date: 0 of 2 per payer type, below 3 cases.
    assert fit.line("on_time[good]").cases == 2
    assert "on_time[good]" in fit.defaults_kept


def test_delay_days_is_the_uniform_range_with_the_same_10th_and_90th_percentiles() -> None:
    """Ten messages paid 3 to 12 days later: delay_days (2, 12), partial_payment 0.3.

    q10 = 3, q90 = 11 (nearest rank), s = 8 / 8 = 1, so delay_days = (2, 12).
    Three of the ten payments (40 of 100) leave a balance: 0.3.
    """
    book = [
        invoice(
            GOOD,
            sent(date(2026, 1, 10), "reminder"),
            paid(date(2026, 1, 10) + timedelta(days=d), "40" if d <= 5 else "100"),
        )
        for d in range(3, 13)
    ]
    fit = Behaviour.fit(book, as_of=AS_OF, min_cases=10)
    assert fit.behaviour.delay_days[Segment.GOOD] == (2, 12)
    assert fit.behaviour.partial_payment == pytest.approx(0.3)
    assert fit.behaviour.response[Segment.GOOD] == 1.0
    assert fit.behaviour.step_weight[StepKind.REMINDER] == 1.0


def test_disputes_and_promises() -> None:
    """Disputes and promises: their shares of the messages, days, and promises kept.

    Five messages (Jan 10): two answered by a dispute (Jan 12, resolved Jan 22: 10 days), two
    by a promise (Jan 11, for Jan 18: 7 days; one kept, paid Jan 18; one broken, paid Jan 25),
    one by nothing. dispute = promise = 2/5; promise_kept[late] = 1/2; the medians 10 and 7 days.
    """
    day = date(2026, 1, 10)
    dispute = (DisputeOpened(on=date(2026, 1, 12)), DisputeResolved(on=date(2026, 1, 22)))
    promise = PromiseToPay(on=date(2026, 1, 11), promised_on=date(2026, 1, 18))
    book = [
        invoice(LATE, sent(day, "reminder"), *dispute),
        invoice(LATE, sent(day, "reminder"), *dispute),
        invoice(LATE, sent(day, "reminder"), promise, paid(date(2026, 1, 18))),
        invoice(LATE, sent(day, "reminder"), promise, paid(date(2026, 1, 25))),
        invoice(LATE, sent(day, "reminder")),
    ]
    b = Behaviour.fit(book, as_of=AS_OF, min_cases=2).behaviour
    assert b.dispute == pytest.approx(0.4)
    assert b.promise == pytest.approx(0.4)
    assert b.promise_kept[Segment.LATE] == pytest.approx(0.5)
    assert (b.dispute_days, b.promise_days) == (10, 7)
    # The one message neither disputed nor promised was not followed by a payment.
    assert b.response[Segment.LATE] == 0.2  # 1 case < 2: the default


def test_a_message_too_recent_to_tell_is_left_out() -> None:
    """Sent 10 days before as_of, unpaid: its 30-day window has not ended."""
    book = [invoice(GOOD, sent(AS_OF - timedelta(days=10), "reminder"))]
    assert Behaviour.fit(book, as_of=AS_OF, min_cases=1).messages == 0
    assert Behaviour.fit(book, as_of=AS_OF, min_cases=1, window_days=10).messages == 1


def test_the_default_threshold_and_the_report() -> None:
    """Nineteen on-time invoices are too few (20 needed): the default is kept, and said."""
    book = [invoice(GOOD, paid(DUE)) for _ in range(FIT_MIN_CASES - 1)]
    fit = Behaviour.fit(book, as_of=AS_OF)
    assert FIT_MIN_CASES == 20
    assert fit.behaviour == Behaviour()
    text = str(fit)
    assert "a number needs 20 cases, else its default is kept" in text
    assert "on_time[good] = 0.8 (default kept, 19 cases)" in text
    assert "<table>" in fit._repr_html_()
    assert "default kept" in fit._repr_html_()
    more = Behaviour.fit([*book, invoice(GOOD, paid(DUE))], as_of=AS_OF)
    assert more.behaviour.on_time[Segment.GOOD] == 1.0
    assert "on_time[good] = 1.0 (fitted, 20 cases)" in str(more)


def test_payer_types_since_and_unknown_steps() -> None:
    """Payer types, the ``since`` filter, unknown and manual steps.

    payer_types wins over the segment; a customer without one is classified by
    suggest_segment (no paid history: default); since drops invoices due before it; a step id
    no scenario knows is reported, a manual action (no step id) skipped.
    """
    plain = Customer(id="P", name="Plain")
    book = [
        invoice(GOOD, paid(DUE)),
        invoice(plain, paid(DUE)),
        invoice(GOOD, paid(DUE), due=date(2025, 6, 1)),
        invoice(
            GOOD,
            sent(date(2026, 1, 5), "my_step"),
            ActionTaken(
                at=datetime(2026, 1, 6, 9, tzinfo=UTC), action_id="m1", channel=Channel.EMAIL
            ),
        ),
    ]
    fit = Behaviour.fit(
        book, as_of=AS_OF, min_cases=1, payer_types={"G": Segment.LATE}, since=date(2025, 12, 1)
    )
    assert fit.behaviour.on_time[Segment.LATE] == 0.5  # G's two invoices due since: 1 of 2
    assert fit.behaviour.on_time[Segment.DEFAULT] == 1.0  # the plain customer's
    assert fit.line("on_time[good]").cases == 0
    assert fit.unknown_steps == ("my_step",)
    assert fit.messages == 0
    assert "unknown step ids: my_step" in str(fit)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="window_days"):
        Behaviour.fit([], as_of=AS_OF, window_days=0)
    with pytest.raises(ValueError, match="as_of"):
        Behaviour.fit([], as_of=datetime(2026, 3, 1))


@pytest.mark.parametrize("seed", [5, 11])
def test_fitting_a_simulated_history_recovers_its_on_time_shares(seed: int) -> None:
    """Simulate a book with known on-time shares, fit on what happened: they come back.

    Within 0.12 over about 100 and 45 invoices; seeded, so the run is the same every time).
    """
    start = date(2026, 3, 2)
    book = synthetic_portfolio(300, seed=seed, as_of=start)
    truth = Behaviour(on_time={Segment.GOOD: 0.9, Segment.DEFAULT: 0.5, Segment.LATE: 0.1})
    end = start + timedelta(days=120)
    result = simulate(book, STANDARD, start=start, end=end, seed=seed, behaviour=truth)
    fit = Behaviour.fit(result.entries, as_of=end, payer_types=book.payer_types, since=start)
    assert isinstance(fit, BehaviourFit)
    for payer in (Segment.GOOD, Segment.DEFAULT):
        assert fit.line(f"on_time[{payer.value}]").fitted
        assert fit.behaviour.on_time[payer] == pytest.approx(truth.on_time[payer], abs=0.12)
    # The fitted model runs a simulation in turn.
    again = simulate(book, STANDARD, start=start, end=end, seed=seed, behaviour=fit.behaviour)
    assert again.payments


# ------------------------------------------------------------------ the comparison's DSO


def test_the_comparison_says_what_its_dso_is_and_adds_the_days_to_collect() -> None:
    """Two invoices paid in full in the run (host payments dated in it), one never paid.

    Nobody reacts (every probability 0). A is issued 1 Jan and paid 11 Mar (69 days), B issued
    1 Feb and paid 3 Mar (30 days): (69 + 30) / 2 = 49.5. C, never paid, and D, paid before
    the run, do not count.
    """
    customer = Customer(id="C1", name="C1")

    def issued(n: int, on: date, *events: Event) -> InvoiceHistory:
        return InvoiceHistory(
            invoice=Invoice(
                id=f"X-{n}",
                number=str(n),
                customer=customer,
                issued_on=on,
                due_on=on + timedelta(days=30),
                total=Decimal(100),
            ),
            events=events,
        )

    book = [
        issued(1, date(2026, 1, 1), paid(date(2026, 3, 11))),
        issued(2, date(2026, 2, 1), paid(date(2026, 3, 3))),
        issued(3, date(2026, 2, 1)),
        issued(4, date(2026, 1, 1), paid(date(2026, 2, 20))),
    ]
    still = Behaviour(
        on_time=dict.fromkeys(Segment, 0.0),
        response=dict.fromkeys(Segment, 0.0),
        promise=0.0,
        dispute=0.0,
    )
    comparison = compare(
        book, [STANDARD], start=date(2026, 3, 2), end=date(2026, 3, 31), seed=1, behaviour=still
    )
    row = comparison.rows[0]
    assert row.average_days_to_collect == Decimal("49.5")
    assert row.closing_dso_no_new_invoices is not None
    with pytest.warns(DeprecationWarning, match="closing_dso_no_new_invoices"):
        assert row.dso == row.closing_dso_no_new_invoices
    record = comparison.records()[0]
    assert record["average_days_to_collect"] == Decimal("49.5")
    assert "closing_dso_no_new_invoices" in record
    assert "dso" not in record
