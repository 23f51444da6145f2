"""compute_penalties and penalties_for_amount: every figure below is worked by hand.

Conventions in the comments: ``principal x rate x days / 365``, days = last day - due date,
each line rounded half-up to the cent (the default) unless the test says otherwise. Rates come
from DOMAIN.md section 6 (ECB in force on 1 Jan / 1 Jul + 10 for the B2B default).
"""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from dunning.core.model import (
    CreditNote,
    Customer,
    CustomerKind,
    Event,
    Installment,
    Invoice,
    Payment,
    Reversal,
    ReversalReason,
)
from dunning.core.penalties import (
    BelowLegalFloor,
    DayCount,
    JudgmentIncrease,
    LatePaymentTerms,
    LegalRateColumn,
    PenaltyBreakdown,
    PenaltyRegime,
    Rounding,
    compute_penalties,
    default_rates,
    penalties_for_amount,
)
from dunning.exceptions import InvoiceHistoryError, ProvisionalRateWarning, RateNotAvailableError

D = Decimal


def invoice(
    total: str,
    due: date | None,
    *,
    kind: CustomerKind = CustomerKind.BUSINESS,
    contractual_rate: str | None = None,
    installments: tuple[Installment, ...] = (),
    issued: date | None = None,
) -> Invoice:
    first_due = due or installments[0].due_on
    return Invoice(
        id="F-1",
        number="2025-0001",
        customer=Customer(id="C1", name="ACME", kind=kind),
        issued_on=issued or first_due - timedelta(days=30),
        due_on=due,
        installments=installments,
        total=D(total),
        contractual_rate=None if contractual_rate is None else D(contractual_rate),
    )


def summary(b: object) -> list[tuple[str, str, int, str, str, str]]:
    lines = b.lines  # type: ignore[attr-defined]
    return [
        (
            str(x.first_day),
            str(x.last_day),
            x.days,
            str(x.principal),
            str(x.annual_rate),
            str(x.interest),
        )
        for x in lines
    ]


# ----------------------------------------------------------------------- published examples


def test_service_public_f783_example() -> None:
    """F783: 2,000 EUR, 30 days at the 2020 H2 legal rate 3.11 %, /365 in a leap year: 5.11."""
    inv = invoice("2000", date(2020, 9, 1), kind=CustomerKind.CONSUMER)
    terms = LatePaymentTerms(
        regime=PenaltyRegime.CONSUMER, legal_rate_column=LegalRateColumn.PRIVATE
    )
    b = compute_penalties(
        inv, [], until=date(2020, 10, 1), terms=terms, formal_notice_on=date(2020, 9, 1)
    )
    # 2000 x 3.11 % x 30 / 365 = 1866 / 365 = 5.1123 -> 5.11
    assert summary(b) == [("2020-09-02", "2020-10-01", 30, "2000", "3.11", "5.11")]
    assert b.lines[0].rate_source == "legal rate 2020 H2 (particuliers) 3.11 %"
    assert (b.interest, b.recovery_indemnity, b.total) == (D("5.11"), D("0.00"), D("5.11"))


def test_lesjooristes_example() -> None:
    """lesjooristes.fr: 5,000 EUR, 30 days at 10 %: 41.10 (plus the 40 EUR indemnity)."""
    inv = invoice("5000", date(2025, 1, 10), contractual_rate="10")
    b = compute_penalties(inv, [], until=date(2025, 2, 9))
    # 5000 x 10 % x 30 / 365 = 15000 / 365 = 41.0959 -> 41.10
    assert b.regime is PenaltyRegime.B2B_CONTRACTUAL
    assert summary(b) == [("2025-01-11", "2025-02-09", 30, "5000", "10", "41.10")]
    assert (b.interest, b.recovery_indemnity, b.total) == (D("41.10"), D("40.00"), D("81.10"))


def test_lesjooristes_example_with_plain_values() -> None:
    """The convenience function gives the same 41.10 from plain values."""
    b = penalties_for_amount("5000", date(2025, 1, 10), date(2025, 2, 9), rate="10%")
    # 5000 x 10 % x 30 / 365 = 41.0959 -> 41.10
    assert b.interest == D("41.10")
    assert b.lines[0].rate_source == "contractual rate 10.00 %"


# ------------------------------------------------------------------------- B2B default rate


def test_delay_across_30_june_is_split() -> None:
    """A delay across 30 June is split: H1 at ECB(1 Jan) + 10, H2 at ECB(1 Jul) + 10."""
    b = compute_penalties(invoice("12000", date(2025, 6, 15)), [], until=date(2025, 7, 15))
    # H1 2025: ECB 3.15 on 2025-01-01 -> 13.15; 16..30 June = 15 days
    #   12000 x 13.15 % x 15 / 365 = 23670 / 365 = 64.8493 -> 64.85
    # H2 2025: ECB 2.15 on 2025-07-01 -> 12.15; 1..15 July = 15 days
    #   12000 x 12.15 % x 15 / 365 = 21870 / 365 = 59.9178 -> 59.92
    assert summary(b) == [
        ("2025-06-16", "2025-06-30", 15, "12000", "13.15", "64.85"),
        ("2025-07-01", "2025-07-15", 15, "12000", "12.15", "59.92"),
    ]
    assert [x.rate_source for x in b.lines] == [
        "ECB 3.15 % in force on 2025-01-01 + 10",
        "ECB 2.15 % in force on 2025-07-01 + 10",
    ]
    # 64.85 + 59.92 = 124.77; + 40 = 164.77
    assert (b.interest, b.recovery_indemnity, b.total) == (D("124.77"), D("40.00"), D("164.77"))
    assert b.paid_on is None


def test_delay_across_31_december_and_2024_h2_rate() -> None:
    """Across 31 December 2024: 2024 H2 is 14.25 (ECB 4.25 on 1 July), not 13.65."""
    b = compute_penalties(invoice("10000", date(2024, 12, 16)), [], until=date(2025, 1, 15))
    # 2024 H2: 4.25 + 10 = 14.25; 17..31 Dec = 15 days
    #   10000 x 14.25 % x 15 / 365 = 21375 / 365 = 58.5616 -> 58.56
    # 2025 H1: 3.15 + 10 = 13.15; 1..15 Jan = 15 days
    #   10000 x 13.15 % x 15 / 365 = 19725 / 365 = 54.0411 -> 54.04
    assert summary(b) == [
        ("2024-12-17", "2024-12-31", 15, "10000", "14.25", "58.56"),
        ("2025-01-01", "2025-01-15", 15, "10000", "13.15", "54.04"),
    ]
    assert b.lines[0].rate_source == "ECB 4.25 % in force on 2024-07-01 + 10"
    assert b.interest == D("112.60")  # 58.56 + 54.04


