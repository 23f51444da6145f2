"""What-if simulations of a whole portfolio, deterministic given a seed.

Three modules, one per concern; this package re-exports their public names (import them from
here, or from `dunning`):

- `dunning.core.simulate.synthetic`: the made-up world: `synthetic_portfolio` (a book drawn
  from a seed) and `Behaviour` (how customers react, by payer type);
- `dunning.core.simulate.simulation`: `simulate`, the runner's decision path replayed day by
  day against the behaviour model (its "how this works" says what happens each day), and its
  results (`SimulationResult`, `SimulationDay`, `SimulatedMessage`, `SimulatedPayment`);
- `dunning.core.simulate.comparison`: `compare`, several scenarios or policies on the same
  book with the same seed (`Comparison`, `ComparisonRow`).
"""

from __future__ import annotations

from dunning.core.simulate.comparison import Comparison, ComparisonRow, compare
from dunning.core.simulate.simulation import (
    SimulatedMessage,
    SimulatedPayment,
    SimulationDay,
    SimulationResult,
    simulate,
)
from dunning.core.simulate.synthetic import Behaviour, SyntheticPortfolio, synthetic_portfolio

__all__ = [
    "Behaviour",
    "Comparison",
    "ComparisonRow",
    "SimulatedMessage",
    "SimulatedPayment",
    "SimulationDay",
    "SimulationResult",
    "SyntheticPortfolio",
    "compare",
    "simulate",
    "synthetic_portfolio",
]
