"""Dunner: exactly once under re-runs, crashes at each step, sender faults, races, approvals.

Invoices are due Monday 4 May 2026 (Paris). STANDARD sends its J+1 informative email on
Tuesday 5 May and its J+7 reminder on Monday 11 May (J+7, gap of 5 days after 5 May passed).

Every test runs twice: on a `MemoryStore` and on a `SqliteStore` file (the same guarantees).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dunning import STANDARD, Channel, HoldPlaced, Payment
from dunning.adapters.memory import MemorySender, MemoryStore, SimulatedCrash
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus, LogEntry
from dunning.exceptions import ConfigurationError
from dunning.ports import SendError
from dunning.runner import Dunner, Outcome, RunItem
from dunning.scenarios import DEFAULT_POLICY, scenario_from_mapping
from dunning.testing import make_creditor, make_customer, make_invoice, paris
from tests.conversation_walk import per_invoice_spacing

CREDITOR = make_creditor()
DUE = date(2026, 5, 4)
TUESDAY = paris(2026, 5, 5)
NEXT_MONDAY = paris(2026, 5, 11)
NOTICE = scenario_from_mapping(
    {
        "id": "notice",
        "steps": [
            {
                "id": "notice",
                "kind": "formal_notice",
                "level": 1,
                "offset_days": 1,
                "channel": "registered_letter",
                "deadline_days": 8,
            }
        ],
    }
)


Store = MemoryStore | SqliteStore
new_store: Callable[[], Store] = MemoryStore


@pytest.fixture(autouse=True, params=["memory", "sqlite"])
def store_kind(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Run the test on the in-memory store, then on SQLite files (closed at the end)."""
    opened: list[SqliteStore] = []

    def sqlite_store() -> SqliteStore:
        store = SqliteStore(tmp_path / f"dunning-{len(opened)}.db")
        opened.append(store)
        return store

    if request.param == "sqlite":
        monkeypatch.setitem(globals(), "new_store", sqlite_store)
    yield str(request.param)
    for store in opened:
        store.close()


def store_with(n: int = 1) -> Store:
    """N invoices of n different customers, all due Monday 4 May 2026."""
    store = new_store()
    for i in range(1, n + 1):
        customer = make_customer(id=f"C-{i:03}", name=f"Client {i}")
        store.add_invoice(make_invoice(id=f"INV-{i:03}", customer=customer, due_on=DUE))
    return store


def dunner(store: Store, *senders: MemorySender, **options: Any) -> Dunner:
    """A runner named "r1" over *store* (as source and log)."""
    options.setdefault("owner", "r1")
    options.setdefault("scenario", per_invoice_spacing(STANDARD))
    return Dunner(
        source=store,
        log=store,
        senders={s.channel: s for s in senders},
        creditor=CREDITOR,
        **options,
    )


def keys(sender: MemorySender) -> list[str]:
    """The idempotency keys the sender accepted, in order."""
    return [key for key, _ in sender.sent]


def crash_once(obj: object, name: str) -> None:
    """Make obj.name raise SimulatedCrash on its next call only."""
    original = getattr(obj, name)

    def crashing(*args: Any, **kwargs: Any) -> Any:
        setattr(obj, name, original)
        msg = f"crash in {name} (injected)"
        raise SimulatedCrash(msg)

    setattr(obj, name, crashing)


# ------------------------------------------------------------------------------ the happy path


def test_sends_once_and_a_rerun_sends_nothing() -> None:
    """J+1 goes out on Tuesday 5 May; running again the same instant sends nothing new."""
    store, email = store_with(), MemorySender(Channel.EMAIL)
    report = dunner(store, email).run(at=TUESDAY)
    assert report.counts() == {"sent": 1}
    assert report.by_channel() == {"email": {"sent": 1}}
    assert len(email.sent) == 1
    message = email.sent[0][1]
    assert "2026-0001" in message.text
    assert dunner(store, email).run(at=TUESDAY).counts() == {}
    assert dunner(store, email).run(at=TUESDAY + timedelta(hours=3)).counts() == {}
    assert len(email.sent) == 1


