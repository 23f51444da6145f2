"""The plots of `dunning.notebook`: money on the axes as the reader's locale writes it.

How this works: every plot is a matplotlib `Figure` built without pyplot (no global state, no
window), with ``layout="constrained"`` so that labels and the legend never overlap the axes.
Amounts on the axes go through a `FuncFormatter` calling Babel (``12 345 €`` in ``fr_FR``, the
default; ``€12,345`` in ``en_GB``), which also removes matplotlib's ``1e6`` offset. Dates are
written in the locale's short form (``16/05/2024``). What explains the figure (legends, the
penalty periods) sits beside the axes, never on the data, so nothing collides with a curve
whatever its shape. matplotlib is imported when a plot is drawn, with an install hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dunning._frames import NOTEBOOK_EXTRA
from dunning.core.display import DEFAULT_LOCALE, format_amount, format_money
from dunning.core.metrics import AGEING_BUCKETS, AGEING_LABELS, Ageing
from dunning.core.penalties.compute import PenaltyBreakdown
from dunning.core.penalties.regimes import PenaltyRegime
from dunning.core.simulate import Comparison, SimulationResult

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_ageing", "plot_collections", "plot_penalty_accrual"]

_AGEING_COLOURS = ("tab:green", "gold", "orange", "tab:red", "darkred")

_REGIMES = {
    PenaltyRegime.B2B_DEFAULT: "between businesses, ECB rate + 10 points",
    PenaltyRegime.B2B_CONTRACTUAL: "between businesses, contractual rate",
    PenaltyRegime.CONSUMER: "consumer, legal rate",
    PenaltyRegime.PUBLIC_BUYER: "public buyer, ECB rate + 8 points",
}
"""The regimes in words, for titles."""


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415  (optional dependency)
    except ImportError as error:
        msg = f"plots need matplotlib, which is not installed: {NOTEBOOK_EXTRA}"
        raise ImportError(msg) from error
    return Figure(figsize=(width, height), layout="constrained")


def _x(days: Sequence[date]) -> Any:
    """Dates as matplotlib's numbers (its typing does not take dates directly)."""
    from matplotlib.dates import date2num  # noqa: PLC0415  (optional dependency)

    return date2num(list(days))  # type: ignore[no-untyped-call]


def _day(day: date, locale: str) -> str:
    from babel.dates import format_date  # noqa: PLC0415  (loaded when a plot is drawn)

    return str(format_date(day, "short", locale=locale))


def _money_axis(axis: Any, currency: str, locale: str) -> None:
    """Ticks as money in *locale*: whole units, cents only where a tick needs them."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: PLC0415

    def tick(value: float, _position: int) -> str:
        amount = Decimal(str(float(value))).quantize(Decimal("0.01"))
        whole = amount == amount.to_integral_value()
        return format_money(amount, currency, locale=locale, cents=not whole)

    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(tick))


def _date_axis(axis: Any, locale: str) -> None:
    """Ticks as the locale's short dates, at most seven of them."""
    from matplotlib.dates import AutoDateLocator, num2date  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    axis.set_major_locator(AutoDateLocator(minticks=3, maxticks=7))  # type: ignore[no-untyped-call]
    axis.set_major_formatter(
        FuncFormatter(lambda value, _: _day(num2date(value).date(), locale))  # type: ignore[no-untyped-call]
    )


