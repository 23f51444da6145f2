"""The creditor's SIREN, RCS and VAT number: checked when given, shown in letters (issue 19).

Code de commerce R123-237: a registered company's letters carry its SIREN and "RCS" with the
city of its registry. The example company, SIREN 732 829 320 (its VAT number FR44732829320),
is the worked example of the French Wikipedia page "Numéro de TVA intracommunautaire": key =
(12 + 3 x (732829320 mod 97)) mod 97 = 44, by hand: 732829320 = 97 x 7554941 + 43,
12 + 129 = 141, 141 mod 97 = 44.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dunning.core.render import Creditor, render
from tests.test_letters import FAMILIES, SIGNED, letter_context

NB = "\u00a0"
IDENTITY = {"siret": None, "siren": "732829320", "rcs": "RCS Lyon 732 829 320"}
VAT = "FR44732829320"


def _creditor(**fields: object) -> Creditor:
    return Creditor.model_validate({**SIGNED.model_dump(), **fields})


@pytest.mark.parametrize("family", ["reminder", "firm", "formal_notice"])
@pytest.mark.parametrize(
    ("lang", "vat_words"), [("fr", f"TVA intracommunautaire{NB}: "), ("en", "VAT number: ")]
)
def test_letters_show_the_rcs_and_the_vat_number(family: str, lang: str, vat_words: str) -> None:
    creditor = _creditor(**IDENTITY, vat_number=VAT)
    message = render(FAMILIES[family], letter_context(family, lang, "business", creditor=creditor))
    for body in (message.text, message.html or ""):
        assert "RCS Lyon 732 829 320" in body
        assert f"{vat_words}{VAT}" in body


def test_a_siren_without_rcs_is_shown_as_siren() -> None:
    creditor = _creditor(siret=None, siren="732829320")
    text = render(FAMILIES["reminder"], letter_context("reminder", "fr", "business",
                                                       creditor=creditor)).text  # fmt: skip
    assert f"SIREN{NB}: 732829320" in text  # French typography: a no-break space before ":"
    assert "RCS" not in text


def test_nothing_is_shown_when_nothing_is_given() -> None:
    text = render(FAMILIES["formal_notice"], letter_context("formal_notice", "fr", "business")).text
    assert "SIREN" not in text
    assert "RCS" not in text
    assert "TVA" not in text


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"siren": "732829321"}, "invalid_siren"),  # the last digit breaks the Luhn sum
        ({"siren": "732829320", "vat_number": "FR45732829320"}, "invalid_vat_number"),
        ({"siren": "732829320", "vat_number": "FR44732829320X"}, "invalid_vat_number"),
        ({"siren": "552100554", "vat_number": VAT}, "vat_siren_mismatch"),
        ({"siren": "732829320", "rcs": "RCS Lyon 552 100 554"}, "rcs_siren_mismatch"),
        ({"siren": "732829320", "siret": "55210055400013"}, "siret_siren_mismatch"),
        ({"rcs": "Lyon 732 829 320"}, "string_pattern_mismatch"),
    ],
)
def test_identifiers_that_disagree_are_refused(fields: dict[str, str], code: str) -> None:
    with pytest.raises(ValidationError) as info:
        _creditor(**{"siret": None, **fields})
    assert [e["type"] for e in info.value.errors()] == [code]


def test_a_foreign_vat_number_is_taken_as_given() -> None:
    assert _creditor(siret=None, vat_number="BE0123456789").vat_number == "BE0123456789"
