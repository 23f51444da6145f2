"""SqliteStore on real files: the contract it shares with MemoryStore, and its own guarantees.

Persistence, migrations, atomic transactions, two processes on one file.

Instants are Paris times in May 2026 (UTC+2); SQLite keeps them in UTC and gives back equal
instants.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dunning import Channel, Payment
from dunning.adapters import _sql as sql_adapter
from dunning.adapters.memory import MemoryStore
from dunning.adapters.sqlite import SCHEMA_VERSION, SqliteStore
from dunning.core.model import ActionApproved, ActionRejected, ActionTaken, DeliveryFailed
from dunning.exceptions import ConfigurationError
from dunning.model import PaymentOnAccount, UnappliedCreditNote
from dunning.ports import Covered, EntryStatus, LogEntry, Receipt
from dunning.render import Message
from dunning.testing import make_creditor, make_customer, make_invoice, paris
from tests.integration import two_process

AT = paris(2026, 5, 5)
LATER = AT + timedelta(hours=1)

Store = MemoryStore | SqliteStore  # the `store` fixture (conftest.py) gives each in turn


def message(key: str = "cact_1", channel: Channel = Channel.EMAIL) -> Message:
    """A rendered message, as the runner stores it with its reservation."""
    return Message(
        action_id=key,
        channel=channel,
        template="reminder",
        locale="fr",
        subject="Relance : facture 2026-0001",
        text="Bonjour,\n1 200,00 € restent dus.",
        html="<p>1 200,00 € restent dus.</p>",
        attachments=("pdf:2026-0001",),
        to="compta@boulangerie-martin.example",
    )


def entry(key: str = "cact_1", **changes: object) -> LogEntry:
    """A fresh reservation of one message covering one action on INV-001."""
    fields: dict[str, object] = {
        "key": key,
        "customer_id": "C-001",
        "channel": Channel.EMAIL,
        "covers": (Covered("INV-001", f"act_{key}", "reminder"),),
        "message": message(key),
        "status": EntryStatus.RESERVED,
        "owner": "r1",
        "reserved_at": AT,
        "updated_at": AT,
    }
    fields.update(changes)
    return LogEntry(**fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the ActionLog contract


def test_reserve_is_insert_if_absent_and_get_gives_it_back_whole(store: Store) -> None:
    """The second reservation of a key loses; the entry reads back equal, message included."""
    first = entry()
    assert store.reserve(first) is True
    assert store.reserve(entry(owner="r2")) is False
    assert store.get("cact_1") == first
    assert store.get("unknown") is None


def test_begin_attempt_is_a_compare_and_set_on_status_and_attempts(store: Store) -> None:
    """Only the caller that saw (reserved, 0) gets the claim; attempts goes 0 -> 1."""
    store.reserve(entry())
    wrong_status = store.begin_attempt(
        "cact_1", owner="r2", expect=EntryStatus.RETRY, expect_attempts=0, at=LATER
    )
    wrong_attempts = store.begin_attempt(
        "cact_1", owner="r2", expect=EntryStatus.RESERVED, expect_attempts=1, at=LATER
    )
    assert (wrong_status, wrong_attempts) == (None, None)
    claimed = store.begin_attempt(
        "cact_1", owner="r2", expect=EntryStatus.RESERVED, expect_attempts=0, at=LATER
    )
    assert claimed is not None
    assert (claimed.status, claimed.owner, claimed.attempts) == (EntryStatus.RESERVED, "r2", 1)
    assert claimed.updated_at == LATER
    assert claimed.reserved_at == AT
    again = store.begin_attempt(
        "cact_1", owner="r3", expect=EntryStatus.RESERVED, expect_attempts=0, at=LATER
    )
    assert again is None
    assert (
        store.begin_attempt(
            "unknown", owner="r1", expect=EntryStatus.RESERVED, expect_attempts=0, at=LATER
        )
        is None
    )


def test_finish_records_receipt_and_reason(store: Store) -> None:
    """Sent keeps the provider's receipt; the derived events tell the engine it was taken."""
    store.add_invoice(make_invoice())
    store.reserve(entry())
    receipt = Receipt(provider_id="<cact_1@durand.example>", detail="250 OK queued")
    store.finish("cact_1", EntryStatus.SENT, at=LATER, receipt=receipt)
    sent = store.get("cact_1")
    assert sent is not None
    assert (sent.status, sent.receipt, sent.updated_at) == (EntryStatus.SENT, receipt, LATER)
    assert store.events("INV-001") == (
        ActionTaken(at=LATER, action_id="act_cact_1", channel=Channel.EMAIL, step_id="reminder"),
    )


