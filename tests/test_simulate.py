"""Portfolio simulations: the real decision path day by day, a behaviour model, comparisons."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from dunning.core.builtin import DEFAULT_POLICY, FIRM, GENTLE, STANDARD
from dunning.core.metrics import Segment
from dunning.core.model import Channel, Customer, CustomerKind, Invoice
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry
from dunning.core.scenario import Scenario, StepKind
from dunning.core.simulate import (
    Behaviour,
    SimulatedPayment,
    compare,
    simulate,
    synthetic_portfolio,
)

ACME = Customer(id="C1", name="ACME SARL")
START = date(2026, 3, 2)  # a Monday


def book(*dues: date, total: str = "1000.00") -> list[PortfolioEntry]:
    """One invoice of ACME per due date, issued on 1 February 2026."""
    return [
        InvoiceHistory(
            invoice=Invoice(
                id=f"F-{n}",
                number=f"2026-{n:04d}",
                customer=ACME,
                issued_on=date(2026, 2, 1),
                due_on=due,
                total=Decimal(total),
            )
        )
        for n, due in enumerate(dues, start=1)
    ]


NEVER = dict.fromkeys(Segment, 0.0)
ALWAYS = dict.fromkeys(Segment, 1.0)
EVERY_STEP = dict.fromkeys(StepKind, 1.0)


def behaviour(**changes: object) -> Behaviour:
    """A behaviour where nobody pays, promises or disputes, unless told otherwise."""
    fields: dict[str, object] = {
        "on_time": NEVER,
        "response": NEVER,
        "step_weight": EVERY_STEP,
        "partial_payment": 0.0,
        "promise": 0.0,
        "dispute": 0.0,
        "delay_days": dict.fromkeys(Segment, (3, 3)),
    }
    fields.update(changes)
    return Behaviour.model_validate(fields)


def test_a_customer_who_never_pays_gets_the_whole_ladder_and_approval_waits() -> None:
    """Due Monday 2 March: 3, 10, 17, 24 March; the notice approved 4 April, sent 7 April."""
    result = simulate(
        book(START), STANDARD, start=START, end=date(2026, 4, 30), seed=1, behaviour=behaviour()
    )
    # J+1 = 3 March; J+7 = 9 March waits for the customer's 7-day gap: 10 March; J+14 = 16 March
    # waits likewise: 17 March, with a 5-day deadline: 22 March is a Sunday, so the stated
    # deadline rolls to Monday 23 March (CPC 642) and the next step waits for the day after:
    # the J+21 call task (staff: no customer gap) goes on 24 March; J+30 = 1 April finds 3
    # messages to the customer in 30 days (3, 10, 17 March): the notice waits for 2 April,
    # when 3 March leaves the window, and is approved on Sat 4 April (approval_delay_days=2):
    # it goes on the next business day, Tue 7 April (Easter Monday 6 April).
    assert [(m.on, m.channel, m.kind) for m in result.messages] == [
        (date(2026, 3, 3), Channel.EMAIL, StepKind.FRIENDLY),
        (date(2026, 3, 10), Channel.EMAIL, StepKind.REMINDER),
        (date(2026, 3, 17), Channel.EMAIL, StepKind.FIRM),
        (date(2026, 3, 24), Channel.PHONE_TASK, StepKind.PHONE_CALL),
        (date(2026, 4, 7), Channel.REGISTERED_LETTER, StepKind.FORMAL_NOTICE),
    ]
    assert result.payments == ()
    assert result.formal_notices == 1
    assert result.messages_by_channel() == {"email": 3, "phone_task": 1, "registered_letter": 1}
    # 1,000.00 x 12.15 % x 59 / 365 (3 March - 30 April) = 19.6397... -> 19.64, + 40 indemnity.
    assert result.penalties_owed == Decimal("59.64")
    assert result.days[-1].outstanding == Decimal("1000.00")
    assert result.days[-1].overdue == Decimal("1000.00")


def test_approval_delay_zero_sends_the_formal_notice_the_day_it_is_due() -> None:
    """With approvals granted the same day, the notice goes on 2 April (the 3-in-30-days cap)."""
    result = simulate(
        book(START),
        STANDARD,
        start=START,
        end=date(2026, 4, 30),
        seed=1,
        behaviour=behaviour(),
        approval_delay_days=0,
    )
    assert result.messages[-1].on == date(2026, 4, 2)


def test_one_message_per_customer_covers_both_invoices_and_both_are_paid() -> None:
    """Two invoices due the same day: one email on 3 March, both paid 3 days later (6 March)."""
    result = simulate(
        book(START, START),
        STANDARD,
        start=START,
        end=date(2026, 3, 31),
        seed=9,
        behaviour=behaviour(response=ALWAYS),
    )
    [message] = result.messages
    assert (message.on, message.invoice_ids, message.amount_due) == (
        date(2026, 3, 3),
        ("F-1", "F-2"),  # same level and days late: by invoice id
        Decimal("2000.00"),
    )
    assert result.payments == (
        SimulatedPayment(date(2026, 3, 6), "C1", "F-1", Decimal("1000.00"), partial=False),
        SimulatedPayment(date(2026, 3, 6), "C1", "F-2", Decimal("1000.00"), partial=False),
    )
    # Days are numbered from 1 = 2 March: day 5 is 6 March.
    assert result.collected_by(4) == Decimal(0)
    assert result.collected_by(5) == Decimal("2000.00")
    assert result.collected_by(31) is None  # 2-31 March is 30 days
    assert result.days[-1].outstanding == Decimal(0)


def test_partial_payments_pay_half_the_balance_rounded_half_up() -> None:
    """1,000.01 / 2 = 500.005 -> 500.01 on 6 March; after the 10 March reminder, 250.00 on 13."""
    result = simulate(
        book(START, total="1000.01"),
        STANDARD,
        start=START,
        end=date(2026, 3, 13),
        seed=2,
        behaviour=behaviour(response=ALWAYS, partial_payment=1.0),
    )
    assert [(p.on, p.amount, p.partial) for p in result.payments] == [
        (date(2026, 3, 6), Decimal("500.01"), True),
        (date(2026, 3, 13), Decimal("250.00"), True),  # (1000.01 - 500.01) / 2
    ]
    # The reminder waits for the customer's 7-day gap: 3 + 7 = 10 March.
    assert [m.on for m in result.messages] == [date(2026, 3, 3), date(2026, 3, 10)]


def test_a_payment_on_its_way_is_not_scheduled_twice() -> None:
    """Half paid 8 days after 3 March (11 March); the 10 March reminder adds nothing on top."""
    result = simulate(
        book(START, total="1000.01"),
        STANDARD,
        start=START,
        end=date(2026, 3, 20),
        seed=2,
        behaviour=behaviour(
            response=ALWAYS, partial_payment=1.0, delay_days=dict.fromkeys(Segment, (8, 8))
        ),
    )
    # Reminders on 3, 10 and 17 March (7 days apart); the 17 March one is answered on 25 March,
    # after the end.
    assert [m.on for m in result.messages] == [
        date(2026, 3, 3),
        date(2026, 3, 10),
        date(2026, 3, 17),
    ]
    assert [(p.on, p.amount) for p in result.payments] == [(date(2026, 3, 11), Decimal("500.01"))]


def test_a_kept_promise_pauses_dunning_until_the_payment() -> None:
    """A promise on 4 March to pay by 14 March: no reminder on 9 March; paid 14 March."""
    result = simulate(
        book(START),
        STANDARD,
        start=START,
        end=date(2026, 3, 31),
        seed=3,
        behaviour=behaviour(promise=1.0, promise_kept=ALWAYS),
    )
    assert [m.on for m in result.messages] == [date(2026, 3, 3)]
    assert [(p.on, p.amount) for p in result.payments] == [(date(2026, 3, 14), Decimal("1000.00"))]


def test_a_broken_promise_resumes_with_the_broken_promise_step() -> None:
    """Promised for 14 March, not paid: with 2 grace days the break is on 17 March."""
    result = simulate(
        book(START),
        STANDARD,
        start=START,
        end=date(2026, 3, 17),
        seed=3,
        behaviour=behaviour(promise=1.0, promise_kept=NEVER),
    )
    # 14 March + 2 grace days = 16 March, the last day paused; 17 March (a Tuesday) resumes.
    assert [(m.on, m.kind) for m in result.messages] == [
        (date(2026, 3, 3), StepKind.FRIENDLY),
        (date(2026, 3, 17), StepKind.FIRM),  # STANDARD's broken_promise step is firm
    ]


def test_a_dispute_pauses_until_it_is_resolved() -> None:
    """Disputed on 4 March, resolved 20 days later (24 March): the reminder comes that day."""
    result = simulate(
        book(START),
        STANDARD,
        start=START,
        end=date(2026, 3, 31),
        seed=4,
        behaviour=behaviour(dispute=1.0, dispute_days=20),
    )
    assert [m.on for m in result.messages] == [date(2026, 3, 3), date(2026, 3, 24)]


def test_on_time_payers_pay_before_any_reminder() -> None:
    """Due 10 March, paid on time (within the 5 days before): no message at all."""
    result = simulate(
        book(date(2026, 3, 10)),
        STANDARD,
        start=START,
        end=date(2026, 3, 31),
        seed=5,
        behaviour=behaviour(on_time=ALWAYS),
    )
    assert result.messages == ()
    [payment] = result.payments
    assert date(2026, 3, 5) <= payment.on <= date(2026, 3, 10)


def test_a_book_in_another_currency_is_paid_in_its_currency() -> None:
    """A USD invoice paid on time: the payment is in USD (it was recorded in EUR, and refused)."""
    usd = [
        InvoiceHistory(invoice=e.invoice.model_copy(update={"currency": "USD"}))
        for e in book(date(2026, 3, 10))
        if isinstance(e, InvoiceHistory)
    ]
    result = simulate(
        usd,
        STANDARD,
        start=START,
        end=date(2026, 3, 31),
        seed=5,
        behaviour=behaviour(on_time=ALWAYS),
    )
    [payment] = result.payments
    assert payment.amount == Decimal("1000.00")


def test_a_synthetic_book_shows_a_summary_not_every_customer() -> None:
    drawn = synthetic_portfolio(20, seed=1, as_of=date(2026, 3, 1))
    size = f"{len(drawn.entries)} invoices, {len(drawn.payer_types)} customers"
    assert repr(drawn) == f"SyntheticPortfolio(as_of=2026-03-01, {size})"
    html = drawn._repr_html_()
    assert "Synthetic book drawn at 2026-03-01" in html
    # The figures' table, then the first 10 invoices (a header row and ten rows), not all.
    assert len(drawn.entries) > 10
    assert html.count("<tr") < len(drawn.entries)


def test_simulate_validates_its_arguments() -> None:
    """An end before the start and a negative approval delay are refused."""
    with pytest.raises(ValueError, match="end: 2026-03-01 is before start 2026-03-02"):
        simulate(book(START), STANDARD, start=START, end=date(2026, 3, 1), seed=1)
    with pytest.raises(ValidationError) as error:
        simulate(book(START), STANDARD, start=START, end=START, seed=1, approval_delay_days=-1)
    assert error.value.errors()[0]["loc"] == ("approval_delay_days",)


def test_behaviour_pay_probability_is_capped_at_one() -> None:
    """Ordinary payer, formal notice: 0.4 x 2.0 = 0.8; a late payer's handover 0.2 x 1.5 = 0.3."""
    b = Behaviour()
    assert b.pay_probability(Segment.DEFAULT, StepKind.FORMAL_NOTICE) == pytest.approx(0.8)
    assert b.pay_probability(Segment.LATE, StepKind.HANDOVER) == pytest.approx(0.3)
    assert b.pay_probability(Segment.GOOD, StepKind.FORMAL_NOTICE) == 1.0  # 0.6 x 2.0 capped


