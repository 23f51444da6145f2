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
   sandbox violation or an SMS that does not fit in ``max_sms_segments`` fails now.

The environment is Jinja2's immutable sandbox (`jinja2.sandbox.ImmutableSandboxedEnvironment`,
a stricter `SandboxedEnvironment`): no attribute starting with ``_``, no mutation of the context,
no globals at all (``cycler``, ``range``, ``lipsum``... are removed), and huge string products
are refused. Undefined names raise (`jinja2.StrictUndefined`), and so does printing ``None``, a
raw `Decimal` or a raw date: amounts and dates must go through the Babel filters (``money``,
``date_long``, ``date_short``, ``percent``, ``number``), so a value is never blank and never
hand-formatted. Only HTML templates are autoescaped; the text and SMS bodies are plain text.

Wording variants: the variable ``variant`` is a stable integer derived from the first listed
invoice's id (SHA-256); a template chooses among *n* wordings with ``variant % n``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from types import MappingProxyType, TracebackType
from typing import Annotated, Any, Protocol

import jinja2
import jinja2.exceptions
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import meta, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dunning.core._types import MODEL_CONFIG, Amount, Currency, PositiveAmount
from dunning.core.model import (
    Channel,
    Customer,
    CustomerKind,
    Event,
    Invoice,
    amount_outstanding,
    days_late,
)
from dunning.core.model import CreditNote as _CreditNote
from dunning.core.model import Payment as _Payment
from dunning.core.penalties.compute import PenaltyBreakdown
from dunning.core.penalties.regimes import PenaltyRegime
from dunning.core.scenario import Scenario
from dunning.exceptions import TemplateError

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
    "PenaltySummary",
    "RenderContext",
    "TemplatePack",
    "builtin_pack",
    "check_scenario_templates",
    "render",
    "sms_segments",
    "to_gsm7",
]

# ---------------------------------------------------------------------------------------------
# SMS: the GSM 7-bit default alphabet
# ---------------------------------------------------------------------------------------------

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ"
    "ÆæßÉ"  # 0x10-0x1F (0x1B is the escape to the extension table)
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"  # 0x40-0x5F
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"  # 0x60-0x7F
)
"""The GSM 7-bit default alphabet, 3GPP TS 23.038 (formerly GSM 03.38) section 6.2.1: one
septet each."""

GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
"""The default extension table, 3GPP TS 23.038 section 6.2.1.1: reached through the escape
septet 0x1B, so each of these characters costs two septets."""

GSM7_TRANSLITERATION: Mapping[str, str] = MappingProxyType(
    {
        # Spaces Babel and French typography use (narrow and ordinary no-break spaces, thin).
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        # Typographic quotes and dashes.
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "«": '"',
        "»": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        # French letters missing from the alphabet (é, è, à, ù, Ç, É are in it and are kept).
        "ç": "c",
        "â": "a",
        "ê": "e",
        "ë": "e",
        "î": "i",
        "ï": "i",
        "ô": "o",
        "û": "u",
        "ÿ": "y",
        "À": "A",
        "Â": "A",
        "È": "E",
        "Ê": "E",
        "Ë": "E",
        "Î": "I",
        "Ï": "I",
        "Ô": "O",
        "Ù": "U",
        "Û": "U",
        "Œ": "OE",
        "œ": "oe",
        "°": "o",
    }
)
"""Characters outside GSM-7 replaced before sending. Other accented Latin letters lose their
accent (Unicode NFKD); anything still outside the alphabet is an error, never a ``?``."""

_SMS_SINGLE = 160
_SMS_PART = 153  # a concatenated part loses 7 septets to the user data header (TS 23.040)

DEFAULT_MAX_SMS_SEGMENTS = 2
"""Default ceiling on the parts of one SMS (each part is billed as one message)."""


def to_gsm7(text: str, *, template: str | None = None) -> str:
    r"""Return *text* in the GSM 7-bit alphabet, transliterating what `GSM7_TRANSLITERATION` knows.

    Args:
        text: the SMS text.
        template: the template it came from, quoted in errors.

    Returns:
        The text with every character in `GSM7_BASIC` or `GSM7_EXTENSION`.

    Raises:
        TemplateError: ``sms_not_gsm7``, listing the characters that cannot be sent.

    Examples:
        >>> to_gsm7("Échéance : 1\u202f234,56\u00a0€ — merci ! Ça ira ?")
        'Échéance : 1 234,56 € - merci ! Ça ira ?'
        >>> to_gsm7("Zoë Łukasz")
        Traceback (most recent call last):
        ...
        dunning.exceptions.TemplateError: characters outside the GSM-7 alphabet: 'Ł'
    """
    out: list[str] = []
    bad: list[str] = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
            continue
        replacement = GSM7_TRANSLITERATION.get(char)
        if replacement is None:
            stripped = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            if stripped and all(c in GSM7_BASIC for c in stripped):
                replacement = stripped
        if replacement is None:
            if char not in bad:
                bad.append(char)
        else:
            out.append(replacement)
    if bad:
        listed = ", ".join(repr(c) for c in bad)
        msg = f"characters outside the GSM-7 alphabet: {listed}"
        raise TemplateError(msg, template=template, code="sms_not_gsm7")
    return "".join(out)


def sms_segments(text: str) -> int:
    """The number of SMS parts *text* takes in GSM-7 (it must already be GSM-7: see `to_gsm7`).

    One part holds 160 septets; a concatenated message holds 153 per part, and an extension
    character (``€``, ``[``...) takes two septets that are never split across parts.

    Examples:
        >>> sms_segments("a" * 160), sms_segments("a" * 161), sms_segments("€" * 80)
        (1, 2, 1)
        >>> sms_segments("a" * 152 + "€" + "a" * 152)  # 306 septets, yet € cannot be split
        3
    """
    sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
    if sum(sizes) <= _SMS_SINGLE:
        return 1 if text else 0
    parts, used = 1, 0
    for size in sizes:
        if used + size > _SMS_PART:
            parts, used = parts + 1, 0
        used += size
    return parts


# ---------------------------------------------------------------------------------------------
# The render context
# ---------------------------------------------------------------------------------------------