def test_a_permanent_failure_is_taken_and_failed_for_the_engine(store: Store) -> None:
    """FAILED gives ActionTaken + DeliveryFailed, so the scenario's fallback channel follows."""
    store.add_invoice(make_invoice())
    store.reserve(entry())
    store.finish("cact_1", EntryStatus.FAILED, at=LATER, reason="550 no such user")
    assert store.events("INV-001") == (
        ActionTaken(at=LATER, action_id="act_cact_1", channel=Channel.EMAIL, step_id="reminder"),
        DeliveryFailed(at=LATER, action_id="act_cact_1", reason="550 no such user"),
    )


def test_finish_of_an_unknown_key_is_refused(store: Store) -> None:
    """Recording an outcome for a message never reserved is a bug: KeyError, nothing written."""
    with pytest.raises(KeyError):
        store.finish("nope", EntryStatus.SENT, at=LATER)
    assert store.get("nope") is None


def test_approval_and_rejection(store: Store) -> None:
    """Only a pending entry can be decided; the decision becomes an event on the invoice."""
    store.add_invoice(make_invoice())
    store.add_invoice(make_invoice(id="INV-002", number="2026-0002"))
    store.reserve(entry("k1", status=EntryStatus.PENDING_APPROVAL))
    covers = (Covered("INV-002", "act_k2", "notice"),)
    store.reserve(entry("k2", status=EntryStatus.PENDING_APPROVAL, covers=covers))
    approved = store.decide_approval("k1", approved=True, by="claire", at=LATER)
    assert (approved.status, approved.decided_by) == (EntryStatus.APPROVED, "claire")
    rejected = store.decide_approval("k2", approved=False, by="", at=LATER)
    assert (rejected.status, rejected.decided_by) == (EntryStatus.REJECTED, "unknown")
    with pytest.raises(KeyError, match="no message awaiting approval with id 'k1'"):
        store.decide_approval("k1", approved=False, by="claire", at=LATER)
    with pytest.raises(KeyError):
        store.decide_approval("nope", approved=True, by="claire", at=LATER)
    assert store.events("INV-001") == (ActionApproved(at=LATER, action_id="act_k1", by="claire"),)
    assert store.events("INV-002") == (ActionRejected(at=LATER, action_id="act_k2", by="unknown"),)


def test_entries_with_lists_oldest_reservation_first_whatever_the_time_zone(store: Store) -> None:
    """09:00 UTC is after 10:30 Paris (08:30 UTC): order by instant, then key."""
    nine_utc = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    store.reserve(entry("b", reserved_at=nine_utc, updated_at=nine_utc))
    store.reserve(entry("c", reserved_at=AT, updated_at=AT, status=EntryStatus.RETRY))
    store.reserve(entry("a", reserved_at=AT, updated_at=AT))
    store.reserve(entry("d", status=EntryStatus.SENT))
    listed = store.entries_with(EntryStatus.RESERVED, EntryStatus.RETRY)
    assert [e.key for e in listed] == ["a", "c", "b"]
    assert store.entries_with() == []


def test_entries_come_grouped_by_customer_with_the_hosts_events(store: Store) -> None:
    """Sorted by customer then invoice; add_invoice replaces the host's events."""
    zed, abc = make_customer(id="C-Z", name="Zed"), make_customer(id="C-A", name="Abc")
    store.add_invoice(make_invoice(id="INV-9", customer=zed))
    store.add_invoice(make_invoice(id="INV-2", customer=abc))
    store.add_invoice(make_invoice(id="INV-1", customer=abc))
    paid = Payment(on=date(2026, 3, 10), amount=Decimal("100.00"))
    store.add_event("INV-1", paid)
    listed = [(e.customer_id, e.invoice.id, e.events) for e in store.entries(AT)]  # type: ignore[union-attr]
    assert listed == [("C-A", "INV-1", (paid,)), ("C-A", "INV-2", ()), ("C-Z", "INV-9", ())]
    store.add_invoice(make_invoice(id="INV-1", customer=abc))
    assert store.events("INV-1") == ()


