"""The public surface of `dunning` is pinned: changing it must be a deliberate edit here."""

from __future__ import annotations

import importlib
import inspect

import pytest

import dunning

PUBLIC_API = [
    "B2B_DEFAULT_MARGIN",
    "BUILTIN_SCENARIOS",
    "CONTEXT_VARIABLES",
    "CONTRACTUAL_FLOOR_MULTIPLE",
    "DEFAULT_MAX_SMS_SEGMENTS",
    "DEFAULT_POLICY",
    "DEFAULT_SEND_WINDOWS",
    "FIRM",
    "GENTLE",
    "JUDGMENT_MARGIN",
    "PUBLIC_BUYER_MARGIN",
    "RECOVERY_INDEMNITY",
    "STANDARD",
    "Action",
    "ActionApproved",
    "ActionLog",
    "ActionRejected",
    "ActionTaken",
    "Attachment",
    "BusinessCalendar",
    "CatchUp",
    "Channel",
    "Civility",
    "ConfigurationError",
    "ConsoleSender",
    "Covered",
    "CreditNote",
    "Creditor",
    "Customer",
    "CustomerAction",
    "CustomerKind",
    "DayCount",
    "Decision",
    "DecisionStatus",
    "DeliveryFailed",
    "DisputeOpened",
    "DisputeResolved",
    "Dunner",
    "DunningError",
    "EntryStatus",
    "ErrorDetail",
    "Event",
    "FolderSender",
    "HalfYear",
    "HoldLifted",
    "HoldPlaced",
    "Installment",
    "Invoice",
    "InvoiceHistory",
    "InvoiceHistoryError",
    "InvoiceLine",
    "InvoiceSource",
    "LatePaymentTerms",
    "LegalRateColumn",
    "LintFinding",
    "LogEntry",
    "Message",
    "MessageAction",
    "MissingDataError",
    "Outcome",
    "Payment",
    "PaymentLinks",
    "PaymentOnAccount",
    "PaymentPlanAgreed",
    "PaymentTermCheck",
    "PaymentTermRule",
    "PenaltyBreakdown",
    "PenaltyFinding",
    "PenaltyLine",
    "PenaltyRates",
    "PenaltyRegime",
    "PenaltySummary",
    "PenaltyWording",
    "Percent",
    "Policy",
    "PolicyRule",
    "PortfolioEntry",
    "PortfolioOrderError",
    "PromiseToPay",
    "ProvisionalRateWarning",
    "RateEntry",
    "RateNotAvailableError",
    "RateTable",
    "RateTableError",
    "Receipt",
    "RenderBudget",
    "RenderContext",
    "Rounding",
    "RunItem",
    "RunReport",
    "Scenario",
    "ScenarioError",
    "SendError",
    "SendWindow",
    "Sender",
    "SmtpSender",
    "SqliteStore",
    "Step",
    "StepKind",
    "TemplateError",
    "TemplatePack",
    "Timeline",
    "TimelineEntry",
    "UnappliedCreditNote",
    "__version__",
    "action_id",
    "amount_outstanding",
    "build_email",
    "builtin_pack",
    "calendar_for",
    "check_history",
    "check_scenario_templates",
    "compute_penalties",
    "days_late",
    "decide",
    "default_rates",
    "lint",
    "load_policy",
    "load_scenario",
    "load_template_pack",
    "maximum_due_date",
    "paid_on",
    "parse_events",
    "payment_term_check",
    "penalties_for_amount",
    "plan_customer_actions",
    "plan_for_customer",
    "policy_from_mapping",
    "prescription_date",
    "render",
    "scenario_from_json",
    "scenario_from_mapping",
    "scenario_from_toml",
    "scenario_json_schema",
    "sms_segments",
    "timeline",
    "to_gsm7",
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