def test_the_ladder_moves_on_from_the_log() -> None:
    """The sent J+1 becomes an ActionTaken; on Monday 11 May the J+7 reminder goes out."""
    store, email = store_with(), MemorySender(Channel.EMAIL)
    dunner(store, email).run(at=TUESDAY)
    assert dunner(store, email).run(at=NEXT_MONDAY).counts() == {"sent": 1}
    assert [m.template for _, m in email.sent] == ["friendly", "reminder"]
    assert len(set(keys(email))) == 2


def test_payment_stops_everything() -> None:
    """Paid on Friday 8 May: nothing on Monday 11 May."""
    store, email = store_with(), MemorySender(Channel.EMAIL)
    dunner(store, email).run(at=TUESDAY)
    store.add_event("INV-001", Payment(on=date(2026, 5, 8), amount=Decimal("1200.00")))
    assert dunner(store, email).run(at=NEXT_MONDAY).counts() == {}
    assert len(email.sent) == 1


def test_dry_run_reserves_and_sends_nothing() -> None:
    """A dry run renders and reports; the log stays empty and a real run then sends once."""
    store, email = store_with(2), MemorySender(Channel.EMAIL)
    report = dunner(store, email).run(at=TUESDAY, dry_run=True)
    assert report.counts() == {"would_send": 2}
    assert "(dry run)" in str(report)
    assert email.sent == []
    assert store.entries_with(*EntryStatus) == []
    assert dunner(store, email).run(at=TUESDAY).counts() == {"sent": 2}


# ------------------------------------------------------------------ crashes at each step


def test_crash_before_reserve_then_rerun_sends_once() -> None:
    """Nothing was recorded: the re-run sends it, once."""
    store, email = store_with(), MemorySender(Channel.EMAIL)
    crash_once(store, "reserve")
    with pytest.raises(SimulatedCrash):
        dunner(store, email).run(at=TUESDAY)
    assert email.sent == []
    assert dunner(store, email).run(at=TUESDAY).counts() == {"sent": 1}
    assert len(email.sent) == 1


def crash_after(obj: object, name: str) -> None:
    """Make obj.name do its work, then raise SimulatedCrash, on its next call only."""
    original = getattr(obj, name)

    def crashing(*args: Any, **kwargs: Any) -> Any:
        setattr(obj, name, original)
        original(*args, **kwargs)
        msg = f"crash after {name} (injected)"
        raise SimulatedCrash(msg)

    setattr(obj, name, crashing)


def test_a_new_message_is_reserved_already_claimed_in_one_call() -> None:
    """Brand new: reserved with attempts 1 by r1, and sent without a separate claim."""
    store, email = store_with(), MemorySender(Channel.EMAIL)
    crash_after(store, "reserve")
    with pytest.raises(SimulatedCrash):
        dunner(store, email).run(at=TUESDAY)
    [entry] = store.entries_with(EntryStatus.RESERVED)
    assert (entry.owner, entry.attempts, entry.attempted_at) == ("r1", 1, TUESDAY)
    assert email.sent == []


def test_a_new_message_costs_no_separate_claim() -> None:
    """The J+1 email goes out without `begin_attempt`: reserve, send, finish."""
    store, email = store_with(), MemorySender(Channel.EMAIL)
    claims: list[str] = []
    original = store.begin_attempt

    def counted(key: str, **claim: Any) -> Any:
        claims.append(key)
        return original(key, **claim)

    store.begin_attempt = counted  # type: ignore[method-assign]
    assert dunner(store, email).run(at=TUESDAY).counts() == {"sent": 1}
    assert claims == []
    assert store.get(keys(email)[0]).attempts == 1  # type: ignore[union-attr]


def test_crash_after_the_claimed_reservation_before_send_is_uncertain() -> None:
    """Claimed and durable, sender never reached: the re-run cannot tell, so it asks a human."""
    store, email = store_with(), MemorySender(Channel.EMAIL)
    crash_after(store, "reserve")
    with pytest.raises(SimulatedCrash):
        dunner(store, email).run(at=TUESDAY)
    assert dunner(store, email).run(at=TUESDAY).counts() == {"uncertain": 1}
    assert email.sent == []
    # A deduplicating provider makes the same recovery a resend with the same key, once.
    store, email = store_with(), MemorySender(Channel.EMAIL, deduplicates=True)
    crash_after(store, "reserve")
    with pytest.raises(SimulatedCrash):
        dunner(store, email).run(at=TUESDAY)
    assert dunner(store, email).run(at=TUESDAY).counts() == {"sent": 1}
    assert len(email.sent) == 1


