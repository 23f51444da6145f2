"""Every bad input of the command line is one line naming the problem and the fix, no traceback.

Exit code 1 for an error, 2 for bad usage (argparse). The cases are those a new user met
(issue 14): a database path in a missing folder, a file that is not a database, an empty file,
a locked or read-only database, a scenario that is not UTF-8 or has a list for a step kind,
``demo --days 0``, a date without a time for ``--at``, penalties options that do not go
together, a rate missing from the tables, and a provisional-rate warning.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

import pytest

from dunning import __version__
from dunning.adapters.sqlite import SqliteStore
from dunning.cli import main

ERROR = 1
USAGE = 2


def one_line(text: str) -> str:
    """The text, checked to be exactly one line."""
    assert text.count("\n") == 1, text
    assert "Traceback" not in text
    return text.rstrip("\n")


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run *argv*, expect a usage error (exit 2), return its one line."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == USAGE
    return one_line(capsys.readouterr().err)


def error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run *argv*, expect an error (exit 1), return its one line."""
    assert main(argv) == ERROR
    return one_line(capsys.readouterr().err)


@pytest.fixture
def demo_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A fresh demo database (its init output swallowed)."""
    path = tmp_path / "demo.db"
    assert main(["init", str(path)]) == 0
    capsys.readouterr()
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`dunning --version` prints the installed version and exits 0."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"dunning {__version__}\n"


def test_init_in_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`init /nonexistent/dir/x.db`: the folder must exist."""
    path = tmp_path / "nonexistent" / "dir" / "x.db"
    assert error(["init", str(path)], capsys) == (
        f"error: cannot open or create {str(path)!r}: check that its folder exists and is writable"
    )


def test_run_on_a_file_that_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --db garbage.db`: named, with the way to make a database."""
    garbage = tmp_path / "garbage.db"
    garbage.write_text("these are not the droids\n" * 100, encoding="utf-8")
    line = error(["run", "--db", str(garbage), "--at", "2026-03-03T10:00+01:00"], capsys)
    assert line == (
        f"error: {str(garbage)!r} is not a SQLite database: check the path "
        "(create one with 'dunning init')"
    )


def test_an_empty_file_is_not_turned_into_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A zero-byte file is refused and left empty."""
    empty = tmp_path / "empty.db"
    empty.touch()
    line = error(["approvals", "--db", str(empty)], capsys)
    assert line == f"error: {str(empty)!r} is an empty file, not a database (check the path)"
    assert empty.stat().st_size == 0


def test_a_locked_database(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another process holds the write lock: try again later (waiting 0.1 s, not 30)."""
    monkeypatch.setattr(
        "dunning._cli_shell.SqliteStore", functools.partial(SqliteStore, timeout=0.1)
    )
    other = sqlite3.connect(demo_db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        line = error(["run", "--db", str(demo_db), "--at", "2026-03-03T10:00+01:00"], capsys)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert line == (
        f"error: {str(demo_db)!r} is locked by another process: try again when it has finished"
    )


def test_a_read_only_database(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite's own read-only error (from a read-only connection) becomes the hint."""
    reader = sqlite3.connect(f"file:{demo_db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        reader.execute("CREATE TABLE t (x)")
    reader.close()

    def read_only(*args: object, **kwargs: object) -> SqliteStore:
        raise refused.value

    monkeypatch.setattr("dunning._cli_shell.SqliteStore", read_only)
    line = error(["run", "--db", str(demo_db), "--at", "2026-03-03T10:00+01:00"], capsys)
    assert line == (
        f"error: {str(demo_db)!r} is read-only: check the permissions of the file and of its folder"
    )


def test_lint_on_a_file_that_is_not_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Latin-1 file: the byte and its line are named, with the fix."""
    file = tmp_path / "latin1.toml"
    file.write_bytes('id = "s"\nname = "Échéances"\n'.encode("latin-1"))
    line = error(["lint", str(file)], capsys)
    assert line == (
        f"error: {file}: not UTF-8 text: byte 0xc9 on line 2 cannot be read; save the file as UTF-8"
    )


def test_lint_on_a_step_kind_that_is_a_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kind = ["reminder"]` is an invalid value at steps[0].kind, not a TypeError."""
    file = tmp_path / "s.toml"
    file.write_text(
        'id = "s"\n[[steps]]\nid = "a"\nkind = ["reminder"]\nlevel = 1\noffset_days = 1\n'
        'channel = "email"\n',
        encoding="utf-8",
    )
    assert main(["lint", str(file)]) == ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"error: {file}: invalid scenario: steps[0].kind: ")
    assert "  steps[0].kind: " in err
    assert "[enum]" in err


def test_a_float_amount_in_a_file_says_how_to_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tolerance = 0.5` in TOML: write it quoted (the Python spelling is only a second hint)."""
    file = tmp_path / "s.toml"
    file.write_text(
        'id = "s"\ntolerance = 0.5\n[[steps]]\nid = "a"\nkind = "reminder"\nlevel = 1\n'
        'offset_days = 1\nchannel = "email"\n',
        encoding="utf-8",
    )
    assert main(["lint", str(file)]) == ERROR
    assert 'write "0.5" (quoted, in a file)' in capsys.readouterr().err


