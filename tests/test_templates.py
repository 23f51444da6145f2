"""The built-in French and English packs: golden messages, legal mentions, overrides, loading.

Golden files live in ``tests/golden/messages/<locale>/<family>.txt``; each was read line by
line against the reference case of ``tests/_messages.py`` (amounts and dates worked by hand
there). To regenerate after a deliberate wording change, run the tests with
``DUNNING_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from dunning.core.builtin import BUILTIN_SCENARIOS
from dunning.core.model import Channel, CustomerKind
from dunning.core.render import (
    PenaltySummary,
    TemplatePack,
    builtin_pack,
    check_scenario_templates,
    render,
)
from dunning.core.scenario import StepKind
from dunning.exceptions import TemplateError
from dunning.templates_loading import load_template_pack
from tests.reference_case import LINE, FakeAction, context, customer

GOLDEN = Path(__file__).parent / "golden" / "messages"
NBSP, NNBSP = "\u00a0", "\u202f"

ACTIONS = {
    "courtesy": FakeAction("courtesy", level=1, level_name="courtesy"),
    "friendly": FakeAction("friendly", level=1, level_name="friendly"),
    "reminder": FakeAction("reminder", level=2, level_name="reminder"),
    "firm": FakeAction(
        "firm", level=3, level_name="firm", deadline_on=date(2026, 3, 25), deadline_days=5
    ),
    "phone_call": FakeAction(
        "phone_call", channel=Channel.PHONE_TASK, level=4, level_name="phone call"
    ),
    "internal_alert": FakeAction(
        "internal_alert", channel=Channel.INTERNAL_ALERT, level=4, level_name="phone call"
    ),
    "formal_notice": FakeAction(
        "formal_notice",
        channel=Channel.REGISTERED_LETTER,
        level=5,
        level_name="formal notice",
        deadline_on=date(2026, 3, 28),
        deadline_days=8,
    ),
    "handover": FakeAction("handover", channel=Channel.HANDOVER, level=6, level_name="handover"),
}
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
# Messages the customer received before each step of the reference ladder.
PREVIOUS = {"courtesy": 0, "friendly": 0, "reminder": 1, "firm": 2, "phone_call": 3}


def golden_text(family: str, locale: str) -> str:
    """Subject, text and (for families that have one) the SMS of the reference case."""
    if family == "courtesy":
        # Three days before the due date, no penalties (nothing is late yet).
        ctx = context(
            locale,
            penalties=None,
            message_date=date(2026, 2, 27),
            invoices=(LINE.model_copy(update={"days_late": -3}),),
        )
    else:
        ctx = context(locale, previous_messages=PREVIOUS.get(family, 3))
    message = render(ACTIONS[family], ctx)
    out = f"SUBJECT: {message.subject}\n\n{message.text}\n"
    if builtin_pack().has(locale[:2], family, "sms"):
        sms = render(replace(ACTIONS[family], channel=Channel.SMS), ctx)
        out += f"\n--- SMS ({sms.sms_segments} part(s)) ---\n{sms.sms}\n"
    return out


@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
@pytest.mark.parametrize("family", sorted(ACTIONS))
def test_golden_messages(family: str, locale: str) -> None:
    """Each built-in template renders the reviewed golden text for the reference case."""
    path = GOLDEN / locale[:2] / f"{family}.txt"
    actual = golden_text(family, locale)
    if os.environ.get("DUNNING_UPDATE_GOLDEN") == "1":  # pragma: no cover
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_reference_case_lines_worked_by_hand() -> None:
    """Key lines of the French firm email, by hand (NNBSP in thousands, NBSP before €)."""
    text = render(ACTIONS["firm"], context(previous_messages=2)).text
    assert "Facture n°\u00a02026-0042 du 2 février 2026\n" in text
    assert "Échéance\u00a0: 2 mars 2026 (18 jours de retard)\n" in text
    assert (
        f"Montant TTC\u00a0: 1{NNBSP}234,56{NBSP}€\nSolde dû\u00a0: 1{NNBSP}234,56{NBSP}€\n" in text
    )
    assert "Sommes arrêtées au 20 mars 2026, sauf à parfaire.\n" in text
    # Interest and the indemnity stated apart; no "total des pénalités" adding them up.
    assert (
        "Conformément à l'article L441-10 du Code de commerce, des pénalités de retard au taux "
        "de 12,15 % (taux BCE + 10 points) courent depuis le 3 mars 2026\u00a0: "
        f"7,40{NBSP}€ à ce jour. S'y ajoute l'indemnité forfaitaire pour frais de recouvrement "
        f"(article D441-5 du Code de commerce)\u00a0: 40,00{NBSP}€.\n" in text
    )
    assert "Total des pénalités" not in text
    assert "IBAN\u00a0: FR76 3000 6000 0112 3456 7890 189\nBIC\u00a0: AGRIFRPP\n" in text
    assert (
        "Vous pouvez régler en ligne\u00a0: https://pay.atelier-durand.example/p/2026-0042" in text
    )


def test_formal_notice_carries_the_legal_mentions() -> None:
    """Heading, breakdown, deadline, consequence and the date interest runs from (fr and en)."""
    fr = render(ACTIONS["formal_notice"], context(previous_messages=3)).text
    assert fr.startswith("MISE EN DEMEURE\nLettre recommandée avec accusé de réception\n")
    assert f"- Principal\u00a0: 1{NNBSP}234,56{NBSP}€\n" in fr
    assert (
        "- Pénalités de retard (article L441-10 du Code de commerce), au taux de 12,15 % "
        f"(taux BCE + 10 points) depuis le 3 mars 2026\u00a0: 7,40{NBSP}€\n" in fr
    )
    assert (
        "- Indemnité forfaitaire pour frais de recouvrement (article D441-5 du Code de "
        f"commerce)\u00a0: 40,00{NBSP}€\n" in fr
    )
    # 1234.56 + 7.40 + 40.00 = 1281.96
    assert f"- Total\u00a0: 1{NNBSP}281,96{NBSP}€\n" in fr
    assert f"la somme de 1{NNBSP}281,96{NBSP}€ au plus tard le 28 mars 2026." in fr
    assert (
        "nous saisirons sans autre avis la juridiction compétente d'une requête en injonction "
        "de payer (articles 1405 et suivants du Code de procédure civile)." in fr
    )
    assert "courent de plein droit depuis le 3 mars 2026" in fr
    en = render(ACTIONS["formal_notice"], context("en_GB", previous_messages=3)).text
    assert en.startswith("FORMAL NOTICE\n")
    assert "- Total: €1,281.96\n" in en
    assert "by 28 March 2026." in en
    assert "order for payment (injonction de payer, Articles 1405 ff." in en
    html = render(ACTIONS["formal_notice"], context()).html
    assert html is not None
    assert html.startswith("<h1>Mise en demeure</h1>")


def test_consumers_never_see_the_indemnity() -> None:
    """A consumer's messages mention no recovery indemnity, and the notice starts legal interest."""
    consumer = customer(kind=CustomerKind.CONSUMER)
    for family, action in ACTIONS.items():
        if family == "courtesy":
            continue
        for locale in ("fr_FR", "en_GB"):
            ctx = context(
                locale, penalties=None, customer=consumer.model_copy(update={"locale": locale})
            )
            message = render(action, ctx)
            for part in (message.text, message.html or ""):
                assert "indemnit" not in part.lower()
                assert "40,00" not in part
                assert "€40.00" not in part
    notice = render(ACTIONS["formal_notice"], context(penalties=None, customer=consumer)).text
    assert "fait courir les intérêts au taux légal (article 1344-1 du Code civil)" in notice