def test_2022_h2_keeps_10_percent_despite_the_july_hike() -> None:
    """The ECB hike effective 27 July 2022 is after 1 July: 2022 H2 stays at 10.00 %."""
    b = compute_penalties(invoice("10000", date(2022, 7, 31)), [], until=date(2022, 8, 30))
    # ECB in force on 2022-07-01 = 0.00 -> 10.00; 1..30 Aug = 30 days
    #   10000 x 10 % x 30 / 365 = 30000 / 365 = 82.1918 -> 82.19
    assert summary(b) == [("2022-08-01", "2022-08-30", 30, "10000", "10.00", "82.19")]
    assert b.lines[0].rate_source == "ECB 0.00 % in force on 2022-07-01 + 10"


def test_partial_payment_in_the_middle_of_a_half_year() -> None:
    """A payment splits the period; the payment day still bears interest on the old balance."""
    inv = invoice("10000", date(2025, 2, 14))
    b = compute_penalties(
        inv, [Payment(on=date(2025, 3, 16), amount=D("4000"))], until=date(2025, 4, 15)
    )
    # 2025 H1 = 13.15 %
    # 15 Feb..16 Mar = 14 + 16 = 30 days on 10000: 10000 x 13.15 % x 30 / 365 = 39450 / 365
    #   = 108.0822 -> 108.08
    # 17 Mar..15 Apr = 15 + 15 = 30 days on 6000: 6000 x 13.15 % x 30 / 365 = 23670 / 365
    #   = 64.8493 -> 64.85
    assert summary(b) == [
        ("2025-02-15", "2025-03-16", 30, "10000", "13.15", "108.08"),
        ("2025-03-17", "2025-04-15", 30, "6000", "13.15", "64.85"),
    ]
    # 108.08 + 64.85 = 172.93; the 40 EUR stays due after a partial payment: 212.93
    assert (b.interest, b.recovery_indemnity, b.total) == (D("172.93"), D("40.00"), D("212.93"))


def test_several_payments_and_a_credit_note_then_paid_in_full() -> None:
    """Each payment or credit note opens a new period; interest stops on the final payment."""
    events: list[Event] = [
        CreditNote(on=date(2025, 10, 10), amount=D("1000")),
        Payment(on=date(2025, 10, 20), amount=D("3000")),
        Payment(on=date(2025, 11, 9), amount=D("5000")),
    ]
    b = compute_penalties(invoice("9000", date(2025, 9, 30)), events, until=date(2025, 12, 31))
    # 2025 H2 = 12.15 %
    # 1..10 Oct = 10 days on 9000: 9000 x 12.15 % x 10 / 365 = 10935 / 365 = 29.9589 -> 29.96
    # 11..20 Oct = 10 days on 8000: 8000 x 12.15 % x 10 / 365 = 9720 / 365 = 26.6301 -> 26.63
    # 21 Oct..9 Nov = 11 + 9 = 20 days on 5000: 5000 x 12.15 % x 20 / 365 = 12150 / 365
    #   = 33.2877 -> 33.29
    assert summary(b) == [
        ("2025-10-01", "2025-10-10", 10, "9000", "12.15", "29.96"),
        ("2025-10-11", "2025-10-20", 10, "8000", "12.15", "26.63"),
        ("2025-10-21", "2025-11-09", 20, "5000", "12.15", "33.29"),
    ]
    assert b.paid_on == date(2025, 11, 9)
    assert b.interest == D("89.88")  # 29.96 + 26.63 + 33.29
    assert b.total == D("129.88")


def test_installments_run_from_their_own_due_dates() -> None:
    """Each installment runs from its own due date; money pays the earliest installment first."""
    inv = invoice(
        "6000",
        None,
        installments=(
            Installment(due_on=date(2025, 3, 31), amount=D("3000")),
            Installment(due_on=date(2025, 4, 30), amount=D("3000")),
        ),
    )
    b = compute_penalties(
        inv, [Payment(on=date(2025, 4, 10), amount=D("3000"))], until=date(2025, 5, 30)
    )
    # Installment 1: 1..10 Apr = 10 days on 3000 at 13.15 %: 3000 x 13.15 % x 10 / 365
    #   = 3945 / 365 = 10.8082 -> 10.81 (then paid by the 10 April payment)
    # Installment 2: 1..30 May = 30 days on 3000: 3000 x 13.15 % x 30 / 365 = 11835 / 365
    #   = 32.4247 -> 32.42
    assert [x.installment for x in b.lines] == [1, 2]
    assert summary(b) == [
        ("2025-04-01", "2025-04-10", 10, "3000", "13.15", "10.81"),
        ("2025-05-01", "2025-05-30", 30, "3000", "13.15", "32.42"),
    ]
    assert (b.interest, b.total) == (D("43.23"), D("83.23"))  # one indemnity per invoice


def test_payment_before_the_due_date_reduces_the_late_principal() -> None:
    """A payment made before the due date is applied first: only the rest is late."""
    inv = invoice("1000", date(2025, 1, 31), issued=date(2025, 1, 1))
    b = compute_penalties(
        inv, [Payment(on=date(2025, 1, 20), amount=D("270"))], until=date(2025, 3, 2)
    )
    # 1 Feb..2 Mar = 28 + 2 = 30 days on 730 at 13.15 %: 730 x 13.15 % x 30 / 365 = 2879.85
    #   / 365 = 7.89
    assert summary(b) == [("2025-02-01", "2025-03-02", 30, "730", "13.15", "7.89")]


def test_paid_on_the_due_date_owes_nothing() -> None:
    """Paid on the due date: no day of delay, so no interest and no indemnity."""
    b = compute_penalties(
        invoice("1000", date(2025, 1, 31)),
        [Payment(on=date(2025, 1, 31), amount=D("1000"))],
        until=date(2025, 3, 1),
    )
    assert (b.lines, b.interest, b.recovery_indemnity, b.total) == ((), D(0), D(0), D(0))
    assert b.paid_on == date(2025, 1, 31)


