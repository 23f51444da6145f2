"""The shell's `compare`: candidates in several processes, and a progress bar (issue 23)."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import pytest

from dunning.core.builtin import DEFAULT_POLICY, FIRM, GENTLE, STANDARD
from dunning.core.policy import Policy
from dunning.core.scenario import Scenario
from dunning.simulate import compare, synthetic_portfolio

START = date(2026, 3, 2)
END = date(2026, 4, 30)
BOOK = synthetic_portfolio(30, seed=11, as_of=START)
COSTS = {"email": "0", "sms": "0.08", "registered_letter": "6.50", "phone_task": "4"}


def test_two_workers_give_what_one_gives() -> None:
    """Over two processes, every result and row equals the one-process comparison."""
    candidates: dict[str, Scenario | Policy] = {
        "gentle": GENTLE,
        "standard": STANDARD,
        "firm": FIRM,
        "policy": DEFAULT_POLICY,
    }
    args: dict[str, Any] = {
        "start": START,
        "end": END,
        "seed": 5,
        "unit_costs": COSTS,
        "progress": False,
    }
    alone = compare(BOOK, candidates, workers=1, **args)
    pooled = compare(BOOK, candidates, workers=2, **args)
    assert [row.label for row in pooled.rows] == ["gentle", "standard", "firm", "policy"]
    assert pooled.rows == alone.rows
    assert pooled.results == alone.results
    assert pooled == alone


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_whole_number_of_processes(workers: object) -> None:
    """0, negative, fractional or boolean workers are refused before anything runs."""
    with pytest.raises(ValueError, match="workers: expected a whole number of processes"):
        compare(BOOK, [GENTLE], start=START, end=END, seed=1, workers=workers)  # type: ignore[arg-type]


def test_the_progress_bar_counts_the_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    """progress=True: a tqdm bar on stderr that ends at 2/2 candidates."""
    compare(BOOK, [GENTLE, FIRM], start=START, end=END, seed=1, progress=True)
    err = capsys.readouterr().err
    assert "compare" in err
    assert "2/2" in err


def test_no_bar_in_a_script(capsys: pytest.CaptureFixture[str]) -> None:
    """progress=None, stderr not a terminal and no notebook: nothing is written."""
    assert not sys.stderr.isatty()
    compare(BOOK, [GENTLE, FIRM], start=START, end=END, seed=1)
    assert capsys.readouterr().err == ""


def test_asking_for_a_bar_without_tqdm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """progress=True without tqdm: an ImportError saying which extra to install."""
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setitem(sys.modules, "tqdm.std", None)
    with pytest.raises(ImportError, match=r"pip install 'dunning\[notebook\]'"):
        compare(BOOK, [GENTLE], start=START, end=END, seed=1, progress=True)
    # Left to the default, a missing tqdm only means no bar.
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert compare(BOOK, [GENTLE], start=START, end=END, seed=1).rows[0].label == "gentle"