# --------------------------------------------------------------------- synthetic portfolio


def test_synthetic_portfolio_shape() -> None:
    """Exactly n open invoices; grouped by customer; history paid before the day; sane terms."""
    as_of = date(2026, 3, 2)
    portfolio = synthetic_portfolio(50, seed=11, as_of=as_of)
    assert len(portfolio.open_entries()) == 50
    ids = [e.customer_id for e in portfolio.entries]
    assert ids == sorted(ids)
    assert set(portfolio.payer_types) == set(ids)
    for entry in portfolio.entries:
        invoice = entry.invoice
        assert invoice.issued_on <= as_of
        assert invoice.total > 0
        assert invoice.total == invoice.total.quantize(Decimal("0.01"))
        terms = (invoice.last_due_on - invoice.issued_on).days
        assert terms <= 60  # L441-10: never beyond 60 days
        assert all(e.on < as_of for e in entry.events if e.kind == "payment")
    kinds = {c.kind for c in portfolio.customers}
    assert kinds == {CustomerKind.BUSINESS, CustomerKind.CONSUMER, CustomerKind.PUBLIC}
    assert all(c.segment is None for c in portfolio.customers)
    other = synthetic_portfolio(50, seed=12, as_of=as_of)
    assert other != portfolio
    with pytest.raises(ValidationError):
        synthetic_portfolio(0, seed=1, as_of=as_of)