def test_crash_before_the_claim_of_an_approved_message_is_sent_by_the_restarted_runner() -> None:
    """Approved, then claimed apart: a crash before the claim leaves it unsent, sent once."""
    store, letter = store_with(), MemorySender(Channel.REGISTERED_LETTER)
    run = dunner(store, letter, scenario=NOTICE)
    assert run.run(at=TUESDAY).counts() == {"pending_approval": 1}
    [pending] = store.entries_with(EntryStatus.PENDING_APPROVAL)
    run.approve(pending.key, by="claire", at=TUESDAY + timedelta(hours=1))
    crash_once(store, "begin_attempt")
    with pytest.raises(SimulatedCrash):
        run.run(at=TUESDAY + timedelta(hours=2))
    [approved] = store.entries_with(EntryStatus.APPROVED)
    assert approved.attempts == 0
    assert run.run(at=TUESDAY + timedelta(hours=2)).counts() == {"sent": 1}
    assert keys(letter) == [pending.key]


def test_another_runners_fresh_reservation_is_left_alone_until_its_lease_ends() -> None:
    """r2 does not touch r1's claimed reservation for 15 minutes; after that it recovers it."""
    store, email = store_with(), MemorySender(Channel.EMAIL, deduplicates=True)
    crash_after(store, "reserve")
    with pytest.raises(SimulatedCrash):
        dunner(store, email).run(at=TUESDAY)
    other = dunner(store, email, owner="r2")
    left = other.run(at=TUESDAY + timedelta(minutes=14))
    assert left.counts() == {"skipped": 1}
    assert left.items[0].reason.startswith("reserved by another run")
    assert email.sent == []
    assert other.run(at=TUESDAY + timedelta(minutes=15)).counts() == {"sent": 1}
    assert len(email.sent) == 1


def test_crash_after_send_before_record_is_uncertain_never_resent() -> None:
    """The provider took it, then the process died: the re-run reports it, never resends."""
    store, email = store_with(), MemorySender(Channel.EMAIL, crash_after_send=True)
    with pytest.raises(SimulatedCrash):
        dunner(store, email).run(at=TUESDAY)
    report = dunner(store, email).run(at=TUESDAY)
    assert report.counts() == {"uncertain": 1}
    assert "may or may not have gone out" in report.items[0].reason
    # Next Monday: the J+1 is still reported (unresolved), and counts as possibly taken: the
    # ladder moves on to the J+7 reminder, and the J+1 is never sent again.
    later = dunner(store, email).run(at=NEXT_MONDAY)
    assert later.counts() == {"uncertain": 1, "sent": 1}
    steps = [store.get(key).covers[0].step_id for key in keys(email)]  # type: ignore[union-attr]
    assert steps == ["informative", "reminder"]


def test_crash_after_send_with_a_deduplicating_provider_is_retried_with_the_same_key() -> None:
    """Same key again: the provider drops the copy, and the entry is recorded as sent."""
    email = MemorySender(Channel.EMAIL, deduplicates=True, crash_after_send=True)
    store = store_with()
    with pytest.raises(SimulatedCrash):
        dunner(store, email).run(at=TUESDAY)
    assert dunner(store, email).run(at=TUESDAY).counts() == {"sent": 1}
    assert len(email.sent) == 1
    [entry] = store.entries_with(EntryStatus.SENT)
    assert entry.attempts == 2
    assert entry.receipt is not None
    assert entry.receipt.detail == "duplicate dropped"


# ---------------------------------------------------------------------------- sender faults


def test_server_down_is_retried_next_run() -> None:
    """Connection refused (certainly not delivered): retry, then sent exactly once."""
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("connection refused", delivered=False))
    store = store_with()
    assert dunner(store, email).run(at=TUESDAY).counts() == {"retry": 1}
    assert dunner(store, email).run(at=TUESDAY + timedelta(hours=1)).counts() == {"sent": 1}
    assert len(email.sent) == 1


def test_timeout_after_data_is_uncertain() -> None:
    """A timeout after the data was sent may have delivered: uncertain, never resent."""
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("timed out after DATA", delivered=None))
    store = store_with()
    assert dunner(store, email).run(at=TUESDAY).counts() == {"uncertain": 1}
    assert dunner(store, email).run(at=TUESDAY + timedelta(hours=1)).counts() == {"uncertain": 1}
    assert email.sent == []


