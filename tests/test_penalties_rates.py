"""Rate tables: packaged values (DOMAIN.md section 6), look-ups, overrides, malformed tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from dunning.core.penalties import (
    HalfYear,
    LegalRateColumn,
    PenaltyRates,
    RateEntry,
    RateTable,
    default_rates,
)
from dunning.exceptions import (
    ConfigurationError,
    DunningError,
    MissingDataError,
    ProvisionalRateWarning,
    RateNotAvailableError,
    RateTableError,
)

D = Decimal

# DOMAIN.md section 6, "Derived B2B default rate": ECB in force on 1 Jan / 1 Jul + 10.
B2B_DEFAULT = {
    "2015 H1": "10.05",
    "2015 H2": "10.05",
    "2016 H1": "10.05",
    "2016 H2": "10.00",
    "2019 H1": "10.00",
    "2022 H2": "10.00",
    "2023 H1": "12.50",
    "2023 H2": "14.00",
    "2024 H1": "14.50",
    "2024 H2": "14.25",
    "2025 H1": "13.15",
    "2025 H2": "12.15",
    "2026 H1": "12.15",
}


@pytest.mark.parametrize(("half", "expected"), B2B_DEFAULT.items())
def test_packaged_ecb_gives_the_published_b2b_default_rates(half: str, expected: str) -> None:
    """ECB in force on the half-year's first day + 10 matches DOMAIN's derived rates."""
    start = HalfYear.parse(half).start
    assert default_rates().ecb.rate_on(start).rate + 10 == D(expected)


def test_packaged_ecb_uses_effective_dates() -> None:
    """Changes apply from their effective date: 27 July 2022, 18 September 2024."""
    ecb = default_rates().ecb
    assert ecb.rate_on(date(2022, 7, 26)).rate == D("0.00")
    assert ecb.rate_on(date(2022, 7, 27)).rate == D("0.50")
    assert ecb.rate_on(date(2024, 9, 17)).rate == D("4.25")
    assert ecb.rate_on(date(2024, 9, 18)).rate == D("3.65")


def test_packaged_ecb_table_metadata() -> None:
    """The ECB table starts 2008-07-09, is known until the check date, and names its source."""
    ecb = default_rates().ecb
    assert (ecb.first_day, ecb.last_day, ecb.checked_on) == (
        date(2008, 7, 9),
        date(2026, 11, 22),
        date(2026, 11, 22),
    )
    assert "Banque de France" in ecb.source
    assert len(ecb) == 37  # 36 confirmed changes + the provisional June 2026 one
    assert [e for e in ecb if e.provisional] == [RateEntry(date(2026, 6, 17), D("2.40"), True)]


@pytest.mark.parametrize(
    ("half", "private", "other"),
    [
        ("2015 H1", "4.06", "0.93"),
        ("2020 H2", "3.11", "0.84"),
        ("2023 H2", "6.82", "4.22"),  # not the wrongly published 6.83
        ("2024 H1", "8.01", "5.07"),
        ("2024 H2", "8.16", "4.92"),
        ("2026 H1", "6.67", "2.62"),
    ],
)
def test_packaged_legal_rates(half: str, private: str, other: str) -> None:
    """Both columns of the legal rate match DOMAIN.md for a sample of half-years."""
    rates = default_rates()
    day = HalfYear.parse(half).end
    assert rates.legal(LegalRateColumn.PRIVATE).rate_on(day).rate == D(private)
    assert rates.legal(LegalRateColumn.OTHER).rate_on(day).rate == D(other)


def test_packaged_legal_table_covers_2015_h1_to_2026_h2() -> None:
    """The legal table has 24 half-years, from 2015 H1 to 2026 H2 (provisional)."""
    legal = default_rates().legal_other
    assert (legal.first_day, legal.last_day, len(legal)) == (
        date(2015, 1, 1),
        date(2026, 12, 31),
        24,
    )
    assert [str(e.half_year) for e in legal if e.provisional] == ["2026 H2"]
    assert legal.half_yearly is True


def test_provisional_legal_rate_warns() -> None:
    """Using the provisional 2026 H2 legal rate emits ProvisionalRateWarning."""
    with pytest.warns(ProvisionalRateWarning, match=r"2\.75 % \(2026 H2\) is provisional"):
        entry = default_rates().legal_other.rate_on(date(2026, 9, 1))
    assert entry == RateEntry(date(2026, 7, 1), D("2.75"), provisional=True)


def test_provisional_rate_can_be_read_without_warning() -> None:
    """warn_if_provisional=False reads the value silently (for inspection)."""
    entry = default_rates().legal_private.rate_on(date(2026, 9, 1), warn_if_provisional=False)
    assert entry.rate == D("6.84")


def test_beyond_the_legal_table() -> None:
    """2027 H1 is not in the table: the error names it and the last half-year."""
    with pytest.raises(RateNotAvailableError) as caught:
        default_rates().legal_other.rate_on(date(2027, 1, 1))
    assert caught.value.half_year == "2027 H1"
    assert str(caught.value).startswith(
        "no legal interest rate (autres cas) for 2027 H1; the table ends with 2026 H2; "
        "pass your own rate"
    )


def test_before_the_legal_table() -> None:
    """2014 H2 is before the table: the error says where it starts."""
    with pytest.raises(RateNotAvailableError, match="2014 H2; the table starts with 2015 H1"):
        default_rates().legal_other.rate_on(date(2014, 12, 31))


def test_beyond_the_ecb_table() -> None:
    """The ECB rate is not known after the check date: the error names the half-year."""
    with pytest.raises(RateNotAvailableError) as caught:
        default_rates().ecb.rate_on(date(2026, 11, 23))
    assert caught.value.half_year == "2026 H2"
    assert "known for 2026-11-23 (2026 H2); the table covers 2008-07-09 to 2026-11-22" in str(
        caught.value
    )


def test_error_classes() -> None:
    """The new errors sit in the tree with stable codes."""
    missing = RateNotAvailableError("x", half_year="2027 H1")
    assert isinstance(missing, MissingDataError)
    assert isinstance(missing, LookupError)
    assert missing.code == "rate_not_available"
    bad = RateTableError("bad", source="f.csv", location="line 3")
    assert isinstance(bad, ConfigurationError)
    assert isinstance(bad, DunningError)
    assert (bad.code, str(bad), bad.location) == (
        "invalid_rate_table",
        "f.csv: line 3: bad",
        "line 3",
    )
    assert issubclass(ProvisionalRateWarning, UserWarning)


# --------------------------------------------------------------------------------- overrides


def test_with_legal_rate_adds_next_half_year() -> None:
    """A vendor adds 2027 H1 without a release; the packaged table is unchanged."""
    rates = default_rates().with_legal_rate("2027 H1", private=D("6.50"), other=D("2.60"))
    assert rates.legal_private.rate_on(date(2027, 6, 30)).rate == D("6.50")
    assert rates.legal_other.rate_on(date(2027, 1, 1)).rate == D("2.60")
    assert rates.legal_other.last_day == date(2027, 6, 30)
    assert default_rates().legal_other.last_day == date(2026, 12, 31)


def test_override_replaces_a_provisional_value() -> None:
    """Confirming 2026 H2 replaces the provisional value: no more warning."""
    rates = default_rates().with_legal_rate("2026 H2", private=D("6.84"), other=D("2.75"))
    entry = rates.legal_other.rate_on(date(2026, 7, 1))  # warnings are errors in this suite
    assert entry == RateEntry(date(2026, 7, 1), D("2.75"), provisional=False)


def test_with_ecb_rate_and_known_until() -> None:
    """An ECB change can extend what the table is known for."""
    rates = default_rates().with_ecb_rate(
        date(2026, 12, 23), D("2.65"), known_until=date(2027, 2, 1)
    )
    assert rates.ecb.rate_on(date(2027, 1, 1)).rate == D("2.65")
    assert rates.ecb.last_day == date(2027, 2, 1)


def test_with_legal_rate_bad_half_year() -> None:
    """A malformed half-year is a RateTableError located at half_year."""
    with pytest.raises(RateTableError) as caught:
        default_rates().with_legal_rate("2027 S1", private=D(1), other=D(1))
    assert caught.value.location == "half_year"


def test_from_rows_and_iteration() -> None:
    """A caller's own table from rows: looked up, iterated, with its last day."""
    table = RateTable.from_rows(
        "my legal rate",
        [("2027 H1", "2.5"), (HalfYear(2027, 2), D("2.25"), True), (date(2028, 1, 1), 3)],
        half_yearly=True,
        source="arrêtés",
        checked_on=date(2027, 12, 20),
    )
    assert [(e.starts_on, e.rate, e.provisional) for e in table] == [
        (date(2027, 1, 1), D("2.5"), False),
        (date(2027, 7, 1), D("2.25"), True),
        (date(2028, 1, 1), D(3), False),
    ]
    assert table.last_day == date(2028, 6, 30)
    assert table.rate_on(date(2028, 3, 1)).rate == D(3)


