"""dunning: chase unpaid invoices the way a careful French credit controller would.

The public API is what this module exports in `__all__`; everything else is private.

Example:
    >>> from datetime import date, datetime
    >>> from zoneinfo import ZoneInfo
    >>> import dunning
    >>> inv = dunning.Invoice(id="F-1", number="2026-0001",
    ...     customer=dunning.Customer(id="C1", name="ACME SARL"),
    ...     issued_on=date(2026, 1, 2), due_on=date(2026, 2, 2), total="1200.00")
    >>> dunning.decide(inv, [], dunning.STANDARD,
    ...     at=datetime(2026, 2, 9, 10, tzinfo=ZoneInfo("Europe/Paris"))).action.step_id
    'informative'
"""

from importlib.metadata import PackageNotFoundError, version

from dunning.core.builtin import BUILTIN_SCENARIOS, DEFAULT_POLICY, FIRM, GENTLE, STANDARD
from dunning.core.calendar import (
    DEFAULT_SEND_WINDOWS,
    BusinessCalendar,
    SendWindow,
    calendar_for,
)
from dunning.core.engine import Action, Decision, DecisionStatus, action_id, decide
from dunning.core.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    Channel,
    CreditNote,
    Customer,
    CustomerKind,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    Event,
    HoldLifted,
    HoldPlaced,
    Installment,
    Invoice,
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
    amount_outstanding,
    check_history,
    days_late,
    paid_on,
    parse_events,
)
from dunning.core.scenario import (
    CatchUp,
    LintFinding,
    Policy,
    PolicyRule,
    Scenario,
    Step,
    StepKind,
    lint,
    policy_from_mapping,
    scenario_from_json,
    scenario_from_mapping,
    scenario_from_toml,
    scenario_json_schema,
)
from dunning.core.timeline import Timeline, TimelineEntry, timeline
from dunning.exceptions import (
    ConfigurationError,
    DunningError,
    ErrorDetail,
    InvoiceHistoryError,
    MissingDataError,
    ScenarioError,
)
from dunning.loading import load_policy, load_scenario

try:
    __version__ = version("dunning")
except PackageNotFoundError:  # pragma: no cover  (running from a source tree)
    __version__ = "0+unknown"

__all__ = [
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
