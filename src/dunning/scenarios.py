"""Scenarios and policies: building, loading and checking them, and the built-in ones.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module.
"""

from __future__ import annotations

from dunning.core.builtin import (
    BUILTIN_SCENARIOS,
    DEFAULT_POLICY,
    FIRM,
    GENTLE,
    STANDARD,
)
from dunning.core.calendar import (
    DEFAULT_SEND_WINDOWS,
    BusinessCalendar,
    SendWindow,
    calendar_for,
)
from dunning.core.checks import (
    lint,
)
from dunning.core.policy import (
    Policy,
    PolicyRule,
    ScenarioChoice,
    as_chooser,
    policy_from_mapping,
)
from dunning.core.scenario import (
    CatchUp,
    LintFinding,
    Scenario,
    Step,
    StepKind,
    scenario_from_json,
    scenario_from_mapping,
    scenario_from_toml,
    scenario_json_schema,
)
from dunning.loading import (
    load_policy,
    load_scenario,
)

__all__ = [
    "BUILTIN_SCENARIOS",
    "DEFAULT_POLICY",
    "DEFAULT_SEND_WINDOWS",
    "FIRM",
    "GENTLE",
    "STANDARD",
    "BusinessCalendar",
    "CatchUp",
    "LintFinding",
    "Policy",
    "PolicyRule",
    "Scenario",
    "ScenarioChoice",
    "SendWindow",
    "Step",
    "StepKind",
    "as_chooser",
    "calendar_for",
    "lint",
    "load_policy",
    "load_scenario",
    "policy_from_mapping",
    "scenario_from_json",
    "scenario_from_mapping",
    "scenario_from_toml",
    "scenario_json_schema",
]
