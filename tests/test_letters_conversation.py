"""Letters a debtor can check (issue 18, part 3): every expected line written out by hand.

Figures are worked in the comments next to each test, from the rates of DOMAIN.md section 6
(2026 H1: ECB 2.15 % in force on 1 January, so 12.15 % under L441-10 and 10.15 % for a public
buyer; legal rate "autres cas" 2.62 %), 365-day years, per-line rounding half-up to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunning.core.model import Channel, Civility, Customer, CustomerKind, Invoice, Payment
from dunning.core.penalties import compute_penalties
from dunning.core.render import InvoiceLine, PenaltySummary, RenderContext, render
from dunning.exceptions import ProvisionalRateWarning
from tests.reference_case import FakeAction, context, customer

NBSP, NNBSP, MINUS = "\u00a0", "\u202f", "\u2212"
# Short names for the expected lines: no-break space, narrow one, minus sign, multiplication.
N, NN, M, X = NBSP, NNBSP, MINUS, "\u00d7"
FIRM_EN = FakeAction("firm", level=3, level_name="firm", deadline_on=date(2026, 3, 30))


def test_english_formal_greeting_uses_the_surname() -> None:
    """English greets "Dear Ms Leroy" with a surname, "Dear Sir or Madam" without one."""
    leroy = customer("en_GB", contact_name="Anne Leroy", contact_civility=Civility.MS,
                     contact_surname="Leroy")  # fmt: skip
    text = render(FIRM_EN, context("en_GB", customer=leroy)).text
    assert text.startswith("Dear Ms Leroy,\n")
    assert "Yours sincerely," in text
    guess = customer("en_GB", contact_name="Anne Leroy", contact_civility=Civility.MS)
    text = render(FIRM_EN, context("en_GB", customer=guess)).text
    assert text.startswith("Dear Sir or Madam,\n")
    assert "Dear Ms Anne Leroy" not in text
    assert "Yours faithfully," in text
    plain = customer("en_GB", contact_name="Anne Leroy")
    assert render(FIRM_EN, context("en_GB", customer=plain)).text.startswith("Dear Anne Leroy,\n")


def test_french_formal_greeting_is_the_civility_alone() -> None:
    """French letters open "Madame," whatever the surname: the name is not repeated."""
    leroy = customer(contact_name="Anne Leroy", contact_civility=Civility.MS,
                     contact_surname="Leroy")  # fmt: skip
    firm = FakeAction("firm", level=3, level_name="firm")
    assert render(firm, context(customer=leroy)).text.startswith("Madame,\n")


def test_staff_texts_name_levels_in_french() -> None:
    """The French alert and handover name the step in French, never the English step name."""
    alert = FakeAction("internal_alert", channel=Channel.INTERNAL_ALERT, level=4,
                       level_name="firm")  # fmt: skip
    text = render(alert, context()).text
    assert text.startswith(
        "Le client ACME SARL (C-1) a atteint le niveau 4 du scénario de relance "
        f"(étape «{NBSP}alerte interne{NBSP}»).\n"
    )
    handover = FakeAction("handover", channel=Channel.HANDOVER, level=6, level_name="handover")
    text = render(handover, context()).text
    assert f"Étape du scénario{NBSP}: transmission du dossier (niveau 6).\n" in text
    for english in ("firm", "handover", "friendly", "formal notice"):
        assert f" {english} " not in text


# --------------------------------------------------------------------------------------------
# A business customer's formal notice over three invoices (issue 18 part 3, point 12)
# --------------------------------------------------------------------------------------------
#
# ACME SARL, message dated 20 March 2026, reminders delivered on 3 and 10 March 2026.
# Demanded:
# - 2025-0120, 1,000.00 due 15 June 2025, nothing paid; late 16 June 2025 .. 20 March 2026 =
#   15 + 31 + 31 + 30 + 31 + 30 + 31 + 31 + 28 + 20 = 278 days. L441-10 splits by half-year:
#   16-30 June 2025, 15 days at 13.15 (ECB 3.15 on 1 Jan 2025 + 10): 131.5 x 15 / 365 = 5.40;
#   1 July-31 Dec 2025, 184 days at 12.15 (ECB 2.15 on 1 July + 10): 121.5 x 184 / 365 = 61.25;
#   1 Jan-20 March 2026, 79 days at 12.15: 121.5 x 79 / 365 = 26.30. Interest 92.95.
# - 2026-0101, 2,400.00 due 4 Feb 2026, 400.00 paid on 20 Feb: 5-20 Feb, 16 days on 2,400 at
#   12.15: 291.6 x 16 / 365 = 12.78; 21 Feb-20 March, 28 days on 2,000: 243 x 28 / 365 = 18.64.
#   Interest 31.42, balance 2,000.00.
# - 2026-0115, 600.00 due 19 Feb 2026: 20 Feb-20 March, 29 days: 72.9 x 29 / 365 = 5.79.
# Principal 1,000 + 2,000 + 600 = 3,600.00; interest 92.95 + 31.42 + 5.79 = 130.16;
# indemnity 3 x 40 = 120.00; total 3,850.16.
# Listed apart: 2026-0130, 300.00 due 10 March (10 days late). Upcoming: 2026-0140, 500.00 due
# 15 April. Disputed: 2026-0090, 250.00. Statement balance: 3,600 + 300 + 500 = 4,400.00.

MESSAGE_DATE = date(2026, 3, 20)
NOTICE = FakeAction("formal_notice", channel=Channel.REGISTERED_LETTER, level=5,
                    level_name="formal notice", deadline_on=date(2026, 4, 1),
                    deadline_days=12)  # fmt: skip


def _invoice(who: Customer, number: str, issued: date, due: date, total: str) -> Invoice:
    return Invoice(id=f"F-{number}", number=number, customer=who, issued_on=issued, due_on=due,
                   total=Decimal(total))  # fmt: skip


def _line(
    invoice: Invoice,
    events: tuple[Payment, ...] = (),
    *,
    on: date = MESSAGE_DATE,
    role: str = "demanded",
    notice: date | None = None,
    locale: str = "fr_FR",
) -> InvoiceLine:
    """The line of *invoice*, its penalties computed by the library (the figures are checked)."""
    penalties = None
    if role == "demanded":
        breakdown = compute_penalties(invoice, events, until=on, formal_notice_on=notice)
        penalties = PenaltySummary.from_breakdown(breakdown, locale=locale)
    line = InvoiceLine.from_invoice(invoice, events, on=on, penalties=penalties)
    return line.model_copy(update={"role": role})


def three_invoice_notice(**changes: object) -> RenderContext:
    """ACME SARL's formal notice of 20 March 2026 (see the figures above)."""
    acme = customer(contact_name=None)
    lines = (
        _line(_invoice(acme, "2025-0120", date(2025, 5, 16), date(2025, 6, 15), "1000.00")),
        _line(
            _invoice(acme, "2026-0101", date(2026, 1, 5), date(2026, 2, 4), "2400.00"),
            (Payment(on=date(2026, 2, 20), amount=Decimal("400.00")),),
        ),
        _line(_invoice(acme, "2026-0115", date(2026, 1, 20), date(2026, 2, 19), "600.00")),
        _line(_invoice(acme, "2026-0130", date(2026, 2, 8), date(2026, 3, 10), "300.00"),
              role="listed"),
        _line(_invoice(acme, "2026-0140", date(2026, 3, 16), date(2026, 4, 15), "500.00"),
              role="upcoming"),
        _line(_invoice(acme, "2026-0090", date(2026, 1, 2), date(2026, 2, 1), "250.00"),
              role="disputed"),
    )  # fmt: skip
    fields: dict[str, object] = {
        "customer": acme,
        "invoices": lines,
        "penalties": None,
        "message_date": MESSAGE_DATE,
        "previous_messages": 2,
        "earlier_reminders": (date(2026, 3, 3), date(2026, 3, 10)),
    }
    fields.update(changes)
    return context(**fields)  # type: ignore[arg-type]