def test_until_equal_to_the_due_date_owes_nothing() -> None:
    """On the due date itself nothing is late yet (the due date is excluded)."""
    b = compute_penalties(invoice("1000", date(2025, 1, 31)), [], until=date(2025, 1, 31))
    assert (b.lines, b.total) == ((), D("0.00"))


def test_until_as_aware_datetime_is_read_in_paris() -> None:
    """An aware `until` is converted to the Paris civil date (23:30 UTC is already tomorrow)."""
    late_evening_utc = datetime(2025, 2, 8, 23, 30, tzinfo=UTC)  # 00:30 on 9 Feb
    b = penalties_for_amount("5000", date(2025, 1, 10), late_evening_utc, rate="10")
    # 11 Jan..9 Feb = 30 days: 5000 x 10 % x 30 / 365 = 41.10
    assert (b.until, b.lines[0].days, b.interest) == (date(2025, 2, 9), 30, D("41.10"))


# --------------------------------------------------------------------------- other regimes


def test_consumer_from_the_formal_notice() -> None:
    """A consumer owes the legal rate "autres cas" from the formal notice, and no indemnity."""
    inv = invoice("3000", date(2025, 3, 1), kind=CustomerKind.CONSUMER)
    b = compute_penalties(inv, [], until=date(2025, 5, 15), formal_notice_on=date(2025, 4, 15))
    # 16 Apr..15 May = 15 + 15 = 30 days at 3.71 % (2025 H1, autres cas)
    #   3000 x 3.71 % x 30 / 365 = 3339 / 365 = 9.1479 -> 9.15
    assert summary(b) == [("2025-04-16", "2025-05-15", 30, "3000", "3.71", "9.15")]
    assert b.lines[0].rate_source == "legal rate 2025 H1 (autres cas) 3.71 %"
    assert (b.interest, b.recovery_indemnity, b.total) == (D("9.15"), D("0.00"), D("9.15"))


def test_consumer_without_formal_notice_owes_nothing_and_says_why() -> None:
    """Without a formal notice a consumer owes no interest; a finding explains it."""
    inv = invoice("3000", date(2025, 3, 1), kind=CustomerKind.CONSUMER)
    b = compute_penalties(inv, [], until=date(2025, 5, 15))
    assert (b.lines, b.interest, b.recovery_indemnity) == ((), D("0.00"), D("0.00"))
    assert [f.code for f in b.findings] == ["no_formal_notice"]
    assert "formal_notice_on" in b.findings[0].message


def test_consumer_interest_from_the_due_date_when_the_contract_says_so() -> None:
    """With interest_from_due_date the consumer's interest runs from the due date."""
    terms = LatePaymentTerms(regime=PenaltyRegime.CONSUMER, interest_from_due_date=True)
    inv = invoice("3000", date(2025, 3, 1), kind=CustomerKind.CONSUMER)
    b = compute_penalties(inv, [], until=date(2025, 3, 31), terms=terms)
    # 2..31 Mar = 30 days: 3000 x 3.71 % x 30 / 365 = 9.15
    assert summary(b) == [("2025-03-02", "2025-03-31", 30, "3000", "3.71", "9.15")]


def test_consumer_notice_before_the_due_date_runs_from_the_due_date() -> None:
    """A formal notice sent before the due date cannot make interest run earlier."""
    inv = invoice("3000", date(2025, 3, 1), kind=CustomerKind.CONSUMER)
    b = compute_penalties(inv, [], until=date(2025, 3, 31), formal_notice_on=date(2025, 2, 20))
    assert b.lines[0].first_day == date(2025, 3, 2)


def test_public_buyer_one_rate_across_a_half_year_boundary() -> None:
    """A public buyer pays ECB(first day of the half-year the delay started) + 8, unsplit."""
    inv = invoice("10000", date(2024, 6, 15), kind=CustomerKind.PUBLIC)
    b = compute_penalties(inv, [], until=date(2024, 7, 15))
    # Delay starts 16 June 2024 (H1): ECB on 2024-01-01 = 4.50 -> 12.50 for the whole delay.
    # 16 Jun..15 Jul = 15 + 15 = 30 days: 10000 x 12.5 % x 30 / 365 = 37500 / 365 = 102.7397
    #   -> 102.74
    assert summary(b) == [("2024-06-16", "2024-07-15", 30, "10000", "12.50", "102.74")]
    assert b.lines[0].rate_source == "ECB 4.50 % in force on 2024-01-01 + 8"
    assert (b.recovery_indemnity, b.total) == (D("40.00"), D("142.74"))


def test_contractual_rate_below_the_floor_is_a_finding() -> None:
    """12 % in 2024 H1 is below 3 x 5.07 % = 15.21 %: computed as agreed, and flagged."""
    b = compute_penalties(
        invoice("10000", date(2024, 2, 29), contractual_rate="12"), [], until=date(2024, 3, 30)
    )
    # 1..30 Mar = 30 days: 10000 x 12 % x 30 / 365 = 36000 / 365 = 98.6301 -> 98.63
    assert b.interest == D("98.63")
    assert [(f.code, f.half_year) for f in b.findings] == [("rate_below_legal_floor", "2024 H1")]
    assert "15.21" in b.findings[0].message


def test_contractual_multiple_of_the_legal_rate() -> None:
    """A rate of "3 x the legal rate" follows the legal rate per half-year (floor met)."""
    terms = LatePaymentTerms(regime=PenaltyRegime.B2B_CONTRACTUAL, legal_rate_multiple=D(3))
    b = compute_penalties(
        invoice("10000", date(2024, 9, 30)), [], until=date(2024, 10, 30), terms=terms
    )
    # 2024 H2 autres cas 4.92 -> 3 x 4.92 = 14.76; 1..30 Oct = 30 days
    #   10000 x 14.76 % x 30 / 365 = 44280 / 365 = 121.3151 -> 121.32
    assert summary(b) == [("2024-10-01", "2024-10-30", 30, "10000", "14.76", "121.32")]
    assert b.lines[0].rate_source == "3 × legal rate 2024 H2 (autres cas) 4.92 %"  # noqa: RUF001
    assert b.findings == ()


