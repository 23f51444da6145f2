"""Customers, invoices and events: validation rules, history checks and derived values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from dunning import (
    Channel,
    CreditNote,
    Customer,
    DisputeOpened,
    DisputeResolved,
    Event,
    HoldLifted,
    HoldPlaced,
    Installment,
    Invoice,
    InvoiceHistoryError,
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
    Reversal,
    ReversalReason,
)
from dunning.core.model import HistoryProblem, history_problem
from dunning.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    CustomerKind,
    DeliveryFailed,
    check_history,
    check_new_event,
    corrected,
    parse_events,
)
from dunning.penalties import amount_outstanding, days_late, paid_on

MakeInvoice = Callable[..., Invoice]


def _errors(error: ValidationError) -> list[tuple[str, tuple[int | str, ...]]]:
    """The ``(type, loc)`` pairs of every problem, in order."""
    return [(e["type"], e["loc"]) for e in error.errors(include_url=False)]


def _invoice_fields(customer: Customer, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "F-1",
        "number": "2026-0001",
        "customer": customer,
        "issued_on": date(2026, 3, 1),
        "due_on": date(2026, 4, 27),
        "total": "1200.00",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------


def test_float_total_rejected_with_full_error(customer: Customer) -> None:
    """A float total is refused with code float_amount at ('total',), not converted."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(_invoice_fields(customer, total=1200.5))
    assert info.value.errors(include_url=False) == [
        {
            "type": "float_amount",
            "loc": ("total",),
            "msg": "amounts must be Decimal, int or str, not float ('1200.5'): a float cannot "
            "hold cents exactly; write \"1200.5\" (quoted, in a file) or Decimal('1200.5') "
            "(in Python)",
            "input": 1200.5,
            "ctx": {"value": 1200.5},
        }
    ]


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, [("non_positive_amount", ("total",))]),
        ("0.00", [("non_positive_amount", ("total",))]),
        ("-10.00", [("non_positive_amount", ("total",))]),
        (True, [("invalid_amount", ("total",))]),
        ("twelve", [("invalid_amount", ("total",))]),
        ("NaN", [("invalid_amount", ("total",))]),
        ("Infinity", [("invalid_amount", ("total",))]),
    ],
)
def test_invalid_totals_rejected(
    customer: Customer, total: object, expected: list[tuple[str, tuple[str]]]
) -> None:
    """Zero, negative, boolean, non-numeric and non-finite totals each name their code."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(_invoice_fields(customer, total=total))
    assert _errors(info.value) == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [(1200, Decimal(1200)), ("1200.00", Decimal("1200.00")), (" 99.9 ", Decimal("99.9"))],
)
def test_int_and_string_totals_become_decimals(
    customer: Customer, total: object, expected: Decimal
) -> None:
    """An int or a numeric string is accepted and kept as an exact Decimal."""
    invoice = Invoice.model_validate(_invoice_fields(customer, total=total))
    assert invoice.total == expected
    assert isinstance(invoice.total, Decimal)


def test_negative_contractual_rate_rejected(customer: Customer) -> None:
    """A contractual rate may be zero but not negative (negative_amount)."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(_invoice_fields(customer, contractual_rate="-1"))
    assert _errors(info.value) == [("negative_amount", ("contractual_rate",))]
    zero = Invoice.model_validate(_invoice_fields(customer, contractual_rate="0"))
    assert zero.contractual_rate == Decimal(0)


def test_payment_amount_float_and_zero_rejected() -> None:
    """A payment of a float or of zero is refused at ('amount',)."""
    with pytest.raises(ValidationError) as info:
        Payment.model_validate({"on": date(2026, 5, 4), "amount": 10.25})
    assert _errors(info.value) == [("float_amount", ("amount",))]
    with pytest.raises(ValidationError) as info:
        Payment.model_validate({"on": date(2026, 5, 4), "amount": "0"})
    assert _errors(info.value) == [("non_positive_amount", ("amount",))]


