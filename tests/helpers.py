"""What many test modules share: Paris instants, the optional extras, hypothesis budgets.

- `PARIS` and `paris_at` (10:00 in Paris unless told otherwise; the public
  `dunning.testing.paris` says 10:30, inside every default send window).
- `require_extra` at the top of a module that needs an optional extra, before importing it:
  without the extra the module is skipped, saying which extra to install; under ``CI=true``
  (CI installs every extra) and, for the postgres extra, with ``$DUNNING_REQUIRE_POSTGRES``
  set, a missing extra fails instead.
- `examples`: the number of examples a property tries under the hypothesis profile in force
  (profiles registered in tests/conftest.py).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings

from dunning.adapters.memory import MemoryStore
from dunning.adapters.postgres import PostgresStore
from dunning.adapters.sqlite import SqliteStore
from tests.postgres_cluster import REQUIRE_VARIABLE
from tests.postgres_cluster import required as postgres_required

__all__ = [
    "EXTRAS",
    "PARIS",
    "examples",
    "missing_extra",
    "paris_at",
    "require_extra",
    "required_by",
]

PARIS = ZoneInfo("Europe/Paris")

EXTRAS: dict[str, tuple[str, ...]] = {
    "notebook": ("pandas", "numpy", "matplotlib"),
    "postgres": ("psycopg", "psycopg_pool"),
    "dask": ("dask.bag", "dask.dataframe", "distributed", "pandas"),
    "einvoice": ("lxml", "pypdf"),
    "web": ("starlette", "uvicorn", "httpx2"),
}
"""Each optional extra of pyproject.toml and the modules the tests need from it."""

FULL_EXAMPLES = 100
"""The ``max_examples`` of the ``thorough`` profile: each property's full number of examples."""

MIN_EXAMPLES = 10
"""No property tries fewer examples than this (or than its full number, when smaller)."""


def paris_at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    """An aware instant in Europe/Paris, 10:00 unless told otherwise.

    Examples:
        >>> paris_at(2026, 4, 28).isoformat()
        '2026-04-28T10:00:00+02:00'
        >>> paris_at(2026, 1, 5, 13, 30).isoformat()
        '2026-01-05T13:30:00+01:00'
    """
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


def required_by(extra: str) -> str | None:
    """What makes a missing *extra* fail the run rather than skip its tests, if anything.

    Under ``CI=true`` every extra is installed, so none may be missing; the postgres extra is
    also required whenever ``$DUNNING_REQUIRE_POSTGRES`` is set (as .ci/run does).

    Examples:
        >>> required_by("dask") in (None, "CI=true")
        True
    """
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return "CI=true"
    if extra == "postgres" and postgres_required():
        return f"${REQUIRE_VARIABLE}"
    return None


def missing_extra(extra: str) -> str | None:
    """Why the tests cannot use *extra* here (its first module that fails to import), or None."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError as error:
            return f"needs the {extra} extra (pip install -e '.[{extra}]'): {error}"
    return None


def require_extra(extra: str) -> None:
    """Skip the calling test module (or test, or fixture) without *extra*; fail when required.

    Call it before importing anything from the extra, at the top of the module::

        require_extra("dask")
        import dask.bag as db  # noqa: E402  (after the extra is known to be there)

    Raises:
        pytest.skip.Exception: the extra is missing and not required.
        pytest.fail.Exception: the extra is missing and required (`required_by`).
    """
    __tracebackhide__ = True  # the skip is reported at the caller's line
    reason = missing_extra(extra)
    if reason is None:
        return
    required = required_by(extra)
    if required is not None:
        pytest.fail(f"{reason} (and {required} is set)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def examples(full: int, *, base: int | None = None) -> int:
    """How many examples a property tries: *full* under the ``thorough`` profile, fewer by default.

    The count scales with *base*, the profile's ``max_examples`` (``thorough``: 100, every
    property's full count; ``default`` and ``ci``: 25, a quarter), never below `MIN_EXAMPLES`
    (or *full*, when smaller). Called when a test module is imported, after tests/conftest.py
    has loaded the profile.

    Examples:
        >>> examples(150, base=100), examples(200, base=25), examples(60, base=25)
        (150, 50, 15)
        >>> examples(20, base=25), examples(8, base=25)
        (10, 8)
    """
    scaled = full * (settings().max_examples if base is None else base) // FULL_EXAMPLES
    return max(scaled, min(full, MIN_EXAMPLES))


StoreKind = str
"""``memory``, ``sqlite`` or ``postgres``: the reference stores a guarantee is checked on."""


@contextmanager
def empty_store(
    kind: StoreKind, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[MemoryStore | SqliteStore | PostgresStore]:
    """An empty store of *kind*: in memory, a SQLite file, a schema on a throwaway server.

    For a fixture parametrised over the kinds (``@pytest.fixture(params=[...])``); the
    PostgreSQL one takes the session's cluster and a fresh schema from the fixtures.
    """
    if kind == "memory":
        yield MemoryStore()
        return
    if kind == "postgres":
        cluster = request.getfixturevalue("postgres_cluster")
        schema = request.getfixturevalue("postgres_schema")
        with PostgresStore(cluster.url(), schema=schema) as postgres_store:
            yield postgres_store
        return
    with SqliteStore(tmp_path / "dunning.db") as sqlite_store:
        yield sqlite_store
