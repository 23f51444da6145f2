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

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dunning import STANDARD, Channel, Payment
from dunning.adapters.memory import MemorySender, MemoryStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus, LogEntry, Receipt
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


class Lazy:
    """The store as a source, read lazily; when it gives C-004, it notes C-001's message.

    The runner reads one entry ahead to close a customer's group: C-004's entry is read once
    C-002 (the customer after C-001) is done.
    """

    def __init__(self, book: Store, email: MemorySender) -> None:
        """Read *book*; *email* says what was sent."""
        self.book = book
        self.email = email
        self.first_when_fourth: EntryStatus | None = None

    def entries(self, at: datetime) -> Iterator[Any]:
        """The book's entries, noting the first message's status on reaching C-004."""
        for history in self.book.entries(at):
            if history.customer_id == "C-004" and self.first_when_fourth is None:
                [(first, _)] = self.email.sent
                self.first_when_fourth = status_of(self.book, first)
            yield history


def test_an_outcome_waits_at_most_until_the_next_customer_is_done(store: Store) -> None:
    """C-002 paid, nothing to send: C-001's outcome is written when C-002 is done."""
    customers(store, 4)
    store.add_event("INV-002", Payment(on=date(2026, 5, 4), amount=Decimal("1200.00")))
    email = MemorySender(Channel.EMAIL)
    source = Lazy(store, email)
    scenario = per_invoice_spacing(STANDARD)
    runner = Dunner(
        source,
        store,
        {Channel.EMAIL: email},
        scenario,
        CREDITOR,
        owner="r1",
        outcome_with_next_reservation=True,
    )
    assert runner.run(at=TUESDAY).counts() == {"sent": 3}
    assert source.first_when_fourth is EntryStatus.SENT


class Interrupted:
    """The store as a source; the operator presses Ctrl+C as it reads C-003 (C-002 not done)."""

    def __init__(self, book: Store) -> None:
        """Read *book*."""
        self.book = book

    def entries(self, at: datetime) -> Iterator[Any]:
        """The book's entries, until C-003's."""
        for history in self.book.entries(at):
            if history.customer_id == "C-003":
                raise KeyboardInterrupt
            yield history


def test_an_interrupted_run_records_what_it_sent(store: Store) -> None:
    """Ctrl+C after C-001's send, before C-002 reserves: C-001's message is recorded as sent."""
    customers(store)
    email = MemorySender(Channel.EMAIL)
    scenario = per_invoice_spacing(STANDARD)
    runner = Dunner(
        Interrupted(store),
        store,
        {Channel.EMAIL: email},
        scenario,
        CREDITOR,
        outcome_with_next_reservation=True,
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
