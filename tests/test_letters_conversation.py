"""Letters a debtor can check (issue 18, part 3): every expected line written out by hand.

Figures are worked in the comments next to each test, from the rates of DOMAIN.md section 6
(2026 H1: ECB 2.15 % in force on 1 January, so 12.15 % under L441-10 and 10.15 % for a public
buyer; legal rate "autres cas" 2.62 %), 365-day years, per-line rounding half-up to the cent.
"""

from __future__ import annotations

from datetime import date

from dunning.core.model import Channel, Civility
from dunning.core.render import render
from tests.reference_case import FakeAction, context, customer

NBSP, NNBSP, MINUS = "\u00a0", "\u202f", "\u2212"
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
