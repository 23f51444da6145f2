"""`render`: one action and its context in, one `Message` out."""

from __future__ import annotations

from dunning.core.model import (
    Channel,
    Customer,
)
from dunning.core.render.budget import RenderBudget
from dunning.core.render.context import Message, MessageAction, RenderContext
from dunning.core.render.pack import (
    _ASCII_SPACES,
    _ASCII_WHITESPACE,
    TemplatePack,
    _normalise,
    builtin_pack,
)
from dunning.core.render.sms import sms_segments, to_gsm7
from dunning.core.render.typography import french_typography
from dunning.core.render.variables import _variables, _variant
from dunning.exceptions import TemplateError

_STAFF_CHANNELS = frozenset({Channel.PHONE_TASK, Channel.INTERNAL_ALERT, Channel.HANDOVER})


def render(
    action: MessageAction,
    context: RenderContext,
    *,
    pack: TemplatePack | None = None,
    budget: RenderBudget | None = None,
) -> Message:
    r"""Render the message for *action*: subject, text, HTML if any, SMS for the SMS channel.

    Pure: nothing is read or sent. The templates come from *pack* (the built-in pack by
    default), in the customer's locale (exact, then its language); a phone task, an internal
    alert or a handover is written in the creditor's ``staff_locale`` when it has one. A
    French message gets French typography (`french_typography`: no-break spaces before
    ":", ";", "?", "!" and inside « »).

    Args:
        action: an engine `Action` or a portfolio `CustomerAction`.
        context: creditor, customer, invoices, payment link, penalties.
        pack: the template pack.
        budget: what rendering each part may cost; the pack's budget by default.

    Returns:
        The `Message`.

    Raises:
        TemplateError: ``locale_not_available``, ``missing_template`` (e.g. no SMS template for
            an SMS action), ``sms_not_gsm7`` or ``sms_too_long`` when the real data break the
            SMS limits, ``render_budget_exceeded`` when a template runs past *budget*, or a
            render error naming the template and line.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.engine import Action
        >>> from decimal import Decimal
        >>> from dunning.core.model import Channel, Customer
        >>> from dunning.core.render import Creditor, InvoiceLine, RenderContext
        >>> from dunning.core.scenario import StepKind
        >>> ctx = RenderContext(
        ...     creditor=Creditor(name="Atelier Durand SAS", address="Lyon",
        ...                       iban="FR7630006000011234567890189", bic="AGRIFRPP",
        ...                       email="compta@durand.example"),
        ...     customer=Customer(id="C1", name="ACME SARL"),
        ...     invoices=[InvoiceLine(id="F-42", number="2026-0042", issued_on=date(2026, 2, 2),
        ...               due_on=date(2026, 3, 2), total="1234.56", amount_due="1234.56",
        ...               days_late=18, document="pdf:2026-0042")],
        ...     message_date=date(2026, 3, 20))
        >>> action = Action(id="act_1", invoice_id="F-42", customer_id="C1", step_id="reminder",
        ...     kind=StepKind.REMINDER, level=2, level_name="reminder", channel=Channel.SMS,
        ...     template="reminder", due_at=datetime(2026, 3, 20, 9, tzinfo=timezone.utc),
        ...     deadline_on=None, deadline_days=None, requires_approval=False, approved=False,
        ...     is_retry=False, amount_due=Decimal("1234.56"), currency="EUR", days_late=18)
        >>> message = render(action, ctx)
        >>> message.subject
        'Relance\xa0: facture 2026-0042 impayée'
        >>> "1\u202f234,56\u00a0€" in message.text, message.sms_segments, message.attachments
        (True, 1, ('pdf:2026-0042',))
    """
    pack = pack if pack is not None else builtin_pack()
    # Tasks for the creditor's own staff are written in the staff's language, not the customer's.
    reader = context.customer.locale
    if action.channel in _STAFF_CHANNELS and context.creditor.staff_locale is not None:
        reader = context.creditor.staff_locale
    locale = pack.resolve_locale(reader)
    family = action.template
    kind = getattr(action, "kind", family)
    variables = _variables(
        action,
        context,
        locale=reader,
        kind=str(getattr(kind, "value", kind)),
        variant=_variant(context.invoices[0].id),
    )
    # Only ASCII whitespace is layout: Babel's no-break spaces inside amounts are content.
    subject = pack.render_part(locale, family, "subject", variables, budget=budget)
    subject = _ASCII_SPACES.sub(" ", subject)
    subject = subject.strip(_ASCII_WHITESPACE)
    text = _normalise(pack.render_part(locale, family, "txt", variables, budget=budget))
    html = None
    if pack.has(locale, family, "html"):
        html = _normalise(pack.render_part(locale, family, "html", variables, budget=budget))
    if locale.split("_", 1)[0] == "fr":
        # Templates are written with plain spaces; French typography is applied once, here.
        subject, text = french_typography(subject), french_typography(text)
        html = french_typography(html) if html is not None else None
    sms = segments = None
    if action.channel is Channel.SMS:
        name = f"{locale}/{family}.sms.j2"
        sms_text = pack.render_part(locale, family, "sms", variables, budget=budget)
        sms = to_gsm7(_normalise(sms_text), template=name)
        segments = sms_segments(sms)
        if segments > pack.max_sms_segments:
            msg = (
                f"this SMS takes {segments} parts, more than max_sms_segments="
                f"{pack.max_sms_segments}; send it by another channel"
            )
            raise TemplateError(msg, template=name, code="sms_too_long")
    documents = tuple(line.document for line in context.invoices if line.document is not None)
    return Message(
        action_id=action.id,
        channel=action.channel,
        template=family,
        locale=locale,
        subject=subject,
        text=text,
        html=html,
        sms=sms,
        sms_segments=segments,
        attachments=(*documents, *context.attachments),
        to=_recipient(action.channel, context.customer),
    )


def _recipient(channel: Channel, customer: Customer) -> str | None:
    if channel is Channel.EMAIL:
        return customer.email
    if channel in (Channel.SMS, Channel.PHONE_TASK):
        return customer.phone
    if channel in (Channel.LETTER, Channel.REGISTERED_LETTER):
        return customer.postal_address
    return None
