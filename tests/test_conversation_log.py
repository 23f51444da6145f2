"""A customer's messages read once and kept up to date read as the events read afresh.

`dunning.core._conversation_log`: the simulation keeps each customer's `Log` and hands it
each `ActionTaken` it records, instead of reading every event again; the conversation it then
gives must be the one `read_conversation` reads from the events.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from dunning.core._conversation_log import read_log, steps_by_id
from dunning.core.builtin import GENTLE, STANDARD
from dunning.core.conversation import Conversation, conversation_at, read_conversation
from dunning.core.model import ActionTaken, Channel, Customer, DeliveryFailed, Invoice
from dunning.core.portfolio import InvoiceHistory
from dunning.core.scenario import Scenario
from dunning.core.simulate._book import Book
from tests.helpers import PARIS

CUSTOMER = Customer(id="C", name="C")
STEPS = steps_by_id(STANDARD)


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=PARIS)


FIRM = ActionTaken(at=_at(3, 18), action_id="a1", channel=Channel.EMAIL, step_id="firm")
NOTICE = ActionTaken(
    at=_at(3, 30), action_id="a2", channel=Channel.REGISTERED_LETTER, step_id="formal_notice"
)
F2_REMINDER = ActionTaken(
    at=_at(3, 30), action_id="a3", channel=Channel.REGISTERED_LETTER, step_id="reminder"
)
# The conversation of `test_conversation.test_reading_a_conversation_from_the_events`: a firm
# email to F1 on 18 March, then one registered letter on 30 March, F1's notice and F2's
# reminder. Read on 2 April: level 5 (the notice), 30 March + 8 days = Tue 7 April.
EXPECTED = Conversation(
    level=5,
    last_day=date(2026, 3, 30),
    recent_days=(date(2026, 3, 18), date(2026, 3, 30)),
    deadline_on=date(2026, 4, 7),
    notice_on=date(2026, 3, 30),
    notice_deadline_on=date(2026, 4, 7),
    notice_days=(date(2026, 3, 30),),
    on_notice=frozenset({"F1"}),
    named={"F1": (date(2026, 3, 18), date(2026, 3, 30)), "F2": (date(2026, 3, 30),)},
    handed_over=False,
)


def test_messages_recorded_one_by_one_read_as_the_events_read_afresh() -> None:
    """The firm email read, then the notice and F2's reminder of one instant: one message."""
    log = read_log({"F1": [FIRM], "F2": []}, STANDARD, CUSTOMER, at=_at(3, 18))
    noticed = log.taken([("F1", NOTICE)], STANDARD, CUSTOMER, STEPS)
    assert noticed is not None
    both = noticed.taken([("F2", F2_REMINDER)], STANDARD, CUSTOMER, STEPS)
    assert both is not None
    assert len(both.sent) == 2  # the letter of 30 March is one message, not two
    assert conversation_at(both, STANDARD, CUSTOMER, at=_at(4, 2)) == EXPECTED
    events = {"F1": [FIRM, NOTICE], "F2": [F2_REMINDER]}
    assert read_conversation(events, STANDARD, CUSTOMER, at=_at(4, 2)) == EXPECTED


def test_a_log_that_left_later_events_out_holds_only_where_it_was_read() -> None:
    """The notice dated 30 March, read on 18 March: the log says nothing of a later day."""
    log = read_log({"F1": [FIRM, NOTICE]}, STANDARD, CUSTOMER, at=_at(3, 18))
    assert [s.day for s in log.sent] == [date(2026, 3, 18)]
    assert log.holds_at(_at(3, 18))
    assert not log.holds_at(_at(4, 2))
    assert log.taken([("F2", F2_REMINDER)], STANDARD, CUSTOMER, STEPS) is None
    failed_later = DeliveryFailed(at=_at(3, 20), action_id="a1", reason="bounced")
    log = read_log({"F1": [FIRM, failed_later]}, STANDARD, CUSTOMER, at=_at(3, 18))
    assert not log.holds_at(_at(4, 2))


def test_a_log_holds_neither_before_it_was_read_nor_for_an_older_event() -> None:
    """Read on 30 March: not the log of 18 March, and an event of 18 March is read afresh."""
    log = read_log({"F1": [NOTICE]}, STANDARD, CUSTOMER, at=_at(3, 30))
    assert log.holds_at(_at(4, 2))
    assert not log.holds_at(_at(3, 18))
    assert log.taken([("F1", FIRM)], STANDARD, CUSTOMER, STEPS) is None


