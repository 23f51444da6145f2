"""The notebook extra: DataFrames in and out, pandas values at the boundary, HTML, plots.

Without the extra, these are skipped (tests/test_extras.py checks the library without it).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dunning import STANDARD, CreditNote, Customer, Invoice, Payment, decide
from dunning.core.builtin import FIRM, GENTLE
from dunning.core.metrics import ageing, step_effectiveness
from dunning.core.simulate import compare, simulate, synthetic_portfolio
from dunning.engine import timeline
from dunning.penalties import penalties_for_amount
from dunning.runner import Outcome, RunItem, RunReport
from tests.helpers import PARIS, require_extra

require_extra("notebook")

import numpy as np  # noqa: E402  (after the extra is known to be there)
import pandas as pd  # noqa: E402
from matplotlib.dates import num2date  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from dunning.notebook import (  # noqa: E402  (after the extra is known to be there)
    as_amount,
    as_date,
    histories_from_frames,
    penalties_dataframe,
    plot_ageing,
    plot_collections,
    plot_penalty_accrual,
    to_dataframe,
)

START = date(2026, 3, 2)


# --------------------------------------------------------------------------- conversions


def test_numpy_integers_and_strings_become_exact_amounts() -> None:
    """np.int64(1200) is 1,200 exactly; a decimal string passes through for the core."""
    assert as_amount(np.int64(1200)) == Decimal(1200)
    assert as_amount(np.int32(7)) == Decimal(7)
    assert as_amount("1200.50") == Decimal("1200.50")
    assert as_amount(Decimal("3.10")) == Decimal("3.10")


def test_floats_are_refused_with_a_way_out() -> None:
    """A float is refused with float_amount, naming the column and row and how to convert."""
    with pytest.raises(ValidationError) as error:
        as_amount(np.float64(12.5), field=("amount", 3))
    [detail] = error.value.errors(include_url=False)
    assert detail["type"] == "float_amount"
    assert detail["loc"] == ("amount", 3)
    assert "float_amounts='round_to_cent'" in detail["msg"]
    assert "Decimal(str(x))" in detail["msg"]


def test_floats_rounded_to_the_cent_on_request() -> None:
    """0.1 + 0.2 is 0.30; 2.675 (stored as 2.67499...) reads as '2.675' and rounds up to 2.68."""
    assert as_amount(0.1 + 0.2, float_amounts="round_to_cent") == Decimal("0.30")
    assert as_amount(np.float64(2.675), float_amounts="round_to_cent") == Decimal("2.68")
    with pytest.raises(ValidationError, match="is not a finite amount"):
        as_amount(float("inf"), float_amounts="round_to_cent")


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, np.nan])
def test_missing_amounts_are_named(missing: object) -> None:
    """None, NaN and pandas.NA are a missing amount, not a float or a zero."""
    with pytest.raises(ValidationError) as error:
        as_amount(missing)
    assert error.value.errors()[0]["type"] == "missing_amount"


def test_other_amount_types_are_refused() -> None:
    """Booleans and arbitrary objects are not amounts."""
    with pytest.raises(ValidationError, match="an amount cannot be a boolean"):
        as_amount(np.bool_(True))
    with pytest.raises(ValidationError, match="got list"):
        as_amount([1])


@pytest.mark.parametrize(
    "text", ["1 103,82", "1\u00a0103,82", "1\u202f103,82", "1103.82", "1103,82", " 1103.82 "]
)
def test_text_amounts_are_read_as_the_csv_importer_reads_them(text: str) -> None:
    """Decimal comma, spaces, no-break and narrow no-break spaces: all 1,103.82 exactly."""
    assert as_amount(text) == Decimal("1103.82")


def test_a_dash_is_zero_and_bad_text_fails_here_naming_the_field() -> None:
    """'-' is 0; '12 EUR' fails now, with invalid_amount and its column and row, not later."""
    assert as_amount("-") == Decimal(0)
    for text in ("12 EUR", "1,103.82", "NaN", ""):
        with pytest.raises(ValidationError) as error:
            as_amount(text, field=("montant", 4))
        [detail] = error.value.errors(include_url=False)
        assert (detail["type"], detail["loc"], detail["input"]) == (
            "invalid_amount",
            ("montant", 4),
            text,
        )
        assert f"'{text}' is not an amount" in detail["msg"]


def test_dates_as_the_csv_importer_writes_them_and_iso_instants() -> None:
    """30/12/2025 is 30 December; an ISO instant gives its own civil date; naive midnight too."""
    assert as_date("30/12/2025") == date(2025, 12, 30)
    assert as_date("2025-12-30T23:30:00+01:00") == date(2025, 12, 30)
    assert as_date("2025-12-30T00:00:00") == date(2025, 12, 30)
    assert as_date(datetime(2025, 12, 30, 23, 30, tzinfo=PARIS)) == date(2025, 12, 30)
    with pytest.raises(ValidationError) as error:
        as_date("2025-12-30T09:30", field=("paid_on", 2))
    [detail] = error.value.errors(include_url=False)
    assert (detail["type"], detail["loc"]) == ("date_with_time", ("paid_on", 2))
    assert detail["msg"] == (
        "2025-12-30T09:30:00 has a time of day but no time zone: give a date, or an aware instant"
    )


def test_pandas_dates_become_dates() -> None:
    """Timestamp and datetime64 at midnight, aware Timestamps and ISO text give the date."""
    assert as_date(pd.Timestamp("2026-03-02")) == date(2026, 3, 2)
    assert as_date(np.datetime64("2026-03-02")) == date(2026, 3, 2)
    assert as_date(pd.Timestamp("2026-03-02 15:00", tz="Europe/Paris")) == date(2026, 3, 2)
    assert as_date(" 2026-03-02 ") == date(2026, 3, 2)
    assert as_date(date(2026, 3, 2)) == date(2026, 3, 2)


def test_bad_dates_are_refused_with_their_code() -> None:
    """NaT is missing; a naive time of day is ambiguous; other text is not a date."""
    for value, code in [
        (pd.NaT, "missing_date"),
        (pd.Timestamp("2026-03-02 15:00"), "date_with_time"),
        ("2 March", "invalid_date"),
        (3, "invalid_date"),
    ]:
        with pytest.raises(ValidationError) as error:
            as_date(value, field="due_on")
        assert error.value.errors()[0]["type"] == code
        assert error.value.errors()[0]["loc"] == ("due_on",)


# --------------------------------------------------------------------------- DataFrames


def test_penalties_dataframe_in_and_out() -> None:
    """5,000 and 2,000 at 10 % for 30 days: 41.10 and 16.44 (5,000 x 10 % x 30 / 365 = 41.095)."""
    frame = pd.DataFrame(
        {
            "montant": [np.int64(5000), "2000.00"],
            "echeance": pd.to_datetime(["2025-01-10", "2025-01-10"]),
            "fin": [np.datetime64("2025-02-09"), pd.Timestamp("2025-02-09")],
            "taux": ["10", "10"],
        },
        index=["a", "b"],
    )
    out = penalties_dataframe(frame, amount="montant", due_on="echeance", until="fin", rate="taux")
    assert out["interest"].tolist() == [Decimal("41.10"), Decimal("16.44")]
    # Contractual rate between businesses: the 40 EUR indemnity is owed on top.
    assert out["penalties_total"].tolist() == [Decimal("81.10"), Decimal("56.44")]
    assert out["rate_source"].tolist() == ["contractual rate 10.00 %"] * 2
    assert list(out.index) == ["a", "b"]
    assert "interest" not in frame.columns  # the input is not changed


def test_penalties_dataframe_default_regime_and_float_opt_in() -> None:
    """12,000.00 due 15 June 2025 to 15 July: 64.85 + 59.92 = 124.77 (the compute doctest)."""
    frame = pd.DataFrame({"amount": [12000.0], "due_on": [date(2025, 6, 15)]})
    with pytest.raises(ValidationError) as error:
        penalties_dataframe(frame, until=date(2025, 7, 15))
    assert error.value.errors()[0]["loc"] == ("amount", 0)
    out = penalties_dataframe(frame, until=date(2025, 7, 15), float_amounts="round_to_cent")
    assert out["interest"].tolist() == [Decimal("124.77")]


def test_penalties_dataframe_names_missing_columns_and_bad_rows() -> None:
    """A missing column is a KeyError listing it; a core error gets the row number added."""
    frame = pd.DataFrame({"amount": ["100", "100"], "due_on": ["2025-01-10", "2025-03-10"]})
    with pytest.raises(KeyError, match="columns not in the DataFrame: until"):
        penalties_dataframe(frame)
    with pytest.raises(ValidationError) as error:
        penalties_dataframe(frame, until=date(2025, 2, 9))
    [detail] = error.value.errors()
    assert detail["type"] == "until_before_due_date"
    assert detail["loc"] == ("until", 1)


def test_penalties_dataframe_keeps_interest_that_ran_before_a_partial_payment() -> None:
    """10,000 due 31 Jan 2025, 6,000 paid 2 March, counted to 30 April: 193.10, not 128.26.

    B2B default rate for 2025 H1 (DOMAIN.md): ECB rate in force on 1 January 2025, 3.15 %,
    + 10 points = 13.15 %; actual/365; each line rounded half-up to the cent.
    - 1 Feb to 2 March (the payment day still owes the whole amount), 30 days on 10,000:
      10,000 x 13.15 % x 30 / 365 = 39,450 / 365 = 108.0822 -> 108.08;
    - 3 March to 30 April, 59 days on 4,000: 4,000 x 13.15 % x 59 / 365 = 31,034 / 365
      = 85.0246 -> 85.02; total 193.10, + 40 indemnity = 233.10.
    Without the payments, the row's 4,000 left would run from 1 Feb: 89 days,
    46,814 / 365 = 128.2575 -> 128.26: 64.84 of interest lost.
    """
    frame = pd.DataFrame(
        {
            "invoice_id": ["F-1", "F-2"],
            "amount": ["10 000,00", "500"],
            "due_on": ["31/01/2025", "31/01/2025"],
        }
    )
    payments = pd.DataFrame(
        {
            "invoice_id": ["F-1", "F-1", "F-9"],
            "paid_on": ["02/03/2025", "15/05/2025", "01/02/2025"],  # 15 May: after until
            "amount": ["6 000,00", "4 000,00", "1"],
        }
    )
    out = penalties_dataframe(frame, until=date(2025, 4, 30), payments=payments)
    assert out["interest"].tolist() == [Decimal("193.10"), Decimal("16.03")]
    # F-2: 500 x 13.15 % x 89 / 365 = 5,851.75 / 365 = 16.0322 -> 16.03 (no payment).
    assert out["penalties_total"].tolist() == [Decimal("233.10"), Decimal("56.03")]
    remaining = frame.assign(amount=["4000", "500"])
    assert penalties_dataframe(remaining, until=date(2025, 4, 30))["interest"][0] == Decimal(
        "128.26"
    )
    with pytest.raises(KeyError, match="payments: columns not in the DataFrame: paid_on"):
        penalties_dataframe(
            frame, until=date(2025, 4, 30), payments=payments.drop(columns="paid_on")
        )


def test_to_dataframe_of_a_breakdown_timeline_and_decision() -> None:
    """Rows are the breakdown's lines, the timeline's entries, the decision itself."""
    b = penalties_for_amount("12000", date(2025, 6, 15), date(2025, 7, 15))
    frame = to_dataframe(b)
    assert frame["interest"].tolist() == [Decimal("64.85"), Decimal("59.92")]
    assert to_dataframe(b, amounts="float")["interest"].tolist() == [64.85, 59.92]
    inv = Invoice(
        id="F-1",
        number="2026-0001",
        customer=Customer(id="C", name="ACME"),
        issued_on=date(2026, 1, 2),
        due_on=date(2026, 2, 2),
        total=Decimal("500.00"),
    )
    t = timeline(
        inv,
        [Payment(on=date(2026, 2, 12), amount=Decimal("500.00"))],
        STANDARD,
        start=date(2026, 2, 1),
        end=date(2026, 3, 1),
    )
    frame = to_dataframe(t)
    # As in the timeline doctest: friendly on 3 Feb, reminder on 9 Feb, paid on 12 Feb.
    assert frame["on"].tolist() == [date(2026, 2, 3), date(2026, 2, 9), date(2026, 2, 12)]
    assert frame["step_id"].tolist()[:2] == ["informative", "reminder"]
    assert pd.isna(frame["step_id"].iloc[2])
    d = decide(inv, [], STANDARD, at=datetime(2026, 2, 3, 10, tzinfo=PARIS))
    assert to_dataframe(d)["status"].tolist() == ["action_due"]


def test_to_dataframe_of_simulations_metrics_and_run_reports() -> None:
    """Each result gives its natural rows, with their columns even when empty."""
    book = synthetic_portfolio(6, seed=4, as_of=START)
    frame = to_dataframe(book)
    assert len(frame) == len(book.entries)
    assert set(frame["payer_type"]) <= {"good", "default", "late"}
    result = simulate(book, STANDARD, start=START, end=date(2026, 3, 20), seed=4)
    assert len(to_dataframe(result)) == 19
    assert len(to_dataframe(result, part="messages")) == len(result.messages)
    assert len(to_dataframe(result, part="payments")) == len(result.payments)
    assert list(to_dataframe(result, part="penalties").columns) == [
        "invoice_id",
        "interest",
        "recovery_indemnity",
        "total",
    ]
    with pytest.raises(ValueError, match="part: expected"):
        to_dataframe(result, part="nothing")  # type: ignore[arg-type]
    at = datetime(2026, 3, 20, 12, tzinfo=PARIS)
    assert to_dataframe(ageing(result.entries, at=at))["bucket"].tolist()[0] == "not_due"
    steps = to_dataframe(step_effectiveness(result.entries, at=at))
    assert list(steps.columns) == [
        "step_id",
        "delivered",
        "paid_after",
        "paid_share",
        "average_days_to_pay",
    ]
    assert len(to_dataframe(list(book.entries))) == len(book.entries)
    report = RunReport(at=at, items=(RunItem(Outcome.SENT, "C1", "m1"),))
    assert to_dataframe(report).to_dict("records") == [
        {"outcome": "sent", "customer_id": "C1", "key": "m1", "channel": None, "reason": ""}
    ]
    empty = RunReport(at=at, items=())
    assert list(to_dataframe(empty).columns) == [
        "outcome",
        "customer_id",
        "key",
        "channel",
        "reason",
    ]
    with pytest.raises(TypeError, match="cannot tabulate a int"):
        to_dataframe(3)


def test_html_of_core_results_is_escaped_and_needs_no_pandas() -> None:
    """Timeline, breakdown, decision and run report render as HTML tables."""
    b = penalties_for_amount("12000", date(2025, 6, 15), date(2025, 7, 15))
    html = b._repr_html_()
    # Money in the French locale: narrow no-break space between thousands, no-break before €.
    assert "<td>2025-06-16</td><td>2025-06-30</td><td>15</td><td>12\u202f000,00\xa0€</td>" in html
    assert "<td>total</td><td></td><td></td><td></td><td></td><td></td><td>164,77\xa0€</td>" in (
        html
    )
    report = RunReport(
        at=datetime(2026, 3, 2, tzinfo=PARIS),
        items=(RunItem(Outcome.ERROR, "C<1>", reason="template & data"),),
    )
    assert "<td>C&lt;1&gt;</td>" in report._repr_html_()
    assert "template &amp; data" in report._repr_html_()
    inv = Invoice(
        id="F-1",
        number="N<1>",
        customer=Customer(id="C", name="ACME"),
        issued_on=date(2026, 1, 2),
        due_on=date(2026, 2, 2),
        total=Decimal("500.00"),
    )
    d = decide(inv, [], STANDARD, at=datetime(2026, 2, 3, 10, tzinfo=PARIS))
    assert "<td>action</td><td>informative by email</td>" in d._repr_html_()
    t = timeline(inv, [], STANDARD, start=date(2026, 2, 1), end=date(2026, 2, 4))
    assert "<caption>Timeline of invoice N&lt;1&gt;</caption>" in t._repr_html_()
    assert "<td>2026-02-03</td><td>N&lt;1&gt;</td><td>1 friendly</td><td>email</td>" in (
        t._repr_html_()
    )


# -------------------------------------------------------------------------------- plots


def test_plots_draw_what_they_say() -> None:
    """Accrual: one marked change per rate change; ageing: five bars; collections: a curve each."""
    b = penalties_for_amount(
        "12000", date(2024, 5, 15), date(2025, 3, 15), payments=[(date(2024, 9, 1), "4000")]
    )
    figure = plot_penalty_accrual(b)
    ax = figure.axes[0]
    # Lines: 16 May-30 June 14.50 %, July-1 Sept 14.25 % on 12,000, then 8,000 from 2 Sept,
    # 13.15 % from 1 January 2025: three changes marked, plus the accrual curve itself.
    assert len(ax.lines) == 1 + 3
    assert np.asarray(ax.lines[0].get_ydata())[-1] == pytest.approx(float(b.interest))
    book = synthetic_portfolio(10, seed=2, as_of=START)
    a = ageing(book.entries, at=datetime(2026, 3, 2, 12, tzinfo=PARIS))
    bars = plot_ageing(a).axes[0].patches
    heights = [bar.get_height() for bar in bars if isinstance(bar, Rectangle)]
    assert heights == [float(a.amounts[k]) for k in a.amounts]
    c = compare(book, [GENTLE, FIRM], start=START, end=date(2026, 4, 30), seed=2)
    figure = plot_collections(c)
    curves = [line for line in figure.axes[0].lines if line.get_linestyle() == "-"]
    assert len(curves) == 2
    assert np.asarray(curves[1].get_ydata())[-1] == pytest.approx(
        float(c.results["firm"].collected)
    )
    assert len(plot_collections(list(c.results.values())).axes[0].lines) == 2 + 2  # day 30, 60
    assert len(plot_collections(c.results).axes[0].lines) == 4
    one = plot_collections(c.results["firm"]).axes[0]
    assert len(one.lines) == 1 + 2  # the curve and days 30 and 60
    frame = to_dataframe(a, amounts="float")
    heights = [bar.get_height() for bar in plot_ageing(frame).axes[0].patches
               if isinstance(bar, Rectangle)]  # fmt: skip
    assert heights == [float(a.amounts[k]) for k in a.amounts]
    with pytest.raises(KeyError, match="plot_ageing: columns not in the DataFrame: count"):
        plot_ageing(frame.drop(columns="count"))


def _png(figure: Figure) -> np.ndarray[Any, Any]:
    """The figure rendered by Agg to PNG at 100 dpi, read back as an RGBA array."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    buffer.seek(0)
    return np.asarray(imread(buffer, format="png"))


