"""Runs, crashes and payments in any order: at most once, none lost, nothing once paid.

On both reference stores: in memory, and a SQLite file.
"""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import examples

from dunning import STANDARD, Channel, Payment
from dunning.adapters.memory import MemorySender, MemoryStore, SimulatedCrash
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import EntryStatus
from dunning.runner import Dunner
from dunning.testing import make_creditor, make_customer, make_invoice, paris

CREDITOR = make_creditor()
CRASH_POINTS = (
    "none",
    "reserve",
    "after_reserve",
    "begin_attempt",
    "before_send",
    "finish",
    "after_send",
)

# Each step: days to advance, where to crash, and which customer (if any) pays in full that
# day before the run.
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),
        st.sampled_from(CRASH_POINTS),
        st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
    ),
    min_size=1,
    max_size=12,
)


def _crash_once(obj: object, name: str) -> None:
    original = getattr(obj, name)

    def crashing(*args: object, **kwargs: object) -> object:
        setattr(obj, name, original)
        raise SimulatedCrash(name)

    setattr(obj, name, crashing)


def _crash_after_once(obj: object, name: str) -> None:
    """The call does its work (a reservation committed), then the process dies."""
    original = getattr(obj, name)

    def crashing(*args: object, **kwargs: object) -> object:
        setattr(obj, name, original)
        original(*args, **kwargs)
        raise SimulatedCrash(name)

    setattr(obj, name, crashing)


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    customers=st.integers(min_value=1, max_value=4),
    plan=steps,
    deduplicates=st.booleans(),
    backend=st.sampled_from(["memory", "sqlite"]),
)
def test_runs_and_crashes_never_duplicate_and_never_lose(
    customers: int, plan: list[tuple[int, str, int | None]], deduplicates: bool, backend: str
) -> None:
    """Each key reaches the provider at most once; at the end every entry has an outcome."""
    with tempfile.TemporaryDirectory() as folder:
        if backend == "memory":
            _check(MemoryStore(), customers, plan, deduplicates=deduplicates)
        else:
            with SqliteStore(Path(folder) / "dunning.db") as sqlite_store:
                _check(sqlite_store, customers, plan, deduplicates=deduplicates)


def _check(
    store: MemoryStore | SqliteStore,
    customers: int,
    plan: list[tuple[int, str, int | None]],
    *,
    deduplicates: bool,
) -> None:
    for i in range(customers):
        customer = make_customer(id=f"C-{i}", name=f"Client {i}")
        due = date(2026, 5, 4) + timedelta(days=i)
        store.add_invoice(make_invoice(id=f"INV-{i}", customer=customer, due_on=due))
    email = MemorySender(Channel.EMAIL, deduplicates=deduplicates)
    phone = MemorySender(Channel.PHONE_TASK, deduplicates=deduplicates)
    runner = Dunner(
        store,
        store,
        {Channel.EMAIL: email, Channel.PHONE_TASK: phone},
        STANDARD,
        CREDITOR,
        owner="r1",
    )
    at = paris(2026, 5, 5)
    paid_at_step: dict[str, int] = {}
    sent_at_step: dict[str, int] = {}
    for step, (advance_days, crash, payer) in enumerate(plan):
        at += timedelta(days=advance_days)
        invoice_id = f"INV-{payer}"
        if payer is not None and payer < customers and invoice_id not in paid_at_step:
            paid_at_step[invoice_id] = step
            store.add_event(invoice_id, Payment(on=at.date(), amount=Decimal("1200.00")))
        before = len(email.sent) + len(phone.sent)
        _arm(store, email, crash)
        with contextlib.suppress(SimulatedCrash):
            runner.run(at=at)
        email.crash_after_send = False
        email.fail_next.clear()
        for key, _ in (email.sent + phone.sent)[before:]:
            sent_at_step[key] = step
        # Undo an injected crash that was not reached in this run.
        for name in ("reserve", "begin_attempt", "finish"):
            store.__dict__.pop(name, None)
    runner.run(at=at)  # a last run with no crash
    sent_keys = [key for key, _ in email.sent + phone.sent]
    assert len(sent_keys) == len(set(sent_keys))
    unfinished = store.entries_with(EntryStatus.RESERVED, EntryStatus.RETRY)
    assert unfinished == []
    for entry in store.entries_with(EntryStatus.SENT):
        assert entry.key in sent_keys
    _nothing_once_paid(store, sent_at_step, paid_at_step)


def _arm(store: MemoryStore | SqliteStore, email: MemorySender, crash: str) -> None:
    """Make the next run crash at *crash*."""
    if crash == "after_send":
        email.crash_after_send = True
    elif crash == "before_send":  # claimed durably, the process dies before the provider
        email.fail_next.append(SimulatedCrash(crash))
    elif crash == "after_reserve":
        _crash_after_once(store, "reserve")
    elif crash != "none":
        _crash_once(store, crash)


def _nothing_once_paid(
    store: MemoryStore | SqliteStore, sent_at_step: dict[str, int], paid_at_step: dict[str, int]
) -> None:
    """Nothing reaches a customer for an invoice once its payment is recorded."""
    for key, step in sent_at_step.items():
        logged = store.get(key)
        assert logged is not None
        for covered in logged.covers:
            if covered.invoice_id in paid_at_step:
                assert step < paid_at_step[covered.invoice_id], (key, step, paid_at_step)