def test_permanent_refusal_falls_back_to_the_steps_fallback_channel() -> None:
    """A refused address fails the email; the engine then retries J+1 by letter."""
    email, letter = MemorySender(Channel.EMAIL), MemorySender(Channel.LETTER)
    email.fail_next.append(SendError("550 no such user", delivered=False, permanent=True))
    store = store_with()
    assert dunner(store, email, letter).run(at=TUESDAY).counts() == {"failed": 1}
    report = dunner(store, email, letter).run(at=TUESDAY + timedelta(hours=1))
    assert report.counts() == {"sent": 1}
    assert report.by_channel() == {"letter": {"sent": 1}}
    assert len(letter.sent) == 1
    assert email.sent == []


def test_one_bad_customer_does_not_stop_the_run() -> None:
    """A sender bug on one message (maybe sent) is reported; the other customers get theirs."""
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(RuntimeError("poison message"))
    store = store_with(3)
    report = dunner(store, email).run(at=TUESDAY)
    assert report.counts() == {"sent": 2, "uncertain": 1}
    assert "RuntimeError: poison message" in report.with_outcome(Outcome.UNCERTAIN)[0].reason
    assert len(email.sent) == 2


def test_inconsistent_history_is_an_error_for_that_customer_only() -> None:
    """A payment dated before the invoice was issued: that customer errs, the other is sent."""
    store, email = store_with(2), MemorySender(Channel.EMAIL)
    # Stored with the invoice (as a host's table may hold it): `add_event` would refuse it.
    customer = make_customer(id="C-001", name="Client 1")
    store.add_invoice(
        make_invoice(id="INV-001", customer=customer, due_on=DUE),
        [Payment(on=date(2026, 1, 1), amount=Decimal("10.00"))],
    )
    report = dunner(store, email).run(at=TUESDAY)
    assert report.counts() == {"error": 1, "sent": 1}
    [error] = report.with_outcome(Outcome.ERROR)
    assert error.customer_id == "C-001"
    assert error.reason == (
        "cannot decide: invoice 'INV-001': events[0].on: "
        "payment dated 2026-01-01 is before the invoice date 2026-04-04"
    )


def test_missing_sender_is_kept_for_later() -> None:
    """No SMS sender configured: the message waits (retry) and goes once one is given."""
    sms_scenario = scenario_from_mapping(
        {
            "id": "sms",
            "steps": [
                {"id": "s", "kind": "reminder", "level": 1, "offset_days": 1, "channel": "sms"}
            ],
        }
    )
    store = store_with()
    assert dunner(store, scenario=sms_scenario).run(at=TUESDAY).counts() == {"retry": 1}
    [waiting] = store.entries_with(EntryStatus.RETRY)
    assert (waiting.attempts, waiting.attempted_at) == (0, None)  # no sender was ever called
    sms = MemorySender(Channel.SMS)
    later = dunner(store, sms, scenario=sms_scenario).run(at=TUESDAY + timedelta(hours=1))
    assert later.counts() == {"sent": 1}
    assert sms.sent[0][1].sms is not None


# ---------------------------------------------------------------------------- two runners