def _ticks(axis: Any) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_plots_render_as_images_with_money_and_dates_as_the_locale_writes_them() -> None:
    """Each plot is a PNG of its stated size, not blank; ticks say "12 000 €" or "€12,000"."""
    b = penalties_for_amount(
        "12000", date(2024, 5, 15), date(2025, 3, 15), payments=[(date(2024, 9, 1), "4000")]
    )
    book = synthetic_portfolio(40, seed=2, as_of=START)
    a = ageing(book.entries, at=datetime(2026, 3, 2, 12, tzinfo=PARIS))
    run = simulate(book, FIRM, start=START, end=date(2026, 4, 30), seed=2)
    figures = {
        "accrual": (plot_penalty_accrual(b), (450, 1000)),
        "ageing": (plot_ageing(a), (450, 800)),
        "collections": (plot_collections(run), (450, 900)),
    }
    for name, (figure, size) in figures.items():
        image = _png(figure)
        assert image.shape[:2] == size, name
        colours = np.unique(image.reshape(-1, image.shape[-1]), axis=0)
        assert len(colours) > 50, name  # text, bars or curves, not one flat colour
        ax = figure.axes[0]
        assert ax.get_xlabel(), name
        assert ax.get_ylabel(), name
        money = _ticks(ax.yaxis)
        assert money, name
        assert all(t.endswith("\xa0€") for t in money), (name, money)
        assert "e" not in "".join(money), name  # no "1e6" offset or exponent
        assert ax.yaxis.get_offset_text().get_text() == "", name
    accrual_ticks = _ticks(figures["accrual"][0].axes[0].yaxis)
    assert "1\u202f000\xa0€" in accrual_ticks  # 1,105.64 accrued: a tick at 1 000 €
    assert "01/07/2024" in _ticks(figures["accrual"][0].axes[0].xaxis)
    ageing_axes = figures["ageing"][0].axes[0]
    assert _ticks(ageing_axes.xaxis) == [
        "Not yet due",
        "1-30 days",
        "31-60 days",
        "61-90 days",
        "Over 90 days",
    ]
    english = plot_collections(run, locale="en_GB")
    _png(english)
    ticks = _ticks(english.axes[0].yaxis)
    assert ticks[0] == "€0"
    assert any("," in t for t in ticks), ticks  # tens of thousands of euros collected
    legend = english.axes[0].get_legend()
    assert legend is not None
    (entry,) = [t.get_text() for t in legend.get_texts()]
    assert entry.startswith("firm: €")
    assert entry[-4] == ","  # whole euros, grouped: "firm: €23,456"