def test_public_buyers_cite_the_public_procurement_code() -> None:
    """A public buyer's interest is "moratoires" under the Code de la commande publique."""
    text = render(ACTIONS["firm"], context(customer=customer(kind=CustomerKind.PUBLIC))).text
    assert (
        "Conformément à l'article L2192-13 du Code de la commande publique, des intérêts "
        "moratoires au taux de 12,15 % (taux BCE + 10 points), pour toute la durée du retard "
        f"(article R2192-31), courent depuis le 3 mars 2026{NBSP}: 7,40{NBSP}€ à ce jour. S'y "
        "ajoute l'indemnité forfaitaire pour frais "
        f"de recouvrement (article D2192-35)\u00a0: 40,00{NBSP}€." in text
    )


def test_tone_rises_with_the_level() -> None:
    """Friendly assumes an oversight; firm threatens a formal notice; the notice, the court."""
    friendly = render(ACTIONS["friendly"], context()).text
    firm = render(ACTIONS["firm"], context()).text
    assert "oubli" in friendly or "déjà en cours" in friendly
    assert "mise en demeure" in firm
    assert "25 mars 2026" in firm
    assert "injonction" not in firm


def test_every_step_kind_has_a_template_in_both_languages() -> None:
    """The built-in pack has subject and text for every step kind, in fr and en."""
    pack = builtin_pack()
    for locale in ("fr", "en"):
        assert pack.families(locale) == {kind.value for kind in StepKind}
        for kind in ("courtesy", "friendly", "reminder", "firm"):
            assert pack.has(locale, kind, "sms")
            assert pack.has(locale, kind, "html")
    for scenario in BUILTIN_SCENARIOS.values():
        check_scenario_templates(scenario, pack)


def test_friendly_and_reminder_have_two_wordings() -> None:
    """Friendly and reminder bodies differ between the two variants, in both languages."""
    for family in ("friendly", "reminder", "firm", "courtesy"):
        for locale in ("fr_FR", "en_GB"):
            bodies = {
                render(
                    ACTIONS[family],
                    context(
                        locale,
                        invoices=(LINE.model_copy(update={"id": f"F-{n}"}),),
                        previous_messages=2,
                    ),
                ).text
                for n in range(8)
            }
            assert len(bodies) == 2, (family, locale)