def test_three_invoice_notice_states_each_invoice_line_by_line() -> None:
    """Each invoice: total, money received, balance, each period's dates, rate and interest."""
    text = render(NOTICE, three_invoice_notice()).text
    expected = (
        f"- Facture n°{N}2025-0120 du 16 mai 2025, échéance le 15 juin 2025 (278 jours de "
        f"retard){N}: 1{NN}000,00{N}€\n"
        f"  Montant TTC{N}: 1{NN}000,00{N}€\n"
        f"  Solde dû{N}: 1{NN}000,00{N}€\n"
        f"  Pénalités de retard depuis le 16 juin 2025{N}: 92,95{N}€\n"
        f"    du 16 juin 2025 au 30 juin 2025 (15 jours){N}: 1{NN}000,00{N}€ {X} 13,15{N}% {X} 15 "
        f"/ 365 = 5,40{N}€\n"
        f"    du 1er juillet 2025 au 31 décembre 2025 (184 jours){N}: 1{NN}000,00{N}€ {X} "
        f"12,15{N}% {X} 184 / 365 = 61,25{N}€\n"
        f"    du 1er janvier 2026 au 20 mars 2026 (79 jours){N}: 1{NN}000,00{N}€ {X} 12,15{N}% {X} "
        f"79 / 365 = 26,30{N}€\n"
        f"  Indemnité forfaitaire pour frais de recouvrement{N}: 40,00{N}€\n"
        f"\n"
        f"- Facture n°{N}2026-0101 du 5 janvier 2026, échéance le 4 février 2026 (44 jours de "
        f"retard){N}: 2{NN}000,00{N}€\n"
        f"  Montant TTC{N}: 2{NN}400,00{N}€\n"
        f"  Règlement reçu le 20 février 2026{N}: {M}400,00{N}€\n"
        f"  Solde dû{N}: 2{NN}000,00{N}€\n"
        f"  Pénalités de retard depuis le 5 février 2026{N}: 31,42{N}€\n"
        f"    du 5 février 2026 au 20 février 2026 (16 jours){N}: 2{NN}400,00{N}€ {X} 12,15{N}% "
        f"{X} 16 / 365 = 12,78{N}€\n"
        f"    du 21 février 2026 au 20 mars 2026 (28 jours){N}: 2{NN}000,00{N}€ {X} 12,15{N}% {X} "
        f"28 / 365 = 18,64{N}€\n"
        f"  Indemnité forfaitaire pour frais de recouvrement{N}: 40,00{N}€\n"
        f"\n"
        f"- Facture n°{N}2026-0115 du 20 janvier 2026, échéance le 19 février 2026 (29 jours "
        f"de retard){N}: 600,00{N}€\n"
        f"  Montant TTC{N}: 600,00{N}€\n"
        f"  Solde dû{N}: 600,00{N}€\n"
        f"  Pénalités de retard depuis le 20 février 2026{N}: 5,79{N}€\n"
        f"    du 20 février 2026 au 20 mars 2026 (29 jours){N}: 600,00{N}€ {X} 12,15{N}% {X} 29 / "
        f"365 = 5,79{N}€\n"
        f"  Indemnité forfaitaire pour frais de recouvrement{N}: 40,00{N}€\n"
        f"\n"
        f"Total restant dû{N}: 3{NN}600,00{N}€\n"
    )
    assert expected in text
    # Each invoice's own start date, never the oldest one's for all.
    assert (
        "Conformément à l'article L441-10 du Code de commerce, des pénalités de retard courent "
        "de plein droit sur chaque facture depuis le lendemain de son échéance (dates ci-dessus) "
        "et continueront de courir jusqu'au paiement.\n" in text
    )