def _marks_above(ax: Axes, xs: Sequence[float], labels: Sequence[str]) -> None:
    """Labels for vertical marks written above the axes, over their line, off the data."""
    for x, label in zip(xs, labels, strict=True):
        ax.annotate(label, xy=(x, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8,
                    color="dimgrey", annotation_clip=False)  # fmt: skip


# ------------------------------------------------------------------------- penalty accrual


def plot_penalty_accrual(
    breakdown: PenaltyBreakdown, *, title: str | None = None, locale: str = DEFAULT_LOCALE
) -> Figure:
    """Interest accrued day by day, with each change of rate or principal marked and listed.

    The curve is the interest accrued by the end of each day (drawn at the midnight that ends
    it). A dashed line marks each day the
    rate or the principal changes; the numbered periods (from when, which rate, on what
    principal) and the totals are listed beside the plot, so no text lies on the curve.

    Args:
        breakdown: a `PenaltyBreakdown` (from `compute_penalties` or `penalties_for_amount`).
        title: the figure's title; by default names the invoice and the regime.
        locale: how amounts and dates are written (Babel locale, ``fr_FR`` by default).

    Returns:
        A matplotlib `Figure` (display it in a notebook, or ``savefig`` it). Its first axes
        hold the curve and the marks; the second, without axis, the periods and totals.

    Raises:
        ImportError: if matplotlib is not installed.

    Examples:
        >>> from datetime import date
        >>> from dunning.penalties import penalties_for_amount
        >>> b = penalties_for_amount("12000", date(2025, 6, 15), date(2025, 7, 15))
        >>> figure = plot_penalty_accrual(b, locale="en_GB")
        >>> figure.axes[0].get_ylabel()
        'Interest accrued (EUR)'
    """
    figure = _figure(10, 4.5)
    ax, side = figure.subplots(1, 2, width_ratios=(3, 1.15))
    days: list[date] = []
    totals: list[float] = []
    accrued = Decimal(0)
    for line in breakdown.lines:
        # At midnight: nothing of the line before its first day, all of it after its last day,
        # so a kink in the curve falls on the mark of the line that starts there.
        days.append(line.first_day)
        totals.append(float(accrued))
        accrued += line.interest
        days.append(line.last_day + timedelta(days=1))
        totals.append(float(accrued))
    (curve,) = ax.plot(_x(days), totals, color="tab:blue", linewidth=2)
    money = breakdown.currency
    periods: list[str] = []
    marks: list[float] = []
    change = None
    previous = None
    for line in breakdown.lines:
        if previous is None or (
            line.annual_rate != previous.annual_rate or line.principal != previous.principal
        ):
            rate = f"{format_amount(line.annual_rate, locale=locale)} %"
            on = format_money(line.principal, money, locale=locale)
            periods.append(f"{len(periods) + 1}. {_day(line.first_day, locale)}: {rate} on {on}")
            if previous is not None:
                x = _x([line.first_day])[0]
                change = ax.axvline(x, color="tab:red", linestyle="--", linewidth=1)
                marks.append(x)
        previous = line
    _marks_above(ax, marks, [str(n) for n in range(2, len(marks) + 2)])
    ax.set_title(
        title
        or f"Late-payment interest on {breakdown.invoice_id} "
        f"({_REGIMES.get(breakdown.regime, breakdown.regime.value)})",
        pad=14,
    )
    ax.set_ylabel(f"Interest accrued ({money})")
    ax.set_xlabel("Day")
    ax.set_ylim(bottom=0)
    ax.grid(visible=True, alpha=0.3)
    _money_axis(ax.yaxis, money, locale)
    _date_axis(ax.xaxis, locale)
    side.axis("off")
    handles = [curve] if change is None else [curve, change]
    labels = ["Interest accrued", "Change of rate or principal"][: len(handles)]
    side.legend(handles, labels, loc="upper left", borderaxespad=0.0, fontsize=9)
    lines = [
        "Periods (from, rate, principal):",
        *periods,
        "",
        f"Interest: {format_money(breakdown.interest, money, locale=locale)}",
        f"Recovery indemnity: {format_money(breakdown.recovery_indemnity, money, locale=locale)}",
        f"Total owed: {format_money(breakdown.total, money, locale=locale)}",
        f"to {_day(breakdown.until, locale)}",
    ]
    side.text(0.0, 0.8, "\n".join(lines), transform=side.transAxes, va="top", fontsize=8,
              linespacing=1.5, bbox={"boxstyle": "round", "facecolor": "white",
                                     "edgecolor": "lightgrey"})  # fmt: skip
    return figure


# ------------------------------------------------------------------------------- ageing


def _ageing_figures(
    ageing: Ageing | pd.DataFrame, currency: str | None
) -> tuple[dict[str, Decimal], dict[str, int], str, date | None]:
    """Amounts and counts by bucket, the currency, and the day measured (if known)."""
    if isinstance(ageing, Ageing):
        amounts = {b: Decimal(ageing.amounts[b]) for b in AGEING_BUCKETS}
        at = ageing.at.date() if isinstance(ageing.at, datetime) else ageing.at
        return amounts, dict(ageing.counts), currency or ageing.currency, at
    missing = [c for c in ("bucket", "amount", "count") if c not in ageing.columns]
    if missing:
        msg = f"plot_ageing: columns not in the DataFrame: {', '.join(missing)}"
        raise KeyError(msg)
    rows = dict(
        zip(ageing["bucket"], zip(ageing["amount"], ageing["count"], strict=True), strict=True)
    )
    amounts = {b: Decimal(str(rows.get(b, (0, 0))[0])) for b in AGEING_BUCKETS}
    counts = {b: int(rows.get(b, (0, 0))[1]) for b in AGEING_BUCKETS}
    return amounts, counts, currency or "EUR", None


def plot_ageing(
    ageing: Ageing | pd.DataFrame,
    *,
    title: str | None = None,
    currency: str | None = None,
    locale: str = DEFAULT_LOCALE,
) -> Figure:
    """Outstanding amounts by ageing bucket, as bars labelled with their amounts and counts.

    Args:
        ageing: an `Ageing`, or its DataFrame (``to_dataframe(ageing)``: columns ``bucket``,
            ``amount``, ``count``; amounts as Decimals or floats).
        title: the figure's title; by default the day and the total.
        currency: the currency of the amounts: by default the `Ageing`'s, or EUR for a frame.
        locale: how amounts are written (Babel locale, ``fr_FR`` by default).

    Returns:
        A matplotlib `Figure`.

    Raises:
        ImportError: if matplotlib is not installed.
        KeyError: for a DataFrame without those columns.

    Examples:
        >>> from datetime import date
        >>> from dunning.metrics import ageing
        >>> figure = plot_ageing(ageing([], at=date(2026, 3, 2)), locale="en_GB")
        >>> [t.get_text() for t in figure.axes[0].get_xticklabels()][:2]
        ['Not yet due', '1-30 days']
    """
    figure = _figure(8, 4.5)  # first: without matplotlib, the install hint comes first
    amounts, counts, money, at = _ageing_figures(ageing, currency)
    ax = figure.add_subplot()
    values = [float(amounts[b]) for b in AGEING_BUCKETS]
    bars = ax.bar([AGEING_LABELS[b] for b in AGEING_BUCKETS], values, color=_AGEING_COLOURS)
    labels = [
        f"{format_money(amounts[b], money, locale=locale, cents=False)}\n"
        f"{counts[b]} invoice{'s' if counts[b] != 1 else ''}"
        for b in AGEING_BUCKETS
    ]
    ax.bar_label(bars, labels=labels, fontsize=8, padding=3)
    total = format_money(sum(amounts.values(), Decimal(0)), money, locale=locale, cents=False)
    on = "" if at is None else f" at {_day(at, locale)}"
    ax.set_title(title or f"Ageing{on}: {total} outstanding")
    ax.set_ylabel(f"Outstanding ({money})")
    ax.set_xlabel("Days past due")
    ax.set_ylim(0, max([*values, 1.0]) * 1.25)  # room for the labels above the bars
    ax.grid(visible=True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _money_axis(ax.yaxis, money, locale)
    return figure


# -------------------------------------------------------------------------- collections


def plot_collections(
    results: SimulationResult
    | Comparison
    | Mapping[str, SimulationResult]
    | Iterable[SimulationResult],
    *,
    title: str = "Cash collected",
    currency: str = "EUR",
    locale: str = DEFAULT_LOCALE,
) -> Figure:
    """Cumulative cash collected day by day, one curve per simulated scenario.

    Takes one `SimulationResult`, a `Comparison`, a mapping of label to result, or a
    sequence of results. Days 30, 60 and 90 of the runs are marked; the legend, beside the
    plot, gives each scenario's total.

    Args:
        results: the simulation results.
        title: the figure's title.
        currency: the currency of the simulated book.
        locale: how amounts and dates are written (Babel locale, ``fr_FR`` by default).

    Returns:
        A matplotlib `Figure`.

    Raises:
        ImportError: if matplotlib is not installed.

    Examples:
        >>> from datetime import date
        >>> from dunning.scenarios import STANDARD
        >>> from dunning.simulate import simulate, synthetic_portfolio
        >>> book = synthetic_portfolio(3, seed=1, as_of=date(2026, 3, 2))
        >>> run = simulate(book, STANDARD, start=date(2026, 3, 2), end=date(2026, 3, 8), seed=1)
        >>> plot_collections(run, locale="en_GB").axes[0].get_xlabel()
        'Day'
    """
    figure = _figure(9, 4.5)
    if isinstance(results, SimulationResult):
        runs = [(results.label, results)]
    elif isinstance(results, Comparison):
        runs = list(results.results.items())
    elif isinstance(results, Mapping):
        runs = list(results.items())
    else:
        runs = [(r.label, r) for r in results]
    ax = figure.add_subplot()
    for label, result in runs:
        collected = format_money(result.collected, currency, locale=locale, cents=False)
        ax.plot(
            _x([d.on for d in result.days]),
            [float(d.collected) for d in result.days],
            label=f"{label}: {collected}",
            linewidth=2,
        )
    if runs:
        start, end = runs[0][1].start, runs[0][1].end
        marks = [m for m in (30, 60, 90) if start + timedelta(days=m - 1) <= end]
        xs = [_x([start + timedelta(days=m - 1)])[0] for m in marks]
        for x in xs:
            ax.axvline(x, color="grey", linestyle=":", linewidth=1)
        _marks_above(ax, xs, [f"day {m}" for m in marks])
    ax.set_xlabel("Day")
    ax.set_title(title, pad=14)
    ax.set_ylabel(f"Collected since the start ({currency})")
    ax.set_ylim(bottom=0)
    ax.grid(visible=True, alpha=0.3)
    _money_axis(ax.yaxis, currency, locale)
    _date_axis(ax.xaxis, locale)
    if runs:
        # Beside the axes, top-aligned (constrained layout makes room): never on a curve.
        ax.legend(title="Scenario: collected", fontsize=9, loc="upper left",
                  bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # fmt: skip
    return figure
