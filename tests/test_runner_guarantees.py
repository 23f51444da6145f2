"""The five guarantees a host builds on (docs/running.md), each in the user's terms.

Invoices are due Monday 4 May 2026 (Paris) unless said otherwise. STANDARD: J+1 informative
email (Tue 5 May), J+7 reminder (Mon 11 May); NOTICE: a formal notice by registered letter at
J+1 with an 8-day deadline, approval required. Every test runs on the three reference stores.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dunning import STANDARD, Channel, Payment
from dunning.adapters.files import FileJournal
from dunning.adapters.memory import MemorySender, MemoryStore
from dunning.adapters.postgres import PostgresStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus
from dunning.core.render import RenderBudget
from dunning.exceptions import RunInThePastError
from dunning.model import ActionTaken
from dunning.ports import SendError
from dunning.runner import Dunner, Outcome, approve, resolve
from dunning.testing import FaultyLog, make_customer, make_invoice, paris
from tests.conversation_walk import per_invoice_spacing
from tests.helpers import empty_store
from tests.test_runner import CREDITOR, DUE, NEXT_MONDAY, NOTICE, TUESDAY

Store = MemoryStore | SqliteStore | PostgresStore


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store: in memory, a SQLite file, a schema on a throwaway PostgreSQL server."""
    with empty_store(request.param, request, tmp_path) as empty:
        yield empty


def customer(n: int = 1) -> object:
    """Customer C-00n, with an email and a postal address (for letters)."""
    return make_customer(
        id=f"C-{n:03}", name=f"Client {n}", postal_address=f"{n} rue des Lilas, 75001 Paris"
    )


def add(store: Store, invoice_id: str = "INV-001", n: int = 1, due: date = DUE) -> None:
    """Add an invoice of 1,200.00 EUR of customer n."""
    invoice = make_invoice(id=invoice_id, number=invoice_id, customer=customer(n), due_on=due)
    store.add_invoice(invoice)


def dunner(store: Store, *senders: MemorySender, **options: object) -> Dunner:
    """A runner named r1 on *store* (source and log) with the STANDARD scenario."""
    fields: dict[str, object] = {"scenario": per_invoice_spacing(STANDARD), "owner": "r1"}
    fields.update(options)
    return Dunner(
        store,
        fields.pop("log", store),  # type: ignore[arg-type]
        {s.channel: s for s in senders},
        creditor=CREDITOR,
        **fields,  # type: ignore[arg-type]
    )