def test_a_rate_stipulated_in_a_consumer_contract_applies_from_the_formal_notice() -> None:
    """A consumer invoice stating 12 %: that rate, from the notice, flagged as moderable.

    Notice 15 April 2025, until 15 May: 30 days; 3000 x 12 % x 30 / 365 = 10800 / 365 =
    29.5890 -> 29.59 (the legal rate would give 9.15, test_consumer_from_the_formal_notice).
    """
    inv = invoice("3000", date(2025, 3, 1), kind=CustomerKind.CONSUMER, contractual_rate="12")
    b = compute_penalties(inv, [], until=date(2025, 5, 15), formal_notice_on=date(2025, 4, 15))
    assert summary(b) == [("2025-04-16", "2025-05-15", 30, "3000", "12", "29.59")]
    assert b.lines[0].rate_source == "stipulated rate 12.00 %"
    assert [f.code for f in b.findings] == ["stipulated_rate_may_be_moderated"]
    assert "1231-5" in b.findings[0].message
    assert b.recovery_indemnity == D("0.00")


def test_an_invoice_rate_is_not_used_for_a_public_buyer() -> None:
    """A public buyer's rate is set by law (ECB + 8): the invoice's 12 % is a finding."""
    inv = invoice("10000", date(2024, 6, 15), kind=CustomerKind.PUBLIC, contractual_rate="12")
    b = compute_penalties(inv, [], until=date(2024, 7, 15))
    assert b.interest == D("102.74")  # as in test_public_buyer_one_rate_across_...
    assert [f.code for f in b.findings] == ["contractual_rate_not_applicable"]


def test_the_legal_floor_replaces_a_lower_contractual_rate_on_request() -> None:
    """12 % agreed, 2024 H1 floor 3 x 5.07 % = 15.21 %: computed at 15.21 % when asked.

    1..30 March 2024 = 30 days: 10000 x 15.21 % x 30 / 365 = 45630 / 365 = 125.0137 -> 125.01
    (98.63 at the agreed 12 %, test_contractual_rate_below_the_floor_is_a_finding).
    """
    terms = LatePaymentTerms(
        regime=PenaltyRegime.B2B_CONTRACTUAL,
        contractual_rate=D(12),
        below_legal_floor=BelowLegalFloor.APPLY_FLOOR,
    )
    b = compute_penalties(
        invoice("10000", date(2024, 2, 29)), [], until=date(2024, 3, 30), terms=terms
    )
    assert summary(b) == [("2024-03-01", "2024-03-30", 30, "10000", "15.21", "125.01")]
    assert b.lines[0].rate_source == (
        "legal floor 3 × legal rate 2024 H1 (autres cas) 5.07 %, above the contractual rate "  # noqa: RUF001
        "12.00 % (L441-10 II)"
    )
    assert [(f.code, f.half_year) for f in b.findings] == [("rate_below_legal_floor", "2024 H1")]


def test_the_legal_floor_applies_half_year_by_half_year() -> None:
    """15 % agreed across 30 June 2024: below the H1 floor (15.21 %), above the H2 one (14.76).

    16..30 June = 15 days at 15.21 %: 10000 x 15.21 % x 15 / 365 = 22815 / 365 = 62.5068 -> 62.51;
    1..15 July = 15 days at the agreed 15 %: 10000 x 15 % x 15 / 365 = 22500 / 365 = 61.6438
    -> 61.64.
    """
    terms = LatePaymentTerms(
        regime=PenaltyRegime.B2B_CONTRACTUAL,
        contractual_rate=D(15),
        below_legal_floor=BelowLegalFloor.APPLY_FLOOR,
    )
    b = compute_penalties(
        invoice("10000", date(2024, 6, 15)), [], until=date(2024, 7, 15), terms=terms
    )
    assert summary(b) == [
        ("2024-06-16", "2024-06-30", 15, "10000", "15.21", "62.51"),
        ("2024-07-01", "2024-07-15", 15, "10000", "15", "61.64"),
    ]
    assert b.interest == D("124.15")


def test_judgment_adds_5_points_two_months_after_service() -> None:
    """+5 points (L313-3) from the day after two months from service of the judgment."""
    terms = LatePaymentTerms(regime=PenaltyRegime.CONSUMER, judgment_served_on=date(2025, 2, 14))
    inv = invoice("10000", date(2025, 1, 15), kind=CustomerKind.CONSUMER)
    b = compute_penalties(
        inv, [], until=date(2025, 4, 30), terms=terms, formal_notice_on=date(2025, 1, 31)
    )
    # served 14 Feb + 2 months = 14 Apr; +5 from 15 Apr. 2025 H1 autres cas = 3.71.
    # 1 Feb..14 Apr = 28 + 31 + 14 = 73 days: 10000 x 3.71 % x 73 / 365 = 27083 / 365 = 74.20
    # 15..30 Apr = 16 days at 8.71: 10000 x 8.71 % x 16 / 365 = 13936 / 365 = 38.1808 -> 38.18
    assert summary(b) == [
        ("2025-02-01", "2025-04-14", 73, "10000", "3.71", "74.20"),
        ("2025-04-15", "2025-04-30", 16, "10000", "8.71", "38.18"),
    ]
    assert b.lines[1].rate_source.endswith("+ 5 (judgment served 2025-02-14, L313-3)")
    assert b.interest == D("112.38")


def test_judgment_does_not_raise_the_b2b_rate() -> None:
    """L313-3 raises the legal rate only: the L441-10 rate stays 12.15 after a judgment."""
    terms = LatePaymentTerms(judgment_served_on=date(2026, 2, 14))
    b = compute_penalties(
        invoice("10000", date(2026, 1, 15)), [], until=date(2026, 4, 30), terms=terms
    )
    # 16 Jan..30 Apr = 16 + 28 + 31 + 30 = 105 days at 12.15 (ECB 2.15 + 10), no cut at 15 Apr:
    # 10000 x 12.15 % x 105 / 365 = 127575 / 365 = 349.5205... -> 349.52
    assert summary(b) == [("2026-01-16", "2026-04-30", 105, "10000", "12.15", "349.52")]


