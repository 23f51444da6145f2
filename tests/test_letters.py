"""Letters a French lawyer would sign: the key lines of every built-in family x locale x regime.

Every expected line below was written by hand from the templates' specification (issue 10) and
the law they cite, never copied from a rendering. Amounts are the reference case's: invoice
2026-0042, 1,234.56 EUR unpaid since 3 March 2026, message dated 20 March 2026 (18 days late):

- business: 12.15 % (ECB 2.15 % + 10 points): 1234.56 x 0.1215 x 18 / 365 = 7.397 -> 7.40,
  plus the 40 EUR indemnity (D441-5);
- public buyer: 10.15 % (ECB + 8 points): 1234.56 x 0.1015 x 18 / 365 = 6.180 -> 6.18, plus
  the 40 EUR indemnity (D2192-35);
- consumer: legal rate 6.67 % from the formal notice of 10 March: 1234.56 x 0.0667 x 10 / 365
  = 2.256 -> 2.26, no indemnity.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.core.model import Channel, Civility, CustomerKind
from dunning.core.render import PenaltySummary, RenderContext, render
from tests.helpers import examples
from tests.reference_case import CREDITOR, LINE, FakeAction, context, customer

NB, NN = "\u00a0", "\u202f"  # no-break space before €, narrow no-break space in thousands
SIGNED = CREDITOR.model_copy(
    update={"signatory_name": "Claire Durand", "signatory_title": "gérante"}
)

FAMILIES = {
    "courtesy": FakeAction("courtesy", level=1, level_name="courtesy"),
    "friendly": FakeAction("friendly", level=1, level_name="friendly"),
    "reminder": FakeAction("reminder", level=2, level_name="reminder"),
    "firm": FakeAction("firm", level=3, level_name="firm", deadline_on=date(2026, 3, 30),
                       deadline_days=8),
    "phone_call": FakeAction("phone_call", channel=Channel.PHONE_TASK, level=4,
                             level_name="phone call"),
    "internal_alert": FakeAction("internal_alert", channel=Channel.INTERNAL_ALERT, level=4,
                                 level_name="phone call"),
    "formal_notice": FakeAction("formal_notice", channel=Channel.REGISTERED_LETTER, level=5,
                                level_name="formal notice", deadline_on=date(2026, 4, 1),
                                deadline_days=12),
    "handover": FakeAction("handover", channel=Channel.HANDOVER, level=6, level_name="handover"),
}  # fmt: skip
PREVIOUS = {"courtesy": 0, "friendly": 0, "reminder": 1, "firm": 2}  # later steps: 3

RATES = {
    ("business", "fr"): "12,15 % (taux BCE + 10 points)",
    ("business", "en"): "12.15% (ECB rate + 10 points)",
    ("public", "fr"): "10,15 % (taux BCE + 8 points)",
    ("public", "en"): "10.15% (ECB rate + 8 points)",
    ("consumer", "fr"): "6,67 %",
    ("consumer", "en"): "6.67%",
}
INTEREST = {"business": "7.40", "public": "6.18", "consumer": "2.26"}


def penalties(regime: str, lang: str) -> PenaltySummary:
    """The reference case's penalties under *regime*, the rate worded in *lang*."""
    interest = Decimal(INTEREST[regime])
    indemnity = Decimal(0) if regime == "consumer" else Decimal("40.00")
    return PenaltySummary(
        interest=interest,
        indemnity=indemnity,
        total=interest + indemnity,
        rate_description=RATES[regime, lang],
        # The consumer's notice is dated 10 March; interest runs from the next day.
        interest_from=date(2026, 3, 11) if regime == "consumer" else date(2026, 3, 3),
        formal_notice_on=date(2026, 3, 10) if regime == "consumer" else None,
    )