def test_several_problems_reported_together(customer: Customer) -> None:
    """Every field problem is listed at once, each at its own location."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(_invoice_fields(customer, total=1.5, currency="EUROS", number=""))
    assert _errors(info.value) == [
        ("string_too_short", ("number",)),
        ("float_amount", ("total",)),
        ("unknown_currency", ("currency",)),
    ]


# --------------------------------------------------------------------------------------------
# Instants, codes
# --------------------------------------------------------------------------------------------


def test_naive_datetime_rejected() -> None:
    """An action taken at a naive datetime is refused with naive_datetime at ('at',)."""
    with pytest.raises(ValidationError) as info:
        ActionTaken.model_validate(
            {"at": datetime(2026, 4, 28, 10), "action_id": "a1", "channel": "email"}
        )
    assert _errors(info.value) == [("naive_datetime", ("at",))]


@pytest.mark.parametrize(
    "model", [DeliveryFailed, ActionApproved, ActionRejected], ids=lambda m: m.__name__
)
def test_naive_datetime_rejected_on_every_instant_event(model: type[Any]) -> None:
    """Delivery failures, approvals and rejections also need an aware instant."""
    with pytest.raises(ValidationError) as info:
        model.model_validate({"at": datetime(2026, 4, 28, 10), "action_id": "a1"})
    assert _errors(info.value) == [("naive_datetime", ("at",))]


def test_unknown_currency_rejected(customer: Customer) -> None:
    """A currency that is not ISO 4217 is refused with unknown_currency."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(_invoice_fields(customer, currency="XYZ"))
    assert _errors(info.value) == [("unknown_currency", ("currency",))]
    with pytest.raises(ValidationError) as info:
        Payment.model_validate({"on": date(2026, 5, 4), "amount": "1", "currency": "ZZZ"})
    assert _errors(info.value) == [("unknown_currency", ("currency",))]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"locale": "xx_YY"}, [("unknown_locale", ("locale",))]),
        ({"time_zone": "Europe/Atlantis"}, [("unknown_time_zone", ("time_zone",))]),
        ({"subdivision": "99"}, [("unknown_subdivision", ("subdivision",))]),
        ({"country": "fr"}, [("string_pattern_mismatch", ("country",))]),
        ({"kind": "robot"}, [("enum", ("kind",))]),
        ({"opted_out": ["pigeon"]}, [("enum", ("opted_out", 0))]),
        ({"name": ""}, [("string_too_short", ("name",))]),
        ({"colour": "blue"}, [("extra_forbidden", ("colour",))]),
    ],
)
def test_customer_validation(changes: dict[str, object], expected: list[object]) -> None:
    """Unknown locale, time zone, subdivision, kind, channel or field are refused by name."""
    with pytest.raises(ValidationError) as info:
        Customer.model_validate({"id": "C-1", "name": "ACME SARL", **changes})
    assert _errors(info.value) == expected


def test_customer_checks_hold_on_every_customer_of_a_book() -> None:
    """A bad locale or subdivision fails for every customer that has it.

    They are checked once per name, not once per customer: a bad one still fails after good
    ones, and a good one keeps passing.
    """
    for _ in range(3):
        assert Customer(id="C-1", name="n", locale="en_GB", subdivision="57").locale == "en_GB"
        with pytest.raises(ValidationError) as info:
            Customer(id="C-2", name="n", locale="xx_YY", subdivision="5x")
        assert _errors(info.value) == [
            ("unknown_locale", ("locale",)),
            ("unknown_subdivision", ("subdivision",)),
        ]
        message = info.value.errors()[1]["msg"]
        assert message.startswith("'5x' is not a subdivision of FR; known: ")
        assert {"57", "6AE", "974"} <= set(message.split("known: ")[1].split(", "))


def test_customer_defaults() -> None:
    """A customer is a French business in Paris speaking fr_FR unless told otherwise."""
    c = Customer(id="C-1", name="ACME SARL")
    assert c.kind is CustomerKind.BUSINESS
    assert (c.locale, c.time_zone, c.country, c.subdivision) == (
        "fr_FR",
        "Europe/Paris",
        "FR",
        None,
    )
    assert c.opted_out == frozenset()
    assert c.tz.key == "Europe/Paris"


@pytest.mark.parametrize("subdivision", ["57", "6AE", "974", "Moselle"])
def test_known_subdivisions_accepted(subdivision: str) -> None:
    """Subdivision codes the holidays package knows, and its aliases, are accepted."""
    assert Customer(id="C", name="n", subdivision=subdivision).subdivision == subdivision


def test_unknown_country_rejected() -> None:
    """A country with no holiday calendar is refused when the customer is built."""
    with pytest.raises(ValidationError) as info:
        Customer(id="C", name="n", country="ZZ")
    assert _errors(info.value) == [("unknown_country", ("country",))]