def test_judgment_does_not_raise_a_contractual_or_public_rate() -> None:
    """Neither a contractual rate nor the public-buyer rate gets the +5 points by default."""
    contractual = LatePaymentTerms(
        regime=PenaltyRegime.B2B_CONTRACTUAL,
        contractual_rate=D(15),
        judgment_served_on=date(2026, 2, 14),
    )
    public = LatePaymentTerms(
        regime=PenaltyRegime.PUBLIC_BUYER, judgment_served_on=date(2026, 2, 14)
    )
    inv = invoice("10000", date(2026, 1, 15))
    b = compute_penalties(inv, [], until=date(2026, 4, 30), terms=contractual)
    # 105 days at 15: 10000 x 15 % x 105 / 365 = 157500 / 365 = 431.5068... -> 431.51
    assert summary(b) == [("2026-01-16", "2026-04-30", 105, "10000", "15", "431.51")]
    pub = invoice("10000", date(2026, 1, 15), kind=CustomerKind.PUBLIC)
    b = compute_penalties(pub, [], until=date(2026, 4, 30), terms=public)
    # 105 days at 10.15 (ECB 2.15 + 8): 101500 x 105 / 365 / 100 = 291.9863... -> 291.99
    assert summary(b) == [("2026-01-16", "2026-04-30", 105, "10000", "10.15", "291.99")]


def test_judgment_ordering_the_increase_on_every_rate() -> None:
    """With judgment_increase_applies_to="all", the B2B rate gets +5 two months after service."""
    terms = LatePaymentTerms(
        judgment_served_on=date(2026, 2, 14), judgment_increase_applies_to=JudgmentIncrease.ALL
    )
    inv = invoice("10000", date(2026, 1, 15))
    b = compute_penalties(inv, [], until=date(2026, 4, 30), terms=terms)
    # served 14 Feb + 2 months = 14 Apr; +5 from 15 Apr.
    # 16 Jan..14 Apr = 16 + 28 + 31 + 14 = 89 days: 1215 x 89 / 365 = 108135 / 365 = 296.26
    # 15..30 Apr = 16 days at 17.15: 1715 x 16 / 365 = 27440 / 365 = 75.178... -> 75.18
    assert summary(b) == [
        ("2026-01-16", "2026-04-14", 89, "10000", "12.15", "296.26"),
        ("2026-04-15", "2026-04-30", 16, "10000", "17.15", "75.18"),
    ]
    # A message dated before the increase (14 Apr) never includes it.
    early = compute_penalties(inv, [], until=date(2026, 4, 14), terms=terms)
    assert summary(early) == [("2026-01-16", "2026-04-14", 89, "10000", "12.15", "296.26")]


def test_yearly_compounding_capitalises_a_whole_year() -> None:
    """With compounding, a whole year's interest joins the principal (Code civil 1343-2)."""
    terms = LatePaymentTerms(
        regime=PenaltyRegime.B2B_CONTRACTUAL, contractual_rate=D(10), compounding=True
    )
    b = compute_penalties(
        invoice("10000", date(2023, 1, 15)), [], until=date(2024, 3, 15), terms=terms
    )
    # 16 Jan 2023..15 Jan 2024 = 365 days: 10000 x 10 % x 365 / 365 = 1000.00, capitalised
    # 16 Jan..15 Mar 2024 = 16 + 29 + 15 = 60 days on 11000: 11000 x 10 % x 60 / 365
    #   = 66000 / 365 = 180.8219 -> 180.82
    assert summary(b) == [
        ("2023-01-16", "2024-01-15", 365, "10000", "10", "1000.00"),
        ("2024-01-16", "2024-03-15", 60, "11000.00", "10", "180.82"),
    ]
    assert b.interest == D("1180.82")
    # 10 % is below 3 x 4.22 = 12.66 (2023 H2) and 3 x 5.07 = 15.21 (2024 H1)
    assert [f.half_year for f in b.findings] == ["2023 H2", "2024 H1"]


def test_custom_indemnity_replaces_the_40_eur() -> None:
    """A proven higher cost (or 0 in insolvency) replaces the legal 40 EUR."""
    terms = LatePaymentTerms(recovery_indemnity=D("75.00"))
    b = compute_penalties(
        invoice("5000", date(2025, 1, 10)), [], until=date(2025, 1, 11), terms=terms
    )
    assert b.recovery_indemnity == D("75.00")


# ------------------------------------------------------------------- day count and rounding


def test_leap_year_option_uses_366_days() -> None:
    """With actual/366 the F783 case gives 5.10 instead of 5.11."""
    b = penalties_for_amount(
        "2000", date(2020, 9, 1), date(2020, 10, 1), rate="3.11",
        day_count=DayCount.ACTUAL_366_IN_LEAP_YEARS,
    )  # fmt: skip
    # 2000 x 3.11 % x 30 / 366 = 1866 / 366 = 5.0984 -> 5.10
    assert b.interest == D("5.10")
    assert "366 days in leap years" in b.conventions


def test_leap_year_option_splits_at_new_year() -> None:
    """With actual/366 a delay from a leap year into the next is split at 1 January."""
    b = penalties_for_amount(
        "10000", date(2024, 12, 16), date(2025, 1, 15), rate="10",
        day_count=DayCount.ACTUAL_366_IN_LEAP_YEARS,
    )  # fmt: skip
    # 17..31 Dec 2024 = 15 days /366: 10000 x 10 % x 15 / 366 = 15000 / 366 = 40.9836 -> 40.98
    # 1..15 Jan 2025 = 15 days /365: 10000 x 10 % x 15 / 365 = 15000 / 365 = 41.0959 -> 41.10
    assert [x.interest for x in b.lines] == [D("40.98"), D("41.10")]


def test_rounding_on_the_total_shares_the_cents_among_lines() -> None:
    """Rounding once on the total can differ from per line; lines still add up exactly."""
    payments = [(date(2025, 1, 11), "1"), (date(2025, 1, 12), "1")]
    # At 36.5 %, a day costs principal / 1000 exactly:
    #   11 Jan on 1004: 1004 x 36.5 % x 1 / 365 = 1.004
    #   12 Jan on 1003: 1.003;  13 Jan on 1002: 1.002
    per_line = penalties_for_amount(
        "1004", date(2025, 1, 10), date(2025, 1, 13), payments=payments, rate="36.5"
    )
    # per line: 1.00 + 1.00 + 1.00 = 3.00
    assert [x.interest for x in per_line.lines] == [D("1.00")] * 3
    assert per_line.interest == D("3.00")
    on_total = penalties_for_amount(
        "1004", date(2025, 1, 10), date(2025, 1, 13), payments=payments, rate="36.5",
        rounding=Rounding.ON_TOTAL,
    )  # fmt: skip
    # on the total: 1.004 + 1.003 + 1.002 = 3.009 -> 3.01; the spare cent goes to the line
    # with the largest remainder (0.004, the first).
    assert [x.interest for x in on_total.lines] == [D("1.01"), D("1.00"), D("1.00")]
    assert on_total.interest == D("3.01")
    assert "rounded half-up to the cent once" in on_total.conventions