def letter_context(family: str, lang: str, regime: str, **changes: object) -> RenderContext:
    """The reference case for *regime*: ACME SARL, Paul Girard or the Commune de Saint-Paul."""
    locale = {"fr": "fr_FR", "en": "en_GB"}[lang]
    who = {
        "business": customer(locale, contact_civility=Civility.MS, contact_surname="Martin"),
        "consumer": customer(locale, kind=CustomerKind.CONSUMER, name="Paul Girard",
                             contact_name=None, contact_civility=Civility.MR,
                             contact_surname="Girard"),
        "public": customer(locale, kind=CustomerKind.PUBLIC, name="Commune de Saint-Paul",
                           contact_name="Anne Leroy"),
    }[regime]  # fmt: skip
    fields: dict[str, object] = {
        "customer": who,
        "creditor": SIGNED,
        "penalties": penalties(regime, lang),
        "previous_messages": PREVIOUS.get(family, 3),
    }
    if family == "formal_notice":
        fields["earlier_reminders"] = (date(2026, 3, 5), date(2026, 3, 12))
    if family == "courtesy":
        fields.update(
            penalties=None,
            message_date=date(2026, 2, 27),
            invoices=(LINE.model_copy(update={"days_late": -3}),),
        )
    fields.update(changes)
    return context(locale, **fields)  # type: ignore[arg-type]


def typeset(line: str) -> str:
    """An expected French line with French typography, written out here (not the library's)."""
    for plain, spaced in (
        (" :", f"{NB}:"), (" ;", f"{NN};"), (" ?", f"{NN}?"), (" !", f"{NN}!"),
        ("« ", f"«{NB}"), (" »", f"{NB}»"), ("n° ", f"n°{NB}"),
    ):  # fmt: skip
        line = line.replace(plain, spaced)
    return line


def fr_money(amount: str) -> str:
    """French format of a plain amount like 1234.56: 1 234,56 € with Babel's spaces."""
    units, cents = amount.split(".")
    if len(units) > 3:
        units = f"{units[:-3]}{NN}{units[-3:]}"
    return f"{units},{cents}{NB}€"


def en_money(amount: str) -> str:
    """English format: €1,234.56."""
    units, cents = amount.split(".")
    if len(units) > 3:
        units = f"{units[:-3]},{units[-3:]}"
    return f"€{units}.{cents}"


# Totals of the formal notice, by hand: 1234.56 + interest + indemnity.
TOTAL = {"business": "1281.96", "public": "1280.74", "consumer": "1236.82"}

FR_GREETING = {"business": "Bonjour Jeanne Martin,", "consumer": "Bonjour Paul Girard,",
               "public": "Bonjour Anne Leroy,"}  # fmt: skip
FR_FORMAL = {"business": "Madame", "consumer": "Monsieur", "public": "Madame, Monsieur"}
EN_GREETING = {"business": "Dear Jeanne Martin,", "consumer": "Dear Paul Girard,",
               "public": "Dear Anne Leroy,"}  # fmt: skip
EN_FORMAL = {"business": "Dear Ms Martin,", "consumer": "Dear Mr Girard,",
             "public": "Dear Anne Leroy,"}  # fmt: skip