def test_a_policy_reads_the_synthetic_history() -> None:
    """Late payers' history (25-75 days late) sends them to FIRM; good payers' to GENTLE."""
    portfolio = synthetic_portfolio(80, seed=5, as_of=START)
    result = simulate(portfolio, DEFAULT_POLICY, start=START, end=date(2026, 4, 30), seed=5)
    assert result.label == "policy"
    late = {c for c, s in portfolio.payer_types.items() if s is Segment.LATE}
    # FIRM's second step is an SMS: only late payers (FIRM) can get one.
    sms = {m.customer_id for m in result.messages if m.channel is Channel.SMS}
    assert sms
    assert sms <= late


# ------------------------------------------------------------------------------ compare


def test_compare_runs_every_candidate_on_the_same_book() -> None:
    """Same book, same seed: the figures of each row are those of its own simulation."""
    portfolio = synthetic_portfolio(15, seed=8, as_of=START)
    costs: dict[Channel | str, Decimal | int | str] = {
        "email": "0",
        "sms": "0.08",
        "registered_letter": "6.50",
        "phone_task": "4",
        "letter": 1,
    }
    comparison = compare(
        portfolio,
        {"gentle": GENTLE, "firm": FIRM},
        start=START,
        end=date(2026, 4, 30),
        seed=8,
        unit_costs=costs,
    )
    assert [r.label for r in comparison.rows] == ["gentle", "firm"]
    for row in comparison.rows:
        result = comparison.results[row.label]
        assert result == simulate(portfolio, result_scenario(row.label), start=START,
                                  end=date(2026, 4, 30), seed=8)  # fmt: skip
        assert row.messages == len(result.messages)
        assert row.collected_30 == result.collected_by(30)
        assert row.collected_90 is None  # 2 March - 30 April is 60 days
        assert row.collected_60 == result.collected  # ... so day 60 is the end
        # Cost by hand from the channel counts.
        by = result.messages_by_channel()
        expected = (
            by.get("sms", 0) * Decimal("0.08")
            + by.get("registered_letter", 0) * Decimal("6.50")
            + by.get("phone_task", 0) * 4
        )
        assert row.cost == expected
    records = comparison.records()
    assert records[0]["label"] == "gentle"
    assert "messages_email" in records[0]
    assert comparison._repr_html_().startswith("<table><caption>Scenarios compared</caption>")


