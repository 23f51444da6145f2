"""One customer, three invoices, 120 days: what each built-in ladder sends (DOMAIN 9).

The customer is the issue's: Leroy SARL, F1 1,000.00 due Wed 4 March 2026, F2 2,400.00 due
Wed 25 March (900.00 paid 20 March), F3 3,685.65 due Wed 15 April. Every message is delivered,
every notice approved on the day; the planner runs at 10:30 and 15:30 each day from 25 February.
The expected dates are worked out by hand in each test's comments (French public holidays
2026: Easter Monday 6 April, 1 and 8 May, Ascension 14 May, Whit Monday 25 May).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from dunning.core.builtin import FIRM, GENTLE, STANDARD
from dunning.core.conversation import Conversation, held_until, read_conversation
from dunning.core.model import ActionTaken, Channel, Customer, Invoice
from dunning.core.portfolio import InvoiceHistory, PaymentOnAccount, plan_for_customer
from dunning.core.scenario import CatchUp, Scenario, scenario_from_mapping
from dunning.exceptions import ScenarioError
from tests.conversation_walk import three_invoices, walk
from tests.helpers import PARIS

START = date(2026, 2, 25)


def sent(scenario: Scenario) -> list[tuple[date, str, str, list[tuple[str, str]]]]:
    """(day, template, channel, covered (invoice, step)) of every message in 120 days."""
    return [
        (
            s.on,
            s.action.template,
            s.action.channel.value,
            [(a.invoice_id, a.step_id) for a in s.action.covers],
        )
        for s in walk(three_invoices(), scenario, start=START, days=120)
    ]


def test_standard_one_notice_per_debt_and_nothing_between() -> None:
    """STANDARD: 6 messages to the customer and one call task; each invoice on notice once."""
    # F1: J+1 Thu 5 March; J+7 (11 March) waits for the 7-day gap: Thu 12 March; J+14 (18 March)
    # likewise: Thu 19 March, deadline 19 + 5 = Tue 24 March; the call (staff, its own ladder
    # gap) on Wed 25 March. F2's J+1 (26 March) meets the cap: 5, 12 and 19 March are 3
    # messages in 30 days until 5 March leaves the window on Sat 4 April; the next business
    # day is Tue 7 April (Easter Monday 6 April). F1's notice (J+30, 3 April) goes then; F2,
    # never written to, is listed apart and its J+1 rides along. Deadline 7 + 8 = Wed 15 April.
    # After the notice: only a complementary one, from 15 + 15 = Thu 30 April: F2 (named 7
    # April, 36 days late), F3 listed apart (due 15 April, never written to); deadline 30 April
    # + 8 = 8 May, a holiday: Mon 11 May; the next from 11 + 15 = Tue 26 May: F3.
    assert sent(STANDARD) == [
        (date(2026, 3, 5), "friendly", "email", [("F1", "informative")]),
        (date(2026, 3, 12), "reminder", "email", [("F1", "reminder")]),
        (date(2026, 3, 19), "firm", "email", [("F1", "firm")]),
        (date(2026, 3, 25), "phone_call", "phone_task", [("F1", "phone_call")]),
        (
            date(2026, 4, 7),
            "formal_notice",
            "registered_letter",
            [("F1", "formal_notice"), ("F2", "informative")],
        ),
        (
            date(2026, 4, 30),
            "formal_notice",
            "registered_letter",
            [("F2", "formal_notice"), ("F3", "informative")],
        ),
        (date(2026, 5, 26), "formal_notice", "registered_letter", [("F3", "formal_notice")]),
    ]


def test_gentle_new_invoices_join_in_the_conversation_tone() -> None:
    """GENTLE: 7 messages; F2 and F3 join firm, their courtesy steps ride along, never alone."""
    # F1: courtesy J-3 = Sun 1 March -> Mon 2 March; J+5 Mon 9 March; J+15 Thu 19 March. F2's
    # courtesy (Mon 23 March) waits: no courtesy message while the account is in dunning. F1's
    # firm J+30 Fri 3 April (8-day deadline: Sat 11 April -> Mon 13 April) carries it. Then
    # Tue 14 April: F2's J+5 and F3's courtesy, in the conversation's firm tone. F1's notice
    # J+45 = Sat 18 April -> Mon 20 April, 7 days after 14 April: Tue 21 April, with F2 pulled
    # forward (named 3 and 14 April, 27 days late) and F3 listed apart (6 days late), deadline
    # Wed 29 April. The complementary notice for F3 from 29 + 15 = Thu 14 May, Ascension: the
    # next business day, Fri 15 May.
    got = sent(GENTLE)
    assert [(d, t, c) for d, t, c, _ in got] == [
        (date(2026, 3, 2), "courtesy", "email"),
        (date(2026, 3, 9), "friendly", "email"),
        (date(2026, 3, 19), "reminder", "email"),
        (date(2026, 4, 3), "firm", "email"),
        (date(2026, 4, 14), "firm", "email"),
        (date(2026, 4, 21), "formal_notice", "registered_letter"),
        (date(2026, 5, 15), "formal_notice", "registered_letter"),
    ]
    assert got[3][3] == [("F1", "firm"), ("F2", "courtesy")]
    assert got[4][3] == [("F2", "friendly"), ("F3", "courtesy")]
    assert got[5][3] == [("F1", "formal_notice"), ("F2", "formal_notice"), ("F3", "friendly")]
    assert got[6][3] == [("F3", "formal_notice")]


def test_firm_later_invoices_wait_for_the_handover() -> None:
    """FIRM: 3 messages; F2 and F3, never written to before the notice, are not chased after it."""
    # F1: J+1 Thu 5 March; the SMS J+7 (11 March) waits for the gap: Thu 12 March; the notice
    # J+15 Thu 19 March (deadline 27 March). F2 falls due on 25 March, after the notice: it
    # waits for a person (no complementary notice for an invoice never reminded).
    assert sent(FIRM) == [
        (date(2026, 3, 5), "reminder", "email", [("F1", "reminder")]),
        (date(2026, 3, 12), "reminder", "sms", [("F1", "sms")]),
        (date(2026, 3, 19), "formal_notice", "registered_letter", [("F1", "formal_notice")]),
    ]


def test_reading_a_conversation_from_the_events() -> None:
    """A firm email on 18 March and a notice on 30 March: level 5, deadlines, invoices named."""
    customer = Customer(id="C", name="C")
    events = {
        "F1": [
            ActionTaken(at=_at(2026, 3, 18), action_id="a1", channel=Channel.EMAIL, step_id="firm"),
            ActionTaken(
                at=_at(2026, 3, 30),
                action_id="a2",
                channel=Channel.REGISTERED_LETTER,
                step_id="formal_notice",
            ),
        ],
        "F2": [
            ActionTaken(
                at=_at(2026, 3, 30),
                action_id="a3",
                channel=Channel.REGISTERED_LETTER,
                step_id="reminder",
            )
        ],
    }
    c = read_conversation(events, STANDARD, customer, at=_at(2026, 4, 2))
    assert c == Conversation(
        level=5,
        last_day=date(2026, 3, 30),
        recent_days=(date(2026, 3, 18), date(2026, 3, 30)),
        # 30 March + 8 = 7 April (a Tuesday); the firm email's 23 March is earlier.
        deadline_on=date(2026, 4, 7),
        notice_on=date(2026, 3, 30),
        notice_deadline_on=date(2026, 4, 7),
        notice_days=(date(2026, 3, 30),),
        on_notice=frozenset({"F1"}),
        named={"F1": (date(2026, 3, 18), date(2026, 3, 30)), "F2": (date(2026, 3, 30),)},
        handed_over=False,
    )
    # 180 days after the notice without a message, the conversation has closed.
    closed = read_conversation(events, STANDARD, customer, at=_at(2026, 9, 26))
    assert (closed.level, closed.notice_on, closed.on_notice) == (0, None, frozenset({"F1"}))


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=PARIS)


def test_an_account_met_late_gets_a_reprise_never_a_notice_first() -> None:
    """Jump to the due level, 40 days late, never written to: a firm email first, then the notice.

    F1 of the issue's customer (due 4 March) is imported on 13 April, 40 days late. STANDARD
    with ``jump_to_due_level`` proposes the notice (J+30) at once; the customer was never
    written to, so the reprise goes instead: the firm email (the firmest written step below the
    notice) with its 5-day deadline, 13 + 5 = Sat 18 April -> Mon 20 April. The notice follows
    on Mon 20 April + 1 = Tue 21 April (7 days after 13 April would be 20 April, still inside
    the deadline).
    """
    jump = STANDARD.model_copy(update={"catch_up": CatchUp.JUMP_TO_DUE_LEVEL})
    [f1, *_] = three_invoices()
    got = walk([f1], jump, start=date(2026, 4, 13), days=30)
    assert [(s.on, s.action.template, [a.step_id for a in s.action.covers]) for s in got] == [
        (date(2026, 4, 13), "firm", ["firm"]),
        (date(2026, 4, 21), "formal_notice", ["formal_notice"]),
    ]


def test_no_interest_runs_on_money_received_on_account() -> None:
    """DOMAIN 9.7: 10,000.00 due 3 March 2026, 6,000.00 on account on 5 March: 43.94 to 2 April.

    12.15 % (2026 H1): 10,000.00 x 2 days (4-5 March) = 6.6575 -> 6.66; then 4,000.00 x 28 days
    (6 March - 2 April) = 37.28; 43.94, not 99.86 on the whole 10,000.00 for 30 days.
    """
    customer = Customer(id="C", name="Client SARL")
    invoice = Invoice(
        id="F1",
        number="2026-0101",
        customer=customer,
        issued_on=date(2026, 2, 1),
        due_on=date(2026, 3, 3),
        total=Decimal(10000),
    )
    on_account = PaymentOnAccount(customer_id="C", on=date(2026, 3, 5), amount=Decimal(6000))
    [action] = plan_for_customer(
        [InvoiceHistory(invoice=invoice), on_account],
        STANDARD,
        at=_at(2026, 4, 2),
        with_penalties=True,
    )
    [line] = action.invoices
    assert line.amount_due == Decimal("4000.00")
    assert line.penalties is not None
    assert line.penalties.interest == Decimal("43.94")
    assert action.unapplied_credit == Decimal(0)


def test_wrong_conversation_rules_fail_at_load_naming_the_field() -> None:
    """A negative gap and a float amount are refused when the scenario loads, each by name."""
    data = STANDARD.model_dump(mode="json")
    data["conversation"] = {"customer_gap_days": -1, "notice_minimum": 150.0}
    with pytest.raises(ScenarioError) as raised:
        scenario_from_mapping(data)
    assert [(d.location, d.code) for d in raised.value.details] == [
        ("conversation.customer_gap_days", "greater_than_equal"),
        ("conversation.notice_minimum", "float_amount"),
    ]


def test_held_until_is_the_first_day_another_rule_can_let_a_message_out() -> None:
    """held_until: spacing of notices, a complementary notice, due dates, then rule 2 on top."""
    leroy = Customer(id="C", name="Leroy SARL")
    # A notice on Mon 5 Jan, conversation closed since: the next notice 60 days later, Fri 6
    # March (before the 90 quiet days, 5 April).
    spaced = Conversation(last_day=date(2026, 1, 5), notice_days=(date(2026, 1, 5),))
    assert held_until(spaced, STANDARD, leroy, today=date(2026, 2, 2)) == date(2026, 3, 6)
    # The notice of Tue 7 April, deadline Wed 15 April: a complementary one from 15 + 15 = Thu
    # 30 April (spacing: 6 June; quiet: 6 July).
    notice = Conversation(
        level=5,
        last_day=date(2026, 4, 7),
        recent_days=(date(2026, 4, 7),),
        deadline_on=date(2026, 4, 15),
        notice_on=date(2026, 4, 7),
        notice_deadline_on=date(2026, 4, 15),
        notice_days=(date(2026, 4, 7),),
    )
    assert held_until(notice, STANDARD, leroy, today=date(2026, 4, 20)) == date(2026, 4, 30)
    # Due 4 March: 15 days late (pulled forward) on Thu 19 March; but 3 messages in 30 days
    # (20 Feb, 5 and 12 March) until 20 Feb leaves the window on Sun 22 March: Mon 23 March.
    capped = Conversation(
        level=2,
        last_day=date(2026, 3, 12),
        recent_days=(date(2026, 2, 20), date(2026, 3, 5), date(2026, 3, 12)),
    )
    due = [date(2026, 3, 4), date(2026, 3, 25)]
    assert held_until(capped, STANDARD, leroy, today=date(2026, 3, 16), due_dates=due) == date(
        2026, 3, 23
    )
    uncapped = Conversation(level=2, last_day=date(2026, 3, 12), recent_days=(date(2026, 3, 12),))
    assert held_until(uncapped, STANDARD, leroy, today=date(2026, 3, 16), due_dates=due) == date(
        2026, 3, 19
    )