FR_AMOUNTS = {
    "business": (
        "Conformément à l'article L441-10 du Code de commerce, des pénalités de retard au taux "
        "de 12,15 % (taux BCE + 10 points) courent depuis le 3 mars 2026 : "
        f"7,40{NB}€ à ce jour. S'y ajoute l'indemnité forfaitaire pour frais de recouvrement "
        f"(article D441-5 du Code de commerce) : 40,00{NB}€.\n"
    ),
    "public": (
        "Conformément à l'article L2192-13 du Code de la commande publique, des intérêts "
        "moratoires au taux de 10,15 % (taux BCE + 8 points), pour toute la durée du retard "
        f"(article R2192-31), courent depuis le 3 mars 2026 : 6,18{NB}€ à ce jour. S'y ajoute "
        "l'indemnité forfaitaire pour frais "
        f"de recouvrement (article D2192-35) : 40,00{NB}€.\n"
    ),
    "consumer": (
        "Des intérêts au taux légal (6,67 %) courent depuis notre mise en demeure du 10 mars "
        "2026 (articles 1231-6 et 1344-1 du Code civil) : "
        f"2,26{NB}€ à ce jour.\n"
    ),
}
EN_AMOUNTS = {
    "business": (
        "Under Article L441-10 of the French Commercial Code, late-payment penalties at "
        "12.15% (ECB rate + 10 points) have been running since 3 March 2026: €7.40 to date. "
        "In addition, the fixed debt-recovery indemnity (Article D441-5 of the French "
        "Commercial Code) is due: €40.00.\n"
    ),
    "public": (
        "Under Article L2192-13 of the French Public Procurement Code, interest for late "
        "payment (intérêts moratoires) at 10.15% (ECB rate + 8 points), one rate for the whole "
        "delay (Article R2192-31), has been running since 3 March 2026: €6.18 to date. In "
        "addition, the fixed debt-recovery "
        "indemnity (Article D2192-35) is due: €40.00.\n"
    ),
    "consumer": (
        "Interest at the French legal rate (6.67%) has been running since our formal notice of "
        "10 March 2026 (Articles 1231-6 and 1344-1 of the French Civil Code): "
        "€2.26 to date.\n"
    ),
}
FR_MENTION = {
    "business": (
        "Pour rappel, tout retard de paiement fait courir de plein droit des pénalités de "
        "retard et une indemnité forfaitaire pour frais de recouvrement (articles L441-10 et "
        "D441-5 du Code de commerce).\n"
    ),
    "public": (
        "Pour rappel, tout retard de paiement fait courir de plein droit des intérêts "
        "moratoires et une indemnité forfaitaire pour frais de recouvrement (articles L2192-13 "
        "et D2192-35 du Code de la commande publique).\n"
    ),
    "consumer": (
        "Des intérêts au taux légal courent depuis notre mise en demeure du 10 mars 2026 "
        "(articles 1231-6 et 1344-1 du Code civil).\n"
    ),
}
EN_MENTION = {
    "business": (
        "As a reminder, late payment automatically incurs late-payment penalties and a fixed "
        "debt-recovery indemnity (Articles L441-10 and D441-5 of the French Commercial Code).\n"
    ),
    "public": (
        "As a reminder, late payment automatically incurs interest for late payment and a "
        "fixed debt-recovery indemnity (Articles L2192-13 and D2192-35 of the French Public "
        "Procurement Code).\n"
    ),
    "consumer": (
        "Interest at the French legal rate has been running since our formal notice of "
        "10 March 2026 (Articles 1231-6 and 1344-1 of the French Civil Code).\n"
    ),
}
FR_RECIPIENT = {
    "business": "ACME SARL\nÀ l'attention de Madame Jeanne Martin\n5 avenue Foch, 75016 Paris\n",
    "consumer": "Monsieur Paul Girard\n5 avenue Foch, 75016 Paris\n",
    "public": "Commune de Saint-Paul\nÀ l'attention d'Anne Leroy\n5 avenue Foch, 75016 Paris\n",
}
EN_RECIPIENT = {
    "business": "ACME SARL\nFor the attention of Ms Jeanne Martin\n5 avenue Foch, 75016 Paris\n",
    "consumer": "Mr Paul Girard\n5 avenue Foch, 75016 Paris\n",
    "public": (
        "Commune de Saint-Paul\nFor the attention of Anne Leroy\n5 avenue Foch, 75016 Paris\n"
    ),
}
FR_LABEL = {
    "business": "Pénalités de retard (article L441-10 du Code de commerce), au taux de 12,15 % "
    "(taux BCE + 10 points) depuis le 3 mars 2026",
    "public": "Intérêts moratoires (articles L2192-13 et R2192-31 du Code de la commande "
    "publique), au taux de 10,15 % (taux BCE + 8 points) pour toute la durée du retard depuis "
    "le 3 mars 2026",
    "consumer": "Intérêts au taux légal (articles 1231-6 et 1344-1 du Code civil), au taux de "
    "6,67 % depuis notre mise en demeure du 10 mars 2026",
}
EN_LABEL = {
    "business": "Late-payment penalties (Article L441-10 of the French Commercial Code), at "
    "12.15% (ECB rate + 10 points) since 3 March 2026",
    "public": "Interest for late payment (Articles L2192-13 and R2192-31 of the French Public "
    "Procurement Code), at 10.15% (ECB rate + 8 points) for the whole delay since 3 March "
    "2026",
    "consumer": "Interest at the legal rate (Articles 1231-6 and 1344-1 of the French Civil "
    "Code), at 6.67% since our formal notice of 10 March 2026",
}
FR_SIGNATORY = "Claire Durand, gérante\nAtelier Durand SAS\n12 rue des Lilas, 69003 Lyon\n"
EN_SIGNATORY = FR_SIGNATORY