def plain(text: str) -> str:
    """*text* with Babel's no-break spaces (U+202F, U+00A0) as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def steps_sent(store: Store, sender: MemorySender) -> list[tuple[str, str]]:
    """(invoice, step) of every message the sender accepted, in order: what customers read."""
    out: list[tuple[str, str]] = []
    for key, _ in sender.sent:
        entry = store.get(key)
        assert entry is not None
        out.extend((c.invoice_id, c.step_id) for c in entry.covers)
    return out


# ---------------------------------------------------------- 1. once per reminder, not per key


def test_an_uncertain_send_is_reported_every_run_until_resolved(store: Store) -> None:
    """Silence after DATA: the J+1 is uncertain; reported on every run, then resolved."""
    add(store)
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("timeout after DATA", delivered=None))
    runner = dunner(store, email)
    first = runner.run(at=TUESDAY)
    assert first.counts() == {"uncertain": 1}
    assert first.needs_attention
    [uncertain] = first.with_outcome(Outcome.UNCERTAIN)
    assert "dunning resolve" in uncertain.reason
    again = runner.run(at=TUESDAY + timedelta(days=1))
    assert again.with_outcome(Outcome.UNCERTAIN)[0].key == uncertain.key
    resolve(store, uncertain.key, delivered=True, by="claire", at=TUESDAY + timedelta(days=1))
    assert runner.run(at=TUESDAY + timedelta(days=2)).counts() == {}
    assert store.get(uncertain.key).status is EntryStatus.SENT  # type: ignore[union-attr]


def not_delivered(
    store: Store, resolved_at: datetime, **options: object
) -> tuple[MemorySender, Dunner, str]:
    """Tuesday's J+1 times out (uncertain), then is resolved "not delivered" at *resolved_at*.

    Returns the e-mail sender, the runner and the message's key.
    """
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("timeout after DATA", delivered=None))
    runner = dunner(store, email, **options)
    [item] = runner.run(at=TUESDAY).items
    resolve(store, item.key, delivered=False, by="claire", at=resolved_at)
    return email, runner, item.key


def test_resolved_not_delivered_the_step_goes_again_rendered_for_that_day(store: Store) -> None:
    """Not delivered after all: the next run sends the J+1, once, dated that day."""
    add(store)
    email, runner, _ = not_delivered(store, TUESDAY + timedelta(hours=2))
    thursday = paris(2026, 5, 7)
    assert runner.run(at=thursday).counts() == {"sent": 1}
    assert runner.run(at=thursday).counts() == {}
    assert steps_sent(store, email) == [("INV-001", "informative")]
    assert "(3 jours de retard)" in email.sent[0][1].text  # 7 May is J+3


def test_a_message_due_again_on_a_holiday_waits_and_the_log_says_why(store: Store) -> None:
    """Resolved not delivered on Friday 8 May (Victoire 1945): held, not "no longer due".

    The retry is cancelled (it is reserved again on the day it may go), and the log states the
    conversation's reason, not a payment or a dispute that never happened. It goes Monday.
    """
    add(store)
    holiday = paris(2026, 5, 8)
    email, runner, key = not_delivered(store, holiday - timedelta(hours=1))
    report = runner.run(at=holiday)
    assert report.counts() == {"cancelled": 1}
    [cancelled] = report.items
    expected = "held back today (EUR: 2026-05-08 is not a business day); due again when it may go"
    assert (cancelled.key, cancelled.reason) == (key, expected)
    assert store.get(key).reason == expected  # type: ignore[union-attr]
    assert email.sent == []
    assert runner.run(at=NEXT_MONDAY).counts() == {"sent": 1}
    assert [step for _, step in steps_sent(store, email)] == ["informative"]


def test_a_message_due_again_then_paid_is_cancelled_as_no_longer_due(store: Store) -> None:
    """Resolved not delivered, then paid in full before the next run: cancelled, and why."""
    add(store)
    thursday = paris(2026, 5, 7)
    email, runner, key = not_delivered(store, thursday - timedelta(hours=2))
    store.add_event("INV-001", Payment(on=date(2026, 5, 6), amount=Decimal("1200.00")))
    report = runner.run(at=thursday)
    assert [(i.outcome, i.key) for i in report.items] == [(Outcome.CANCELLED, key)]
    assert report.items[0].reason.startswith("no longer due (paid")
    assert email.sent == []


def test_a_message_due_again_and_folded_into_another_is_superseded_by_it(store: Store) -> None:
    """A's J+1, not delivered, goes on Wednesday with B's J+1 in one message, once."""
    add(store, "A", due=DUE)
    add(store, "B", due=date(2026, 5, 5))
    wednesday = paris(2026, 5, 6)
    email, runner, key = not_delivered(store, wednesday - timedelta(hours=1), scenario=STANDARD)
    report = runner.run(at=wednesday)
    assert report.counts() == {"sent": 1}
    assert store.get(key).status is EntryStatus.SUPERSEDED  # type: ignore[union-attr]
    assert steps_sent(store, email) == [("A", "informative"), ("B", "informative")]


def test_a_regrouped_message_never_carries_a_step_already_sent_again(store: Store) -> None:
    """Whatever the grouping, each (invoice, step) reaches the customer at most once."""
    add(store, "A", due=date(2026, 3, 2))
    add(store, "B", due=date(2026, 3, 5))
    email = MemorySender(Channel.EMAIL)
    runner = dunner(store, email)
    for day in range(3, 32):
        runner.run(at=paris(2026, 3, day))
    sent = steps_sent(store, email)
    assert len(sent) == len(set(sent))
    assert ("A", "informative") in sent
    assert ("B", "informative") in sent


# ---------------------------------------------------------- 2. true when it goes out


def test_a_notice_approved_weeks_later_is_dated_and_worked_out_on_the_day_it_goes(
    store: Store,
) -> None:
    """Prepared 5 May, approved 11 May (its preview said 13 May): sent 12 May, deadline 20 May.

    The approval covered 'au plus tard le 13 mai 2026'; sent on the 12th the letter states
    12 + 8 = 20 May: a later deadline gives the debtor more time than the approver saw, never
    less, so the approval holds (a nightly run after an afternoon approval must work). It goes
    dated the 12th: penalties 1,200.00 x 12.15 % x 8 / 365 = 3.1956 -> 3.20 EUR.
    """
    add(store)
    letter = MemorySender(Channel.REGISTERED_LETTER)
    runner = dunner(store, letter, scenario=NOTICE)
    [pending] = runner.run(at=TUESDAY).items
    preview = store.get(pending.key).message.text  # type: ignore[union-attr]
    assert "Le 5 mai 2026" in preview
    assert "au plus tard le 13 mai 2026" in preview
    approved = approve(store, pending.key, by="claire", at=paris(2026, 5, 11, 16))
    assert approved.decided_at == paris(2026, 5, 11, 16)
    assert runner.run(at=paris(2026, 5, 12, 12)).counts() == {"sent": 1}
    text = plain(letter.sent[0][1].text)
    assert "Le 12 mai 2026" in text
    assert "au plus tard le 20 mai 2026" in text
    assert "3,20 €" in text
    assert "Le 5 mai 2026" not in text
    sent = store.get(pending.key)
    assert sent is not None
    assert plain(sent.message.text) == text  # the log keeps what went out, not the preview
    assert sent.decided_at == paris(2026, 5, 11, 16)  # the approval keeps its own date


def test_an_approval_lapses_when_the_amount_owed_changes(store: Store) -> None:
    """Approved for 1,200.00; 500.00 paid before the send: back to pending with 700,00 €."""
    add(store)
    letter = MemorySender(Channel.REGISTERED_LETTER)
    runner = dunner(store, letter, scenario=NOTICE)
    [pending] = runner.run(at=TUESDAY).items
    approve(store, pending.key, by="claire", at=TUESDAY + timedelta(hours=1))
    store.add_event("INV-001", Payment(on=date(2026, 5, 6), amount=Decimal("500.00")))
    report = runner.run(at=paris(2026, 5, 7))
    assert report.counts() == {"pending_approval": 1}
    assert "approval by claire lapsed: amount owed on INV-001 changed from 1200.00 to 700.00" in (
        report.items[0].reason
    )
    assert letter.sent == []
    entry = store.get(pending.key)
    assert entry is not None
    assert (entry.status, entry.decided_by) == (EntryStatus.PENDING_APPROVAL, "")
    assert "700,00 €" in plain(entry.message.text)
    approve(store, pending.key, by="claire", at=paris(2026, 5, 7, 11))
    assert runner.run(at=paris(2026, 5, 7, 12)).counts() == {"sent": 1}
    assert "700,00 €" in plain(letter.sent[0][1].text)


def test_one_current_pending_notice_per_customer(store: Store) -> None:
    """A's notice waits; B's becomes due: one new pending entry for both, the old closed."""
    add(store, "A")
    letter = MemorySender(Channel.REGISTERED_LETTER)
    runner = dunner(store, letter, scenario=NOTICE)
    [first] = runner.run(at=TUESDAY).items
    add(store, "B", due=date(2026, 5, 5))
    report = runner.run(at=paris(2026, 5, 6))
    [second] = report.with_outcome(Outcome.PENDING_APPROVAL)
    assert second.key != first.key
    assert [e.key for e in store.entries_with(EntryStatus.PENDING_APPROVAL)] == [second.key]
    old = store.get(first.key)
    assert old is not None
    assert (old.status, old.reason) == (EntryStatus.SUPERSEDED, f"replaced by {second.key}")
    with pytest.raises(KeyError):
        approve(store, first.key, by="claire", at=paris(2026, 5, 6, 11))


def test_a_pending_notice_waits_through_a_customer_gap(store: Store) -> None:
    """The customer got a manual email this morning: the notice stays pending, approvable."""
    add(store, "A")
    runner = dunner(store, MemorySender(Channel.REGISTERED_LETTER), scenario=NOTICE)
    [pending] = runner.run(at=TUESDAY).items
    manual = ActionTaken(at=paris(2026, 5, 6, 9), action_id="mail-1", channel=Channel.EMAIL)
    store.add_invoice(make_invoice(id="B", number="B", customer=customer(1), due_on=DUE), [manual])
    assert runner.run(at=paris(2026, 5, 6)).counts() == {}  # 6 May < 6 May + 5 days
    entry = store.get(pending.key)
    assert entry is not None
    assert entry.status is EntryStatus.PENDING_APPROVAL
    approve(store, pending.key, by="claire", at=paris(2026, 5, 6, 11))


def test_a_pending_preview_follows_the_amount_owed(store: Store) -> None:
    """A partial payment while it waits: the approver sees today's amount, not the old one."""
    add(store)
    runner = dunner(store, MemorySender(Channel.REGISTERED_LETTER), scenario=NOTICE)
    [pending] = runner.run(at=TUESDAY).items
    store.add_event("INV-001", Payment(on=date(2026, 5, 6), amount=Decimal("200.00")))
    report = runner.run(at=paris(2026, 5, 6))
    assert report.items[0].reason == "awaiting approval (preview updated)"
    entry = store.get(pending.key)
    assert entry is not None
    assert "1 000,00 €" in plain(entry.message.text)
    assert entry.covers[0].amount_due == Decimal("1000.00")


