"""decide_many: the scenario given once, by a `Policy`, or by a function of the customer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from dunning import FIRM, STANDARD, Customer, Event, Invoice, Scenario, decide_many
from dunning.exceptions import ConfigurationError
from dunning.scenarios import DEFAULT_POLICY
from tests.helpers import PARIS

# Due Monday 1 June 2026; Tuesday 2 June 09:00 is J+1, when both ladders' first step (offset
# 1 day, email) opens: STANDARD's is 'informative', FIRM's is 'reminder'.
AT = datetime(2026, 6, 2, 9, tzinfo=PARIS)
LATE = Customer(id="C-late", name="Retard SARL", segment="late")  # the policy's firm ladder
PLAIN = Customer(id="C-plain", name="Moyen SARL", segment="default")  # its standard ladder


def pair(n: int, customer: Customer) -> tuple[Invoice, list[Event]]:
    """Invoice F-n of 500.00 EUR for *customer*, due 1 June 2026, with no history."""
    invoice = Invoice(
        id=f"F-{n}",
        number=f"2026-{n:04}",
        customer=customer,
        issued_on=date(2026, 5, 2),
        due_on=date(2026, 6, 1),
        total=Decimal("500.00"),
    )
    return invoice, []


PAIRS = [pair(1, LATE), pair(2, LATE), pair(3, PLAIN), pair(4, LATE)]


def steps(scenario: object) -> list[str | None]:
    """The step due now for each pair, in order."""
    return [d.next_step_id for d in decide_many(PAIRS, scenario, at=AT)]  # type: ignore[arg-type]


def test_a_policy_picks_each_customers_scenario() -> None:
    """The late payer gets the firm ladder's first step, the others the standard one's."""
    assert steps(DEFAULT_POLICY) == ["reminder", "reminder", "informative", "reminder"]


def test_a_function_of_the_customer_picks_the_same() -> None:
    """Any function of a Customer works, as the runner takes it; Policy.scenario_for too."""

    def choose(customer: Customer) -> Scenario:
        return FIRM if customer.segment == "late" else STANDARD

    assert steps(choose) == ["reminder", "reminder", "informative", "reminder"]
    assert steps(DEFAULT_POLICY.scenario_for) == steps(choose)


def test_one_scenario_for_all() -> None:
    """A single scenario applies to every customer."""
    assert steps(STANDARD) == ["informative"] * 4


def test_anything_else_is_refused_at_once() -> None:
    """A scenario id is not a scenario: a ConfigurationError naming what was given, at once."""
    with pytest.raises(
        ConfigurationError, match=r"^scenario: a Scenario, a Policy or a function .*not str$"
    ):
        decide_many(iter(()), "standard", at=AT)  # type: ignore[arg-type]