def result_scenario(label: str) -> Scenario:
    """The built-in scenario for *label*."""
    return {"gentle": GENTLE, "firm": FIRM}[label]


def test_compare_labels_and_cost_without_prices() -> None:
    """A sequence is labelled by scenario id; duplicate labels are refused; no prices, no cost."""
    portfolio = book(START)
    comparison = compare(portfolio, [STANDARD], start=START, end=START + timedelta(days=3), seed=1)
    assert [r.label for r in comparison.rows] == ["standard"]
    assert comparison.rows[0].cost is None
    with pytest.raises(ValueError, match="candidates: labels must be distinct"):
        compare(portfolio, [STANDARD, STANDARD], start=START, end=START, seed=1)


def test_result_html_and_records() -> None:
    """The summary table names the run; records give one row per day."""
    result = simulate(
        book(START), STANDARD, start=START, end=date(2026, 3, 4), seed=1, behaviour=behaviour()
    )
    html = result._repr_html_()
    assert "Simulation &#x27;standard&#x27; 2026-03-02 to 2026-03-04 (seed 1)" in html
    assert "<td>messages sent</td><td>1</td>" in html
    assert [r["on"] for r in result.records()] == [
        date(2026, 3, 2),
        date(2026, 3, 3),
        date(2026, 3, 4),
    ]


def test_the_package_keeps_its_public_names_and_each_has_one_home() -> None:
    """dunning.core.simulate re-exports the names it had as one module, each from one module."""
    import dunning.core.simulate as package  # noqa: PLC0415

    homes = {name: getattr(package, name).__module__ for name in package.__all__}
    assert homes == {
        "Behaviour": "dunning.core.simulate.behaviour",
        "BehaviourFit": "dunning.core.simulate.behaviour",
        "FittedValue": "dunning.core.simulate.behaviour",
        "SyntheticPortfolio": "dunning.core.simulate.synthetic",
        "synthetic_portfolio": "dunning.core.simulate.synthetic",
        "SimulatedMessage": "dunning.core.simulate.results",
        "SimulatedPayment": "dunning.core.simulate.results",
        "SimulationDay": "dunning.core.simulate.results",
        "SimulationResult": "dunning.core.simulate.results",
        "simulate": "dunning.core.simulate.simulation",
        "Comparison": "dunning.core.simulate.comparison",
        "ComparisonRow": "dunning.core.simulate.comparison",
        "compare": "dunning.core.simulate.comparison",
    }