# ---------------------------------------------------------- 3. time only moves forward


def test_a_run_before_the_latest_one_is_refused_or_replayed_read_only(store: Store) -> None:
    """After a run on 11 May, a run on 5 May is refused; allow_past replays without writing."""
    add(store)
    email = MemorySender(Channel.EMAIL)
    runner = dunner(store, email)
    runner.run(at=NEXT_MONDAY)
    sent = len(email.sent)
    with pytest.raises(RunInThePastError, match="time only moves forward") as refused:
        runner.run(at=TUESDAY)
    assert refused.value.code == "run_in_the_past"
    replay = runner.run(at=TUESDAY, allow_past=True)
    assert replay.dry_run
    assert len(email.sent) == sent
    # Within the lease (15 minutes): a skewed clock is no error.
    runner.run(at=NEXT_MONDAY - timedelta(minutes=10))
    assert store.latest_run() == NEXT_MONDAY


def test_a_payment_known_to_come_later_stops_the_send_whatever_its_date(store: Store) -> None:
    """A catch-up run for 5 May after a payment dated 8 May was recorded: nothing goes."""
    add(store)
    store.add_event("INV-001", Payment(on=date(2026, 5, 8), amount=Decimal("1200.00")))
    email = MemorySender(Channel.EMAIL)
    report = dunner(store, email).run(at=TUESDAY)
    assert report.counts() == {"skipped": 1}
    assert "a later fact forbids it: INV-001: payment of 2026-05-08" in report.items[0].reason
    assert email.sent == []


