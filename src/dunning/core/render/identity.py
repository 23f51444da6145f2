"""A French company's identifiers as its letters must show them: SIREN, RCS, VAT number.

Code de commerce R123-237: every document and letter of a registered company carries its
SIREN and the mention "RCS" with the city of its registry. The intra-community VAT number
(FR + a 2-digit key + the SIREN, CGI art. 286 ter) is shown when the creditor gives one.
"""

from __future__ import annotations

import re

__all__ = ["siren_ok", "vat_key"]

_LA_POSTE = "356000000"  # La Poste's SIREN: its establishments' SIRETs use a special rule


def siren_ok(siren: str) -> bool:
    """The 9 digits of *siren* pass the Luhn check INSEE uses.

    Examples:
        >>> siren_ok("732829320"), siren_ok("732829321")
        (True, False)
    """
    if not re.fullmatch(r"\d{9}", siren):
        return False
    if siren == _LA_POSTE:
        return True
    total = 0
    for position, digit in enumerate(reversed(siren)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value  # noqa: PLR2004  (a digit's sum)
    return total % 10 == 0


def vat_key(siren: str) -> str:
    """The 2-digit key of the French VAT number of *siren*: (12 + 3 x (SIREN mod 97)) mod 97.

    Examples:
        >>> "FR" + vat_key("732829320") + "732829320"
        'FR44732829320'
    """
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"