# ---------------------------------------------------------------------------- SQLite only


def test_the_file_survives_the_process(tmp_path: Path) -> None:
    """Closed and reopened: invoices, events, log and creditor are all there, equal."""
    path = tmp_path / "dunning.db"
    invoice = make_invoice(total="1234.56")
    paid = Payment(on=date(2026, 3, 10), amount=Decimal("0.01"))
    creditor = make_creditor()
    with SqliteStore(path) as first:
        first.add_invoice(invoice, [paid])
        first.reserve(entry())
        first.set_creditor(creditor)
    with SqliteStore(path, create=False) as second:
        [history] = second.entries(AT)
        assert history.invoice == invoice  # type: ignore[union-attr]
        assert history.events == (paid,)  # type: ignore[union-attr]
        assert second.get("cact_1") == entry()
        assert second.creditor() == creditor
        assert second.schema_version() == SCHEMA_VERSION == 6


def test_a_missing_file_is_not_created_when_told_not_to(tmp_path: Path) -> None:
    """`create=False` (what `dunning approve` uses): a typo in the path is an error, not a DB."""
    path = tmp_path / "typo.db"
    with pytest.raises(ConfigurationError, match=r"typo\.db' does not exist"):
        SqliteStore(path, create=False)
    assert not path.exists()


def test_the_schema_is_migrated_once_and_recorded(tmp_path: Path) -> None:
    """Reopening applies nothing twice; schema_migrations records version 1."""
    path = tmp_path / "dunning.db"
    SqliteStore(path).close()
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT version, description FROM schema_migrations").fetchall()
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()
    assert rows == [
        (1, "customers, invoices, events, credits, action log, settings"),
        (2, "review index, approval and attempt instants, amounts approved, resolutions"),
        (3, "deadline date each preview states (an approval covers it)"),
        (4, "each cover's position in its message (as PostgreSQL has it)"),
        (5, "tenants: every row and key scoped to a tenant; each invoice's shard bucket"),
        (6, "send windows: the instants a message prepared ahead may go from, and until"),
    ]
    assert mode == "wal"


def test_a_file_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    """Schema version 99 > 1: refused with the reason; the file keeps its version."""
    path = tmp_path / "dunning.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, 'from the future')")
    db.close()
    with pytest.raises(ConfigurationError, match="schema version 99, newer than this release's 6"):
        SqliteStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == 99
    db.close()


def test_a_reservation_is_all_or_nothing(tmp_path: Path) -> None:
    """Covers that break a constraint roll the log row back too: no half-written entry."""
    with SqliteStore(tmp_path / "dunning.db") as store:
        twice = Covered("INV-001", "act_x", "reminder")
        with pytest.raises(sqlite3.IntegrityError):
            store.reserve(entry("x", covers=(twice, twice)))
        assert store.get("x") is None
        assert store.reserve(entry("x")) is True


def test_credits_archive_and_history(tmp_path: Path) -> None:
    """Unallocated credits follow their customer's invoices; archived invoices leave the review."""
    with SqliteStore(tmp_path / "dunning.db") as store:
        store.add_invoice(make_invoice(id="INV-1"))
        store.add_invoice(make_invoice(id="INV-2"))
        on_account = PaymentOnAccount(customer_id="C-001", on=date(2026, 3, 1), amount=Decimal(50))
        credit_note = UnappliedCreditNote(
            customer_id="C-001", on=date(2026, 3, 2), amount=Decimal(20)
        )
        store.add_credit(on_account)
        store.add_credit(credit_note)
        store.archive_invoice("INV-2")
        listed = list(store.entries(AT))
        assert [getattr(e, "kind") for e in listed] == [  # noqa: B009
            "invoice",
            "payment_on_account",
            "unapplied_credit_note",
        ]
        assert listed[1:] == [on_account, credit_note]
        store.reserve(entry("k", covers=(Covered("INV-2", "act_k", "reminder"),)))
        assert [e.key for e in store.log_for_invoice("INV-2")] == ["k"]
        assert store.log_for_invoice("INV-1") == []
        assert store.creditor() is None
        for bad in (
            lambda: store.add_event("nope", Payment(on=date(2026, 3, 1), amount=Decimal(1))),
            lambda: store.add_credit(on_account.model_copy(update={"customer_id": "nope"})),
            lambda: store.archive_invoice("nope"),
            lambda: store.events("nope"),
        ):
            with pytest.raises(KeyError, match="nope"):
                bad()


