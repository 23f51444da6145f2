"""French late-payment penalties: interest period by period, the 40 EUR indemnity, legal dates.

How this fits together:

- `rates`: the dated rate tables (ECB main refinancing rate, legal interest rate in both
  columns) shipped as CSV with their source, and how to add next half-year's rates.
- `regimes`: the law, in one place: B2B default (ECB + 10, per half-year), B2B contractual
  (floor 3 x the legal rate), consumer (legal rate from the formal notice, no indemnity), public
  buyer (ECB + 8, one rate for the whole delay), with their articles.
- `compute`: `compute_penalties` slices the delay into periods and returns a
  `PenaltyBreakdown`; `penalties_for_amount` does the same from plain values.
- `legal_dates`: payment-term maxima (L441-10, L441-11) and prescription (L110-4, L218-2).

Examples:
    >>> from datetime import date
    >>> b = penalties_for_amount("2000", date(2020, 9, 1), date(2020, 10, 1),
    ...                          regime="consumer", formal_notice_on=date(2020, 9, 1),
    ...                          )
    >>> b.lines[0].rate_source, b.interest, b.recovery_indemnity
    ('legal rate 2020 H2 (autres cas) 0.84 %', Decimal('1.38'), Decimal('0.00'))
"""

from __future__ import annotations

from dunning.core.penalties.compute import (
    DayCount,
    PenaltyBreakdown,
    PenaltyLine,
    Rounding,
    compute_penalties,
    penalties_for_amount,
)
from dunning.core.penalties.legal_dates import (
    PaymentTermCheck,
    PaymentTermRule,
    maximum_due_date,
    payment_term_check,
    prescription_date,
)
from dunning.core.penalties.rates import (
    HalfYear,
    LegalRateColumn,
    PenaltyRates,
    RateEntry,
    RateTable,
    default_rates,
)
from dunning.core.penalties.regimes import (
    B2B_DEFAULT_MARGIN,
    CONTRACTUAL_FLOOR_MULTIPLE,
    JUDGMENT_MARGIN,
    PUBLIC_BUYER_MARGIN,
    RECOVERY_INDEMNITY,
    BelowLegalFloor,
    JudgmentIncrease,
    LatePaymentTerms,
    PenaltyFinding,
    PenaltyRegime,
    Percent,
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
    "JudgmentIncrease",
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
    "compute_penalties",
    "default_rates",
    "maximum_due_date",
    "payment_term_check",
    "penalties_for_amount",
    "prescription_date",
]