def test_non_half_yearly_legal_table_is_refused() -> None:
    """PenaltyRates refuses a legal-rate table that is not half-yearly."""
    flat = RateTable.from_rows("legal", [("2027-01-01", "2")])
    with pytest.raises(RateTableError) as caught:
        PenaltyRates(ecb=default_rates().ecb, legal_private=flat, legal_other=flat)
    assert caught.value.location == "legal_private"


@pytest.mark.parametrize(
    ("rows", "location", "message"),
    [
        ([("2027-01-01", 2.5)], "rows[0]", "rate 2.5 is a float"),
        ([("2027-01-01", "2,5")], "rows[0]", "not a plain decimal"),
        ([("2027-01-01", "2.5e0")], "rows[0]", "not a plain decimal"),
        ([("2027-01-01", True)], "rows[0]", "not a plain decimal"),
        ([("2027-13-01", "2.5")], "rows[0]", "neither a date"),
        ([("soon", "2.5")], "rows[0]", "neither a date"),
        ([(datetime(2027, 1, 1), "2.5")], "rows[0]", "neither a date"),
        ([("2027-01-01",)], "rows[0]", r"a row is \(start, rate\)"),
        ([("2027-01-01", "2.5", "yes")], "rows[0]", "provisional must be True or False"),
        ([("2027-01-01", "2"), ("2027-01-01", "3")], "rows[1]", "duplicate date"),
        ([("2027-02-01", "2"), ("2027-01-01", "3")], "rows[1]", "dates not in order"),
        ([("2027-01-01", "101")], "rows[0]", "not a percentage"),
        ([], "entries", "no rows"),
    ],
)
def test_malformed_rows(rows: list[tuple[object, ...]], location: str, message: str) -> None:
    """Malformed rows are a RateTableError naming the row."""
    with pytest.raises(RateTableError, match=message) as caught:
        RateTable.from_rows("mine", rows)
    assert (caught.value.source, caught.value.location) == ("mine", location)


