"""SmtpSender against real servers: what arrives, and what each failure is reported as.

The expected ``delivered`` / ``permanent`` values come from the table in the module docs of
`dunning.adapters.smtp`: nothing certainly left -> False; the server refused the recipient or
the content with a 5xx -> permanent; a session step (greeting, EHLO, STARTTLS, AUTH, MAIL
FROM) -> never permanent; no answer once the content was sent -> None ("maybe sent").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from dunning.adapters.smtp import Attachment, SmtpSender, _dot_stuffed, build_email
from dunning.core.model import Channel
from dunning.core.render import Message
from dunning.exceptions import ConfigurationError
from dunning.ports import Sender, SendError
from tests.integration.conftest import CLOSE, HOST, ScriptedServer, SmtpServer, TlsFiles

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
            (
                f"message {KEY}: the recipient {TO + INJECTION!r} is not an email address "
                "(Header values may not contain linefeed or carriage return characters)"
            ),
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
            (
                f"message {KEY}: the subject cannot be an email header: Header values may not "
                "contain linefeed or carriage return characters"
            ),
        ),
        (
            {"locale": "fr" + INJECTION},
            (
                f"message {KEY}: the locale cannot be an email header: Header values may not "
                "contain linefeed or carriage return characters"
            ),
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
    at = datetime(2026, 5, 5, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
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