@pytest.mark.parametrize("days", ["0", "-3", "ten"])
def test_demo_with_no_days(days: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`demo --days 0` is a usage error naming the option."""
    line = usage_error(["demo", "--days", days], capsys)
    assert line == (
        f"dunning demo: error: argument --days: {days!r} is not a number of days, at least 1"
        " (see 'dunning demo --help')"
    )


@pytest.mark.parametrize(
    ("text", "suggested"),
    [
        # Paris is UTC+1 until the last Sunday of March 2026 (29 March), UTC+2 after.
        ("2026-03-25", "2026-03-25T10:00+01:00"),
        ("2026-03-25Z", "2026-03-25T10:00+01:00"),
        ("2026-04-01", "2026-04-01T10:00+02:00"),
        ("2026-04-01T08:30", "2026-04-01T08:30+02:00"),
    ],
)
def test_at_without_an_offset_suggests_a_valid_instant(
    text: str, suggested: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The suggestion is itself a valid --at (no `+01:00+01:00`), with Paris's offset that day."""
    line = usage_error(["run", "--at", text], capsys)
    assert line.endswith(f"write e.g. {suggested} (Paris time) (see 'dunning run --help')")
    assert main(["run", "--db", "missing.db", "--at", suggested]) == ERROR  # parsed: no exit 2
    capsys.readouterr()


def test_at_in_utc_with_z_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`2026-03-03T09:00Z` is an instant (the run then fails only for the missing database)."""
    missing = tmp_path / "missing.db"
    assert "does not exist" in error(
        ["run", "--db", str(missing), "--at", "2026-03-03T09:00Z"], capsys
    )


def test_penalties_notice_needs_a_consumer(capsys: pytest.CaptureFixture[str]) -> None:
    """--notice without --consumer is a usage error, not silently ignored."""
    base = ["penalties", "1000", "--due", "2025-01-10", "--until", "2025-03-01"]
    assert main([*base, "--notice", "2025-02-01"]) == USAGE
    assert one_line(capsys.readouterr().err) == (
        "dunning penalties: error: --notice applies to a consumer debtor only: add --consumer, "
        "or leave out --notice"
    )


def test_penalties_missing_rate_points_to_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    """A period the ECB table does not cover: give --rate, not a Python call."""
    argv = ["penalties", "1000", "--due", "2030-01-10", "--until", "2030-03-01"]
    assert main(argv) == USAGE
    line = one_line(capsys.readouterr().err)
    assert line.startswith("dunning penalties: error: no ECB main refinancing rate known for ")
    assert line.endswith("give the contractual rate with --rate (e.g. --rate 12%)")
    assert "with_ecb_rate" not in line


def test_a_provisional_rate_is_one_warning_line(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run in July 2026 states penalties at the provisional H2 rate: one line, said once."""
    argv = ["run", "--db", str(demo_db), "--at", "2026-07-10T10:00+02:00", "--dry-run"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert one_line(err).startswith("warning: ECB main refinancing rate ")
    assert err.rstrip().endswith(
        "is provisional: not confirmed by an official publication yet; "
        "check it, or run with --no-penalties"
    )
    assert "ProvisionalRateWarning" not in err


def test_an_unknown_invoice_names_both_ways_to_give_it(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`record` and `history` on an invoice that does not exist: one line, exit 1."""
    assert error(["history", "2099-0001", "--db", str(demo_db)], capsys) == (
        "error: no invoice with id or number '2099-0001'"
    )
    line = error(["record", "payment", "2099-0001", "10", "--db", str(demo_db)], capsys)
    assert line == "error: no invoice with id or number '2099-0001' (see 'dunning history')"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["record", "payment", "2026-0002", "0"], "'0' is not an amount greater than zero"),
        (["record", "payment", "2026-0002", "12,5,0"], "is not an amount greater than zero"),
        (["record", "promise", "2026-0002"], "the following arguments are required: --to"),
        (["record", "hold", "2026-0002", "--until", "soon"], "'soon' is not a date YYYY-MM-DD"),
        (["record", "refund", "2026-0002"], "argument KIND: invalid choice: 'refund'"),
        (["run", "--scenario", "a.toml", "--policy", "b.toml"], "not allowed with argument"),
    ],
)
def test_record_and_run_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad arguments of `record` and `run` are one-line usage errors."""
    assert message in usage_error(argv, capsys)