def test_the_accrual_plot_lists_its_periods_beside_the_curve() -> None:
    """Four periods numbered 1-4 beside the axes; marks 2, 3, 4 above the axes, none inside."""
    b = penalties_for_amount(
        "12000", date(2024, 5, 15), date(2025, 3, 15), payments=[(date(2024, 9, 1), "4000")]
    )
    figure = plot_penalty_accrual(b)
    ax, side = figure.axes
    (box,) = side.texts
    text = box.get_text()
    assert "1. 16/05/2024: 14,50 % on 12\u202f000,00\xa0€" in text
    assert "3. 02/09/2024: 14,25 % on 8\u202f000,00\xa0€" in text
    assert "Total owed: 1\u202f145,64\xa0€" in text  # 1,105.64 interest + 40.00
    marks = [t for t in ax.texts if isinstance(t, Annotation) and t.get_text() in {"2", "3", "4"}]
    assert [m.get_text() for m in marks] == ["2", "3", "4"]
    assert all(m.xy[1] == 1.0 for m in marks)  # at the top edge, written upwards
    # The curve is drawn at midnights: from the start of 16 May 2024 (0 accrued) to the end of
    # 15 March 2025, and each mark (a period's first day) is a point of the curve, its kink.
    days = [num2date(x).date() for x in np.asarray(ax.lines[0].get_xdata())]  # type: ignore[no-untyped-call]
    assert (days[0], days[-1]) == (date(2024, 5, 16), date(2025, 3, 16))
    marked = [
        num2date(np.asarray(line.get_xdata())[0]).date()  # type: ignore[no-untyped-call]
        for line in ax.lines[1:]
    ]
    assert marked == [date(2024, 7, 1), date(2024, 9, 2), date(2025, 1, 1)]
    assert set(marked) <= set(days)


