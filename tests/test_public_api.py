"""The public surface of `dunning` is pinned: changing it must be a deliberate edit here."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import dunning

PUBLIC_API = [
    "FIRM",
    "GENTLE",
    "STANDARD",
    "Action",
    "ActionLog",
    "Channel",
    "ConfigurationError",
    "CreditNote",
    "Creditor",
    "Customer",
    "Decision",
    "DecisionStatus",
    "DisputeOpened",
    "DisputeResolved",
    "Dunner",
    "DunningError",
    "ErrorCode",
    "Event",
    "HoldLifted",
    "HoldPlaced",
    "Installment",
    "Invoice",
    "InvoiceHistory",
    "InvoiceHistoryError",
    "InvoiceImportError",
    "InvoiceSource",
    "MissingDataError",
    "NotFoundError",
    "Payment",
    "PaymentPlanAgreed",
    "Policy",
    "PromiseToPay",
    "Reversal",
    "ReversalReason",
    "RunReport",
    "Scenario",
    "SendContext",
    "SendError",
    "Sender",
    "Step",
    "__version__",
    "decide",
    "decide_many",
    "load_policy",
    "load_scenario",
]

# The public namespaces and what each exports: changing one is a deliberate edit here too.
NAMESPACE_API = {
    "dunning.einvoice": [
        "CHORUS_STATUSES",
        "LIFECYCLE_STATUSES",
        "MANDATORY_NOTES",
        "PAYMENT_IN_TRANSIT_DAYS",
        "PENALTIES_PAYMENT_DAYS",
        "PPF_ADDRESS",
        "PUBLIC_PAYMENT_DAYS",
        "ChorusStatus",
        "EInvoice",
        "EInvoiceFinding",
        "LifecycleEffect",
        "LifecycleMessage",
        "LifecycleStatus",
        "chorus_status_event",
        "collected_status",
        "lifecycle_event",
        "public_payment_due",
        "public_penalties_due",
        "read_invoice",
        "read_lifecycle",
        "read_penalty_note",
    ],
    "dunning.model": [
        "ActionApproved",
        "ActionRejected",
        "ActionTaken",
        "Channel",
        "Civility",
        "CreditNote",
        "Creditor",
        "Customer",
        "CustomerKind",
        "DeliveryFailed",
        "DisputeOpened",
        "DisputeResolved",
        "DunningStopped",
        "Event",
        "HoldLifted",
        "HoldPlaced",
        "Installment",
        "Invoice",
        "InvoiceHistory",
        "Payment",
        "PaymentOnAccount",
        "PaymentPlanAgreed",
        "PenaltyWording",
        "PortfolioEntry",
        "PromiseToPay",
        "Reversal",
        "ReversalReason",
        "UnappliedCreditNote",
        "check_history",
        "check_new_event",
        "corrected",
        "parse_events",
    ],
    "dunning.scenarios": [
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
    ],
    "dunning.engine": [
        "Action",
        "CustomerAction",
        "CustomerReview",
        "Decision",
        "DecisionStatus",
        "Timeline",
        "TimelineEntry",
        "action_id",
        "decide",
        "decide_many",
        "plan_customer_actions",
        "plan_for_customer",
        "review_customer",
        "timeline",
    ],
    "dunning.penalties": [
        "B2B_DEFAULT_MARGIN",
        "CONTRACTUAL_FLOOR_MULTIPLE",
        "JUDGMENT_MARGIN",
        "PUBLIC_BUYER_MARGIN",
        "RECOVERY_INDEMNITY",
        "BelowLegalFloor",
        "DayCount",
        "HalfYear",
        "LatePaymentTerms",
        "LegalRateColumn",
        "PaymentTermCheck",
        "PaymentTermRule",
        "PenaltyBreakdown",
        "PenaltyFinding",
        "PenaltyLine",
        "PenaltyRates",
        "PenaltyRegime",
        "Percent",
        "RateEntry",
        "RateTable",
        "Rounding",
        "amount_outstanding",
        "compute_penalties",
        "days_late",
        "default_rates",
        "maximum_due_date",
        "paid_on",
        "payment_term_check",
        "penalties_for_amount",
        "prescription_date",
    ],
    "dunning.render": [
        "CONTEXT_VARIABLES",
        "DEFAULT_MAX_SMS_SEGMENTS",
        "Creditor",
        "InvoiceLine",
        "Message",
        "MessageAction",
        "PenaltySummary",
        "RenderBudget",
        "RenderContext",
        "TemplatePack",
        "builtin_pack",
        "check_scenario_templates",
        "load_template_pack",
        "render",
        "sms_segments",
        "to_gsm7",
    ],
    "dunning.metrics": [
        "AGEING_BUCKETS",
        "AGEING_LABELS",
        "Ageing",
        "CollectionCost",
        "DsoMethod",
        "Segment",
        "SegmentThresholds",
        "StepEffectiveness",
        "StepEffectivenessTable",
        "ageing",
        "collection_cost",
        "collection_effectiveness_index",
        "collection_rate",
        "dso",
        "litigation_rate",
        "payment_delays",
        "reminders_per_paid_invoice",
        "silent_customers",
        "step_effectiveness",
        "suggest_segment",
    ],
    "dunning.simulate": [
        "Behaviour",
        "BehaviourFit",
        "Comparison",
        "ComparisonRow",
        "FittedValue",
        "SimulatedMessage",
        "SimulatedPayment",
        "SimulationDay",
        "SimulationResult",
        "SyntheticPortfolio",
        "compare",
        "simulate",
        "synthetic_portfolio",
    ],
}

# Where each name that left the top level in issue 20 is imported from now (CHANGELOG lists it).
MOVED = {
    "ConsoleSender": "dunning.adapters.files",
    "FileJournal": "dunning.adapters.files",
    "FolderSender": "dunning.adapters.files",
    "Attachment": "dunning.adapters.smtp",
    "SmtpSender": "dunning.adapters.smtp",
    "build_email": "dunning.adapters.smtp",
    "SqliteStore": "dunning.adapters.sqlite",
    "CustomerAction": "dunning.engine",
    "CustomerReview": "dunning.engine",
    "Timeline": "dunning.engine",
    "TimelineEntry": "dunning.engine",
    "action_id": "dunning.engine",
    "plan_customer_actions": "dunning.engine",
    "plan_for_customer": "dunning.engine",
    "review_customer": "dunning.engine",
    "timeline": "dunning.engine",
    "ErrorDetail": "dunning.exceptions",
    "PortfolioOrderError": "dunning.exceptions",
    "ProvisionalRateWarning": "dunning.exceptions",
    "RateNotAvailableError": "dunning.exceptions",
    "RateTableError": "dunning.exceptions",
    "RunInThePastError": "dunning.exceptions",
    "ScenarioError": "dunning.exceptions",
    "StaleApprovalError": "dunning.exceptions",
    "StoredDataError": "dunning.exceptions",
    "TemplateError": "dunning.exceptions",
    "AGEING_BUCKETS": "dunning.metrics",
    "Ageing": "dunning.metrics",
    "CollectionCost": "dunning.metrics",
    "DsoMethod": "dunning.metrics",
    "Segment": "dunning.metrics",
    "SegmentThresholds": "dunning.metrics",
    "StepEffectiveness": "dunning.metrics",
    "ageing": "dunning.metrics",
    "collection_cost": "dunning.metrics",
    "collection_effectiveness_index": "dunning.metrics",
    "collection_rate": "dunning.metrics",
    "dso": "dunning.metrics",
    "litigation_rate": "dunning.metrics",
    "payment_delays": "dunning.metrics",
    "reminders_per_paid_invoice": "dunning.metrics",
    "silent_customers": "dunning.metrics",
    "step_effectiveness": "dunning.metrics",
    "suggest_segment": "dunning.metrics",
    "ActionApproved": "dunning.model",
    "ActionRejected": "dunning.model",
    "ActionTaken": "dunning.model",
    "Civility": "dunning.model",
    "CustomerKind": "dunning.model",
    "DeliveryFailed": "dunning.model",
    "PaymentOnAccount": "dunning.model",
    "PenaltyWording": "dunning.model",
    "PortfolioEntry": "dunning.model",
    "UnappliedCreditNote": "dunning.model",
    "check_history": "dunning.model",
    "parse_events": "dunning.model",
    "as_amount": "dunning.notebook",
    "as_date": "dunning.notebook",
    "penalties_dataframe": "dunning.notebook",
    "plot_ageing": "dunning.notebook",
    "plot_collections": "dunning.notebook",
    "plot_penalty_accrual": "dunning.notebook",
    "to_dataframe": "dunning.notebook",
    "B2B_DEFAULT_MARGIN": "dunning.penalties",
    "CONTRACTUAL_FLOOR_MULTIPLE": "dunning.penalties",
    "JUDGMENT_MARGIN": "dunning.penalties",
    "PUBLIC_BUYER_MARGIN": "dunning.penalties",
    "RECOVERY_INDEMNITY": "dunning.penalties",
    "BelowLegalFloor": "dunning.penalties",
    "DayCount": "dunning.penalties",
    "HalfYear": "dunning.penalties",
    "LatePaymentTerms": "dunning.penalties",
    "LegalRateColumn": "dunning.penalties",
    "PaymentTermCheck": "dunning.penalties",
    "PaymentTermRule": "dunning.penalties",
    "PenaltyBreakdown": "dunning.penalties",
    "PenaltyFinding": "dunning.penalties",
    "PenaltyLine": "dunning.penalties",
    "PenaltyRates": "dunning.penalties",
    "PenaltyRegime": "dunning.penalties",
    "Percent": "dunning.penalties",
    "RateEntry": "dunning.penalties",
    "RateTable": "dunning.penalties",
    "Rounding": "dunning.penalties",
    "amount_outstanding": "dunning.penalties",
    "compute_penalties": "dunning.penalties",
    "days_late": "dunning.penalties",
    "default_rates": "dunning.penalties",
    "maximum_due_date": "dunning.penalties",
    "paid_on": "dunning.penalties",
    "payment_term_check": "dunning.penalties",
    "penalties_for_amount": "dunning.penalties",
    "prescription_date": "dunning.penalties",
    "Covered": "dunning.ports",
    "EntryStatus": "dunning.ports",
    "InvoiceReview": "dunning.ports",
    "LogEntry": "dunning.ports",
    "PaymentLinks": "dunning.ports",
    "Receipt": "dunning.ports",
    "UnreadableEntry": "dunning.ports",
    "log_events": "dunning.ports",
    "CONTEXT_VARIABLES": "dunning.render",
    "DEFAULT_MAX_SMS_SEGMENTS": "dunning.render",
    "InvoiceLine": "dunning.render",
    "Message": "dunning.render",
    "MessageAction": "dunning.render",
    "PenaltySummary": "dunning.render",
    "RenderBudget": "dunning.render",
    "RenderContext": "dunning.render",
    "TemplatePack": "dunning.render",
    "builtin_pack": "dunning.render",
    "check_scenario_templates": "dunning.render",
    "load_template_pack": "dunning.render",
    "render": "dunning.render",
    "sms_segments": "dunning.render",
    "to_gsm7": "dunning.render",
    "Outcome": "dunning.runner",
    "OutcomeJournal": "dunning.runner",
    "RunItem": "dunning.runner",
    "approve": "dunning.runner",
    "reject": "dunning.runner",
    "resolve": "dunning.runner",
    "BUILTIN_SCENARIOS": "dunning.scenarios",
    "DEFAULT_POLICY": "dunning.scenarios",
    "DEFAULT_SEND_WINDOWS": "dunning.scenarios",
    "BusinessCalendar": "dunning.scenarios",
    "CatchUp": "dunning.scenarios",
    "LintFinding": "dunning.scenarios",
    "PolicyRule": "dunning.scenarios",
    "SendWindow": "dunning.scenarios",
    "StepKind": "dunning.scenarios",
    "calendar_for": "dunning.scenarios",
    "lint": "dunning.scenarios",
    "policy_from_mapping": "dunning.scenarios",
    "scenario_from_json": "dunning.scenarios",
    "scenario_from_mapping": "dunning.scenarios",
    "scenario_from_toml": "dunning.scenarios",
    "scenario_json_schema": "dunning.scenarios",
    "Behaviour": "dunning.simulate",
    "Comparison": "dunning.simulate",
    "ComparisonRow": "dunning.simulate",
    "SimulatedMessage": "dunning.simulate",
    "SimulatedPayment": "dunning.simulate",
    "SimulationDay": "dunning.simulate",
    "SimulationResult": "dunning.simulate",
    "SyntheticPortfolio": "dunning.simulate",
    "compare": "dunning.simulate",
    "simulate": "dunning.simulate",
    "synthetic_portfolio": "dunning.simulate",
}


def test_public_api_is_pinned() -> None:
    """dunning.__all__ is exactly the pinned list (the table's names, then ``__version__``)."""
    assert set(dunning.__all__) == set(PUBLIC_API)


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    group = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return group, name


def test_public_api_is_sorted() -> None:
    """The table of names is kept sorted (isort-style), so additions show up as one-line diffs."""
    table = list(dunning._PUBLIC)
    assert table == sorted(table, key=_isort_key)
    assert len(set(dunning.__all__)) == len(dunning.__all__)
    assert sorted(dunning.__all__, key=_isort_key) == PUBLIC_API


def test_the_top_level_stays_small() -> None:
    """About 40 names: models, events, scenarios, deciding, running, ports, errors."""
    assert len(PUBLIC_API) <= 45


def test_type_checkers_read_the_same_names_as_the_lazy_table() -> None:
    """The imports under TYPE_CHECKING (what mypy and editors see) match _PUBLIC name by name."""
    tree = ast.parse(Path(dunning.__file__).read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module != "dunning":
                    seen.update({alias.name: str(stmt.module) for alias in stmt.names})
    assert seen == dunning._PUBLIC


@pytest.mark.parametrize("namespace", sorted(NAMESPACE_API))
def test_namespace_api_is_pinned(namespace: str) -> None:
    """Each public namespace exports exactly its pinned names, each importable and documented."""
    module = importlib.import_module(namespace)
    assert sorted(module.__all__, key=_isort_key) == NAMESPACE_API[namespace]
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, f"{namespace}.{name} has no docstring"


def test_a_namespace_is_reachable_from_the_package() -> None:
    """``import dunning`` then ``dunning.penalties.compute_penalties``, as with numpy."""
    assert (
        dunning.penalties.compute_penalties
        is importlib.import_module("dunning.core.penalties").compute_penalties
    )
    assert "metrics" in dir(dunning)
    assert "compute_penalties" not in vars(dunning)
    with pytest.raises(AttributeError, match="no attribute 'compute_penalties'"):
        getattr(dunning, "compute_penalties")  # noqa: B009  (a name that left the top level)


@pytest.mark.parametrize(("name", "home"), sorted(MOVED.items()))
def test_a_name_that_left_the_top_has_its_new_home(name: str, home: str) -> None:
    """Every name moved out of the top level imports from where CHANGELOG says."""
    assert name not in dunning.__all__
    assert hasattr(importlib.import_module(home), name)


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