def expected_fr(family: str, regime: str) -> list[str]:  # noqa: C901, PLR0911, PLR0912
    """The key French lines of *family* under *regime*."""
    interest = fr_money(INTEREST[regime])
    if family == "courtesy":
        return ["SUBJECT Facture 2026-0042 : échéance le 2 mars 2026", FR_GREETING[regime] + "\n",
                "\nCordialement,\nClaire Durand, comptabilité\n"]  # fmt: skip
    if family == "friendly":
        return [FR_GREETING[regime] + "\n", f"Montant restant dû : 1{NN}234,56{NB}€\n",
                "\nCordialement,\nClaire Durand, comptabilité\n"]  # fmt: skip
    if family == "reminder":
        pay = "Nous vous remercions de procéder au règlement dans les meilleurs délais."
        return [FR_GREETING[regime] + "\n", FR_MENTION[regime], pay]
    if family == "firm":
        return [
            "SUBJECT Dernier rappel avant mise en demeure : facture 2026-0042",
            FR_FORMAL[regime] + ",\n",
            FR_AMOUNTS[regime],
            (
                f"Nous vous demandons de régler la somme de 1{NN}234,56{NB}€ au plus tard le "
                "30 mars "
                "2026. À défaut, nous vous adresserons une mise en demeure, préalable à une action "
                "en justice.\n"
            ),
            f"Nous vous prions d'agréer, {FR_FORMAL[regime]}, l'expression de nos salutations "
            "distinguées.\n\n" + FR_SIGNATORY,
        ]
    if family == "phone_call":
        running = {"business": "des pénalités de retard", "consumer": "des intérêts au taux légal",
                   "public": "des intérêts moratoires"}[regime]  # fmt: skip
        line = f"5. Si besoin, rappeler que {running} courent ({interest} à ce jour)"
        if regime != "consumer":
            line += (" et que l'indemnité forfaitaire pour frais de recouvrement de "
                     f"40,00{NB}€ est due")  # fmt: skip
        return [f"SUBJECT À appeler : {{name}} - 1{NN}234,56{NB}€ impayés", line + ".\n"]
    if family == "internal_alert":
        line = f"Intérêts de retard dus à ce jour : {interest}"
        if regime != "consumer":
            line += f" ; indemnités forfaitaires : 40,00{NB}€"
        return ["SUBJECT Alerte impayés : {name}", line + ".\n"]
    if family == "handover":
        label = {"business": "pénalités de retard", "consumer": "intérêts au taux légal",
                 "public": "intérêts moratoires"}[regime]  # fmt: skip
        kind = {"business": "professionnel", "consumer": "particulier",
                "public": "acheteur public"}[regime]  # fmt: skip
        line = (f"À ce jour : {label} de {interest} au taux de {RATES[regime, 'fr']} depuis le "
                f"{'11' if regime == 'consumer' else '3'} mars 2026")  # fmt: skip
        if regime != "consumer":
            line += f", et indemnités forfaitaires pour frais de recouvrement de 40,00{NB}€"
        return [f"Débiteur : {{name}} ({kind})\n", line + ".\n"]
    # formal_notice
    lines = [
        "SUBJECT Mise en demeure de payer : facture 2026-0042",
        "MISE EN DEMEURE\nLettre recommandée avec accusé de réception\n",
        "\n" + FR_RECIPIENT[regime] + "\nLe 20 mars 2026\n",
        FR_FORMAL[regime] + ",\n\nMalgré nos relances des 5 et 12 mars 2026, la facture "
        "suivante reste impayée :\n",
        (
            f"Décompte arrêté au 20 mars 2026, sauf à parfaire :\n- Principal : 1{NN}234,56{NB}€\n"
            f"- {FR_LABEL[regime]} : {interest}\n"
        ),
        f"- Total : {fr_money(TOTAL[regime])}\n",
        f"la somme de {fr_money(TOTAL[regime])} au plus tard le 1er avril 2026.\n",
        f"Nous vous prions d'agréer, {FR_FORMAL[regime]}, l'expression de nos salutations "
        "distinguées.\n\n" + FR_SIGNATORY,
    ]
    if regime == "public":
        lines += [
            (
                "- Indemnité forfaitaire pour frais de recouvrement (article D2192-35 du Code de "
                "la "
                f"commande publique) : 40,00{NB}€\n"
            ),
            (
                "À défaut de règlement dans ce délai, nous saisirons le juge des référés du "
                "tribunal "
                "administratif d'une demande de provision (article R541-1 du Code de justice "
                "administrative).\n"
            ),
        ]
    else:
        lines.append(
            "À défaut de règlement dans ce délai, nous saisirons sans autre avis la juridiction "
            "compétente d'une requête en injonction de payer (articles 1405 et suivants du Code "
            "de procédure civile).\n"
        )
    if regime == "business":
        lines.append(
            "- Indemnité forfaitaire pour frais de recouvrement (article D441-5 du Code de "
            f"commerce) : 40,00{NB}€\n"
        )
    if regime == "consumer":
        lines.append(
            "Les intérêts au taux légal, qui courent depuis notre mise en demeure du 10 mars "
            "2026, continueront de courir jusqu'au paiement.\n"
        )
    return lines