# ---------------------------------------------------------- 4. one failure stays one failure


def test_a_storage_fault_on_one_customer_is_its_own(store: Store) -> None:
    """The log fails for customer 2's message: an error for C-002; C-001 and C-003 are sent."""
    for n in (1, 2, 3):
        add(store, f"INV-00{n}", n)
    email = MemorySender(Channel.EMAIL)
    log = FaultyLog(store, fail={"reserve": 1}, when={"reserve": lambda _key: True})
    calls = {"n": 0}

    def second_only(_key: str) -> bool:
        calls["n"] += 1
        return calls["n"] == 2

    log.when["reserve"] = second_only
    report = dunner(store, email, log=log).run(at=TUESDAY)
    assert report.counts() == {"sent": 2, "error": 1}
    [error] = report.with_outcome(Outcome.ERROR)
    assert error.customer_id == "C-002"
    assert "injected storage fault" in error.reason
    assert dunner(store, email).run(at=TUESDAY + timedelta(hours=1)).counts() == {"sent": 1}
    assert sorted(i for i, _ in steps_sent(store, email)) == ["INV-001", "INV-002", "INV-003"]


def test_recording_a_send_is_retried_after_the_provider_accepted(store: Store) -> None:
    """Recording fails twice, then works: sent, one copy, no false uncertain."""
    add(store)
    email = MemorySender(Channel.EMAIL)
    log = FaultyLog(store, fail={"finish": 2})
    assert dunner(store, email, log=log).run(at=TUESDAY).counts() == {"sent": 1}
    assert len(email.sent) == 1
    assert [e.key for e in store.entries_with(EntryStatus.SENT)] == [email.sent[0][0]]