# --------------------------------------------------------------------------- rate coverage


def test_provisional_rate_warns() -> None:
    """2026 H2 uses the provisional ECB 2.40: a ProvisionalRateWarning and a finding."""
    with pytest.warns(ProvisionalRateWarning, match=r"2\.40 % \(2026-06-17\) is provisional"):
        b = compute_penalties(invoice("10000", date(2026, 6, 30)), [], until=date(2026, 7, 30))
    # 1..30 Jul = 30 days at 2.40 + 10 = 12.40: 10000 x 12.4 % x 30 / 365 = 37200 / 365
    #   = 101.9178 -> 101.92
    assert summary(b) == [("2026-07-01", "2026-07-30", 30, "10000", "12.40", "101.92")]
    assert b.lines[0].provisional is True
    assert [(f.code, f.half_year) for f in b.findings] == [("provisional_rate", "2026 H2")]


def test_date_beyond_the_table_is_an_error_naming_the_half_year() -> None:
    """A delay in 2027 H1 has no ECB rate in the table: RateNotAvailableError, never a guess."""
    with pytest.raises(RateNotAvailableError) as caught:
        compute_penalties(invoice("10000", date(2026, 12, 31)), [], until=date(2027, 1, 10))
    assert caught.value.half_year == "2027 H1"
    assert caught.value.code == "rate_not_available"
    assert "2027 H1" in str(caught.value)


def test_consumer_beyond_the_legal_table_names_its_last_half_year() -> None:
    """The legal-rate error names the missing half-year and the table's last one."""
    inv = invoice("3000", date(2026, 12, 31), kind=CustomerKind.CONSUMER)
    with pytest.raises(RateNotAvailableError, match=r"2027 H1; the table ends with 2026 H2"):
        compute_penalties(inv, [], until=date(2027, 1, 10), formal_notice_on=date(2026, 12, 31))


def test_callers_own_rate_beyond_the_table() -> None:
    """With the caller's ECB rate for 1 January 2027 the computation goes ahead."""
    rates = default_rates().with_ecb_rate(date(2027, 1, 1), D("2.00"))
    b = compute_penalties(
        invoice("10000", date(2026, 12, 31)), [], until=date(2027, 1, 10), rates=rates
    )
    # 1..10 Jan 2027 = 10 days at 12.00: 10000 x 12 % x 10 / 365 = 12000 / 365 = 32.8767 -> 32.88
    assert summary(b) == [("2027-01-01", "2027-01-10", 10, "10000", "12.00", "32.88")]


def test_contractual_floor_unknown_beyond_the_table_is_a_finding() -> None:
    """A fixed contractual rate needs no table; an uncheckable floor is reported, not raised."""
    b = penalties_for_amount("10000", date(2026, 12, 31), date(2027, 1, 10), rate="20")
    # 10000 x 20 % x 10 / 365 = 20000 / 365 = 54.7945 -> 54.79
    assert b.interest == D("54.79")
    assert [(f.code, f.half_year) for f in b.findings] == [("legal_floor_unknown", "2027 H1")]


# ---------------------------------------------------------------------------------- errors


def test_until_before_the_due_date_is_refused() -> None:
    """An end date before the due date is a validation error located at `until`."""
    with pytest.raises(ValidationError) as caught:
        compute_penalties(invoice("100", date(2025, 3, 1)), [], until=date(2025, 2, 1))
    assert caught.value.errors() == [
        {
            "type": "until_before_due_date",
            "loc": ("until",),
            "msg": "until 2025-02-01 is before the due date 2025-03-01: nothing can be late yet",
            "input": date(2025, 2, 1),
            "ctx": {"until": "2025-02-01", "due": "2025-03-01"},
        }
    ]


def test_naive_until_is_refused() -> None:
    """A naive datetime has no civil date: naive_datetime at `until`."""
    with pytest.raises(ValidationError) as caught:
        compute_penalties(invoice("100", date(2025, 3, 1)), [], until=datetime(2025, 4, 1, 12))
    assert caught.value.errors() == [
        {
            "type": "naive_datetime",
            "loc": ("until",),
            "msg": "an instant must be timezone-aware, got 2025-04-01T12:00:00 with no time zone",
            "input": datetime(2025, 4, 1, 12),
            "ctx": {"value": "2025-04-01T12:00:00"},
        }
    ]


def test_payments_exceeding_the_invoice_are_refused() -> None:
    """Payments adding up to more than the total: InvoiceHistoryError at the event."""
    events: list[Event] = [
        Payment(on=date(2025, 3, 5), amount=D("60")),
        CreditNote(on=date(2025, 3, 10), amount=D("50")),
    ]
    with pytest.raises(InvoiceHistoryError) as caught:
        compute_penalties(invoice("100", date(2025, 3, 1)), events, until=date(2025, 4, 1))
    assert (caught.value.code, caught.value.location) == (
        "payments_exceed_amount",
        "events[1].amount",
    )


def test_event_before_the_invoice_date_is_refused() -> None:
    """The invoice history is checked: a payment before the invoice date is an error."""
    inv = invoice("100", date(2025, 3, 1), issued=date(2025, 2, 1))
    with pytest.raises(InvoiceHistoryError) as caught:
        compute_penalties(
            inv, [Payment(on=date(2025, 1, 5), amount=D("10"))], until=date(2025, 3, 1)
        )
    assert caught.value.code == "event_before_issue"


def test_invoice_contractual_rate_that_is_not_a_percentage() -> None:
    """An invoice rate of 150 is not a percentage: rate_not_a_percentage at contractual_rate."""
    inv = invoice("100", date(2025, 3, 1), contractual_rate="150")
    with pytest.raises(ValidationError) as caught:
        compute_penalties(inv, [], until=date(2025, 4, 1))
    assert caught.value.errors() == [
        {
            "type": "rate_not_a_percentage",
            "loc": ("contractual_rate",),
            "msg": "a rate is a percentage between 0 and 100 (12.5 for 12.5 %), got 150",
            "input": D("150"),
            "ctx": {"value": "150"},
        }
    ]