OptionalText = Annotated[str, Field(min_length=1)] | None
Text = Annotated[str, Field(min_length=1)]


def _iban_checksum_ok(iban: str) -> bool:
    # ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1.
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


class Creditor(BaseModel):
    """Who is owed the money: the identity and bank details printed in every message.

    Attributes:
        name: legal name, e.g. ``Atelier Durand SAS``.
        address: postal address, one line or several.
        iban: the account to pay into; spaces are removed and the checksum verified.
        bic: the bank's BIC (8 or 11 characters).
        email: where customers reply.
        phone: a phone number customers may call, if any.
        siret: the 14-digit SIRET, if any.
        signature: who signs, e.g. ``Le service comptabilité``; defaults to the name.

    Examples:
        >>> c = Creditor(name="Atelier Durand SAS", address="12 rue des Lilas, 69003 Lyon",
        ...              iban="FR76 3000 6000 0112 3456 7890 189", bic="AGRIFRPP",
        ...              email="compta@durand.example")
        >>> c.iban, c.signature
        ('FR7630006000011234567890189', 'Atelier Durand SAS')
    """

    model_config = MODEL_CONFIG

    name: Text
    address: Text
    iban: Text
    bic: Annotated[str, Field(pattern=r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")]
    email: Text
    phone: OptionalText = None
    siret: Annotated[str, Field(pattern=r"^\d{14}$")] | None = None
    signature: OptionalText = None

    @field_validator("iban", mode="before")
    @classmethod
    def _normalise_iban(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        iban = value.replace(" ", "").upper()
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban) or not _iban_checksum_ok(iban):
            raise PydanticCustomError(
                "invalid_iban", "'{value}' is not a valid IBAN", {"value": value}
            )
        return iban

    @model_validator(mode="before")
    @classmethod
    def _default_signature(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("signature") is None and "name" in data:
            data = {**data, "signature": data["name"]}
        return data


_RATE_WORDS_FR = {
    PenaltyRegime.B2B_DEFAULT: "taux BCE + 10 points",
    PenaltyRegime.PUBLIC_BUYER: "taux BCE + 8 points",
    PenaltyRegime.B2B_CONTRACTUAL: "taux contractuel",
}
_RATE_WORDS_EN = {
    PenaltyRegime.B2B_DEFAULT: "ECB rate + 10 points",
    PenaltyRegime.PUBLIC_BUYER: "ECB rate + 8 points",
    PenaltyRegime.B2B_CONTRACTUAL: "contractual rate",
}


class PenaltySummary(BaseModel):
    """Late-payment penalties owed, as the host computed them (e.g. with the penalties module).

    Attributes:
        interest: late-payment interest owed at the message date.
        indemnity: the fixed recovery indemnity (40 EUR per invoice, Code de commerce D441-5);
            must be 0 for a consumer (Code de la consommation / CPCE L111-8).
        total: interest + indemnity.
        rate_description: how the rate is described to the customer, e.g.
            ``12,15 % (taux BCE + 10 points)``.
        interest_from: the first day interest runs.

    Examples:
        >>> from datetime import date
        >>> p = PenaltySummary(interest="10.28", indemnity="40", total="50.28",
        ...                    rate_description="12,15 %", interest_from=date(2026, 3, 3))
        >>> p.total
        Decimal('50.28')
    """

    model_config = MODEL_CONFIG

    interest: Amount
    indemnity: Amount
    total: Amount
    rate_description: Text
    interest_from: date

    @classmethod
    def from_breakdown(
        cls, breakdown: PenaltyBreakdown, *, locale: str = "fr_FR"
    ) -> PenaltySummary | None:
        r"""Summarise a `PenaltyBreakdown` for a message, rates worded in *locale*.

        Returns None when the breakdown has no period of interest (not late, or a consumer
        who has not been served a formal notice): there is nothing to state.

        Examples:
            >>> from datetime import date
            >>> from dunning.core.penalties import penalties_for_amount
            >>> b = penalties_for_amount("1200.00", date(2026, 4, 27), date(2026, 5, 18))
            >>> s = PenaltySummary.from_breakdown(b, locale="fr_FR")
            >>> s.rate_description
            '12,15\xa0% (taux BCE + 10 points)'
            >>> s.interest_from, s.interest, s.total
            (datetime.date(2026, 4, 28), Decimal('8.39'), Decimal('48.39'))
            >>> PenaltySummary.from_breakdown(b, locale="en_GB").rate_description
            '12.15% (ECB rate + 10 points)'
        """
        if not breakdown.lines:
            return None
        rates: list[Decimal] = []
        for line in breakdown.lines:
            if line.annual_rate not in rates:
                rates.append(line.annual_rate)
        french = Locale.parse(locale).language == "fr"
        words = _RATE_WORDS_FR if french else _RATE_WORDS_EN
        then = " puis " if french else " then "
        text = then.join(
            format_percent(rate / 100, locale=locale, decimal_quantization=False) for rate in rates
        )
        basis = words.get(breakdown.regime)
        return cls(
            interest=breakdown.interest,
            indemnity=breakdown.recovery_indemnity,
            total=breakdown.total,
            rate_description=f"{text} ({basis})" if basis else text,
            interest_from=breakdown.lines[0].first_day,
        )

    @model_validator(mode="after")
    def _check_total(self) -> PenaltySummary:
        if self.total != self.interest + self.indemnity:
            raise PydanticCustomError(
                "penalty_total_mismatch",
                "total {total} is not interest {interest} + indemnity {indemnity}",
                {
                    "total": str(self.total),
                    "interest": str(self.interest),
                    "indemnity": str(self.indemnity),
                },
            )
        return self


def _combine(summaries: Iterable[PenaltySummary | None]) -> PenaltySummary | None:
    """One summary for several invoices: amounts added, earliest start, distinct rates joined."""
    given = [p for p in summaries if p is not None]
    if not given:
        return None
    rates = list(dict.fromkeys(p.rate_description for p in given))
    return PenaltySummary(
        interest=sum((p.interest for p in given), Decimal(0)),
        indemnity=sum((p.indemnity for p in given), Decimal(0)),
        total=sum((p.total for p in given), Decimal(0)),
        rate_description="; ".join(rates),
        interest_from=min(p.interest_from for p in given),
    )


def _settled(events: Sequence[Event], on: date) -> Decimal:
    return sum(
        (e.amount for e in events if isinstance(e, _Payment | _CreditNote) and e.on <= on),
        Decimal(0),
    )


class InvoiceLine(BaseModel):
    """One invoice as a message lists it.

    Attributes:
        id: the host's invoice id (the wording variant is derived from the first line's).
        number: the invoice number printed on the document.
        issued_on: invoice date.
        due_on: due date of the oldest unpaid part.
        total: invoice total including VAT.
        amount_due: what is still owed on it.
        currency: ISO 4217 code.
        days_late: days past ``due_on`` (negative before it).
        penalties: penalties owed on this invoice, if the host computed them.
        document: a reference the host resolves to the invoice PDF, joined as an attachment.

    Examples:
        >>> from datetime import date
        >>> line = InvoiceLine(id="F-42", number="2026-0042", issued_on=date(2026, 2, 2),
        ...                    due_on=date(2026, 3, 2), total="1234.56", amount_due="1234.56",
        ...                    days_late=18)
        >>> line.late_since
        datetime.date(2026, 3, 3)
    """

    model_config = MODEL_CONFIG

    id: Text
    number: Text
    issued_on: date
    due_on: date
    total: PositiveAmount
    amount_due: Amount
    currency: Currency = "EUR"
    days_late: int
    penalties: PenaltySummary | None = None
    document: OptionalText = None

    @property
    def late_since(self) -> date:
        """The first day of lateness: the day after the due date (Code de commerce L441-10)."""
        return self.due_on + timedelta(days=1)

    @classmethod
    def from_invoice(
        cls,
        invoice: Invoice,
        events: Sequence[Event],
        *,
        on: date,
        penalties: PenaltySummary | None = None,
        document: str | None = None,
    ) -> InvoiceLine:
        """Describe *invoice* as it stands at the end of day *on*, given its events.

        Examples:
            >>> from datetime import date
            >>> from dunning.core.model import Customer, Invoice, Payment
            >>> inv = Invoice(id="F-42", number="2026-0042", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 2, 2), due_on=date(2026, 3, 2), total="1500")
            >>> line = InvoiceLine.from_invoice(
            ...     inv, [Payment(on=date(2026, 3, 10), amount="265.44")], on=date(2026, 3, 20))
            >>> line.amount_due, line.days_late, line.due_on
            (Decimal('1234.56'), 18, datetime.date(2026, 3, 2))
        """
        settled = _settled(events, on)
        due_on = invoice.last_due_on
        cumulative = Decimal(0)
        for due, amount in invoice.schedule:
            cumulative += amount
            if settled < cumulative:
                due_on = due
                break
        return cls(
            id=invoice.id,
            number=invoice.number,
            issued_on=invoice.issued_on,
            due_on=due_on,
            total=invoice.total,
            amount_due=amount_outstanding(invoice, events, on=on),
            currency=invoice.currency,
            days_late=days_late(invoice, events, on=on) or (on - due_on).days,
            penalties=penalties,
            document=document,
        )


class RenderContext(BaseModel):
    """Everything a template may print besides the action: who, what, how to pay.

    Attributes:
        creditor: the creditor's identity and bank details.
        customer: the debtor (its ``locale`` selects the templates and the formats).
        invoices: the invoices the message is about, oldest due date first.
        message_date: the date printed on the message (the core never reads the clock).
        payment_link: a payment page the host provides, if any: an ``http(s)://`` URL (a
            ``javascript:`` link would survive HTML escaping, so it is refused).
        penalties: penalties owed over all the listed invoices; when None, the invoices' own
            summaries added up (see `total_penalties`).
        unapplied_credit: credit notes and payments on account not yet allocated to an invoice,
            deducted from the amount due.
        attachments: extra references the host resolves (the invoices' documents are added).

    Raises:
        pydantic.ValidationError: ``mixed_currencies``, ``indemnity_for_consumer`` (the 40 EUR
            indemnity cannot be claimed from a consumer, CPCE L111-8) or ``nothing_due``.

    Examples:
        >>> from datetime import date
        >>> ctx = RenderContext(
        ...     creditor=Creditor(name="Atelier Durand SAS", address="Lyon",
        ...                       iban="FR7630006000011234567890189", bic="AGRIFRPP",
        ...                       email="compta@durand.example"),
        ...     customer=Customer(id="C1", name="ACME SARL"),
        ...     invoices=[InvoiceLine(id="F-42", number="2026-0042", issued_on=date(2026, 2, 2),
        ...               due_on=date(2026, 3, 2), total="1234.56", amount_due="1234.56",
        ...               days_late=18)],
        ...     message_date=date(2026, 3, 20))
        >>> ctx.amount_due, ctx.currency
        (Decimal('1234.56'), 'EUR')
    """

    model_config = MODEL_CONFIG

    creditor: Creditor
    customer: Customer
    invoices: Annotated[tuple[InvoiceLine, ...], Field(min_length=1)]
    message_date: date
    payment_link: Annotated[str, Field(pattern=r"^https?://[^\s<>\"']+$")] | None = None
    penalties: PenaltySummary | None = None
    unapplied_credit: Amount = Decimal(0)
    attachments: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> RenderContext:
        currencies = {line.currency for line in self.invoices}
        if len(currencies) > 1:
            raise PydanticCustomError(
                "mixed_currencies",
                "one message covers one currency; got {currencies}",
                {"currencies": ", ".join(sorted(currencies))},
            )
        if self.customer.kind is CustomerKind.CONSUMER:
            summaries = [self.penalties, *(line.penalties for line in self.invoices)]
            if any(p is not None and p.indemnity > 0 for p in summaries):
                raise PydanticCustomError(
                    "indemnity_for_consumer",
                    "the 40 EUR recovery indemnity cannot be claimed from a consumer "
                    "(CPCE L111-8): set indemnity to 0",
                )
        if self.amount_due <= 0:
            raise PydanticCustomError(
                "nothing_due",
                "nothing is due once unapplied credit of {credit} is deducted",
                {"credit": str(self.unapplied_credit)},
            )
        return self

    @property
    def currency(self) -> str:
        """The currency of every listed invoice."""
        return self.invoices[0].currency

    @property
    def total_penalties(self) -> PenaltySummary | None:
        """``penalties`` if given, else the invoices' own summaries added up (None if none)."""
        if self.penalties is not None:
            return self.penalties
        return _combine(line.penalties for line in self.invoices)

    @property
    def amount_outstanding(self) -> Decimal:
        """Sum of the amounts due on the listed invoices, before unapplied credit."""
        return sum((line.amount_due for line in self.invoices), Decimal(0))

    @property
    def amount_due(self) -> Decimal:
        """What the customer is asked to pay: outstanding less unapplied credit."""
        return self.amount_outstanding - self.unapplied_credit


class MessageAction(Protocol):
    """What `render` reads from an action: an engine `Action` or a portfolio `CustomerAction`."""

    @property
    def id(self) -> str:
        """Deterministic action id (the idempotency key)."""

    @property
    def template(self) -> str:
        """Template family, e.g. ``reminder``."""

    @property
    def channel(self) -> Channel:
        """Channel the message goes out on."""

    @property
    def level(self) -> int:
        """Escalation level."""

    @property
    def level_name(self) -> str:
        """Display name of the level."""

    @property
    def deadline_on(self) -> date | None:
        """Payment deadline stated in the message, if any."""

    @property
    def deadline_days(self) -> int | None:
        """That deadline in days, if any."""


class Message(BaseModel):
    """A rendered message, ready for the host's sender. Pure data; nothing was sent.

    Attributes:
        action_id: the action rendered (use it as the idempotency key).
        channel: the channel it is meant for.
        template: the template family used.
        locale: the template locale used (``fr``, ``en``...).
        subject: one line.
        text: the plain-text body (also the letter body, and the script of a phone task).
        html: the HTML body, when the pack has one for this family.
        sms: the SMS text in the GSM-7 alphabet, for the SMS channel.
        sms_segments: how many SMS parts ``sms`` takes.
        attachments: references to join (invoice PDFs...), resolved by the host.
        to: where it goes, from the customer's record: the email address for email, the phone
            number for SMS and phone tasks, the postal address for letters; None when the
            customer has none (a sender then refuses it, and the scenario's fallback channel
            takes over). Internal channels (notify staff, handover) have none.
    """

    model_config = MODEL_CONFIG

    action_id: Text
    channel: Channel
    template: Text
    locale: Text
    subject: Text
    text: Text
    html: OptionalText = None
    sms: OptionalText = None
    sms_segments: int | None = None
    attachments: tuple[str, ...] = ()
    to: OptionalText = None


# ---------------------------------------------------------------------------------------------
# Template variables
# ---------------------------------------------------------------------------------------------

CONTEXT_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "creditor": "the creditor: name, address, iban, bic, email, phone, siret, signature",
        "customer": "the debtor: id, name, kind, contact_name, email, phone, postal_address",
        "invoices": "the listed invoices, oldest first: each with id, number, issued_on, "
        "due_on, late_since, total, amount_due, currency, days_late, penalties",
        "invoice": "the first listed invoice (the oldest), same fields as in invoices",
        "currency": "ISO 4217 code of the amounts",
        "amount_outstanding": "sum of amount_due over the invoices (Decimal)",
        "unapplied_credit": "credit notes and payments on account deducted (Decimal, may be 0)",
        "amount_due": "what the customer is asked to pay (Decimal)",
        "penalties": "None, or interest, indemnity, total, rate_description, interest_from",
        "action": "id, kind, level, level_name, channel, deadline_on, deadline_days",
        "payment_link": "None, or the host's payment page",
        "message_date": "the date printed on the message",
        "variant": "a stable integer from the first invoice's id; use variant % n",
        "locale": "the formatting locale (used by the filters)",
    }
)
"""Every variable a template may use, with what it holds. Anything else fails at load time."""


def _penalty_vars(p: PenaltySummary | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "interest": p.interest,
        "indemnity": p.indemnity,
        "total": p.total,
        "rate_description": p.rate_description,
        "interest_from": p.interest_from,
    }


def _line_vars(line: InvoiceLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "number": line.number,
        "issued_on": line.issued_on,
        "due_on": line.due_on,
        "late_since": line.late_since,
        "total": line.total,
        "amount_due": line.amount_due,
        "currency": line.currency,
        "days_late": line.days_late,
        "penalties": _penalty_vars(line.penalties),
    }


def _variant(invoice_id: str) -> int:
    return int(hashlib.sha256(invoice_id.encode()).hexdigest()[:8], 16)


def _variables(
    action: MessageAction, context: RenderContext, *, locale: str, kind: str, variant: int
) -> dict[str, Any]:
    c, cu = context.creditor, context.customer
    lines = tuple(_line_vars(line) for line in context.invoices)
    return {
        "creditor": {
            "name": c.name,
            "address": c.address,
            "iban": c.iban,
            "bic": c.bic,
            "email": c.email,
            "phone": c.phone,
            "siret": c.siret,
            "signature": c.signature,
        },
        "customer": {
            "id": cu.id,
            "name": cu.name,
            "kind": cu.kind.value,
            "contact_name": cu.contact_name,
            "email": cu.email,
            "phone": cu.phone,
            "postal_address": cu.postal_address,
        },
        "invoices": lines,
        "invoice": lines[0],
        "currency": context.currency,
        "amount_outstanding": context.amount_outstanding,
        "unapplied_credit": context.unapplied_credit,
        "amount_due": context.amount_due,
        "penalties": _penalty_vars(context.total_penalties),
        "action": {
            "id": action.id,
            "kind": kind,
            "level": action.level,
            "level_name": action.level_name,
            "channel": action.channel.value,
            "deadline_on": action.deadline_on,
            "deadline_days": action.deadline_days,
        },
        "payment_link": context.payment_link,
        "message_date": context.message_date,
        "variant": variant,
        "locale": locale,
    }


# ---------------------------------------------------------------------------------------------
# The sandboxed environment and its filters
# ---------------------------------------------------------------------------------------------

_MAX_PRODUCT = 10_000  # longest string or list a template may build with * (no memory bombs)
_MAX_EXPONENT = 64


def _locale_of(ctx: Context) -> str:
    return str(ctx.resolve_or_missing("locale"))


def _reject_undefined(value: object) -> None:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError, naming what is missing


def _as_number(value: object, filter_name: str) -> Decimal:
    _reject_undefined(value)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        msg = f"|{filter_name} cannot format {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return Decimal(value)


def _as_date(value: object, filter_name: str) -> date:
    _reject_undefined(value)
    if not isinstance(value, date):
        msg = f"|{filter_name} cannot format {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return value


@pass_context
def _money(ctx: Context, value: object, currency: str | None = None) -> str:
    code = currency or str(ctx.resolve_or_missing("currency"))
    return str(format_currency(_as_number(value, "money"), code, locale=_locale_of(ctx)))


@pass_context
def _date_long(ctx: Context, value: object) -> str:
    return str(format_date(_as_date(value, "date_long"), format="long", locale=_locale_of(ctx)))


@pass_context
def _date_short(ctx: Context, value: object) -> str:
    return str(format_date(_as_date(value, "date_short"), format="short", locale=_locale_of(ctx)))


@pass_context
def _percent(ctx: Context, value: object) -> str:
    # The value is in percent (12.15 means 12.15 %), as rates are quoted in French law.
    ratio = _as_number(value, "percent") / 100
    return str(format_percent(ratio, locale=_locale_of(ctx), decimal_quantization=False))


@pass_context
def _number(ctx: Context, value: object) -> str:
    return str(format_decimal(_as_number(value, "number"), locale=_locale_of(ctx)))


def _iban(value: object) -> str:
    # Printed in groups of four, the way banks print it (ISO 13616 paper format).
    if not isinstance(value, str):
        msg = f"|iban cannot format {type(value).__name__} {value!r}"
        raise TypeError(msg)
    text = value
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _finalize(value: object) -> object:
    # What a template prints must be text: a None would be a blank in a letter, and a raw
    # Decimal or date would be formatted by hand instead of by Babel.
    if value is None:
        msg = "printing None: guard optional values with {% if ... %}"
        raise TypeError(msg)
    if isinstance(value, bool | float | Decimal | date):
        msg = (
            f"printing a raw {type(value).__name__} ({value!r}): format it with "
            "|money, |number, |percent, |date_long or |date_short"
        )
        raise TypeError(msg)
    return value


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, refusing string and list products big enough to exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self,
        context: Context,  # noqa: ARG002  (the signature Jinja calls)
        operator: str,
        left: Any,
        right: Any,
    ) -> Any:
        if operator == "**":
            if isinstance(right, int) and abs(right) > _MAX_EXPONENT:
                msg = f"exponent {right} is too large for a template"
                raise SecurityError(msg)
            return left**right
        for seq, count in ((left, right), (right, left)):
            if (
                isinstance(seq, str | list | tuple)
                and isinstance(count, int)
                and len(seq) * count > _MAX_PRODUCT
            ):
                msg = "the product is too long for a template"
                raise SecurityError(msg)
        return left * right


