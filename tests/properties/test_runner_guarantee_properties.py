"""A month of chaos, counted the way a customer counts: per invoice and step, at most once.

Each example: up to three customers with up to three invoices each (so groupings change as
invoices fall due and get paid), runs on days that advance at random, and between them any of:
a payment (in full, or in part: approvals lapse), a provider that takes the message and then
loses the answer (uncertain), a refusal, a process killed after the provider took it, a storage
fault before or after a write (the write of an outcome with the next reservation included), a
late approval, a run at an earlier instant, a human resolving an uncertain message (truthfully:
the test knows what the provider kept).

Properties, on the three reference stores (PostgreSQL in a test of its own, fewer examples):

- every (invoice, action) reaches the customer at most once, whatever key or grouping carried
  it (counting what the provider accepted, including copies whose answer was lost);
- nothing reaches the customer for an invoice once its payment in full is recorded;
- after the chaos, with uncertain messages resolved and clean runs past the customer gap,
  nothing is left reserved or in retry.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import examples
from tests.postgres_cluster import Cluster

from dunning import STANDARD, Channel, Payment
from dunning.adapters.memory import MemoryStore, SimulatedCrash
from dunning.adapters.postgres import PostgresStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus, Receipt
from dunning.core.render import Message
from dunning.exceptions import RunInThePastError
from dunning.ports import SendContext, SendError
from dunning.runner import Dunner, approve, resolve
from dunning.testing import FaultyLog, make_creditor, make_customer, make_invoice, paris

CREDITOR = make_creditor()
Store = MemoryStore | SqliteStore | PostgresStore
_examples = itertools.count()


@dataclass
class ChaosSender:
    """A provider whose next call can lose its answer, refuse, or see the process die."""

    channel: Channel
    deduplicates: bool = False
    accepted: list[str] = field(default_factory=list)
    next_fault: str = "none"

    def send(
        self, message: Message, *, idempotency_key: str, context: SendContext | None = None
    ) -> Receipt:
        """Accept the message, unless a fault was armed for this call."""
        fault, self.next_fault = self.next_fault, "none"
        if fault == "die_before":
            msg = "killed before the provider took it"
            raise SimulatedCrash(msg)
        if fault == "refuse":
            msg = "421 try later"
            raise SendError(msg, delivered=False)
        self.accepted.append(idempotency_key)
        if fault == "lose_answer":
            msg = "timeout after DATA"
            raise SendError(msg, delivered=None)
        if fault == "die":
            msg = "killed after the provider took it"
            raise SimulatedCrash(msg)
        return Receipt(provider_id=f"p-{len(self.accepted)}")


FAULTS = ("none", "refuse", "lose_answer", "die_before", "die")
STORAGE = (
    "none",
    "reserve",
    "begin_attempt",
    "finish",
    "finish_and_reserve",
    "get",
    "cancel",
    "revise",
)


class CombiningFaultyLog(FaultyLog):
    """A `FaultyLog` the runner may write an outcome and a reservation through at once.

    It defines ``reserve``, ``finish`` and ``finish_and_reserve`` itself (a `FaultyLog` passes
    every call through ``__getattr__``, so the runner calls the two alone on it), so a fault can
    hit the combined write, before it reaches the log or after.
    """

    def reserve(self, *args: object, **kwargs: object) -> object:
        """The store's, with the faults asked for."""
        return self.__getattr__("reserve")(*args, **kwargs)

    def finish(self, *args: object, **kwargs: object) -> object:
        """The store's, with the faults asked for."""
        return self.__getattr__("finish")(*args, **kwargs)

    def finish_and_reserve(self, *args: object, **kwargs: object) -> object:
        """The store's, with the faults asked for."""
        return self.__getattr__("finish_and_reserve")(*args, **kwargs)


@dataclass(frozen=True)
class Step:
    """What happens before one run, and how the run goes wrong."""

    advance: int  # days since the previous run
    sender_fault: str
    storage_fault: str
    after_write: bool  # the storage fault hits after the write (the answer is lost)
    combined_writes: bool  # the runner writes an outcome with the next reservation
    payment: tuple[int, bool] | None  # (invoice index, in full?)
    approve: bool  # approve every pending message first
    resolve: bool  # resolve every uncertain message first
    earlier_hours: int | None  # run this many hours before "now" (clock skew, catch-up)


steps = st.lists(
    st.builds(
        Step,
        advance=st.integers(min_value=0, max_value=4),
        sender_fault=st.sampled_from(FAULTS),
        storage_fault=st.sampled_from(STORAGE),
        after_write=st.booleans(),
        combined_writes=st.booleans(),
        payment=st.one_of(st.none(), st.tuples(st.integers(0, 8), st.booleans())),
        approve=st.booleans(),
        resolve=st.booleans(),
        earlier_hours=st.one_of(st.none(), st.sampled_from([0, 1, 30])),
    ),
    min_size=1,
    max_size=14,
)
invoices = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 9)),  # (customer, due date offset)
    min_size=1,
    max_size=6,
    unique_by=lambda t: t,
)