def test_three_invoice_notice_demands_the_right_sums() -> None:
    """Dated reminders, the demand over the demanded invoices only, "3 x 40,00 € = 120,00 €"."""
    text = render(NOTICE, three_invoice_notice()).text
    assert (
        f"Malgré nos relances des 3 et 10 mars 2026, les factures suivantes restent impayées{N}:"
        in text
    )
    assert (
        f"Objet{N}: mise en demeure de payer les factures n°{N}2025-0120, 2026-0101, "
        "2026-0115\n" in text
    )
    assert (
        f"Décompte arrêté au 20 mars 2026, sauf à parfaire{N}:\n"
        f"- Principal{N}: 3{NN}600,00{N}€\n"
        "- Pénalités de retard (article L441-10 du Code de commerce), détail par facture "
        f"ci-dessus{N}: 130,16{N}€\n"
        "- Indemnité forfaitaire pour frais de recouvrement (article D441-5 du Code de "
        f"commerce){N}: 3 \u00d7 40,00{N}€ = 120,00{N}€\n"
        f"- Total{N}: 3{NN}850,16{N}€\n" in text
    )
    assert f"la somme de 3{NN}850,16{N}€ au plus tard le 1er avril 2026." in text
    assert f"Référence à indiquer{N}: 2025-0120, 2026-0101, 2026-0115\n" in text