def test_to_dataframe_stacks_a_list_of_results() -> None:
    """Two breakdowns of one line each give two rows; a mixed list is still refused."""
    first = penalties_for_amount("5000", date(2025, 1, 10), date(2025, 2, 9), rate="10")
    second = penalties_for_amount("2000", date(2025, 1, 10), date(2025, 2, 9), rate="10")
    frame = to_dataframe([first, second])
    assert frame["interest"].tolist() == [Decimal("41.10"), Decimal("16.44")]
    assert frame["days"].tolist() == [30, 30]
    with pytest.raises(TypeError, match="cannot tabulate a list"):
        to_dataframe([first, START])


def test_to_dataframe_stacks_simulations_and_ageings_naming_each() -> None:
    """Two runs of 19 days: 38 rows after a label column; two ageings: 10 rows after ``at``."""
    book = synthetic_portfolio(6, seed=4, as_of=START)
    c = compare(book, [GENTLE, FIRM], start=START, end=date(2026, 3, 20), seed=4)
    frame = to_dataframe(list(c.results.values()))
    assert list(frame.columns)[:3] == ["label", "on", "outstanding"]
    assert frame["label"].tolist() == ["gentle"] * 19 + ["firm"] * 19
    assert frame.equals(to_dataframe(c.results))
    messages = to_dataframe(c.results, part="messages")
    assert len(messages) == sum(len(r.messages) for r in c.results.values())
    assert list(messages.columns)[:2] == ["label", "on"]
    days = [date(2026, 3, 2), date(2026, 3, 20)]
    frame = to_dataframe([ageing(book.entries, at=d) for d in days])
    assert list(frame.columns) == ["at", "bucket", "amount", "count"]
    assert frame["at"].tolist() == [days[0]] * 5 + [days[1]] * 5
    assert frame["bucket"].tolist()[:2] == ["not_due", "1-30"]


