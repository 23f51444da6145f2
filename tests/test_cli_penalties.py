"""The `dunning penalties` subcommand, registered on a parser of our own."""

from __future__ import annotations

import argparse
import json

import pytest

from dunning._cli_penalties import register


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dunning")
    register(parser.add_subparsers())
    args = parser.parse_args(["penalties", *argv])
    code: int = args.handler(args)
    return code


def test_table_across_30_june_with_a_payment(capsys: pytest.CaptureFixture[str]) -> None:
    """The table shows each period, the indemnity and the total, worked by hand."""
    code = run(["12000", "--due", "2025-06-15", "--until", "2025-07-15",
                "--payment", "2025-07-01:5000"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    # 16..30 Jun on 12000 at 13.15 %: 12000 x 13.15 % x 15 / 365 = 64.85
    # 1 Jul on 12000 at 12.15 %: 12000 x 12.15 % x 1 / 365 = 3.9945 -> 3.99
    # 2..15 Jul on 7000 at 12.15 %: 7000 x 12.15 % x 14 / 365 = 11907 / 365 = 32.6219 -> 32.62
    rows = [line.split() for line in out.splitlines()]
    assert ["2025-06-16", "to", "2025-06-30", "15", "12000.00", "13.15", "%", "64.85"] in [
        r[:8] for r in rows
    ]
    assert ["2025-07-01", "to", "2025-07-01", "1", "12000.00", "12.15", "%", "3.99"] in [
        r[:8] for r in rows
    ]
    assert ["2025-07-02", "to", "2025-07-15", "14", "7000.00", "12.15", "%", "32.62"] in [
        r[:8] for r in rows
    ]
    assert ["interest", "101.46"] in rows  # 64.85 + 3.99 + 32.62
    assert ["recovery", "indemnity", "(D441-5)", "40.00"] in rows
    assert ["total", "141.46"] in rows
    assert "ECB 3.15 % in force on 2025-01-01 + 10" in out


def test_json_output_has_amounts_as_strings(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the breakdown with amounts as strings."""
    assert (
        run(["5000", "--due", "2025-01-10", "--until", "2025-02-09", "--rate", "10%", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    # 5000 x 10 % x 30 / 365 = 41.10
    assert (data["interest"], data["recovery_indemnity"], data["total"]) == (
        "41.10",
        "40.00",
        "81.10",
    )
    assert data["lines"][0]["principal"] == "5000"
    assert data["regime"] == "b2b_contractual"
    assert data["day_count"] == "actual/365"


def test_consumer_with_notice(capsys: pytest.CaptureFixture[str]) -> None:
    """--consumer uses the legal rate from --notice and no indemnity."""
    assert run(["3000", "--due", "2025-03-01", "--until", "2025-05-15", "--consumer",
                "--notice", "2025-04-15", "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    # 3000 x 3.71 % x 30 / 365 = 9.15
    assert (data["interest"], data["recovery_indemnity"]) == ("9.15", "0.00")


def test_consumer_without_notice_explains(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --notice the consumer owes nothing and the table says why."""
    assert run(["3000", "--due", "2025-03-01", "--until", "2025-05-15", "--consumer"]) == 0
    out = capsys.readouterr().out
    assert "Note (no_formal_notice)" in out
    assert "formal notice (Code civil 1231-6, 1344): give it with --notice DATE; no interest" in out
    assert "formal_notice_on" not in out


def test_public_buyer(capsys: pytest.CaptureFixture[str]) -> None:
    """--public: one rate, ECB in force on the first day of the half-year + 8."""
    assert run(["10000", "--due", "2024-06-15", "--until", "2024-07-15", "--public", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # 10000 x 12.50 % x 30 / 365 = 102.74
    assert [line["interest"] for line in data["lines"]] == ["102.74"]


def test_multiple_of_legal_rate_leap_years_and_round_total(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--rate 3x, --leap-years and --round-total reach the computation."""
    assert run(["10000", "--due", "2024-09-30", "--until", "2024-10-30", "--rate", "3x",
                "--leap-years", "--round-total", "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    # 3 x 4.92 = 14.76 %; 2024 is a leap year: 10000 x 14.76 % x 30 / 366 = 44280 / 366
    #   = 120.9836 -> 120.98
    assert data["interest"] == "120.98"
    assert (data["day_count"], data["rounding"]) == ("actual/366 in leap years", "on_total")


def test_paid_in_full_is_mentioned(capsys: pytest.CaptureFixture[str]) -> None:
    """When paid in full before --until, the table says interest stopped."""
    assert run(["1000", "--due", "2025-01-10", "--until", "2025-03-01",
                "--payment", "2025-01-20:1000"]) == 0  # fmt: skip
    assert "Paid in full on 2025-01-20" in capsys.readouterr().out


def test_provisional_rate_is_a_warning_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """A provisional rate is reported on stderr, the result on stdout."""
    assert run(["10000", "--due", "2026-06-30", "--until", "2026-07-30"]) == 0
    captured = capsys.readouterr()
    assert "warning: ECB main refinancing rate 2.40 % (2026-06-17) is provisional" in captured.err
    # 10000 x 12.40 % x 30 / 365 = 101.92
    assert "101.92" in captured.out


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["12000", "--due", "15/06/2025", "--until", "2025-07-15"], "--due"),
        (["12000", "--due", "2025-06-15", "--until", "tomorrow"], "--until"),
        (["12000", "--due", "2025-06-15", "--until", "2025-07-15", "--rate", "twelve"], "--rate"),
        (["12000", "--due", "2025-06-15", "--until", "2025-07-15", "--payment", "5000"],
         "--payment"),
        (["12000", "--due", "2025-06-15", "--until", "2025-07-15", "--payment", "2025-07-01:-5"],
         "--payment"),
        (["12,000", "--due", "2025-06-15", "--until", "2025-07-15"], "amount"),
        (["0", "--due", "2025-06-15", "--until", "2025-07-15"], "amount"),
        (["1", "--due", "2025-06-15", "--until", "2025-07-15", "--consumer", "--public"],
         "--public"),
    ],
)  # fmt: skip
def test_argument_errors_exit_2_naming_the_option(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Malformed options are refused by argparse: exit 2, the option named on stderr."""
    with pytest.raises(SystemExit) as caught:
        run(argv)
    assert caught.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["100", "--due", "2025-03-01", "--until", "2025-02-01"],
         "--until: until 2025-02-01 is before the due date 2025-03-01"),
        (["100", "--due", "2025-03-01", "--until", "2025-04-01", "--payment", "2025-03-05:150"],
         "--payment: payments add up to 150, more than the amount 100"),
        (["100", "--due", "2025-03-01", "--until", "2025-04-01", "--rate", "150%"],
         "--rate: a rate is a percentage between 0 and 100"),
        (["100", "--due", "2025-03-01", "--until", "2025-04-01", "--public", "--rate", "8%"],
         "--rate: contractual_rate is only used by the b2b_contractual regime, not by public"),
        (["100", "--due", "2026-12-31", "--until", "2027-01-10"],
         "error: no ECB main refinancing rate known for 2027-01-01 (2027 H1)"),
    ],
)  # fmt: skip
def test_computation_errors_exit_2_naming_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inputs refused by the computation: exit 2 and a message naming the option."""
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_indemnity_basis_follows_the_regime(capsys: pytest.CaptureFixture[str]) -> None:
    """Public buyers' indemnity is D2192-35 (Code de la commande publique), not D441-5."""
    assert run(["1000", "--due", "2025-01-10", "--until", "2025-02-09", "--public"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["recovery", "indemnity", "(D2192-35)", "40.00"] in rows
    assert not any("(D441-5)" in row for row in rows)


def test_public_buyer_is_never_told_to_give_a_rate(capsys: pytest.CaptureFixture[str]) -> None:
    """--public refuses --rate, so neither its errors nor its warnings suggest --rate."""
    assert run(["100", "--due", "2026-12-31", "--until", "2027-01-10", "--public"]) == 2
    err = capsys.readouterr().err
    assert "no ECB main refinancing rate known for 2027-01-01 (2027 H1)" in err
    assert "--rate does not apply to a public buyer" in err
    assert "give the contractual rate with --rate" not in err
    assert run(["10000", "--due", "2026-06-30", "--until", "2026-07-30", "--public"]) == 0
    err = capsys.readouterr().err
    assert "is provisional" in err
    assert "check it (--rate does not apply to a public buyer" in err
    assert "give a rate with --rate" not in err
    # And --rate with --public is refused, as the hint says.
    assert run(["100", "--due", "2025-03-01", "--until", "2025-04-01", "--public",
                "--rate", "8%"]) == 2  # fmt: skip
