"""SmtpSender against real servers: what arrives, and what each failure is reported as.

The expected ``delivered`` / ``permanent`` values come from the table in the module docs of
`dunning.adapters.smtp`: nothing certainly left -> False; the server refused the recipient or
the content with a 5xx -> permanent; a session step (greeting, EHLO, STARTTLS, AUTH, MAIL
FROM) -> never permanent; no answer once the content was sent -> None ("maybe sent").
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dunning import STANDARD
from dunning.adapters import smtp as smtp_module
from dunning.adapters.smtp import Attachment, SmtpSender, _dot_stuffed, build_email
from dunning.core.action_log import EntryStatus
from dunning.core.model import Channel
from dunning.core.render import Message
from dunning.exceptions import ConfigurationError
from dunning.ports import Sender, SendError
from dunning.runner import Dunner, Outcome
from dunning.testing import make_creditor, make_customer, make_invoice, paris
from tests.helpers import PARIS, examples
from tests.integration.conftest import CLOSE, HOST, ScriptedServer, SmtpServer, Store, TlsFiles

FROM = "Atelier Durand <compta@atelier-durand.example>"
TO = "compta@boulangerie-martin.example"
KEY = "msg_5aeaf9071742c0f8a04c80ac"
MESSAGE_ID = "<msg_5aeaf9071742c0f8a04c80ac@atelier-durand.example>"
SUBJECT = "Relance : facture n° 2026-0042 échue"
TEXT = "Madame, Monsieur,\n\nLa facture 2026-0042 est échue.\n.signature : Atelier Durand"
HTML = "<p>Madame, Monsieur,</p>\n<p>La facture 2026-0042 est échue.</p>"
LOGIN = ("compta", "s3cret")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF"
INJECTION = "\r\nBcc: everyone@example.com"
WORDS = (
    "=?utf-8?q?=0D=0ABcc:_x@y?=",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3D0ABcc:_x@y=3F=3D?=",
    "=?utf-8?b?AA==?=",
    "=?utf-8?q?=00?=",
    "=?x?q?a?=",
    "\r\n",
)
"""Fragments the properties mix into their text: encoded words (once or twice) carrying CR LF
or NUL."""
Scripted = Callable[[Mapping[str, str | None]], ScriptedServer]


def message(**changes: Any) -> Message:
    """An email reminder with an HTML alternative and the invoice PDF to attach."""
    fields: dict[str, Any] = {
        "action_id": KEY,
        "channel": Channel.EMAIL,
        "template": "friendly",
        "locale": "fr",
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
        "attachments": ("pdf:2026-0042",),
        "to": TO,
    }
    fields.update(changes)
    return Message.model_validate(fields)


def invoice_pdf(reference: str) -> Attachment:
    """The host's resolver: the one PDF these tests know."""
    if reference != "pdf:2026-0042":
        msg = f"no document {reference}"
        raise FileNotFoundError(msg)
    return Attachment("facture-2026-0042.pdf", PDF)


def sender(port: int, **options: Any) -> SmtpSender:
    """A sender for 127.0.0.1:*port* that resolves the invoice PDF."""
    options.setdefault("attachments", invoice_pdf)
    options.setdefault("timeout", 5.0)
    options.setdefault("local_hostname", "dunning.test")
    return SmtpSender(HOST, FROM, port=port, **options)


def refused(port: int, msg: Message | None = None, **options: Any) -> SendError:
    """The SendError raised by sending *msg* (the reminder by default) through *port*."""
    with pytest.raises(SendError) as caught:
        sender(port, **options).send(msg or message(), idempotency_key=KEY)
    return caught.value


def body(email: EmailMessage, content_type: str) -> str:
    """The decoded text of the part of *email* with this content type."""
    [part] = [p for p in email.walk() if p.get_content_type() == content_type]
    assert isinstance(part, EmailMessage)
    text = part.get_content()
    assert isinstance(text, str)
    return text


# ------------------------------------------------------------------------------- delivered


