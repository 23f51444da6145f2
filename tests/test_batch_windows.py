"""Nightly batches and send windows: a 02:00 run escalates like a 10:30 one (issue 19, item 2).

One invoice of 1,200.00 EUR, due Monday 2 March 2026, customer in Paris (business). Each day
of 40 (1 March to 9 April) one run, either at 10:30 or at 02:00 (with ``prepare_ahead`` of
24 hours); every message awaiting approval is approved at 15:00 the same day.

Worked out by hand, STANDARD (J+1 email, J+7 reminder, J+14 firm with 5 days, J+21 phone
task in the default window 10:00-13:00, J+30 formal notice, approval), gap 5 days per invoice,
the conversation's 7 days between messages to the customer and at most 3 in 30 rolling days:

- informative: J+1 = Tue 3 Mar.
- reminder: J+7 = Mon 9 Mar, but 7 days after 3 Mar is Tue 10 Mar.
- firm: J+14 = Mon 16 Mar, but 7 days after 10 Mar is Tue 17 Mar; it states 5 days:
  22 Mar is a Sunday, rolled to Mon 23 Mar.
- phone task (staff, no customer gap): J+21 = Mon 23 Mar, but not before the day after the
  stated deadline: Tue 24 Mar, at 10:00 (its window opens; 10:30 for the 10:30 run).
- formal notice: J+30 = Wed 1 Apr, but the customer had 3 messages in the 30 days from 3 Mar
  (3, 10, 17 Mar): Thu 2 Apr, when 3 Mar leaves the window. Prepared (pending) on 2 Apr,
  approved at 15:00, sent with the next run: Fri 3 Apr.

WINDOWED (J+1 email, J+7 SMS, J+14 phone task, J+21 formal notice by registered letter, all
three with a window 09:00-19:00 on business days):

- reminder: Tue 3 Mar. SMS: J+7 = Mon 9 Mar, 7 days after 3 Mar: Tue 10 Mar, 09:00.
- phone task: J+14 = Mon 16 Mar (the per-invoice gap from 10 Mar ends on 15 Mar), 09:00.
- formal notice: J+21 = Mon 23 Mar (gap from 16 Mar: 21 Mar, a Saturday), prepared and
  approved on 23 Mar, sent Tue 24 Mar at 09:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dunning import STANDARD, Channel, Payment
from dunning.adapters.memory import MemorySender, MemoryStore, SimulatedCrash
from dunning.adapters.postgres import PostgresStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus, reached_at
from dunning.core.scenario import Scenario
from dunning.runner import Dunner, Outcome
from dunning.testing import make_creditor, make_customer, make_invoice
from tests.helpers import empty_store

PARIS = ZoneInfo("Europe/Paris")
DUE = date(2026, 3, 2)  # a Monday
DAY = timedelta(hours=24)
OFFICE_HOURS = [{"start": "09:00", "end": "19:00"}]
WINDOWED = Scenario.model_validate(
    {
        "id": "windowed",
        "steps": [
            {
                "id": "reminder",
                "kind": "reminder",
                "level": 1,
                "offset_days": 1,
                "channel": "email",
            },
            {"id": "sms", "kind": "reminder", "level": 2, "offset_days": 7, "channel": "sms"},
            {
                "id": "phone_call",
                "kind": "phone_call",
                "level": 3,
                "offset_days": 14,
                "channel": "phone_task",
            },
            {
                "id": "formal_notice",
                "kind": "formal_notice",
                "level": 4,
                "offset_days": 21,
                "channel": "registered_letter",
                "deadline_days": 8,
            },
        ],
        "send_windows": dict.fromkeys(("sms", "phone_task", "registered_letter"), OFFICE_HOURS),
    }
)
Sent = tuple[date, str, tuple[str, ...]]

Store = MemoryStore | SqliteStore | PostgresStore


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store: in memory or a SQLite file."""
    with empty_store(request.param, request, tmp_path) as empty:
        yield empty


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def dunner(store: Store, scenario: Scenario, *, schedules: bool) -> Dunner:
    senders = {c: MemorySender(c, schedules=schedules) for c in Channel}
    return Dunner(store, store, senders, scenario, make_creditor(), owner="batch")


