"""Rendering: Babel formats, strict load-time checks, SMS limits, locales, variants, models."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import jinja2
import pytest
from pydantic import ValidationError

from dunning.core.model import Channel, CustomerKind, Installment, Invoice, Payment
from dunning.core.render import (
    CONTEXT_VARIABLES,
    Creditor,
    InvoiceLine,
    PenaltySummary,
    RenderContext,
    TemplatePack,
    builtin_pack,
    check_scenario_templates,
    render,
    sms_segments,
    to_gsm7,
)
from dunning.core.render.context import invoice_line
from dunning.core.scenario import scenario_from_mapping
from dunning.exceptions import ConfigurationError, TemplateError
from tests.reference_case import CREDITOR, LINE, PENALTIES, FakeAction, context, customer

NNBSP, NBSP = "\u202f", "\u00a0"


def pack_with(**sources: str) -> TemplatePack:
    """A standalone pack with one ``fr/t`` family: subject and text given as keywords."""
    return TemplatePack.from_mapping({f"fr/t.{part}.j2": src for part, src in sources.items()})


def test_french_amounts_and_dates_come_from_babel() -> None:
    """French output uses Babel's narrow no-break space and no-break space: "1 234,56 €"."""
    pack = pack_with(
        subject="{{ amount_due|money }}",
        txt="{{ invoice.due_on|date_long }} {{ invoice.due_on|date_short }} "
        "{{ invoice.amount_due|number }}",
    )
    message = render(FakeAction("t"), context(), pack=pack)
    assert message.subject == f"1{NNBSP}234,56{NBSP}€"
    assert message.text == f"2 mars 2026 02/03/2026 1{NNBSP}234,56"


def test_english_amounts_and_dates() -> None:
    """English (en_GB) formats: "€1,234.56", "2 March 2026"."""
    pack = TemplatePack.from_mapping(
        {
            "en/t.subject.j2": "{{ amount_due|money }}",
            "en/t.txt.j2": "{{ invoice.due_on|date_long }}",
        }
    )
    message = render(FakeAction("t"), context("en_GB"), pack=pack)
    assert (message.subject, message.text) == ("€1,234.56", "2 March 2026")


def test_percent_filter_takes_a_value_in_percent() -> None:
    """``12.15|percent`` is "12,15 %" in French: rates are quoted in percent."""
    pack = pack_with(
        subject="x", txt="{% if penalties %}{{ penalties.interest|percent }}{% endif %}"
    )
    assert render(FakeAction("t"), context(), pack=pack).text == f"7,4{NBSP}%"


def test_unknown_variable_fails_at_load_with_its_line() -> None:
    """A variable the context does not document is a load-time error naming template and line."""
    with pytest.raises(TemplateError) as caught:
        pack_with(subject="ok", txt="Bonjour\n\n{{ amout_due|money }}")
    assert caught.value.code == "unknown_variable"
    assert (caught.value.template, caught.value.line) == ("fr/t.txt.j2", 3)
    assert str(caught.value).startswith("fr/t.txt.j2, line 3: unknown variable 'amout_due'")
    assert isinstance(caught.value, ConfigurationError)


def test_misspelt_attribute_fails_at_load_by_rendering_samples() -> None:
    """``invoice.numbr`` is not found by the AST check; rendering the samples catches it."""
    with pytest.raises(TemplateError) as caught:
        pack_with(subject="ok", txt="line 1\n{{ invoice.numbr }}")
    assert caught.value.code == "undefined_variable"
    assert (caught.value.template, caught.value.line) == ("fr/t.txt.j2", 2)
    assert isinstance(caught.value.__cause__, jinja2.UndefinedError)


def test_syntax_error_fails_at_load_with_its_line() -> None:
    """A syntax error names the template and the line."""
    with pytest.raises(TemplateError) as caught:
        pack_with(subject="ok", txt="a\nb\n{% if %}")
    assert (caught.value.code, caught.value.template, caught.value.line) == (
        "template_syntax",
        "fr/t.txt.j2",
        3,
    )


