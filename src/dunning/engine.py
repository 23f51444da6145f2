"""Deciding: one invoice (`decide`), many (`decide_many`), a customer's conversation, a timeline.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module.
"""

from __future__ import annotations

from dunning.core.engine import (
    Action,
    Decision,
    DecisionStatus,
    action_id,
    decide,
    decide_many,
)
from dunning.core.portfolio import (
    CustomerAction,
    CustomerReview,
    plan_customer_actions,
    plan_for_customer,
    review_customer,
)
from dunning.core.timeline import (
    Timeline,
    TimelineEntry,
    timeline,
)

__all__ = [
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
]
