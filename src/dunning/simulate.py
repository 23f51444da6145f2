"""Simulation: synthetic portfolios, a behaviour model, day-by-day simulation and comparisons.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module.
"""

from __future__ import annotations

from dunning.core.simulate import (
    Behaviour,
    Comparison,
    ComparisonRow,
    SimulatedMessage,
    SimulatedPayment,
    SimulationDay,
    SimulationResult,
    SyntheticPortfolio,
    compare,
    simulate,
    synthetic_portfolio,
)

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