def expected_en(family: str, regime: str) -> list[str]:  # noqa: C901, PLR0911, PLR0912
    """The key English lines of *family* under *regime*."""
    interest = en_money(INTEREST[regime])
    if family == "courtesy":
        return ["SUBJECT Invoice 2026-0042: due on 2 March 2026", EN_GREETING[regime] + "\n",
                "\nKind regards,\nClaire Durand, comptabilité\n"]  # fmt: skip
    if family == "friendly":
        return [EN_GREETING[regime] + "\n", "Amount outstanding: €1,234.56\n",
                "If you have any questions, simply reply to this e-mail.\n"]  # fmt: skip
    if family == "reminder":
        return [EN_GREETING[regime] + "\n", EN_MENTION[regime],
                "Please arrange payment as soon as possible.\n"]  # fmt: skip
    if family == "firm":
        closing = "Yours faithfully," if regime == "none" else "Yours sincerely,"
        return [
            "SUBJECT Final reminder before formal notice: invoice 2026-0042",
            EN_FORMAL[regime] + "\n",
            EN_AMOUNTS[regime],
            (
                "We ask you to pay €1,234.56 by 30 March 2026. Failing that, we will send you a "
                "formal notice, the step before legal action.\n"
            ),
            f"\n{closing}\n\n" + EN_SIGNATORY,
        ]
    if family == "phone_call":
        running = {"business": "late-payment penalties are",
                   "consumer": "interest at the legal rate is",
                   "public": "interest for late payment is"}[regime]  # fmt: skip
        line = f"5. If needed, mention that {running} running ({interest} to date)"
        if regime != "consumer":
            line += " and that the fixed debt-recovery indemnity of €40.00 is due"
        return ["SUBJECT To call: {name} - €1,234.56 unpaid", line + ".\n"]
    if family == "internal_alert":
        line = f"Late-payment interest owed to date: {interest}"
        if regime != "consumer":
            line += "; fixed indemnities: €40.00"
        return ["SUBJECT Overdue alert: {name}", line + ".\n"]
    if family == "handover":
        label = {"business": "late-payment penalties", "consumer": "interest at the legal rate",
                 "public": "interest for late payment"}[regime]  # fmt: skip
        kind = {"business": "business", "consumer": "consumer", "public": "public buyer"}[regime]
        line = (f"To date: {label} of {interest} at {RATES[regime, 'en']} since "
                f"{'11' if regime == 'consumer' else '3'} March 2026")  # fmt: skip
        if regime != "consumer":
            line += ", and fixed debt-recovery indemnities of €40.00"
        return [f"Debtor: {{name}} ({kind})\n", line + ".\n"]
    lines = [
        "SUBJECT Formal notice to pay: invoice 2026-0042",
        "FORMAL NOTICE\nRegistered letter with acknowledgement of receipt\n",
        "\n" + EN_RECIPIENT[regime] + "\n20 March 2026\n",
        EN_FORMAL[regime] + "\n\nDespite our reminders of 5 and 12 March 2026, the following "
        "invoice remains unpaid:\n",
        (
            "Amounts due as at 20 March 2026, subject to adjustment:\n- Principal: €1,234.56\n"
            f"- {EN_LABEL[regime]}: {interest}\n"
        ),
        f"- Total: {en_money(TOTAL[regime])}\n",
        f"formal notice to pay us {en_money(TOTAL[regime])} by 1 April 2026.\n",
        "\nYours sincerely,\n\n" + EN_SIGNATORY,
    ]
    if regime == "public":
        lines += [
            (
                "- Fixed debt-recovery indemnity (Article D2192-35 of the French Public "
                "Procurement "
                "Code): €40.00\n"
            ),
            (
                "we will ask the interim-relief judge of the administrative court for an order to "
                "pay a provision (référé-provision, Article R541-1 of the French Code of "
                "Administrative Justice).\n"
            ),
        ]
    else:
        lines.append(
            "we will apply to the competent court for an order for payment (injonction de "
            "payer, Articles 1405 ff. of the French Code of Civil Procedure) without further "
            "notice.\n"
        )
    if regime == "business":
        lines.append(
            "- Fixed debt-recovery indemnity (Article D441-5 of the French Commercial Code): "
            "€40.00\n"
        )
    return lines


