"""What a message is about: creditor, penalties, invoice lines, context, and the `Message`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, Protocol

from babel import Locale
from babel.numbers import format_percent
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dunning.core._types import (
    MODEL_CONFIG,
    Amount,
    Currency,
    LocaleName,
    PositiveAmount,
)
from dunning.core.model import (
    Channel,
    Customer,
    CustomerKind,
    Event,
    Invoice,
    corrected,
)
from dunning.core.model import CreditNote as _CreditNote
from dunning.core.model import Payment as _Payment
from dunning.core.penalties.compute import PenaltyBreakdown, PenaltyLine
from dunning.core.penalties.regimes import PenaltyRegime
from dunning.core.render.identity import siren_ok, vat_key

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
        siren: the 9-digit SIREN (Luhn-checked), shown in letters with the RCS (Code de
            commerce R123-237); the SIRET, if given, must start with it.
        rcs: the registration as letters show it, ``RCS <city> <SIREN>`` (e.g.
            ``RCS Lyon 732 829 320``).
        vat_number: the intra-community VAT number; a French one (``FR`` + key + SIREN) has
            its key checked, and must carry the SIREN when both are given.
        signature: who signs, e.g. ``Le service comptabilité``; defaults to the name.
        signatory_name: the person who signs formal notices and firm letters, e.g.
            ``Claire Durand`` (a formal notice should carry a named signatory).
        signatory_title: that person's title, e.g. ``Gérante``.
        staff_locale: the locale of the creditor's staff: call scripts, internal alerts and
            handover notes are written in it (e.g. ``fr_FR``); None: the customer's locale.

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
    siren: Annotated[str, Field(pattern=r"^\d{9}$")] | None = None
    rcs: Annotated[str, Field(pattern=r"^RCS [^\d\s][^\d]* [\d ]{9,11}$")] | None = None
    vat_number: Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z0-9]{2,12}$")] | None = None
    signature: OptionalText = None
    signatory_name: OptionalText = None
    signatory_title: OptionalText = None
    staff_locale: LocaleName | None = None

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

    @model_validator(mode="after")
    def _identifiers_agree(self) -> Creditor:
        siren = self.siren
        if siren is not None and not siren_ok(siren):
            raise PydanticCustomError(
                "invalid_siren", "siren '{value}' fails its check digit", {"value": siren}
            )
        if siren is not None and self.siret is not None and not self.siret.startswith(siren):
            raise PydanticCustomError(
                "siret_siren_mismatch",
                "siret '{siret}' does not start with the siren '{siren}'",
                {"siret": self.siret, "siren": siren},
            )
        if self.rcs is not None and siren is not None and siren not in self.rcs.replace(" ", ""):
            raise PydanticCustomError(
                "rcs_siren_mismatch",
                "rcs '{rcs}' does not carry the siren '{siren}'",
                {"rcs": self.rcs, "siren": siren},
            )
        vat = self.vat_number
        if vat is not None and vat.startswith("FR"):
            body = vat[4:]
            if not re.fullmatch(r"FR\d{11}", vat) or vat[2:4] != vat_key(body):
                raise PydanticCustomError(
                    "invalid_vat_number",
                    "vat_number '{value}' is not FR + its 2-digit key + a SIREN",
                    {"value": vat},
                )
            if siren is not None and body != siren:
                raise PydanticCustomError(
                    "vat_siren_mismatch",
                    "vat_number '{value}' does not carry the siren '{siren}'",
                    {"value": vat, "siren": siren},
                )
        return self

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


class PenaltyPeriod(BaseModel):
    """One period of interest as a letter states it: dates, principal, rate, interest.

    The debtor can recompute it: ``principal x rate / 100 x days / 365`` rounded to the cent
    (the breakdown's convention; see `PenaltyBreakdown.conventions`).

    Attributes:
        start: first day of interest in the period.
        end: last day (included).
        days: ``end - start + 1``.
        principal: the balance bearing interest during the period.
        rate: annual rate in percent (12.15 means 12.15 %).
        interest: interest of the period.
        provisional: the rate uses a value the rate table marks provisional.

    Examples:
        >>> from datetime import date
        >>> PenaltyPeriod(start=date(2026, 3, 3), end=date(2026, 3, 20), days=18,
        ...               principal="1234.56", rate="12.15", interest="7.40").days
        18
    """

    model_config = MODEL_CONFIG

    start: date
    end: date
    days: Annotated[int, Field(ge=1)]
    principal: Amount
    rate: Decimal
    interest: Amount
    provisional: bool = False

    @classmethod
    def from_line(cls, line: PenaltyLine) -> PenaltyPeriod:
        """The period of one `PenaltyLine` of a breakdown."""
        return cls(
            start=line.first_day,
            end=line.last_day,
            days=line.days,
            principal=line.principal,
            rate=line.annual_rate,
            interest=line.interest,
            provisional=line.provisional,
        )


class PenaltySummary(BaseModel):
    """Late-payment penalties owed, as the host computed them (e.g. with the penalties module).

    Attributes:
        interest: late-payment interest owed at the message date.
        indemnity: the fixed recovery indemnity (40 EUR per invoice, Code de commerce D441-5);
            must be 0 for a consumer (Code de commerce L441-10 and D441-5 bind a professional
            debtor only).
        total: interest + indemnity.
        rate_description: how the rate is described to the customer, e.g.
            ``12,15 % (taux BCE + 10 points)``.
        interest_from: the first day interest runs.
        periods: the periods of interest, in order (empty when the host gave totals only):
            letters print them so the debtor can recompute the interest.
        formal_notice_on: the date of the formal notice interest runs from (consumers):
            letters say "depuis notre mise en demeure du ..." with it. Interest runs from
            the day after (the notice day is excluded, as the due date is), so
            ``interest_from`` is usually the next day.
        regime: the legal regime applied, if known (words the basis of the rate).

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
    periods: tuple[PenaltyPeriod, ...] = ()
    formal_notice_on: date | None = None
    regime: PenaltyRegime | None = None

    @property
    def provisional(self) -> bool:
        """Whether a period uses a rate the rate table marks provisional."""
        return any(p.provisional for p in self.periods)

    @classmethod
    def from_breakdown(
        cls,
        breakdown: PenaltyBreakdown,
        *,
        locale: str = "fr_FR",
        formal_notice_on: date | None = None,
    ) -> PenaltySummary | None:
        r"""Summarise a `PenaltyBreakdown` for a message, rates worded in *locale*.

        Returns None when the breakdown has no period of interest (not late, or a consumer
        who has not been served a formal notice): there is nothing to state. The periods are
        the breakdown's lines. For the consumer regime, *formal_notice_on* is the notice
        interest runs from; when not given, the day before the first day of interest (the
        notice day is excluded, like a due date), which is the notice unless the contract
        makes interest run from the due date (then pass the notice, or None, yourself).

        Examples:
            >>> from datetime import date
            >>> from dunning.core.penalties import penalties_for_amount
            >>> b = penalties_for_amount("1200.00", date(2026, 4, 27), date(2026, 5, 18))
            >>> s = PenaltySummary.from_breakdown(b, locale="fr_FR")
            >>> s.rate_description
            '12,15\xa0% (taux BCE + 10 points)'
            >>> s.interest_from, s.interest, s.total
            (datetime.date(2026, 4, 28), Decimal('8.39'), Decimal('48.39'))
            >>> [(str(p.start), str(p.end), p.days, str(p.rate)) for p in s.periods]
            [('2026-04-28', '2026-05-18', 21, '12.15')]
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
        first_day = breakdown.lines[0].first_day
        if breakdown.regime is PenaltyRegime.CONSUMER and formal_notice_on is None:
            formal_notice_on = first_day - timedelta(days=1)
        return cls(
            interest=breakdown.interest,
            indemnity=breakdown.recovery_indemnity,
            total=breakdown.total,
            rate_description=f"{text} ({basis})" if basis else text,
            interest_from=first_day,
            periods=tuple(PenaltyPeriod.from_line(line) for line in breakdown.lines),
            formal_notice_on=formal_notice_on,
            regime=breakdown.regime,
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
    if len(given) == 1:
        return given[0]  # the sums of one summary are that summary (it is immutable)
    rates = list(dict.fromkeys(p.rate_description for p in given))
    regimes = {p.regime for p in given}
    notices = {p.formal_notice_on for p in given}
    return PenaltySummary(
        interest=sum((p.interest for p in given), Decimal(0)),
        indemnity=sum((p.indemnity for p in given), Decimal(0)),
        total=sum((p.total for p in given), Decimal(0)),
        rate_description=" ; ".join(rates),
        interest_from=min(p.interest_from for p in given),
        # The periods stay with each invoice's own summary: a sum of periods means nothing.
        formal_notice_on=notices.pop() if len(notices) == 1 else None,
        regime=regimes.pop() if len(regimes) == 1 else None,
    )


class Receipt(BaseModel):
    """Money received on an invoice, as a letter lists it: a payment or a credit note.

    Attributes:
        kind: ``payment`` or ``credit_note``.
        on: the date it was received (the credit note's date).
        amount: how much it settled.

    Examples:
        >>> from datetime import date
        >>> Receipt(kind="payment", on=date(2026, 3, 10), amount="265.44").amount
        Decimal('265.44')
    """

    model_config = MODEL_CONFIG

    kind: Literal["payment", "credit_note"]
    on: date
    amount: PositiveAmount


LineRole = Literal["demanded", "listed", "upcoming", "disputed"]
"""What a message does with an invoice line (see `InvoiceLine.role`)."""


def _receipts(events: Sequence[Event], on: date) -> tuple[Receipt, ...]:
    return tuple(
        Receipt(kind=e.kind, on=e.on, amount=e.amount)
        for e in sorted(
            (e for e in events if isinstance(e, _Payment | _CreditNote) and e.on <= on),
            key=lambda e: e.on,
        )
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
        receipts: payments and credit notes received on it by the message date, oldest
            first (the letter lists them with their dates, then the balance).
        role: what the message does with it: ``demanded`` (the demand, its penalties, its
            indemnity and any threat cover it), ``listed`` (overdue but listed apart, with no
            threat and no indemnity claimed in this message), ``upcoming`` (not yet due, "à
            échoir": only in the statement) or ``disputed`` (in the statement, marked
            excluded, never in the demand). Totals demanded count ``demanded`` lines only.

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
    receipts: tuple[Receipt, ...] = ()
    role: LineRole = "demanded"

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

        Returns:
            The line, with the payments and credit notes received by *on* as ``receipts``.

        Examples:
            >>> from datetime import date
            >>> from dunning.core.model import Customer, Invoice, Payment
            >>> inv = Invoice(id="F-42", number="2026-0042", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 2, 2), due_on=date(2026, 3, 2), total="1500")
            >>> line = InvoiceLine.from_invoice(
            ...     inv, [Payment(on=date(2026, 3, 10), amount="265.44")], on=date(2026, 3, 20))
            >>> line.amount_due, line.days_late, line.due_on
            (Decimal('1234.56'), 18, datetime.date(2026, 3, 2))
            >>> [(r.kind, str(r.on), str(r.amount)) for r in line.receipts]
            [('payment', '2026-03-10', '265.44')]
        """
        events = corrected(invoice, events)
        return cls(
            **_line_values(invoice, events, on),
            penalties=penalties,
            document=document,
            receipts=_receipts(events, on),
        )


def _line_values(invoice: Invoice, events: Sequence[Event], on: date) -> dict[str, Any]:
    """The fields of an `InvoiceLine` for *invoice* at the end of day *on*, in field order.

    One pass over the events: what was settled by *on*, applied to the schedule in due-date
    order, gives the oldest part still owed (its due date, the days since it) and the balance.
    """
    settled = _settled(events, on)
    due_on = invoice.last_due_on
    cumulative = Decimal(0)
    for due, amount in invoice.schedule:
        cumulative += amount
        if settled < cumulative:
            due_on = due
            break
    total = invoice.total
    return {
        "id": invoice.id,
        "number": invoice.number,
        "issued_on": invoice.issued_on,
        "due_on": due_on,
        "total": total,
        "amount_due": max(total - settled, Decimal(0)),
        "currency": invoice.currency,
        # Days past the oldest part still owed (negative before it; past the last due date
        # once everything is paid), as `days_late` counts them when late.
        "days_late": (on - due_on).days,
    }


def invoice_line(
    invoice: Invoice,
    events: Sequence[Event],
    *,
    on: date,
    penalties: PenaltySummary | None,
    document: str | None,
) -> InvoiceLine:
    """`InvoiceLine.from_invoice` for the core's own callers, from values already worked out.

    *invoice*, *events*, *penalties* and *document* come from validated models (an
    `InvoiceHistory`, say). The line is validated as any other: skipping it (with
    ``model_construct``) saves nothing measurable on this model.
    """
    events = corrected(invoice, events)
    values = _line_values(invoice, events, on)
    values["penalties"] = penalties
    values["document"] = document
    values["receipts"] = _receipts(events, on)
    values["role"] = "demanded"
    return InvoiceLine(**values)


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
        previous_messages: how many messages the customer has already received about these
            invoices (reminders actually delivered); 0 when unknown, so a message never claims
            an earlier one that may not exist. From 1 on, the message carries a statement of
            account (relevé de compte).
        earlier_reminders: dates of the reminders already delivered to this customer about
            the invoices demanded, oldest first: a formal notice says "malgré nos relances
            des 3 et 10 avril 2026"; empty, it never claims a reminder.
        notice_on: date of an earlier formal notice to this customer, if any: any later
            message is worded after it ("suite à notre mise en demeure du 11 mai 2026") and
            never announces a notice.
        complementary_notice: this formal notice complements the one of ``notice_on`` (it
            says so).

    Raises:
        pydantic.ValidationError: ``nothing_demanded`` (no line has the role ``demanded``),
            ``complementary_without_notice``, ``mixed_currencies``,
            ``indemnity_for_consumer`` (the 40 EUR indemnity is owed by a professional
            debtor only, Code de commerce L441-10 and D441-5) or ``nothing_due``.

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
    previous_messages: Annotated[int, Field(ge=0)] = 0
    earlier_reminders: tuple[date, ...] = ()
    notice_on: date | None = None
    complementary_notice: bool = False

    @model_validator(mode="after")
    def _check(self) -> RenderContext:
        if not any(line.role == "demanded" for line in self.invoices):
            raise PydanticCustomError(
                "nothing_demanded",
                "a message demands at least one invoice: no line has the role 'demanded'",
            )
        if self.complementary_notice and self.notice_on is None:
            raise PydanticCustomError(
                "complementary_without_notice",
                "a complementary notice needs notice_on, the date of the notice it complements",
            )
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
                    "the 40 EUR recovery indemnity is owed by a professional debtor only "
                    "(Code de commerce L441-10 and D441-5), not by a consumer: set indemnity to 0",
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
    def demanded(self) -> tuple[InvoiceLine, ...]:
        """The lines this message demands (role ``demanded``), in order."""
        return tuple(line for line in self.invoices if line.role == "demanded")

    @property
    def total_penalties(self) -> PenaltySummary | None:
        """``penalties`` if given, else the demanded lines' summaries added up (None if none)."""
        if self.penalties is not None:
            return self.penalties
        return _combine(line.penalties for line in self.demanded)

    @property
    def amount_outstanding(self) -> Decimal:
        """Sum of the amounts due on the demanded lines, before unapplied credit."""
        return sum((line.amount_due for line in self.demanded), Decimal(0))

    @property
    def balance(self) -> Decimal:
        """The statement's net balance: every line but the disputed ones, less unapplied credit.

        Examples:
            >>> from datetime import date
            >>> line = InvoiceLine(id="F", number="1", issued_on=date(2026, 1, 1),
            ...                    due_on=date(2026, 2, 1), total="100", amount_due="100",
            ...                    days_late=5)
            >>> ctx = RenderContext.model_construct(
            ...     invoices=(line, line.model_copy(update={"role": "upcoming"}),
            ...               line.model_copy(update={"role": "disputed"})),
            ...     unapplied_credit=Decimal(30))
            >>> ctx.balance
            Decimal('170')
        """
        owed = sum(
            (line.amount_due for line in self.invoices if line.role != "disputed"), Decimal(0)
        )
        return owed - self.unapplied_credit

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
