"""The core stays pure: no imports from the shell, no I/O, no clock, no randomness, no circles.

Nor construction tricks: no ``exec``/``eval``, no ``__class__`` switching, no writing into
pydantic's private slots.

Every module under ``src/dunning/core/`` is parsed with `ast` (not imported), so the check also
covers code paths a test never runs. Every import counts, at the top or inside a function: a
circle hidden in a function is still two modules that cannot be understood one without the
other.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
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
# The one clock the core may read: a monotonic timer bounding how long a template may render
# (see dunning.core.render.budget). It measures a duration and never gives the date; nothing
# a message says depends on it. Allowed as exactly this import, in exactly this module.
TIMER_IMPORT = ("time", ("thread_time",))
TIMER_MODULES = frozenset({"dunning.core.render.budget"})
# Calls that read the clock: ``<datetime|date>.<now|today|utcnow>(...)``.
CLOCK_CALLS = frozenset({"now", "today", "utcnow"})
CLOCK_OWNERS = frozenset({"datetime", "date"})


def _module_name(path: Path, src: Path = CORE.parent.parent) -> str:
    """``src/dunning/core/engine.py`` -> ``dunning.core.engine`` (packages end in __init__)."""
    parts = path.relative_to(src).with_suffix("").parts
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


# Construction tricks the core never uses (STYLE 26): generated code, class switching, and
# pydantic's private per-instance slots (``model_construct`` is the public way).
PYDANTIC_SLOTS = frozenset(
    {"__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"}
)


def _cleverness(node: ast.AST) -> str | None:
    """``exec``/``eval``, an assignment to ``__class__``, or a pydantic private slot."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"exec", "eval"}
    ):
        return f"calls {node.func.id}()"
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Attribute) and t.attr == "__class__" for t in targets):
            return "assigns __class__"
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "value", None)
    if isinstance(name, str) and name in PYDANTIC_SLOTS:
        return f"touches pydantic's private slot {name}"
    return None


def _is_timer_import(node: ast.AST) -> bool:
    """Whether *node* is exactly ``from time import thread_time``."""
    return (
        isinstance(node, ast.ImportFrom)
        and node.level == 0
        and (node.module, tuple(alias.name for alias in node.names)) == TIMER_IMPORT
        and all(alias.asname is None for alias in node.names)
    )


def violations(
    source: str, module: str = "dunning.core.example", *, is_package: bool = False
) -> list[str]:
    """Every impurity found in *source*, as ``line: what`` strings (empty when pure)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if module in TIMER_MODULES and _is_timer_import(node):
            continue
        imported = (
            [] if _seeded_random_only(node) else _imported(node, module, is_package=is_package)
        )
        for name in imported:
            if _forbidden(name):
                found.append(f"{line}: imports I/O or nondeterministic module {name}")
            elif _outside_core(name):
                found.append(f"{line}: imports {name} from outside dunning.core")
        problems = (_clock_or_file(node), _cleverness(node))
        found.extend(f"{line}: {problem}" for problem in problems if problem is not None)
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
        ('exec("def make(a): ...", namespace)', "1: calls exec()"),
        ("x = eval(text)", "1: calls eval()"),
        ("instance.__class__ = Decision", "1: assigns __class__"),
        (
            'BaseModel.__dict__["__pydantic_fields_set__"].__set__(m, set())',
            "1: touches pydantic's private slot __pydantic_fields_set__",
        ),
        (
            "object.__setattr__(m, '__pydantic_private__', None)",
            "1: touches pydantic's private slot __pydantic_private__",
        ),
        ("m.__pydantic_extra__ = None", "1: touches pydantic's private slot __pydantic_extra__"),
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
        "line = PenaltyBreakdown.model_construct(interest=x)",
        "kind = type(value).__name__",
    ],
)
def test_pure_snippets_pass(snippet: str) -> None:
    """Package data, datetime types, core and exceptions imports are allowed."""
    assert violations(snippet) == []


# ---------------------------------------------------------------------------------------------
# No import circles inside the core
# ---------------------------------------------------------------------------------------------


def core_imports(files: list[Path], src: Path = CORE.parent.parent) -> dict[str, set[str]]:
    """Module -> the core modules it imports (anywhere in its body), from the parsed sources.

    ``from dunning.core.render import X`` points at ``dunning.core.render`` (the package, whose
    ``__init__`` runs); ``from dunning.core.render.pack import X`` at ``dunning.core.render.pack``.
    The parent packages an import runs on the way are not edges: they would make every package a
    circle with its own modules.
    """
    modules = {_module_name(p, src): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for imported in _imported(node, name, is_package=path.name == "__init__.py"):
                # The longest known module the name starts with (a name may be a class).
                parts = imported.split(".")
                for end in range(len(parts), 0, -1):
                    candidate = ".".join(parts[:end])
                    if candidate in modules:
                        if candidate != name:
                            targets.add(candidate)
                        break
        graph[name] = targets
    return graph


def _reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [*graph.get(start, ())]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The import circles of *graph*: groups of modules each reachable from every other."""
    reach = {node: _reachable(graph, node) for node in graph}
    found: set[tuple[str, ...]] = set()
    for node in graph:
        group = {node} | {other for other in reach[node] if node in reach.get(other, ())}
        if len(group) > 1:
            found.add(tuple(sorted(group)))
    return sorted(list(group) for group in found)