CASES = [
    (family, lang, regime)
    for family in FAMILIES
    for lang in ("fr", "en")
    for regime in ("business", "consumer", "public")
]


@pytest.mark.parametrize(("family", "lang", "regime"), CASES)
def test_key_lines(family: str, lang: str, regime: str) -> None:
    """Heading, greeting, each amount, its label and basis, deadline, consequence, signature."""
    ctx = letter_context(family, lang, regime)
    message = render(FAMILIES[family], ctx)
    rendered = f"SUBJECT {message.subject}\n{message.text}\n"
    expected = (
        [typeset(line) for line in expected_fr(family, regime)]
        if lang == "fr"
        else expected_en(family, regime)
    )
    for line in expected:
        assert line.replace("{name}", ctx.customer.name) in rendered, line
    if regime == "consumer":
        assert "indemnit" not in rendered.lower()
    if family in ("courtesy", "friendly"):
        # A courtesy or friendly note claims no penalties (issue 10, point 4).
        for word in ("pénalit", "penalt", "intérêts", "interest", "L441-10"):
            assert word not in rendered, word


def test_several_invoices_state_interest_and_indemnity_per_invoice() -> None:
    """Each line shows its own interest and start date; the indemnity is "2 x 40,00 EUR"."""
    first = penalties("business", "fr")
    second = PenaltySummary(interest=Decimal("21.38"), indemnity=Decimal("40.00"),
                            total=Decimal("61.38"), rate_description=RATES["business", "fr"],
                            interest_from=date(2026, 2, 3))  # fmt: skip
    lines = (
        LINE.model_copy(update={"penalties": second, "id": "F-41", "number": "2026-0041",
                                "due_on": date(2026, 2, 2), "days_late": 46}),
        LINE.model_copy(update={"penalties": first}),
    )  # fmt: skip
    ctx = context(invoices=lines, penalties=None, creditor=SIGNED, previous_messages=3)
    text = render(FAMILIES["formal_notice"], ctx).text
    assert f"  Pénalités de retard depuis le 3 février 2026{NB}: 21,38{NB}€\n" in text
    assert f"  Pénalités de retard depuis le 3 mars 2026{NB}: 7,40{NB}€\n" in text
    # The breakdown points at the per-invoice detail instead of one start date for both.
    # 21.38 + 7.40 = 28.78 interest; 2 x 40 = 80.00 indemnity (D441-5, per invoice).
    assert (
        "- Pénalités de retard (article L441-10 du Code de commerce), détail par facture "
        f"ci-dessus{NB}: 28,78{NB}€\n" in text
    )
    assert f"(article D441-5 du Code de commerce){NB}: 2 \u00d7 40,00{NB}€ = 80,00{NB}€\n" in text
    assert "(pénalités :" not in text


