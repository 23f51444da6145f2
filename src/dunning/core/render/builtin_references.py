"""Which built-in template includes, imports or extends which (generated: do not edit).

Written by ``tests/write_builtin_references.py`` (``nox -s golden``) from the templates under
``dunning/core/templates/``; ``tests/test_template_overrides.py`` fails when it is stale. Each
entry holds the digest of the source it was read from (`references.source_digest`) and the
templates that source uses, so an entry is used only for that very source (see
`dunning.core.render.references`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

BUILTIN_REFERENCES: Mapping[str, tuple[str, frozenset[str] | None]] = MappingProxyType(
    {
        "en/_closing.txt.j2": ("55af21a3c80e592d", frozenset()),
        "en/_detail.txt.j2": ("9ffd8cb3bebf996b", frozenset()),
        "en/_greeting.html.j2": ("ee2d459f4c8ba47b", frozenset()),
        "en/_greeting.txt.j2": ("1cf789d5caf7a9ce", frozenset()),
        "en/_indemnity.txt.j2": ("6049fb15f264cb56", frozenset()),
        "en/_invoices.html.j2": ("7c2ff9d2982fe5b2", frozenset()),
        "en/_invoices.txt.j2": ("ec6aa2c30665493d", frozenset({"en/_detail.txt.j2"})),
        "en/_payment.html.j2": ("34a921c46f36bb56", frozenset()),
        "en/_payment.txt.j2": ("ab7e84a16bb06486", frozenset()),
        "en/_penalties.html.j2": ("424fe3283808c6f5", frozenset({"en/_indemnity.txt.j2"})),
        "en/_penalties.txt.j2": ("1709768679bdabfc", frozenset({"en/_indemnity.txt.j2"})),
        "en/_recipient.html.j2": ("4e66db70363a77a5", frozenset()),
        "en/_recipient.txt.j2": ("c7d1afcc649619e1", frozenset()),
        "en/_salutation.html.j2": ("7eb5989367672ffd", frozenset()),
        "en/_salutation.txt.j2": ("51084de146f40fc2", frozenset()),
        "en/_signatory.html.j2": ("8c1308834c6e96df", frozenset({"en/_signature.html.j2"})),
        "en/_signatory.txt.j2": ("fb769764240fbf1c", frozenset({"en/_signature.txt.j2"})),
        "en/_signature.html.j2": ("770c216f3e9db925", frozenset()),
        "en/_signature.txt.j2": ("ef318bcd913bb3e9", frozenset()),
        "en/_statement.txt.j2": ("ff4ead7635f2e00b", frozenset()),
        "en/courtesy.html.j2": (
            "2aa1f5cb681b3528",
            frozenset(
                {
                    "en/_greeting.html.j2",
                    "en/_invoices.html.j2",
                    "en/_payment.html.j2",
                    "en/_signature.html.j2",
                }
            ),
        ),
        "en/courtesy.sms.j2": ("af4797b04273a056", frozenset()),
        "en/courtesy.subject.j2": ("1ce763661db19a2b", frozenset()),
        "en/courtesy.txt.j2": (
            "0fab74ee79737b9c",
            frozenset(
                {
                    "en/_greeting.txt.j2",
                    "en/_invoices.txt.j2",
                    "en/_payment.txt.j2",
                    "en/_signature.txt.j2",
                }
            ),
        ),
        "en/firm.html.j2": (
            "23a4e49d8297cc60",
            frozenset(
                {
                    "en/_closing.txt.j2",
                    "en/_invoices.html.j2",
                    "en/_payment.html.j2",
                    "en/_penalties.html.j2",
                    "en/_salutation.html.j2",
                    "en/_signatory.html.j2",
                }
            ),
        ),
        "en/firm.sms.j2": ("01f89e79584be719", frozenset()),
        "en/firm.subject.j2": ("dbbdc9c3295edc0e", frozenset()),
        "en/firm.txt.j2": (
            "67f9cb908b729bc5",
            frozenset(
                {
                    "en/_closing.txt.j2",
                    "en/_invoices.txt.j2",
                    "en/_payment.txt.j2",
                    "en/_penalties.txt.j2",
                    "en/_salutation.txt.j2",
                    "en/_signatory.txt.j2",
                    "en/_statement.txt.j2",
                }
            ),
        ),
        "en/formal_notice.html.j2": (
            "9769a36fc30ce6d6",
            frozenset(
                {
                    "en/_closing.txt.j2",
                    "en/_indemnity.txt.j2",
                    "en/_invoices.html.j2",
                    "en/_payment.html.j2",
                    "en/_recipient.html.j2",
                    "en/_salutation.html.j2",
                    "en/_signatory.html.j2",
                }
            ),
        ),
        "en/formal_notice.subject.j2": ("c743bf5a91eae7c8", frozenset()),
        "en/formal_notice.txt.j2": (
            "3d82c35472c612b5",
            frozenset(
                {
                    "en/_closing.txt.j2",
                    "en/_indemnity.txt.j2",
                    "en/_invoices.txt.j2",
                    "en/_payment.txt.j2",
                    "en/_recipient.txt.j2",
                    "en/_salutation.txt.j2",
                    "en/_signatory.txt.j2",
                    "en/_statement.txt.j2",
                }
            ),
        ),
        "en/friendly.html.j2": (
            "6f47dc9bc3322db2",
            frozenset(
                {
                    "en/_greeting.html.j2",
                    "en/_invoices.html.j2",
                    "en/_payment.html.j2",
                    "en/_penalties.html.j2",
                    "en/_signature.html.j2",
                }
            ),
        ),
        "en/friendly.sms.j2": ("e8f2229748f4afd3", frozenset()),
        "en/friendly.subject.j2": ("0e3f7e5d4c3d7c69", frozenset()),
        "en/friendly.txt.j2": (
            "c3cc889e12fd3f9f",
            frozenset(
                {
                    "en/_greeting.txt.j2",
                    "en/_invoices.txt.j2",
                    "en/_payment.txt.j2",
                    "en/_penalties.txt.j2",
                    "en/_signature.txt.j2",
                    "en/_statement.txt.j2",
                }
            ),
        ),
        "en/handover.subject.j2": ("4f6d1ba4b41d0bbd", frozenset()),
        "en/handover.txt.j2": (
            "e966b34385fc0795",
            frozenset({"en/_invoices.txt.j2", "en/_signature.txt.j2"}),
        ),
        "en/internal_alert.subject.j2": ("abf31083c1afeae3", frozenset()),
        "en/internal_alert.txt.j2": ("d50b70cbacf36a06", frozenset({"en/_invoices.txt.j2"})),
        "en/phone_call.subject.j2": ("e57219612ea14e2a", frozenset()),
        "en/phone_call.txt.j2": ("4cfdbec2eeb82bf3", frozenset({"en/_invoices.txt.j2"})),
        "en/reminder.html.j2": (
            "86e5e5de2eef2451",
            frozenset(
                {
                    "en/_greeting.html.j2",
                    "en/_invoices.html.j2",
                    "en/_payment.html.j2",
                    "en/_penalties.html.j2",
                    "en/_signature.html.j2",
                }
            ),
        ),
        "en/reminder.sms.j2": ("134928cc2323b3e8", frozenset()),
        "en/reminder.subject.j2": ("8f13249ee0647377", frozenset()),
        "en/reminder.txt.j2": (
            "97e29b8c06eeb741",
            frozenset(
                {
                    "en/_greeting.txt.j2",
                    "en/_invoices.txt.j2",
                    "en/_payment.txt.j2",
                    "en/_penalties.txt.j2",
                    "en/_signature.txt.j2",
                    "en/_statement.txt.j2",
                }
            ),
        ),
        "fr/_appellation.txt.j2": ("931b9266cc288c63", frozenset()),
        "fr/_closing.txt.j2": ("cf333241c6642ac1", frozenset({"fr/_appellation.txt.j2"})),
        "fr/_detail.txt.j2": ("73b2a7e0bdc63270", frozenset()),
        "fr/_greeting.html.j2": ("f068a4d6dd1cfb89", frozenset({"fr/_appellation.txt.j2"})),
        "fr/_greeting.txt.j2": ("fdff206731a642da", frozenset({"fr/_appellation.txt.j2"})),
        "fr/_indemnity.txt.j2": ("d40ff5f39188c94d", frozenset()),
        "fr/_invoices.html.j2": ("f7d76d817351c0dd", frozenset()),
        "fr/_invoices.txt.j2": ("6264001b236a91df", frozenset({"fr/_detail.txt.j2"})),
        "fr/_level.txt.j2": ("c5d2ca5a802831da", frozenset()),
        "fr/_payment.html.j2": ("d7b4cd2c648384da", frozenset()),
        "fr/_payment.txt.j2": ("d77fc125f612ce96", frozenset()),
        "fr/_penalties.html.j2": ("299cb49713879418", frozenset({"fr/_indemnity.txt.j2"})),
        "fr/_penalties.txt.j2": ("017a2d26415197ac", frozenset({"fr/_indemnity.txt.j2"})),
        "fr/_recipient.html.j2": ("810e678023c4aca5", frozenset()),
        "fr/_recipient.txt.j2": ("70a1f63798c1cd4c", frozenset()),
        "fr/_signatory.html.j2": ("9242895aa8041995", frozenset({"fr/_signature.html.j2"})),
        "fr/_signatory.txt.j2": ("cae619b9180ecdca", frozenset({"fr/_signature.txt.j2"})),
        "fr/_signature.html.j2": ("35a3a8419c12fda3", frozenset()),
        "fr/_signature.txt.j2": ("e73ec9d7920ffb14", frozenset()),
        "fr/_statement.txt.j2": ("231273ddd939147b", frozenset()),
        "fr/courtesy.html.j2": (
            "73160b4b35aa17f4",
            frozenset(
                {
                    "fr/_greeting.html.j2",
                    "fr/_invoices.html.j2",
                    "fr/_payment.html.j2",
                    "fr/_signature.html.j2",
                }
            ),
        ),
        "fr/courtesy.sms.j2": ("2cd6aea61fd1031a", frozenset()),
        "fr/courtesy.subject.j2": ("7581b914921718aa", frozenset()),
        "fr/courtesy.txt.j2": (
            "db723660b86e8ced",
            frozenset(
                {
                    "fr/_greeting.txt.j2",
                    "fr/_invoices.txt.j2",
                    "fr/_payment.txt.j2",
                    "fr/_signature.txt.j2",
                }
            ),
        ),
        "fr/firm.html.j2": (
            "ad571834c34ea8a6",
            frozenset(
                {
                    "fr/_appellation.txt.j2",
                    "fr/_closing.txt.j2",
                    "fr/_invoices.html.j2",
                    "fr/_payment.html.j2",
                    "fr/_penalties.html.j2",
                    "fr/_signatory.html.j2",
                }
            ),
        ),
        "fr/firm.sms.j2": ("0d408297ba560cd7", frozenset()),
        "fr/firm.subject.j2": ("09d7e7c58239d25b", frozenset()),
        "fr/firm.txt.j2": (
            "385510610c84384d",
            frozenset(
                {
                    "fr/_appellation.txt.j2",
                    "fr/_closing.txt.j2",
                    "fr/_invoices.txt.j2",
                    "fr/_payment.txt.j2",
                    "fr/_penalties.txt.j2",
                    "fr/_signatory.txt.j2",
                    "fr/_statement.txt.j2",
                }
            ),
        ),
        "fr/formal_notice.html.j2": (
            "0a65a8bc9aa5c659",
            frozenset(
                {
                    "fr/_appellation.txt.j2",
                    "fr/_closing.txt.j2",
                    "fr/_indemnity.txt.j2",
                    "fr/_invoices.html.j2",
                    "fr/_payment.html.j2",
                    "fr/_recipient.html.j2",
                    "fr/_signatory.html.j2",
                }
            ),
        ),
        "fr/formal_notice.subject.j2": ("96b791c249d34cab", frozenset()),
        "fr/formal_notice.txt.j2": (
            "b520d2d1f73ea3bd",
            frozenset(
                {
                    "fr/_appellation.txt.j2",
                    "fr/_closing.txt.j2",
                    "fr/_indemnity.txt.j2",
                    "fr/_invoices.txt.j2",
                    "fr/_payment.txt.j2",
                    "fr/_recipient.txt.j2",
                    "fr/_signatory.txt.j2",
                    "fr/_statement.txt.j2",
                }
            ),
        ),
        "fr/friendly.html.j2": (
            "faff2f4d65e35e41",
            frozenset(
                {
                    "fr/_greeting.html.j2",
                    "fr/_invoices.html.j2",
                    "fr/_payment.html.j2",
                    "fr/_penalties.html.j2",
                    "fr/_signature.html.j2",
                }
            ),
        ),
        "fr/friendly.sms.j2": ("3f70b88596d8d29d", frozenset()),
        "fr/friendly.subject.j2": ("b7b4f318d8af6364", frozenset()),
        "fr/friendly.txt.j2": (
            "6039dee4f60b8365",
            frozenset(
                {
                    "fr/_greeting.txt.j2",
                    "fr/_invoices.txt.j2",
                    "fr/_payment.txt.j2",
                    "fr/_penalties.txt.j2",
                    "fr/_signature.txt.j2",
                    "fr/_statement.txt.j2",
                }
            ),
        ),
        "fr/handover.subject.j2": ("8f2512625b29a167", frozenset()),
        "fr/handover.txt.j2": (
            "22032efb82eaac93",
            frozenset({"fr/_invoices.txt.j2", "fr/_level.txt.j2", "fr/_signature.txt.j2"}),
        ),
        "fr/internal_alert.subject.j2": ("774eec1f15f46cc6", frozenset()),
        "fr/internal_alert.txt.j2": (
            "de3d9ea0a92fd3ae",
            frozenset({"fr/_invoices.txt.j2", "fr/_level.txt.j2"}),
        ),
        "fr/phone_call.subject.j2": ("b380dd2946cba6ac", frozenset()),
        "fr/phone_call.txt.j2": ("2e04e03c4e2a5e77", frozenset({"fr/_invoices.txt.j2"})),
        "fr/reminder.html.j2": (
            "56f7a1af0d0b7654",
            frozenset(
                {
                    "fr/_greeting.html.j2",
                    "fr/_invoices.html.j2",
                    "fr/_payment.html.j2",
                    "fr/_penalties.html.j2",
                    "fr/_signature.html.j2",
                }
            ),
        ),
        "fr/reminder.sms.j2": ("3f0ba771811ecc74", frozenset()),
        "fr/reminder.subject.j2": ("282be14a83f88716", frozenset()),
        "fr/reminder.txt.j2": (
            "2b27cd3b057e0945",
            frozenset(
                {
                    "fr/_greeting.txt.j2",
                    "fr/_invoices.txt.j2",
                    "fr/_payment.txt.j2",
                    "fr/_penalties.txt.j2",
                    "fr/_signature.txt.j2",
                    "fr/_statement.txt.j2",
                }
            ),
        ),
    }
)
