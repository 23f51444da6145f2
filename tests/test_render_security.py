"""Template authors cannot reach Python internals; customer strings cannot inject markup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from jinja2.exceptions import SecurityError

from dunning.core.model import Channel, Customer
from dunning.core.render import (
    Creditor,
    InvoiceLine,
    PenaltySummary,
    RenderContext,
    TemplatePack,
    builtin_pack,
    render,
)
from dunning.exceptions import TemplateError

# The reference case (the same in every message test file, and in the golden files):
# invoice 2026-0042 of ACME SARL,
# issued 2 February 2026, due 2 March 2026, 1,234.56 EUR unpaid; the message is dated 20 March
# 2026, so the invoice is 18 days late (3 March .. 20 March). B2B penalties at 12.15 % (ECB 2.15 %
# in force on 1 January 2026 + 10 points) from 3 March: 1234.56 x 0.1215 x 18 / 365 = 7.3972... ->
# 7.40 EUR, plus the 40 EUR indemnity: 47.40 EUR.

CREDITOR = Creditor(
    name="Atelier Durand SAS",
    address="12 rue des Lilas, 69003 Lyon",
    iban="FR76 3000 6000 0112 3456 7890 189",
    bic="AGRIFRPP",
    email="compta@atelier-durand.example",
    phone="04 72 00 00 00",
    siret="12345678901234",
    signature="Claire Durand, comptabilité",
)

PENALTIES = PenaltySummary(
    interest=Decimal("7.40"),
    indemnity=Decimal("40.00"),
    total=Decimal("47.40"),
    rate_description="12,15 % (taux BCE + 10 points)",
    interest_from=date(2026, 3, 3),
)

LINE = InvoiceLine(
    id="F-2026-0042",
    number="2026-0042",
    issued_on=date(2026, 2, 2),
    due_on=date(2026, 3, 2),
    total=Decimal("1234.56"),
    amount_due=Decimal("1234.56"),
    days_late=18,
    document="pdf:2026-0042",
)


@dataclass(frozen=True)
class FakeAction:
    """The fields `render` reads from an action."""

    template: str
    channel: Channel = Channel.EMAIL
    level: int = 2
    level_name: str = "reminder"
    deadline_on: date | None = None
    deadline_days: int | None = None
    id: str = "act_test"


def customer(locale: str = "fr_FR", **changes: Any) -> Customer:
    """ACME SARL, a business in Paris, with a contact and a postal address."""
    fields: dict[str, Any] = {
        "id": "C-1",
        "name": "ACME SARL",
        "contact_name": "Jeanne Martin",
        "email": "compta@acme.example",
        "phone": "+33612345678",
        "postal_address": "5 avenue Foch, 75016 Paris",
        "locale": locale,
    }
    fields.update(changes)
    return Customer.model_validate(fields)


def context(
    locale: str = "fr_FR", *, penalties: PenaltySummary | None = PENALTIES, **changes: Any
) -> RenderContext:
    """The reference context, in *locale*, with optional changes."""
    fields: dict[str, Any] = {
        "creditor": CREDITOR,
        "customer": customer(locale),
        "invoices": (LINE.model_copy(update={"penalties": penalties}),),
        "message_date": date(2026, 3, 20),
        "payment_link": "https://pay.atelier-durand.example/p/2026-0042",
    }
    fields.update(changes)
    return RenderContext.model_validate(fields)


SSTI_PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ invoice.number.__class__.__mro__ }}",
    "{{ customer.__class__ }}",
    "{{ invoices.__class__.__base__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ (invoice.number|attr('__class__')) }}",
    "{{ invoice.due_on.__class__.__init__.__globals__ }}",
    "{{ 'a' * 100000000 }}",
    "{{ 9 ** 9999999 }}",
]
UNKNOWN_NAME_PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ request.application.__globals__ }}",
    "{{ config.items() }}",
    "{{ range(10) }}",
]


def load(source: str) -> TemplatePack:
    """Load a one-family French pack whose text body is *source*."""
    return TemplatePack.from_mapping({"fr/t.subject.j2": "s", "fr/t.txt.j2": source})


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_sandbox_refuses_internals_at_load(payload: str) -> None:
    """Attribute tricks reaching Python internals are refused by the sandbox when loading."""
    with pytest.raises(TemplateError) as caught:
        load(payload)
    assert caught.value.code == "unsafe_template"
    assert isinstance(caught.value.__cause__, SecurityError)


@pytest.mark.parametrize("payload", UNKNOWN_NAME_PAYLOADS)
def test_globals_are_gone_at_load(payload: str) -> None:
    """Jinja's globals (cycler, joiner, lipsum, range...) and framework names do not exist."""
    with pytest.raises(TemplateError) as caught:
        load(payload)
    assert caught.value.code == "unknown_variable"


@pytest.mark.parametrize("payload", SSTI_PAYLOADS[:-2])
def test_sandbox_refuses_internals_at_render(payload: str) -> None:
    """The environment itself refuses the same payloads at render time, not only the checks."""
    env = builtin_pack()._env
    template = env.from_string(payload)
    with pytest.raises(SecurityError):
        template.render(
            {
                "customer": {"name": "x"},
                "invoice": {"number": "1", "due_on": context().message_date},
                "invoices": (),
            }
        )


def test_context_cannot_be_mutated() -> None:
    """The immutable sandbox refuses to modify context data (e.g. an invoice's amount)."""
    with pytest.raises(TemplateError) as caught:
        load("{{ invoice.update({'amount_due': 0}) }}")
    assert caught.value.code == "unsafe_template"


HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.mark.parametrize("hostile", HOSTILE)
def test_customer_strings_are_escaped_in_html_only(hostile: str) -> None:
    """Names and addresses are escaped in HTML, verbatim in the text body."""
    ctx = context(customer=customer(name=hostile, contact_name=hostile, postal_address=hostile))
    message = render(FakeAction("formal_notice", channel=Channel.EMAIL), ctx)
    assert message.html is not None
    assert "<script>" not in message.html
    assert "<img" not in message.html
    assert "&lt;" in message.html
    assert hostile in message.text
    assert "&lt;" not in message.text
    assert "&#34;" not in message.text


def test_creditor_strings_are_escaped_in_html() -> None:
    """Even the creditor's own strings are escaped in HTML (they may come from a form)."""
    creditor = CREDITOR.model_copy(update={"signature": "<b>boss</b>"})
    message = render(FakeAction("reminder"), context(creditor=creditor))
    assert message.html is not None
    assert "&lt;b&gt;boss&lt;/b&gt;" in message.html
    assert "<b>boss</b>" in message.text


def test_payment_link_cannot_be_javascript() -> None:
    """A javascript: payment link would survive escaping inside href, so it is refused."""
    with pytest.raises(ValueError, match="string_pattern_mismatch"):
        context(payment_link="javascript:alert(document.cookie)")
    with pytest.raises(ValueError, match="string_pattern_mismatch"):
        context(payment_link='https://x.example/" onclick="alert(1)')


def test_template_markup_is_kept_in_html_but_data_is_not() -> None:
    """Autoescaping applies to values, not to the template's own markup."""
    pack = TemplatePack.from_mapping(
        {
            "fr/t.subject.j2": "s",
            "fr/t.txt.j2": "{{ customer.name }}",
            "fr/t.html.j2": "<p>{{ customer.name }}</p>",
        }
    )
    message = render(FakeAction("t"), context(customer=customer(name="A & <B>")), pack=pack)
    assert message.html == "<p>A &amp; &lt;B&gt;</p>"
    assert message.text == "A & <B>"
