"""Portfolio KPIs: ageing, DSO, collection rate, CEI, step effectiveness, cost, segments.

How this works
--------------
Every metric reads the same input the runner reads: `InvoiceHistory` entries (an invoice and
its events; `PaymentOnAccount` and `UnappliedCreditNote` items are ignored), and an instant
``at``. Each invoice is read **at the end of ``at``'s local day in its customer's time zone**:
payments and credit notes dated that day count, later ones do not, and an invoice issued after
that day does not exist yet. Only invoices in the requested currency count (``EUR`` by default).

Conventions shared by every metric (the "Metrics" page of the docs works each one by hand):

- *Outstanding* is the invoice total less payments and credit notes (`amount_outstanding`).
- A *delivered action* is an `ActionTaken` whose delivery did not fail (no `DeliveryFailed`
  with its id). A *message* is what the runner sends: the actions recorded for one customer at
  one instant on one channel (a grouped message covering three invoices is one message).
- An invoice is *paid* on the day its balance first reaches zero (`paid_on`).
- Percentages and day counts are rounded half-up to one decimal; amounts per invoice to the
  cent. A ratio whose denominator is zero is None ("nothing to measure"), never 0.
"""

from __future__ import annotations

from dunning.core.metrics._common import (
    AGEING_BUCKETS,
    AGEING_LABELS,
)
from dunning.core.metrics.actions import (
    CollectionCost,
    StepEffectiveness,
    StepEffectivenessTable,
    collection_cost,
    litigation_rate,
    reminders_per_paid_invoice,
    silent_customers,
    step_effectiveness,
)
from dunning.core.metrics.book import (
    Ageing,
    DsoMethod,
    ageing,
    collection_effectiveness_index,
    collection_rate,
    dso,
)
from dunning.core.metrics.segments import (
    Segment,
    SegmentThresholds,
    payment_delays,
    suggest_segment,
)

__all__ = [
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
]
