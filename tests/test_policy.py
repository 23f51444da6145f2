"""`as_chooser`: a scenario, a policy or a function of (customer) or (customer, history)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from dunning.core.builtin import DEFAULT_POLICY, FIRM, GENTLE, STANDARD
from dunning.core.model import Customer
from dunning.core.policy import as_chooser
from dunning.exceptions import ConfigurationError

ACME = Customer(id="C1", name="ACME SARL")


def test_a_policy_applies_its_history_rules_to_the_days_late_given() -> None:
    """Average 40 days late -> FIRM; 2 -> GENTLE; no history -> the default, STANDARD."""
    choose = as_chooser(DEFAULT_POLICY)
    assert choose(ACME, (30, 50)) is FIRM
    assert choose(ACME, (0, 4)) is GENTLE
    assert choose(ACME, ()) is STANDARD


def by_customer(customer: Customer) -> Any:
    """One argument: the customer."""
    return FIRM if customer.id == "C1" else STANDARD


def by_history(customer: Customer, history: Sequence[int] = ()) -> Any:
    """Two, the second optional: both are given."""
    return FIRM if sum(history) > 10 else STANDARD


def by_anything(*args: Any) -> Any:
    """Any number: both are given."""
    return FIRM if len(args) == 2 else STANDARD


@pytest.mark.parametrize(
    ("function", "expected"), [(by_customer, FIRM), (by_history, FIRM), (by_anything, FIRM)]
)
def test_functions_get_the_customer_and_the_history_they_take(function: Any, expected: Any) -> None:
    """(customer), (customer, history=()) and (*args) are each called as they can be."""
    assert as_chooser(function)(ACME, (12,)) is expected


@pytest.mark.parametrize("function", [lambda: STANDARD, lambda a, b, c: STANDARD])
def test_a_function_of_no_or_three_arguments_is_refused(function: Any) -> None:
    """Refused when given, naming what it must take."""
    with pytest.raises(ConfigurationError, match=r"takes \(customer\) or \(customer, recent"):
        as_chooser(function)
