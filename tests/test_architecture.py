"""The core stays pure: no imports from the shell, no I/O, no clock, no randomness.

Every module under ``src/dunning/core/`` is parsed with `ast` (not imported), so the check also
covers code paths a test never runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dunning.core

CORE = Path(dunning.core.__file__).parent
CORE_FILES = sorted(CORE.rglob("*.py"))

# Modules that do I/O, read the clock or the environment, or are nondeterministic.
FORBIDDEN_MODULES = frozenset(
    {
        "asyncio",
        "http",
        "io",
        "logging.handlers",
        "multiprocessing",
        "os",
        "pathlib",
        "random",
        "requests",
        "shutil",
        "smtplib",
        "socket",
        "sqlite3",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "urllib",
    }
)
ALLOWED_DUNNING = ("dunning.core", "dunning.exceptions")
# Calls that read the clock: ``<datetime|date>.<now|today|utcnow>(...)``.
CLOCK_CALLS = frozenset({"now", "today", "utcnow"})
CLOCK_OWNERS = frozenset({"datetime", "date"})


def _module_name(path: Path) -> str:
    """``src/dunning/core/engine.py`` -> ``dunning.core.engine`` (packages end in __init__)."""
    parts = path.relative_to(CORE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, node: ast.ImportFrom, *, is_package: bool) -> str:
    """The absolute module an ``from ... import`` statement reads from."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _forbidden(name: str) -> bool:
    if name.startswith("importlib.resources") or name == "importlib.resources":
        return False
    return any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_MODULES)


def _outside_core(name: str) -> bool:
    if name != "dunning" and not name.startswith("dunning."):
        return False
    return not any(name == ok or name.startswith(ok + ".") for ok in ALLOWED_DUNNING)


def _imported(node: ast.AST, module: str, *, is_package: bool) -> list[str]:
    """The absolute names an import statement brings in (``[]`` for other nodes)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    target = _resolve(module, node, is_package=is_package)
    names = [f"{target}.{alias.name}" for alias in node.names]
    # ``from dunning import loading`` reads dunning.loading, not the package itself.
    return names if target == "dunning" else [target, *names]


def _seeded_random_only(node: ast.AST) -> bool:
    """``from random import Random``: a generator the caller seeds, never the global one."""
    return (
        isinstance(node, ast.ImportFrom)
        and node.module == "random"
        and node.level == 0
        and all(alias.name == "Random" for alias in node.names)
    )


def _clock_or_file(node: ast.AST) -> str | None:
    """What a call reads from the world: ``open()``, the clock, or the OS (``Random()``).

    The clock is ``<datetime|date>.<now|today|utcnow>()``; an unseeded ``Random()`` seeds
    itself from the operating system.
    """
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == "open":
        return "calls open()"
    if isinstance(func, ast.Name) and func.id == "Random" and not node.args and not node.keywords:
        return "creates an unseeded Random()"
    if isinstance(func, ast.Attribute) and func.attr in CLOCK_CALLS:
        owner = func.value
        owner_name = ""
        if isinstance(owner, ast.Name):
            owner_name = owner.id
        elif isinstance(owner, ast.Attribute):
            owner_name = owner.attr
        if owner_name in CLOCK_OWNERS:
            return f"reads the clock with {owner_name}.{func.attr}()"
    return None


def violations(
    source: str, module: str = "dunning.core.example", *, is_package: bool = False
) -> list[str]:
    """Every impurity found in *source*, as ``line: what`` strings (empty when pure)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        imported = (
            [] if _seeded_random_only(node) else _imported(node, module, is_package=is_package)
        )
        for name in imported:
            if _forbidden(name):
                found.append(f"{line}: imports I/O or nondeterministic module {name}")
            elif _outside_core(name):
                found.append(f"{line}: imports {name} from outside dunning.core")
        problem = _clock_or_file(node)
        if problem is not None:
            found.append(f"{line}: {problem}")
    return sorted(set(found))


def test_core_modules_are_found() -> None:
    """The walk sees the core modules (so the purity test cannot pass on an empty list)."""
    names = {_module_name(p) for p in CORE_FILES}
    assert {
        "dunning.core",
        "dunning.core.model",
        "dunning.core.calendar",
        "dunning.core.scenario",
        "dunning.core.engine",
        "dunning.core.timeline",
        "dunning.core.builtin",
    } <= names


@pytest.mark.parametrize("path", CORE_FILES, ids=_module_name)
def test_core_module_is_pure(path: Path) -> None:
    """A core module imports only the core, dunning.exceptions and pure stdlib or packages."""
    source = path.read_text(encoding="utf-8")
    module = _module_name(path)
    assert violations(source, module, is_package=path.name == "__init__.py") == []


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("import os", "1: imports I/O or nondeterministic module os"),
        ("import os.path", "1: imports I/O or nondeterministic module os.path"),
        ("from pathlib import Path", "1: imports I/O or nondeterministic module pathlib"),
        ("import random", "1: imports I/O or nondeterministic module random"),
        ("from random import random", "1: imports I/O or nondeterministic module random"),
        ("from random import Random, choice", "1: imports I/O or nondeterministic module random"),
        ("from random import Random\nr = Random()", "2: creates an unseeded Random()"),
        ("from time import monotonic", "1: imports I/O or nondeterministic module time"),
        ("import logging.handlers", "1: imports I/O or nondeterministic module logging.handlers"),
        (
            "from urllib.request import urlopen",
            "1: imports I/O or nondeterministic module urllib.request",
        ),
        ("import sys", "1: imports I/O or nondeterministic module sys"),
        (
            "from dunning.loading import load_scenario",
            "1: imports dunning.loading from outside dunning.core",
        ),
        ("from dunning import loading", "1: imports dunning.loading from outside dunning.core"),
        ("import dunning.runner", "1: imports dunning.runner from outside dunning.core"),
        ("from .. import cli", "1: imports dunning.cli from outside dunning.core"),
        ("from ..adapters import sqlite", "1: imports dunning.adapters from outside dunning.core"),
        ("x = open('f')", "1: calls open()"),
        (
            "from datetime import datetime\nx = datetime.now()",
            "2: reads the clock with datetime.now()",
        ),
        (
            "import datetime\nx = datetime.datetime.utcnow()",
            "2: reads the clock with datetime.utcnow()",
        ),
        ("from datetime import date\nx = date.today()", "2: reads the clock with date.today()"),
    ],
)
def test_bad_snippets_are_caught(snippet: str, expected: str) -> None:
    """Each kind of impurity is reported, so the purity check cannot pass vacuously."""
    assert expected in violations(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "from importlib.resources import files",
        "from random import Random\nrng = Random(seed)",
        "import importlib.resources",
        "from datetime import date, datetime, time, timedelta",
        "from dunning.core.model import Invoice",
        "from dunning.exceptions import ScenarioError",
        "from . import model",
        "from .model import Invoice",
        "import holidays\nimport pydantic",
        "x = at.astimezone(tz).date()",
    ],
)
def test_pure_snippets_pass(snippet: str) -> None:
    """Package data, datetime types, core and exceptions imports are allowed."""
    assert violations(snippet) == []
