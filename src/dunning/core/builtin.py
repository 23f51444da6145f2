"""The built-in scenarios and the default policy.

- `GENTLE`, for good payers: J-3 courtesy email, J+5 friendly email, J+15 reminder, J+30 firm
  email with an 8-day deadline, J+45 formal notice by registered letter (approval, 8 days).
- `STANDARD`: J+1 informative email, J+7 reminder, J+14 firm email with a 5-day deadline,
  J+21 phone-call task, J+30 formal notice by registered letter (approval, 8 days).
- `FIRM`, for customers who are repeatedly late: J+1 email, J+7 SMS, J+15 formal notice.

`DEFAULT_POLICY` maps the segments ``good`` / ``default`` / ``late`` to these, and without a
segment uses the average days late of the customer's recent invoices.

Examples:
    >>> [(s.offset_days, s.channel.value) for s in FIRM.steps]
    [(1, 'email'), (7, 'sms'), (15, 'registered_letter')]
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dunning.core.policy import Policy, PolicyRule
from dunning.core.scenario import Scenario

__all__ = ["BUILTIN_SCENARIOS", "DEFAULT_POLICY", "FIRM", "GENTLE", "STANDARD"]


def _step(step_id: str, kind: str, level: int, offset: int, channel: str, **extra: Any) -> Any:
    return {
        "id": step_id,
        "kind": kind,
        "level": level,
        "offset_days": offset,
        "channel": channel,
        **extra,
    }


def _broken_promise(level: int) -> Any:
    # A broken promise gets a firm, short message at the level of the firm step: the customer
    # chose the date themselves.
    return _step(
        "broken_promise", "firm", level, 0, "email", fallback_channel="letter", deadline_days=5
    )


GENTLE = Scenario.model_validate(
    {
        "id": "gentle",
        "name": "Gentle (good payers)",
        "description": "Courteous and patient: most good payers only forgot.",
        "steps": [
            _step("courtesy", "courtesy", 1, -3, "email"),
            _step("friendly", "friendly", 2, 5, "email", fallback_channel="letter"),
            _step("reminder", "reminder", 3, 15, "email", fallback_channel="letter"),
            _step("firm", "firm", 4, 30, "email", fallback_channel="letter", deadline_days=8),
            _step("formal_notice", "formal_notice", 5, 45, "registered_letter", deadline_days=8),
        ],
        "broken_promise_step": _broken_promise(4),
    }
)

STANDARD = Scenario.model_validate(
    {
        "id": "standard",
        "name": "Standard",
        "description": "The default ladder: a month from due date to formal notice.",
        "steps": [
            _step("informative", "friendly", 1, 1, "email", fallback_channel="letter"),
            _step("reminder", "reminder", 2, 7, "email", fallback_channel="letter"),
            _step("firm", "firm", 3, 14, "email", fallback_channel="letter", deadline_days=5),
            _step("phone_call", "phone_call", 4, 21, "phone_task", fallback_channel="email"),
            _step("formal_notice", "formal_notice", 5, 30, "registered_letter", deadline_days=8),
        ],
        "broken_promise_step": _broken_promise(3),
    }
)

FIRM = Scenario.model_validate(
    {
        "id": "firm",
        "name": "Firm (repeatedly late)",
        "description": "Short and direct for customers who are late again and again.",
        "steps": [
            _step("reminder", "reminder", 1, 1, "email", fallback_channel="letter"),
            _step("sms", "reminder", 2, 7, "sms", fallback_channel="email"),
            _step("formal_notice", "formal_notice", 3, 15, "registered_letter", deadline_days=8),
        ],
        "broken_promise_step": _broken_promise(2),
    }
)

BUILTIN_SCENARIOS = {s.id: s for s in (GENTLE, STANDARD, FIRM)}
"""The built-in scenarios by id."""

DEFAULT_POLICY = Policy(
    scenarios=BUILTIN_SCENARIOS,
    rules=(
        PolicyRule(scenario="gentle", segment="good"),
        PolicyRule(scenario="standard", segment="default"),
        PolicyRule(scenario="firm", segment="late"),
        # Without an explicit segment: paid within 5 days on average is a good payer, 30 days
        # or more on average is repeatedly late.
        PolicyRule(scenario="gentle", max_average_days_late=Decimal(5)),
        PolicyRule(scenario="firm", min_average_days_late=Decimal(30)),
    ),
    default="standard",
)
"""Segments ``good`` / ``default`` / ``late`` -> gentle / standard / firm, then history rules."""
