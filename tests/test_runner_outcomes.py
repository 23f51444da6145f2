"""``outcome_with_next_reservation``: a sent message's outcome goes with the next reservation.

What must hold, in the customer's terms: whenever a message is handed to a sender, every
message this run sent before it is already recorded as sent (so a crash never leaves more than
the one message in hand in doubt); an outcome never waits past the end of the next customer;
an interrupted run records what it sent; a failing combined write loses nothing; and a host's
store whose ``reserve`` does more (an audit line) is never bypassed. Customers C-001, C-002...
each have one invoice due Monday 4 May 2026; the run on Tuesday 5 May sends each its J+1
email. On the three reference stores where the store matters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dunning import STANDARD, Channel, Payment
from dunning.adapters.memory import MemorySender, MemoryStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus, LogEntry, Receipt
from dunning.core.portfolio import CustomerAction
from dunning.ports import SendContext
from dunning.render import Message
from dunning.runner import Dunner
from tests.conversation_walk import per_invoice_spacing
from tests.test_runner import CREDITOR, TUESDAY
from tests.test_runner_guarantees import Store, add, dunner
from tests.test_runner_guarantees import store as store  # noqa: PLC0414  (the fixture)


def status_of(log: Any, key: str) -> EntryStatus:
    """The status of *key*'s entry in *log* (which must hold it)."""
    entry: LogEntry | None = log.get(key)
    assert entry is not None, key
    return entry.status


def customers(book: Store, count: int = 3) -> None:
    """One invoice due Monday for each of C-001 ... C-00*count*."""
    for n in range(1, count + 1):
        add(book, f"INV-00{n}", n)


class Watching(MemorySender):
    """An email sender that, at each send, reads the log's entries of what it sent before."""

    def __init__(self, log: Any) -> None:
        """Watch *log*."""
        super().__init__(Channel.EMAIL)
        self.log = log
        self.seen: list[list[EntryStatus]] = []

    def send(
        self, message: Message, *, idempotency_key: str, context: SendContext | None = None
    ) -> Receipt:
        """Note the statuses of the earlier sends, then send."""
        self.seen.append([status_of(self.log, key) for key, _ in self.sent])
        return super().send(message, idempotency_key=idempotency_key, context=context)


def test_each_send_finds_every_earlier_send_recorded(store: Store) -> None:
    """Three sends: the second finds the first sent, the third finds both; all sent at the end."""
    customers(store)
    email = Watching(store)
    report = dunner(store, email, outcome_with_next_reservation=True).run(at=TUESDAY)
    assert report.counts() == {"sent": 3}
    assert email.seen == [[], [EntryStatus.SENT], [EntryStatus.SENT, EntryStatus.SENT]]
    assert [status_of(store, key) for key, _ in email.sent] == [EntryStatus.SENT] * 3


class Links:
    """Payment links; asked for *customer_id*'s, it calls *then* first (C-002's turn has come).

    A message's link is asked for as it is written, before it is reserved: when the run has
    finished with the customers before.
    """

    def __init__(self, customer_id: str, then: Callable[[], None]) -> None:
        """Call *then* when *customer_id*'s link is asked for."""
        self.customer_id = customer_id
        self.then = then

    def link_for(self, action: CustomerAction) -> str | None:
        """No link; *then* called first on the customer's turn."""
        if action.customer_id == self.customer_id:
            self.then()
        return None


def test_an_outcome_waits_at_most_until_the_next_customer_is_done(store: Store) -> None:
    """C-002 paid, nothing to send: C-001's outcome is written when C-002 is done.

    It is found written when C-003's message is being written, before it is reserved.
    """
    customers(store, 3)
    store.add_event("INV-002", Payment(on=date(2026, 5, 4), amount=Decimal("1200.00")))
    email = MemorySender(Channel.EMAIL)
    found: list[EntryStatus] = []

    def note_the_first() -> None:
        [(first, _)] = email.sent
        found.append(status_of(store, first))

    scenario = per_invoice_spacing(STANDARD)
    runner = Dunner(
        store,
        store,
        {Channel.EMAIL: email},
        scenario,
        CREDITOR,
        owner="r1",
        outcome_with_next_reservation=True,
        payment_links=Links("C-003", note_the_first),
    )
    assert runner.run(at=TUESDAY).counts() == {"sent": 2}
    assert found == [EntryStatus.SENT]


def ctrl_c() -> None:
    """The operator presses Ctrl+C."""
    raise KeyboardInterrupt


