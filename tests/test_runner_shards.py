"""Workers that split the book: `Dunner.run(shard=(index, count))`.

Forty customers, one invoice each, all due Monday 4 May 2026 (Paris); STANDARD sends the J+1
e-mail on Tuesday 5 May. Two workers, shards (0, 2) and (1, 2), run at the same instant. Every
test runs on a `MemoryStore` (the runner filters what the source returns) and on a
`SqliteStore` (the store reads only the shard's customers, through its bucket column).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dunning import STANDARD, Channel
from dunning.adapters.memory import MemorySender, MemoryStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus
from dunning.core.shards import Shard, customer_bucket
from dunning.exceptions import ConfigurationError, RunInThePastError
from dunning.runner import Dunner
from dunning.testing import make_creditor, make_customer, make_invoice, paris
from dunning.testing.contract import entry

DUE = date(2026, 5, 4)
TUESDAY = paris(2026, 5, 5)
CUSTOMERS = [f"C-{n:03}" for n in range(40)]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | SqliteStore]:
    """A book of forty customers, each with one invoice due 4 May."""
    book: MemoryStore | SqliteStore
    book = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "book.db")
    for cid in CUSTOMERS:
        customer = make_customer(id=cid, name=f"Client {cid}")
        book.add_invoice(make_invoice(id=f"INV-{cid}", customer=customer, due_on=DUE))
    yield book
    if isinstance(book, SqliteStore):
        book.close()


def worker(store: Any, name: str) -> tuple[Dunner, MemorySender]:
    """A runner named *name* on the shared store, with its own e-mail sender."""
    email = MemorySender(Channel.EMAIL)
    return Dunner(
        store, store, {Channel.EMAIL: email}, STANDARD, make_creditor(), owner=name
    ), email


def customers_sent(store: Any, sender: MemorySender) -> list[str]:
    """The customer of each message the sender accepted."""
    return [store.get(key).customer_id for key, _ in sender.sent]


def test_two_workers_review_each_customer_exactly_once(store: Any) -> None:
    """Each customer's J+1 goes once, from the worker whose shard holds it (bucket % 2)."""
    (w0, mail0), (w1, mail1) = worker(store, "w0"), worker(store, "w1")
    r0 = w0.run(at=TUESDAY, shard=(0, 2))
    r1 = w1.run(at=TUESDAY, shard=(1, 2))
    sent0, sent1 = customers_sent(store, mail0), customers_sent(store, mail1)
    assert sorted(sent0 + sent1) == CUSTOMERS
    assert set(sent0) == {c for c in CUSTOMERS if customer_bucket("default", c) % 2 == 0}
    assert 0 < len(sent0) < len(CUSTOMERS)
    assert {r.customer_id for r in r0.reviews} == set(sent0)
    assert {r.customer_id for r in r1.reviews} == set(sent1)
    # A second pass of both shards sends nothing: each step once.
    assert w0.run(at=TUESDAY + timedelta(hours=1), shard=(0, 2)).counts() == {}
    assert w1.run(at=TUESDAY + timedelta(hours=1), shard=(1, 2)).counts() == {}


def test_a_worker_never_tidies_another_shards_waiting_message(store: Any) -> None:
    """A notice waits for approval for a customer of shard 1 whom the source no longer returns.

    Shard 0's run leaves it waiting; shard 1's run cancels it ("no longer due"), as a whole
    book run would.
    """
    theirs = next(c for c in CUSTOMERS if Shard(1, 2).holds("default", c))
    waiting = entry(
        "notice_x",
        invoice_id="INV-GONE",
        customer_id=theirs,
        status=EntryStatus.PENDING_APPROVAL,
        reserved_at=TUESDAY,
        updated_at=TUESDAY,
    )
    assert store.reserve(waiting)
    (w0, _), (w1, _) = worker(store, "w0"), worker(store, "w1")
    report0 = w0.run(at=TUESDAY, shard=(0, 2))
    assert "notice_x" not in {item.key for item in report0.items}
    assert store.get("notice_x").status is EntryStatus.PENDING_APPROVAL
    report1 = w1.run(at=TUESDAY, shard=(1, 2))
    assert [i.outcome.value for i in report1.items if i.key == "notice_x"] == ["cancelled"]
    assert store.get("notice_x").status is EntryStatus.CANCELLED


def test_each_shard_keeps_its_own_latest_run(store: Any) -> None:
    """Shard 0 at 10:00 does not refuse shard 1 at 08:00; a whole-book run at 08:00 is refused."""
    (w0, _), (w1, _) = worker(store, "w0"), worker(store, "w1")
    w0.run(at=TUESDAY.replace(hour=10), shard=(0, 2))
    assert w1.run(at=TUESDAY.replace(hour=8), shard=(1, 2)).counts()["sent"] > 0
    with pytest.raises(RunInThePastError):
        w0.run(at=TUESDAY.replace(hour=8))
    with pytest.raises(RunInThePastError):
        w0.run(at=TUESDAY.replace(hour=8), shard=(0, 2))
    assert store.latest_run() == TUESDAY.replace(hour=10)
    assert store.latest_run(shard=Shard(1, 2)) == TUESDAY.replace(hour=8)


@pytest.mark.parametrize("shard", [(2, 2), (-1, 2), (0, 0), (0,), "0/2"])
def test_a_shard_that_is_not_index_and_count_is_refused(store: Any, shard: object) -> None:
    """Before anything is read or sent."""
    w0, mail = worker(store, "w0")
    with pytest.raises(ConfigurationError, match="shard"):
        w0.run(at=TUESDAY, shard=shard)  # type: ignore[arg-type]
    assert mail.sent == []
    assert store.latest_run() is None


def test_one_shard_of_one_is_the_whole_book(store: Any) -> None:
    """(0, 1): every customer, and the book's latest run."""
    w0, mail = worker(store, "w0")
    w0.run(at=TUESDAY, shard=(0, 1))
    assert Counter(customers_sent(store, mail)) == Counter(CUSTOMERS)
    assert store.latest_run() == TUESDAY
