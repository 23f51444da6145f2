"""The French mandatory notes of an invoice, read into late-payment terms: a pure module.

How this works: a French B2B invoice carries three notes (EN 16931 BT-21 subject code, BT-22
text; FNFE-MPE rule BR-FR-05): ``PMD`` the late-payment penalty terms, ``PMT`` the fixed
40 EUR recovery indemnity (Code de commerce L441-10 II, D441-5) and ``AAB`` the early-payment
discount terms. The text is free; `read_penalty_note` recognises the usual wordings, each
mapped to a regime `dunning.penalties` already computes:

- "taux de la BCE (de refinancement) majoré de 10 points" -> the B2B default (ECB + 10);
- "BCE + 8 points" for a public buyer -> the public-buyer regime (CCP R2192-31);
- "3 fois le taux d'intérêt légal" -> B2B contractual at a multiple of the legal rate;
- "taux annuel de 12 %" -> B2B contractual at a fixed rate.

Any other formula (ECB + 7 points for a business, say) is not a regime of the library: the
terms fall back to the legal default for the customer's kind and a finding says so, so a
human looks rather than a guess is computed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from dunning.core.model import CustomerKind
from dunning.penalties import (
    B2B_DEFAULT_MARGIN,
    PUBLIC_BUYER_MARGIN,
    LatePaymentTerms,
    PenaltyRegime,
)

__all__ = ["MANDATORY_NOTES", "NoteReading", "read_penalty_note", "states_indemnity"]

MANDATORY_NOTES = {
    "PMD": "late-payment penalty terms (Code de commerce L441-10 II)",
    "PMT": "the 40 EUR recovery indemnity (Code de commerce L441-10 II, D441-5)",
    "AAB": "early-payment discount terms (Code de commerce L441-10 II)",
}
"""The notes a French B2B invoice must carry (UNTDID 4451 subject codes; FNFE-MPE BR-FR-05)."""

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_WORDS = {"un": "1", "une": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5"}
_ECB = re.compile(r"\b(bce|ecb)\b|banque centrale europ|refinancement|refinancing")
_POINTS = re.compile(
    r"(?:major[ée]+e?s?|augment[ée]+e?s?|\+|plus)\s*(?:de\s+)?" + _NUMBER + r"\s*(?:points?|pts?|%)"
)
_MULTIPLE = re.compile(
    r"(\d+(?:[.,]\d+)?|un|une|deux|trois|quatre|cinq)\s*"
    r"(?:fois|x|\N{MULTIPLICATION SIGN})\s+(?:le\s+|au\s+)?"
    r"taux\s+(?:(?:de\s+l'|d')\s*int[ée]r[êe]ts?\s+)?l[ée]gal"
)
_FIXED = re.compile(_NUMBER + r"\s*%")
_EUROS = re.compile(_NUMBER + r"\s*(?:€|eur\b|euros?\b)")


class NoteReading(NamedTuple):
    """What a PMD note says: the terms, or why none could be read from it."""

    terms: LatePaymentTerms | None
    """The terms the note states; None if it states none the library models."""
    problem: str | None
    """Why no terms were read (None when they were)."""


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("\N{RIGHT SINGLE QUOTATION MARK}", "'").split())


def _decimal(text: str) -> Decimal:
    return Decimal(_WORDS.get(text, text).replace(",", "."))


def read_penalty_note(text: str, kind: CustomerKind) -> NoteReading:  # noqa: PLR0911
    """The late-payment terms a PMD note states, for a customer of *kind*.

    Args:
        text: the note's text (BT-22 of the note whose subject code is ``PMD``).
        kind: the customer's kind (the ECB-based regimes depend on it).

    Returns:
        A `NoteReading`: the terms, or None and the reason.

    Examples:
        >>> read_penalty_note("Pénalités : 3 fois le taux d'intérêt légal",
        ...                   CustomerKind.BUSINESS).terms.legal_rate_multiple
        Decimal('3')
        >>> read_penalty_note("taux BCE majoré de 10 points", CustomerKind.BUSINESS).terms.regime
        <PenaltyRegime.B2B_DEFAULT: 'b2b_default'>
        >>> read_penalty_note("Voir nos CGV", CustomerKind.BUSINESS).problem
        'states no rate or formula'
    """
    note = _normal(text)
    multiple = _MULTIPLE.search(note)
    if multiple:
        factor = _decimal(multiple.group(1))
        return NoteReading(
            LatePaymentTerms(regime=PenaltyRegime.B2B_CONTRACTUAL, legal_rate_multiple=factor), None
        )
    if _ECB.search(note):
        points = _POINTS.search(note)
        if points is None:
            return NoteReading(None, "names the ECB rate without the points added to it")
        margin = _decimal(points.group(1))
        if kind is CustomerKind.PUBLIC and margin == PUBLIC_BUYER_MARGIN:
            return NoteReading(LatePaymentTerms(regime=PenaltyRegime.PUBLIC_BUYER), None)
        if kind is CustomerKind.BUSINESS and margin == B2B_DEFAULT_MARGIN:
            return NoteReading(LatePaymentTerms(regime=PenaltyRegime.B2B_DEFAULT), None)
        return NoteReading(
            None,
            f"states the ECB rate + {margin} points, which the library does not model for a "
            f"{kind.value} customer (ECB + 10 for a business, + 8 for a public buyer)",
        )
    fixed = _FIXED.search(note)
    if fixed:
        rate = _decimal(fixed.group(1))
        if kind is CustomerKind.BUSINESS:
            return NoteReading(
                LatePaymentTerms(regime=PenaltyRegime.B2B_CONTRACTUAL, contractual_rate=rate), None
            )
        if kind is CustomerKind.CONSUMER:
            return NoteReading(
                LatePaymentTerms(regime=PenaltyRegime.CONSUMER, contractual_rate=rate), None
            )
        return NoteReading(None, f"states a fixed rate of {rate} % for a public buyer")
    return NoteReading(None, "states no rate or formula")


def states_indemnity(text: str) -> Decimal | None:
    """The amount of the recovery indemnity a PMT note states, or None if it states none.

    Examples:
        >>> states_indemnity("Indemnité forfaitaire pour frais de recouvrement : 40 €")
        Decimal('40')
        >>> print(states_indemnity("Indemnité forfaitaire prévue par la loi"))
        None
    """
    found = _EUROS.search(_normal(text))
    return None if found is None else _decimal(found.group(1))