def test_two_runners_at_once_never_send_the_same_message_twice() -> None:
    """Two threads, two owners, one store, 40 customers: 40 messages, each exactly once."""
    store = store_with(40)
    email = MemorySender(Channel.EMAIL)
    lock = threading.Lock()
    original = email.send

    def slow_send(message: Any, *, idempotency_key: str, context: Any = None) -> Any:
        with lock:
            return original(message, idempotency_key=idempotency_key, context=context)

    email.send = slow_send  # type: ignore[method-assign]
    start = threading.Barrier(2)

    def run(owner: str) -> None:
        start.wait()
        dunner(store, email, owner=owner).run(at=TUESDAY)

    threads = [threading.Thread(target=run, args=(o,)) for o in ("r1", "r2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(email.sent) == 40
    assert len(set(keys(email))) == 40


# ------------------------------------------------------------------------------ approvals


def test_formal_notice_waits_for_approval_then_goes_once() -> None:
    """Stored rendered, not sent; approved by a human; sent by the next run, once."""
    store, letter = store_with(), MemorySender(Channel.REGISTERED_LETTER)
    run = dunner(store, letter, scenario=NOTICE)
    report = run.run(at=TUESDAY)
    assert report.counts() == {"pending_approval": 1}
    [pending] = store.entries_with(EntryStatus.PENDING_APPROVAL)
    assert pending.message.text.startswith("MISE EN DEMEURE\n")
    assert run.run(at=TUESDAY + timedelta(hours=2)).counts() == {"pending_approval": 1}
    assert letter.sent == []
    run.approve(pending.key, by="claire", at=TUESDAY + timedelta(hours=3))
    assert run.run(at=TUESDAY + timedelta(hours=4)).counts() == {"sent": 1}
    assert run.run(at=TUESDAY + timedelta(hours=5)).counts() == {}
    assert keys(letter) == [pending.key]


def test_rejected_formal_notice_is_never_sent() -> None:
    """Rejected: never sent; the engine skips the step, so nothing else is proposed."""
    store, letter = store_with(), MemorySender(Channel.REGISTERED_LETTER)
    run = dunner(store, letter, scenario=NOTICE)
    run.run(at=TUESDAY)
    [pending] = store.entries_with(EntryStatus.PENDING_APPROVAL)
    run.reject(pending.key, by="claire", at=TUESDAY + timedelta(hours=1))
    assert run.run(at=TUESDAY + timedelta(days=3)).counts() == {}
    assert letter.sent == []
    with pytest.raises(KeyError):
        run.approve(pending.key, by="claire", at=TUESDAY + timedelta(days=3))


def test_report_is_printable() -> None:
    """The report prints counts, then one line per message with its reason."""
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("connection refused", delivered=False))
    report = dunner(store_with(), email).run(at=TUESDAY)
    text = str(report)
    assert text.splitlines()[0] == f"run at {TUESDAY.isoformat()}: 1 retry"
    assert "retry             C-001       email" in text
    assert text.endswith("connection refused")


def test_a_policy_chooses_each_customer_s_scenario_in_a_run() -> None:
    """Dunner(..., DEFAULT_POLICY) runs: a late payer gets FIRM's reminder, others STANDARD's.

    On Tuesday 5 May, one day after the due date, FIRM's first step (reminder, day 1) and
    STANDARD's (informative, day 1) are both due (builtin.py). Before issue 20 the policy was
    accepted, then every customer failed with "'Policy' object is not callable".
    """
    store = new_store()
    late = make_customer(id="C-LATE", name="Late payer", segment="late")
    usual = make_customer(id="C-USUAL", name="Usual payer")
    store.add_invoice(make_invoice(id="INV-LATE", customer=late, due_on=DUE))
    store.add_invoice(make_invoice(id="INV-USUAL", customer=usual, due_on=DUE))
    email = MemorySender(Channel.EMAIL)
    report = dunner(store, email, scenario=DEFAULT_POLICY).run(at=TUESDAY)
    assert report.counts() == {"sent": 2}
    steps = {
        entry.covers[0].invoice_id: entry.covers[0].step_id
        for entry in (store.get(key) for key in keys(email))
        if entry is not None
    }
    assert steps == {"INV-LATE": "reminder", "INV-USUAL": "informative"}


def test_a_policy_reads_the_customer_s_payment_history_in_a_run() -> None:
    """Paid its March invoice 40 days late: DEFAULT_POLICY's history rule gives FIRM.

    Both customers have no segment. C-SLOW's old invoice, due Thu 26 March, was paid on Tue
    5 May: 40 days late (5 days of March + 30 of April + 5 of May), an average of 40 >= 30,
    so FIRM, whose first step on 5 May (day 1) is its ``reminder``.
    C-PROMPT paid its old invoice on its due date (0 days, <= 5): GENTLE, whose first step
    is its ``courtesy`` (builtin.py). Before issue 19 the runner gave the policy no history,
    and both got STANDARD's ``informative``.
    """
    store = new_store()
    slow = make_customer(id="C-SLOW", name="Slow payer")
    prompt = make_customer(id="C-PROMPT", name="Prompt payer")
    old_due = date(2026, 3, 26)
    for customer, paid_on in ((slow, date(2026, 5, 5)), (prompt, old_due)):
        old = make_invoice(
            id=f"OLD-{customer.id}", customer=customer, issued_on=date(2026, 2, 24), due_on=old_due
        )
        store.add_invoice(old, [Payment(on=paid_on, amount=old.total)])
        store.add_invoice(make_invoice(id=f"INV-{customer.id}", customer=customer, due_on=DUE))
    email = MemorySender(Channel.EMAIL)
    report = dunner(store, email, scenario=DEFAULT_POLICY).run(at=TUESDAY)
    assert report.counts() == {"sent": 2}
    covered = sorted(
        (c.invoice_id, c.step_id)
        for key in keys(email)
        for c in store.get(key).covers  # type: ignore[union-attr]
    )
    assert covered == [("INV-C-PROMPT", "courtesy"), ("INV-C-SLOW", "reminder")]


def test_a_chooser_of_customer_and_history_gets_both() -> None:
    """A function of two arguments gets the customer and the days late of its paid invoices."""
    store = new_store()
    customer = make_customer(id="C-1", name="Client")
    old = make_invoice(
        id="OLD", customer=customer, issued_on=date(2026, 3, 1), due_on=date(2026, 4, 1)
    )
    store.add_invoice(old, [Payment(on=date(2026, 4, 13), amount=old.total)])
    store.add_invoice(make_invoice(id="NEW", customer=customer, due_on=DUE))
    seen: list[tuple[str, tuple[int, ...]]] = []

    def choose(customer: Any, recent_days_late: Any) -> Any:
        seen.append((customer.id, tuple(recent_days_late)))
        return STANDARD

    dunner(store, MemorySender(Channel.EMAIL), scenario=choose).run(at=TUESDAY)
    assert seen
    assert set(seen) == {("C-1", (12,))}  # paid 13 April, due 1 April: 12 days late


def test_a_chooser_of_three_arguments_is_refused_at_construction() -> None:
    """A function the runner cannot call fails when the runner is built, not for each customer."""
    with pytest.raises(ConfigurationError, match=r"takes \(customer\) or \(customer, recent"):
        dunner(store_with(), MemorySender(Channel.EMAIL), scenario=lambda a, b, c: STANDARD)


def test_a_scenario_that_is_no_scenario_is_refused_at_construction() -> None:
    """A scenario id given as text fails when the runner is built, naming the field."""
    with pytest.raises(ConfigurationError, match="scenario: a Scenario, a Policy or a function"):
        dunner(store_with(), MemorySender(Channel.EMAIL), scenario="standard")


def test_a_sender_under_the_wrong_channel_is_refused() -> None:
    """An SMS sender registered for email would send the wrong thing: refused at construction."""
    with pytest.raises(ConfigurationError, match=r"senders\['email'\]: this sender serves sms"):
        Dunner(
            store_with(),
            store_with(),
            {Channel.EMAIL: MemorySender(Channel.SMS)},
            STANDARD,
            CREDITOR,
        )


# ------------------------------------------------- nothing is sent that is no longer due


def test_a_retry_is_cancelled_when_the_customer_pays_in_between() -> None:
    """Server down on Tuesday; paid on Wednesday: Wednesday's run sends nothing, cancels it."""
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("connection refused", delivered=False))
    store = store_with()
    assert dunner(store, email).run(at=TUESDAY).counts() == {"retry": 1}
    store.add_event("INV-001", Payment(on=date(2026, 5, 6), amount=Decimal("1200.00")))
    report = dunner(store, email).run(at=TUESDAY + timedelta(days=1))
    assert report.counts() == {"cancelled": 1}
    assert report.items[0].reason.startswith("no longer due")
    assert email.sent == []
    [cancelled] = store.entries_with(EntryStatus.CANCELLED)
    assert cancelled.attempts == 1
    assert dunner(store, email).run(at=TUESDAY + timedelta(days=2)).counts() == {}