def test_an_action_whose_delivery_failed_makes_no_message() -> None:
    """a2's letter bounced before it is recorded: no message, and F1 is not on notice."""
    failed = DeliveryFailed(at=_at(3, 20), action_id="a2", reason="returned")
    log = read_log({"F1": [FIRM, failed]}, STANDARD, CUSTOMER, at=_at(3, 29))
    after = log.taken([("F1", NOTICE)], STANDARD, CUSTOMER, STEPS)
    assert after is not None
    assert (len(after.sent), after.on_notice, after.failed) == (1, (), ("a2",))
    assert conversation_at(after, STANDARD, CUSTOMER, at=_at(4, 2)).last_day == date(2026, 3, 18)


def test_the_book_keeps_each_customers_messages_as_the_simulation_records_them() -> None:
    """A message recorded through the book is read; a failed delivery of it is read too."""
    invoice = Invoice(
        id="F1",
        number="1",
        customer=CUSTOMER,
        issued_on=date(2026, 1, 2),
        due_on=date(2026, 2, 6),
        total=Decimal("100.00"),
    )
    book = Book.of([InvoiceHistory(invoice=invoice, events=(FIRM,))])
    assert book.conversation("C", STANDARD, _at(3, 30)).last_day == date(2026, 3, 18)
    book.add("F1", NOTICE)
    after = book.conversation("C", STANDARD, _at(4, 2))
    assert (after.last_day, after.on_notice) == (date(2026, 3, 30), frozenset({"F1"}))
    book.add("F1", DeliveryFailed(at=_at(4, 2), action_id="a2", reason="returned"))
    bounced = book.conversation("C", STANDARD, _at(4, 2))
    assert (bounced.last_day, bounced.on_notice) == (date(2026, 3, 18), frozenset())


def _handing_over() -> Scenario:
    """STANDARD with a handover step after its notice (a staff step: no message)."""
    data = STANDARD.model_dump(mode="json")
    handover = {
        **data["steps"][3],
        "id": "handover",
        "kind": "handover",
        "name": "handover",
        "level": 6,
        "offset_days": 60,
        "channel": "handover",
        "fallback_channel": None,
        "template": "handover",
    }
    return Scenario.model_validate(
        {**data, "id": "handing_over", "steps": [*data["steps"], handover]}
    )


def test_a_handover_recorded_in_the_log_speaks_with_one_voice() -> None:
    """The file handed over on 31 March, after the notice: the open conversation is handed over."""
    scenario = _handing_over()
    steps = steps_by_id(scenario)
    log = read_log({"F1": [FIRM, NOTICE]}, scenario, CUSTOMER, at=_at(3, 30))
    assert not conversation_at(log, scenario, CUSTOMER, at=_at(4, 2)).handed_over
    handover = ActionTaken(
        at=_at(3, 31), action_id="a4", channel=Channel.HANDOVER, step_id="handover"
    )
    handed = log.taken([("F1", handover)], scenario, CUSTOMER, steps)
    assert handed is not None
    assert handed.sent == log.sent  # to the staff: no message to the customer
    assert conversation_at(handed, scenario, CUSTOMER, at=_at(4, 2)).handed_over


def test_the_book_reads_the_messages_again_for_another_scenario() -> None:
    """The firm email is level 3 in STANDARD, level 4 in GENTLE: each reads its own."""
    invoice = Invoice(
        id="F1",
        number="1",
        customer=CUSTOMER,
        issued_on=date(2026, 1, 2),
        due_on=date(2026, 2, 6),
        total=Decimal("100.00"),
    )
    book = Book.of([InvoiceHistory(invoice=invoice, events=(FIRM,))])
    assert book.conversation("C", STANDARD, _at(3, 20)).level == 3
    assert book.conversation("C", GENTLE, _at(3, 20)).level == 4


def _sent(day: date, step_id: str, action_id: str) -> ActionTaken:
    return ActionTaken(
        at=datetime(day.year, day.month, day.day, 10, tzinfo=PARIS),
        action_id=action_id,
        channel=Channel.EMAIL,
        step_id=step_id,
    )