def test_staff_tasks_follow_the_staff_locale() -> None:
    """French staff get a French call script for an English customer; the customer, English."""
    ctx = letter_context("phone_call", "en", "business",
                         creditor=SIGNED.model_copy(update={"staff_locale": "fr_FR"}))  # fmt: skip
    script = render(FAMILIES["phone_call"], ctx)
    assert script.text.startswith(f"Appel de relance{NB}: ACME SARL\n")
    assert script.locale == "fr"
    assert f"Montant dû{NB}: 1{NN}234,56{NB}€" in script.text
    alert = render(FAMILIES["internal_alert"], ctx)
    assert alert.subject == f"Alerte impayés{NB}: ACME SARL - 1{NN}234,56{NB}€"
    email = render(FAMILIES["reminder"], ctx)
    assert email.locale == "en"
    assert email.text.startswith("Dear Jeanne Martin,\n")


def test_first_of_the_month_is_an_ordinal_in_french_only() -> None:
    """French writes "1er avril 2026", "2 avril 2026"; English "1 April 2026"."""
    for deadline, fr, en in [
        (date(2026, 4, 1), "au plus tard le 1er avril 2026.", "by 1 April 2026."),
        (date(2026, 4, 2), "au plus tard le 2 avril 2026.", "by 2 April 2026."),
        (date(2026, 12, 1), "au plus tard le 1er décembre 2026.", "by 1 December 2026."),
    ]:
        action = replace(FAMILIES["reminder"], deadline_on=deadline, deadline_days=8)
        assert fr in render(action, letter_context("reminder", "fr", "business")).text
        assert en in render(action, letter_context("reminder", "en", "business")).text


def test_sms_states_the_deadline_as_the_email_does() -> None:
    """The SMS says "au plus tard le 30/03/2026" like the email's "au plus tard le 30 mars"."""
    ctx = letter_context("firm", "fr", "business", payment_link=None)
    sms = render(replace(FAMILIES["firm"], channel=Channel.SMS), ctx).sms
    assert sms is not None
    assert "au plus tard le 30/03/2026 (RIB sur la facture)." in sms
    assert "avant le" not in sms
    assert sms.endswith("Questions : 04 72 00 00 00. Cordialement.")
    reminder = render(replace(FAMILIES["reminder"], channel=Channel.SMS), ctx).sms
    assert reminder is not None
    assert "la facture 2026-0042 de 1 234,56 €, échue le 02/03/2026, reste impayée." in reminder