def _make_environment(sources: Mapping[str, str]) -> _Sandbox:
    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        source = sources.get(name)
        # The file name is the template's name, so tracebacks (and our errors) point at it.
        return None if source is None else (source, name, lambda: True)

    env = _Sandbox(
        loader=jinja2.FunctionLoader(load),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.globals.clear()  # no cycler, joiner, namespace, range, lipsum, dict: less to attack
    env.filters.update(
        money=_money,
        date_long=_date_long,
        date_short=_date_short,
        percent=_percent,
        number=_number,
        iban=_iban,
    )
    return env


# ---------------------------------------------------------------------------------------------
# Template packs
# ---------------------------------------------------------------------------------------------

_NAME = re.compile(
    r"^(?P<locale>[a-z]{2,3}(?:_[A-Za-z0-9]+)*)/(?P<family>_?[a-z][a-z0-9_]*)"
    r"\.(?P<part>subject|txt|html|sms)\.j2$"
)
_PARTS_REQUIRED = ("subject", "txt")
_VARIANT_SEEDS = range(12)  # covers every choice of variant % n for n in 1..4 and 6
_BLANK_LINES = re.compile(r"\n{3,}")
_ASCII_SPACES = re.compile(r"[ \t\r\n]+")
_ASCII_WHITESPACE = " \t\r\n"


def _line_of(error: BaseException, names: Mapping[str, str]) -> tuple[str | None, int | None]:
    """The innermost pack template and line in *error*'s traceback (Jinja rewrites it so)."""
    found: tuple[str | None, int | None] = (None, None)
    tb: TracebackType | None = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in names:
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _render_error(
    error: Exception, name: str, sources: Mapping[str, str], during: str
) -> TemplateError:
    if isinstance(error, TemplateError):
        if error.template is None:
            return TemplateError(str(error), template=name, code=error.code)
        return error
    where, line = _line_of(error, sources)
    if isinstance(error, SecurityError):
        code, what = "unsafe_template", "unsafe code refused by the sandbox"
    elif isinstance(error, jinja2.exceptions.UndefinedError):
        code, what = "undefined_variable", "undefined value"
    else:
        code, what = "render_failed", "cannot render"
    msg = f"{what} {during}: {error}"
    return TemplateError(msg, template=where or name, line=line, code=code)


def _normalise(text: str) -> str:
    # Trailing spaces and runs of blank lines are template noise, never content.
    # Only ASCII whitespace is trimmed: Babel's no-break spaces are content.
    text = text.strip(_ASCII_WHITESPACE)
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text)