def test_a_large_book_streams_in_batches_each_customer_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 3 over 8 customers: every invoice once, in customer order, none lost at edges."""
    monkeypatch.setattr(sql_adapter, "_BATCH", 3)
    with SqliteStore(tmp_path / "dunning.db") as store:
        for n in (5, 1, 8, 3, 2, 7, 4, 6):
            customer = make_customer(id=f"C-{n}", name=f"Client {n}")
            store.add_invoice(make_invoice(id=f"INV-{n}-a", customer=customer))
            store.add_invoice(make_invoice(id=f"INV-{n}-b", customer=customer))
        ids = [e.invoice.id for e in store.entries(AT)]  # type: ignore[union-attr]
    assert ids == [f"INV-{n}-{s}" for n in range(1, 9) for s in "ab"]


def test_naive_instants_are_refused(tmp_path: Path) -> None:
    """A naive instant cannot be stored: it would silently mean UTC."""
    with SqliteStore(tmp_path / "dunning.db") as store:
        naive = AT.replace(tzinfo=None)
        with pytest.raises(ValueError, match="timezone"):
            store.reserve(entry(reserved_at=naive))
        with pytest.raises(ValueError, match="timezone"):
            list(store.entries(naive))


def test_two_stores_on_one_file_reserve_each_key_once(tmp_path: Path) -> None:
    """Two connections racing on 30 keys from two threads: each key won exactly once."""
    path = tmp_path / "dunning.db"
    first, second = SqliteStore(path), SqliteStore(path)
    wins: dict[str, list[str]] = {"first": [], "second": []}
    start = threading.Barrier(2)

    def race(name: str, store: SqliteStore) -> None:
        start.wait()
        for n in range(30):
            if store.reserve(entry(f"k{n}")):
                wins[name].append(f"k{n}")

    threads = [
        threading.Thread(target=race, args=("first", first)),
        threading.Thread(target=race, args=("second", second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first.close()
    second.close()
    assert sorted(wins["first"] + wins["second"], key=lambda k: int(k[1:])) == [
        f"k{n}" for n in range(30)
    ]


def test_two_processes_on_one_file_send_each_message_exactly_once(tmp_path: Path) -> None:
    """Two OS processes run the Dunner at once on one file: 30 due messages, 30 sends in all."""
    path = tmp_path / "dunning.db"
    sent_log = tmp_path / "sent.txt"
    two_process.prepare(path, customers=30)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [
        context.Process(target=two_process.run, args=(str(path), str(sent_log), owner, start))
        for owner in ("p1", "p2")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    lines = sent_log.read_text(encoding="utf-8").splitlines()
    keys = [line.split()[1] for line in lines]
    assert len(keys) == 30
    assert len(set(keys)) == 30
    with SqliteStore(path) as store:
        sent = store.entries_with(EntryStatus.SENT)
        assert sorted(e.key for e in sent) == sorted(keys)
        assert {e.owner for e in sent} <= {"p1", "p2"}


def test_a_late_bounce_sends_the_step_again_by_its_fallback_channel(store: Store) -> None:
    """J+1 email sent on 5 May, bounced that evening: on 6 May the J+1 goes by letter, once."""
    from dunning import STANDARD, Dunner  # noqa: PLC0415  (only this test runs the loop)
    from dunning.adapters.memory import MemorySender  # noqa: PLC0415

    store.add_invoice(make_invoice(due_on=date(2026, 5, 4)))
    email, letter = MemorySender(Channel.EMAIL), MemorySender(Channel.LETTER)
    creditor = make_creditor()
    senders = {Channel.EMAIL: email, Channel.LETTER: letter}
    dunner = Dunner(store, store, senders, STANDARD, creditor, owner="r1")
    assert dunner.run(at=AT).counts() == {"sent": 1}
    [sent] = store.entries_with(EntryStatus.SENT)
    with pytest.raises(ValueError, match=r"naive|timezone"):
        store.record_delivery_failure(sent.key, at=AT.replace(tzinfo=None), reason="x")
    store.record_delivery_failure(sent.key, at=AT + timedelta(hours=8), reason="550 mailbox full")
    assert DeliveryFailed(
        at=AT + timedelta(hours=8),
        action_id=sent.covers[0].action_id,
        reason="bounced: 550 mailbox full",
    ) in store.events("INV-001")
    assert store.get(sent.key).status is EntryStatus.FAILED  # type: ignore[union-attr]
    next_day = paris(2026, 5, 6)
    report = dunner.run(at=next_day)
    assert report.by_channel() == {"letter": {"sent": 1}}
    assert dunner.run(at=next_day).counts() == {}
    assert (len(email.sent), len(letter.sent)) == (1, 1)


def test_only_a_sent_message_can_bounce(store: Store) -> None:
    """A reserved (never sent) or unknown message cannot bounce: refused, nothing recorded."""
    store.add_invoice(make_invoice())
    store.reserve(entry())
    with pytest.raises(ValueError, match="'cact_1' is reserved, not sent"):
        store.record_delivery_failure("cact_1", at=LATER, reason="bounce")
    with pytest.raises(KeyError, match="no message with id 'nope'"):
        store.record_delivery_failure("nope", at=LATER, reason="bounce")
    assert store.events("INV-001") == ()


def test_cancel_is_a_compare_and_set_and_leaves_no_event(store: Store) -> None:
    """Only the caller that saw (retry, 1) cancels; a cancelled entry tells the engine nothing."""
    store.add_invoice(make_invoice())
    store.reserve(entry(status=EntryStatus.RETRY, attempts=1))
    reason = "no longer due"
    assert not store.cancel(
        "cacts_1", expect=EntryStatus.RETRY, expect_attempts=1, at=LATER, reason=reason
    )
    assert not store.cancel(
        "cact_1", expect=EntryStatus.RETRY, expect_attempts=0, at=LATER, reason=reason
    )
    assert store.cancel(
        "cact_1", expect=EntryStatus.RETRY, expect_attempts=1, at=LATER, reason=reason
    )
    cancelled = store.get("cact_1")
    assert cancelled is not None
    assert (cancelled.status, cancelled.reason, cancelled.updated_at) == (
        EntryStatus.CANCELLED,
        reason,
        LATER,
    )
    assert store.events("INV-001") == ()
    again = store.begin_attempt(
        "cact_1", owner="r1", expect=EntryStatus.CANCELLED, expect_attempts=1, at=LATER
    )
    assert again is not None
    assert (again.status, again.attempts) == (EntryStatus.RESERVED, 2)


# --------------------------------------------------------------------------------------------
# Mutants found by the mutation run (host-contract issue)
# --------------------------------------------------------------------------------------------

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _connections_opened(monkeypatch: pytest.MonkeyPatch) -> list[sqlite3.Connection]:
    """Every connection opened through ``sqlite3.connect`` from now on, in order."""
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db: sqlite3.Connection = connect(*args, **kwargs)
        opened.append(db)
        return db

    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    return opened


def test_every_connection_of_the_store_syncs_fully(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PRAGMA synchronous reads 2 (FULL) on the store's connections, in every thread.

    FULL makes a commit durable before it returns, so a claim (`begin_attempt`) survives a
    power cut that follows it; NORMAL in WAL mode may lose the last commits.
    """
    opened = _connections_opened(monkeypatch)
    seen: dict[str, list[tuple[int, str]]] = {}

    def use_and_read(name: str, store: SqliteStore) -> None:
        before = len(opened)
        store.reserve(entry(f"k-{name}"))
        mine = opened[before:] if name == "worker" else opened
        seen[name] = [
            (
                db.execute("PRAGMA synchronous").fetchone()[0],
                db.execute("PRAGMA journal_mode").fetchone()[0],
            )
            for db in mine
        ]

    with SqliteStore(tmp_path / "dunning.db") as store:
        use_and_read("main", store)
        worker = threading.Thread(target=use_and_read, args=("worker", store))
        worker.start()
        worker.join()
    assert seen["main"]
    assert seen["worker"]
    assert set(seen["main"] + seen["worker"]) == {(2, "wal")}


