"""Legal dates around a claim: the longest payment term allowed, and when a claim is time-barred.

How this works: each payment-term rule of Code de commerce L441-10 I and L441-11 is a row of
`_RULES` (from which date it counts, how far, the article), and month arithmetic is done with
`dateutil.relativedelta` only. "45 days end of month" has two computations accepted by the
Commission d'examen des pratiques commerciales (CEPC); both are rules of their own, so the
contract decides which one to check. For an invoice dated 2026-01-15:

- 60 days: 2026-03-16;
- 45 days, then end of that month: 2026-03-31;
- end of the invoice month, then 45 days: 2026-03-17.

Prescription: 5 years for a claim between merchants or a merchant and a non-merchant
(Code de commerce L110-4), 2 years for a professional against a consumer (Code de la
consommation L218-2), counted from the completion of the work or service (Cass. 3e civ.,
1 March 2023, 21-23.176), not from the invoice date.

Examples:
    >>> from datetime import date, timedelta
    >>> check = payment_term_check(date(2026, 1, 15), date(2026, 3, 20))
    >>> check.ok, check.maximum_due_on, check.days_over
    (False, datetime.date(2026, 3, 16), 4)
    >>> prescription_date(date(2024, 3, 15), "consumer")
    datetime.date(2026, 3, 15)
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from dunning.core._types import MODEL_CONFIG
from dunning.core.model import CustomerKind

__all__ = [
    "PaymentTermCheck",
    "PaymentTermRule",
    "maximum_due_date",
    "payment_term_check",
    "prescription_date",
]

_END_OF_MONTH = relativedelta(day=31)  # relativedelta clamps day=31 to the month's last day


class PaymentTermRule(StrEnum):
    """A legal maximum payment term (Code de commerce L441-10 I, L441-11)."""

    SIXTY_DAYS = "sixty_days"
    """Agreed maximum: 60 days after the invoice date (L441-10 I)."""
    FORTY_FIVE_DAYS_THEN_END_OF_MONTH = "forty_five_days_then_end_of_month"
    """45 days end of month, read as invoice date + 45 days, then end of that month."""
    END_OF_MONTH_THEN_FORTY_FIVE_DAYS = "end_of_month_then_forty_five_days"
    """45 days end of month, read as end of the invoice month, then + 45 days."""
    PERIODIC_INVOICE = "periodic_invoice"
    """Periodic (summary) invoice: 45 days after the invoice date (L441-10 I)."""
    DEFAULT_THIRTY_DAYS = "default_thirty_days"
    """No term agreed: 30 days after receipt of the goods or performance (L441-10 I)."""
    PERISHABLE_FOOD = "perishable_food"
    """Perishable food: 30 days after delivery (L441-11)."""
    LIVE_CATTLE_FRESH_MEAT = "live_cattle_fresh_meat"
    """Live cattle for slaughter, fresh meat: 20 days after delivery (L441-11)."""
    ALCOHOL_EXCISE = "alcohol_excise"
    """Alcoholic drinks subject to excise: 30 days after the end of the delivery month (L441-11)."""
    ROAD_HAULAGE = "road_haulage"
    """Road haulage, vehicle rental, freight forwarding: 30 days from the invoice (L441-11)."""


class _Rule(NamedTuple):
    from_delivery: bool
    step: tuple[relativedelta, ...]
    article: str
    wording: str


# One row per rule: where the count starts (invoice or delivery), the steps applied in order,
# the article, and the wording used in explanations.
_DAYS_45 = relativedelta(days=45)
_RULES: dict[PaymentTermRule, _Rule] = {
    PaymentTermRule.SIXTY_DAYS: _Rule(
        from_delivery=False,
        step=(relativedelta(days=60),),
        article="Code de commerce L441-10 I",
        wording="60 days after the invoice date",
    ),
    PaymentTermRule.FORTY_FIVE_DAYS_THEN_END_OF_MONTH: _Rule(
        from_delivery=False,
        step=(_DAYS_45, _END_OF_MONTH),
        article="Code de commerce L441-10 I",
        wording="45 days end of month (invoice date + 45 days, then end of that month)",
    ),
    PaymentTermRule.END_OF_MONTH_THEN_FORTY_FIVE_DAYS: _Rule(
        from_delivery=False,
        step=(_END_OF_MONTH, _DAYS_45),
        article="Code de commerce L441-10 I",
        wording="45 days end of month (end of the invoice month, then + 45 days)",
    ),
    PaymentTermRule.PERIODIC_INVOICE: _Rule(
        from_delivery=False,
        step=(_DAYS_45,),
        article="Code de commerce L441-10 I",
        wording="45 days after the date of a periodic invoice",
    ),
    PaymentTermRule.DEFAULT_THIRTY_DAYS: _Rule(
        from_delivery=True,
        step=(relativedelta(days=30),),
        article="Code de commerce L441-10 I",
        wording="30 days after receipt of the goods or performance of the service",
    ),
    PaymentTermRule.PERISHABLE_FOOD: _Rule(
        from_delivery=True,
        step=(relativedelta(days=30),),
        article="Code de commerce L441-11",
        wording="30 days after delivery of perishable food",
    ),
    PaymentTermRule.LIVE_CATTLE_FRESH_MEAT: _Rule(
        from_delivery=True,
        step=(relativedelta(days=20),),
        article="Code de commerce L441-11",
        wording="20 days after delivery of live cattle or fresh meat",
    ),
    PaymentTermRule.ALCOHOL_EXCISE: _Rule(
        from_delivery=True,
        step=(_END_OF_MONTH, relativedelta(days=30)),
        article="Code de commerce L441-11",
        wording="30 days after the end of the month of delivery of alcohol subject to excise",
    ),
    PaymentTermRule.ROAD_HAULAGE: _Rule(
        from_delivery=False,
        step=(relativedelta(days=30),),
        article="Code de commerce L441-11",
        wording="30 days from the invoice date for road haulage, vehicle rental or forwarding",
    ),
}

_PRESCRIPTION: dict[CustomerKind, tuple[relativedelta, str]] = {
    CustomerKind.BUSINESS: (relativedelta(years=5), "Code de commerce L110-4"),
    # Public debtors: the four-year rule of loi 68-1250 art. 1, computed in prescription_date.
    CustomerKind.PUBLIC: (relativedelta(years=4), "loi n° 68-1250 du 31 décembre 1968, art. 1"),
    CustomerKind.CONSUMER: (relativedelta(years=2), "Code de la consommation L218-2"),
}


class PaymentTermCheck(BaseModel):
    """The outcome of checking a due date against a legal maximum.

    Attributes:
        ok: True if the due date is on or before the maximum.
        rule: the rule checked.
        due_on: the due date checked.
        maximum_due_on: the latest due date the rule allows.
        days_over: days beyond the maximum (0 if ok).
        article: the article setting the rule.
        explanation: the rule in words.
    """

    model_config = MODEL_CONFIG

    ok: bool
    rule: PaymentTermRule
    due_on: date
    maximum_due_on: date
    days_over: int
    article: str
    explanation: str


def maximum_due_date(
    issue_date: date,
    *,
    rule: PaymentTermRule = PaymentTermRule.SIXTY_DAYS,
    delivered_on: date | None = None,
) -> date:
    """The latest due date *rule* allows for an invoice dated *issue_date*.

    Args:
        issue_date: the invoice date.
        rule: the legal maximum to apply.
        delivered_on: delivery or performance date, needed by the rules that count from it.

    Returns:
        The maximum due date.

    Raises:
        pydantic.ValidationError: ``delivery_date_required`` (location ``delivered_on``) if
            the rule counts from delivery and *delivered_on* is missing.

    Examples:
        >>> from datetime import date
        >>> day = date(2026, 1, 15)
        >>> [str(maximum_due_date(day, rule=r)) for r in (
        ...     PaymentTermRule.SIXTY_DAYS,
        ...     PaymentTermRule.FORTY_FIVE_DAYS_THEN_END_OF_MONTH,
        ...     PaymentTermRule.END_OF_MONTH_THEN_FORTY_FIVE_DAYS)]
        ['2026-03-16', '2026-03-31', '2026-03-17']
    """
    spec = _RULES[PaymentTermRule(rule)]
    start = issue_date
    if spec.from_delivery:
        if delivered_on is None:
            error = PydanticCustomError(
                "delivery_date_required",
                "the {rule} rule counts from delivery: pass delivered_on",
                {"rule": str(rule)},
            )
            raise ValidationError.from_exception_data(
                "payment_term_check",
                [InitErrorDetails(type=error, loc=("delivered_on",), input=delivered_on)],
            )
        start = delivered_on
    for step in spec.step:
        start += step
    return start


def payment_term_check(
    issue_date: date,
    due_date: date,
    *,
    rule: PaymentTermRule = PaymentTermRule.SIXTY_DAYS,
    delivered_on: date | None = None,
) -> PaymentTermCheck:
    """Check *due_date* against the legal maximum *rule* for an invoice dated *issue_date*.

    Args:
        issue_date: the invoice date.
        due_date: the due date stated on the invoice.
        rule: the maximum to check (60 days by default; see `PaymentTermRule`).
        delivered_on: delivery or performance date, for the rules that count from it.

    Returns:
        A `PaymentTermCheck`: ok or exceeded, the maximum date, the rule and its article.

    Raises:
        pydantic.ValidationError: ``delivery_date_required`` if the rule needs *delivered_on*.

    Examples:
        >>> from datetime import date
        >>> c = payment_term_check(date(2026, 1, 15), date(2026, 3, 31),
        ...                        rule=PaymentTermRule.FORTY_FIVE_DAYS_THEN_END_OF_MONTH)
        >>> c.ok, c.article
        (True, 'Code de commerce L441-10 I')
    """
    rule = PaymentTermRule(rule)
    maximum = maximum_due_date(issue_date, rule=rule, delivered_on=delivered_on)
    spec = _RULES[rule]
    return PaymentTermCheck(
        ok=due_date <= maximum,
        rule=rule,
        due_on=due_date,
        maximum_due_on=maximum,
        days_over=max(0, (due_date - maximum).days),
        article=spec.article,
        explanation=spec.wording,
    )


def prescription_date(completed_on: date, debtor_kind: CustomerKind | str) -> date:
    """The last day a claim can be brought before it is time-barred.

    The period runs from the completion of the work or service (Cass. 3e civ., 1 March 2023,
    21-23.176): 5 years against a business (Code de commerce L110-4), 2 years against a
    consumer (Code de la consommation L218-2). The claim is barred from the day after the
    returned date (Code civil 2229: the last day must be complete). A period starting on
    29 February ends on 28 February. Claims on the State, local authorities and public
    establishments with a public accountant fall under the four-year rule of loi n° 68-1250
    du 31 décembre 1968, art. 1: four years from 1 January of the year after the rights arose,
    so the last day is 31 December of the fourth year after that year (interruptions, art. 2,
    start a new four years from the next 1 January; not modelled here).

    Args:
        completed_on: the day the work or service was completed.
        debtor_kind: ``business``, ``consumer`` or ``public``.

    Returns:
        The last day to act.

    Raises:
        ValueError: if *debtor_kind* is not a `CustomerKind`.

    Examples:
        >>> from datetime import date
        >>> prescription_date(date(2024, 2, 29), "business")
        datetime.date(2029, 2, 28)
        >>> prescription_date(date(2024, 3, 15), "public")   # 1 Jan 2025 + 4 years, exclusive
        datetime.date(2028, 12, 31)
    """
    kind = CustomerKind(debtor_kind)
    period, _article = _PRESCRIPTION[kind]
    if kind is CustomerKind.PUBLIC:
        return date(completed_on.year + 1, 1, 1) + period - timedelta(days=1)
    return completed_on + period
