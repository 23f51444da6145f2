"""The worked example of docs/own-database.md passes the public store contract suite."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dunning.testing.contract import StoreContract

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "own_store.py"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("own_store_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pydantic resolve names through it
    spec.loader.exec_module(module)
    return module


own_store = _load()


class TestOwnStoreFromTheDocs(StoreContract):
    """`OwnStore`, a store on a host's own tables, keeps the contract."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Any]:
        """A fresh database with the host's tables and dunning's."""
        store = own_store.OwnStore(tmp_path / "host.db")
        yield store
        store.close()