def test_listed_upcoming_and_disputed_invoices_stay_out_of_the_demand() -> None:
    """Listed apart with no threat or indemnity; upcoming and disputed in the statement only."""
    text = render(NOTICE, three_invoice_notice()).text
    assert (
        f"Autre facture échue, pour information{N}:\n"
        f"- Facture n°{N}2026-0130 du 8 février 2026, échéance le 10 mars 2026 (10 jours de "
        f"retard){N}: 300,00{N}€\n" in text
    )
    assert (
        f"Relevé de compte au 20 mars 2026{N}:\n"
        f"- Facture n°{N}2025-0120, échue le 15 juin 2025 (278 jours de retard){N}: "
        f"1{NN}000,00{N}€\n"
        f"- Facture n°{N}2026-0101, échue le 4 février 2026 (44 jours de retard){N}: "
        f"2{NN}000,00{N}€\n"
        f"- Facture n°{N}2026-0115, échue le 19 février 2026 (29 jours de retard){N}: "
        f"600,00{N}€\n"
        f"- Facture n°{N}2026-0130, échue le 10 mars 2026 (10 jours de retard){N}: 300,00{N}€\n"
        f"- Facture n°{N}2026-0140, à échoir le 15 avril 2026{N}: 500,00{N}€\n"
        f"- Facture n°{N}2026-0090, contestée, exclue de la présente demande{N}: 250,00{N}€\n"
        f"Solde net{N}: 4{NN}400,00{N}€\n" in text
    )
    # The listed, upcoming and disputed invoices appear nowhere else.
    for number in ("2026-0130", "2026-0140", "2026-0090"):
        assert text.count(number) == (2 if number == "2026-0130" else 1), number
    assert "4 \u00d7 40" not in text


def test_three_invoice_notice_in_english() -> None:
    """The English pack says "3 x €40.00 = €120.00" and dates the reminders."""
    ctx = three_invoice_notice(customer=customer("en_GB", contact_name=None))
    text = render(NOTICE, ctx).text
    assert "Despite our reminders of 3 and 10 March 2026, the following invoices remain" in text
    assert (
        "- Fixed debt-recovery indemnity (Article D441-5 of the French Commercial Code): "
        "3 \u00d7 €40.00 = €120.00\n" in text
    )
    assert (
        f"    5 February 2026 to 20 February 2026 (16 days): €2,400.00 {X} 12.15% {X} 16 / 365 = "
        "€12.78\n" in text
    )
    assert "- Total: €3,850.16\n" in text


def test_a_notice_without_earlier_reminders_claims_none() -> None:
    """No "Malgré nos relances" when no reminder date is known."""
    text = render(NOTICE, three_invoice_notice(earlier_reminders=())).text
    assert "Malgré" not in text
    assert f"Les factures suivantes, échues, restent impayées{NBSP}:" in text


def test_a_complementary_notice_says_so() -> None:
    """A complementary notice names the notice it complements."""
    ctx = three_invoice_notice(notice_on=date(2026, 2, 27), complementary_notice=True)
    text = render(NOTICE, ctx).text
    assert "La présente mise en demeure complète notre mise en demeure du 27 février 2026.\n" in (
        text
    )


# --------------------------------------------------------------------------------------------
# A consumer after a broken promise; a public buyer's notice; a provisional rate
# --------------------------------------------------------------------------------------------

FIRM = FakeAction("firm", level=3, level_name="firm", deadline_on=date(2026, 6, 10),
                  deadline_days=9)  # fmt: skip


def consumer_after_broken_promise(locale: str = "fr_FR") -> RenderContext:
    """Paul Girard, notice served 11 May 2026, promised to pay by 25 May, did not.

    1,500.00 due 10 April 2026; interest at the legal rate "autres cas" (2026 H1: 2.62 %) from
    the day after the notice: 12 May .. 1 June = 20 + 1 = 21 days:
    1500 x 2.62 % x 21 / 365 = 825.3 / 365 = 2.2611 -> 2.26. No indemnity.
    """
    girard = customer(locale, kind=CustomerKind.CONSUMER, name="Paul Girard", contact_name=None,
                      contact_civility=Civility.MR, contact_surname="Girard")  # fmt: skip
    invoice = _invoice(girard, "2026-0077", date(2026, 3, 11), date(2026, 4, 10), "1500.00")
    line = _line(invoice, on=date(2026, 6, 1), notice=date(2026, 5, 11), locale=locale)
    return context(locale, customer=girard, invoices=(line,), penalties=None,
                   message_date=date(2026, 6, 1), previous_messages=3,
                   notice_on=date(2026, 5, 11))  # fmt: skip