def test_half_yearly_row_must_start_a_half_year() -> None:
    """A half-yearly table refuses an entry starting on 15 March."""
    with pytest.raises(RateTableError, match="1 January or 1 July") as caught:
        RateTable.from_rows("legal", [("2027-03-15", "2")], half_yearly=True)
    assert caught.value.location == "rows[0]"


@pytest.mark.parametrize(
    ("entries", "known_until", "location", "message"),
    [
        ((RateEntry(date(2027, 1, 1), 2.5),), date(2027, 1, 1), "entries[0]", "is a float"),  # type: ignore[arg-type]
        ((RateEntry(date(2027, 1, 1), "2.5"),), date(2027, 1, 1), "entries[0]", "finite Decimal"),  # type: ignore[arg-type]
        ((RateEntry(date(2027, 1, 1), D("NaN")),), date(2027, 1, 1), "entries[0]", "finite"),
        ((RateEntry(datetime(2027, 1, 1), D(2)),), date(2027, 1, 1), "entries[0]", "a date"),
        (("2027",), date(2027, 1, 1), "entries[0]", "expected a RateEntry"),
        ((RateEntry(date(2027, 2, 1), D(2)), RateEntry(date(2027, 1, 1), D(2))), date(2027, 3, 1),
         "entries[1]", "dates not in order"),
        ((RateEntry(date(2027, 1, 1), D(2)), RateEntry(date(2027, 1, 1), D(3))), date(2027, 3, 1),
         "entries[1]", "duplicate date"),
        ((RateEntry(date(2027, 1, 1), D(2)),), date(2026, 1, 1), "known_until", "before"),
        ((RateEntry(date(2027, 1, 1), D(2)),), "2027", "known_until", "must be a date"),
    ],
)  # fmt: skip
def test_direct_construction_is_checked(
    entries: tuple[object, ...], known_until: object, location: str, message: str
) -> None:
    """Building a RateTable directly runs the same checks."""
    with pytest.raises(RateTableError, match=message) as caught:
        RateTable(name="t", entries=entries, known_until=known_until)  # type: ignore[arg-type]
    assert caught.value.location == location