@dataclass(frozen=True, eq=False)
class TemplatePack:
    """A validated set of templates, by locale and family. Build it with `from_mapping`.

    Attributes:
        sources: template sources by name (``fr/reminder.txt.j2``).
        max_sms_segments: the most SMS parts a message may take.

    Raises:
        TemplateError: when built, for a bad name, a syntax error, an unknown variable, a
            template failing on a sample context, a family without subject or text, or an
            SMS that cannot fit.

    Examples:
        >>> pack = builtin_pack()
        >>> sorted(pack.locales)
        ['en', 'fr']
        >>> pack.has("fr", "formal_notice", "subject"), pack.has("fr", "formal_notice", "sms")
        (True, False)
    """

    sources: Mapping[str, str]
    max_sms_segments: int = DEFAULT_MAX_SMS_SEGMENTS
    _env: _Sandbox = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Compile and check every template (see the module docstring)."""
        sources = MappingProxyType(dict(sorted(self.sources.items())))
        object.__setattr__(self, "sources", sources)
        if self.max_sms_segments < 1:
            msg = f"max_sms_segments must be at least 1, got {self.max_sms_segments}"
            raise TemplateError(msg, code="invalid_sms_limit")
        object.__setattr__(self, "_env", _make_environment(sources))
        for name in sources:
            self._compile(name)
        self._check_families()
        for name in sources:
            self._check_by_rendering(name)

    @classmethod
    def from_mapping(
        cls,
        sources: Mapping[str, str],
        *,
        base: TemplatePack | None = None,
        max_sms_segments: int | None = None,
    ) -> TemplatePack:
        """Build a pack from ``{name: source}``, optionally merged over *base*.

        Args:
            sources: template sources named ``<locale>/<family>.<part>.j2``.
            base: a pack whose templates apply unless *sources* overrides them (e.g.
                `builtin_pack()`); None for a standalone pack.
            max_sms_segments: SMS ceiling; defaults to the base's, else
                `DEFAULT_MAX_SMS_SEGMENTS`.

        Returns:
            The checked pack.

        Raises:
            TemplateError: see the class.

        Examples:
            >>> pack = TemplatePack.from_mapping({
            ...     "fr/reminder.subject.j2": "Facture {{ invoice.number }} : rappel"},
            ...     base=builtin_pack())
            >>> pack.sources["fr/reminder.subject.j2"]
            'Facture {{ invoice.number }} : rappel'
            >>> TemplatePack.from_mapping({"fr/reminder.subject.j2": "{{ amout }}",
            ...                            "fr/reminder.txt.j2": "x"})
            Traceback (most recent call last):
            ...
            dunning.exceptions.TemplateError: fr/reminder.subject.j2, line 1: unknown variable ...
        """
        merged = dict(base.sources) if base is not None else {}
        merged.update(sources)
        if max_sms_segments is None:
            max_sms_segments = (
                base.max_sms_segments if base is not None else DEFAULT_MAX_SMS_SEGMENTS
            )
        return cls(merged, max_sms_segments)

    def with_overrides(self, sources: Mapping[str, str]) -> TemplatePack:
        """A new pack: this one with *sources* added or replaced (see `from_mapping`)."""
        return TemplatePack.from_mapping(sources, base=self)

    @property
    def locales(self) -> frozenset[str]:
        """The locales the pack has templates for."""
        return frozenset(name.split("/", 1)[0] for name in self.sources)

    def has(self, locale: str, family: str, part: str) -> bool:
        """Whether the pack has ``<locale>/<family>.<part>.j2``."""
        return f"{locale}/{family}.{part}.j2" in self.sources

    def families(self, locale: str) -> frozenset[str]:
        """The template families (not partials) the pack has for *locale*."""
        found = set()
        for name in self.sources:
            match = _NAME.match(name)
            if match and match["locale"] == locale and not match["family"].startswith("_"):
                found.add(match["family"])
        return frozenset(found)

    def resolve_locale(self, locale: str) -> str:
        """The pack locale for a customer locale: exact (``fr_CA``), else language (``fr``).

        Raises:
            TemplateError: ``locale_not_available``, listing the pack's locales.

        Examples:
            >>> builtin_pack().resolve_locale("fr_BE")
            'fr'
        """
        if locale in self.locales:
            return locale
        try:
            language = Locale.parse(locale).language
        except (UnknownLocaleError, ValueError):
            language = locale.split("_", 1)[0]
        if language in self.locales:
            return language
        known = ", ".join(sorted(self.locales))
        msg = f"no templates for locale {locale!r}; the pack has: {known}"
        raise TemplateError(msg, code="locale_not_available")

    # -- building ---------------------------------------------------------------------------

    def _compile(self, name: str) -> None:
        match = _NAME.match(name)
        if match is None:
            msg = (
                "a template name is <locale>/<family>.<part>.j2 with part one of subject, "
                "txt, html, sms (e.g. fr/reminder.txt.j2)"
            )
            raise TemplateError(msg, template=name, code="invalid_template_name")
        try:
            Locale.parse(match["locale"])
        except (UnknownLocaleError, ValueError):
            msg = f"{match['locale']!r} is not a locale Babel knows"
            raise TemplateError(msg, template=name, code="unknown_locale") from None
        try:
            ast = self._env.parse(self.sources[name], name=name, filename=name)
            self._env.get_template(name)
        except jinja2.exceptions.TemplateSyntaxError as error:
            msg = f"syntax error: {error.message}"
            raise TemplateError(
                msg, template=error.name or name, line=error.lineno, code="template_syntax"
            ) from None
        unknown = meta.find_undeclared_variables(ast) - set(CONTEXT_VARIABLES)
        if unknown:
            first = min(
                (node.lineno, node.name)
                for node in ast.find_all(nodes.Name)
                if node.name in unknown
            )
            msg = (
                f"unknown variable {first[1]!r}; templates may use: "
                f"{', '.join(sorted(CONTEXT_VARIABLES))}"
            )
            raise TemplateError(msg, template=name, line=first[0], code="unknown_variable")

    def _check_families(self) -> None:
        parts: dict[tuple[str, str], set[str]] = {}
        for name in self.sources:
            match = _NAME.match(name)
            if match and not match["family"].startswith("_"):
                parts.setdefault((match["locale"], match["family"]), set()).add(match["part"])
        for (locale, family), have in sorted(parts.items()):
            for part in _PARTS_REQUIRED:
                if part not in have:
                    msg = f"family {family!r} has no {part} template ({locale}/{family}.{part}.j2)"
                    raise TemplateError(msg, template=f"{locale}/{family}", code="missing_template")

    def _check_by_rendering(self, name: str) -> None:
        match = _NAME.match(name)
        if match is None:  # pragma: no cover  (_compile rejected it)
            return
        locale, family, part = match["locale"], match["family"], match["part"]
        kind = family.removeprefix("_")
        for label, action, context in _samples(locale, family):
            for seed in _VARIANT_SEEDS:
                variables = _variables(action, context, locale=locale, kind=kind, variant=seed)
                text = self._render(name, variables, f"on the sample context {label!r}")
                if part == "sms":
                    self._check_sms(name, text, label)

    def _render(self, name: str, variables: Mapping[str, Any], during: str) -> str:
        try:
            return self._env.get_template(name).render(variables)
        except (jinja2.exceptions.TemplateError, TemplateError, TypeError, ValueError) as error:
            raise _render_error(error, name, self.sources, during) from error
        except ArithmeticError as error:
            raise _render_error(error, name, self.sources, during) from error

    def _check_sms(self, name: str, text: str, label: str) -> str:
        sms = to_gsm7(_normalise(text), template=name)
        count = sms_segments(sms)
        if count > self.max_sms_segments:
            msg = (
                f"the SMS takes {count} parts on the sample context {label!r}, more than "
                f"max_sms_segments={self.max_sms_segments} ({len(sms)} characters)"
            )
            raise TemplateError(msg, template=name, code="sms_too_long")
        return sms

    # -- rendering --------------------------------------------------------------------------

    def render_part(self, locale: str, family: str, part: str, variables: Mapping[str, Any]) -> str:
        """Render one part; errors are `TemplateError` naming the template and the line."""
        name = f"{locale}/{family}.{part}.j2"
        if name not in self.sources:
            msg = f"the pack has no template {name}"
            raise TemplateError(msg, template=name, code="missing_template")
        return self._render(name, variables, "for this message")


# ---------------------------------------------------------------------------------------------
# Sample contexts for load-time checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SampleAction:
    id: str
    template: str
    channel: Channel
    level: int
    level_name: str
    deadline_on: date | None
    deadline_days: int | None


_LONG_CREDITOR = Creditor(
    name="Établissements Durand-Lefèvre et Associés SAS",  # 45 characters, plausible
    address="Zone d'activité des Grandes Terres, 1250 avenue du Général de Gaulle, "
    "69800 Saint-Priest",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPPXXX",
    email="recouvrement.clients@durand-lefevre-associes.example",
    phone="+33 4 72 00 00 00",
    siret="12345678901234",
    signature="Service recouvrement - Établissements Durand-Lefèvre",
)
_SHORT_CREDITOR = Creditor(
    name="Durand", address="Lyon", iban="FR7630006000011234567890189", bic="AGRIFRPP", email="d@x"
)
_SAMPLE_LINK = "https://paiement.durand-lefevre-associes.example/p/2026-000123-7f3a9c"  # 66 chars


def _sample_line(n: int, *, penalties: PenaltySummary | None) -> InvoiceLine:
    return InvoiceLine(
        id=f"sample-invoice-{n}",
        number=f"FAC-2026-00{n:04d}-REG",  # 17 characters: long invoice numbers exist
        issued_on=date(2026, 1, 1 + n),
        due_on=date(2026, 2, 1 + n),
        total=Decimal("987654.32"),
        amount_due=Decimal("876543.21"),
        days_late=365 - n,
        penalties=penalties,
        document=f"invoice:{n}.pdf",
    )


@cache
def _samples(locale: str, family: str) -> tuple[tuple[str, _SampleAction, RenderContext], ...]:
    """Sample contexts covering what templates must cope with (long values, absent options)."""
    big = PenaltySummary(
        interest=Decimal("98765.43"),
        indemnity=Decimal(40),
        total=Decimal("98805.43"),
        rate_description="12,15 % (taux de la BCE + 10 points)",
        interest_from=date(2026, 2, 2),
    )
    consumer_interest = PenaltySummary(
        interest=Decimal("1.50"),
        indemnity=Decimal(0),
        total=Decimal("1.50"),
        rate_description="6,67 %",
        interest_from=date(2026, 3, 1),
    )
    kind = family.removeprefix("_")
    with_deadline = _SampleAction("act_sample", kind, Channel.EMAIL, 5, "formal notice",
                                  date(2026, 12, 31), 8)  # fmt: skip
    no_deadline = _SampleAction("act_sample", kind, Channel.SMS, 1, "reminder", None, None)
    business = Customer(
        id="sample-business",
        name="Société Nouvelle des Transports Martin-Rousseau SARL",
        contact_name="Marie-Hélène de La Fontaine-Martin",
        email="comptabilite.fournisseurs@transports-martin-rousseau.example",
        phone="+33 6 12 34 56 78",
        postal_address="Bâtiment B, 45 boulevard de la République, 13001 Marseille",
        locale=locale,
    )
    consumer = Customer(id="sample-consumer", name="Li", kind=CustomerKind.CONSUMER, locale=locale)
    public = business.model_copy(update={"kind": CustomerKind.PUBLIC, "contact_name": None})
    return (
        (
            "business, three invoices, penalties, long values",
            with_deadline,
            RenderContext(
                creditor=_LONG_CREDITOR,
                customer=business,
                invoices=tuple(_sample_line(n, penalties=big) for n in (1, 2, 3)),
                message_date=date(2026, 12, 23),
                payment_link=_SAMPLE_LINK,
                penalties=big,
                unapplied_credit=Decimal("1234.56"),
                attachments=("statement:sample",),
            ),
        ),
        (
            "consumer, one invoice, no optional value",
            no_deadline,
            RenderContext(
                creditor=_SHORT_CREDITOR,
                customer=consumer,
                invoices=(
                    InvoiceLine(
                        id="s",
                        number="1",
                        issued_on=date(2026, 1, 1),
                        due_on=date(2026, 1, 31),
                        total=Decimal(1),
                        amount_due=Decimal("0.01"),
                        days_late=1,
                    ),
                ),
                message_date=date(2026, 2, 1),
            ),
        ),
        (
            "public buyer, one invoice, long values, before due",
            no_deadline,
            RenderContext(
                creditor=_LONG_CREDITOR,
                customer=public,
                invoices=(_sample_line(9, penalties=None).model_copy(update={"days_late": -3}),),
                message_date=date(2026, 2, 7),
                payment_link=_SAMPLE_LINK,
            ),
        ),
        (
            "consumer, legal interest",
            with_deadline,
            RenderContext(
                creditor=_LONG_CREDITOR,
                customer=consumer.model_copy(update={"contact_name": "Li"}),
                invoices=(_sample_line(4, penalties=consumer_interest),),
                message_date=date(2026, 3, 10),
                penalties=consumer_interest,
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------
# The built-in pack, scenario checks, render
# ---------------------------------------------------------------------------------------------


def _walk(folder: Any, prefix: str) -> Iterator[tuple[str, str]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".j2"):
            yield f"{prefix}{entry.name}", entry.read_text(encoding="utf-8")


@cache
def builtin_pack() -> TemplatePack:
    """The French and English templates shipped with the package (checked once, then shared).

    Returns:
        The pack read from the package data ``dunning/core/templates/<locale>/``.

    Examples:
        >>> sorted(builtin_pack().families("en"))  # doctest: +NORMALIZE_WHITESPACE
        ['courtesy', 'firm', 'formal_notice', 'friendly', 'handover', 'internal_alert',
         'phone_call', 'reminder']
    """
    root = resources.files("dunning.core.templates")
    sources = dict(_walk(root, ""))
    return TemplatePack(sources)


def check_scenario_templates(scenario: Scenario, pack: TemplatePack | None = None) -> None:
    """Check that *pack* has, in every locale, the templates a scenario's steps need.

    Each step's template family needs a subject and a text body, and an SMS part when the
    step's channel or fallback channel is SMS.

    Args:
        scenario: a `dunning.core.scenario.Scenario`.
        pack: the pack to check; the built-in pack by default.

    Raises:
        TemplateError: ``missing_template``, naming the step and the template.

    Examples:
        >>> from dunning.core.builtin import BUILTIN_SCENARIOS
        >>> for s in BUILTIN_SCENARIOS.values():
        ...     check_scenario_templates(s)
        >>> from dunning.core.scenario import scenario_from_mapping
        >>> s = scenario_from_mapping({"id": "x", "steps": [{"id": "a", "kind": "formal_notice",
        ...     "level": 1, "offset_days": 30, "channel": "sms"}]})
        >>> check_scenario_templates(s)
        Traceback (most recent call last):
        ...
        dunning.exceptions.TemplateError: en/formal_notice.sms.j2: step 'a' is sent by SMS ...
    """
    for step_id, template, message in missing_templates(scenario, pack):
        msg = f"step {step_id!r} {message}"
        raise TemplateError(msg, template=template, code="missing_template")


def missing_templates(
    scenario: Scenario, pack: TemplatePack | None = None
) -> list[tuple[str, str, str]]:
    """The templates *pack* lacks for *scenario*, as ``(step id, template, what)`` triples.

    The non-raising form of `check_scenario_templates`, used by `dunning.lint`.

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> missing_templates(STANDARD)
        []
    """
    pack = pack if pack is not None else builtin_pack()
    steps = [*scenario.steps]
    if scenario.broken_promise_step is not None:
        steps.append(scenario.broken_promise_step)
    found: list[tuple[str, str, str]] = []
    for locale in sorted(pack.locales):
        for step in steps:
            for part in _PARTS_REQUIRED:
                if not pack.has(locale, step.template, part):
                    name = f"{locale}/{step.template}.{part}.j2"
                    found.append((step.id, name, "needs this template, which the pack lacks"))
            if Channel.SMS in (step.channel, step.fallback_channel) and not pack.has(
                locale, step.template, "sms"
            ):
                name = f"{locale}/{step.template}.sms.j2"
                found.append((step.id, name, "is sent by SMS but the pack has no SMS template"))
    return found


def render(
    action: MessageAction, context: RenderContext, *, pack: TemplatePack | None = None
) -> Message:
    r"""Render the message for *action*: subject, text, HTML if any, SMS for the SMS channel.

    Pure: nothing is read or sent. The templates come from *pack* (the built-in pack by
    default), in the customer's locale (exact, then its language).

    Args:
        action: an engine `Action` or a portfolio `CustomerAction`.
        context: creditor, customer, invoices, payment link, penalties.
        pack: the template pack.

    Returns:
        The `Message`.

    Raises:
        TemplateError: ``locale_not_available``, ``missing_template`` (e.g. no SMS template for
            an SMS action), ``sms_not_gsm7`` or ``sms_too_long`` when the real data break the
            SMS limits, or a render error naming the template and line.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.engine import Action
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
        'Relance : facture 2026-0042 impayée'
        >>> "1\u202f234,56\u00a0€" in message.text, message.sms_segments, message.attachments
        (True, 1, ('pdf:2026-0042',))
    """
    pack = pack if pack is not None else builtin_pack()
    locale = pack.resolve_locale(context.customer.locale)
    family = action.template
    kind = getattr(action, "kind", family)
    variables = _variables(
        action,
        context,
        locale=context.customer.locale,
        kind=str(getattr(kind, "value", kind)),
        variant=_variant(context.invoices[0].id),
    )
    # Only ASCII whitespace is layout: Babel's no-break spaces inside amounts are content.
    subject = _ASCII_SPACES.sub(" ", pack.render_part(locale, family, "subject", variables))
    subject = subject.strip(_ASCII_WHITESPACE)
    text = _normalise(pack.render_part(locale, family, "txt", variables))
    html = None
    if pack.has(locale, family, "html"):
        html = _normalise(pack.render_part(locale, family, "html", variables))
    sms = segments = None
    if action.channel is Channel.SMS:
        name = f"{locale}/{family}.sms.j2"
        sms = to_gsm7(_normalise(pack.render_part(locale, family, "sms", variables)), template=name)
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