# --------------------------------------------------------------------------- ERP frames

ERP_COLUMNS = {
    "Facture": "invoice_number",
    "Client": "customer_id",
    "Nom": "customer_name",
    "Émise le": "issued_on",
    "Échéance": "due_on",
    "Montant TTC": "total",
    "Réf facture": "invoice_id",
    "Réglé le": "paid_on",
    "Montant": "amount",
    "Type": "kind",
}


def test_histories_from_frames_groups_by_customer_and_orders_events() -> None:
    """Two customers, three invoices; payments by invoice number or id, a credit note, by date."""
    from dunning.notebook import histories_from_frames  # noqa: PLC0415

    invoices = pd.DataFrame(
        {
            "Facture": ["2025-003", "2025-001", "2025-002"],
            "Client": ["C-2", "C-1", "C-1"],
            "Nom": ["Globex", "ACME", "ACME"],
            "Émise le": ["01/12/2025", "01/11/2025", pd.Timestamp("2025-11-15")],
            "Échéance": ["31/12/2025", "01/12/2025", "2025-12-15"],
            "Montant TTC": ["1 103,82", "2\u202f400,00", Decimal(500)],
            "Ignored": [1, 2, 3],
        }
    )
    payments = pd.DataFrame(
        {
            "Réf facture": ["2025-001", "2025-001", "2025-003"],
            "Réglé le": ["20/12/2025", "10/12/2025", "2026-01-05"],
            "Montant": ["400", "1 000,00", "103,82"],
            "Type": ["payment", "Credit Note", "payment"],
        }
    )
    histories = histories_from_frames(invoices, payments, columns=ERP_COLUMNS)
    assert [(h.invoice.customer.id, h.invoice.id) for h in histories] == [
        ("C-1", "2025-001"),  # due 1 Dec
        ("C-1", "2025-002"),  # due 15 Dec
        ("C-2", "2025-003"),
    ]
    first = histories[0]
    assert first.invoice.total == Decimal("2400.00")
    settled = [e for e in first.events if isinstance(e, Payment | CreditNote)]
    assert len(settled) == len(first.events)
    assert [(e.kind, e.on, e.amount) for e in settled] == [
        ("credit_note", date(2025, 12, 10), Decimal("1000.00")),
        ("payment", date(2025, 12, 20), Decimal(400)),
    ]
    assert histories[1].events == ()
    assert histories[2].invoice.total == Decimal("1103.82")
    assert histories[2].events == (Payment(on=date(2026, 1, 5), amount=Decimal("103.82")),)


