"""Shared builders for the core tests: a Paris business customer, invoices, local instants.

The fixtures hand out plain callables (session-scoped, so hypothesis tests may use them too):

- ``paris(2026, 4, 28)`` is 10:00 on 28 April 2026 in Paris, ``paris(2026, 4, 28, 13, 30)``
  13:30 the same day;
- ``make_invoice(due_on=date(2026, 4, 27))`` is a 1,200.00 EUR invoice ``F-1`` of the Paris
  customer, issued on 1 March 2026, unless told otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dunning import Customer, Installment, Invoice
from tests.postgres_cluster import (
    REQUIRE_VARIABLE,
    Cluster,
    ClusterUnavailable,
    required,
    start_cluster,
)

PARIS = ZoneInfo("Europe/Paris")


def _paris(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    """An aware datetime in Europe/Paris (10:00 unless told otherwise)."""
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


def _customer(**changes: object) -> Customer:
    """A French business customer in Paris, with optional changed fields."""
    fields: dict[str, object] = {
        "id": "C-1",
        "name": "ACME SARL",
        "kind": "business",
        "email": "compta@acme.example",
        "phone": "+33612345678",
        "locale": "fr_FR",
        "time_zone": "Europe/Paris",
    }
    fields.update(changes)
    return Customer.model_validate(fields)


def _make_invoice(
    *,
    due_on: date | None = None,
    installments: Sequence[tuple[date, str]] = (),
    issued_on: date = date(2026, 3, 1),
    total: str | Decimal = "1200.00",
    customer: Customer | None = None,
    invoice_id: str = "F-1",
    number: str = "2026-0001",
) -> Invoice:
    """An invoice of the Paris customer: give ``due_on`` or ``installments``."""
    return Invoice(
        id=invoice_id,
        number=number,
        customer=customer if customer is not None else _customer(),
        issued_on=issued_on,
        due_on=due_on,
        installments=tuple(Installment(due_on=d, amount=Decimal(a)) for d, a in installments),
        total=Decimal(total),
    )


@pytest.fixture(scope="session")
def paris() -> Callable[..., datetime]:
    """``paris(y, m, d, h=10, mi=0)``: an aware datetime in Europe/Paris."""
    return _paris


@pytest.fixture(scope="session")
def make_customer() -> Callable[..., Customer]:
    """``make_customer(**changes)``: the Paris business customer, with changed fields."""
    return _customer


@pytest.fixture(scope="session")
def customer() -> Customer:
    """The Paris business customer ``C-1``."""
    return _customer()


@pytest.fixture(scope="session")
def make_invoice() -> Callable[..., Invoice]:
    """``make_invoice(due_on=..., total=..., customer=..., installments=...)``."""
    return _make_invoice


# -- PostgreSQL: one throwaway cluster per session, a fresh schema per test ----------------

_schemas = itertools.count()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A running throwaway PostgreSQL cluster (tests/postgres_cluster.py), stopped at the end.

    Skips, saying why, without the server binaries or psycopg; fails instead when
    ``$DUNNING_REQUIRE_POSTGRES`` is set (CI).
    """
    try:
        import psycopg  # noqa: F401, PLC0415  (the postgres extra)

        cluster = start_cluster()
    except (ImportError, ClusterUnavailable) as error:
        reason = f"no PostgreSQL server for the tests: {error}"
        if required():
            pytest.fail(f"{reason} (and {REQUIRE_VARIABLE} is set)")
        pytest.skip(reason)
    yield cluster
    cluster.destroy()


@pytest.fixture
def postgres_schema(postgres_cluster: Cluster) -> Iterator[str]:
    """A fresh schema name in the test database; the schema is dropped after the test."""
    import psycopg  # noqa: PLC0415

    name = f"t{next(_schemas)}"
    yield name
    with psycopg.connect(postgres_cluster.url(), autocommit=True) as db:
        db.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
