"""Payment-term maxima (Code de commerce L441-10, L441-11) and prescription dates."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from dunning.core.model import CustomerKind
from dunning.core.penalties import (
    PaymentTermRule,
    maximum_due_date,
    payment_term_check,
    prescription_date,
)

INVOICE_DATE = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # DOMAIN.md: 15 Jan + 60 days = 16 Mar (16 days of Jan + 28 of Feb + 16 of Mar)
        (PaymentTermRule.SIXTY_DAYS, date(2026, 3, 16)),
        # 15 Jan + 45 days = 1 Mar, then end of that month = 31 Mar
        (PaymentTermRule.FORTY_FIVE_DAYS_THEN_END_OF_MONTH, date(2026, 3, 31)),
        # end of January = 31 Jan, then + 45 days = 17 Mar (28 of Feb + 17 of Mar)
        (PaymentTermRule.END_OF_MONTH_THEN_FORTY_FIVE_DAYS, date(2026, 3, 17)),
        # periodic invoice: 15 Jan + 45 days = 1 Mar
        (PaymentTermRule.PERIODIC_INVOICE, date(2026, 3, 1)),
        # road haulage: 15 Jan + 30 days = 14 Feb
        (PaymentTermRule.ROAD_HAULAGE, date(2026, 2, 14)),
    ],
)
def test_maximum_due_dates_from_the_invoice_date(rule: PaymentTermRule, expected: date) -> None:
    """Each invoice-dated rule gives the worked maximum for an invoice of 2026-01-15."""
    assert maximum_due_date(INVOICE_DATE, rule=rule) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # delivered 10 Jan: + 30 days = 9 Feb
        (PaymentTermRule.DEFAULT_THIRTY_DAYS, date(2026, 2, 9)),
        (PaymentTermRule.PERISHABLE_FOOD, date(2026, 2, 9)),
        # + 20 days = 30 Jan
        (PaymentTermRule.LIVE_CATTLE_FRESH_MEAT, date(2026, 1, 30)),
        # end of the delivery month = 31 Jan, + 30 days = 2 Mar
        (PaymentTermRule.ALCOHOL_EXCISE, date(2026, 3, 2)),
    ],
)
def test_sector_caps_count_from_delivery(rule: PaymentTermRule, expected: date) -> None:
    """Delivery-based rules (L441-11) count from the delivery date, not the invoice date."""
    assert maximum_due_date(INVOICE_DATE, rule=rule, delivered_on=date(2026, 1, 10)) == expected


def test_check_exceeded() -> None:
    """A due date 4 days past 60 days is exceeded, with the maximum and the article."""
    check = payment_term_check(INVOICE_DATE, date(2026, 3, 20))
    assert check.model_dump() == {
        "ok": False,
        "rule": PaymentTermRule.SIXTY_DAYS,
        "due_on": date(2026, 3, 20),
        "maximum_due_on": date(2026, 3, 16),
        "days_over": 4,  # 17, 18, 19, 20 March
        "article": "Code de commerce L441-10 I",
        "explanation": "60 days after the invoice date",
    }


def test_check_depends_on_the_end_of_month_computation() -> None:
    """17 Mar is fine under both 45-days-end-of-month readings; 31 Mar under one only."""
    plus_then_eom = PaymentTermRule.FORTY_FIVE_DAYS_THEN_END_OF_MONTH
    eom_then_plus = PaymentTermRule.END_OF_MONTH_THEN_FORTY_FIVE_DAYS
    assert payment_term_check(INVOICE_DATE, date(2026, 3, 17), rule=eom_then_plus).ok
    assert payment_term_check(INVOICE_DATE, date(2026, 3, 31), rule=plus_then_eom).ok
    late = payment_term_check(INVOICE_DATE, date(2026, 3, 31), rule=eom_then_plus)
    assert (late.ok, late.days_over) == (False, 14)  # 18..31 March


def test_check_on_the_maximum_is_ok() -> None:
    """The maximum date itself is allowed."""
    check = payment_term_check(INVOICE_DATE, date(2026, 3, 16))
    assert (check.ok, check.days_over) == (True, 0)


def test_rule_given_as_text() -> None:
    """The rule may be given by its value."""
    check = payment_term_check(INVOICE_DATE, date(2026, 2, 14), rule="road_haulage")  # type: ignore[arg-type]
    assert check.article == "Code de commerce L441-11"


def test_delivery_rule_without_delivery_date() -> None:
    """A delivery-based rule without delivered_on is a validation error at delivered_on."""
    with pytest.raises(ValidationError) as caught:
        payment_term_check(INVOICE_DATE, date(2026, 2, 1), rule=PaymentTermRule.PERISHABLE_FOOD)
    assert caught.value.errors() == [
        {
            "type": "delivery_date_required",
            "loc": ("delivered_on",),
            "msg": "the perishable_food rule counts from delivery: pass delivered_on",
            "input": None,
            "ctx": {"rule": "perishable_food"},
        }
    ]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (CustomerKind.BUSINESS, date(2029, 3, 15)),  # L110-4: 5 years
        # loi 68-1250 art. 1: 4 years from 1 January 2025, the last day 31 December 2028.
        (CustomerKind.PUBLIC, date(2028, 12, 31)),
        (CustomerKind.CONSUMER, date(2026, 3, 15)),  # L218-2: 2 years
    ],
)
def test_prescription(kind: CustomerKind, expected: date) -> None:
    """5 years against businesses, 2 against consumers, 4 from 1 January after for public ones."""
    assert prescription_date(date(2024, 3, 15), kind) == expected


@pytest.mark.parametrize(
    ("completed_on", "expected"),
    [
        (date(2024, 1, 1), date(2028, 12, 31)),  # the year the rights arose does not count
        (date(2024, 12, 31), date(2028, 12, 31)),  # nor does how late in that year
        (date(2025, 1, 1), date(2029, 12, 31)),
    ],
)
def test_public_debtor_four_year_rule(completed_on: date, expected: date) -> None:
    """Public debtors: four years from 1 January of the next year (loi 68-1250 art. 1)."""
    assert prescription_date(completed_on, CustomerKind.PUBLIC) == expected


def test_prescription_from_29_february() -> None:
    """A period starting on 29 February ends on 28 February."""
    assert prescription_date(date(2024, 2, 29), "consumer") == date(2026, 2, 28)


def test_prescription_unknown_kind() -> None:
    """An unknown debtor kind is refused."""
    with pytest.raises(ValueError, match="'merchant' is not a valid CustomerKind"):
        prescription_date(date(2024, 3, 15), "merchant")
