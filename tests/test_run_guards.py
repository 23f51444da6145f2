"""Guards of the log and run layer that no test held (issue 19, part 8), in the customer's terms.

Each test here failed under a hand-made mutant that the rest of the suite let through:
an uncertain e-mail that could not bounce, a journal replay that ignored the attempt, and an
abandoned claim cancelled instead of made uncertain.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dunning import Channel, Dunner, Payment
from dunning.adapters.memory import MemorySender, MemoryStore, SimulatedCrash
from dunning.adapters.postgres import PostgresStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus, LogEntry, Receipt
from dunning.exceptions import RunInThePastError
from dunning.model import DeliveryFailed
from dunning.runner import Outcome
from dunning.scenarios import STANDARD
from dunning.testing import make_creditor, make_customer, make_invoice, paris
from dunning.testing.contract import entry as contract_entry
from tests.conversation_walk import per_invoice_spacing
from tests.helpers import empty_store

Store = MemoryStore | SqliteStore | PostgresStore
DUE = date(2026, 5, 4)
TUESDAY = paris(2026, 5, 5, 10, 0)  # J+1: STANDARD's "informative" e-mail is due
SCENARIO = per_invoice_spacing(STANDARD)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store: in memory, a SQLite file, a schema on a throwaway PostgreSQL server."""
    with empty_store(request.param, request, tmp_path) as empty:
        yield empty


def _dunner(store: Store, *senders: MemorySender, **options: object) -> Dunner:
    return Dunner(
        store,
        store,
        {s.channel: s for s in senders},
        SCENARIO,
        make_creditor(),
        owner=str(options.pop("owner", "r1")),
        **options,  # type: ignore[arg-type]
    )


def test_an_uncertain_email_that_bounces_lets_the_fallback_letter_go(store: Store) -> None:
    """The e-mail timed out after its data was sent (uncertain); a bounce comes in later.

    The bounce fails it for sure: the next run sends STANDARD's informative step by letter,
    its fallback channel, and nothing more by e-mail.
    """
    store.add_invoice(make_invoice(due_on=DUE))
    email, letter = MemorySender(Channel.EMAIL), MemorySender(Channel.LETTER)
    email.fail_next.append(_timeout())
    first = _dunner(store, email, letter).run(at=TUESDAY)
    assert first.counts() == {"uncertain": 1}
    [item] = first.items
    store.record_delivery_failure(item.key, at=TUESDAY + timedelta(hours=1), reason="550 unknown")
    second = _dunner(store, email, letter).run(at=TUESDAY + timedelta(hours=2))
    assert second.counts() == {"sent": 1}
    assert [m.channel for _, m in letter.sent] == [Channel.LETTER]
    assert email.sent == []
    history = store.events("INV-001")
    assert [e.reason for e in history if isinstance(e, DeliveryFailed)] == ["bounced: 550 unknown"]


def _timeout() -> Exception:
    from dunning.ports import SendError  # noqa: PLC0415

    return SendError("timeout after DATA", delivered=None)


class _Journal:
    """An in-memory `OutcomeJournal` holding what a test put in it."""

    def __init__(self, kept: Sequence[tuple[str, int, Receipt, datetime]]) -> None:
        self.items = list(kept)

    def keep(self, key: str, attempts: int, receipt: Receipt, at: datetime) -> None:
        self.items.append((key, attempts, receipt, at))

    def kept(self) -> Sequence[tuple[str, int, Receipt, datetime]]:
        return list(self.items)

    def drop(self, key: str) -> None:
        self.items = [i for i in self.items if i[0] != key]


def test_a_journal_replay_never_stamps_an_old_attempt_over_one_in_flight(store: Store) -> None:
    """Attempt 1 was accepted but not recorded (journal); attempt 2 is being sent right now.

    Runner r2 claimed it at 10:00; at 10:01 its lease runs, so nothing else touches it.

    Replaying the journal must not mark the message sent with attempt 1's receipt: the entry
    another runner is sending stays as it is (reserved, attempt 2, no receipt).
    """
    store.add_invoice(make_invoice(due_on=DUE))
    in_flight = contract_entry(
        "msg_1",
        status=EntryStatus.RESERVED,
        owner="r2",
        attempts=2,
        reserved_at=TUESDAY,
        updated_at=TUESDAY,
        attempted_at=TUESDAY,
    )
    assert store.reserve(in_flight)
    old = Receipt(provider_id="smtp-1", detail="250 accepted")
    journal = _Journal([("msg_1", 1, old, TUESDAY - timedelta(minutes=5))])
    _dunner(store, journal=journal).run(at=TUESDAY + timedelta(minutes=1))
    entry = store.get("msg_1")
    assert entry is not None
    assert (entry.status, entry.attempts, entry.receipt) == (EntryStatus.RESERVED, 2, None)


def test_a_claim_abandoned_after_the_provider_took_it_becomes_uncertain(store: Store) -> None:
    """The runner died right after the provider accepted the e-mail; then the customer paid.

    The provider deduplicates by key, so a resend under the same key would be harmless and
    recovery leaves the claim to be sent again. But the message is no longer due, and it may
    well have gone out: the next run (the lease over) reports it uncertain for a person to
    resolve, never cancels it as if unsent.
    """
    store.add_invoice(make_invoice(due_on=DUE))
    email = MemorySender(Channel.EMAIL, crash_after_send=True, deduplicates=True)
    with pytest.raises(SimulatedCrash):
        _dunner(store, email).run(at=TUESDAY)
    store.add_event("INV-001", Payment(on=date(2026, 5, 5), amount=Decimal("1200.00")))
    later = TUESDAY + timedelta(hours=1)  # past the 15-minute lease
    again = MemorySender(Channel.EMAIL, deduplicates=True)
    report = _dunner(store, again, owner="r2").run(at=later)
    assert report.counts() == {"uncertain": 1}
    [item] = report.items
    assert item.outcome is Outcome.UNCERTAIN
    entry = store.get(item.key)
    assert entry is not None
    assert entry.status is EntryStatus.UNCERTAIN