@settings(max_examples=examples(70), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=invoices, plan=steps, backend=st.sampled_from(["memory", "sqlite"]))
def test_each_invoice_step_reaches_the_customer_at_most_once(
    book: list[tuple[int, int]], plan: list[Step], backend: str
) -> None:
    """Per (invoice, action): at most once; nothing after payment; nothing left unfinished."""
    with tempfile.TemporaryDirectory() as folder:
        if backend == "memory":
            _check(MemoryStore(), book, plan)
        else:
            with SqliteStore(Path(folder) / "dunning.db") as store:
                _check(store, book, plan)


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=invoices, plan=steps)
def test_each_invoice_step_reaches_the_customer_at_most_once_on_postgres(
    postgres_cluster: Cluster, book: list[tuple[int, int]], plan: list[Step]
) -> None:
    """The same month of chaos on `PostgresStore`, a fresh schema per example."""
    import psycopg  # noqa: PLC0415  (the postgres extra: the fixture has checked it is there)

    schema = f"prop{next(_examples)}"
    try:
        with PostgresStore(postgres_cluster.url(), schema=schema) as store:
            _check(store, book, plan)
    finally:
        with psycopg.connect(postgres_cluster.url(), autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _check(store: Store, book: list[tuple[int, int]], plan: list[Step]) -> None:
    ids = []
    for n, (c, offset) in enumerate(book):
        customer = make_customer(
            id=f"C-{c}", name=f"Client {c}", postal_address=f"{c} rue des Lilas, Paris"
        )
        invoice_id = f"INV-{n}"
        due = date(2026, 5, 4) + timedelta(days=offset)
        store.add_invoice(
            make_invoice(id=invoice_id, number=invoice_id, customer=customer, due_on=due)
        )
        ids.append(invoice_id)
    senders = {c: ChaosSender(c) for c in Channel}
    at = paris(2026, 5, 5)
    paid_in_full_at: dict[str, int] = {}
    sent_at_step: dict[str, int] = {}
    for n, step in enumerate(plan):
        at += timedelta(days=step.advance)
        if step.payment is not None:
            _pay(store, ids, step.payment, at.date(), paid_in_full_at, step=n)
        if step.approve:
            for entry in store.entries_with(EntryStatus.PENDING_APPROVAL):
                approve(store, entry.key, by="claire", at=at)
        if step.resolve:
            _resolve_truthfully(store, senders, at)
        senders[Channel.EMAIL].next_fault = step.sender_fault
        log = _faulty(
            store, step.storage_fault, after=step.after_write, combined=step.combined_writes
        )
        runner = Dunner(
            store,
            log,  # type: ignore[arg-type]
            senders,
            STANDARD,
            CREDITOR,
            owner="r1",
            outcome_with_next_reservation=step.combined_writes,
        )
        before = {channel: len(s.accepted) for channel, s in senders.items()}
        when = at if step.earlier_hours is None else at - timedelta(hours=step.earlier_hours)
        with contextlib.suppress(SimulatedCrash, RunInThePastError):
            runner.run(at=when)
        for channel, sender in senders.items():
            for key in sender.accepted[before[channel] :]:
                sent_at_step.setdefault(key, n)
    senders[Channel.EMAIL].next_fault = "none"
    _resolve_truthfully(store, senders, at)
    final = Dunner(store, store, senders, STANDARD, CREDITOR, owner="r1")
    final.run(at=at + timedelta(hours=1))
    # A message due again after a resolution may wait out the customer gap (5 days): look
    # again once it has passed.
    final.run(at=at + timedelta(days=6))
    _at_most_once_per_invoice_step(store, senders)
    _nothing_after_payment(store, sent_at_step, paid_in_full_at)
    assert store.entries_with(EntryStatus.RESERVED, EntryStatus.RETRY) == []


def _pay(
    store: Store,
    ids: list[str],
    payment: tuple[int, bool],
    day: date,
    paid_in_full_at: dict[str, int],
    *,
    step: int,
) -> None:
    index, in_full = payment
    if index >= len(ids) or ids[index] in paid_in_full_at:
        return
    invoice_id = ids[index]
    if in_full:
        paid = sum(
            (e.amount for e in store.events(invoice_id) if isinstance(e, Payment)), Decimal(0)
        )
        store.add_event(invoice_id, Payment(on=day, amount=Decimal("1200.00") - paid))
        paid_in_full_at[invoice_id] = step
    else:
        store.add_event(invoice_id, Payment(on=day, amount=Decimal("100.00")))
        paid = sum(
            (e.amount for e in store.events(invoice_id) if isinstance(e, Payment)), Decimal(0)
        )
        if paid >= Decimal("1200.00"):
            paid_in_full_at[invoice_id] = step


def _faulty(store: Store, method: str, *, after: bool, combined: bool) -> object:
    if method == "none":
        return store
    # The next call of *method* fails; through a `CombiningFaultyLog` the runner writes an
    # outcome with the next reservation, so the fault can hit that combined write too.
    kind = CombiningFaultyLog if combined else FaultyLog
    if after:
        return kind(store, fail_after={method: 1})
    return kind(store, fail={method: 1})


def _resolve_truthfully(store: Store, senders: dict[Channel, ChaosSender], at: datetime) -> None:
    accepted = {key for s in senders.values() for key in s.accepted}
    for entry in store.entries_with(EntryStatus.UNCERTAIN):
        resolve(store, entry.key, delivered=entry.key in accepted, by="claire", at=at)


def _at_most_once_per_invoice_step(store: Store, senders: dict[Channel, ChaosSender]) -> None:
    reached: Counter[tuple[str, str]] = Counter()
    for sender in senders.values():
        for key in sender.accepted:
            entry = store.get(key)
            assert entry is not None
            for covered in entry.covers:
                reached[(covered.invoice_id, covered.action_id)] += 1
    twice = {k: n for k, n in reached.items() if n > 1}
    assert not twice, twice


def _nothing_after_payment(
    store: Store, sent_at_step: dict[str, int], paid_in_full_at: dict[str, int]
) -> None:
    for key, step in sent_at_step.items():
        entry = store.get(key)
        assert entry is not None
        for covered in entry.covers:
            if covered.invoice_id in paid_in_full_at:
                assert step < paid_in_full_at[covered.invoice_id], (key, step, paid_in_full_at)
