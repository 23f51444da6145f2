"""Several scenarios or policies simulated on the same book with the same seed, side by side.

About DSO: a simulated book issues no new invoices, so a count-back DSO read on its last day
measures what is left of the starting book against sales that stopped, which grows with the
length of the run rather than with how well a scenario collects. A `ComparisonRow` therefore
says what it is, ``closing_dso_no_new_invoices``, and gives next to it a figure that does
compare scenarios: ``average_days_to_collect``, the mean days from issue to full payment of
the invoices paid in full during the run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from dunning.core.display import html_table
from dunning.core.ledger import Ledger
from dunning.core.metrics import collection_cost
from dunning.core.metrics._common import one_decimal
from dunning.core.model import Channel
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.policy import Policy
from dunning.core.portfolio import PortfolioEntry
from dunning.core.scenario import Scenario
from dunning.core.simulate.results import SimulationResult
from dunning.core.simulate.simulation import simulate
from dunning.core.simulate.synthetic import Behaviour, SyntheticPortfolio

__all__ = [
    "Comparison",
    "ComparisonRow",
    "average_days_to_collect",
    "candidates_by_label",
    "compare",
    "comparison_of",
]


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One scenario's figures in a `Comparison`.

    Attributes:
        label: the scenario's label.
        messages: messages sent.
        messages_by_channel: messages per channel.
        formal_notices: formal notices sent.
        collected_30: cash collected in the first 30 days (None if the run is shorter).
        collected_60: ... 60 days.
        collected_90: ... 90 days.
        closing_dso_no_new_invoices: count-back DSO on the last day, of a book that issued
            no new invoices during the run: it grows with the run's length, so it compares
            scenarios only over the same run (was ``dso``, still readable under that name).
        average_days_to_collect: mean days from issue to full payment of the invoices paid
            in full during the run, to one decimal (None if none was).
        outstanding: receivables on the last day.
        cost: messages x unit costs, if unit costs were given.
        penalties_owed: interest and indemnities owed on the last day.
    """

    label: str
    messages: int
    messages_by_channel: Mapping[str, int]
    formal_notices: int
    collected_30: Decimal | None
    collected_60: Decimal | None
    collected_90: Decimal | None
    closing_dso_no_new_invoices: Decimal | None
    outstanding: Decimal
    cost: Decimal | None
    penalties_owed: Decimal
    average_days_to_collect: Decimal | None = None

    @property
    def dso(self) -> Decimal | None:
        """Deprecated name of ``closing_dso_no_new_invoices`` (what it measures, said)."""
        warnings.warn(
            "ComparisonRow.dso is deprecated: it is closing_dso_no_new_invoices, a count-back"
            " DSO of a book that issues no new invoices (see also average_days_to_collect)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.closing_dso_no_new_invoices


@dataclass(frozen=True, slots=True)
class Comparison:
    """Several scenarios or policies run on the same book with the same seed.

    Attributes:
        results: the full `SimulationResult` of each, by label.
        rows: the headline figures of each, in the order given.
    """

    results: Mapping[str, SimulationResult]
    rows: tuple[ComparisonRow, ...]

    def records(self) -> list[dict[str, Any]]:
        """One row per scenario, channels as ``messages_<channel>`` columns, for a DataFrame."""
        channels = sorted({ch for r in self.rows for ch in r.messages_by_channel})
        out = []
        for r in self.rows:
            row: dict[str, Any] = {"label": r.label, "messages": r.messages}
            row.update({f"messages_{ch}": r.messages_by_channel.get(ch, 0) for ch in channels})
            row.update(
                {
                    "formal_notices": r.formal_notices,
                    "collected_30": r.collected_30,
                    "collected_60": r.collected_60,
                    "collected_90": r.collected_90,
                    "average_days_to_collect": r.average_days_to_collect,
                    "closing_dso_no_new_invoices": r.closing_dso_no_new_invoices,
                    "outstanding": r.outstanding,
                    "cost": r.cost,
                    "penalties_owed": r.penalties_owed,
                }
            )
            out.append(row)
        return out

    def _repr_html_(self) -> str:
        records = self.records()
        headers = list(records[0]) if records else ["label"]
        return html_table(
            headers, [[r[h] for h in headers] for r in records], caption="Scenarios compared"
        )


def candidates_by_label(
    candidates: Mapping[str, Scenario | Policy] | Sequence[Scenario | Policy],
) -> list[tuple[str, Scenario | Policy]]:
    """The candidates of `compare` with their labels, in the order given.

    Args:
        candidates: by label, or a sequence (labelled by scenario id, ``policy`` for a policy).

    Returns:
        ``(label, candidate)`` pairs.

    Raises:
        ValueError: if two candidates have the same label.

    Examples:
        >>> from dunning.core.builtin import FIRM, GENTLE
        >>> [label for label, _ in candidates_by_label([GENTLE, FIRM])]
        ['gentle', 'firm']
        >>> candidates_by_label([FIRM, FIRM])
        Traceback (most recent call last):
        ...
        ValueError: candidates: labels must be distinct, got ['firm', 'firm']
    """
    if isinstance(candidates, Mapping):
        labelled = list(candidates.items())
    else:
        labelled = [(c.id if isinstance(c, Scenario) else "policy", c) for c in candidates]
    labels = [label for label, _ in labelled]
    if len(set(labels)) != len(labels):
        msg = f"candidates: labels must be distinct, got {labels}"
        raise ValueError(msg)
    return labelled


def comparison_of(
    results: Mapping[str, SimulationResult],
    *,
    unit_costs: Mapping[Channel | str, Decimal | int | str] | None = None,
) -> Comparison:
    """The `Comparison` of simulations already run, by label, in the order given.

    What `compare` does once every candidate is simulated (the shell's `compare` runs them
    in other processes, then calls this).

    Args:
        results: the simulations, by label.
        unit_costs: as for `compare`.

    Returns:
        A `Comparison` with one row per result.

    Examples:
        >>> from datetime import date
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.core.simulate import simulate, synthetic_portfolio
        >>> book = synthetic_portfolio(5, seed=3, as_of=date(2026, 3, 2))
        >>> r = simulate(book, STANDARD, start=date(2026, 3, 2), end=date(2026, 3, 31), seed=3)
        >>> [row.label for row in comparison_of({"a": r, "b": r}).rows]
        ['a', 'b']
    """
    rows: list[ComparisonRow] = []
    for label, result in results.items():
        last = result.days[-1]
        cost = None
        if unit_costs is not None:
            # Every action was recorded on or before `end`, in any time zone.
            at = datetime.combine(result.end + timedelta(days=2), time(0), tzinfo=UTC)
            cost = collection_cost(result.entries, unit_costs, at=at).total
        rows.append(
            ComparisonRow(
                label=label,
                messages=len(result.messages),
                messages_by_channel=result.messages_by_channel(),
                formal_notices=result.formal_notices,
                collected_30=result.collected_by(30),
                collected_60=result.collected_by(60),
                collected_90=result.collected_by(90),
                closing_dso_no_new_invoices=last.dso,
                outstanding=last.outstanding,
                cost=cost,
                penalties_owed=result.penalties_owed,
                average_days_to_collect=average_days_to_collect(result),
            )
        )
    return Comparison(results=dict(results), rows=tuple(rows))


def average_days_to_collect(result: SimulationResult) -> Decimal | None:
    """Mean days from issue to full payment of the invoices paid in full during the run.

    An invoice counts if its balance reached zero on a day from ``start`` to ``end``
    (whoever paid it: the behaviour model or a payment of the host's history dated in the
    run); invoices still owed at the end do not count, so a scenario that collects little
    but early can score well: read it next to the cash collected.

    Args:
        result: a simulation.

    Returns:
        The mean, to one decimal, or None if no invoice was paid in full during the run.

    Examples:
        >>> from datetime import date
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.core.simulate import simulate, synthetic_portfolio
        >>> book = synthetic_portfolio(20, seed=3, as_of=date(2026, 3, 2))
        >>> r = simulate(book, STANDARD, start=date(2026, 3, 2), end=date(2026, 5, 31), seed=3)
        >>> average_days_to_collect(r) > 0
        True
    """
    days = []
    for entry in result.entries:
        paid = Ledger(entry.invoice, entry.events).paid_on()
        if paid is not None and result.start <= paid <= result.end:
            days.append((paid - entry.invoice.issued_on).days)
    return one_decimal(Decimal(sum(days)) / len(days)) if days else None


def compare(
    portfolio: SyntheticPortfolio | Iterable[PortfolioEntry],
    candidates: Mapping[str, Scenario | Policy] | Sequence[Scenario | Policy],
    *,
    start: date,
    end: date,
    seed: int,
    behaviour: Behaviour | None = None,
    unit_costs: Mapping[Channel | str, Decimal | int | str] | None = None,
    approval_delay_days: int = 2,
    rates: PenaltyRates | None = None,
    progress: Callable[[str], object] | None = None,
) -> Comparison:
    """Simulate several scenarios or policies on the same book, with the same seed, one by one.

    The shell's `dunning.simulate.compare` adds processes (``workers``) and a progress bar;
    this one runs in the caller's process.

    Args:
        portfolio: as for `simulate`.
        candidates: the scenarios or policies, by label, or a sequence (labelled by scenario
            id, ``policy`` for a policy; labels must be distinct).
        start: the first day simulated.
        end: the last day simulated.
        seed: the seed, the same for every candidate.
        behaviour: the reaction model; `Behaviour()` by default.
        unit_costs: cost of one message per channel (as for `collection_cost`); without it
            the cost is None.
        approval_delay_days: as for `simulate`.
        rates: as for `simulate`.
        progress: called with each candidate's label once it is simulated (a progress bar).

    Returns:
        A `Comparison`.

    Raises:
        ValueError: if two candidates have the same label, or as `simulate`.

    Examples:
        >>> from datetime import date
        >>> from dunning.core.builtin import FIRM, GENTLE
        >>> from dunning.core.simulate import synthetic_portfolio
        >>> book = synthetic_portfolio(10, seed=3, as_of=date(2026, 3, 2))
        >>> c = compare(book, [GENTLE, FIRM], start=date(2026, 3, 2), end=date(2026, 4, 30),
        ...             seed=3, unit_costs={"email": "0", "sms": "0.08", "letter": "1.50",
        ...             "registered_letter": "6.50", "phone_task": "4"}, progress=print)
        gentle
        firm
        >>> [row.label for row in c.rows]
        ['gentle', 'firm']
    """
    labelled = candidates_by_label(candidates)
    entries: SyntheticPortfolio | list[PortfolioEntry] = (
        portfolio if isinstance(portfolio, SyntheticPortfolio) else list(portfolio)
    )
    results: dict[str, SimulationResult] = {}
    for label, candidate in labelled:
        results[label] = simulate(
            entries,
            candidate,
            start=start,
            end=end,
            seed=seed,
            behaviour=behaviour,
            approval_delay_days=approval_delay_days,
            rates=rates,
        )
        if progress is not None:
            progress(label)
    return comparison_of(results, unit_costs=unit_costs)