class _RacedStore(MemoryStore):
    """A store where the runner of an abandoned claim records ``sent`` just after recovery reads it.

    `entries_with` returns what it read; then, before the recovering runner writes, the
    original runner (back from a long pause) records its outcome.
    """

    armed = False

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        found = list(super().entries_with(*statuses))
        for entry in found if self.armed else ():
            if entry.status is EntryStatus.RESERVED and entry.attempts:
                receipt = Receipt(provider_id="smtp-1", detail="250 accepted")
                self.finish(entry.key, EntryStatus.SENT, at=entry.updated_at, receipt=receipt)
        return found


def test_recovery_never_overwrites_a_send_recorded_while_it_looked() -> None:
    """Runner r1 claimed the e-mail and paused past its lease; r2 recovers; r1 records sent.

    The customer got the e-mail: the log says ``sent`` with r1's receipt, not ``uncertain``
    (before issue 19 recovery wrote ``uncertain`` over it, so a person was asked to resolve
    a message that had certainly gone, and a resolution "not delivered" would resend it).
    """
    store = _RacedStore()
    store.add_invoice(make_invoice(due_on=DUE))
    email = MemorySender(Channel.EMAIL, crash_after_send=True)
    with pytest.raises(SimulatedCrash):
        _dunner(store, email).run(at=TUESDAY)
    [(key, _)] = email.sent  # the provider took it; the log still says reserved
    store.armed = True
    later = TUESDAY + timedelta(hours=1)  # past r1's 15-minute lease
    _dunner(store, MemorySender(Channel.EMAIL), owner="r2").run(at=later)
    entry = store.get(key)
    assert entry is not None
    assert entry.status is EntryStatus.SENT
    assert entry.receipt == Receipt(provider_id="smtp-1", detail="250 accepted")


def test_one_run_keeps_each_customer_s_own_calendar(store: Store) -> None:
    """A run shares its places between customers, never one customer's calendar with another.

    Invoices due Thursday 2 April 2026. J+1 is Good Friday, 3 April: a working day in Paris,
    a public holiday in Moselle (subdivision 57), where the step rolls past Easter Monday (off
    everywhere) to Tuesday 7 April. On Friday at 10:00 the Parisian customer gets STANDARD's
    informative e-mail; the Moselle customer (reviewed first, so its place is cached first)
    gets nothing yet.
    """
    moselle = make_customer(id="C-A", name="Metz SARL", country="FR", subdivision="57")
    paris_customer = make_customer(id="C-B", name="Paris SARL")
    store.add_invoice(make_invoice(id="INV-A", customer=moselle, due_on=date(2026, 4, 2)))
    store.add_invoice(make_invoice(id="INV-B", customer=paris_customer, due_on=date(2026, 4, 2)))
    email = MemorySender(Channel.EMAIL)
    report = _dunner(store, email).run(at=paris(2026, 4, 3, 10, 0))
    assert [(i.outcome, i.customer_id) for i in report.items] == [(Outcome.SENT, "C-B")]
    later = _dunner(store, email).run(at=paris(2026, 4, 7, 10, 0))
    assert [(i.outcome, i.customer_id) for i in later.items] == [(Outcome.SENT, "C-A")]


def test_a_mistaken_future_run_can_be_moved_back_with_an_audit_line(store: Store) -> None:
    """A run given 2206 for 2026 refuses every later run; a person moves it back, and says why.

    Runs at the true date are accepted again; the move is kept with who, when and why. What
    the wrong run sent stays in the log.
    """
    store.add_invoice(make_invoice(due_on=DUE))
    mistake = paris(2206, 5, 5, 10, 0)
    _dunner(store).run(at=mistake)
    with pytest.raises(RunInThePastError):
        _dunner(store).run(at=TUESDAY)
    for not_before in (mistake, paris(2207, 1, 1)):  # only backwards, never to the same instant
        with pytest.raises(ValueError, match="is not before the latest run"):
            store.reset_latest_run(not_before, by="claire", at=TUESDAY, reason="typo")
    with pytest.raises(ValueError, match="say who moves the latest run back, and why"):
        store.reset_latest_run(TUESDAY, by="claire", at=TUESDAY, reason=" ")
    line = store.reset_latest_run(
        TUESDAY - timedelta(hours=1), by="claire", at=TUESDAY, reason="typed 2206 for 2026"
    )
    assert (line.replaced, line.to) == (mistake, TUESDAY - timedelta(hours=1))
    assert store.latest_run() == TUESDAY - timedelta(hours=1)
    assert _dunner(store, MemorySender(Channel.EMAIL)).run(at=TUESDAY).counts() == {"sent": 1}
    assert [(r.by, r.reason, r.to) for r in store.latest_run_resets()] == [
        ("claire", "typed 2206 for 2026", TUESDAY - timedelta(hours=1))
    ]
