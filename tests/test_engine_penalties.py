"""decide(..., with_penalties=True): the penalties a reminder can state, worked out by hand.

Invoice F-1: 1,200.00 EUR, due Monday 27 April 2026 (first day late: Tue 28 April).
Rates (DOMAIN.md section 6): ECB main refinancing rate in force on 1 January 2026 = 2.15 %,
so the B2B default rate for 2026 H1 is 12.15 %; legal rate 2026 H1, "autres cas" = 2.62 %.
Each line is principal x rate x days / 365, rounded half-up to the cent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from dunning import STANDARD, Channel, Customer, DecisionStatus, Event, Invoice, Payment, decide
from dunning.core.engine import penalties_at
from dunning.core.penalties import PenaltyRates, RateTable
from dunning.engine import action_id
from dunning.model import ActionTaken, CustomerKind, DeliveryFailed

MakeInvoice = Callable[..., Invoice]
Paris = Callable[..., datetime]
DUE = date(2026, 4, 27)


def _lines(decision_penalties: object) -> list[tuple[str, str, int, str, str]]:
    lines = decision_penalties.lines  # type: ignore[attr-defined]
    return [
        (str(x.first_day), str(x.last_day), x.days, str(x.principal), str(x.interest))
        for x in lines
    ]


def test_penalties_are_off_by_default(make_invoice: MakeInvoice, paris: Paris) -> None:
    """Without the flag the decision carries no penalties (they cost more than the decision)."""
    d = decide(make_invoice(due_on=DUE), [], STANDARD, at=paris(2026, 5, 18))
    assert d.penalties is None


def test_business_debtor_interest_and_indemnity(make_invoice: MakeInvoice, paris: Paris) -> None:
    """Mon 18 May 2026: 28 April..18 May = 21 days.

    1,200.00 x 12.15 % x 21 / 365 = 3,061.80 / 365 = 8.3885 -> 8.39; + 40.00 = 48.39.
    """
    d = decide(make_invoice(due_on=DUE), [], STANDARD, at=paris(2026, 5, 18), with_penalties=True)
    assert d.status is DecisionStatus.ACTION_DUE
    assert d.penalties is not None
    assert _lines(d.penalties) == [("2026-04-28", "2026-05-18", 21, "1200.00", "8.39")]
    assert d.penalties.lines[0].annual_rate == Decimal("12.15")
    assert (d.penalties.interest, d.penalties.recovery_indemnity, d.penalties.total) == (
        Decimal("8.39"),
        Decimal("40.00"),
        Decimal("48.39"),
    )


def test_partial_payment_splits_the_period(make_invoice: MakeInvoice, paris: Paris) -> None:
    """500.00 paid on Fri 8 May: the payment day still bears interest on the full amount.

    28 April..8 May = 11 days on 1,200.00: 145.80 x 11 / 365 = 4.3940 -> 4.39.
    9..18 May = 10 days on 700.00: 85.05 x 10 / 365 = 2.3301 -> 2.33. Interest 6.72.
    """
    events = [Payment(on=date(2026, 5, 8), amount=Decimal("500.00"))]
    d = decide(
        make_invoice(due_on=DUE), events, STANDARD, at=paris(2026, 5, 18), with_penalties=True
    )
    assert d.penalties is not None
    assert _lines(d.penalties) == [
        ("2026-04-28", "2026-05-08", 11, "1200.00", "4.39"),
        ("2026-05-09", "2026-05-18", 10, "700.00", "2.33"),
    ]
    assert d.penalties.total == Decimal("46.72")


def test_not_late_means_no_penalties(make_invoice: MakeInvoice, paris: Paris) -> None:
    """On the due date itself nothing is owed yet: no breakdown at all."""
    d = decide(make_invoice(due_on=DUE), [], STANDARD, at=paris(2026, 4, 27), with_penalties=True)
    assert d.penalties is None


def test_consumer_interest_runs_from_the_delivered_formal_notice(
    make_invoice: MakeInvoice, paris: Paris
) -> None:
    """A consumer owes the legal rate from the formal notice (Wed 27 May), no indemnity.

    Fri 12 June: 28 May..12 June = 16 days; 1,200.00 x 2.62 % x 16 / 365 = 503.04 / 365
    = 1.3782 -> 1.38.
    """
    consumer = Customer(id="C-2", name="Mme Durand", kind=CustomerKind.CONSUMER)
    invoice = make_invoice(due_on=DUE, customer=consumer)
    notice = ActionTaken(
        at=paris(2026, 5, 27),
        action_id=action_id("F-1", "formal_notice"),
        channel=Channel.REGISTERED_LETTER,
        step_id="formal_notice",
    )
    d = decide(invoice, [notice], STANDARD, at=paris(2026, 6, 12), with_penalties=True)
    assert d.penalties is not None
    assert _lines(d.penalties) == [("2026-05-28", "2026-06-12", 16, "1200.00", "1.38")]
    assert d.penalties.recovery_indemnity == Decimal("0.00")
    assert d.penalties.total == Decimal("1.38")


def test_consumer_formal_notice_that_bounced_starts_nothing(
    make_invoice: MakeInvoice, paris: Paris
) -> None:
    """The registered letter came back: no formal notice was served, so no interest runs."""
    consumer = Customer(id="C-2", name="Mme Durand", kind=CustomerKind.CONSUMER)
    invoice = make_invoice(due_on=DUE, customer=consumer)
    notice_id = action_id("F-1", "formal_notice")
    events: list[Event] = [
        ActionTaken(
            at=paris(2026, 5, 27),
            action_id=notice_id,
            channel=Channel.REGISTERED_LETTER,
            step_id="formal_notice",
        ),
        DeliveryFailed(at=paris(2026, 6, 1), action_id=notice_id, reason="unclaimed"),
    ]
    d = decide(invoice, events, STANDARD, at=paris(2026, 6, 12), with_penalties=True)
    assert d.penalties is not None
    assert d.penalties.total == Decimal("0.00")
    assert d.penalties.lines == ()


def test_consumer_formal_notice_uncertain_or_later_starts_nothing(
    make_invoice: MakeInvoice, paris: Paris
) -> None:
    """A notice possibly sent, or recorded after the decision's instant, is not served yet.

    The notice of Wed 27 May with delivery uncertain, and one sent on 13 June, looked at on
    Fri 12 June: no interest yet (a consumer owes it only from a notice served).
    """
    consumer = Customer(id="C-2", name="Mme Durand", kind=CustomerKind.CONSUMER)
    invoice = make_invoice(due_on=DUE, customer=consumer)
    notice_id = action_id("F-1", "formal_notice")
    uncertain = ActionTaken(
        at=paris(2026, 5, 27),
        action_id=notice_id,
        channel=Channel.REGISTERED_LETTER,
        step_id="formal_notice",
        uncertain=True,
    )
    later = uncertain.model_copy(update={"at": paris(2026, 6, 13), "uncertain": False})
    for notice in (uncertain, later):
        d = decide(invoice, [notice], STANDARD, at=paris(2026, 6, 12), with_penalties=True)
        assert d.penalties is not None
        assert d.penalties.lines == ()
        assert [f.code for f in d.penalties.findings] == ["no_formal_notice"]


def test_missing_rate_leaves_the_decision_standing(make_invoice: MakeInvoice, paris: Paris) -> None:
    """Tables that end with 2026 H1: a delay in July 2026 gets a note, never a guessed rate."""
    ecb = RateTable.from_rows("ECB", [("2025-06-11", "2.15")], known_until=date(2026, 6, 30))
    legal = RateTable.from_rows("legal", [("2026 H1", "2.62")], half_yearly=True)
    rates = PenaltyRates(ecb=ecb, legal_private=legal, legal_other=legal)
    invoice = make_invoice(due_on=date(2026, 6, 29))
    d = decide(invoice, [], STANDARD, at=paris(2026, 7, 10), with_penalties=True, rates=rates)
    assert d.status is DecisionStatus.ACTION_DUE
    assert d.penalties is None
    assert any(note.startswith("penalties not stated:") and "2026 H2" in note for note in d.notes)


def test_overpaid_invoice_gets_a_note_not_an_error(make_invoice: MakeInvoice, paris: Paris) -> None:
    """A payment recorded twice: the invoice is closed and the penalties are not stated."""
    events = [
        Payment(on=date(2026, 5, 4), amount=Decimal("1200.00")),
        Payment(on=date(2026, 5, 5), amount=Decimal("1200.00")),
    ]
    d = decide(
        make_invoice(due_on=DUE), events, STANDARD, at=paris(2026, 5, 18), with_penalties=True
    )
    assert d.status is DecisionStatus.CLOSED
    assert d.penalties is None
    assert any("penalties not stated" in note for note in d.notes)


def test_penalties_at_states_what_the_decision_states(
    make_invoice: MakeInvoice, paris: Paris
) -> None:
    """penalties_at: the decision's breakdown without the decision, None where it has none.

    Business, Mon 18 May: 48.39 (as above). Consumer served on Wed 27 May, Fri 12 June: 1.38.
    On the due date, past the rate tables and overpaid: None.
    """
    consumer = Customer(id="C-2", name="Mme Durand", kind=CustomerKind.CONSUMER)
    notice = ActionTaken(
        at=paris(2026, 5, 27),
        action_id=action_id("F-1", "formal_notice"),
        channel=Channel.REGISTERED_LETTER,
        step_id="formal_notice",
    )
    business = penalties_at(make_invoice(due_on=DUE), [], STANDARD, at=paris(2026, 5, 18))
    assert business is not None
    assert business.total == Decimal("48.39")
    served = penalties_at(
        make_invoice(due_on=DUE, customer=consumer), [notice], STANDARD, at=paris(2026, 6, 12)
    )
    assert served is not None
    assert (served.recovery_indemnity, served.total) == (Decimal("0.00"), Decimal("1.38"))
    assert penalties_at(make_invoice(due_on=DUE), [], STANDARD, at=paris(2026, 4, 27)) is None
    ecb = RateTable.from_rows("ECB", [("2025-06-11", "2.15")], known_until=date(2026, 6, 30))
    legal = RateTable.from_rows("legal", [("2026 H1", "2.62")], half_yearly=True)
    rates = PenaltyRates(ecb=ecb, legal_private=legal, legal_other=legal)
    late = make_invoice(due_on=date(2026, 6, 29))
    assert penalties_at(late, [], STANDARD, at=paris(2026, 7, 10), rates=rates) is None
    twice = [
        Payment(on=date(2026, 5, 4), amount=Decimal("1200.00")),
        Payment(on=date(2026, 5, 5), amount=Decimal("1200.00")),
    ]
    assert penalties_at(make_invoice(due_on=DUE), twice, STANDARD, at=paris(2026, 5, 18)) is None