def test_models_are_frozen(customer: Customer) -> None:
    """Models cannot be changed after validation."""
    with pytest.raises(ValidationError) as info:
        customer.name = "Other"
    assert _errors(info.value) == [("frozen_instance", ("name",))]


# --------------------------------------------------------------------------------------------
# Invoice schedule
# --------------------------------------------------------------------------------------------


def test_due_date_before_issue_date_rejected(customer: Customer) -> None:
    """A due date before the invoice date is refused (due_before_issue)."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(_invoice_fields(customer, due_on=date(2026, 2, 28)))
    assert _errors(info.value) == [("due_before_issue", ())]
    assert "due_on 2026-02-28 is before the issue date 2026-03-01" in str(info.value)


def test_due_on_issue_date_accepted(customer: Customer) -> None:
    """An invoice payable on receipt (due on its issue date) is valid."""
    invoice = Invoice.model_validate(_invoice_fields(customer, due_on=date(2026, 3, 1)))
    assert invoice.first_due_on == invoice.last_due_on == date(2026, 3, 1)


def test_installment_before_issue_date_rejected(customer: Customer) -> None:
    """An installment due before the invoice date names it in the message."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(
            _invoice_fields(
                customer,
                due_on=None,
                installments=[
                    {"due_on": "2026-03-31", "amount": "600.00"},
                    {"due_on": "2026-02-15", "amount": "600.00"},
                ],
            )
        )
    assert _errors(info.value) == [("due_before_issue", ())]
    assert "installments[1].due_on 2026-02-15" in str(info.value)


def test_both_due_date_and_installments_rejected(customer: Customer) -> None:
    """Giving due_on and installments together is refused (due_date_or_installments)."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(
            _invoice_fields(customer, installments=[{"due_on": "2026-04-27", "amount": "1200.00"}])
        )
    assert _errors(info.value) == [("due_date_or_installments", ())]


def test_neither_due_date_nor_installments_rejected(customer: Customer) -> None:
    """Giving neither due_on nor installments is refused (due_date_or_installments)."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(_invoice_fields(customer, due_on=None))
    assert _errors(info.value) == [("due_date_or_installments", ())]