def test_a_send_the_log_cannot_record_is_kept_and_never_resent(
    store: Store, tmp_path: Path
) -> None:
    """Recording keeps failing: sent_unrecorded, in the journal; the next run records it."""
    add(store)
    email = MemorySender(Channel.EMAIL)
    journal = FileJournal(tmp_path / "journal")
    log = FaultyLog(store, fail={"finish": 3})
    report = dunner(store, email, log=log, journal=journal).run(at=TUESDAY)
    assert report.counts() == {"sent_unrecorded": 1}
    assert "kept in the journal" in report.items[0].reason
    assert report.needs_attention
    later = dunner(store, email, journal=journal).run(at=TUESDAY + timedelta(hours=1))
    assert later.counts() == {}
    assert journal.kept() == []
    key = email.sent[0][0]
    assert store.get(key).status is EntryStatus.SENT  # type: ignore[union-attr]
    assert len(email.sent) == 1


def test_without_a_journal_an_unrecorded_send_becomes_uncertain_not_resent(store: Store) -> None:
    """No journal: reported sent_unrecorded; the next run makes it uncertain, one copy."""
    add(store)
    email = MemorySender(Channel.EMAIL)
    log = FaultyLog(store, fail={"finish": 3})
    assert dunner(store, email, log=log).run(at=TUESDAY).counts() == {"sent_unrecorded": 1}
    later = dunner(store, email).run(at=TUESDAY + timedelta(hours=1))
    assert later.counts() == {"uncertain": 1}
    assert len(email.sent) == 1


def test_a_source_that_breaks_mid_stream_is_reported(store: Store) -> None:
    """The source fails while reading C-002: C-001 (read whole) is sent, the failure reported.

    C-002, perhaps read only in part, is not planned: a partial message would list the wrong
    invoices.
    """
    for n in (1, 2, 3):
        add(store, f"INV-00{n}", n)
    email = MemorySender(Channel.EMAIL)

    class Broken:
        def entries(self, at: object) -> Iterator[object]:
            stream = iter(store.entries(at))  # type: ignore[arg-type]
            yield next(stream)
            yield next(stream)
            msg = "connection reset by peer"
            raise ConnectionError(msg)

    runner = Dunner(Broken(), store, {Channel.EMAIL: email}, STANDARD, CREDITOR, owner="r1")  # type: ignore[arg-type]
    report = runner.run(at=TUESDAY)
    assert report.counts() == {"sent": 1, "error": 1}
    assert [i.customer_id for i in report.with_outcome(Outcome.SENT)] == ["C-001"]
    assert "connection reset by peer" in report.with_outcome(Outcome.ERROR)[0].reason


def test_a_template_that_runs_away_on_one_customers_data_is_that_customers_error(
    store: Store,
) -> None:
    """A 4,000-character invoice number blows a 3,000-character budget: C-002 reported."""
    add(store, "INV-001", 1)
    huge = "N" * 4000
    store.add_invoice(make_invoice(id="INV-002", number=huge, customer=customer(2), due_on=DUE))
    email = MemorySender(Channel.EMAIL)
    runner = dunner(store, email, render_budget=RenderBudget(max_output_chars=3000))
    report = runner.run(at=TUESDAY)
    assert report.counts() == {"sent": 1, "error": 1}
    [error] = report.with_outcome(Outcome.ERROR)
    assert error.customer_id == "C-002"
    assert "cannot render" in error.reason
    assert store.get(error.key) is None  # nothing half-rendered was stored