def test_a_message_arrives_once_with_its_headers_parts_and_attachment(
    smtp_server: SmtpServer,
) -> None:
    """One send, one message: envelope, headers, text, HTML and the PDF's bytes intact."""
    receipt = sender(smtp_server.port, reply_to="relances@atelier-durand.example").send(
        message(), idempotency_key=KEY
    )
    [received] = smtp_server.received
    assert received.mail_from == "compta@atelier-durand.example"
    assert received.rcpt_tos == (TO,)
    email = received.email
    assert email["From"] == FROM
    assert email["To"] == TO
    assert email["Subject"] == SUBJECT
    assert email["Reply-To"] == "relances@atelier-durand.example"
    assert email["Message-ID"] == MESSAGE_ID
    assert email["X-Dunning-Key"] == KEY
    assert email["Content-Language"] == "fr"
    assert email["Date"].datetime.utcoffset() is not None
    assert email.get_content_type() == "multipart/mixed"
    # The wire has CRLF line ends; the line starting with "." came through unstuffed.
    assert body(email, "text/plain") == TEXT.replace("\n", "\r\n") + "\r\n"
    assert body(email, "text/html") == HTML.replace("\n", "\r\n") + "\r\n"
    [attachment] = list(email.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "facture-2026-0042.pdf"
    assert attachment.get_content() == PDF
    assert received.content.isascii()  # 7-bit: no SMTP extension needed
    assert receipt.provider_id == MESSAGE_ID
    assert receipt.detail == "250 2.0.0 OK: queued"
    assert smtp_server.handler.greetings == ["dunning.test"]


def test_a_plain_message_is_text_only(smtp_server: SmtpServer) -> None:
    """No HTML and no attachment: one text/plain part, no resolver needed."""
    plain = message(html=None, attachments=())
    sender(smtp_server.port, attachments=None).send(plain, idempotency_key=KEY)
    [received] = smtp_server.received
    assert received.email.get_content_type() == "text/plain"
    assert received.email["Reply-To"] is None


def test_starttls_then_login_then_delivery(
    start_smtp_server: Callable[..., SmtpServer], tls_files: TlsFiles
) -> None:
    """STARTTLS is taken, EHLO is said again over TLS, the login succeeds, the message goes."""
    logins: list[LoginPassword] = []

    def authenticator(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        logins.append(data)
        return AuthResult(success=data == LoginPassword(b"compta", b"s3cret"), handled=False)

    server = start_smtp_server(
        tls_context=tls_files.server_context(), require_starttls=True, authenticator=authenticator
    )
    options = {"ssl_context": tls_files.client_context(), "starttls": True}
    receipt = sender(server.port, username=LOGIN[0], password=LOGIN[1], **options).send(
        message(), idempotency_key=KEY
    )
    assert receipt.provider_id == MESSAGE_ID
    assert len(server.received) == 1
    assert server.handler.greetings == ["dunning.test", "dunning.test"]
    assert logins == [LoginPassword(b"compta", b"s3cret")]


def test_implicit_tls_delivers(
    start_smtp_server: Callable[..., SmtpServer], tls_files: TlsFiles
) -> None:
    """ssl=True speaks TLS from the first byte (SMTP_SSL)."""
    server = start_smtp_server(ssl_context=tls_files.server_context())
    sender(server.port, ssl=True, ssl_context=tls_files.client_context()).send(
        message(), idempotency_key=KEY
    )
    assert len(server.received) == 1


def test_a_failed_goodbye_after_acceptance_is_ignored(scripted_server: Scripted) -> None:
    """The server accepted the data then hung up on QUIT: still sent."""
    server = scripted_server({"QUIT": CLOSE})
    receipt = sender(server.port).send(message(), idempotency_key=KEY)
    assert receipt.detail == "250 2.0.0 OK: queued"
    assert server.commands[-2:] == [".", "quit"]


# --------------------------------------------------------- not delivered, a later run may succeed


def test_server_down_is_not_delivered_and_not_permanent(closed_port: int) -> None:
    """Connection refused: certainly not delivered; the next run tries again."""
    error = refused(closed_port)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason.startswith(f"cannot connect to {HOST}:{closed_port}: ")
    assert "ConnectionRefusedError" in error.reason


def test_rcpt_451_is_not_permanent(smtp_server: SmtpServer) -> None:
    """A temporary refusal of the recipient (4xx): retry later."""
    smtp_server.handler.refuse_rcpt["*"] = "451 4.3.0 try again later"
    error = refused(smtp_server.port)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == "451 4.3.0 try again later (RCPT TO)"
    assert smtp_server.received == []


def test_data_452_is_not_permanent(smtp_server: SmtpServer) -> None:
    """The content refused for now (4xx at the end of data): retry later."""
    smtp_server.handler.refuse_data = "452 4.3.1 insufficient storage"
    error = refused(smtp_server.port)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == "452 4.3.1 insufficient storage (end of data)"


def test_missing_attachment_resolver_sends_nothing(smtp_server: SmtpServer) -> None:
    """An invoice PDF with no way to join it: kept for later, the server never contacted."""
    error = refused(smtp_server.port, attachments=None)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == (
        f"message {KEY}: attachment 'pdf:2026-0042' cannot be joined: "
        "no attachment resolver is configured"
    )
    assert smtp_server.handler.greetings == []


def test_failing_attachment_resolver_sends_nothing(smtp_server: SmtpServer) -> None:
    """The resolver raises: kept for later, never sent without the PDF."""
    error = refused(smtp_server.port, message(attachments=("pdf:2026-0099",)))
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == (
        f"message {KEY}: attachment 'pdf:2026-0099' cannot be joined: "
        "FileNotFoundError: no document pdf:2026-0099"
    )
    assert smtp_server.handler.greetings == []


def test_starttls_required_but_not_offered(smtp_server: SmtpServer) -> None:
    """starttls=True and a server without STARTTLS: nothing is sent in clear."""
    error = refused(smtp_server.port, starttls=True)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == (
        f"{HOST}:{smtp_server.port} does not offer STARTTLS, which starttls=True requires; "
        "nothing was sent"
    )
    assert smtp_server.received == []


def test_starttls_refused(scripted_server: Scripted) -> None:
    """The server offers STARTTLS, then refuses it (454): a session step, not permanent."""
    server = scripted_server(
        {"EHLO": "250-scripted\r\n250 STARTTLS", "STARTTLS": "454 4.7.0 TLS not available"}
    )
    error = refused(server.port, starttls=True)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == "454 4.7.0 TLS not available (STARTTLS)"


def test_untrusted_certificate_sends_nothing(
    start_smtp_server: Callable[..., SmtpServer], tls_files: TlsFiles
) -> None:
    """The default context checks certificates: a self-signed one stops the connection."""
    server = start_smtp_server(ssl_context=tls_files.server_context())
    error = refused(server.port, ssl=True)
    assert (error.delivered, error.permanent) == (False, False)
    assert "SSLCertVerificationError" in error.reason
    assert server.received == []


def test_implicit_tls_against_a_plain_server(smtp_server: SmtpServer) -> None:
    """ssl=True against a server that speaks plain SMTP: the handshake fails, nothing sent."""
    error = refused(smtp_server.port, ssl=True)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason.startswith(f"cannot connect to {HOST}:{smtp_server.port}: SSLError")


def test_login_on_a_server_without_auth(smtp_server: SmtpServer) -> None:
    """A username for a server that offers no AUTH: a configuration problem, kept for later."""
    error = refused(smtp_server.port, username=LOGIN[0], password=LOGIN[1])
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == (
        f"AUTH at {HOST}:{smtp_server.port}: "
        "SMTPNotSupportedError: SMTP AUTH extension not supported by server."
    )
    assert smtp_server.received == []


def test_wrong_password_is_not_permanent(start_smtp_server: Callable[..., SmtpServer]) -> None:
    """535 to AUTH: fixable by whoever configures the sender; the message must not be lost."""
    server = start_smtp_server(
        auth_require_tls=False,
        authenticator=lambda *_: AuthResult(success=False, handled=False),
    )
    error = refused(server.port, username=LOGIN[0], password=LOGIN[1][::-1])
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == "535 5.7.8 Authentication credentials invalid (AUTH)"
    assert server.received == []


def test_refused_greeting_is_not_permanent(scripted_server: Scripted) -> None:
    """A 554 greeting refuses the session, not this message."""
    server = scripted_server({"greeting": "554 5.7.1 no service for you"})
    error = refused(server.port)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == f"554 5.7.1 no service for you (greeting of {HOST}:{server.port})"


def test_refused_ehlo_and_helo_is_not_permanent(scripted_server: Scripted) -> None:
    """EHLO then HELO refused: a session step, not permanent."""
    server = scripted_server({"EHLO": "502 5.5.1 no", "HELO": "502 5.5.1 still no"})
    error = refused(server.port)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == "502 5.5.1 still no (EHLO)"


def test_refused_sender_address_is_not_permanent(scripted_server: Scripted) -> None:
    """A 5xx to MAIL FROM is about our sender address: every message would fail alike."""
    server = scripted_server({"MAIL": "553 5.7.1 sender not allowed"})
    error = refused(server.port)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == "553 5.7.1 sender not allowed (MAIL FROM)"
    assert server.commands == [
        "ehlo dunning.test",
        "mail FROM:<compta@atelier-durand.example>",
        "quit",
    ]


def test_silent_data_command_is_not_delivered(scripted_server: Scripted) -> None:
    """No 354 to DATA: the content never left, so it certainly was not delivered."""
    server = scripted_server({"DATA": None})
    error = refused(server.port, timeout=0.3)
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason.startswith(f"DATA at {HOST}:{server.port}: SMTPServerDisconnected")
    assert server.data == b""


# ------------------------------------------------------------------------ permanent refusals


def test_rcpt_550_is_permanent(smtp_server: SmtpServer) -> None:
    """The server says the address does not exist: trying again is pointless."""
    smtp_server.handler.refuse_rcpt[TO] = "550 5.1.1 no such user"
    error = refused(smtp_server.port)
    assert (error.delivered, error.permanent) == (False, True)
    assert error.reason == "550 5.1.1 no such user (RCPT TO)"
    assert smtp_server.received == []


def test_data_554_is_permanent(smtp_server: SmtpServer) -> None:
    """The content refused for good (5xx at the end of data)."""
    smtp_server.handler.refuse_data = "554 5.6.0 content rejected"
    error = refused(smtp_server.port)
    assert (error.delivered, error.permanent) == (False, True)
    assert error.reason == "554 5.6.0 content rejected (end of data)"


def test_data_command_554_is_permanent(scripted_server: Scripted) -> None:
    """The DATA command itself refused with a 5xx: no content sent, permanent."""
    server = scripted_server({"DATA": "554 5.5.1 no valid recipients"})
    error = refused(server.port)
    assert (error.delivered, error.permanent) == (False, True)
    assert error.reason == "554 5.5.1 no valid recipients (DATA)"
    assert server.data == b""


def test_missing_recipient_is_permanent_and_sends_nothing(smtp_server: SmtpServer) -> None:
    """No address in the customer record: refused before any connection."""
    error = refused(smtp_server.port, message(to=None))
    assert (error.delivered, error.permanent) == (False, True)
    assert error.reason == f"message {KEY} has no email address: the customer record has none"
    assert smtp_server.handler.greetings == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"channel": Channel.SMS}, f"message {KEY} is for the sms channel, not email"),
        (
            {"to": TO + INJECTION},
            f"message {KEY}: to: contains a control character (U+000D)",
        ),
        (
            {"to": "a@example.com, b@example.com"},
            (
                f"message {KEY}: the recipient 'a@example.com, b@example.com' holds 2 "
                "addresses, not one"
            ),
        ),
        (
            {"to": "élodie@boulangerie.example"},
            (
                f"message {KEY}: the recipient 'élodie@boulangerie.example' is an "
                "internationalised address, which needs SMTPUTF8; this sender writes ASCII "
                "addresses only"
            ),
        ),
        ({"to": "compta"}, f"message {KEY}: the recipient 'compta' is not an email address"),
        (
            {"subject": "Relance" + INJECTION},
            f"message {KEY}: subject: contains a control character (U+000D)",
        ),
        (
            {"locale": "fr" + INJECTION},
            f"message {KEY}: locale: contains a control character (U+000D)",
        ),
    ],
)
def test_a_message_that_cannot_be_an_email_is_permanent(
    smtp_server: SmtpServer, changes: dict[str, Any], reason: str
) -> None:
    """Wrong channel, bad or injected recipient, subject or locale: refused, nothing sent."""
    error = refused(smtp_server.port, message(**changes))
    assert (error.delivered, error.permanent) == (False, True)
    assert error.reason == reason
    assert smtp_server.handler.greetings == []