def test_installments_must_add_up(customer: Customer) -> None:
    """Installments of 500 + 600 on a 1,200.00 invoice are refused (installments_do_not_add_up)."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(
            _invoice_fields(
                customer,
                due_on=None,
                installments=[
                    {"due_on": "2026-03-31", "amount": "500.00"},
                    {"due_on": "2026-04-30", "amount": "600.00"},
                ],
            )
        )
    assert _errors(info.value) == [("installments_do_not_add_up", ())]
    assert "installments add up to 1100.00, not to the total 1200.00" in str(info.value)


@pytest.mark.parametrize(
    "dates",
    [("2026-04-30", "2026-03-31"), ("2026-03-31", "2026-03-31")],
    ids=["reversed", "same-day"],
)
def test_installments_must_be_in_order(customer: Customer, dates: tuple[str, str]) -> None:
    """Installments out of order or on the same day are refused (installments_not_in_order)."""
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(
            _invoice_fields(
                customer,
                due_on=None,
                installments=[{"due_on": d, "amount": "600.00"} for d in dates],
            )
        )
    assert _errors(info.value) == [("installments_not_in_order", ())]


def test_installment_amount_must_be_positive() -> None:
    """An installment of zero is refused at ('amount',)."""
    with pytest.raises(ValidationError) as info:
        Installment.model_validate({"due_on": "2026-03-31", "amount": "0"})
    assert _errors(info.value) == [("non_positive_amount", ("amount",))]


def test_schedule_of_single_and_installment_invoices(make_invoice: MakeInvoice) -> None:
    """The schedule is the due date and total, or the installments in order."""
    single = make_invoice(due_on=date(2026, 4, 27))
    assert single.schedule == ((date(2026, 4, 27), Decimal("1200.00")),)
    split = make_invoice(
        installments=[(date(2026, 3, 31), "400.00"), (date(2026, 4, 30), "800.00")]
    )
    assert split.schedule == (
        (date(2026, 3, 31), Decimal("400.00")),
        (date(2026, 4, 30), Decimal("800.00")),
    )
    assert (split.first_due_on, split.last_due_on) == (date(2026, 3, 31), date(2026, 4, 30))


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


def test_promise_before_the_day_it_was_made_rejected() -> None:
    """A promise to pay on 2 May made on 4 May is refused (promise_in_the_past)."""
    with pytest.raises(ValidationError) as info:
        PromiseToPay(on=date(2026, 5, 4), promised_on=date(2026, 5, 2))
    assert _errors(info.value) == [("promise_in_the_past", ())]
    same_day = PromiseToPay(on=date(2026, 5, 4), promised_on=date(2026, 5, 4))
    assert same_day.amount is None


def test_payment_plan_installments_checked() -> None:
    """A plan needs installments, in order, on or after the day it was agreed."""
    with pytest.raises(ValidationError) as info:
        PaymentPlanAgreed.model_validate({"on": "2026-05-04", "installments": []})
    assert _errors(info.value) == [("too_short", ("installments",))]
    with pytest.raises(ValidationError) as info:
        PaymentPlanAgreed.model_validate(
            {"on": "2026-05-04", "installments": [{"due_on": "2026-05-01", "amount": "100"}]}
        )
    assert _errors(info.value) == [("installments_not_in_order", ())]
    with pytest.raises(ValidationError) as info:
        PaymentPlanAgreed.model_validate(
            {
                "on": "2026-05-04",
                "installments": [
                    {"due_on": "2026-06-15", "amount": "100"},
                    {"due_on": "2026-05-15", "amount": "100"},
                ],
            }
        )
    assert _errors(info.value) == [("installments_not_in_order", ())]


def test_action_taken_deadline_must_be_positive(paris: Callable[..., datetime]) -> None:
    """A manual reminder cannot state a deadline of 0 days."""
    with pytest.raises(ValidationError) as info:
        ActionTaken(at=paris(2026, 5, 4), action_id="m1", channel=Channel.EMAIL, deadline_days=0)
    assert _errors(info.value) == [("greater_than_equal", ("deadline_days",))]


def test_parse_events_builds_each_kind(paris: Callable[..., datetime]) -> None:
    """Plain dicts become the event classes their ``kind`` names, in the given order."""
    raw = [
        {"kind": "payment", "on": "2026-05-04", "amount": "200.00"},
        {"kind": "credit_note", "on": "2026-05-05", "amount": "50", "number": "AV-1"},
        {"kind": "dispute_opened", "on": "2026-05-06", "reason": "damaged"},
        {"kind": "dispute_resolved", "on": "2026-05-07"},
        {"kind": "promise_to_pay", "on": "2026-05-07", "promised_on": "2026-05-12"},
        {
            "kind": "payment_plan_agreed",
            "on": "2026-05-07",
            "installments": [{"due_on": "2026-06-01", "amount": "100"}],
        },
        {"kind": "hold_placed", "on": "2026-05-08", "until": "2026-05-10"},
        {"kind": "hold_lifted", "on": "2026-05-09"},
        {
            "kind": "action_taken",
            "at": "2026-05-11T10:00:00+02:00",
            "action_id": "a1",
            "channel": "sms",
        },
        {"kind": "delivery_failed", "at": "2026-05-11T10:05:00+02:00", "action_id": "a1"},
        {"kind": "action_approved", "at": "2026-05-11T11:00:00+02:00", "action_id": "a2"},
        {"kind": "action_rejected", "at": "2026-05-11T12:00:00+02:00", "action_id": "a3"},
    ]
    events = parse_events(raw)
    assert [type(e) for e in events] == [
        Payment,
        CreditNote,
        DisputeOpened,
        DisputeResolved,
        PromiseToPay,
        PaymentPlanAgreed,
        HoldPlaced,
        HoldLifted,
        ActionTaken,
        DeliveryFailed,
        ActionApproved,
        ActionRejected,
    ]
    assert events[0] == Payment(on=date(2026, 5, 4), amount=Decimal("200.00"))
    taken = events[8]
    assert isinstance(taken, ActionTaken)
    assert taken.at == paris(2026, 5, 11)
    assert taken.channel is Channel.SMS


def test_parse_events_names_position_kind_and_field() -> None:
    """Errors name the event's position, its kind and the field; an unknown kind is refused."""
    raw = [
        {"kind": "payment", "on": "2026-05-04", "amount": "10"},
        {"kind": "payment", "on": "2026-05-04", "amount": 12.5},
        {"kind": "refund", "on": "2026-05-04"},
        {
            "kind": "action_taken",
            "at": "2026-05-11T10:00:00+02:00",
            "action_id": "a",
            "channel": "fax",
        },
    ]
    with pytest.raises(ValidationError) as info:
        parse_events(raw)
    assert _errors(info.value) == [
        ("float_amount", (1, "payment", "amount")),
        ("union_tag_invalid", (2,)),
        ("enum", (3, "action_taken", "channel")),
    ]