def test_override_merges_over_the_builtin_pack() -> None:
    """Overriding one template keeps the others; a new locale can be added."""
    pack = TemplatePack.from_mapping(
        {
            "fr/reminder.subject.j2": "Rappel {{ invoice.number }}",
            "de/reminder.subject.j2": "Zahlungserinnerung {{ invoice.number }}",
            "de/reminder.txt.j2": "Offener Betrag: {{ amount_due|money }}",
        },
        base=builtin_pack(),
    )
    fr = render(ACTIONS["reminder"], context(), pack=pack)
    assert fr.subject == "Rappel 2026-0042"
    assert fr.text == render(ACTIONS["reminder"], context()).text
    de = render(ACTIONS["reminder"], context("de_DE"), pack=pack)
    assert (de.subject, de.text, de.locale) == (
        "Zahlungserinnerung 2026-0042",
        f"Offener Betrag: 1.234,56{NBSP}€",
        "de",
    )
    assert (
        pack.with_overrides({"fr/reminder.subject.j2": "R"}).sources["fr/reminder.subject.j2"]
        == "R"
    )


def test_an_override_is_checked_like_the_builtin_pack() -> None:
    """A broken override fails when merged, naming its template and line."""
    with pytest.raises(TemplateError) as caught:
        builtin_pack().with_overrides({"fr/reminder.txt.j2": "ok\n{{ customer.nom }}"})
    assert (caught.value.template, caught.value.line) == ("fr/reminder.txt.j2", 2)


def test_load_template_pack_from_a_directory(tmp_path: Path) -> None:
    """A directory of <locale>/<name>.j2 files merges over the built-in pack, or stands alone."""
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "reminder.subject.j2").write_text(
        "Relance {{ invoice.number }}", encoding="utf-8"
    )
    pack = load_template_pack(tmp_path)
    assert render(ACTIONS["reminder"], context(), pack=pack).subject == "Relance 2026-0042"
    with pytest.raises(TemplateError, match="no txt template"):
        load_template_pack(tmp_path, merge=False)
    (tmp_path / "fr" / "reminder.txt.j2").write_text("{{ amount_due|money }}", encoding="utf-8")
    alone = load_template_pack(tmp_path, merge=False, max_sms_segments=1)
    assert alone.locales == {"fr"}
    assert alone.max_sms_segments == 1


def test_load_template_pack_errors(tmp_path: Path) -> None:
    """A missing directory or an undecodable file is a TemplateError."""
    with pytest.raises(TemplateError) as caught:
        load_template_pack(tmp_path / "nope")
    assert caught.value.code == "unreadable_template"
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "x.txt.j2").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TemplateError) as caught:
        load_template_pack(tmp_path)
    assert (caught.value.code, caught.value.template) == ("unreadable_template", "fr/x.txt.j2")


def test_penalty_summary_in_english() -> None:
    """English penalties wording cites the French Commercial Code, interest and indemnity apart."""
    text = render(ACTIONS["firm"], context("en_GB")).text
    assert (
        "Under Article L441-10 of the French Commercial Code, late-payment penalties at "
        "12,15 % (taux BCE + 10 points) have been running since 3 March 2026: €7.40 to date. "
        "In addition, the fixed debt-recovery indemnity (Article D441-5 of the French "
        "Commercial Code) is due: €40.00.\n"
    ) in text
    assert "Total penalties" not in text
    assert isinstance(PenaltySummary, type)


@pytest.mark.parametrize("family", sorted(ACTIONS))
def test_french_golden_messages_follow_french_typography(family: str) -> None:
    """No plain space before : ; ? ! and « » hold no-break spaces, in the text and the HTML."""
    golden = (GOLDEN / "fr" / f"{family}.txt").read_text(encoding="utf-8")
    # The SMS part is GSM-7, where no-break spaces do not exist: it is checked apart.
    parts = [golden.split("\n--- SMS")[0]]
    html = render(ACTIONS[family], context(previous_messages=3)).html
    parts += [html] if html is not None else []
    for part in parts:
        for mark in ":;?!":
            assert f" {mark}" not in part, (family, mark)
        for mark in ";?!":
            assert f"{NBSP}{mark}" not in part, (family, mark)  # a narrow one, not NBSP
        assert part.count("«") == part.count(f"«{NBSP}"), family
        assert part.count("»") == part.count(f"{NBSP}»"), family
        assert "n° " not in part, family
        assert f"{NBSP}:" in part or ":" not in part.replace("SUBJECT:", "").replace("://", "")


def test_french_negative_amounts_use_the_minus_sign() -> None:
    """Unapplied credit prints "\u2212100,00 EUR" with U+2212, which Babel writes "-" for fr_FR."""
    text = render(ACTIONS["firm"], context(unapplied_credit="100")).text
    assert f"Avoirs et acomptes non imputés{NBSP}: \u2212100,00{NBSP}€\n" in text
    en = render(ACTIONS["firm"], context("en_GB", unapplied_credit="100")).text
    assert "-€100.00" in en