def test_unparseable_recipient_is_permanent() -> None:
    """An address the standard parser chokes on (IndexError inside it) is refused cleanly."""
    with pytest.raises(SendError, match=r"the recipient 'compta@' is not an email address \("):
        build_email(message(to="compta@"), from_address=FROM, idempotency_key=KEY)


def test_key_unfit_for_a_message_id_is_permanent(smtp_server: SmtpServer) -> None:
    """A key with a space or an "@" cannot be a Message-ID: refused, nothing sent."""
    with pytest.raises(SendError) as caught:
        sender(smtp_server.port).send(message(), idempotency_key="msg 1@x")
    assert (caught.value.delivered, caught.value.permanent) == (False, True)
    assert caught.value.reason == (
        f"message {KEY}: the idempotency key 'msg 1@x' cannot be the left part of a "
        "Message-ID (RFC 5322 dot-atom)"
    )
    assert smtp_server.handler.greetings == []


# -------------------------------------------------------------------------------- maybe sent


def test_timeout_after_data_is_uncertain_and_the_server_has_it(smtp_server: SmtpServer) -> None:
    """The server recorded the message but answered after the client gave up: maybe sent."""
    smtp_server.handler.delay_after_data = 1.5
    error = refused(smtp_server.port, timeout=0.5)
    assert error.delivered is None
    assert error.permanent is False
    assert error.reason.startswith(
        f"no reply from {HOST}:{smtp_server.port} after the message data was sent "
        "(SMTPServerDisconnected: "
    )
    assert error.reason.endswith("): the server may have accepted it")
    assert len(smtp_server.received) == 1  # this is why it is "uncertain", not "retry"


