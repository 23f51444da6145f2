"""Collection metrics: DSO, CEI, ageing, collection rate, step effectiveness, segments.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module.
"""

from __future__ import annotations

from dunning.core.metrics import (
    AGEING_BUCKETS,
    AGEING_LABELS,
    Ageing,
    CollectionCost,
    DsoMethod,
    Segment,
    SegmentThresholds,
    StepEffectiveness,
    StepEffectivenessTable,
    ageing,
    collection_cost,
    collection_effectiveness_index,
    collection_rate,
    dso,
    litigation_rate,
    payment_delays,
    reminders_per_paid_invoice,
    silent_customers,
    step_effectiveness,
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
