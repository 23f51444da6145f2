"""SMS: the GSM 7-bit alphabet, transliteration of what it lacks, and the count of parts."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from dunning.exceptions import TemplateError

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ"
    "ÆæßÉ"  # 0x10-0x1F (0x1B is the escape to the extension table)
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"  # 0x40-0x5F
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"  # 0x60-0x7F
)
"""The GSM 7-bit default alphabet, 3GPP TS 23.038 (formerly GSM 03.38) section 6.2.1: one
septet each."""

GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
"""The default extension table, 3GPP TS 23.038 section 6.2.1.1: reached through the escape
septet 0x1B, so each of these characters costs two septets."""

GSM7_TRANSLITERATION: Mapping[str, str] = MappingProxyType(
    {
        # Spaces Babel and French typography use (narrow and ordinary no-break spaces, thin).
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        # Typographic quotes and dashes.
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "«": '"',
        "»": '"',
        "\u2013": "-",
        "\u2212": "-",  # the minus sign of French negative amounts
        "\u2014": "-",
        "\u2026": "...",
        # French letters missing from the alphabet (é, è, à, ù, Ç, É are in it and are kept).
        "ç": "c",
        "â": "a",
        "ê": "e",
        "ë": "e",
        "î": "i",
        "ï": "i",
        "ô": "o",
        "û": "u",
        "ÿ": "y",
        "À": "A",
        "Â": "A",
        "È": "E",
        "Ê": "E",
        "Ë": "E",
        "Î": "I",
        "Ï": "I",
        "Ô": "O",
        "Ù": "U",
        "Û": "U",
        "Œ": "OE",
        "œ": "oe",
        "°": "o",
    }
)
"""Characters outside GSM-7 replaced before sending. Other accented Latin letters lose their
accent (Unicode NFKD); anything still outside the alphabet is an error, never a ``?``."""

_SMS_SINGLE = 160
_SMS_PART = 153  # a concatenated part loses 7 septets to the user data header (TS 23.040)

DEFAULT_MAX_SMS_SEGMENTS = 2
"""Default ceiling on the parts of one SMS (each part is billed as one message)."""


def to_gsm7(text: str, *, template: str | None = None) -> str:
    r"""Return *text* in the GSM 7-bit alphabet, transliterating what `GSM7_TRANSLITERATION` knows.

    Args:
        text: the SMS text.
        template: the template it came from, quoted in errors.

    Returns:
        The text with every character in `GSM7_BASIC` or `GSM7_EXTENSION`.

    Raises:
        TemplateError: ``sms_not_gsm7``, listing the characters that cannot be sent.

    Examples:
        >>> to_gsm7("Échéance : 1\u202f234,56\u00a0€ — merci ! Ça ira ?")
        'Échéance : 1 234,56 € - merci ! Ça ira ?'
        >>> to_gsm7("Zoë Łukasz")
        Traceback (most recent call last):
        ...
        dunning.exceptions.TemplateError: characters outside the GSM-7 alphabet: 'Ł'
    """
    out: list[str] = []
    bad: list[str] = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
            continue
        replacement = GSM7_TRANSLITERATION.get(char)
        if replacement is None:
            stripped = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            if stripped and all(c in GSM7_BASIC for c in stripped):
                replacement = stripped
        if replacement is None:
            if char not in bad:
                bad.append(char)
        else:
            out.append(replacement)
    if bad:
        listed = ", ".join(repr(c) for c in bad)
        msg = f"characters outside the GSM-7 alphabet: {listed}"
        raise TemplateError(msg, template=template, code="sms_not_gsm7")
    return "".join(out)


def sms_segments(text: str) -> int:
    """The number of SMS parts *text* takes in GSM-7 (it must already be GSM-7: see `to_gsm7`).

    One part holds 160 septets; a concatenated message holds 153 per part, and an extension
    character (``€``, ``[``...) takes two septets that are never split across parts.

    Examples:
        >>> sms_segments("a" * 160), sms_segments("a" * 161), sms_segments("€" * 80)
        (1, 2, 1)
        >>> sms_segments("a" * 152 + "€" + "a" * 152)  # 306 septets, yet € cannot be split
        3
    """
    sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
    if sum(sizes) <= _SMS_SINGLE:
        return 1 if text else 0
    parts, used = 1, 0
    for size in sizes:
        if used + size > _SMS_PART:
            parts, used = parts + 1, 0
        used += size
    return parts
