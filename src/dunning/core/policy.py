"""Policies: which scenario each customer gets (`Policy`, `PolicyRule`), and `as_chooser`.

A `Policy` holds named scenarios and rules on the customer's segment, kind and payment
history; `ScenarioChoice` is what every entry point takes (a `Scenario`, a `Policy` or a
function of the customer) and `as_chooser` turns one into a function.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, cast

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from dunning.core._types import MODEL_CONFIG, Amount
from dunning.core.model import Customer
from dunning.core.scenario import Identifier, Scenario, raise_scenario_error
from dunning.exceptions import ConfigurationError

__all__ = [
    "Chooser",
    "Policy",
    "PolicyRule",
    "ScenarioChoice",
    "as_chooser",
    "policy_from_mapping",
]


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


Chooser = Callable[[Customer, Sequence[int]], Scenario]
"""A function of the customer and its payment history (`as_chooser`) giving its scenario."""

ScenarioChoice = (
    Scenario
    | Policy
    | Callable[[Customer], Scenario]
    | Callable[[Customer, Sequence[int]], Scenario]
)
"""What picks each customer's scenario: one `Scenario` for all, a `Policy`, or a function.

The function takes the customer, or the customer and its payment history: the days late of
its paid invoices, oldest payment first (`dunning.core.portfolio.payment_history`). Every entry
point that takes a scenario (`dunning.decide_many`, `dunning.Dunner`, the portfolio planners)
takes a `ScenarioChoice`; `as_chooser` turns one into a `Chooser`.
"""


def as_chooser(choice: ScenarioChoice) -> Chooser:
    """The function of (customer, payment history) that *choice* stands for.

    A `Scenario` is chosen for every customer; a `Policy` chooses by its rules, its history
    rules on the days late given (`Policy.scenario_for`); a function of one argument gets the
    customer, of two the customer and the history.

    Raises:
        ConfigurationError: if *choice* is none of these, or a function that cannot take one
            or two positional arguments (said when the choice is given, not for each customer
            of a run).

    Examples:
        >>> from dunning.core.builtin import DEFAULT_POLICY, STANDARD
        >>> customer = Customer(id="C1", name="ACME SARL")
        >>> as_chooser(STANDARD)(customer, ()).id
        'standard'
        >>> as_chooser(DEFAULT_POLICY)(customer, (0, 3)) in DEFAULT_POLICY.scenarios.values()
        True
        >>> as_chooser(lambda customer, late: STANDARD)(customer, (40, 65)).id
        'standard'
        >>> as_chooser("standard")
        Traceback (most recent call last):
        ...
        dunning.exceptions.ConfigurationError: scenario: a Scenario, a Policy or a function ...
    """
    if isinstance(choice, Scenario):
        scenario = choice

        def one_for_all(_customer: Customer, _history: Sequence[int]) -> Scenario:
            return scenario

        return one_for_all
    if isinstance(choice, Policy):
        policy = choice

        def by_rules(customer: Customer, history: Sequence[int]) -> Scenario:
            return policy.scenario_for(customer, recent_days_late=history)

        return by_rules
    if callable(choice):
        arity = _positional_arity(choice)
        if arity == 1:
            of_customer = cast("Callable[[Customer], Scenario]", choice)

            def by_customer(customer: Customer, _history: Sequence[int]) -> Scenario:
                return of_customer(customer)

            return by_customer
        if arity == 2:  # noqa: PLR2004
            return cast("Chooser", choice)
        msg = (
            "scenario: a function choosing the scenario takes (customer) or (customer, "
            f"recent days late); {getattr(choice, '__name__', choice)!r} takes {arity} "
            "positional arguments"
        )
        raise ConfigurationError(msg)
    msg = (
        "scenario: a Scenario, a Policy or a function of the customer returning a Scenario "
        f"is needed, not {type(choice).__name__}"
    )
    raise ConfigurationError(msg)


def _positional_arity(function: Callable[..., object]) -> int:
    """How many positional arguments *function* is given: 1 or 2 (2 if it takes ``*args``).

    Required positional parameters count; optional ones count only up to two (a function of
    ``(customer, history=())`` gets both). A callable without a signature gets the customer.
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    positional = [
        p
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return max(2, len(required))
    if len(required) > 2 or not positional:  # noqa: PLR2004
        return len(required)
    return min(len(positional), 2)


def policy_from_mapping(data: Mapping[str, Any], *, source: str | None = None) -> Policy:
    """Build a `Policy` from plain data. Raises `ScenarioError` naming every problem."""
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise_scenario_error(error, "policy", source)
        raise  # pragma: no cover