def test_an_approved_formal_notice_is_not_sent_once_the_invoice_is_paid() -> None:
    """Approved at 11:00, paid that day: the 16:00 run cancels it; the letter never goes."""
    store, letter = store_with(), MemorySender(Channel.REGISTERED_LETTER)
    run = dunner(store, letter, scenario=NOTICE)
    run.run(at=TUESDAY)
    [pending] = store.entries_with(EntryStatus.PENDING_APPROVAL)
    run.approve(pending.key, by="claire", at=TUESDAY + timedelta(minutes=30))
    store.add_event("INV-001", Payment(on=date(2026, 5, 5), amount=Decimal("1200.00")))
    assert run.run(at=TUESDAY.replace(hour=16)).counts() == {"cancelled": 1}
    assert letter.sent == []


def test_a_dry_run_cancels_nothing() -> None:
    """A dry run neither sends nor cancels: the entry is still retry afterwards."""
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("connection refused", delivered=False))
    store = store_with()
    dunner(store, email).run(at=TUESDAY)
    store.add_event("INV-001", Payment(on=date(2026, 5, 6), amount=Decimal("1200.00")))
    report = dunner(store, email).run(at=TUESDAY + timedelta(days=1), dry_run=True)
    assert report.counts() == {}
    assert [e.status for e in store.entries_with(*EntryStatus)] == [EntryStatus.RETRY]