def test_parse_events_rejects_naive_instant_strings() -> None:
    """An instant given as text without a UTC offset is refused like a naive datetime."""
    raw = [
        {"kind": "action_taken", "at": "2026-05-11T10:00:00", "action_id": "a", "channel": "sms"}
    ]
    with pytest.raises(ValidationError) as info:
        parse_events(raw)
    assert _errors(info.value) == [("naive_datetime", (0, "action_taken", "at"))]


# --------------------------------------------------------------------------------------------
# History checks
# --------------------------------------------------------------------------------------------


def test_event_before_issue_date_raises(make_invoice: MakeInvoice) -> None:
    """A payment dated before the invoice date raises event_before_issue at events[n].on."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    events: list[Event] = [
        Payment(on=date(2026, 3, 10), amount=Decimal(100)),
        Payment(on=date(2026, 2, 27), amount=Decimal(100)),
    ]
    with pytest.raises(InvoiceHistoryError) as info:
        check_history(invoice, events)
    assert info.value.code == "event_before_issue"
    assert info.value.location == "events[1].on"
    assert info.value.invoice_id == "F-1"
    assert str(info.value) == (
        "invoice 'F-1': events[1].on: payment dated 2026-02-27 is before the invoice date "
        "2026-03-01"
    )


def test_instant_event_before_issue_date_uses_local_day(make_invoice: MakeInvoice) -> None:
    """An instant is dated in the customer's zone: 28 Feb 23:30 UTC is 1 March in Paris."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    # 2026-02-28 23:30 UTC = 2026-03-01 00:30 Paris (UTC+1 in winter): the issue date, fine.
    ok = ActionTaken(
        at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC), action_id="a", channel=Channel.EMAIL
    )
    check_history(invoice, [ok])
    # 2026-02-28 22:30 UTC = 2026-02-28 23:30 Paris: the day before the invoice.
    early = ActionTaken(
        at=datetime(2026, 2, 28, 22, 30, tzinfo=UTC), action_id="a", channel=Channel.EMAIL
    )
    with pytest.raises(InvoiceHistoryError) as info:
        check_history(invoice, [ok, early])
    assert (info.value.code, info.value.location) == ("event_before_issue", "events[1].at")


def test_payment_in_another_currency_raises(make_invoice: MakeInvoice) -> None:
    """A USD payment on a EUR invoice raises currency_mismatch at events[n].currency."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    events: list[Event] = [
        CreditNote(on=date(2026, 3, 5), amount=Decimal(10)),
        Payment(on=date(2026, 3, 10), amount=Decimal(100), currency="USD"),
    ]
    with pytest.raises(InvoiceHistoryError) as info:
        check_history(invoice, events)
    assert info.value.code == "currency_mismatch"
    assert info.value.location == "events[1].currency"
    assert isinstance(info.value, ValueError)


def test_consistent_history_passes(
    make_invoice: MakeInvoice, paris: Callable[..., datetime]
) -> None:
    """Events on or after the invoice date, in its currency, raise nothing."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    events: list[Event] = [
        Payment(on=date(2026, 3, 1), amount=Decimal(100)),
        DisputeOpened(on=date(2026, 4, 2)),
        ActionTaken(at=paris(2026, 4, 28), action_id="a", channel=Channel.EMAIL),
    ]
    check_history(invoice, events)


def test_history_problem_names_the_rule_an_event_breaks(make_invoice: MakeInvoice) -> None:
    """Issued 1 March in EUR: 28 Feb is too early, a USD credit note the wrong currency."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    early = Payment(on=date(2026, 2, 28), amount=Decimal(100))
    assert history_problem(invoice, early, date(2026, 2, 28)) == HistoryProblem(
        "event_before_issue", "on", "payment dated 2026-02-28 is before the invoice date 2026-03-01"
    )
    usd = CreditNote(on=date(2026, 3, 2), amount=Decimal(10), currency="USD")
    assert history_problem(invoice, usd, date(2026, 3, 2)) == HistoryProblem(
        "currency_mismatch", "currency", "credit_note in USD on an invoice in EUR"
    )
    on_the_day = Payment(on=date(2026, 3, 1), amount=Decimal(100))
    assert history_problem(invoice, on_the_day, date(2026, 3, 1)) is None


def test_history_problem_dates_an_instant_by_the_day_it_is_given(
    make_invoice: MakeInvoice,
) -> None:
    """The caller gives the local day: the same instant fits on 1 March, not on 28 Feb."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    taken = ActionTaken(
        at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC), action_id="a", channel=Channel.EMAIL
    )
    assert history_problem(invoice, taken, date(2026, 3, 1)) is None
    assert history_problem(invoice, taken, date(2026, 2, 28)) == HistoryProblem(
        "event_before_issue",
        "at",
        "action_taken dated 2026-02-28 is before the invoice date 2026-03-01",
    )