def test_unguarded_optional_value_fails_at_load() -> None:
    """Printing an optional value that may be None (no phone) is refused: never a blank."""
    with pytest.raises(TemplateError, match="printing None"):
        pack_with(subject="ok", txt="Tél : {{ creditor.phone }}")


def test_raw_amount_or_date_fails_at_load() -> None:
    """A Decimal or a date printed without a Babel filter is refused (no hand formatting)."""
    with pytest.raises(TemplateError, match="raw Decimal"):
        pack_with(subject="ok", txt="{{ amount_due }}")
    with pytest.raises(TemplateError, match="raw date"):
        pack_with(subject="ok", txt="{{ message_date }}")


def test_missing_variable_raises_at_render_never_blank() -> None:
    """StrictUndefined: rendering an undefined name raises instead of printing nothing."""
    env = builtin_pack()._env
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("Montant : {{ amount }}").render({})
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ customer.nickname }}").render({"customer": {"name": "A"}})


def test_family_needs_subject_and_text() -> None:
    """A family with a text body but no subject is rejected."""
    with pytest.raises(TemplateError, match="no subject template") as caught:
        TemplatePack.from_mapping({"fr/t.txt.j2": "x"})
    assert caught.value.code == "missing_template"


def test_bad_template_names_and_locales_are_rejected() -> None:
    """Names follow <locale>/<family>.<part>.j2 and the locale must be one Babel knows."""
    with pytest.raises(TemplateError) as caught:
        TemplatePack.from_mapping({"fr/reminder.body.j2": "x"})
    assert caught.value.code == "invalid_template_name"
    with pytest.raises(TemplateError) as caught:
        TemplatePack.from_mapping({"zz/t.subject.j2": "x", "zz/t.txt.j2": "x"})
    assert caught.value.code == "unknown_locale"
    with pytest.raises(TemplateError) as caught:
        TemplatePack({}, max_sms_segments=0)
    assert caught.value.code == "invalid_sms_limit"


def test_filter_on_an_undefined_value_names_it() -> None:
    """A filter given an undefined value raises the undefined error, not a type error."""
    with pytest.raises(TemplateError, match="has no attribute 'oops'") as caught:
        pack_with(subject="ok", txt="{{ invoice.oops|money }}")
    assert caught.value.code == "undefined_variable"


def test_filters_refuse_wrong_types() -> None:
    """|money on a string or |date_long on a number is a load-time error."""
    with pytest.raises(TemplateError, match=r"\|money cannot format str"):
        pack_with(subject="ok", txt="{{ invoice.number|money }}")
    with pytest.raises(TemplateError, match=r"\|date_long cannot format int"):
        pack_with(subject="ok", txt="{{ invoice.days_late|date_long }}")
    with pytest.raises(TemplateError, match=r"\|iban cannot format int"):
        pack_with(subject="ok", txt="{{ invoice.days_late|iban }}")


def test_every_documented_variable_is_accepted() -> None:
    """Each name in CONTEXT_VARIABLES passes the load-time check."""
    body = " ".join(f"{{% if {name} is defined %}}x{{% endif %}}" for name in CONTEXT_VARIABLES)
    pack_with(subject="ok", txt=body)


# --- SMS ------------------------------------------------------------------------------------


def test_gsm7_transliteration_and_errors() -> None:
    """French letters outside GSM-7 are transliterated; other scripts are a clear error."""
    typographic = "Reçu, têtu, «oui» – l’été…"  # noqa: RUF001  (these marks are the point)
    assert to_gsm7(typographic) == 'Recu, tetu, "oui" - l\'été...'
    assert to_gsm7("Zoë Ångström") == "Zoe Ångström"
    with pytest.raises(TemplateError) as caught:
        to_gsm7("客户 ok")
    assert caught.value.code == "sms_not_gsm7"
    assert "'客', '户'" in str(caught.value)


