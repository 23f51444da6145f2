"""Messages: template packs, the render context, rendering, SMS segments.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module.
"""

from __future__ import annotations

from dunning.core.render import (
    CONTEXT_VARIABLES,
    DEFAULT_MAX_SMS_SEGMENTS,
    Creditor,
    InvoiceLine,
    Message,
    MessageAction,
    PenaltySummary,
    RenderBudget,
    RenderContext,
    TemplatePack,
    builtin_pack,
    check_scenario_templates,
    render,
    sms_segments,
    to_gsm7,
)
from dunning.templates_loading import (
    load_template_pack,
)

__all__ = [
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
]