def simulate(
    store: Store,
    scenario: Scenario,
    run_at: time,
    *,
    schedules: bool = False,
    deliver_at: time | None = None,
) -> list[tuple[date, time, str, tuple[str, ...]]]:
    """40 daily runs at *run_at*; what reached the customer: (day, time, channel, steps)."""
    store.add_invoice(make_invoice(due_on=DUE))
    runner = dunner(store, scenario, schedules=schedules)
    ahead = DAY if run_at < time(9) else None
    for n in range(40):
        day = date(2026, 3, 1) + timedelta(days=n)
        report = runner.run(at=at(day, run_at.hour, run_at.minute), prepare_ahead=ahead)
        assert not report.needs_attention, str(report)
        if deliver_at is not None:
            passed = runner.deliver_due(at=at(day, deliver_at.hour, deliver_at.minute))
            assert not passed.needs_attention, str(passed)
        for entry in store.entries_with(EntryStatus.PENDING_APPROVAL):
            runner.approve(entry.key, by="claire", at=at(day, 15))
    sent = []
    for entry in sorted(store.entries_with(EntryStatus.SENT), key=reached_at):
        local = reached_at(entry).astimezone(PARIS)
        steps = tuple(c.step_id for c in entry.covers)
        sent.append((local.date(), local.time(), entry.channel.value, steps))
    return sent


def days(sent: list[tuple[date, time, str, tuple[str, ...]]]) -> list[Sent]:
    return [(day, channel, steps) for day, _, channel, steps in sent]


STANDARD_BY_HAND: list[Sent] = [
    (date(2026, 3, 3), "email", ("informative",)),
    (date(2026, 3, 10), "email", ("reminder",)),
    (date(2026, 3, 17), "email", ("firm",)),
    (date(2026, 3, 24), "phone_task", ("phone_call",)),
    (date(2026, 4, 3), "registered_letter", ("formal_notice",)),
]
WINDOWED_BY_HAND: list[Sent] = [
    (date(2026, 3, 3), "email", ("reminder",)),
    (date(2026, 3, 10), "sms", ("sms",)),
    (date(2026, 3, 16), "phone_task", ("phone_call",)),
    (date(2026, 3, 24), "registered_letter", ("formal_notice",)),
]


def test_a_10_30_run_gives_the_dates_worked_out_by_hand(store: Store) -> None:
    """The reference: daily runs at 10:30, inside every window, on both ladders."""
    assert days(simulate(store, STANDARD, time(10, 30))) == STANDARD_BY_HAND


def test_a_10_30_run_of_the_windowed_ladder() -> None:
    """The reference for the ladder with SMS, phone and notice windows of 09:00-19:00."""
    assert days(simulate(MemoryStore(), WINDOWED, time(10, 30))) == WINDOWED_BY_HAND


def test_a_02_00_batch_without_prepare_ahead_never_escalates() -> None:
    """The vendor's problem: at 02:00 the phone task is never due, so nothing after it goes."""
    sent = days(simulate(MemoryStore(), STANDARD, time(2)))
    assert sent == STANDARD_BY_HAND[:3]


def test_a_02_00_batch_with_a_scheduling_sender_sends_the_same_steps(store: Store) -> None:
    """Same steps, same days; the phone task is handed over at 02:00 to go at 10:00."""
    sent = simulate(store, STANDARD, time(2), schedules=True)
    assert days(sent) == STANDARD_BY_HAND
    assert [(day, clock) for day, clock, channel, _ in sent if channel == "phone_task"] == [
        (date(2026, 3, 24), time(10))
    ]


def test_a_02_00_batch_with_a_delivery_pass_sends_the_same_steps(store: Store) -> None:
    """Without scheduling: held at 02:00, sent by the 10:05 pass, inside 10:00-13:00."""
    sent = simulate(store, STANDARD, time(2), deliver_at=time(10, 5))
    assert days(sent) == STANDARD_BY_HAND
    assert [clock for _, clock, channel, _ in sent if channel == "phone_task"] == [time(10, 5)]


@pytest.mark.parametrize(("schedules", "deliver_at"), [(True, None), (False, time(9, 5))])
def test_the_windowed_ladder_at_02_00_matches_the_10_30_run(
    schedules: bool,
    deliver_at: time | None,
) -> None:
    """SMS, phone task and the approved notice go on the same days, inside 09:00-19:00."""
    sent = simulate(MemoryStore(), WINDOWED, time(2), schedules=schedules, deliver_at=deliver_at)
    assert days(sent) == WINDOWED_BY_HAND
    expected = time(9) if schedules else time(9, 5)
    for _, clock, channel, _ in sent:
        if channel != "email":
            assert clock == expected  # inside 09:00-19:00, at its opening or the pass


# -- one night in detail --------------------------------------------------------------------


def _to_sms_night(store: Store, *, schedules: bool) -> Dunner:
    """The reminder sent on Tue 3 Mar; the run of Tue 10 Mar at 02:00 prepares the SMS."""
    store.add_invoice(make_invoice(due_on=DUE))
    runner = dunner(store, WINDOWED, schedules=schedules)
    assert runner.run(at=at(date(2026, 3, 3), 2)).counts() == {"sent": 1}
    return runner