def test_sms_segment_counts() -> None:
    """160 septets in one part, 153 per concatenated part; extension characters count two."""
    assert sms_segments("") == 0
    assert sms_segments("x" * 160) == 1
    assert sms_segments("x" * 161) == 2
    assert sms_segments("x" * 306) == 2
    assert sms_segments("x" * 307) == 3
    assert sms_segments("€" * 80) == 1
    assert sms_segments("€" * 81) == 2
    assert sms_segments("[" * 153) == 3  # 306 septets, but a pair is never split: 76 + 76 + 1


def test_sms_too_long_for_the_limit_fails_at_load() -> None:
    """An SMS template that cannot fit max_sms_segments on the long sample fails at load."""
    long_text = "Nous vous rappelons que " * 12 + "{{ creditor.name }}"
    with pytest.raises(TemplateError) as caught:
        TemplatePack.from_mapping(
            {"fr/t.subject.j2": "s", "fr/t.txt.j2": "t", "fr/t.sms.j2": long_text}
        )
    assert caught.value.code == "sms_too_long"
    assert caught.value.template == "fr/t.sms.j2"
    # With a higher ceiling the same template loads.
    TemplatePack.from_mapping(
        {"fr/t.subject.j2": "s", "fr/t.txt.j2": "t", "fr/t.sms.j2": long_text},
        max_sms_segments=3,
    )


def test_builtin_sms_fits_one_or_two_parts() -> None:
    """The built-in reminder SMS is GSM-7 and fits the default two parts."""
    message = render(FakeAction("reminder", channel=Channel.SMS), context())
    assert message.sms is not None
    assert message.sms_segments in {1, 2}
    assert NNBSP not in message.sms
    assert "1 234,56 €" in message.sms


def test_sms_too_long_with_real_data_fails_at_render() -> None:
    """Data longer than any plausible sample (a 300-character creditor name) fail at render."""
    creditor = CREDITOR.model_copy(update={"name": "Durand " * 43})
    with pytest.raises(TemplateError) as caught:
        render(FakeAction("reminder", channel=Channel.SMS), context(creditor=creditor))
    assert caught.value.code == "sms_too_long"


def test_sms_action_without_sms_template_is_an_error() -> None:
    """An SMS action for a family without an SMS part raises missing_template."""
    with pytest.raises(TemplateError) as caught:
        render(FakeAction("formal_notice", channel=Channel.SMS), context())
    assert caught.value.code == "missing_template"


def test_check_scenario_templates_for_sms_steps() -> None:
    """A scenario sending a formal notice by SMS is refused; one sending a reminder is fine."""
    step = {"id": "a", "level": 1, "offset_days": 3, "channel": "sms"}
    check_scenario_templates(
        scenario_from_mapping({"id": "x", "steps": [{**step, "kind": "reminder"}]})
    )
    custom = scenario_from_mapping(
        {"id": "x", "steps": [{**step, "kind": "reminder", "template": "nope"}]}
    )
    with pytest.raises(TemplateError, match="step 'a' needs this template"):
        check_scenario_templates(custom)


# --- locales, variants, message ---------------------------------------------------------------


def test_locale_resolution() -> None:
    """fr_BE uses the fr templates with fr_BE formats; a locale without templates is an error."""
    message = render(FakeAction("reminder"), context("fr_BE"))
    assert message.locale == "fr"
    with pytest.raises(TemplateError) as caught:
        render(FakeAction("reminder"), context("de_DE"))
    assert caught.value.code == "locale_not_available"
    assert "the pack has: en, fr" in str(caught.value)


def test_variants_are_deterministic_and_both_used() -> None:
    """The wording depends only on the invoice id: same id, same text; ids spread over variants."""
    texts = set()
    for n in range(12):
        line = LINE.model_copy(update={"id": f"F-{n}"})
        first = render(FakeAction("friendly"), context(invoices=(line,))).text
        again = render(FakeAction("friendly"), context(invoices=(line,))).text
        assert first == again
        texts.add(first.splitlines()[2])
    assert len(texts) == 2