def test_core_has_no_import_circles() -> None:
    """No two core modules import each other, directly or through others."""
    assert circles(core_imports(CORE_FILES)) == []


def test_import_graph_sees_the_layers() -> None:
    """The graph has the edges the layering relies on (so the circle check is not vacuous)."""
    graph = core_imports(CORE_FILES)
    assert "dunning.core.render" in graph["dunning.core.checks"]
    assert "dunning.core.scenario" in graph["dunning.core.checks"]
    assert "dunning.core.model" in graph["dunning.core.calendar"]
    assert "dunning.core.render.sandbox" in graph["dunning.core.render.pack"]
    assert "dunning.core.scenario" not in graph["dunning.core.render.pack"]
    assert "dunning.core.calendar" not in graph["dunning.core.model"]


def test_circles_are_found() -> None:
    """A circle through three modules is reported once; a chain is not a circle."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_a_circle_hidden_in_a_function_counts(tmp_path: Path) -> None:
    """An import inside a function body is an edge too (the old model -> calendar circle)."""
    core = tmp_path / "src" / "dunning" / "core"
    core.mkdir(parents=True)
    (core / "__init__.py").write_text("")
    (core / "model.py").write_text("def f():\n    from dunning.core.calendar import x\n")
    (core / "calendar.py").write_text("from dunning.core.model import Channel\n")
    graph = core_imports(sorted(core.rglob("*.py")), tmp_path / "src")
    assert graph["dunning.core.model"] == {"dunning.core.calendar"}
    assert circles(graph) == [["dunning.core.calendar", "dunning.core.model"]]


def test_the_render_timer_is_allowed_only_where_it_belongs() -> None:
    """``from time import thread_time`` is allowed in the render budget module, nowhere else."""
    budget = "dunning.core.render.budget"
    assert violations("from time import thread_time", budget) == []
    assert violations("from time import thread_time", "dunning.core.engine") == [
        "1: imports I/O or nondeterministic module time",
        "1: imports I/O or nondeterministic module time.thread_time",
    ]
    for other in (
        "import time",
        "from time import time",
        "from time import thread_time, sleep",
        "from time import thread_time as now",
    ):
        assert violations(other, budget) != [], other


# ---------------------------------------------------------------------------------------------
# No private name of the core imported from outside it
# ---------------------------------------------------------------------------------------------

PACKAGE = CORE.parent
SHELL_FILES = sorted(p for p in PACKAGE.rglob("*.py") if CORE not in p.parents)
PRIVATE_IMPORTS_ALLOWED: dict[str, frozenset[str]] = {}


def private_core_imports(
    source: str, module: str = "dunning.example", *, is_package: bool = False
) -> list[str]:
    """Every import of a private core name in *source*, as ``line: name`` strings.

    A name is private when a part of its dotted path after ``dunning.core`` starts with an
    underscore: a private module (``dunning.core._types``) or a private name in a public one
    (``dunning.core.model._INSTANT_EVENTS``).
    """
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        for name in _imported(node, module, is_package=is_package):
            parts = name.split(".")
            if parts[:2] != ["dunning", "core"]:
                continue
            if any(part.startswith("_") for part in parts[2:]):
                found.append(f"{getattr(node, 'lineno', 0)}: {name}")
    return sorted(set(found))


def test_shell_modules_are_found() -> None:
    """The walk sees the shell (so the private-import test cannot pass on an empty list)."""
    names = {_module_name(p) for p in SHELL_FILES}
    assert {"dunning.runner", "dunning.ports", "dunning.adapters.memory", "dunning.dask"} <= names
    assert not any(name.startswith("dunning.core") for name in names)


@pytest.mark.parametrize("path", SHELL_FILES, ids=_module_name)
def test_no_private_core_name_is_imported_from_outside_the_core(path: Path) -> None:
    """The shell imports only public names of the core: a private one may change any day."""
    module = _module_name(path)
    source = path.read_text(encoding="utf-8")
    found = private_core_imports(source, module, is_package=path.name == "__init__.py")
    allowed = PRIVATE_IMPORTS_ALLOWED.get(module, frozenset())
    assert {f.split(": ", 1)[1] for f in found} <= allowed, found


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "from dunning.core._types import check_aware",
            ["1: dunning.core._types", "1: dunning.core._types.check_aware"],
        ),
        (
            "from dunning.core.model import _INSTANT_EVENTS",
            ["1: dunning.core.model._INSTANT_EVENTS"],
        ),
        ("import dunning.core._html", ["1: dunning.core._html"]),
        ("def f():\n    from dunning.core import _types", ["2: dunning.core._types"]),
        (
            "from .core._types import MODEL_CONFIG",
            ["1: dunning.core._types", "1: dunning.core._types.MODEL_CONFIG"],
        ),
    ],
)
def test_private_core_imports_are_caught(snippet: str, expected: list[str]) -> None:
    """Private modules and private names are reported, at the top or in a function."""
    assert private_core_imports(snippet) == expected


@pytest.mark.parametrize(
    "snippet",
    [
        "from dunning.core.model import check_aware",
        "from dunning.core.display import html_table",
        "from dunning import _cli_shell",
        "from dunning.core.action_log import LOG_EVENTS",
    ],
)
def test_public_core_imports_pass(snippet: str) -> None:
    """Public core names, and the shell's own private modules, are allowed."""
    assert private_core_imports(snippet) == []