def test_disconnection_after_data_is_uncertain(scripted_server: Scripted) -> None:
    """The server took the content and hung up without a word: maybe sent."""
    server = scripted_server({".": CLOSE})
    error = refused(server.port)
    assert error.delivered is None
    assert b"Madame, Monsieur," in server.data


def test_an_undefined_reply_to_the_data_is_uncertain(scripted_server: Scripted) -> None:
    """A reply that is neither 250 nor 4xx/5xx says nothing sure: maybe sent."""
    server = scripted_server({".": "299 hmm"})
    error = refused(server.port)
    assert error.delivered is None
    assert error.reason == (
        "299 hmm (end of data): an answer SMTP does not define; "
        "the server may have accepted the message"
    )


def test_content_is_dot_stuffed_on_the_wire(scripted_server: Scripted) -> None:
    """RFC 5321 4.5.2: the line starting with "." is sent with a second dot."""
    server = scripted_server({})
    sender(server.port).send(message(), idempotency_key=KEY)
    assert b"\r\n..signature : Atelier Durand\r\n" in server.data
    assert b"\r\n.signature" not in server.data


# ---------------------------------------------------------------------------- build_email


def test_data_without_a_final_line_break_is_still_terminated() -> None:
    """RFC 5321 4.1.1.4: the data ends with CRLF "." CRLF, whatever the content's last line."""
    assert _dot_stuffed(b"Subject: x\r\n\r\n.a") == b"Subject: x\r\n\r\n..a\r\n.\r\n"
    assert _dot_stuffed(b"b\r\n") == b"b\r\n.\r\n"


def test_build_email_is_deterministic() -> None:
    """The same arguments give the same bytes: Message-ID and MIME boundaries included."""
    first = build_email(
        message(), from_address=FROM, idempotency_key=KEY, attachments=invoice_pdf
    ).as_bytes()
    second = build_email(
        message(), from_address=FROM, idempotency_key=KEY, attachments=invoice_pdf
    ).as_bytes()
    assert first == second
    assert b"\r\nDate:" not in first


def test_build_email_writes_the_date_given() -> None:
    """An aware date becomes the RFC 5322 Date header, in its own offset."""
    at = datetime(2026, 5, 5, 10, 30, tzinfo=PARIS)
    email = build_email(
        message(html=None, attachments=()), from_address=FROM, idempotency_key=KEY, date=at
    )
    assert email["Date"] == "Tue, 05 May 2026 10:30:00 +0200"


