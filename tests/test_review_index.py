"""The SQL stores' review index, held directly (issue 19, part 8: guards no test held).

A run reads the invoices due for review (`review_after` NULL or not after the run's instant)
and tells the store when to look again (`reviewed`). Two rules a host relies on:

- a change recorded while a run was deciding (a payment, a dispute) is never hidden by that
  run's stale "look again on the 30th": the invoice is read at the next run;
- "look again at 10:00" means the 10:00 run reads it (the boundary is inclusive).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dunning import Payment
from dunning.adapters.postgres import PostgresStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.engine import DecisionStatus
from dunning.model import InvoiceHistory
from dunning.ports import InvoiceReview
from dunning.testing import make_invoice, paris
from tests.helpers import empty_store

Store = SqliteStore | PostgresStore
AT = paris(2026, 5, 5, 10, 0)
LATER = paris(2026, 5, 30, 0, 0)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty SQL store: a SQLite file, or a schema on a throwaway PostgreSQL server."""
    with empty_store(request.param, request, tmp_path) as empty:
        yield empty  # type: ignore[misc]


def _review(invoice_id: str, after: datetime | None) -> InvoiceReview:
    return InvoiceReview(
        invoice_id=invoice_id,
        customer_id="C-001",
        status=DecisionStatus.WAITING,
        due_now=False,
        review_after=after,
    )


def _read(store: Store, at: datetime) -> list[str]:
    return [e.invoice.id for e in store.entries(at) if isinstance(e, InvoiceHistory)]


def test_a_payment_recorded_during_a_run_is_read_at_the_next_run(store: Store) -> None:
    """The run read INV-001, a payment came in, then the run said "look again on 30 May"."""
    store.add_invoice(make_invoice(due_on=date(2026, 5, 4)))
    assert _read(store, AT) == ["INV-001"]  # the run reads it (and its version)
    store.add_event("INV-001", Payment(on=date(2026, 5, 5), amount=Decimal("100.00")))
    store.reviewed([_review("INV-001", LATER)])  # decided before the payment: stale
    assert _read(store, AT + timedelta(hours=1)) == ["INV-001"]


def test_an_unchanged_invoice_waits_until_its_review_instant_inclusive(store: Store) -> None:
    """Told "look again at 30 May 00:00": not read a microsecond before, read at that instant."""
    store.add_invoice(make_invoice(due_on=date(2026, 5, 4)))
    assert _read(store, AT) == ["INV-001"]
    store.reviewed([_review("INV-001", LATER)])
    assert _read(store, LATER - timedelta(microseconds=1)) == []
    assert _read(store, LATER) == ["INV-001"]


def test_an_invoice_only_a_change_can_move_is_not_read_until_one_comes(store: Store) -> None:
    """Told "only on a change" (None): not read years later; read again once a fact arrives."""
    store.add_invoice(make_invoice(due_on=date(2026, 5, 4)))
    assert _read(store, AT) == ["INV-001"]
    store.reviewed([_review("INV-001", None)])
    assert _read(store, paris(2036, 1, 1)) == []
    store.add_event("INV-001", Payment(on=date(2026, 5, 6), amount=Decimal("1.00")))
    assert _read(store, paris(2026, 5, 7)) == ["INV-001"]
