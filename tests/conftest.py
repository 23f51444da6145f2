"""Shared builders for the core tests, the hypothesis profiles, the optional extras, markers.

The fixtures hand out plain callables (session-scoped, so hypothesis tests may use them too):

- ``paris(2026, 4, 28)`` is 10:00 on 28 April 2026 in Paris, ``paris(2026, 4, 28, 13, 30)``
  13:30 the same day (`tests.helpers.paris_at`);
- ``make_invoice(due_on=date(2026, 4, 27))`` is a 1,200.00 EUR invoice ``F-1`` of the Paris
  customer, issued on 1 March 2026, unless told otherwise.

Hypothesis profiles: each property states its full number of examples through
`tests.helpers.examples`; the ``default`` profile (and hypothesis's ``ci`` profile, which CI
gets) tries a quarter of them, at least ten; ``thorough`` tries them all. Choose one with
``$DUNNING_HYPOTHESIS_PROFILE`` or ``--hypothesis-profile``.

The frozen oracles (tests/properties/reference_*.py, their doctests and the tests comparing
the engine to them) carry the ``oracle`` marker, which the default run deselects
(``nox -s oracle`` runs them). The doctests of the modules of an optional extra are skipped
without it, as `tests.helpers.require_extra` skips the extra's test modules.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import settings

from dunning import Customer, Installment, Invoice
from tests.helpers import FULL_EXAMPLES, missing_extra, paris_at, require_extra, required_by
from tests.postgres_cluster import (
    REQUIRE_VARIABLE,
    Cluster,
    ClusterUnavailable,
    required,
    start_cluster,
)

# -- hypothesis profiles (see tests.helpers.examples) ---------------------------------------

PROFILE_VARIABLE = "DUNNING_HYPOTHESIS_PROFILE"
QUICK_EXAMPLES = FULL_EXAMPLES // 4

settings.register_profile("thorough", settings.get_profile("default"), max_examples=FULL_EXAMPLES)
settings.register_profile("default", settings.get_profile("default"), max_examples=QUICK_EXAMPLES)
settings.register_profile("ci", settings.get_profile("ci"), max_examples=QUICK_EXAMPLES)
if os.environ.get(PROFILE_VARIABLE):
    settings.load_profile(os.environ[PROFILE_VARIABLE])

# -- markers ----------------------------------------------------------------------------------

ROOT = Path(__file__).parent.parent
ORACLES = frozenset(
    {
        ROOT / "tests" / "properties" / "reference_engine.py",
        ROOT / "tests" / "properties" / "reference_penalties.py",
    }
)
"""The frozen oracles: their doctests are oracle tests too."""

EXTRA_MODULES = {
    ROOT / "src" / "dunning" / "dask.py": "dask",
    ROOT / "src" / "dunning" / "notebook.py": "notebook",
    **dict.fromkeys((ROOT / "src" / "dunning" / "web").glob("*.py"), "web"),
    ROOT / "src" / "dunning" / "_plots.py": "notebook",
}
"""The library's modules of an optional extra, whose doctests need it."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the oracles' doctests ``oracle``; skip an extra's doctests without the extra.

    A missing extra that is required (`tests.helpers.required_by`) is not skipped: its
    doctests fail, saying what is missing.
    """
    for item in items:
        if item.path in ORACLES:
            item.add_marker(pytest.mark.oracle)
        extra = EXTRA_MODULES.get(item.path)
        if extra is None:
            continue
        reason = missing_extra(extra)
        if reason is not None and required_by(extra) is None:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config: pytest.Config) -> str:
    """Say which hypothesis profile is in force and how to choose another."""
    profile = settings.get_current_profile_name()
    more = "" if profile == "thorough" else f" (${PROFILE_VARIABLE}=thorough: every example)"
    return f"hypothesis examples: profile {profile!r}, max_examples {settings().max_examples}{more}"


# -- builders ---------------------------------------------------------------------------------


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
    return paris_at


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

    Skips, saying why, without the postgres extra or the server binaries; fails instead when
    ``$DUNNING_REQUIRE_POSTGRES`` is set (as .ci/run does), or without the extra under
    ``CI=true`` (`tests.helpers.require_extra`).
    """
    require_extra("postgres")
    try:
        cluster = start_cluster()
    except ClusterUnavailable as error:
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