def test_build_email_refuses_a_naive_date() -> None:
    """A date without a time zone is ambiguous: ValueError naming the argument."""
    with pytest.raises(ValueError, match=r"^date: an instant must be timezone-aware"):
        build_email(
            message(), from_address=FROM, idempotency_key=KEY, date=datetime(2026, 5, 5, 10, 30)
        )


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"from_address": "compta"}, "from_address: 'compta' is not an email address"),
        (
            {"from_address": FROM, "reply_to": "a@x.example, b@x.example"},
            "reply_to: 'a@x.example, b@x.example' holds 2 addresses, not one",
        ),
    ],
)
def test_build_email_refuses_a_bad_sender_address(options: dict[str, Any], text: str) -> None:
    """The sender's addresses are configuration: ConfigurationError naming the argument."""
    with pytest.raises(ConfigurationError) as caught:
        build_email(message(), idempotency_key=KEY, **options)
    assert str(caught.value) == text


def test_content_language_uses_a_language_tag() -> None:
    """A locale written fr_FR becomes the BCP 47 tag fr-FR."""
    email = build_email(
        message(locale="fr_FR", attachments=()), from_address=FROM, idempotency_key=KEY
    )
    assert email["Content-Language"] == "fr-FR"


@pytest.mark.parametrize(
    ("filename", "mime_type", "text"),
    [
        ("", "application/pdf", "filename: '' is empty or holds a control character"),
        ("a\nb.pdf", "application/pdf", r"filename: 'a\\nb.pdf' is empty or holds a control"),
        ("a.pdf", "application", "mime_type: 'application' is not a media type"),
    ],
)
def test_attachment_refuses_what_a_mime_header_cannot_hold(
    filename: str, mime_type: str, text: str
) -> None:
    """A name with a line break or a type without a subtype: ValueError naming the field."""
    with pytest.raises(ValueError, match=f"^{text}"):
        Attachment(filename, b"", mime_type)


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"host": ""}, "host"),
        ({"port": 0}, "port"),
        ({"port": 65536}, "port"),
        ({"timeout": 0}, "timeout"),
        ({"starttls": True, "ssl": True}, "ssl"),
        ({"username": "compta"}, "password"),
        ({"password": "s3cret"}, "username"),
        ({"from_address": "Atelier Durand"}, "from_address"),
        ({"reply_to": "relances@"}, "reply_to"),
    ],
)
def test_impossible_settings_are_refused_naming_the_field(
    options: dict[str, Any], field: str
) -> None:
    """Settings that cannot work fail at construction, with the field's name first."""
    settings: dict[str, Any] = {"host": "smtp.example.fr", "from_address": FROM, **options}
    with pytest.raises(ConfigurationError, match=f"^{field}: "):
        SmtpSender(**settings)


def test_smtp_sender_is_a_sender_that_cannot_deduplicate() -> None:
    """It implements the port, serves email, and says SMTP cannot drop a second copy."""
    smtp = SmtpSender("smtp.example.fr", FROM, username=LOGIN[0], password=LOGIN[1])
    assert isinstance(smtp, Sender)
    assert (smtp.channel, smtp.deduplicates) == (Channel.EMAIL, False)
    assert LOGIN[1] not in repr(smtp)


# ----------------------------------------------------------------------------- headers safe
# Issue 9, point 6: no data can add a header or a control character to an email. The payloads
# come from the report: Python 3.11.7's email package decodes an RFC 2047 encoded word it is
# given as a header value, and writes the CR LF it holds as a real line break.

ENCODED_CRLF = "=?utf-8?q?=0D=0ABcc:_x@y?="
"""An encoded word that decodes to CR LF "Bcc: x@y"."""


def refused_before_connecting(server: SmtpServer, msg: Message, **options: Any) -> SendError:
    """The SendError for *msg*: permanent, not delivered, and the server never greeted."""
    error = refused(server.port, msg, **options)
    assert (error.delivered, error.permanent) == (False, True)
    assert server.handler.greetings == []
    assert server.received == []
    return error


def test_an_encoded_line_break_in_the_subject_is_refused(smtp_server: SmtpServer) -> None:
    """The subject would read back as two headers (Subject, Bcc): refused, naming the subject."""
    subject = f"Facture 2026-{ENCODED_CRLF} : petit rappel"
    error = refused_before_connecting(smtp_server, message(subject=subject))
    # What it reads back as depends on the email package's version: only the field, the
    # problem and the value written are pinned.
    assert error.reason.startswith(f"message {KEY}: subject: reads back as ")
    assert error.reason.endswith(f", not as written ({subject!r})")


def test_an_encoded_word_in_the_subject_is_refused_even_when_harmless() -> None:
    """A subject holding an encoded word would not read back as written: refused."""
    with pytest.raises(SendError) as caught:
        build_email(
            message(subject="=?utf-8?q?abc?=", attachments=()),
            from_address=FROM,
            idempotency_key=KEY,
        )
    assert caught.value.reason == (
        f"message {KEY}: subject: reads back as 'abc', not as written ('=?utf-8?q?abc?=')"
    )
    assert caught.value.permanent is True


