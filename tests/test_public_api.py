"""The public surface of `dunning` is pinned: changing it must be a deliberate edit here."""

from __future__ import annotations

import importlib
import inspect

import pytest

import dunning

PUBLIC_API = [
    "BUILTIN_SCENARIOS",
    "DEFAULT_POLICY",
    "DEFAULT_SEND_WINDOWS",
    "FIRM",
    "GENTLE",
    "STANDARD",
    "Action",
    "ActionApproved",
    "ActionRejected",
    "ActionTaken",
    "BusinessCalendar",
    "CatchUp",
    "Channel",
    "ConfigurationError",
    "CreditNote",
    "Customer",
    "CustomerKind",
    "Decision",
    "DecisionStatus",
    "DeliveryFailed",
    "DisputeOpened",
    "DisputeResolved",
    "DunningError",
    "ErrorDetail",
    "Event",
    "HoldLifted",
    "HoldPlaced",
    "Installment",
    "Invoice",
    "InvoiceHistoryError",
    "LintFinding",
    "MissingDataError",
    "Payment",
    "PaymentPlanAgreed",
    "Policy",
    "PolicyRule",
    "PromiseToPay",
    "Scenario",
    "ScenarioError",
    "SendWindow",
    "Step",
    "StepKind",
    "Timeline",
    "TimelineEntry",
    "__version__",
    "action_id",
    "amount_outstanding",
    "calendar_for",
    "check_history",
    "days_late",
    "decide",
    "lint",
    "load_policy",
    "load_scenario",
    "paid_on",
    "parse_events",
    "policy_from_mapping",
    "scenario_from_json",
    "scenario_from_mapping",
    "scenario_from_toml",
    "scenario_json_schema",
    "timeline",
]


def test_public_api_is_pinned() -> None:
    """dunning.__all__ is exactly the pinned list."""
    assert dunning.__all__ == PUBLIC_API


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    group = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return group, name


def test_public_api_is_sorted() -> None:
    """__all__ is kept sorted (isort-style), so additions show up as one-line diffs."""
    assert dunning.__all__ == sorted(dunning.__all__, key=_isort_key)
    assert len(set(dunning.__all__)) == len(dunning.__all__)


@pytest.mark.parametrize("name", PUBLIC_API)
def test_public_name_is_importable(name: str) -> None:
    """Every public name can be imported from the top-level package."""
    module = importlib.import_module("dunning")
    assert hasattr(module, name)
    namespace: dict[str, object] = {}
    exec(f"from dunning import {name}", namespace)  # noqa: S102  (a literal import statement)
    assert namespace[name] is getattr(dunning, name)


@pytest.mark.parametrize("name", PUBLIC_API)
def test_public_functions_and_classes_are_documented(name: str) -> None:
    """Every public function and class has its own docstring."""
    obj = getattr(dunning, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert doc, f"{name} has no docstring"
    assert doc.strip().splitlines()[0], f"{name}: the docstring has no summary line"


def test_version_is_a_string() -> None:
    """__version__ comes from the installed package metadata."""
    assert isinstance(dunning.__version__, str)
    assert dunning.__version__