def test_a_bad_stored_row_is_an_error_for_its_customer_only(tmp_path: Path) -> None:
    """An unknown event kind in C-002's rows: C-002 reported, C-001 and C-003 sent."""
    with SqliteStore(tmp_path / "dunning.db") as store:
        for n in (1, 2, 3):
            add(store, f"INV-00{n}", n)
        with sqlite3.connect(store.path) as raw:
            raw.execute(
                "INSERT INTO events (tenant, invoice_id, kind, data)"
                " VALUES ('default', 'INV-002', 'gift', '{}')"
            )
        raw.close()
        email = MemorySender(Channel.EMAIL)
        report = dunner(store, email).run(at=TUESDAY)
    assert report.counts() == {"sent": 2, "error": 1}
    [error] = report.with_outcome(Outcome.ERROR)
    assert error.customer_id == "C-002"
    assert "unreadable" in error.reason


def test_a_bad_status_in_the_log_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """A log row with an unknown status: the run reports it and sends the others."""
    with SqliteStore(tmp_path / "dunning.db") as store:
        add(store, "INV-001", 1)
        add(store, "INV-002", 2)
        email = MemorySender(Channel.EMAIL)
        dunner(store, email).run(at=TUESDAY)
        with sqlite3.connect(store.path) as raw:
            raw.execute("UPDATE action_log SET status = 'lost' WHERE customer_id = 'C-002'")
        raw.close()
        report = dunner(store, email).run(at=NEXT_MONDAY)
    assert {i.outcome for i in report.items} == {Outcome.ERROR, Outcome.SENT}
    assert [i.customer_id for i in report.with_outcome(Outcome.SENT)] == ["C-001"]


# ---------------------------------------------------------- 5. a public, testable contract


def test_the_customer_gap_counts_messages_of_invoices_left_out_of_the_stream(
    store: Store,
) -> None:
    """A paid invoice is filtered out by the host: its J+1 of 5 May still holds the gap."""
    add(store, "A")
    email = MemorySender(Channel.EMAIL)
    runner = dunner(store, email)
    runner.run(at=TUESDAY)  # A's J+1
    store.add_event("A", Payment(on=date(2026, 5, 5), amount=Decimal("1200.00")))
    if isinstance(store, MemoryStore):
        store.remove_invoice("A")
    else:
        store.archive_invoice("A")
    add(store, "B", due=date(2026, 5, 5))  # its J+1 is due Wed 6 May
    assert runner.run(at=paris(2026, 5, 6)).counts() == {}  # 5 May + 5 days: not before 10 May
    assert runner.run(at=NEXT_MONDAY).counts() == {"sent": 1}
    assert steps_sent(store, email) == [("A", "informative"), ("B", "informative")]


def test_the_runner_tells_the_source_when_to_look_again(store: Store) -> None:
    """When to look again, per invoice: what the host's index needs.

    Due and not sent: at every run; once sent or waiting: the next step's opening (00:00
    Paris, email has no send window); not due: the day after the due date; paid: only on a
    change (None).
    """
    add(store, "A")
    add(store, "B", 2, due=date(2026, 5, 20))
    add(store, "C", 3)
    store.add_event("C", Payment(on=date(2026, 5, 4), amount=Decimal("1200.00")))
    unsent = dunner(store).run(at=TUESDAY)  # no email sender: the J+1 waits as retry
    [a] = [r for r in unsent.reviews if r.invoice_id == "A"]
    assert (a.status.value, a.due_now, a.review_after) == ("action_due", True, TUESDAY)
    later = TUESDAY + timedelta(hours=1)
    report = dunner(store, MemorySender(Channel.EMAIL)).run(at=later)
    reviews = {r.invoice_id: r for r in report.reviews}
    # Sent at 11:30 on 5 May: J+7 is Mon 11 May, after the 5-day gap (10 May).
    assert (reviews["A"].status.value, reviews["A"].due_now, reviews["A"].review_after) == (
        "waiting",
        False,
        paris(2026, 5, 11, 0, 0),
    )
    first = {r.invoice_id: r for r in unsent.reviews}
    assert (first["B"].status.value, first["B"].due_now) == ("not_due", False)
    assert first["B"].review_after == paris(2026, 5, 21, 0, 0)  # J+1 of 20 May, 00:00
    assert (first["C"].status.value, first["C"].review_after) == ("closed", None)
    if isinstance(store, MemoryStore):
        assert store.reviews == reviews  # the hook got them
    else:
        assert set(reviews) == {"A"}  # the SQLite index read only what was due for review