# --------------------------------------------------------------------------------------------
# Derived values
# --------------------------------------------------------------------------------------------


def test_amount_outstanding_subtracts_payments_and_credit_notes(
    make_invoice: MakeInvoice,
) -> None:
    """1,200.00 less 200.00 paid on 10 April less a 150.00 credit note on 20 April."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    events: list[Event] = [
        Payment(on=date(2026, 4, 10), amount=Decimal("200.00")),
        CreditNote(on=date(2026, 4, 20), amount=Decimal("150.00")),
    ]
    assert amount_outstanding(invoice, events, on=date(2026, 4, 9)) == Decimal("1200.00")
    assert amount_outstanding(invoice, events, on=date(2026, 4, 10)) == Decimal("1000.00")
    assert amount_outstanding(invoice, events, on=date(2026, 4, 20)) == Decimal("850.00")


def test_amount_outstanding_never_negative(make_invoice: MakeInvoice) -> None:
    """An overpayment leaves nothing outstanding, not a negative balance."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    events = [Payment(on=date(2026, 4, 10), amount=Decimal("1500.00"))]
    assert amount_outstanding(invoice, events, on=date(2026, 4, 30)) == Decimal(0)


def test_days_late_counts_from_the_day_after_due(make_invoice: MakeInvoice) -> None:
    """Due Mon 27 April: 0 days late that day and before, 1 on 28 April, 7 on Mon 4 May."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    assert days_late(invoice, [], on=date(2026, 4, 20)) == 0
    assert days_late(invoice, [], on=date(2026, 4, 27)) == 0
    assert days_late(invoice, [], on=date(2026, 4, 28)) == 1
    assert days_late(invoice, [], on=date(2026, 5, 4)) == 7


def test_days_late_is_zero_once_paid(make_invoice: MakeInvoice) -> None:
    """After full payment on 2 May, the invoice is no longer late on 10 May."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    events = [Payment(on=date(2026, 5, 2), amount=Decimal("1200.00"))]
    assert days_late(invoice, events, on=date(2026, 5, 1)) == 4
    assert days_late(invoice, events, on=date(2026, 5, 10)) == 0


def test_installments_paid_in_due_order(make_invoice: MakeInvoice) -> None:
    """Money goes to the oldest installment first; lateness counts from the oldest unpaid."""
    invoice = make_invoice(
        installments=[
            (date(2026, 3, 31), "400.00"),
            (date(2026, 4, 30), "400.00"),
            (date(2026, 5, 31), "400.00"),
        ]
    )
    # Nothing paid: 31 March is the oldest unpaid part; on 5 April it is 5 days late.
    assert days_late(invoice, [], on=date(2026, 4, 5)) == 5
    # 500.00 paid on 10 April covers March (400) and 100 of April: April is the oldest unpaid.
    part = [Payment(on=date(2026, 4, 10), amount=Decimal("500.00"))]
    assert days_late(invoice, part, on=date(2026, 4, 20)) == 0
    assert days_late(invoice, part, on=date(2026, 5, 10)) == 10
    # 800.00 covers March and April exactly: May 31 is next, 5 days late on 5 June.
    more = [Payment(on=date(2026, 4, 10), amount=Decimal("800.00"))]
    assert days_late(invoice, more, on=date(2026, 6, 5)) == 5
    assert amount_outstanding(invoice, more, on=date(2026, 6, 5)) == Decimal("400.00")