def test_consumer_interest_runs_from_the_notice_of_11_may() -> None:
    """Issue 18 point 4: "depuis notre mise en demeure du 11 mai 2026", not "le 12 mai"."""
    line = consumer_after_broken_promise().invoices[0]
    assert line.penalties is not None
    # Interest runs from the day after the notice (the notice day is excluded, like a due date)
    assert line.penalties.interest_from == date(2026, 5, 12)
    assert line.penalties.formal_notice_on == date(2026, 5, 11)
    text = render(FIRM, consumer_after_broken_promise()).text
    assert (
        f"Des intérêts au taux légal (2,62{NBSP}%) courent depuis notre mise en demeure du 11 mai "
        f"2026 (articles 1231-6 et 1344-1 du Code civil){NBSP}: 2,26{NBSP}€ à ce jour.\n" in text
    )
    assert "12 mai" not in text.replace("du 12 mai 2026 au", "")
    assert "date de notre mise en demeure" not in text


def test_consumer_message_after_a_broken_promise() -> None:
    """Post-notice wording, the figures by hand, no indemnity, no announced notice."""
    text = render(FIRM, consumer_after_broken_promise()).text
    assert text.startswith("Monsieur,\n\nSuite à notre mise en demeure du 11 mai 2026, la facture")
    assert (
        f"Montant TTC{N}: 1{NNBSP}500,00{N}€\n"
        f"Solde dû{N}: 1{NNBSP}500,00{N}€\n"
        f"Intérêts au taux légal depuis notre mise en demeure du 11 mai 2026{N}: 2,26{N}€\n"
        f"  du 12 mai 2026 au 1er juin 2026 (21 jours){N}: 1{NN}500,00{N}€ {X} 2,62{N}% {X} "
        f"21 / 365 = 2,26{N}€\n" in text
    )
    assert "Sommes arrêtées au 1er juin 2026, sauf à parfaire.\n" in text
    assert "nous vous adresserons une mise en demeure" not in text
    assert "indemnit" not in text.lower()
    subject = render(FIRM, consumer_after_broken_promise()).subject
    assert subject == f"Suite à notre mise en demeure{N}: facture 2026-0077"
    en = render(FIRM, consumer_after_broken_promise("en_GB"))
    assert en.text.startswith("Dear Mr Girard,\n\nFurther to our formal notice of 11 May 2026,")
    assert "we will send you a formal notice" not in en.text
    assert "since our formal notice of 11 May 2026: €2.26\n" in en.text


def test_no_message_after_a_notice_announces_one() -> None:
    """Property-like sweep: with notice_on set, no customer message threatens a notice."""
    ctx = three_invoice_notice(notice_on=date(2026, 3, 12))
    for family in ("friendly", "reminder", "firm"):
        for channel in (Channel.EMAIL, Channel.SMS):
            action = FakeAction(family, channel=channel, level=3, level_name=family)
            message = render(action, ctx)
            for part in (message.subject, message.text, message.sms or ""):
                assert "avant mise en demeure" not in part, (family, part)
                assert "adresserons une mise en demeure" not in part, (family, part)
            assert "Suite à notre mise en demeure du 12 mars 2026" in message.text


def public_buyer_notice() -> RenderContext:
    """Commune de Saint-Paul, 5,000.00 due 15 June 2026, notice dated 20 July 2026.

    R2192-31: the ECB rate in force on the first day of the half-year in which interest
    started (1 January 2026: 2.15) + 8 = 10.15 % for the whole delay, even past 30 June.
    16 June .. 20 July = 15 + 20 = 35 days: 5000 x 10.15 % x 35 / 365 = 17762.5 / 365 =
    48.664 -> 48.66; indemnity 40.00 (D2192-35); total 5,088.66.
    """
    town = customer(kind=CustomerKind.PUBLIC, name="Commune de Saint-Paul", contact_name=None)
    invoice = _invoice(town, "2026-0200", date(2026, 5, 16), date(2026, 6, 15), "5000.00")
    line = _line(invoice, on=date(2026, 7, 20))
    return context(customer=town, invoices=(line,), penalties=None,
                   message_date=date(2026, 7, 20), previous_messages=2,
                   earlier_reminders=(date(2026, 6, 30),))  # fmt: skip