@pytest.mark.parametrize(
    "to",
    [
        f"{ENCODED_CRLF} <{TO}>",
        f'"{ENCODED_CRLF}" <{TO}>',
        f"=?utf-8?q?=00?= <{TO}>",
    ],
)
def test_an_encoded_control_character_in_the_display_name_is_refused(
    smtp_server: SmtpServer, to: str
) -> None:
    """A recipient whose display name decodes to CR LF or NUL: refused, naming the recipient."""
    error = refused_before_connecting(smtp_server, message(to=to))
    assert error.reason.startswith(f"message {KEY}: the recipient {to!r} is not an email address")


DOUBLE_ENCODED = "=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3D0ABcc:_x@y=3F=3D?="
"""An encoded word that decodes to ENCODED_CRLF, which decodes to CR LF "Bcc: x@y"."""


def test_a_display_name_encoded_twice_is_refused(smtp_server: SmtpServer) -> None:
    """Decoded once when parsed, once more when written: the line break is refused, no Bcc."""
    error = refused_before_connecting(smtp_server, message(to=f"{DOUBLE_ENCODED} <{TO}>"))
    assert error.reason.startswith(f"message {KEY}: the recipient cannot be an email header: ")


def test_a_display_name_that_would_read_back_otherwise_is_refused() -> None:
    """A display name decoding to an encoded word would reach the customer decoded: refused."""
    to = f"=?utf-8?q?=3D=3Futf-8=3Fq=3Fabc=3F=3D?= <{TO}>"
    with pytest.raises(SendError) as caught:
        build_email(message(to=to, attachments=()), from_address=FROM, idempotency_key=KEY)
    assert caught.value.reason == (
        f"message {KEY}: to: reads back as 'abc <{TO}>', not as written ('=?utf-8?q?abc?= <{TO}>')"
    )
    assert (caught.value.delivered, caught.value.permanent) == (False, True)


def test_an_attachment_name_that_would_read_back_otherwise_is_refused() -> None:
    """An encoded word as a file name would be decoded by the mail client: refused."""
    with pytest.raises(SendError) as caught:
        build_email(
            message(),
            from_address=FROM,
            idempotency_key=KEY,
            attachments=lambda reference: Attachment("=?utf-8?q?abc?=.pdf", PDF),
        )
    assert caught.value.reason == (
        f"message {KEY}: attachment filename: reads back as ['abc.pdf'], "
        "not as written (['=?utf-8?q?abc?=.pdf'])"
    )


def test_a_recipient_the_parser_crashes_on_is_refused_cleanly(smtp_server: SmtpServer) -> None:
    """A recipient ". <address>" crashes the 3.11 address parser (AttributeError): refused."""
    to = f". <{TO}>"
    error = refused_before_connecting(smtp_server, message(to=to))
    assert error.reason.startswith(f"message {KEY}: the recipient {to!r} is not an email address")


def test_an_encoded_display_name_without_control_characters_is_sent(
    smtp_server: SmtpServer,
) -> None:
    """A legitimate encoded display name (José) is decoded, written again and delivered."""
    sender(smtp_server.port).send(message(to=f"=?utf-8?q?Jos=C3=A9?= <{TO}>"), idempotency_key=KEY)
    [received] = smtp_server.received
    assert received.email["To"] == f"José <{TO}>"
    assert received.rcpt_tos == (TO,)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"subject": "Facture 2026-\x000042"}, "subject: contains a control character (U+0000)"),
        ({"subject": "Facture\x7f"}, "subject: contains a control character (U+007F)"),
        ({"subject": "Fac\x85ture"}, "subject: contains a control character (U+0085)"),
        ({"subject": "Facture\u2028Bcc: x@y"}, "subject: contains a line separator (U+2028)"),
        ({"subject": "Facture\téchue"}, "subject: contains a control character (U+0009)"),
        ({"to": TO + "\x00"}, "to: contains a control character (U+0000)"),
        ({"locale": "fr\x00"}, "locale: contains a control character (U+0000)"),
        ({"text": "Madame,\x00Monsieur"}, "text: contains a control character (U+0000)"),
        ({"text": "Madame,\x0bMonsieur"}, "text: contains a control character (U+000B)"),
        (
            {"text": "Madame,\rMonsieur"},
            "text: contains a carriage return that does not end a line (U+000D)",
        ),
        ({"html": "<p>\x00</p>"}, "html: contains a control character (U+0000)"),
    ],
)
def test_a_control_character_in_a_field_is_refused_naming_the_field(
    smtp_server: SmtpServer, changes: dict[str, Any], reason: str
) -> None:
    """NUL, DEL, C1, separators, tabs in headers, or a bare CR in the body: refused up front."""
    error = refused_before_connecting(smtp_server, message(**changes))
    assert error.reason == f"message {KEY}: {reason}"


def test_tabs_and_crlf_line_ends_stay_allowed_in_the_body(smtp_server: SmtpServer) -> None:
    """A body keeps its tabs and CR LF line ends: delivered as written."""
    text = "Facture\t2026-0042\r\nMontant\t1 200,00 €"
    sender(smtp_server.port, attachments=None).send(
        message(text=text, html=None, attachments=()), idempotency_key=KEY
    )
    [received] = smtp_server.received
    assert body(received.email, "text/plain") == text + "\r\n"