def test_an_interrupted_run_records_what_it_sent(store: Store) -> None:
    """Ctrl+C after C-001's send, before C-002 reserves: C-001's message is recorded as sent."""
    customers(store)
    email = MemorySender(Channel.EMAIL)
    scenario = per_invoice_spacing(STANDARD)
    runner = Dunner(
        store,
        store,
        {Channel.EMAIL: email},
        scenario,
        CREDITOR,
        outcome_with_next_reservation=True,
        payment_links=Links("C-002", ctrl_c),
    )
    with pytest.raises(KeyboardInterrupt):
        runner.run(at=TUESDAY)
    [(first, _)] = email.sent
    assert status_of(store, first) is EntryStatus.SENT


class CombinedFails(MemoryStore):
    """A store whose combined write fails once (a lost connection); the two alone work."""

    def __init__(self) -> None:
        """An empty store."""
        super().__init__()
        self.failures = 0

    def reserve(self, entry: LogEntry) -> bool:
        """As the memory store (defined here, so the combined write may be used)."""
        return super().reserve(entry)

    def finish(self, key: str, status: EntryStatus, **options: Any) -> None:
        """As the memory store (defined here, so the combined write may be used)."""
        super().finish(key, status, **options)

    def finish_and_reserve(self, key: str, status: EntryStatus, **options: Any) -> bool:
        """Fail the first time, writing nothing; then as the memory store."""
        if not self.failures:
            self.failures += 1
            msg = "connection lost"
            raise ConnectionError(msg)
        return super().finish_and_reserve(key, status, **options)


def test_a_failed_combined_write_records_the_outcome_alone_then_reserves() -> None:
    """The first combined write fails: nothing lost, nothing twice; three sent, all recorded."""
    log = CombinedFails()
    customers(log)
    email = MemorySender(Channel.EMAIL)
    report = dunner(log, email, outcome_with_next_reservation=True).run(at=TUESDAY)
    assert log.failures == 1
    assert report.counts() == {"sent": 3}
    assert len(email.sent) == 3
    assert [status_of(log, key) for key, _ in email.sent] == [EntryStatus.SENT] * 3


class Audited(SqliteStore):
    """A host's store that writes an audit line on each reservation (its own ``reserve``)."""

    def __init__(self, path: Path) -> None:
        """An empty store in *path*, and its audit."""
        super().__init__(path)
        self.audit: list[str] = []

    def reserve(self, entry: LogEntry) -> bool:
        """Audit, then reserve."""
        self.audit.append(entry.key)
        return super().reserve(entry)


def test_a_subclass_that_changes_reserve_is_never_bypassed(tmp_path: Path) -> None:
    """Its ``reserve`` sees every reservation: the combined write it does not know is unused."""
    log = Audited(tmp_path / "audited.db")
    customers(log)
    email = MemorySender(Channel.EMAIL)
    assert dunner(log, email, outcome_with_next_reservation=True).run(at=TUESDAY).counts() == {
        "sent": 3
    }
    assert log.audit == [key for key, _ in email.sent]


class Counting(SqliteStore):
    """A store that counts its combined writes (it defines all three, so it may get them)."""

    def __init__(self, path: Path) -> None:
        """An empty store in *path*."""
        super().__init__(path)
        self.combined = 0

    def reserve(self, entry: LogEntry) -> bool:
        """As the SQLite store."""
        return super().reserve(entry)

    def finish(self, key: str, status: EntryStatus, **options: Any) -> None:
        """As the SQLite store."""
        super().finish(key, status, **options)

    def finish_and_reserve(self, key: str, status: EntryStatus, **options: Any) -> bool:
        """Count, then as the SQLite store."""
        self.combined += 1
        return super().finish_and_reserve(key, status, **options)


@pytest.mark.parametrize(("opted_in", "combined"), [(False, 0), (True, 2)])
def test_the_combined_write_is_used_only_when_asked(
    tmp_path: Path, *, opted_in: bool, combined: int
) -> None:
    """By default two commits per message; opted in, the 2nd and 3rd reservations carry one."""
    log = Counting(tmp_path / "counting.db")
    customers(log)
    email = MemorySender(Channel.EMAIL)
    runner = dunner(log, email, outcome_with_next_reservation=opted_in)
    assert runner.run(at=TUESDAY).counts() == {"sent": 3}
    assert log.combined == combined
    assert [status_of(log, key) for key, _ in email.sent] == [EntryStatus.SENT] * 3
