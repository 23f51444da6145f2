"""The variables a template sees (`CONTEXT_VARIABLES`), built from an action and its context."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from dunning.core.model import default_penalty_wording
from dunning.core.render.context import (
    InvoiceLine,
    MessageAction,
    PenaltyPeriod,
    PenaltySummary,
    RenderContext,
)

CONTEXT_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "creditor": "the creditor: name, address, iban, bic, email, phone, siret, siren, rcs, "
        "vat_number, signature, signatory_name, signatory_title",
        "customer": "the debtor: id, name, kind, contact_name, contact_civility (None, 'ms' or "
        "'mr'), contact_surname (None or the surname alone), email, phone, postal_address",
        "invoices": "the invoices this message demands (role 'demanded'), oldest first: each "
        "with id, number, issued_on, due_on, late_since, total, amount_due, currency, "
        "days_late, penalties, receipts (kind, on, amount), role",
        "invoice": "the first demanded invoice (the oldest), same fields as in invoices",
        "listed": "overdue invoices listed apart, with no threat and no indemnity (role "
        "'listed'), same fields as in invoices",
        "statement": "the statement of account: overdue (demanded and listed lines), upcoming "
        "(not yet due), disputed (excluded), unapplied_credit and balance (Decimal)",
        "earlier_reminders": "dates of the reminders already delivered about the demanded "
        "invoices (empty: claim none); format them with |date_list",
        "notice_on": "None, or the date of an earlier formal notice to this customer",
        "complementary_notice": "whether this formal notice complements the one of notice_on",
        "currency": "ISO 4217 code of the amounts",
        "amount_outstanding": "sum of amount_due over the invoices (Decimal)",
        "unapplied_credit": "credit notes and payments on account deducted (Decimal, may be 0)",
        "amount_due": "what the customer is asked to pay (Decimal)",
        "penalties": "None, or interest, indemnity, total, rate_description, interest_from, "
        "formal_notice_on, regime, provisional, periods (start, end, days, principal, rate, "
        "interest, provisional), indemnity_count and indemnity_unit (n x unit = indemnity, "
        "or None when the indemnities are not n equal amounts)",
        "action": "id, kind, level, level_name, channel, deadline_on, deadline_days, "
        "penalty_wording ('none', 'mention' or 'amounts')",
        "previous_messages": "how many messages the customer already received about these "
        "invoices (0 when unknown: never claim an earlier message then)",
        "payment_link": "None, or the host's payment page",
        "message_date": "the date printed on the message",
        "variant": "a stable integer from the first invoice's id; use variant % n",
        "locale": "the formatting locale (used by the filters)",
    }
)
"""Every variable a template may use, with what it holds. Anything else fails at load time."""


def _period_vars(p: PenaltyPeriod) -> dict[str, Any]:
    return {
        "start": p.start,
        "end": p.end,
        "days": p.days,
        "principal": p.principal,
        "rate": p.rate,
        "interest": p.interest,
        "provisional": p.provisional,
    }


def _penalty_vars(
    p: PenaltySummary | None, indemnities: Sequence[Decimal] = ()
) -> dict[str, Any] | None:
    """*p* for a template; *indemnities* are the per-invoice amounts it adds up, if known."""
    if p is None:
        return None
    # "2 x 40,00 EUR = 80,00 EUR" (CJEU C-585/20: 40 EUR per late invoice), when the total is
    # that many equal indemnities; otherwise the total alone.
    given = [amount for amount in indemnities if amount > 0]
    uniform = bool(given) and len(set(given)) == 1 and sum(given, Decimal(0)) == p.indemnity
    return {
        "interest": p.interest,
        "indemnity": p.indemnity,
        "total": p.total,
        "rate_description": p.rate_description,
        "interest_from": p.interest_from,
        "formal_notice_on": p.formal_notice_on,
        "regime": p.regime.value if p.regime is not None else None,
        "provisional": p.provisional,
        "periods": tuple(_period_vars(period) for period in p.periods),
        "indemnity_count": len(given) if uniform else None,
        "indemnity_unit": given[0] if uniform else None,
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
        "penalties": _penalty_vars(
            line.penalties, (line.penalties.indemnity,) if line.penalties else ()
        ),
        "receipts": tuple({"kind": r.kind, "on": r.on, "amount": r.amount} for r in line.receipts),
        "role": line.role,
    }


def _penalty_wording(action: MessageAction, kind: str) -> str:
    # A host's own action object may not carry the setting: the step kind's default applies.
    wording = getattr(action, "penalty_wording", None)
    return str(wording if wording is not None else default_penalty_wording(kind))


@lru_cache(maxsize=4096)
def _variant(invoice_id: str) -> int:
    return int(hashlib.sha256(invoice_id.encode()).hexdigest()[:8], 16)


def _variables(
    action: MessageAction, context: RenderContext, *, locale: str, kind: str, variant: int
) -> dict[str, Any]:
    c, cu = context.creditor, context.customer
    every = tuple(_line_vars(line) for line in context.invoices)
    lines = tuple(line for line in every if line["role"] == "demanded")
    indemnities = [line.penalties.indemnity for line in context.demanded if line.penalties]
    return {
        "creditor": {
            "name": c.name,
            "address": c.address,
            "iban": c.iban,
            "bic": c.bic,
            "email": c.email,
            "phone": c.phone,
            "siret": c.siret,
            "siren": c.siren,
            "rcs": c.rcs,
            "vat_number": c.vat_number,
            "signature": c.signature,
            "signatory_name": c.signatory_name,
            "signatory_title": c.signatory_title,
        },
        "customer": {
            "id": cu.id,
            "name": cu.name,
            "kind": cu.kind.value,
            "contact_name": cu.contact_name,
            "contact_civility": cu.contact_civility.value if cu.contact_civility else None,
            "contact_surname": cu.contact_surname,
            "email": cu.email,
            "phone": cu.phone,
            "postal_address": cu.postal_address,
        },
        "invoices": lines,
        "invoice": lines[0],
        "listed": tuple(line for line in every if line["role"] == "listed"),
        "statement": {
            "overdue": tuple(line for line in every if line["role"] in ("demanded", "listed")),
            "upcoming": tuple(line for line in every if line["role"] == "upcoming"),
            "disputed": tuple(line for line in every if line["role"] == "disputed"),
            "unapplied_credit": context.unapplied_credit,
            "balance": context.balance,
        },
        "earlier_reminders": context.earlier_reminders,
        "notice_on": context.notice_on,
        "complementary_notice": context.complementary_notice,
        "currency": context.currency,
        "amount_outstanding": context.amount_outstanding,
        "unapplied_credit": context.unapplied_credit,
        "amount_due": context.amount_due,
        "penalties": _penalty_vars(context.total_penalties, indemnities),
        "action": {
            "id": action.id,
            "kind": kind,
            "level": action.level,
            "level_name": action.level_name,
            "channel": action.channel.value,
            "deadline_on": action.deadline_on,
            "deadline_days": action.deadline_days,
            "penalty_wording": _penalty_wording(action, kind),
        },
        "previous_messages": context.previous_messages,
        "payment_link": context.payment_link,
        "message_date": context.message_date,
        "variant": variant,
        "locale": locale,
    }