def test_every_transaction_that_writes_takes_the_write_lock_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each transaction with a write in it starts with BEGIN IMMEDIATE (statement trace)."""
    opened = _connections_opened(monkeypatch)
    statements: list[str] = []
    with SqliteStore(tmp_path / "dunning.db") as store:
        for db in opened:
            db.set_trace_callback(statements.append)
        store.add_invoice(make_invoice())
        store.reserve(entry())
        store.begin_attempt(
            "cact_1", owner="r1", expect=EntryStatus.RESERVED, expect_attempts=0, at=LATER
        )
        store.finish("cact_1", EntryStatus.SENT, at=LATER, receipt=Receipt(provider_id="<m@x>"))
        store.record_delivery_failure("cact_1", at=LATER, reason="550")
        store.reserve(entry("pending", status=EntryStatus.PENDING_APPROVAL))
        store.decide_approval("pending", approved=True, by="M", at=LATER)
        store.cancel(
            "pending", expect=EntryStatus.APPROVED, expect_attempts=0, at=LATER, reason="x"
        )
        store.add_event("INV-001", Payment(on=date(2026, 5, 6), amount=Decimal(1)))
    transactions: list[list[str]] = []
    for sql in statements:
        words = sql.split()
        if words and words[0].upper() == "BEGIN":
            transactions.append([])
        if transactions:
            transactions[-1].append(" ".join(words).upper())
    writing = [t for t in transactions if any(s.startswith(_WRITES) for s in t)]
    assert len(writing) >= 9
    assert [
        t[0] for t in writing if not t[0].startswith(("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"))
    ] == []


@pytest.mark.parametrize("call", ["add_event", "record_delivery_failure"])
def test_no_other_writer_gets_in_between_a_read_and_its_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    """Two stores on one file: while one reads then writes, the other cannot write in between.

    The first store checks the invoice (or the sent message) exists, then writes. At the very
    moment its write starts, a second store (another runner's connection, not waiting) tries
    to record a payment: it is refused, "database is locked", and the first store's call goes
    through. With a plain deferred BEGIN the rival's write would get in, and the first store,
    holding a stale read snapshot, would then fail on its own write (SQLITE_BUSY).
    """
    path = tmp_path / "dunning.db"
    rival = SqliteStore(path, timeout=0)
    rival.add_invoice(make_invoice())
    rival.reserve(entry())
    rival.finish("cact_1", EntryStatus.SENT, at=LATER, receipt=Receipt(provider_id="<m@x>"))
    opened = _connections_opened(monkeypatch)
    outcomes: list[str] = []
    armed = [False]

    def interleave(sql: str) -> None:
        if armed[0] and sql.lstrip().upper().startswith(_WRITES):
            armed[0] = False
            try:
                rival.add_event("INV-001", Payment(on=date(2026, 5, 6), amount=Decimal(10)))
            except sqlite3.OperationalError as error:
                outcomes.append(f"refused: {error}")
            else:
                outcomes.append("written")

    with SqliteStore(path) as store:
        store.schema_version()  # opens this thread's connection
        for db in opened:
            db.set_trace_callback(interleave)
        armed[0] = True
        if call == "add_event":
            store.add_event("INV-001", Payment(on=date(2026, 5, 5), amount=Decimal(1)))
        else:
            store.record_delivery_failure("cact_1", at=LATER, reason="550 mailbox full")
        assert outcomes == ["refused: database is locked"]
        events = store.events("INV-001")
    rival.close()
    # Only the first store's write is there: its 1.00 payment or its bounce, never the 10.00.
    paid = [e.amount for e in events if isinstance(e, Payment)]
    bounced = [e.reason for e in events if isinstance(e, DeliveryFailed)]
    if call == "add_event":
        assert (paid, bounced) == ([Decimal(1)], [])
    else:
        assert (paid, bounced) == ([], ["bounced: 550 mailbox full"])


def test_a_version_1_file_is_upgraded_keeping_its_log(tmp_path: Path) -> None:
    """A version 1 file is migrated to the current version with its sent message intact.

    The attempt and approval instants are taken from the entry's last update; the covers keep
    the order they were written in.
    """
    from dunning.adapters.sqlite import _MIGRATIONS  # noqa: PLC0415  (the v1 statements)

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE schema_migrations"
            " (version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
        )
        version, description, statements = _MIGRATIONS[0]
        for statement in statements:
            db.execute(statement)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, description))
        invoice = make_invoice()
        db.execute(
            "INSERT INTO customers VALUES (?, ?)",
            (invoice.customer.id, invoice.customer.model_dump_json()),
        )
        db.execute(
            "INSERT INTO invoices (id, customer_id, data) VALUES (?, ?, ?)",
            (invoice.id, invoice.customer.id, invoice.model_dump_json(exclude={"customer"})),
        )
        sent_at = "2026-05-05T08:30:00.000000+00:00"
        db.execute(
            "INSERT INTO action_log (key, customer_id, channel, status, owner, reserved_at,"
            " updated_at, attempts, requires_approval, message, decided_by)"
            " VALUES ('k1', 'C-001', 'email', 'sent', 'r1', ?, ?, 1, 1, ?, 'claire')",
            (sent_at, sent_at, message("k1").model_dump_json()),
        )
        db.execute("INSERT INTO action_covers VALUES ('k1', 'INV-001', 'act_k1', 'reminder')")
        # A second invoice the message covered, written after the first: version 4 numbers
        # the covers in the order they were written (not in key order, where 'act_a' is first).
        db.execute("INSERT INTO action_covers VALUES ('k1', 'INV-002', 'act_a', 'reminder')")
    db.close()
    with SqliteStore(path) as store:
        assert store.schema_version() == 6
        entry = store.get("k1")
        assert entry is not None
        assert [c.action_id for c in entry.covers] == ["act_k1", "act_a"]
        instant = datetime(2026, 5, 5, 8, 30, tzinfo=UTC)
        assert (entry.attempted_at, entry.decided_at) == (instant, instant)
        [history] = store.entries(LATER)
        taken = [e for e in history.events if isinstance(e, ActionTaken)]  # type: ignore[union-attr]
        assert [(e.action_id, e.at) for e in taken] == [("act_k1", instant)]
    # Version 5: the rows are the default tenant's, each invoice with its customer's bucket
    # (the first 4 bytes of SHA-256 of "default/C-001", written out independently here).
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT tenant, id, bucket FROM invoices").fetchall()
        tenants = {
            t
            for (t,) in db.execute(
                "SELECT tenant FROM action_log UNION"
                " SELECT tenant FROM action_covers UNION"
                " SELECT tenant FROM customers"
            )
        }
    db.close()
    assert rows == [
        ("default", "INV-001", int(hashlib.sha256(b"default/C-001").hexdigest()[:8], 16))
    ]
    assert tenants == {"default"}
    with SqliteStore(path, tenant="acme") as other:
        assert other.get("k1") is None
        assert list(other.entries(LATER)) == []


def test_a_migration_that_would_orphan_rows_is_refused_and_rolled_back(tmp_path: Path) -> None:
    """A version 4 file holding an event of no invoice (written with foreign keys off).

    Version 5 rebuilds the tables with the foreign keys checked: the upgrade is refused naming
    the rows, and the file is left at version 4 with its rows, for a person to mend.
    """
    from dunning.adapters.sqlite import _MIGRATIONS  # noqa: PLC0415  (the v1-v4 statements)

    path = tmp_path / "v4.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE schema_migrations"
            " (version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
        )
        for version, description, statements in _MIGRATIONS[:4]:
            for statement in statements:
                db.execute(statement)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, description))
        db.execute("INSERT INTO events (invoice_id, kind, data) VALUES ('GHOST', 'payment', '{}')")
    db.close()
    with pytest.raises(ConfigurationError, match="rows without their parent"):
        SqliteStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT max(version) FROM schema_migrations").fetchone() == (4,)
        assert db.execute("SELECT invoice_id FROM events").fetchall() == [("GHOST",)]
    db.close()
