"""Days and instants on the command line are bounded to 1970-2199 (issue 19, part 7).

Near year 1 or 9999 a run's date arithmetic overflowed (an OverflowError reported for every
customer, or a traceback in `dunning penalties`), and a mistaken far-future ``--at`` would
have been recorded as the latest run, refusing every later one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dunning.adapters.sqlite import SqliteStore
from dunning.cli import main
from dunning.testing import paris


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(args)
    return int(done.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize("at", ["0001-01-01T00:30+01:00", "9999-12-31T23:30-05:00"])
def test_a_run_far_in_the_past_or_future_is_refused_and_records_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], at: str
) -> None:
    db = tmp_path / "dunning.db"
    assert main(["init", str(db)]) == 0
    capsys.readouterr()
    code, err = _run(["run", "--db", str(db), "--at", at], capsys)
    assert code == 2
    assert f"'{at}' is outside the years 1970 to 2199" in err
    with SqliteStore(db, create=False) as store:
        assert store.latest_run() is None


def test_the_bounds_are_inclusive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "dunning.db"
    assert main(["init", str(db)]) == 0
    assert main(["run", "--db", str(db), "--at", "2199-12-31T12:00+01:00", "--dry-run"]) == 0
    code, err = _run(["run", "--db", str(db), "--at", "2200-01-01T12:00+01:00"], capsys)
    assert (code, "outside the years" in err) == (2, True)


@pytest.mark.parametrize("flag", ["--due", "--until"])
def test_penalties_refuse_a_day_out_of_range(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    days = {"--due": "2026-01-10", "--until": "2026-03-10"} | {flag: "9999-12-31"}
    code, err = _run(
        ["penalties", "1000", "--due", days["--due"], "--until", days["--until"]], capsys
    )
    assert code == 2
    assert "'9999-12-31' is outside the years 1970 to 2199" in err


def test_reset_latest_run_undoes_a_mistaken_later_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run at 2150 (a typo inside the bounds) refuses the true date; a reset undoes it.

    The reset needs a reason, says what it did, and the run at the true date goes again.
    """
    db = str(tmp_path / "dunning.db")
    assert main(["init", db]) == 0
    with SqliteStore(db, create=False) as store:
        store.record_run(paris(2150, 3, 10, 9, 0))  # what `dunning run --at 2150-...` records
    capsys.readouterr()
    assert main(["run", "--db", db, "--at", "2026-03-10T09:00+01:00"]) != 0
    code = main(
        [
            "reset-latest-run",
            "--db",
            db,
            "--to",
            "2026-03-09T09:00+01:00",
            "--reason",
            "typed 2150 for 2026",
            "--by",
            "claire",
            "--at",
            "2026-03-10T08:55+01:00",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("latest run moved back from 2150-03-10T08:00:00+00:00")
    assert "by claire (typed 2150 for 2026); recorded" in out
    assert main(["run", "--db", db, "--at", "2026-03-10T09:00+01:00"]) in {0, 1}
    with SqliteStore(db, create=False) as store:
        assert store.latest_run() == paris(2026, 3, 10, 9, 0)