def test_plain_values_reject_floats_everywhere() -> None:
    """Floats are refused for the amount, the payments and the rate, each at its location."""
    with pytest.raises(ValidationError) as caught:
        penalties_for_amount(
            1.5,  # type: ignore[arg-type]
            date(2025, 1, 1),
            date(2025, 2, 1),
            payments=[(date(2025, 1, 5), 0.5)],  # type: ignore[list-item]
            rate=10.0,  # type: ignore[arg-type]
        )
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
        ("float_amount", ("amount",)),
        ("float_amount", ("payments", 0, 1)),
        ("float_rate", ("rate",)),
    ]
    assert caught.value.errors()[2]["msg"] == (
        "rates must be Decimal, int or str, not float ('10.0'): write Decimal('10.0')"
    )


@pytest.mark.parametrize(
    ("kwargs", "error_type", "loc"),
    [
        ({"amount": "0"}, "non_positive_amount", ("amount",)),
        ({"amount": "-5"}, "non_positive_amount", ("amount",)),
        ({"rate": "150%"}, "rate_not_a_percentage", ("rate",)),
        ({"rate": "ten"}, "invalid_rate", ("rate",)),
        ({"rate": True}, "invalid_rate", ("rate",)),
        ({"rate": "NaN"}, "invalid_rate", ("rate",)),
        ({"regime": "b2c"}, "enum", ("regime",)),
        ({"legal_rate_multiple": "0"}, "invalid_legal_rate_multiple", ("legal_rate_multiple",)),
        ({"payments": [(date(2025, 1, 5), "600"), (date(2025, 1, 6), "600")]},
         "payments_exceed_amount", ("payments", 1, 1)),
        ({"until": date(2024, 12, 1)}, "until_before_due_date", ("until",)),
        ({"formal_notice_on": datetime(2025, 1, 5)}, "naive_datetime", ("formal_notice_on",)),
    ],
)  # fmt: skip
def test_plain_values_errors_name_the_argument(
    kwargs: dict[str, object], error_type: str, loc: tuple[object, ...]
) -> None:
    """Each bad plain value is refused with its own code at its own location."""
    args: dict[str, object] = {
        "amount": "1000",
        "due_on": date(2025, 1, 1),
        "until": date(2025, 2, 1),
    }
    args |= kwargs
    with pytest.raises(ValidationError) as caught:
        penalties_for_amount(**args)  # type: ignore[arg-type]
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [(error_type, loc)]


@pytest.mark.parametrize(
    ("kwargs", "error_type"),
    [
        ({"regime": "b2b_contractual"}, "contractual_rate_required"),
        (
            {"regime": "b2b_contractual", "contractual_rate": "8", "legal_rate_multiple": "3"},
            "contractual_rate_ambiguous",
        ),
        ({"regime": "b2b_default", "contractual_rate": "8"}, "rate_not_used_by_regime"),
        ({"regime": "consumer", "recovery_indemnity": "40"}, "no_indemnity_for_consumers"),
    ],
)
def test_terms_errors(kwargs: dict[str, object], error_type: str) -> None:
    """LatePaymentTerms refuses inconsistent options with a stable code."""
    with pytest.raises(ValidationError) as caught:
        LatePaymentTerms(**kwargs)  # type: ignore[arg-type]
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [(error_type, ())]


def test_rate_given_with_the_default_regime_is_refused() -> None:
    """Plain values: a rate with regime b2b_default is refused rather than silently ignored."""
    with pytest.raises(ValidationError) as caught:
        penalties_for_amount(
            "1000", date(2025, 1, 1), date(2025, 2, 1), regime="b2b_default", rate="8"
        )
    assert caught.value.errors()[0]["type"] == "rate_not_used_by_regime"


def test_money_applied_to_an_earlier_installment_does_not_split_a_later_one() -> None:
    """A payment that only reduces installment 1 leaves installment 2 in one period."""
    inv = invoice(
        "6000",
        None,
        installments=(
            Installment(due_on=date(2025, 3, 31), amount=D("3000")),
            Installment(due_on=date(2025, 4, 30), amount=D("3000")),
        ),
    )
    b = compute_penalties(
        inv, [Payment(on=date(2025, 5, 10), amount=D("1000"))], until=date(2025, 5, 30)
    )
    # Installment 1, 1 Apr..10 May = 30 + 10 = 40 days on 3000 at 13.15 %:
    #   3000 x 13.15 % x 40 / 365 = 15780 / 365 = 43.2329 -> 43.23
    # Installment 1, 11..30 May = 20 days on 2000: 2000 x 13.15 % x 20 / 365 = 5260 / 365
    #   = 14.4110 -> 14.41
    # Installment 2, 1..30 May = 30 days on 3000: 3000 x 13.15 % x 30 / 365 = 32.42
    assert [(x.installment, *row) for x, row in zip(b.lines, summary(b), strict=True)] == [
        (1, "2025-04-01", "2025-05-10", 40, "3000", "13.15", "43.23"),
        (1, "2025-05-11", "2025-05-30", 20, "2000", "13.15", "14.41"),
        (2, "2025-05-01", "2025-05-30", 30, "3000", "13.15", "32.42"),
    ]
    assert b.interest == D("90.06")  # 43.23 + 14.41 + 32.42


def test_leap_option_with_a_fixed_rate_splits_only_at_new_year() -> None:
    """A fixed contractual rate with actual/366 is not split at 1 July."""
    b = penalties_for_amount(
        "10000", date(2024, 6, 15), date(2024, 7, 15), rate=10,
        day_count=DayCount.ACTUAL_366_IN_LEAP_YEARS,
    )  # fmt: skip
    # 16 Jun..15 Jul 2024 = 30 days /366: 10000 x 10 % x 30 / 366 = 30000 / 366 = 81.9672
    #   -> 81.97
    assert summary(b) == [("2024-06-16", "2024-07-15", 30, "10000", "10", "81.97")]


def test_breakdown_refuses_lines_that_do_not_add_up() -> None:
    """A PenaltyBreakdown whose sums are inconsistent cannot be built."""
    b = penalties_for_amount("5000", date(2025, 1, 10), date(2025, 2, 9), rate="10")
    # 5000 x 10 % x 30 / 365 = 41.10, + 40.00 = 81.10: one cent off either sum is refused.
    assert (b.interest, b.total) == (D("41.10"), D("81.10"))
    with pytest.raises(ValidationError, match="lines_do_not_add_up"):
        b._replace(interest=D("41.11"), total=D("81.11"))
    with pytest.raises(ValidationError, match="total_does_not_add_up"):
        b._replace(total=D("81.11"))
    with pytest.raises(ValidationError, match="total_does_not_add_up"):
        PenaltyBreakdown(**{**b._asdict(), "total": D("81.11")})
    assert b._replace(lines=b.lines) == b  # consistent sums: made again, equal


