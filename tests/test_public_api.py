"""The public surface of `dunning` is pinned: changing it must be a deliberate edit here."""

from __future__ import annotations

import importlib
import inspect

import pytest

import dunning

PUBLIC_API = [
    "AGEING_BUCKETS",
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
    "Ageing",
    "Attachment",
    "Behaviour",
    "BelowLegalFloor",
    "BusinessCalendar",
    "CatchUp",
    "Channel",
    "Civility",
    "CollectionCost",
    "Comparison",
    "ComparisonRow",
    "ConfigurationError",
    "ConsoleSender",
    "Covered",
    "CreditNote",
    "Creditor",
    "Customer",
    "CustomerAction",
    "CustomerKind",
    "CustomerReview",
    "DayCount",
    "Decision",
    "DecisionStatus",
    "DeliveryFailed",
    "DisputeOpened",
    "DisputeResolved",
    "DsoMethod",
    "Dunner",
    "DunningError",
    "EntryStatus",
    "ErrorDetail",
    "Event",
    "FileJournal",
    "FolderSender",
    "HalfYear",
    "HoldLifted",
    "HoldPlaced",
    "Installment",
    "Invoice",
    "InvoiceHistory",
    "InvoiceHistoryError",
    "InvoiceLine",
    "InvoiceReview",
    "InvoiceSource",
    "LatePaymentTerms",
    "LegalRateColumn",
    "LintFinding",
    "LogEntry",
    "Message",
    "MessageAction",
    "MissingDataError",
    "Outcome",
    "OutcomeJournal",
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
    "RunInThePastError",
    "RunItem",
    "RunReport",
    "Scenario",
    "ScenarioError",
    "Segment",
    "SegmentThresholds",
    "SendContext",
    "SendError",
    "SendWindow",
    "Sender",
    "SimulatedMessage",
    "SimulatedPayment",
    "SimulationDay",
    "SimulationResult",
    "SmtpSender",
    "SqliteStore",
    "StaleApprovalError",
    "Step",
    "StepEffectiveness",
    "StepKind",
    "StoredDataError",
    "SyntheticPortfolio",
    "TemplateError",
    "TemplatePack",
    "Timeline",
    "TimelineEntry",
    "UnappliedCreditNote",
    "UnreadableEntry",
    "__version__",
    "action_id",
    "ageing",
    "amount_outstanding",
    "approve",
    "as_amount",
    "as_date",
    "build_email",
    "builtin_pack",
    "calendar_for",
    "check_history",
    "check_scenario_templates",
    "collection_cost",
    "collection_effectiveness_index",
    "collection_rate",
    "compare",
    "compute_penalties",
    "days_late",
    "decide",
    "decide_many",
    "default_rates",
    "dso",
    "lint",
    "litigation_rate",
    "load_policy",
    "load_scenario",
    "load_template_pack",
    "log_events",
    "maximum_due_date",
    "paid_on",
    "parse_events",
    "payment_delays",
    "payment_term_check",
    "penalties_dataframe",
    "penalties_for_amount",
    "plan_customer_actions",
    "plan_for_customer",
    "plot_ageing",
    "plot_collections",
    "plot_penalty_accrual",
    "policy_from_mapping",
    "prescription_date",
    "reject",
    "reminders_per_paid_invoice",
    "render",
    "resolve",
    "review_customer",
    "scenario_from_json",
    "scenario_from_mapping",
    "scenario_from_toml",
    "scenario_json_schema",
    "silent_customers",
    "simulate",
    "sms_segments",
    "step_effectiveness",
    "suggest_segment",
    "synthetic_portfolio",
    "timeline",
    "to_dataframe",
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
