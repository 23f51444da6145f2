"""The public store contract suite, run on both reference stores (as a host runs it on its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dunning.adapters.memory import MemoryStore
from dunning.adapters.postgres import PostgresStore
from dunning.adapters.sqlite import SqliteStore
from dunning.testing.contract import StoreContract
from tests.postgres_cluster import Cluster


class TestMemoryStore(StoreContract):
    """`MemoryStore` keeps the contract."""

    @pytest.fixture
    def store(self) -> MemoryStore:
        """A fresh in-memory store."""
        return MemoryStore()


class TestSqliteStore(StoreContract):
    """`SqliteStore` keeps the contract."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SqliteStore]:
        """A fresh SQLite file, closed at the end."""
        with SqliteStore(tmp_path / "contract.db") as store:
            yield store


class TestPostgresStore(StoreContract):
    """`PostgresStore` keeps the contract, on a real throwaway server."""

    @pytest.fixture
    def store(self, postgres_cluster: Cluster, postgres_schema: str) -> Iterator[PostgresStore]:
        """A fresh schema in the test database, closed at the end."""
        with PostgresStore(postgres_cluster.url(), schema=postgres_schema) as store:
            yield store