def test_message_fields_and_attachments() -> None:
    """A message carries the action id, HTML for email families, and the invoice documents."""
    message = render(FakeAction("reminder"), context(attachments=("statement:C-1",)))
    assert message.action_id == "act_test"
    assert message.template == "reminder"
    assert message.html is not None
    assert message.html.startswith("<p>Bonjour Jeanne Martin,</p>")
    assert message.sms is None
    assert message.sms_segments is None
    assert message.attachments == ("pdf:2026-0042", "statement:C-1")
    phone = render(FakeAction("phone_call", channel=Channel.PHONE_TASK), context())
    assert phone.html is None


def test_no_blank_when_penalties_absent() -> None:
    """Without penalties the paragraph disappears: no empty line runs, no "None", no stray words."""
    for family in ("friendly", "reminder", "firm", "formal_notice"):
        for locale in ("fr_FR", "en_GB"):
            text = render(FakeAction(family), context(locale, penalties=None)).text
            assert "\n\n\n" not in text
            assert "None" not in text
            # No amounts paragraph without amounts (a "mention" of the terms may remain).
            assert "des pénalités de retard au taux de" not in text
            assert "late-payment penalties at" not in text


# --- models -------------------------------------------------------------------------------


def test_consumer_cannot_be_charged_the_indemnity() -> None:
    """A penalty summary with an indemnity for a consumer is refused (C. com. D441-5)."""
    with pytest.raises(ValidationError) as caught:
        context(customer=customer(kind=CustomerKind.CONSUMER))
    assert [e["type"] for e in caught.value.errors()] == ["indemnity_for_consumer"]


def test_context_validation_errors() -> None:
    """Mixed currencies, nothing due, javascript links and bad totals are refused with codes."""
    usd = LINE.model_copy(update={"id": "F-2", "currency": "USD"})
    with pytest.raises(ValidationError, match="mixed_currencies"):
        context(invoices=(LINE, usd))
    with pytest.raises(ValidationError, match="nothing_due"):
        context(unapplied_credit=Decimal("1234.56"))
    with pytest.raises(ValidationError, match="string_pattern_mismatch"):
        context(payment_link="javascript:alert(1)")
    with pytest.raises(ValidationError, match="penalty_total_mismatch"):
        PenaltySummary(
            interest=Decimal(1),
            indemnity=Decimal(40),
            total=Decimal(40),
            rate_description="x",
            interest_from=date(2026, 1, 1),
        )
    with pytest.raises(ValidationError, match="float_amount"):
        InvoiceLine.model_validate(
            {
                "id": "x",
                "number": "1",
                "issued_on": date(2026, 1, 1),
                "due_on": date(2026, 1, 2),
                "total": 1.5,
                "amount_due": "1",
                "days_late": 1,
            }
        )


def test_creditor_iban_is_checked() -> None:
    """The IBAN checksum (ISO 13616, mod 97) is verified; spaces are removed."""
    assert CREDITOR.iban == "FR7630006000011234567890189"
    with pytest.raises(ValidationError, match="invalid_iban"):
        Creditor(
            name="x", address="y", iban="FR7630006000011234567890188", bic="AGRIFRPP", email="e"
        )


def test_penalties_are_summed_from_the_lines_when_not_given() -> None:
    """Without a context-level summary, the invoices' summaries are added up."""
    second = LINE.model_copy(update={"id": "F-2", "number": "2026-0043", "penalties": PENALTIES})
    ctx = context(
        invoices=(LINE.model_copy(update={"penalties": PENALTIES}), second), penalties=None
    )
    total = ctx.total_penalties
    assert total is not None
    assert (total.interest, total.indemnity, total.total) == (
        Decimal("14.80"),
        Decimal("80.00"),
        Decimal("94.80"),
    )
    assert context(penalties=None).total_penalties is None