def test_a_scheduling_sender_gets_the_opening_in_its_context(store: Store) -> None:
    """Called at once with not_before = 09:00 local; the message is dated 10 March."""
    runner = _to_sms_night(store, schedules=True)
    night = at(date(2026, 3, 10), 2)
    report = runner.run(at=night, prepare_ahead=DAY)
    assert report.counts() == {"sent": 1}
    sms = runner.senders[Channel.SMS]
    assert isinstance(sms, MemorySender)
    [context] = sms.contexts
    assert context.not_before == at(date(2026, 3, 10), 9)
    [entry] = [e for e in store.entries_with(EntryStatus.SENT) if e.channel is Channel.SMS]
    assert (entry.attempted_at, entry.not_before) == (night, at(date(2026, 3, 10), 9))
    assert store.last_message_at("C-001", at=at(date(2026, 3, 10), 12)) == at(date(2026, 3, 10), 9)


def test_a_held_message_is_sent_once_by_the_pass_inside_its_window(store: Store) -> None:
    """Held at 02:00; a pass at 08:59 sends nothing; at 09:05 it goes; again, nothing."""
    runner = _to_sms_night(store, schedules=False)
    report = runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY)
    assert report.counts() == {"held_for_window": 1}
    [held] = store.entries_with(EntryStatus.RESERVED)
    assert (held.attempts, held.not_before, held.not_after) == (
        0,
        at(date(2026, 3, 10), 9),
        at(date(2026, 3, 10), 19),
    )
    assert runner.deliver_due(at=at(date(2026, 3, 10), 8, 59)).counts() == {}
    assert runner.deliver_due(at=at(date(2026, 3, 10), 9, 5)).counts() == {"sent": 1}
    assert runner.deliver_due(at=at(date(2026, 3, 10), 9, 6)).counts() == {}
    assert runner.run(at=at(date(2026, 3, 10), 10)).counts() == {}
    sms = runner.senders[Channel.SMS]
    assert isinstance(sms, MemorySender)
    assert len(sms.sent) == 1
    assert sms.contexts[0].not_before is None  # sent now: nothing to schedule


def test_a_run_inside_the_window_sends_a_held_message_once(store: Store) -> None:
    """No pass: the 10:30 run of the same day sends what 02:00 held, and only once."""
    runner = _to_sms_night(store, schedules=False)
    runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY)
    assert runner.run(at=at(date(2026, 3, 10), 10, 30)).counts() == {"sent": 1}
    assert runner.deliver_due(at=at(date(2026, 3, 10), 10, 31)).counts() == {}
    sms = runner.senders[Channel.SMS]
    assert isinstance(sms, MemorySender)
    assert len(sms.sent) == 1


def test_a_payment_before_the_window_cancels_the_held_message_at_the_next_run(
    store: Store,
) -> None:
    """Paid at 08:00: a run inside the window re-reviews and cancels it; nothing goes."""
    runner = _to_sms_night(store, schedules=False)
    runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY)
    store.add_event("INV-001", Payment(on=date(2026, 3, 10), amount=Decimal("1200.00")))
    assert runner.run(at=at(date(2026, 3, 10), 9, 30)).counts() == {"cancelled": 1}
    assert runner.deliver_due(at=at(date(2026, 3, 10), 9, 35)).counts() == {}
    sms = runner.senders[Channel.SMS]
    assert isinstance(sms, MemorySender)
    assert sms.sent == []


def test_a_payment_after_the_batch_stops_the_held_message_at_the_pass(store: Store) -> None:
    """Held at 02:00, paid at 08:00: the 09:05 pass re-reviews the customer and cancels it.

    Nothing reaches a customer who has paid (the batch's preview is not sent blindly).
    """
    runner = _to_sms_night(store, schedules=False)
    runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY)
    store.add_event("INV-001", Payment(on=date(2026, 3, 10), amount=Decimal("1200.00")))
    passed = runner.deliver_due(at=at(date(2026, 3, 10), 9, 5))
    assert passed.counts() == {"cancelled": 1}
    assert store.entries_with(EntryStatus.RESERVED) == []
    sms = runner.senders[Channel.SMS]
    assert isinstance(sms, MemorySender)
    assert sms.sent == []


