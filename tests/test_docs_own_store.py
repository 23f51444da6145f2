"""The worked example of docs/own-database.md passes the public store contract suite.

The page shows three sections of docs/examples/own_store.py (loaded whole here) and the
contract-suite class a host writes: that block is run as written and is this module's test class.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).parent.parent / "docs"
EXAMPLE = DOCS / "examples" / "own_store.py"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("own_store_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pydantic resolve names through it
    spec.loader.exec_module(module)
    return module


own_store = _load()


def _the_page_test_class() -> Any:
    """The page's contract-suite block, run with `own_store` importable as a reader's file."""
    page = (DOCS / "own-database.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```python\n(.*?)```", page, re.DOTALL) if "class Test" in b]
    namespace: dict[str, Any] = {"__name__": __name__}
    sys.modules["own_store"] = own_store
    try:
        exec(block, namespace)  # noqa: S102  (the page's own code)
    finally:
        del sys.modules["own_store"]
    return namespace["TestOwnStore"]


# `OwnStore`, a store on a host's own tables, keeps the contract: the page's class, collected here.
TestOwnStore = _the_page_test_class()