def test_a_message_paused_by_a_hold_goes_once_the_hold_ends() -> None:
    """Retry Tuesday; hold Wednesday-Thursday (cancelled); not Fri 8 May (a holiday); Monday.

    Business days only: 8 May is a public holiday, so it goes once on Monday 11 May.
    """
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("connection refused", delivered=False))
    store = store_with()
    dunner(store, email).run(at=TUESDAY)
    hold = HoldPlaced(on=date(2026, 5, 6), reason="seen on site", until=date(2026, 5, 7))
    store.add_event("INV-001", hold)
    assert dunner(store, email).run(at=TUESDAY + timedelta(days=1)).counts() == {"cancelled": 1}
    assert dunner(store, email).run(at=TUESDAY + timedelta(days=3)).counts() == {}
    monday = dunner(store, email).run(at=NEXT_MONDAY)
    assert monday.counts() == {"sent": 1}
    assert dunner(store, email).run(at=NEXT_MONDAY + timedelta(hours=1)).counts() == {}
    assert len(email.sent) == 1
    assert email.sent[0][1].template == "friendly"


def test_one_message_a_day_when_a_retry_is_overtaken_by_the_next_step() -> None:
    """Retry from Tuesday 5 May, no run until Monday 11 May: one message that day, not two."""
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("connection refused", delivered=False))
    store = store_with()
    dunner(store, email).run(at=TUESDAY)
    report = dunner(store, email).run(at=NEXT_MONDAY)
    assert report.counts().get("sent") == 1
    assert len(email.sent) == 1


# --------------------------------------------------------------------------------------------
# Mutants found by the mutation run (host-contract issue)
# --------------------------------------------------------------------------------------------


class ClaimError(Exception):
    """The log could not take the claim (a lock held too long, a full disk...)."""


def test_a_reservation_lost_to_another_runner_sends_nothing() -> None:
    """r2 reserves (and claims) the new J+1 email between r1's read and r1's: r1 sends nothing.

    The entry stays as r2 left it: reserved by r2, one attempt (r2's), so r2's own outcome
    (or, if r2 died, the crash recovery) decides what happens to it, never a second send.
    """
    store, email = store_with(), MemorySender(Channel.EMAIL)
    original = store.reserve

    def r2_gets_there_first(entry: LogEntry) -> bool:
        assert original(replace(entry, owner="r2")) is True  # r2 wins the insert...
        return original(entry)  # ...so r1's, on the same key, loses

    store.reserve = r2_gets_there_first  # type: ignore[method-assign]
    report = dunner(store, email).run(at=TUESDAY)
    assert report.counts() == {"skipped": 1}
    assert email.sent == []
    [entry] = store.entries_with(EntryStatus.RESERVED)
    assert (entry.owner, entry.attempts) == ("r2", 1)


def test_a_claim_lost_to_another_runner_sends_nothing() -> None:
    """r2 claims a retry between r1's read and r1's claim: r1 sends nothing."""
    store, email = store_with(), MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("connection refused", delivered=False))
    assert dunner(store, email).run(at=TUESDAY).counts() == {"retry": 1}
    original = store.begin_attempt

    def r2_gets_there_first(key: str, **claim: Any) -> Any:
        rival = {**claim, "owner": "r2"}
        assert original(key, **rival) is not None  # r2 wins the compare-and-set...
        return original(key, **claim)  # ...so r1's, expecting what it read, loses

    store.begin_attempt = r2_gets_there_first  # type: ignore[method-assign]
    dunner(store, email).run(at=TUESDAY + timedelta(hours=1))
    assert email.sent == []
    [entry] = store.entries_with(EntryStatus.RESERVED)
    assert (entry.owner, entry.attempts) == ("r2", 2)