def test_paid_on_is_the_day_the_balance_reaches_zero(make_invoice: MakeInvoice) -> None:
    """Two payments of 600.00 on 2 and 10 May: paid on 10 May, in any event order."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    events = [
        Payment(on=date(2026, 5, 10), amount=Decimal("600.00")),
        Payment(on=date(2026, 5, 2), amount=Decimal("600.00")),
    ]
    assert paid_on(invoice, events) == date(2026, 5, 10)
    assert paid_on(invoice, events[1:]) is None


def test_paid_on_with_tolerance(make_invoice: MakeInvoice) -> None:
    """1,199.60 paid leaves 0.40: paid within a 0.50 tolerance, not with none."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    events = [Payment(on=date(2026, 5, 2), amount=Decimal("1199.60"))]
    assert paid_on(invoice, events) is None
    assert paid_on(invoice, events, tolerance=Decimal("0.50")) == date(2026, 5, 2)
    assert paid_on(invoice, events, tolerance=Decimal("0.40")) == date(2026, 5, 2)
    assert paid_on(invoice, events, tolerance=Decimal("0.39")) is None


# --------------------------------------------------------------------------------------------
# Amount bound, fact ids and reversals (issue 19, part 5)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["1e999999999", Decimal("1e999999999")])
def test_an_absurd_amount_is_refused_with_its_code(amount: object) -> None:
    """1e999999999 (text or Decimal) is finite, but refused: amount_too_large, nothing else."""
    with pytest.raises(ValidationError) as info:
        Payment(on=date(2026, 3, 10), amount=amount)  # type: ignore[arg-type]
    assert info.value.errors(include_url=False) == [
        {
            "type": "amount_too_large",
            "loc": ("amount",),
            "msg": "an amount must be under 10^15 (at most 15 digits before the decimal point), "
            "got 1E+999999999",
            "input": amount,
            "ctx": {"bound": "10^15", "value": "1E+999999999"},
        }
    ]


def test_the_amount_bound_is_ten_to_the_fifteen(customer: Customer) -> None:
    """999,999,999,999,999.99 passes; 10^15 (an int) and -10^15 are refused."""
    assert Payment(on=date(2026, 3, 10), amount=Decimal("999999999999999.99")).amount == Decimal(
        "999999999999999.99"
    )
    for amount in (10**15, "-1000000000000000"):
        with pytest.raises(ValidationError) as info:
            Invoice.model_validate(_invoice_fields(customer, total=amount))
        assert _errors(info.value) == [("amount_too_large", ("total",))]


def test_facts_have_an_optional_id_and_old_json_loads() -> None:
    """Stored JSON without an id still loads (id None); with one it is kept."""
    [old, new] = parse_events(
        [
            {"kind": "payment", "on": "2026-03-10", "amount": "100.00"},
            {"kind": "hold_lifted", "on": "2026-03-11", "id": "H-2"},
        ]
    )
    assert isinstance(old, Payment)
    assert isinstance(new, HoldLifted)
    assert (old.id, new.id) == (None, "H-2")


def test_parse_events_builds_a_reversal() -> None:
    """Kind "reversal" with its reason; an unknown reason is refused."""
    [reversal] = parse_events(
        [
            {
                "kind": "reversal",
                "on": "2026-03-20",
                "reverses": "SEPA-7",
                "reason": "chargeback",
                "note": "R04",
            }
        ]
    )
    assert reversal == Reversal(
        on=date(2026, 3, 20), reverses="SEPA-7", reason=ReversalReason.CHARGEBACK, note="R04"
    )
    with pytest.raises(ValidationError) as info:
        parse_events([{"kind": "reversal", "on": "2026-03-20", "reverses": "X", "reason": "oops"}])
    assert _errors(info.value) == [("enum", (0, "reversal", "reason"))]


def _reverse(fact_id: str, reason: str = "mistake", **fields: Any) -> Reversal:
    return Reversal(on=date(2026, 4, 1), reverses=fact_id, reason=ReversalReason(reason), **fields)


