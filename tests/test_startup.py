"""Start-up costs: `import dunning` loads nothing heavy, the built-in pack is checked here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import dunning
from dunning.exceptions import TemplateError
from dunning.render import TemplatePack, builtin_pack
from tests.reference_case import FakeAction, context

HEAVY = ["smtplib", "email", "ssl", "sqlite3", "jinja2", "babel", "pandas", "dunning.core"]


def _modules_after(statement: str) -> list[str]:
    """The HEAVY modules loaded by a fresh interpreter after running *statement*."""
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(  # noqa: S603  (our own interpreter, a literal program)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    return [name for name in HEAVY if name in loaded]


def test_import_dunning_loads_nothing_heavy() -> None:
    """`import dunning` in a fresh process imports no SMTP, e-mail, TLS, SQLite, Jinja or Babel."""
    assert _modules_after("import dunning") == []


def test_a_name_loads_only_what_it_needs() -> None:
    """Deciding needs the engine, not SMTP, TLS, SQLite or the templates."""
    loaded = _modules_after("from dunning import STANDARD, Invoice, decide")
    assert "dunning.core" in loaded
    for heavy in ("smtplib", "ssl", "sqlite3", "jinja2", "pandas"):
        assert heavy not in loaded


def test_every_public_name_resolves_lazily() -> None:
    """Every name of __all__ is reachable; an unknown name raises AttributeError."""
    for name in dunning.__all__:
        assert getattr(dunning, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'decidee'"):
        _ = dunning.decidee  # type: ignore[attr-defined]
    assert set(dunning.__all__) <= set(dir(dunning))


def test_the_builtin_pack_passes_every_check() -> None:
    """The built-in sources, built as an ordinary pack, pass the compile and sample checks."""
    checked = TemplatePack(dict(builtin_pack().sources))
    assert checked.sources == builtin_pack().sources


def test_the_trusted_builtin_pack_renders_as_the_checked_one() -> None:
    """The built-in pack (compiled on demand) renders exactly what a checked pack renders."""
    checked = TemplatePack(dict(builtin_pack().sources))
    from dunning.render import render  # noqa: PLC0415

    for family in ("reminder", "formal_notice", "friendly"):
        for locale in ("fr_FR", "en_GB"):
            action, ctx = FakeAction(family), context(locale)
            assert render(action, ctx) == render(action, ctx, pack=checked)


def test_a_trusted_pack_still_checks_names() -> None:
    """A pack built without sample renders keeps the cheap checks: a bad name fails at once."""
    with pytest.raises(TemplateError, match="a template name is"):
        TemplatePack({"fr/Reminder.txt.j2": "x"}, check_samples=False)