def test_the_quiet_period_after_a_notice_runs_from_the_last_opening() -> None:
    """STANDARD closes after 90 quiet days, 180 once a notice went: counted since each opening."""
    # A notice on 5 January, an email 120 days later (5 May): under 180, still the same
    # conversation, at the notice's level 5.
    events = {"F1": [_sent(date(2026, 1, 5), "formal_notice", "a1")]}
    events["F2"] = [_sent(date(2026, 5, 5), "informative", "a2")]
    c = read_conversation(events, STANDARD, CUSTOMER, at=_at(5, 6))
    assert (c.level, c.notice_on) == (5, date(2026, 1, 5))
    # A notice on 6 January 2025; 210 days later (4 August) a firm email opens a new
    # conversation; 98 days after it (10 November) an email: the notice is not in the open
    # conversation, so 90 days close it and the email opens another, at its level 1.
    events = {
        "F1": [_sent(date(2025, 1, 6), "formal_notice", "a1")],
        "F2": [
            _sent(date(2025, 8, 4), "firm", "a2"),
            _sent(date(2025, 11, 10), "informative", "a3"),
        ],
    }
    at = datetime(2025, 11, 11, 10, tzinfo=PARIS)
    c = read_conversation(events, STANDARD, CUSTOMER, at=at)
    assert (c.level, c.notice_on) == (1, None)
    log = read_log(events, STANDARD, CUSTOMER, at=at)
    assert conversation_at(log, STANDARD, CUSTOMER, at=at) == c


def test_messages_recorded_one_at_a_time_read_as_the_events_read_afresh() -> None:
    """Each message added to the log reads, on every later day, as `read_conversation` reads."""

    # Quiet periods (90 days, 180 after a notice), an uncertain delivery, a staff task, two
    # invoices in one message, deadlines: recorded one message at a time.
    def taken(
        day: date, invoice_id: str, step_id: str, *, uncertain: bool = False
    ) -> tuple[str, ActionTaken]:
        channel = Channel.PHONE_TASK if step_id == "phone_call" else Channel.EMAIL
        at = datetime(day.year, day.month, day.day, 10, tzinfo=PARIS)
        event = ActionTaken(
            at=at,
            action_id=f"{invoice_id}-{day}",
            channel=channel,
            step_id=step_id,
            uncertain=uncertain,
        )
        return invoice_id, event

    messages = [
        [taken(date(2025, 1, 6), "F1", "informative")],
        [taken(date(2025, 1, 13), "F1", "reminder", uncertain=True)],
        [taken(date(2025, 1, 20), "F1", "firm"), taken(date(2025, 1, 20), "F2", "informative")],
        [taken(date(2025, 1, 27), "F1", "phone_call")],
        [taken(date(2025, 2, 5), "F1", "formal_notice")],
        [taken(date(2025, 6, 5), "F2", "reminder")],  # 120 days: the notice's conversation
        [taken(date(2025, 12, 15), "F3", "informative")],  # 193 days: a new one
        [taken(date(2026, 3, 25), "F3", "reminder")],  # 100 days: another
    ]
    events: dict[str, list[ActionTaken]] = {"F1": [], "F2": [], "F3": []}
    log = read_log(events, STANDARD, CUSTOMER, at=datetime(2025, 1, 1, tzinfo=PARIS))
    on_notice_95_days = None
    for message in messages:
        for invoice_id, event in message:
            events[invoice_id].append(event)
        # The events of one instant in two calls: the second merges into the first's message.
        for part in (message[:1], message[1:]):
            updated = log.taken(part, STANDARD, CUSTOMER, STEPS)
            assert updated is not None
            log = updated
        recorded = message[0][1].at
        for later in (0, 1, 20, 95, 185):
            at = recorded + timedelta(days=later)
            expected = read_conversation(events, STANDARD, CUSTOMER, at=at)
            assert conversation_at(log, STANDARD, CUSTOMER, at=at) == expected, (recorded, later)
            if message[0][1].step_id == "formal_notice" and later == 95:
                on_notice_95_days = expected
    # What was read: 7 messages to the customer (the phone task is for staff), the notice's
    # conversation closed after 180 days, the last one opened by the email of 25 March 2026.
    assert len(log.sent) == 7
    # 95 days after the notice of 5 February 2025, its last message: still open (180 days).
    assert on_notice_95_days is not None
    assert (on_notice_95_days.level, on_notice_95_days.notice_on) == (5, date(2025, 2, 5))
    last = conversation_at(log, STANDARD, CUSTOMER, at=datetime(2026, 3, 26, 10, tzinfo=PARIS))
    assert (last.level, last.notice_days) == (2, (date(2025, 2, 5),))
    assert last.named["F1"] == (date(2025, 1, 6), date(2025, 1, 20), date(2025, 2, 5))


def test_events_of_two_instants_are_not_one_message() -> None:
    """Given the events of two instants at once, the log reads the events again."""
    log = read_log({"F1": []}, STANDARD, CUSTOMER, at=_at(3, 1))
    assert log.taken([("F1", FIRM), ("F1", NOTICE)], STANDARD, CUSTOMER, STEPS) is None
