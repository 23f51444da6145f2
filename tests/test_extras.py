"""Without an optional extra the library still works, and each extra's functions name it.

These run whether the extras are installed or not (they block the extra's imports), so a
plain ``pip install -e .[tests]`` checks them too, with how the tests skip or fail without an
extra (`tests.helpers.require_extra`); the extras' own tests are in
tests/test_notebook.py, tests/test_dask.py and tests/integration/test_postgres.py.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dunning import STANDARD
from dunning import dask as dunning_dask
from tests.helpers import EXTRAS, missing_extra, paris_at, require_extra, required_by

BLOCKER = textwrap.dedent(
    """
    import sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"pandas", "matplotlib", "numpy"}:
                raise ImportError(f"blocked: {name}")
            return None

    sys.meta_path.insert(0, Block())
    """
)


def test_the_core_works_without_pandas_or_matplotlib() -> None:
    """With pandas, numpy and matplotlib unimportable, the library works and the extra is named."""
    script = BLOCKER + textwrap.dedent(
        """
        from datetime import date, datetime, timezone
        import dunning
        from dunning import STANDARD
        from dunning.penalties import penalties_for_amount
        from dunning.core.metrics import ageing, dso
        from dunning.core.simulate import simulate, synthetic_portfolio
        import dunning.notebook as nb

        book = synthetic_portfolio(5, seed=1, as_of=date(2026, 3, 2))
        result = simulate(book, STANDARD, start=date(2026, 3, 2), end=date(2026, 3, 9), seed=1)
        at = datetime(2026, 3, 9, 12, tzinfo=timezone.utc)
        assert ageing(result.entries, at=at)._repr_html_().startswith("<table>")
        assert result._repr_html_().startswith("<table>")
        penalties_for_amount("100", date(2025, 1, 1), date(2025, 2, 1))._repr_html_()
        assert dso(result.entries, at=at) is not None
        for call in (lambda: nb.to_dataframe(result), lambda: nb.plot_ageing(None)):
            try:
                call()
            except ImportError as error:
                assert "pip install 'dunning[notebook]'" in str(error), error
            else:
                raise AssertionError("no ImportError")
        assert not any(m.split(".")[0] in {"pandas", "numpy", "matplotlib"} for m in sys.modules)
        print("ok")
        """
    )
    done = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Dask installed, the error says which extra to install."""
    monkeypatch.setitem(sys.modules, "dask.bag", None)
    with pytest.raises(ImportError, match=r"pip install 'dunning\[dask\]'"):
        dunning_dask.decisions([], STANDARD, at=paris_at(2026, 6, 15, 10, 30))


def test_a_missing_extra_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an extra its tests skip; they fail under CI=true, or for PostgreSQL if required.

    $DUNNING_REQUIRE_POSTGRES makes only the postgres extra required; the others still skip.
    """
    for extra in ("dask", "postgres"):
        monkeypatch.setitem(EXTRAS, extra, ("dunning_no_such_module",))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("DUNNING_REQUIRE_POSTGRES", raising=False)
    assert missing_extra("dask") == (
        "needs the dask extra (pip install -e '.[dask]'): No module named 'dunning_no_such_module'"
    )
    for extra in ("dask", "postgres"):
        assert required_by(extra) is None
        with pytest.raises(pytest.skip.Exception, match=f"needs the {extra} extra"):
            require_extra(extra)
    monkeypatch.setenv("CI", "false")
    assert required_by("dask") is None
    monkeypatch.setenv("DUNNING_REQUIRE_POSTGRES", "1")
    assert required_by("dask") is None
    assert required_by("postgres") == "$DUNNING_REQUIRE_POSTGRES"
    with pytest.raises(pytest.skip.Exception):
        require_extra("dask")
    with pytest.raises(pytest.fail.Exception, match=r"\(and \$DUNNING_REQUIRE_POSTGRES is set\)"):
        require_extra("postgres")
    monkeypatch.setenv("CI", "true")
    for extra in ("dask", "postgres"):
        assert required_by(extra) == "CI=true"
        with pytest.raises(pytest.fail.Exception, match=r"\(and CI=true is set\)"):
            require_extra(extra)


def test_an_installed_extra_is_not_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """An extra whose modules import is neither missing nor skipped, even under CI=true."""
    monkeypatch.setitem(EXTRAS, "dask", ("json", "decimal"))
    monkeypatch.setenv("CI", "true")
    assert missing_extra("dask") is None
    require_extra("dask")