@pytest.mark.parametrize(
    ("filename", "problem"),
    [
        (f"{ENCODED_CRLF}.pdf", "would hold headers nobody wrote: Bcc"),
        # An encoded blank line ends the part's headers early: the rest falls into its body.
        ("=?utf-8?q?=0D=0A=0D=0A?=.pdf", "would lack headers it was built with: MIME-Version"),
    ],
)
def test_an_encoded_line_break_in_an_attachment_name_is_refused(
    smtp_server: SmtpServer, filename: str, problem: str
) -> None:
    """A file name the resolver built from an invoice number with the payload: refused."""

    def resolver(reference: str) -> Attachment:
        return Attachment(filename, PDF)

    error = refused_before_connecting(smtp_server, message(), attachments=resolver)
    # Parts in walk order: 0 multipart/mixed, 1 multipart/alternative, 2 text/plain,
    # 3 text/html, 4 the PDF. (Python 3.13.0 writes these lines too.)
    assert error.reason == f"message {KEY}: part 4 (application/pdf) {problem}"


def test_a_configured_address_with_a_control_character_is_a_configuration_error() -> None:
    """A NUL in from_address is refused when the sender is built, naming the field."""
    with pytest.raises(ConfigurationError) as caught:
        SmtpSender("smtp.example.fr", "compta@atelier-durand.example\x00")
    assert str(caught.value) == "from_address: contains a control character (U+0000)"


# The read-back check on its own: with the up-front character checks switched off, what the
# fields carry must still be caught in the bytes (the guard that does not depend on them).


def test_without_the_field_checks_a_nul_in_the_subject_is_caught_in_the_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A NUL reaches the Subject header: the read-back check refuses it."""
    monkeypatch.setattr(smtp_module, "_refuse_control_characters", lambda message: None)
    with pytest.raises(SendError) as caught:
        build_email(
            message(subject="Facture\x00", attachments=()), from_address=FROM, idempotency_key=KEY
        )
    assert caught.value.reason == (
        f"message {KEY}: the email: the Subject header would contain a control character (U+0000)"
    )
    assert (caught.value.delivered, caught.value.permanent) == (False, True)


def test_without_the_field_checks_a_nul_in_the_body_is_caught_on_the_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A NUL reaches the 7-bit text body: the byte check refuses it, with its line."""
    monkeypatch.setattr(smtp_module, "_refuse_control_characters", lambda message: None)
    with pytest.raises(SendError) as caught:
        build_email(
            message(text="Madame,\x00", html=None, attachments=()),
            from_address=FROM,
            idempotency_key=KEY,
        )
    # Line 1 From, 2 To, 3 Subject, 4 Message-ID, 5 X-Dunning-Key, 6 Content-Type,
    # 7 Content-Transfer-Encoding, 8 MIME-Version, 9 Content-Language, 10 blank, 11 the text.
    assert caught.value.reason == (
        f"message {KEY}: the email would hold the byte b'\\x00' on its line 11"
    )


