"""Late-payment penalties: legal and contractual rates, the 40 EUR indemnity, payment terms.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module.
"""

from __future__ import annotations

from dunning.core.ledger import (
    amount_outstanding,
    days_late,
    paid_on,
)
from dunning.core.penalties import (
    B2B_DEFAULT_MARGIN,
    CONTRACTUAL_FLOOR_MULTIPLE,
    JUDGMENT_MARGIN,
    PUBLIC_BUYER_MARGIN,
    RECOVERY_INDEMNITY,
    BelowLegalFloor,
    DayCount,
    HalfYear,
    LatePaymentTerms,
    LegalRateColumn,
    PaymentTermCheck,
    PaymentTermRule,
    PenaltyBreakdown,
    PenaltyFinding,
    PenaltyLine,
    PenaltyRates,
    PenaltyRegime,
    Percent,
    RateEntry,
    RateTable,
    Rounding,
    compute_penalties,
    default_rates,
    maximum_due_date,
    payment_term_check,
    penalties_for_amount,
    prescription_date,
)

__all__ = [
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
]
