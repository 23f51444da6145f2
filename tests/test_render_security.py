"""Template authors cannot reach Python internals; customer strings cannot inject markup."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

from dunning.core.model import Channel
from dunning.core.render import (
    TemplatePack,
    builtin_pack,
    render,
)
from dunning.exceptions import TemplateError
from tests.reference_case import CREDITOR, FakeAction, context, customer

SSTI_PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ invoice.number.__class__.__mro__ }}",
    "{{ customer.__class__ }}",
    "{{ invoices.__class__.__base__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ (invoice.number|attr('__class__')) }}",
    "{{ invoice.due_on.__class__.__init__.__globals__ }}",
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


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
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


@pytest.mark.parametrize(
    "payload",
    [
        "{{ message_date.today()|date_long }}",
        "{{ invoice.due_on.today()|date_long }}",
        "{% for i in invoices %}{{ i.due_on.today()|date_short }}{% endfor %}",
    ],
)
def test_a_template_cannot_read_the_clock(payload: str) -> None:
    """A message carries its own date: ``today()`` on a date would print another day (issue 19).

    Before, ``{{ message_date.today()|date_long }}`` loaded and printed the machine's date.
    """
    with pytest.raises(TemplateError) as caught:
        load(payload)
    assert caught.value.code == "unsafe_template"
    assert isinstance(caught.value.__cause__, SecurityError)