def test_a_named_consumer_without_civility_is_greeted_by_name() -> None:
    """A consumer is greeted by name, never "Madame, Monsieur"; formally without civility too."""
    ctx = letter_context("friendly", "fr", "consumer")
    ctx = ctx.model_copy(
        update={"customer": ctx.customer.model_copy(update={"contact_civility": None})}
    )
    assert render(FAMILIES["friendly"], ctx).text.startswith("Bonjour Paul Girard,\n")
    assert render(FAMILIES["firm"], ctx).text.startswith("Madame, Monsieur,\n")


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

CLAIMS = ("Malgré", "précédent", "revenons vers vous", "nos relances", "nos rappels",
          "Despite", "previous", "writing again", "our reminders")  # fmt: skip
REGIMES = ("business", "consumer", "public")
WORDINGS = (None, "none", "mention", "amounts")


@settings(max_examples=examples(80), deadline=None)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    lang=st.sampled_from(["fr", "en"]),
    regime=st.sampled_from(REGIMES),
    invoice_id=st.text(alphabet="ABCDEF0123456789-", min_size=1, max_size=12),
    wording=st.sampled_from(WORDINGS),
)
def test_no_message_claims_an_earlier_one_when_there_was_none(
    family: str, lang: str, regime: str, invoice_id: str, wording: str | None
) -> None:
    """Property: with no message received before, no wording speaks of an earlier one."""
    line = LINE.model_copy(update={"id": invoice_id})
    ctx = letter_context(
        family, lang, regime, previous_messages=0, earlier_reminders=(), invoices=(line,)
    )
    message = render(replace(FAMILIES[family], penalty_wording=wording), ctx)
    for part in (message.subject, message.text, message.html or ""):
        for claim in CLAIMS:
            assert claim not in part, (claim, part)


@settings(max_examples=examples(80), deadline=None)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    lang=st.sampled_from(["fr", "en"]),
    previous=st.integers(min_value=0, max_value=5),
    wording=st.sampled_from(WORDINGS),
    with_interest=st.booleans(),
    channel=st.sampled_from([None, Channel.SMS]),
)
def test_no_consumer_message_contains_the_indemnity(  # noqa: PLR0917  (hypothesis's way)
    family: str,
    lang: str,
    previous: int,
    wording: str | None,
    with_interest: bool,
    channel: Channel | None,
) -> None:
    """Property: whatever the step, wording and history, a consumer never reads "indemnity"."""
    if channel is Channel.SMS and family not in ("courtesy", "friendly", "reminder", "firm"):
        channel = None
    ctx = letter_context(family, lang, "consumer", previous_messages=previous)
    if not with_interest:
        ctx = ctx.model_copy(update={"penalties": None})
    action = replace(FAMILIES[family], penalty_wording=wording)
    if channel is not None:
        action = replace(action, channel=channel)
    message = render(action, ctx)
    for part in (message.subject, message.text, message.html or "", message.sms or ""):
        assert "indemnit" not in part.lower()
        assert "40,00" not in part
        assert "€40.00" not in part


@settings(max_examples=examples(60), deadline=None)
@given(
    family=st.sampled_from(["courtesy", "friendly", "reminder", "firm"]),
    lang=st.sampled_from(["fr", "en"]),
    regime=st.sampled_from(REGIMES),
    link=st.booleans(),
    several=st.booleans(),
)
def test_no_sms_contains_an_iban(
    family: str, lang: str, regime: str, link: bool, several: bool
) -> None:
    """Property: an SMS never carries the IBAN (it looks like a fraud message)."""
    changes: dict[str, object] = {}
    if not link:
        changes["payment_link"] = None
    if several:
        changes["invoices"] = (LINE, LINE.model_copy(update={"id": "F-2", "number": "2026-0043"}))
        changes["penalties"] = None
    ctx = letter_context(family, lang, regime, **changes)
    sms = render(replace(FAMILIES[family], channel=Channel.SMS), ctx).sms
    assert sms is not None
    assert "IBAN" not in sms
    assert CREDITOR.iban not in sms.replace(" ", "")
    assert "3000 6000" not in sms