def test_histories_from_frames_with_a_customers_frame() -> None:
    """With customers apart, an invoice row needs only the customer id; an unknown id is named."""
    from dunning.exceptions import InvoiceImportError  # noqa: PLC0415
    from dunning.notebook import histories_from_frames  # noqa: PLC0415

    customers = pd.DataFrame(
        {"customer_id": ["C-1"], "customer_name": ["ACME"], "email": ["ap@acme.test"]}
    )
    invoices = pd.DataFrame(
        {
            "invoice_number": ["F-1", "F-2"],
            "customer_id": ["C-1", "C-9"],
            "issued_on": ["2025-11-01"] * 2,
            "due_on": ["2025-12-01"] * 2,
            "total": [100, 200],
        }
    )
    with pytest.raises(InvoiceImportError) as error:
        histories_from_frames(invoices, None, customers=customers)
    assert [(d.location, d.code) for d in error.value.details] == [
        ("invoices row 1: customer_id", "unknown_customer")
    ]
    [h] = histories_from_frames(invoices.iloc[:1], None, customers=customers)
    assert h.invoice.customer.email == "ap@acme.test"


def test_histories_from_frames_reports_every_bad_row_at_once() -> None:
    """Each problem is named by frame, row (from 0) and the ERP's own column; nothing is built."""
    from dunning.exceptions import InvoiceImportError  # noqa: PLC0415
    from dunning.notebook import histories_from_frames  # noqa: PLC0415

    invoices = pd.DataFrame(
        {
            "Facture": ["F-1", "F-2", "F-1", "F-4"],
            "Client": ["C-1", "C-1", "C-2", "C-1"],
            "Nom": ["ACME", "ACME SARL", "Globex", "ACME"],
            "Émise le": ["01/11/2025", "01/11/2025", "01/11/2025", "01/11/2025"],
            "Échéance": ["01/12/2025", "31/02/2025", "01/12/2025", "01/12/2025"],
            "Montant TTC": ["100", "100", "100", 12.5],
        }
    )
    payments = pd.DataFrame(
        {
            "Réf facture": ["F-1", "F-9", "F-1", "F-1"],
            "Réglé le": ["05/12/2025", "05/12/2025", "05/12/2025", "hier"],
            "Montant": ["10", "10", "1,2,3", "10"],
            "Type": ["payment", "payment", "payment", "refund"],
        }
    )
    with pytest.raises(InvoiceImportError) as error:
        histories_from_frames(invoices, payments, columns=ERP_COLUMNS)
    assert [(d.location, d.code) for d in error.value.details] == [
        ("invoices row 1: Échéance", "invalid_date"),
        ("invoices row 1: Client", "customer_mismatch"),
        ("invoices row 2: Facture", "duplicate_invoice"),
        ("invoices row 3: Montant TTC", "float_amount"),
        ("payments row 1: Réf facture", "unknown_invoice"),
        ("payments row 2: Montant", "invalid_amount"),
        ("payments row 3: Réglé le", "invalid_date"),
        ("payments row 3: Type", "invalid_kind"),
    ]
    assert str(error.value).startswith("histories_from_frames: 8 problem(s), nothing built: ")