def test_a_claim_that_fails_sends_nothing() -> None:
    """The log raises when r1 reserves or claims the J+1 email: the sender is never called."""
    store, email = store_with(), MemorySender(Channel.EMAIL)

    def failing(*args: Any, **kwargs: Any) -> Any:
        msg = "database is locked"
        raise ClaimError(msg)

    store.reserve = failing  # type: ignore[method-assign]
    # Whether the run reports the fault or lets it through, sending is not allowed.
    with contextlib.suppress(ClaimError):
        dunner(store, email).run(at=TUESDAY)
    assert email.sent == []
    store, email = store_with(), MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("connection refused", delivered=False))
    dunner(store, email).run(at=TUESDAY)
    store.begin_attempt = failing  # type: ignore[method-assign]
    with contextlib.suppress(ClaimError):
        dunner(store, email).run(at=TUESDAY + timedelta(hours=1))
    assert email.sent == []


# ------------------------------------------------------------------------- notifications


class Notices:
    """A `Notifier` that writes down what it hears, and can fail on one outcome."""

    def __init__(self, fail_on: str = "") -> None:
        """Fail on notices of *fail_on* (an outcome value); hear the rest."""
        self.heard: list[tuple[str, str]] = []
        self.fail_on = fail_on

    def notify(self, item: RunItem, *, at: Any) -> None:
        """Note (outcome, customer); raise on *fail_on*."""
        assert at == self.at
        if item.outcome.value == self.fail_on:
            msg = "chat server down"
            raise ConnectionError(msg)
        self.heard.append((item.outcome.value, item.customer_id))

    at: Any = TUESDAY


def test_a_notifier_hears_sent_failed_and_approval_needed_not_the_rest() -> None:
    """C-000's J+1 is refused for good (550); C-001's goes; C-003's notice awaits approval.

    A dry run notifies nothing.
    """
    store = store_with(1)
    refused = make_customer(id="C-000", name="Client 0")
    store.add_invoice(make_invoice(id="INV-000", customer=refused, due_on=DUE))
    notice_customer = make_customer(id="C-003", name="Client 3", postal_address="1 rue A, Paris")
    store.add_invoice(make_invoice(id="INV-003", customer=notice_customer, due_on=DUE))
    email = MemorySender(Channel.EMAIL)
    letters = MemorySender(Channel.REGISTERED_LETTER)
    email.fail_next.append(SendError("550 no such user", delivered=False, permanent=True))

    def choose(customer: Any) -> Any:
        return NOTICE if customer.id == "C-003" else per_invoice_spacing(STANDARD)

    notices = Notices()
    assert dunner(store, email, letters, scenario=choose, notifier=notices).run(
        at=TUESDAY, dry_run=True
    ).counts() == {"would_send": 2, "pending_approval": 1}
    assert notices.heard == []
    report = dunner(store, email, letters, scenario=choose, notifier=notices).run(at=TUESDAY)
    assert report.counts() == {"sent": 1, "failed": 1, "pending_approval": 1}
    assert notices.heard == [
        ("failed", "C-000"),
        ("sent", "C-001"),
        ("pending_approval", "C-003"),
    ]


def test_a_failing_notifier_is_an_error_item_and_the_run_goes_on() -> None:
    """The chat server is down when a message is sent: the message stands, the run reports it."""
    store = store_with(2)
    email = MemorySender(Channel.EMAIL)
    report = dunner(store, email, notifier=Notices(fail_on="sent")).run(at=TUESDAY)
    assert report.counts() == {"sent": 2, "error": 2}
    assert len(email.sent) == 2
    [first, _] = report.with_outcome(Outcome.ERROR)
    assert first.reason == "notifier failed on sent: ConnectionError: chat server down"


def test_a_notifier_without_notify_is_refused_at_construction() -> None:
    """Said when the runner is built."""
    with pytest.raises(ConfigurationError, match="notifier: object has no notify"):
        dunner(store_with(), MemorySender(Channel.EMAIL), notifier=object())
