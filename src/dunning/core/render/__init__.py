"""Turn an action into a message: sandboxed Jinja2 templates, Babel formatting, SMS limits.

How this works
--------------
A `TemplatePack` holds template sources named ``<locale>/<family>.<part>.j2``: *family* is a
step's template name (``reminder``, ``formal_notice``...), *part* one of ``subject``, ``txt``,
``html`` and ``sms``. Names starting with ``_`` (``fr/_payment.txt.j2``) are partials that
other templates ``{% include %}``. Every family needs a subject and a text body; the HTML body
and the SMS text are optional (a step sent by SMS needs the SMS part: `check_scenario_templates`).

Everything that can go wrong with a template goes wrong when the pack is built, never in a
letter to a customer. Building a pack, for every template:

1. compiles it (a syntax error is a `TemplateError` naming the template and the line);
2. checks its free variables with ``jinja2.meta.find_undeclared_variables`` against
   `CONTEXT_VARIABLES`, the documented context (an unknown name fails, with its line);
3. renders it against sample contexts (a business debtor with penalties and three invoices
   using long but plausible values, a consumer with every optional field left out, a public
   buyer), once per wording variant, so a misspelt attribute, an unguarded optional value, a
   sandbox violation, a render running past its budget or an SMS that does not fit in
   ``max_sms_segments`` fails now.

The environment is Jinja2's immutable sandbox (`jinja2.sandbox.ImmutableSandboxedEnvironment`,
a stricter `SandboxedEnvironment`): no attribute starting with ``_``, no mutation of the context,
no globals at all (``cycler``, ``range``, ``lipsum``... are removed), and huge string products
are refused. Undefined names raise (`jinja2.StrictUndefined`), and so does printing ``None``, a
raw `Decimal` or a raw date: amounts and dates must go through the Babel filters (``money``,
``date_long``, ``date_short``, ``percent``, ``number``), so a value is never blank and never
hand-formatted. Only HTML templates are autoescaped; the text and SMS bodies are plain text.

Wording variants: the variable ``variant`` is a stable integer derived from the first listed
invoice's id (SHA-256); a template chooses among *n* wordings with ``variant % n``.

Every render runs under a `RenderBudget` (time, output size): a runaway template (a loop
nested over a long string, a huge power, a template including itself) fails in about a second
with ``render_budget_exceeded``, at load time on the samples or for the one message it breaks.
See `dunning.core.render.budget`.

Where things are: `context` (the models a host fills in, and `Message`), `variables` (what a
template sees), `filters` (Babel formatting), `sandbox` (the Jinja2 environment), `budget`
(the limits of one render), `samples` (the load-time sample contexts), `pack` (loading and
checking packs, override packs, the built-in pack), `references` (which template includes
which), `failures` (the errors of a failed render), `scenario_templates` (the templates a
scenario needs), `sms` (GSM-7),
`typography` (French spacing of punctuation, applied to every French message) and
`rendering` (`render` itself). This module re-exports the public names; import them from here
(or from `dunning`).
"""

from __future__ import annotations

from dunning.core.render.budget import RenderBudget
from dunning.core.render.context import (
    Creditor,
    InvoiceLine,
    Message,
    MessageAction,
    PenaltyPeriod,
    PenaltySummary,
    Receipt,
    RenderContext,
)
from dunning.core.render.pack import TemplatePack, builtin_pack
from dunning.core.render.rendering import render
from dunning.core.render.scenario_templates import check_scenario_templates, missing_templates
from dunning.core.render.sms import (
    DEFAULT_MAX_SMS_SEGMENTS,
    GSM7_BASIC,
    GSM7_EXTENSION,
    GSM7_TRANSLITERATION,
    sms_segments,
    to_gsm7,
)
from dunning.core.render.typography import french_minus, french_typography
from dunning.core.render.variables import CONTEXT_VARIABLES

__all__ = [
    "CONTEXT_VARIABLES",
    "DEFAULT_MAX_SMS_SEGMENTS",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "GSM7_TRANSLITERATION",
    "Creditor",
    "InvoiceLine",
    "Message",
    "MessageAction",
    "PenaltyPeriod",
    "PenaltySummary",
    "Receipt",
    "RenderBudget",
    "RenderContext",
    "TemplatePack",
    "builtin_pack",
    "check_scenario_templates",
    "french_minus",
    "french_typography",
    "missing_templates",
    "render",
    "sms_segments",
    "to_gsm7",
]