SENT = datetime(2026, 3, 20, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("events", "code", "location"),
    [
        (
            [
                Payment(on=date(2026, 3, 10), amount=Decimal(1), id="P"),
                HoldPlaced(on=date(2026, 3, 11), id="P"),
            ],
            "duplicate_fact_id",
            "events[1].id",
        ),
        ([_reverse("P")], "unknown_fact", "events[0].reverses"),
        (
            [_reverse("P"), Payment(on=date(2026, 3, 10), amount=Decimal(1), id="P")],
            "unknown_fact",
            "events[0].reverses",
        ),
        (
            [ActionTaken(at=SENT, action_id="act-1", channel=Channel.EMAIL), _reverse("act-1")],
            "not_reversible",
            "events[1].reverses",
        ),
        (
            [
                Payment(on=date(2026, 3, 10), amount=Decimal(1), id="P"),
                _reverse("P", id="R"),
                _reverse("R"),
            ],
            "not_reversible",
            "events[2].reverses",
        ),
        (
            [
                CreditNote(on=date(2026, 3, 10), amount=Decimal(1), id="AV"),
                _reverse("AV", "chargeback"),
            ],
            "not_reversible",
            "events[1].reverses",
        ),
        (
            [
                Payment(on=date(2026, 3, 10), amount=Decimal(1), id="P"),
                _reverse("P", "returned_direct_debit"),
                _reverse("P"),
            ],
            "already_reversed",
            "events[2].reverses",
        ),
    ],
)
def test_check_history_keeps_the_rules_of_ids_and_reversals(
    make_invoice: MakeInvoice, events: list[Event], code: str, location: str
) -> None:
    """Unique ids; a reversal names an earlier fact, once, never an action or a reversal."""
    with pytest.raises(InvoiceHistoryError) as info:
        check_history(make_invoice(due_on=date(2026, 4, 27)), events)
    assert (info.value.code, info.value.location) == (code, location)


def test_a_reversed_mistake_is_not_checked(make_invoice: MakeInvoice) -> None:
    """A payment dated before the invoice (1 March), in dollars, reversed: the history is fine."""
    wrong = Payment(on=date(2026, 2, 1), amount=Decimal(10), currency="USD", id="P-1")
    invoice = make_invoice(due_on=date(2026, 4, 27))
    check_history(invoice, [wrong, _reverse("P-1")])
    assert corrected(invoice, [wrong, _reverse("P-1")]) == ()
    with pytest.raises(InvoiceHistoryError, match=r"events\[0\]\.on"):
        check_history(invoice, [wrong])


def test_corrected_leaves_out_the_reversed_fact_and_the_reversal(
    make_invoice: MakeInvoice,
) -> None:
    """Only what was reversed goes (and the reversal); the rest keeps its order; idempotent."""
    invoice = make_invoice(due_on=date(2026, 4, 27))
    a = Payment(on=date(2026, 4, 28), amount=Decimal(100), id="A")
    b = Payment(on=date(2026, 4, 29), amount=Decimal(200), id="B")
    hold = HoldPlaced(on=date(2026, 4, 30))
    sent = ActionTaken(at=SENT, action_id="act-1", channel=Channel.EMAIL)
    history: list[Event] = [a, sent, b, _reverse("A"), hold]
    assert corrected(invoice, history) == (sent, b, hold)
    assert corrected(invoice, corrected(invoice, history)) == (sent, b, hold)
    plain: list[Event] = [a, b]
    assert corrected(invoice, plain) is plain  # nothing to correct: not copied
    assert amount_outstanding(invoice, history, on=date(2026, 5, 1)) == Decimal("1000.00")


def test_check_new_event_checks_only_the_new_event(make_invoice: MakeInvoice) -> None:
    """The invoice as stored and its history decide; an old problem is not the new event's."""
    invoice = make_invoice(due_on=date(2026, 4, 27))  # issued 1 March 2026, in euros
    old_mistake = Payment(on=date(2026, 2, 1), amount=Decimal(10), id="P-0")
    paid = Payment(on=date(2026, 4, 28), amount=Decimal(100), id="P-1")
    history: list[Event] = [old_mistake, paid]
    check_new_event(invoice, history, _reverse("P-0"))
    check_new_event(invoice, history, HoldPlaced(on=date(2026, 4, 29)))
    refused: list[tuple[Event, str, str]] = [
        (Payment(on=date(2026, 2, 28), amount=Decimal(1)), "event_before_issue", "event.on"),
        (
            Payment(on=date(2026, 4, 28), amount=Decimal(1), currency="USD"),
            "currency_mismatch",
            "event.currency",
        ),
        (HoldPlaced(on=date(2026, 4, 29), id="P-1"), "duplicate_fact_id", "event.id"),
        (_reverse("P-9"), "unknown_fact", "event.reverses"),
    ]
    for event, code, location in refused:
        with pytest.raises(InvoiceHistoryError) as info:
            check_new_event(invoice, history, event)
        assert (info.value.code, info.value.location, info.value.invoice_id) == (
            code,
            location,
            "F-1",
        )
    with pytest.raises(InvoiceHistoryError) as info:
        check_new_event(invoice, [*history, _reverse("P-1")], _reverse("P-1"))
    assert info.value.code == "already_reversed"
