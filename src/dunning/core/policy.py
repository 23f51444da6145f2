"""Policies: which scenario each customer gets (`Policy`, `PolicyRule`), and `as_chooser`.

A `Policy` holds named scenarios and rules on the customer's segment, kind and payment
history; `ScenarioChoice` is what every entry point takes (a `Scenario`, a `Policy` or a
function of the customer) and `as_chooser` turns one into a function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from dunning.core._types import MODEL_CONFIG, Amount
from dunning.core.model import Customer
from dunning.core.scenario import Identifier, Scenario, raise_scenario_error
from dunning.exceptions import ConfigurationError

__all__ = ["Policy", "PolicyRule", "ScenarioChoice", "as_chooser", "policy_from_mapping"]


class PolicyRule(BaseModel):
    """Choose a scenario when every condition given holds (conditions left out always hold).

    Attributes:
        scenario: id of the scenario to use.
        segment: the customer's explicit segment must equal this.
        min_average_days_late: average days late over recent invoices is at least this.
        max_average_days_late: ... at most this.
    """

    model_config = MODEL_CONFIG

    scenario: Identifier
    segment: str | None = None
    min_average_days_late: Amount | None = None
    max_average_days_late: Amount | None = None

    def matches(self, customer: Customer, average_days_late: Decimal | None) -> bool:
        """Whether this rule applies to *customer* with this payment history."""
        if self.segment is not None and customer.segment != self.segment:
            return False
        wants_history = (
            self.min_average_days_late is not None or self.max_average_days_late is not None
        )
        if wants_history:
            if average_days_late is None:
                return False
            if self.min_average_days_late is not None and (
                average_days_late < self.min_average_days_late
            ):
                return False
            if self.max_average_days_late is not None and (
                average_days_late > self.max_average_days_late
            ):
                return False
        return True


class Policy(BaseModel):
    """Which scenario applies to which customer: first matching rule wins, else the default.

    Attributes:
        scenarios: the scenarios by id.
        rules: tried in order.
        default: scenario id used when no rule matches.
        history_size: how many of the customer's most recent paid invoices count for the
            average days late.

    Examples:
        >>> from dunning.core.builtin import DEFAULT_POLICY
        >>> DEFAULT_POLICY.scenario_for(Customer(id="c", name="c", segment="late")).id
        'firm'
        >>> DEFAULT_POLICY.scenario_for(Customer(id="c", name="c"), recent_days_late=[0, 2, 1]).id
        'gentle'
    """

    model_config = MODEL_CONFIG

    scenarios: Mapping[str, Scenario]
    rules: tuple[PolicyRule, ...] = ()
    default: str
    history_size: Annotated[int, Field(ge=1, le=100)] = 6

    @model_validator(mode="after")
    def _check_references(self) -> Policy:
        for key, scenario in self.scenarios.items():
            if key != scenario.id:
                raise PydanticCustomError(
                    "scenario_key_mismatch",
                    "{location}: key '{key}' differs from the scenario's id '{id}'",
                    {"location": f"scenarios.{key}", "key": key, "id": scenario.id},
                )
        for where, ref in [
            ("default", self.default),
            *((f"rules[{n}].scenario", r.scenario) for n, r in enumerate(self.rules)),
        ]:
            if ref not in self.scenarios:
                raise PydanticCustomError(
                    "unknown_scenario",
                    "{location}: no scenario '{ref}' (known: {known})",
                    {"location": where, "ref": ref, "known": ", ".join(sorted(self.scenarios))},
                )
        return self

    def scenario_for(self, customer: Customer, *, recent_days_late: Sequence[int] = ()) -> Scenario:
        """The scenario for *customer*, given days late of its recent paid invoices (oldest first).

        Only the last ``history_size`` values count; with none, history rules do not match.
        """
        recent = list(recent_days_late)[-self.history_size :]
        average = Decimal(sum(recent)) / len(recent) if recent else None
        for rule in self.rules:
            if rule.matches(customer, average):
                return self.scenarios[rule.scenario]
        return self.scenarios[self.default]


ScenarioChoice = Scenario | Policy | Callable[[Customer], Scenario]
"""What picks each customer's scenario: one `Scenario` for all, a `Policy`, or a function.

Every entry point that takes a scenario (`dunning.decide_many`, `dunning.Dunner`, the
portfolio planners) takes a `ScenarioChoice`; `as_chooser` turns one into a function.
"""


def as_chooser(choice: ScenarioChoice) -> Callable[[Customer], Scenario]:
    """The function of the customer that *choice* stands for.

    A `Scenario` is chosen for every customer; a `Policy` chooses by its rules
    (`Policy.scenario_for`, without payment history: its history rules do not match); a
    function is used as it is.

    Raises:
        ConfigurationError: if *choice* is none of these (said when the choice is given, not
            for each customer of a run).

    Examples:
        >>> from dunning.core.builtin import DEFAULT_POLICY, STANDARD
        >>> customer = Customer(id="C1", name="ACME SARL")
        >>> as_chooser(STANDARD)(customer).id
        'standard'
        >>> as_chooser(DEFAULT_POLICY)(customer) in DEFAULT_POLICY.scenarios.values()
        True
        >>> as_chooser("standard")
        Traceback (most recent call last):
        ...
        dunning.exceptions.ConfigurationError: scenario: a Scenario, a Policy or a function ...
    """
    if isinstance(choice, Scenario):
        return lambda _customer: choice
    if isinstance(choice, Policy):
        return choice.scenario_for
    if callable(choice):
        return choice
    msg = (
        "scenario: a Scenario, a Policy or a function of the customer returning a Scenario "
        f"is needed, not {type(choice).__name__}"
    )
    raise ConfigurationError(msg)


def policy_from_mapping(data: Mapping[str, Any], *, source: str | None = None) -> Policy:
    """Build a `Policy` from plain data. Raises `ScenarioError` naming every problem."""
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise_scenario_error(error, "policy", source)
        raise  # pragma: no cover