def test_invoice_line_from_an_invoice_with_installments() -> None:
    """The due date listed is the oldest unpaid installment's."""
    inv = Invoice(
        id="F-9",
        number="9",
        customer=customer(),
        issued_on=date(2026, 1, 1),
        installments=(
            Installment(due_on=date(2026, 2, 1), amount=Decimal(100)),
            Installment(due_on=date(2026, 3, 1), amount=Decimal(100)),
        ),
        total=Decimal(200),
    )
    line = InvoiceLine.from_invoice(
        inv, [Payment(on=date(2026, 2, 1), amount=Decimal(100))], on=date(2026, 3, 11)
    )
    assert (line.due_on, line.amount_due, line.days_late) == (date(2026, 3, 1), Decimal(100), 10)
    early = InvoiceLine.from_invoice(inv, [], on=date(2026, 1, 29))
    assert (early.due_on, early.days_late) == (date(2026, 2, 1), -3)
    paid = InvoiceLine.from_invoice(
        inv, [Payment(on=date(2026, 2, 1), amount=Decimal(200))], on=date(2026, 3, 11)
    )
    assert paid.amount_due == 0
    # Paid twice (300.00 on 200.00): nothing is due, never a negative amount; the line is
    # dated by the last installment, 10 days past on 11 March.
    twice = [
        Payment(on=date(2026, 2, 1), amount=Decimal(200)),
        Payment(on=date(2026, 2, 2), amount=Decimal(100)),
    ]
    overpaid = InvoiceLine.from_invoice(inv, twice, on=date(2026, 3, 11))
    assert (overpaid.amount_due, overpaid.due_on, overpaid.days_late) == (
        Decimal(0),
        date(2026, 3, 1),
        10,
    )
    listed = invoice_line(inv, twice, on=date(2026, 3, 11), penalties=None, document=None)
    assert listed == overpaid  # what a portfolio lists, built without validating again


def test_render_context_example_from_module() -> None:
    """A consumer context with legal interest and no indemnity renders the legal-rate wording."""
    legal = PenaltySummary(
        interest=Decimal("2.00"),
        indemnity=Decimal(0),
        total=Decimal("2.00"),
        rate_description="6,67 %",
        interest_from=date(2026, 3, 11),
        formal_notice_on=date(2026, 3, 10),
    )
    ctx = RenderContext(
        creditor=CREDITOR,
        customer=customer(kind=CustomerKind.CONSUMER),
        invoices=(LINE,),
        message_date=date(2026, 3, 20),
        penalties=legal,
    )
    text = render(FakeAction("reminder", penalty_wording="amounts"), ctx).text
    assert "au taux légal (6,67 %) courent depuis notre mise en demeure du 10 mars 2026" in text
    assert "indemnité" not in text
    mention = render(FakeAction("reminder"), ctx).text
    assert (
        "Des intérêts au taux légal courent depuis notre mise en demeure du 10 mars 2026 "
        "(articles 1231-6 et 1344-1 du Code civil).\n" in mention
    )
    assert "2,00" not in mention


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (Channel.EMAIL, "compta@acme.example"),
        (Channel.SMS, "+33612345678"),
        (Channel.PHONE_TASK, "+33612345678"),
        (Channel.LETTER, "5 avenue Foch, 75016 Paris"),
        (Channel.REGISTERED_LETTER, "5 avenue Foch, 75016 Paris"),
        (Channel.INTERNAL_ALERT, None),
        (Channel.HANDOVER, None),
    ],
)
def test_message_is_addressed_from_the_customer_record(
    channel: Channel, expected: str | None
) -> None:
    """``Message.to`` is the reference customer's address on the message's channel."""
    pack = pack_with(subject="s", txt="t", sms="t")
    assert render(FakeAction("t", channel=channel), context(), pack=pack).to == expected


def test_message_without_an_address_on_its_channel_has_no_recipient() -> None:
    """A customer with no email gets an email message with ``to=None`` (the sender refuses it)."""
    pack = pack_with(subject="s", txt="t")
    ctx = context(customer=customer(email=None))
    assert render(FakeAction("t"), ctx, pack=pack).to is None