def test_the_pass_reviews_only_the_customers_of_held_messages(store: Store) -> None:
    """An invoice imported at 08:00, its J+1 due now: the 09:05 pass leaves it to the next run.

    The pass sends the held SMS only; the new customer's reminder goes with the next batch.
    """
    runner = _to_sms_night(store, schedules=False)
    runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY)
    other = make_customer(id="C-002", name="Client 2")
    store.add_invoice(make_invoice(id="INV-002", customer=other, due_on=date(2026, 3, 9)))
    passed = runner.deliver_due(at=at(date(2026, 3, 10), 9, 5))
    assert [(i.outcome.value, i.customer_id) for i in passed.items] == [("sent", "C-001")]
    nightly = runner.run(at=at(date(2026, 3, 11), 2), prepare_ahead=DAY)
    assert [(i.outcome.value, i.customer_id) for i in nightly.items] == [("sent", "C-002")]


def test_a_window_missed_is_prepared_again_for_the_next_one(store: Store) -> None:
    """No pass on the 10th: the pass at 19:30 skips it; the next night holds it for the 11th."""
    runner = _to_sms_night(store, schedules=False)
    runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY)
    late = runner.deliver_due(at=at(date(2026, 3, 10), 19, 30))
    assert late.counts() == {"skipped": 1}
    assert runner.run(at=at(date(2026, 3, 11), 2), prepare_ahead=DAY).counts() == {
        "held_for_window": 1
    }
    [held] = store.entries_with(EntryStatus.RESERVED)
    assert held.not_before == at(date(2026, 3, 11), 9)
    assert runner.deliver_due(at=at(date(2026, 3, 11), 9, 5)).counts() == {"sent": 1}


def test_a_crash_after_a_scheduled_send_is_never_sent_again(store: Store) -> None:
    """The provider took it, the process died: uncertain at the next run, never re-sent."""
    runner = _to_sms_night(store, schedules=True)
    sms = runner.senders[Channel.SMS]
    assert isinstance(sms, MemorySender)
    sms.crash_after_send = True
    with pytest.raises(SimulatedCrash):
        runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY)
    again = runner.run(at=at(date(2026, 3, 10), 2, 30), prepare_ahead=DAY)
    assert again.counts() == {"uncertain": 1}
    assert runner.deliver_due(at=at(date(2026, 3, 10), 9, 5)).counts() == {}
    assert len(sms.sent) == 1


def test_a_crash_in_the_delivery_pass_is_never_sent_again(store: Store) -> None:
    """Died after the provider took it in the pass: uncertain, reported, never sent twice."""
    runner = _to_sms_night(store, schedules=False)
    runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY)
    sms = runner.senders[Channel.SMS]
    assert isinstance(sms, MemorySender)
    sms.crash_after_send = True
    with pytest.raises(SimulatedCrash):
        runner.deliver_due(at=at(date(2026, 3, 10), 9, 5))
    assert runner.deliver_due(at=at(date(2026, 3, 10), 9, 10)).counts() == {}
    assert runner.run(at=at(date(2026, 3, 10), 10)).counts() == {"uncertain": 1}
    assert len(sms.sent) == 1


def test_a_dry_run_ahead_writes_nothing(store: Store) -> None:
    """A dry run at 02:00 says it would send the SMS; nothing is reserved."""
    runner = _to_sms_night(store, schedules=False)
    report = runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=DAY, dry_run=True)
    assert report.counts() == {"would_send": 1}
    assert store.entries_with(EntryStatus.RESERVED) == []


def test_an_evening_run_prepares_the_next_morning_dated_that_day(store: Store) -> None:
    """At 20:00 on Mon 23 Mar (window closed), the notice is prepared for Tue 24 Mar 09:00.

    Its deadline of 8 days counts from the 24th: 1 April (a Wednesday), not 31 March.
    """
    store.add_invoice(make_invoice(due_on=DUE))
    runner = dunner(
        store, WINDOWED.model_copy(update={"steps": WINDOWED.steps[3:]}), schedules=True
    )
    report = runner.run(at=at(date(2026, 3, 23), 20), prepare_ahead=DAY)
    assert report.counts() == {"pending_approval": 1}
    [pending] = store.entries_with(EntryStatus.PENDING_APPROVAL)
    assert pending.not_before == at(date(2026, 3, 24), 9)
    assert [c.deadline_on for c in pending.covers] == [date(2026, 4, 1)]


def test_a_negative_horizon_is_refused() -> None:
    """prepare_ahead below zero is a configuration error, said at once."""
    from dunning.exceptions import ConfigurationError  # noqa: PLC0415

    runner = dunner(MemoryStore(), WINDOWED, schedules=False)
    with pytest.raises(ConfigurationError, match="prepare_ahead"):
        runner.run(at=at(date(2026, 3, 10), 2), prepare_ahead=-DAY)