def test_public_buyer_notice_states_one_rate_for_the_whole_delay() -> None:
    """Public buyers owe "intérêts moratoires" at one rate (R2192-31) and 40 EUR (D2192-35)."""
    text = render(NOTICE, public_buyer_notice()).text
    assert f"Malgré nos relances du 30 juin 2026, la facture suivante reste impayée{N}:" in text
    assert (
        f"Intérêts moratoires depuis le 16 juin 2026, au taux de 10,15{N}% pour toute la durée "
        f"du retard (article R2192-31 du Code de la commande publique){N}: 48,66{N}€\n"
        f"  du 16 juin 2026 au 20 juillet 2026 (35 jours){N}: 5{NN}000,00{N}€ {X} 10,15{N}% {X} "
        f"35 / 365 = 48,66{N}€\n" in text
    )
    assert (
        "- Intérêts moratoires (articles L2192-13 et R2192-31 du Code de la commande publique), "
        f"au taux de 10,15{N}% (taux BCE + 8 points) pour toute la durée du retard depuis le "
        f"16 juin 2026{N}: 48,66{N}€\n"
        "- Indemnité forfaitaire pour frais de recouvrement (article D2192-35 du Code de la "
        f"commande publique){N}: 40,00{N}€\n"
        f"- Total{N}: 5{NN}088,66{N}€\n" in text
    )
    assert "pénalités de retard" not in text.lower()
    assert "taux provisoire" not in text  # the 2026 H1 rate is final, even in July
    assert "juge des référés du tribunal administratif" in text


def test_a_provisional_rate_is_said_to_be_provisional() -> None:
    """A period at the provisional 2026 H2 rate (ECB 2.40 + 10 = 12.40) says "taux provisoire".

    10,000.00 due 30 June 2026, letter of 30 July: 1..30 July, 30 days at 12.40:
    10000 x 12.40 % x 30 / 365 = 37200 / 365 = 101.9178 -> 101.92.
    """
    acme = customer(contact_name=None)
    invoice = _invoice(acme, "2026-0300", date(2026, 5, 31), date(2026, 6, 30), "10000.00")
    with pytest.warns(ProvisionalRateWarning):
        line = _line(invoice, on=date(2026, 7, 30))
    ctx = context(invoices=(line,), penalties=None, message_date=date(2026, 7, 30),
                  previous_messages=2)  # fmt: skip
    text = render(FIRM, ctx).text
    assert (
        f"  du 1er juillet 2026 au 30 juillet 2026 (30 jours){N}: 10{NN}000,00{N}€ {X} 12,4{N}% "
        f"(taux provisoire) {X} 30 / 365 = 101,92{N}€\n" in text
    )
    assert f"au taux de 12,4{N}% (taux BCE + 10 points) (taux provisoire) courent" in text
    en = render(FIRM, context("en_GB", invoices=(line,), penalties=None,
                              message_date=date(2026, 7, 30))).text  # fmt: skip
    assert "(provisional rate)" in en


def test_html_bodies_say_what_the_text_says() -> None:
    """The HTML part dates the reminders, writes "3 x 40,00 EUR" and never contradicts the text."""
    html = render(NOTICE, three_invoice_notice()).html
    assert html is not None
    assert "Malgré nos relances des 3 et 10 mars 2026, les factures suivantes" in html
    assert f"<td>3 {X} 40,00{N}€ = 120,00{N}€</td>" in html
    assert f"Facture n°{N}2026-0130 du 8 février 2026, échéance le 10 mars 2026" in html
    firm = render(FIRM, consumer_after_broken_promise()).html
    assert firm is not None
    assert "Suite à notre mise en demeure du 11 mai 2026, la facture" in firm
    assert "adresserons une mise en demeure" not in firm
    assert "depuis notre mise en demeure du 11 mai 2026" in firm