def test_a_large_book_keeps_no_reviews_but_the_hook_gets_them() -> None:
    """With keep_reviews=False the report holds none; the source's hook still gets each one."""
    store = MemoryStore()
    for n in range(1, 4):
        add(store, f"A{n}", n)  # three customers, one invoice each, due 4 May
    add(store, "B", 4, due=date(2026, 5, 20))
    report = dunner(store, MemorySender(Channel.EMAIL), keep_reviews=False).run(at=TUESDAY)
    assert report.counts() == {"sent": 3}
    assert report.reviews == ()
    assert sorted(store.reviews) == ["A1", "A2", "A3", "B"]
    assert store.reviews["B"].review_after == paris(2026, 5, 21, 0, 0)  # J+1 of 20 May


def test_senders_are_told_who_and_what(store: Store) -> None:
    """The send context names the customer and the invoices and steps covered."""
    add(store)
    email = MemorySender(Channel.EMAIL)
    dunner(store, email).run(at=TUESDAY)
    [context] = email.contexts
    assert (context.customer_id, context.attempt) == ("C-001", 1)
    assert [(c.invoice_id, c.step_id) for c in context.covers] == [("INV-001", "informative")]


def test_sqlite_reads_only_customers_due_for_review(tmp_path: Path) -> None:
    """After a run, a customer waiting for 11 May is not read on 6 May; a payment brings it back."""
    with SqliteStore(tmp_path / "dunning.db") as store:
        add(store, "A", 1)
        add(store, "B", 2, due=date(2026, 5, 20))
        runner = dunner(store, MemorySender(Channel.EMAIL))
        runner.run(at=TUESDAY)
        wednesday = paris(2026, 5, 6)
        assert [e.customer_id for e in store.entries(wednesday)] == []
        assert [e.customer_id for e in store.entries(NEXT_MONDAY)] == ["C-001"]
        store.add_event("B", Payment(on=date(2026, 5, 6), amount=Decimal("10.00")))
        assert [e.customer_id for e in store.entries(wednesday)] == ["C-002"]
        assert [e.customer_id for e in store.entries(paris(2026, 5, 21))] == ["C-001", "C-002"]


def test_a_log_down_at_the_start_is_one_error_not_a_crash(store: Store) -> None:
    """The log cannot even say when the last run was: one error item, nothing sent."""
    add(store)
    email = MemorySender(Channel.EMAIL)
    for method in ("latest_run", "record_run"):
        log = FaultyLog(store, fail={method: 1})
        report = dunner(store, email, log=log).run(at=TUESDAY)
        assert report.counts() == {"error": 1}, method
        assert f"{method}: injected storage fault" in report.items[0].reason
    assert email.sent == []


def test_a_source_that_is_not_grouped_by_customer_is_reported(store: Store) -> None:
    """C-001 comes back after C-002: its second group is an error, never a second message."""
    add(store, "INV-001", 1)
    add(store, "INV-002", 2)
    add(store, "INV-003", 1, due=date(2026, 5, 1))
    email = MemorySender(Channel.EMAIL)

    class Ungrouped:
        def entries(self, at: object) -> list[object]:
            by_invoice = {e.invoice.id: e for e in store.entries(at)}  # type: ignore[arg-type,union-attr]
            return [by_invoice["INV-001"], by_invoice["INV-002"], by_invoice["INV-003"]]

    runner = Dunner(Ungrouped(), store, {Channel.EMAIL: email}, STANDARD, CREDITOR, owner="r1")  # type: ignore[arg-type]
    report = runner.run(at=TUESDAY)
    assert report.counts() == {"sent": 2, "error": 1}
    [error] = report.with_outcome(Outcome.ERROR)
    assert error.customer_id == "C-001"
    assert "grouped" in error.reason
    assert sorted(c.customer_id for c in email.contexts) == ["C-001", "C-002"]