def test_outcome_names_the_held_state() -> None:
    """The report's word for a message held for its window."""
    assert Outcome.HELD_FOR_WINDOW.value == "held_for_window"


# -- the command line ----------------------------------------------------------------------


def _scenario_file(tmp_path: Path) -> Path:
    file = tmp_path / "windowed.json"
    file.write_text(WINDOWED.model_dump_json(), encoding="utf-8")
    return file


def test_lint_warns_when_the_run_time_misses_every_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--run-at 02:00: a warning per windowed step (stable code); 10:30 or --prepare-ahead: none."""
    from dunning.cli import main  # noqa: PLC0415

    file = _scenario_file(tmp_path)
    assert main(["lint", str(file), "--run-at", "02:00"]) == 0
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines()[:-1]] == [
        "run_time_outside_send_window (step sms)",
        "run_time_outside_send_window (step phone_call)",
        "run_time_outside_send_window (step formal_notice)",
    ]
    assert "sms goes only 09:00-19:00 on business days" in out
    assert main(["lint", str(file), "--run-at", "02:00", "--strict"]) == 1
    capsys.readouterr()
    assert main(["lint", str(file), "--run-at", "10:30"]) == 0
    assert "no findings" in capsys.readouterr().out
    assert main(["lint", str(file), "--run-at", "02:00", "--prepare-ahead"]) == 0
    assert "no findings" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="2"):
        main(["lint", str(file), "--run-at", "25:00"])
    assert "'25:00' is not a local time HH:MM" in capsys.readouterr().err


def test_the_command_line_batch_holds_then_delivers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --prepare-ahead` at 02:00 holds the SMS; `run --deliver-due` at 09:05 sends it."""
    from dunning.cli import main  # noqa: PLC0415

    db = tmp_path / "book.db"
    with SqliteStore(db) as book:
        book.add_invoice(make_invoice(due_on=DUE))
        book.set_creditor(make_creditor())
    file = str(_scenario_file(tmp_path))
    common = ["--db", str(db), "--scenario", file]
    assert main(["run", *common, "--at", "2026-03-03T02:00+01:00"]) == 0
    assert main(["run", *common, "--at", "2026-03-10T02:00+01:00", "--prepare-ahead"]) == 0
    assert ": 1 held_for_window" in capsys.readouterr().out
    assert main(["run", *common, "--at", "2026-03-10T09:05+01:00", "--deliver-due"]) == 0
    out = capsys.readouterr().out
    assert ": 1 sent" in out
    assert "sms" in out
    assert main(["run", *common, "--at", "2026-03-10T09:06+01:00", "--deliver-due"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    both = ["--prepare-ahead", "--deliver-due"]
    with pytest.raises(SystemExit, match="2"):
        main(["run", *common, "--at", "2026-03-11T02:00+01:00", *both])


def test_only_a_window_opening_within_the_horizon_is_prepared() -> None:
    """Mon 9 Mar at 20:00 (closed at 19:00): Tuesday's 09:00 is 13 hours away.

    The SMS is planned J+7 = Mon 9 Mar (the email of 3 Mar plus the gap of 5 ends on the 8th).
    Within 12 hours nothing opens: waiting, reviewed at 21:00 (09:00 less 12 hours); within 13
    hours it is due for Tuesday 09:00 to 19:00. Without a horizon: waiting until 09:00.
    """
    from dunning.core.engine import decide  # noqa: PLC0415
    from dunning.core.model import ActionTaken  # noqa: PLC0415

    invoice = make_invoice(due_on=DUE)
    email = ActionTaken(
        at=at(date(2026, 3, 3), 10), action_id="a1", channel=Channel.EMAIL, step_id="reminder"
    )
    evening = at(date(2026, 3, 9), 20)
    plain = decide(invoice, [email], WINDOWED, at=evening)
    assert (plain.status.value, plain.next_review_at) == ("waiting", at(date(2026, 3, 10), 9))
    short = decide(invoice, [email], WINDOWED, at=evening, prepare_ahead=timedelta(hours=12))
    assert (short.status.value, short.next_review_at) == ("waiting", at(date(2026, 3, 9), 21))
    long = decide(invoice, [email], WINDOWED, at=evening, prepare_ahead=timedelta(hours=13))
    assert long.action is not None
    assert (long.status.value, long.action.step_id) == ("action_due", "sms")
    assert (long.action.not_before, long.action.not_after) == (
        at(date(2026, 3, 10), 9),
        at(date(2026, 3, 10), 19),
    )
    assert long.action.days_late == 8  # counted on Tuesday 10 March