def test_a_breakdown_is_built_by_keyword_each_field_from_its_own() -> None:
    """Every field of a breakdown reads back the value of its own keyword; none by position."""
    b = penalties_for_amount("5000", date(2025, 1, 10), date(2025, 2, 9), rate="10")
    fields = b._asdict()
    assert list(fields) == list(PenaltyBreakdown._fields)
    rebuilt = PenaltyBreakdown(**fields)
    assert all(getattr(rebuilt, name) is value for name, value in fields.items())
    with pytest.raises(TypeError, match="positional"):
        PenaltyBreakdown(*b)  # type: ignore[call-arg]
    assert pickle.loads(pickle.dumps(b)) == b  # noqa: S301  (our own object)


# --------------------------------------------------------------------------------------------
# Mutants found by the mutation run (host-contract issue)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rounding", [Rounding.PER_LINE, Rounding.ON_TOTAL])
def test_an_exact_half_cent_is_rounded_up(rounding: Rounding) -> None:
    """1,005.00 one day late at 36.5 %: exactly 1.005, which is 1.01 half-up (1.00 half-even)."""
    # 11 Jan 2025 on 1005: 1005 x 36.5 % x 1 / 365 = 1005 / 1000 = 1.005 exactly.
    b = penalties_for_amount(
        "1005", date(2025, 1, 10), date(2025, 1, 11), rate="36.5", rounding=rounding
    )
    assert [x.interest for x in b.lines] == [D("1.01")]
    assert b.interest == D("1.01")


def test_a_tied_spare_cent_goes_to_the_earlier_line() -> None:
    """Two lines with the same remainder: rounding on the total gives the cent to the first."""
    payments = [(date(2025, 1, 11), "10")]
    # At 36.5 %, a day costs principal / 1000 exactly:
    #   11 Jan on 1015: 1.015;  12 Jan on 1005 (10 paid on the 11th): 1.005
    # Total 2.020 -> 2.02; floors 1.01 + 1.00 = 2.01: one spare cent, both remainders 0.005.
    b = penalties_for_amount(
        "1015", date(2025, 1, 10), date(2025, 1, 12), payments=payments, rate="36.5",
        rounding=Rounding.ON_TOTAL,
    )  # fmt: skip
    assert [(x.first_day, x.principal, x.interest) for x in b.lines] == [
        (date(2025, 1, 11), D("1015"), D("1.02")),
        (date(2025, 1, 12), D("1005"), D("1.00")),
    ]
    assert b.interest == D("2.02")
    # Per line each is rounded half-up on its own: 1.02 + 1.01 = 2.03.
    per_line = penalties_for_amount(
        "1015", date(2025, 1, 10), date(2025, 1, 12), payments=payments, rate="36.5"
    )
    assert [x.interest for x in per_line.lines] == [D("1.02"), D("1.01")]


def test_half_year_starts_inside_and_beyond_the_precomputed_years() -> None:
    """The 1 January and 1 July strictly after the first day, to the end day included."""
    from dunning.core.penalties.compute import _half_year_starts  # noqa: PLC0415

    assert list(_half_year_starts(date(2024, 1, 1), date(2025, 7, 1), every_half=True)) == [
        date(2024, 7, 1),
        date(2025, 1, 1),
        date(2025, 7, 1),
    ]
    assert list(_half_year_starts(date(2024, 1, 1), date(2025, 7, 1), every_half=False)) == [
        date(2025, 1, 1)
    ]
    # Past the years precomputed (1900-2199): worked out one by one, the same way.
    assert list(_half_year_starts(date(2199, 3, 1), date(2200, 12, 31), every_half=True)) == [
        date(2199, 7, 1),
        date(2200, 1, 1),
        date(2200, 7, 1),
    ]
    assert list(_half_year_starts(date(2199, 8, 1), date(2201, 1, 1), every_half=False)) == [
        date(2200, 1, 1),
        date(2201, 1, 1),
    ]
    assert list(_half_year_starts(date(2199, 7, 2), date(2199, 12, 31), every_half=True)) == []


# -- a returned direct debit (issue 19, part 5) ------------------------------------------------


def test_a_returned_direct_debit_owes_interest_as_if_never_paid() -> None:
    """1,000.00 EUR due Mon 2 March 2026, debited 10 March, returned 20 March; until 1 April.

    The money never arrived: one line from 3 March to 1 April, 30 days on the whole 1,000.00 at
    12.15 % (ECB 2.15 % in force on 1 January 2026 + 10 points):
    1,000.00 x 12.15 % x 30 / 365 = 3,645 / 365 = 9.9863 -> 9.99; + 40.00 indemnity = 49.99.
    Had the debit stood: 3..10 March, 8 days, 972 / 365 = 2.6630 -> 2.66, + 40.00.
    """
    bill = invoice("1000.00", date(2026, 3, 2))
    debit = Payment(on=date(2026, 3, 10), amount=D("1000.00"), id="SEPA-7")
    returned = Reversal(
        on=date(2026, 3, 20), reverses="SEPA-7", reason=ReversalReason.RETURNED_DIRECT_DEBIT
    )
    b = compute_penalties(bill, [debit, returned], until=date(2026, 4, 1))
    assert summary(b) == [("2026-03-03", "2026-04-01", 30, "1000.00", "12.15", "9.99")]
    assert (b.interest, b.recovery_indemnity, b.total) == (D("9.99"), D("40.00"), D("49.99"))
    standing = compute_penalties(bill, [debit], until=date(2026, 4, 1))
    assert summary(standing) == [("2026-03-03", "2026-03-10", 8, "1000.00", "12.15", "2.66")]


def test_a_reversal_of_an_unknown_payment_is_an_error_not_a_guess() -> None:
    """A reversal naming no earlier fact: unknown_fact, at its position in the history."""
    bill = invoice("1000.00", date(2026, 3, 2))
    wrong = Reversal(on=date(2026, 3, 20), reverses="SEPA-8", reason=ReversalReason.MISTAKE)
    with pytest.raises(InvoiceHistoryError) as info:
        compute_penalties(
            bill, [Payment(on=date(2026, 3, 10), amount=D("1")), wrong], until=date(2026, 4, 1)
        )
    assert (info.value.code, info.value.location) == ("unknown_fact", "events[1].reverses")