def test_histories_from_frames_names_missing_columns() -> None:
    """A frame without a required column is refused before any row is read, naming it."""
    from dunning.exceptions import InvoiceImportError  # noqa: PLC0415
    from dunning.notebook import histories_from_frames  # noqa: PLC0415

    invoices = pd.DataFrame({"Facture": ["F-1"]})
    payments = pd.DataFrame({"Réf facture": ["F-1"], "Montant": ["1"]})
    with pytest.raises(InvoiceImportError) as error:
        histories_from_frames(invoices, payments, columns=ERP_COLUMNS)
    missing = [d.location for d in error.value.details if d.code == "missing_column"]
    assert missing == [
        "invoices: customer_id",
        "invoices: customer_name",
        "invoices: issued_on",
        "invoices: due_on",
        "invoices: total",
        "payments: paid_on",
    ]


def test_the_erp_notebook_export_reads_as_forty_invoices_with_one_credit_note() -> None:
    """docs/notebooks/erp: 40 invoices, 28 payment rows; FA-2025-1195 has a 554.45 credit note."""
    folder = Path(__file__).parent.parent / "docs" / "notebooks" / "erp"
    invoices = pd.read_csv(folder / "invoices.csv", sep=";", dtype=str)
    payments = pd.read_csv(folder / "payments.csv", sep=";", dtype=str)
    assert len(payments) == 28
    payments["kind"] = payments["Type"].map({"Règlement": "payment", "Avoir": "credit_note"})
    columns = {
        "N° facture": "invoice_number",
        "Code client": "customer_id",
        "Raison sociale": "customer_name",
        "Date facture": "issued_on",
        "Échéance": "due_on",
        "Montant TTC": "total",
        "Facture": "invoice_id",
        "Date règlement": "paid_on",
        "Montant": "amount",
        "Pièce": "reference",
    }
    book = histories_from_frames(invoices, payments, columns=columns)
    assert len(book) == 40
    (returned,) = [h for h in book if h.invoice.number == "FA-2025-1195"]
    assert returned.invoice.total == Decimal("3696.34")
    credit, payment = returned.events
    assert isinstance(credit, CreditNote)
    assert isinstance(payment, Payment)
    assert credit.amount == Decimal("554.45")
    assert payment.amount == Decimal("3141.89")  # 3,696.34 - 554.45