def test_a_header_the_email_package_refuses_to_write_is_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Newer Pythons raise HeaderWriteError (a MessageError) when serialising: a refusal."""

    def refuse_to_write(self: EmailMessage, *args: Any, **kwargs: Any) -> bytes:
        msg = "folded header contains newline"
        raise MessageError(msg)

    # A text-only email has no boundary to set; setting none keeps its own as_bytes call out.
    monkeypatch.setattr(smtp_module, "_set_boundaries", lambda email: None)
    monkeypatch.setattr(EmailMessage, "as_bytes", refuse_to_write)
    with pytest.raises(SendError) as caught:
        build_email(message(attachments=()), from_address=FROM, idempotency_key=KEY)
    assert caught.value.reason == (
        f"message {KEY}: the email cannot be written: folded header contains newline"
    )
    assert (caught.value.delivered, caught.value.permanent) == (False, True)


def test_a_header_nobody_wrote_is_caught() -> None:
    """An email holding a Bcc that was not written: the header-set check refuses it."""
    email = build_email(message(html=None, attachments=()), from_address=FROM, idempotency_key=KEY)
    email["Bcc"] = "x@y.example"
    written: dict[str, str | Address | None] = {
        "From": smtp_module._parse_address(FROM),
        "To": smtp_module._parse_address(TO),
        "Subject": SUBJECT,
        "Message-ID": MESSAGE_ID,
        "X-Dunning-Key": KEY,
        "Content-Language": "fr",
    }
    with pytest.raises(SendError) as caught:
        smtp_module._check_read_back(email, message(), {**written}, ())
    assert caught.value.reason == f"message {KEY}: the email would hold headers nobody wrote: Bcc"
    del email["Bcc"]
    with pytest.raises(SendError) as caught:
        smtp_module._check_read_back(email, message(), {**written, "Reply-To": SUBJECT}, ())
    assert (
        caught.value.reason == f"message {KEY}: reply_to: the email would hold 0 Reply-To headers"
    )
    smtp_module._check_read_back(email, message(), {**written, "Reply-To": None}, ())


# ------------------------------------------------------------------- headers safe: properties

HEADERS = Counter(
    [
        "From",
        "To",
        "Subject",
        "Message-ID",
        "X-Dunning-Key",
        "Content-Language",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
    ]
)
"""The headers of a text-only email without Reply-To or Date, each once."""


def read_back(email: EmailMessage) -> EmailMessage:
    """The email as a receiving server parses it (its bytes, the default policy)."""
    return BytesParser(_class=EmailMessage, policy=default_policy).parsebytes(email.as_bytes())


def built_or_refused(msg: Message) -> EmailMessage | None:
    """The email of *msg*, or None when build_email refused it permanently (and said so)."""
    refusal: SendError | None = None
    try:
        return build_email(msg, from_address=FROM, idempotency_key=KEY)
    except SendError as error:
        refusal = error
    assert (refusal.delivered, refusal.permanent) == (False, True)
    assert refusal.reason.startswith(f"message {KEY}: ")
    return None


def has_control(value: str) -> bool:
    """Whether *value* holds a control character (Unicode category Cc)."""
    return any(unicodedata.category(character) == "Cc" for character in value)


@example(subject=f"Facture 2026-{ENCODED_CRLF} : petit rappel")
@example(subject="Facture 2026-\x000042")
@settings(max_examples=examples(300), deadline=None)
@given(subject=st.text() | st.builds("{}{}{}".format, st.text(), st.sampled_from(WORDS), st.text()))
def test_any_subject_is_refused_or_reads_back_exactly(subject: str) -> None:
    """Whatever the subject: a permanent refusal, or exactly the headers written, no control."""
    try:
        msg = message(subject=subject, html=None, attachments=())
    except ValidationError:
        return  # not a Message at all (the model refuses it first)
    email = built_or_refused(msg)
    if email is None:
        return
    parsed = read_back(email)
    assert Counter(parsed.keys()) == HEADERS
    assert parsed["Subject"] == msg.subject
    assert parsed["To"] == TO
    assert parsed["From"] == FROM
    assert parsed["Message-ID"] == MESSAGE_ID
    assert not any(has_control(str(value)) for value in parsed.values())


@example(name=ENCODED_CRLF)
@example(name=DOUBLE_ENCODED)
@example(name=".")  # the parser raised AttributeError on it
@settings(max_examples=examples(300), deadline=None)
@given(name=st.text() | st.builds("{}{}".format, st.sampled_from(WORDS), st.text()))
def test_any_display_name_is_refused_or_reads_back_as_one_recipient(name: str) -> None:
    """Whatever the recipient's display name: refused, or one recipient and the headers written."""
    try:
        msg = message(to=f"{name} <{TO}>", html=None, attachments=())
    except ValidationError:
        return
    email = built_or_refused(msg)
    if email is None:
        return
    parsed = read_back(email)
    assert Counter(parsed.keys()) == HEADERS
    [address] = parsed["To"].addresses
    assert address.addr_spec == TO
    assert parsed["Subject"] == SUBJECT
    assert not any(has_control(str(value)) for value in parsed.values())


@settings(max_examples=examples(200), deadline=None)
@given(
    subject=st.text(
        alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1
    ).filter(lambda text: "=?" not in text and text.strip())
)
def test_a_subject_without_control_characters_or_encoded_words_is_accepted(subject: str) -> None:
    """The guard refuses no ordinary subject (accents, NBSP, symbols): it reads back as written."""
    msg = message(subject=subject, html=None, attachments=())
    email = build_email(msg, from_address=FROM, idempotency_key=KEY)
    assert read_back(email)["Subject"] == msg.subject


# ----------------------------------------------------------------- headers safe: the runner


def test_through_the_runner_an_injected_invoice_number_fails_and_the_others_go(
    store: Store, smtp_server: SmtpServer
) -> None:
    """Invoice numbers carrying the payload or a NUL: those entries fail, the clean one is sent."""
    numbers = {1: f"2026-{ENCODED_CRLF}", 2: "2026-\x000002", 3: "2026-0003"}
    for i, number in numbers.items():
        customer = make_customer(id=f"C-{i:03}", name=f"Client {i}", email=f"compta@c{i}.example")
        store.add_invoice(
            make_invoice(
                id=f"INV-{i:03}", number=number, customer=customer, due_on=date(2026, 5, 4)
            )
        )
    dunner = Dunner(
        store,
        store,
        {Channel.EMAIL: sender(smtp_server.port, attachments=None)},
        STANDARD,
        make_creditor(),
        owner="r1",
    )
    report = dunner.run(at=paris(2026, 5, 5))
    assert report.counts() == {"sent": 1, "failed": 2}
    failed = {item.customer_id: item for item in report.with_outcome(Outcome.FAILED)}
    assert set(failed) == {"C-001", "C-002"}
    for item in failed.values():
        entry = store.get(item.key)
        assert entry is not None
        assert entry.status is EntryStatus.FAILED
        assert entry.reason == item.reason
    injected = store.get(failed["C-001"].key)
    assert injected is not None
    assert ENCODED_CRLF in injected.message.subject
    assert failed["C-001"].reason.startswith(f"message {injected.key}: subject: reads back as ")
    assert failed["C-001"].reason.endswith(f", not as written ({injected.message.subject!r})")
    assert failed["C-002"].reason == (
        f"message {failed['C-002'].key}: subject: contains a control character (U+0000)"
    )
    [received] = smtp_server.received
    assert received.rcpt_tos == ("compta@c3.example",)
    assert "Bcc" not in received.email
