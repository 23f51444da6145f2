"""French typography of rendered text: the spaces a French printer puts around punctuation.

How this works: the French templates are written with ordinary spaces ("Échéance : ...",
"« ... »"), which read naturally and are easy to edit. `french_typography` then turns the
space a French text puts before a high punctuation mark into the space French typography
requires (Lexique des règles typographiques en usage à l'Imprimerie nationale, "Ponctuation"):

- a no-break space (U+00A0) before ":" and inside « »;
- a narrow no-break space (U+202F) before ";", "?" and "!";
- a no-break space after "n°" ("n° 2026-0101" never breaks after the sign).

Only spaces already there are replaced (and « » always get theirs): a colon without a space
before it (a URL, a time, ``SUBJECT:``) is left alone. `french_minus` writes a negative
amount with the true minus sign (U+2212), which Babel does not use for ``fr_FR``.
"""

from __future__ import annotations

import re

__all__ = ["french_minus", "french_typography"]

NBSP = "\u00a0"
"""No-break space: before ":" and inside « », after "n°"."""
NNBSP = "\u202f"
"""Narrow no-break space: before ";", "?" and "!" (and Babel's thousands separator)."""
MINUS = "\u2212"
"""The minus sign of a negative amount."""

_SPACES = "[ \u00a0\u202f]"
_BEFORE_COLON = re.compile(f"{_SPACES}+:")
_BEFORE_HIGH = re.compile(f"{_SPACES}+([;?!])")
_OPENING_QUOTE = re.compile(f"«{_SPACES}*")
_CLOSING_QUOTE = re.compile(f"{_SPACES}*»")
_NUMERO = re.compile(f"\\b([nN]°){_SPACES}+")


def french_typography(text: str) -> str:
    r"""Return *text* with the no-break spaces of French typography (see the module notes).

    Idempotent: text already typeset is returned unchanged.

    Examples:
        >>> french_typography("Échéance : 2 mars ; payé ? Merci ! « Bien » n° 2026-0101")
        'Échéance\xa0: 2 mars\u202f; payé\u202f? Merci\u202f! «\xa0Bien\xa0» n°\xa02026-0101'
        >>> french_typography("https://pay.example/p?x=1 à 10:30")
        'https://pay.example/p?x=1 à 10:30'
    """
    if ":" in text:
        text = _BEFORE_COLON.sub(f"{NBSP}:", text)
    if ";" in text or "?" in text or "!" in text:
        text = _BEFORE_HIGH.sub(f"{NNBSP}\\1", text)
    if "«" in text or "»" in text:
        text = _OPENING_QUOTE.sub(f"«{NBSP}", text)
        text = _CLOSING_QUOTE.sub(f"{NBSP}»", text)
    if "°" in text:
        text = _NUMERO.sub(f"\\1{NBSP}", text)
    return text


def french_minus(formatted: str) -> str:
    r"""Return a formatted number with its leading hyphen-minus turned into a minus sign.

    Examples:
        >>> french_minus("-1\u202f234,50\xa0€")
        '\u22121\u202f234,50\xa0€'
        >>> french_minus("12,00\xa0€")
        '12,00\xa0€'
    """
    return MINUS + formatted[1:] if formatted.startswith("-") else formatted
