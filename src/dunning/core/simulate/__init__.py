"""What-if simulations of a whole portfolio, deterministic given a seed.

One module per concern; this package re-exports their public names (import them from here,
or from `dunning`):

- `dunning.core.simulate.behaviour`: `Behaviour` (how customers react, by payer type) and
  its calibration on a host's own history, `Behaviour.fit` (`BehaviourFit`, `FittedValue`);
- `dunning.core.simulate.synthetic`: the made-up world: `synthetic_portfolio`, a book drawn
  from a seed (it re-exports `Behaviour`, its home until 2026);
- `dunning.core.simulate.simulation`: `simulate`, the runner's decision path replayed day by
  day against the behaviour model (its "how this works" says what happens each day), with
  its private helpers: the day's events, plans and reactions (`_run`), the book as it grows
  (`_book`) and the day's figures (`_figures`);
- `dunning.core.simulate.results`: what it returns (`SimulationResult`, `SimulationDay`,
  `SimulatedMessage`, `SimulatedPayment`);
- `dunning.core.simulate.comparison`: `compare`, several scenarios or policies on the same
  book with the same seed (`Comparison`, `ComparisonRow`).
"""

from __future__ import annotations

from dunning.core.simulate.behaviour import Behaviour, BehaviourFit, FittedValue
from dunning.core.simulate.comparison import Comparison, ComparisonRow, compare
from dunning.core.simulate.results import (
    SimulatedMessage,
    SimulatedPayment,
    SimulationDay,
    SimulationResult,
)
from dunning.core.simulate.simulation import simulate
from dunning.core.simulate.synthetic import SyntheticPortfolio, synthetic_portfolio

__all__ = [
    "Behaviour",
    "BehaviourFit",
    "Comparison",
    "ComparisonRow",
    "FittedValue",
    "SimulatedMessage",
    "SimulatedPayment",
    "SimulationDay",
    "SimulationResult",
    "SyntheticPortfolio",
    "compare",
    "simulate",
    "synthetic_portfolio",
]