# ---------------------------------------------------------------------------------- CSV input

GOOD_CSV = """\
# Source: my bank
# Checked: 2027-01-05
# Known until: 2027-01-05
effective_on,rate,status
2026-12-23,2.65,
2027-01-01,2.50,provisional
"""


def test_from_csv_reads_metadata_and_status() -> None:
    """A caller's CSV in the packaged format: source, checked date, horizon, provisional flag."""
    table = RateTable.from_csv(GOOD_CSV, name="ECB", rate_column="rate")
    assert (table.source, table.checked_on, table.last_day) == (
        "my bank",
        date(2027, 1, 5),
        date(2027, 1, 5),
    )
    assert [e.provisional for e in table] == [False, True]


@pytest.mark.parametrize(
    ("text", "location", "message"),
    [
        ("half_year,rate\n2027 H2,2\n2027 H1,3\n", "line 3", "not in date order"),
        ("# c\nhalf_year,rate\n2027 H1,2\n2027 H1,3\n", "line 4", "duplicate row for 2027 H1"),
        ("effective_on,rate\n2027-01-01,2.5e0\n", "line 2", "not a plain decimal"),
        ("effective_on,rate\n2027-01-01,abc\n", "line 2", "not a plain decimal"),
        ("effective_on,rate\n2027-01-01,-1\n", "line 2", "not a plain decimal"),
        ("effective_on,rate,status\n2027-01-01,2,maybe\n", "line 2", "status must be"),
        ("effective_on,rate\n2027-01-01,2,3\n", "line 2", "3 cells for 2 columns"),
        ("day,rate\n2027-01-01,2\n", "line 1", "first column must be"),
        ("effective_on,value\n2027-01-01,2\n", "line 1", "no column 'rate'"),
        ("# only a comment\n", "line 1", "no header row"),
        ("effective_on,rate\n", "line 1", "no rows"),
        ("# Checked: yesterday\neffective_on,rate\n2027-01-01,2\n", "header", "must be a date"),
        ("half_year,rate\n2027-03-01,2\n", "line 2", "1 January or 1 July"),
    ],
)
def test_malformed_csv(text: str, location: str, message: str) -> None:
    """A malformed CSV is a load-time RateTableError naming the line."""
    with pytest.raises(RateTableError, match=message) as caught:
        RateTable.from_csv(text, name="mine", rate_column="rate", origin="mine.csv")
    assert (caught.value.source, caught.value.location) == ("mine.csv", location)


def test_csv_blank_and_comment_rows_are_skipped() -> None:
    """Blank lines and comment rows inside the data are ignored."""
    text = "effective_on,rate\n2027-01-01,2\n\n# a note\n2027-02-01,3\n"
    assert len(RateTable.from_csv(text, name="x", rate_column="rate")) == 2


# --------------------------------------------------------------------------------- HalfYear


def test_half_year_arithmetic() -> None:
    """HalfYear: of, parse, start, end, next and text."""
    assert HalfYear.of(date(2026, 6, 30)) == HalfYear(2026, 1)
    assert HalfYear.of(date(2026, 7, 1)) == HalfYear(2026, 2)
    assert HalfYear.parse("2026H2").next() == HalfYear(2027, 1)
    assert HalfYear(2026, 1).next() == HalfYear(2026, 2)
    assert (HalfYear(2026, 1).end, HalfYear(2026, 2).start) == (date(2026, 6, 30), date(2026, 7, 1))
    assert str(HalfYear(2027, 1)) == "2027 H1"
    assert HalfYear.parse(HalfYear(2027, 1)) == HalfYear(2027, 1)


@pytest.mark.parametrize("bad", ["2027 H3", "H1 2027", ""])
def test_half_year_parse_errors(bad: str) -> None:
    """Malformed half-years are refused."""
    with pytest.raises(ValueError, match="half-year"):
        HalfYear.parse(bad)


def test_half_year_invalid_half() -> None:
    """A half other than 1 or 2 is refused."""
    with pytest.raises(ValueError, match="half is 1 or 2"):
        HalfYear(2027, 3)
