"""SMTP: a reference email `dunning.ports.Sender`, on the standard library only.

How this works
--------------
`build_email` turns a rendered `Message` into a MIME email. It is a function of its arguments:
the Message-ID is ``<idempotency key@domain of the sender>`` (a downstream system can drop a
second copy, and one key always gives one Message-ID), the MIME boundaries derive from the
content, and the Date header is written only when a date is given. Everything it writes is
7-bit (quoted-printable, base64, RFC 2047 headers), so no SMTP extension is needed for it.

`SmtpSender.send` builds the email first, so a message that cannot be an email is refused
before any connection is opened. It then talks SMTP one command at a time (not ``sendmail``),
so that it knows how far it got when something goes wrong. What it raises is its whole
contract with the runner (`dunning.runner`: ``delivered=False`` -> ``retry``, or ``failed``
when permanent; ``delivered=None`` -> ``uncertain``, a human looks):

| what happened                                               | delivered | permanent |
| ----------------------------------------------------------- | --------- | --------- |
| not an email; no recipient, several, or not an address      | False     | True      |
| a control character in the recipient, subject, locale, body | False     | True      |
| headers that would not read back as written (an injection)  | False     | True      |
| a key unfit for a Message-ID                                | False     | True      |
| an attachment without a resolver, or its resolver failed    | False     | False     |
| connection refused or timed out; TLS handshake failed       | False     | False     |
| greeting, EHLO, STARTTLS (missing or refused), AUTH refused | False     | False     |
| MAIL FROM refused (4xx or 5xx)                              | False     | False     |
| RCPT TO refused                                             | False     | if 5xx    |
| DATA command refused                                        | False     | if 5xx    |
| no answer to the DATA command (no content sent yet)         | False     | False     |
| end of data answered 4xx or 5xx                             | False     | if 5xx    |
| no answer to the end of data (timeout, disconnection, I/O)  | None      | False     |
| end of data answered with a code SMTP does not define       | None      | False     |
| end of data answered 250: a `Receipt` (the Message-ID)      |           |           |

Reasons quote the server where it answered: ``550 5.1.1 no such user (RCPT TO)``.

Why the headers are read back: no data may add a header or a control character to an email,
and the email package cannot be trusted with it (Python 3.11.7 writes an RFC 2047 encoded
word holding CR LF, ``=?utf-8?q?=0D=0ABcc:_x@y?=``, as a real line break: a ``Bcc:`` header).
So `build_email` refuses control characters in the fields up front, then serialises the
email as it will be sent, parses the bytes again and refuses it unless they hold exactly the
headers written, each once, with the values written, and no control byte on any line.

Why the session steps are never permanent, even on a 5xx: a refused greeting, login or sender
address says nothing about *this* message. It is a configuration problem that fails every
message alike, and marking them all ``failed`` would move the whole portfolio to its fallback
channel. Only the replies about the message (its recipient, its content) can condemn it.

Why a silent DATA command is "not delivered": the content has not left this process yet, so
the server cannot have accepted it. From the first byte of content on, only the server's
final reply tells, and without it the message may or may not have been taken.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import unicodedata
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP as SMTP_POLICY
from email.policy import default as default_policy
from email.utils import format_datetime
from ssl import SSLContext, create_default_context

from dunning.core.action_log import Receipt
from dunning.core.model import Channel, check_aware
from dunning.core.render import Message
from dunning.exceptions import ConfigurationError
from dunning.ports import SendContext, SendError

__all__ = ["Attachment", "SmtpSender", "build_email"]

# CRLF line ends, and 7-bit output: non-ASCII text is quoted-printable or base64, so a server
# without 8BITMIME takes it as it is.
_POLICY = SMTP_POLICY.clone(cte_type="7bit")
# RFC 5322 3.2.3 dot-atom-text: what may stand left of the "@" of a Message-ID unquoted.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
# RFC 2045 5.1: type "/" subtype, both tokens.
_MIME_WORD = r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]+"
_MIME_TYPE = re.compile(rf"{_MIME_WORD}/{_MIME_WORD}")
# RFC 5321 4.5.2: a content line starting with "." gets a second one (transparency).
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
# What the serialised email may not hold anywhere: a control byte other than the tab, a carriage
# return that does not end a line, a line feed that does not follow one (RFC 5322 2.1, 2.3).
_WIRE_FAULT = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file joined to an email: what the host's resolver makes of an attachment reference.

    Attributes:
        filename: the name the recipient sees, e.g. ``facture-2026-0042.pdf``.
        content: the file's bytes.
        mime_type: its media type, ``type/subtype``.

    Raises:
        ValueError: if *filename* is empty or holds a control character, or *mime_type* is not
            ``type/subtype``.

    Examples:
        >>> Attachment("facture-2026-0042.pdf", b"%PDF-1.7").mime_type
        'application/pdf'
        >>> Attachment("facture.pdf", b"%PDF-1.7", mime_type="pdf")
        Traceback (most recent call last):
        ...
        ValueError: mime_type: 'pdf' is not a media type such as application/pdf
    """

    filename: str
    content: bytes
    mime_type: str = "application/pdf"

    def __post_init__(self) -> None:
        """Refuse a name or type that cannot be written in a MIME header."""
        if not self.filename or not self.filename.isprintable():
            msg = f"filename: {self.filename!r} is empty or holds a control character"
            raise ValueError(msg)
        if not _MIME_TYPE.fullmatch(self.mime_type):
            msg = f"mime_type: {self.mime_type!r} is not a media type such as application/pdf"
            raise ValueError(msg)


def build_email(
    message: Message,
    *,
    from_address: str,
    idempotency_key: str,
    reply_to: str | None = None,
    attachments: Callable[[str], Attachment] | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """The MIME email of a rendered message, ready for an SMTP server or an ``.eml`` file.

    The plain text comes first; the HTML body, when there is one, is its alternative
    (``multipart/alternative``); attachments make it ``multipart/mixed``. Headers: From, To,
    Subject (RFC 2047 when not ASCII), Reply-To and Date when given, Message-ID
    ``<idempotency_key@domain of from_address>``, ``Content-Language`` (the message's locale)
    and ``X-Dunning-Key``. The same arguments always give the same bytes.

    Args:
        message: the rendered message; its channel must be email, ``to`` its recipient.
        from_address: the sender, ``compta@example.fr`` or ``Atelier Durand <compta@...>``.
        idempotency_key: the message's key (the runner's log key); it becomes the Message-ID.
        reply_to: where replies go, if not to *from_address*.
        attachments: resolves each of ``message.attachments`` (``"pdf:2026-0042"``) to an
            `Attachment`.
        date: the Date header (timezone-aware); none is written without it.

    Returns:
        The `email.message.EmailMessage` (policy: SMTP, 7-bit).

    Raises:
        SendError: ``delivered=False, permanent=True`` if the message is not for email, has no
            recipient or one that is not a single ASCII address, if its recipient, subject or
            locale holds a control character or line separator, or its body a control
            character other than tab and line ends (the reason names the field:
            ``subject: contains a control character (U+0000)``), if the key cannot be a
            Message-ID, or if the email's bytes would not read back as exactly the headers
            written (``subject: reads back as ..., not as written (...)``, ``... would hold
            headers nobody wrote: Bcc``); ``delivered=False, permanent=False`` if an attachment
            cannot be resolved (no resolver, or it raised): never an email without its
            invoice.
        ConfigurationError: if *from_address* or *reply_to* is not one email address, or
            holds a control character.
        ValueError: if *date* is naive.

    Examples:
        >>> message = Message(action_id="msg_1", channel="email", template="friendly",
        ...     locale="fr", subject="Facture 2026-0042 échue", text="Bonjour,",
        ...     to="compta@client.example")
        >>> email = build_email(message, from_address="Atelier Durand <compta@durand.example>",
        ...     idempotency_key="msg_1")
        >>> email["Message-ID"], email["Subject"], email.get_content_type()
        ('<msg_1@durand.example>', 'Facture 2026-0042 échue', 'text/plain')
        >>> print(email.as_bytes().decode().splitlines()[2])
        Subject: Facture 2026-0042 =?utf-8?q?=C3=A9chue?=
        >>> build_email(message.model_copy(update={"to": None}), from_address="a@b.example",
        ...     idempotency_key="msg_1")
        Traceback (most recent call last):
        ...
        dunning.ports.SendError: message msg_1 has no email address: the customer record has none
        >>> nul = chr(0)
        >>> build_email(message.model_copy(update={"subject": f"Facture 2026-{nul}0042"}),
        ...     from_address="a@b.example", idempotency_key="msg_1")
        Traceback (most recent call last):
        ...
        dunning.ports.SendError: message msg_1: subject: contains a control character (U+0000)
    """
    sender = _configured_address("from_address", from_address)
    replies = None if reply_to is None else _configured_address("reply_to", reply_to)
    if date is not None:
        check_aware(date, "date")
    recipient = _recipient_of(message)
    _refuse_control_characters(message)
    if not _DOT_ATOM.fullmatch(idempotency_key):
        msg = (
            f"message {message.action_id}: the idempotency key {idempotency_key!r} cannot be "
            "the left part of a Message-ID (RFC 5322 dot-atom)"
        )
        raise SendError(msg, delivered=False, permanent=True)
    email = EmailMessage(policy=_POLICY)
    email["From"] = from_address
    # Written again from the parsed address: a display name that decoded to an encoded word
    # decodes once more here, and may hold a line break the parser refuses (ValueError).
    _set_header(email, "To", str(recipient), message, what="recipient")
    _set_header(email, "Subject", message.subject, message, what="subject")
    if reply_to is not None:
        email["Reply-To"] = reply_to
    if date is not None:
        email["Date"] = format_datetime(date)
    email["Message-ID"] = f"<{idempotency_key}@{sender.domain}>"
    email["X-Dunning-Key"] = idempotency_key
    files = _resolve(message, attachments)
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    for file in files:
        maintype, subtype = file.mime_type.split("/")
        email.add_attachment(
            file.content, maintype=maintype, subtype=subtype, filename=file.filename
        )
    # Last: setting content clears the Content-* headers, and multipart moves them to a part.
    language = message.locale.replace("_", "-")
    _set_header(email, "Content-Language", language, message, what="locale")
    _set_boundaries(email)
    written: dict[str, str | Address | None] = {
        "From": sender,
        "To": recipient,
        "Subject": message.subject,
        "Reply-To": replies,
        "Date": None if date is None else format_datetime(date),
        "Message-ID": f"<{idempotency_key}@{sender.domain}>",
        "X-Dunning-Key": idempotency_key,
        "Content-Language": language,
    }
    _check_read_back(email, message, written, files)
    return email


@dataclass
class SmtpSender:
    """Sends email through an SMTP server: implements `dunning.ports.Sender` (module docs).

    SMTP cannot drop a second copy of a message, so ``deduplicates`` is False: a message whose
    fate is unknown is left ``uncertain`` for a human rather than sent again.

    Attributes:
        host: the SMTP server (submission server or relay).
        from_address: the sender, ``compta@example.fr`` or ``Atelier Durand <compta@...>``;
            its domain ends every Message-ID.
        port: 25 (relay), 587 (submission, with *starttls*) or 465 (with *ssl*).
        reply_to: where replies go, if not to *from_address*.
        starttls: require STARTTLS; a server that does not offer it gets nothing.
        ssl: implicit TLS from the first byte (``SMTP_SSL``).
        username: log in with this name (needs *password*; use it with *starttls* or *ssl*,
            or the password crosses the network in clear).
        password: the password; never shown in the repr.
        timeout: seconds to wait for the server at each step.
        ssl_context: the TLS settings; `ssl.create_default_context()` (certificates checked)
            when None.
        attachments: resolves the messages' attachment references (`Attachment`).
        local_hostname: the name given in EHLO; the machine's FQDN when None.
        channel: `Channel.EMAIL` (class attribute).
        deduplicates: False (class attribute).

    Raises:
        ConfigurationError: naming the field, if *host* is empty, *port* is not a TCP port,
            *timeout* is not positive, *starttls* and *ssl* are both set, only one of
            *username* and *password* is set, or *from_address* / *reply_to* is not one
            email address.

    Examples:
        >>> sender = SmtpSender("smtp.example.fr", "compta@durand.example", port=587,
        ...     starttls=True, username="compta", password="s3cret")
        >>> sender.channel.value, sender.deduplicates, "s3cret" in repr(sender)
        ('email', False, False)
        >>> SmtpSender("smtp.example.fr", "compta@durand.example", username="compta")
        Traceback (most recent call last):
        ...
        dunning.exceptions.ConfigurationError: password: username is set, so a password is needed
    """

    host: str
    from_address: str
    port: int = 25
    reply_to: str | None = None
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ssl_context: SSLContext | None = None
    attachments: Callable[[str], Attachment] | None = None
    local_hostname: str | None = None

    channel = Channel.EMAIL
    deduplicates = False

    def __post_init__(self) -> None:
        """Refuse settings that cannot work, naming the field."""
        if not self.host:
            msg = "host: the SMTP server's name is empty"
            raise ConfigurationError(msg)
        if not 1 <= self.port <= 65535:  # noqa: PLR2004  (the TCP port range)
            msg = f"port: {self.port} is not a TCP port (1 to 65535)"
            raise ConfigurationError(msg)
        if not self.timeout > 0:
            msg = f"timeout: {self.timeout} seconds; it must be more than 0"
            raise ConfigurationError(msg)
        if self.starttls and self.ssl:
            msg = (
                "ssl: implicit TLS (ssl, port 465) and STARTTLS (starttls, port 587) "
                "exclude each other; set one"
            )
            raise ConfigurationError(msg)
        if self.username is not None and self.password is None:
            msg = "password: username is set, so a password is needed"
            raise ConfigurationError(msg)
        if self.password is not None and self.username is None:
            msg = "username: password is set, so a username is needed"
            raise ConfigurationError(msg)
        _configured_address("from_address", self.from_address)
        if self.reply_to is not None:
            _configured_address("reply_to", self.reply_to)

    def send(
        self,
        message: Message,
        *,
        idempotency_key: str,
        context: SendContext | None = None,  # noqa: ARG002  (the message says it all)
    ) -> Receipt:
        """Hand *message* to the SMTP server, one command at a time; see the module docs.

        Args:
            message: the rendered email message.
            idempotency_key: its key; the email's Message-ID is made from it.
            context: not used: the message says everything an email needs.

        Returns:
            A `Receipt`: ``provider_id`` is the Message-ID, ``detail`` the server's reply to
            the data (``250 2.0.0 Ok: queued as ...``).

        Raises:
            SendError: as the module's table says; ``delivered`` tells whether the server may
                have taken the message.
        """
        email = build_email(
            message,
            from_address=self.from_address,
            idempotency_key=idempotency_key,
            reply_to=self.reply_to,
            attachments=self.attachments,
            date=datetime.now(UTC),
        )
        sender = _configured_address("from_address", self.from_address).addr_spec
        recipient = _recipient_of(message).addr_spec
        content = _dot_stuffed(email.as_bytes())
        connection = self._connect()
        try:
            detail = self._deliver(connection, sender, recipient, content)
        finally:
            connection.close()
        return Receipt(provider_id=str(email["Message-ID"]), detail=detail)

    # -- the conversation, step by step ------------------------------------------------------

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.ssl:
                return smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self._context(),
                )
            return smtplib.SMTP(
                self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
            )
        except smtplib.SMTPResponseException as error:  # a greeting other than 220
            reason = f"{_reply(error.smtp_code, error.smtp_error)} (greeting of {self._where})"
            raise SendError(reason, delivered=False) from error
        except OSError as error:  # refused, unreachable, timed out, TLS handshake failed
            reason = f"cannot connect to {self._where}: {_describe(error)}"
            raise SendError(reason, delivered=False) from error

    def _context(self) -> SSLContext:
        return self.ssl_context if self.ssl_context is not None else create_default_context()

    def _deliver(
        self, connection: smtplib.SMTP, sender: str, recipient: str, content: bytes
    ) -> str:
        self._open_transaction(connection, sender, recipient)
        # From here on the content is leaving: only the server's final reply tells its fate.
        try:
            connection.send(content)
            code, reply = connection.getreply()
        except OSError as error:
            reason = (
                f"no reply from {self._where} after the message data was sent "
                f"({_describe(error)}): the server may have accepted it"
            )
            raise SendError(reason, delivered=None) from error
        if 400 <= code < 600:  # noqa: PLR2004  (SMTP reply codes are the protocol's words)
            raise _refused(connection, code, reply, "end of data", permanent=code >= 500)  # noqa: PLR2004
        if code != 250:  # noqa: PLR2004
            reason = (
                f"{_reply(code, reply)} (end of data): an answer SMTP does not define; "
                "the server may have accepted the message"
            )
            raise SendError(reason, delivered=None)
        with suppress(OSError):  # the message is accepted: a failed goodbye changes nothing
            connection.quit()
        return _reply(code, reply)

    def _open_transaction(self, connection: smtplib.SMTP, sender: str, recipient: str) -> None:
        """Greet, secure, log in, then MAIL FROM, RCPT TO and DATA up to the server's 354."""
        step = "EHLO"
        try:
            connection.ehlo_or_helo_if_needed()
            if self.starttls:
                step = "STARTTLS"
                self._upgrade(connection)
            if self.username is not None:
                step = "AUTH"
                connection.login(self.username, self.password or "")
            step = "MAIL FROM"
            code, reply = connection.mail(sender)
            if code != 250:  # noqa: PLR2004
                raise _refused(connection, code, reply, step, permanent=False)
            step = "RCPT TO"
            code, reply = connection.rcpt(recipient)
            if code not in {250, 251}:
                raise _refused(connection, code, reply, step, permanent=code >= 500)  # noqa: PLR2004
            step = "DATA"
            code, reply = connection.docmd("DATA")
            if code != 354:  # noqa: PLR2004
                raise _refused(connection, code, reply, step, permanent=code >= 500)  # noqa: PLR2004
        except smtplib.SMTPResponseException as error:  # EHLO, STARTTLS or AUTH refused
            reason = f"{_reply(error.smtp_code, error.smtp_error)} ({step})"
            raise SendError(reason, delivered=False) from error
        except OSError as error:  # the SMTPExceptions without a code, timeouts, disconnections
            reason = f"{step} at {self._where}: {_describe(error)}"
            raise SendError(reason, delivered=False) from error

    def _upgrade(self, connection: smtplib.SMTP) -> None:
        if not connection.has_extn("starttls"):
            msg = (
                f"{self._where} does not offer STARTTLS, which starttls=True requires; "
                "nothing was sent"
            )
            raise SendError(msg, delivered=False)
        connection.starttls(context=self._context())
        connection.ehlo_or_helo_if_needed()


# -- helpers ------------------------------------------------------------------------------------


def _parse_address(value: str) -> Address:
    """The single ASCII address in *value*; `ValueError` saying what is wrong otherwise."""
    probe = EmailMessage(policy=_POLICY)
    try:
        probe["To"] = value
        header = probe["To"]
        addresses = tuple(header.addresses)
        defects = tuple(header.defects)
    except Exception as error:  # the parser has bugs: IndexError, AttributeError on ". <a@b>"
        msg = f"{value!r} is not an email address ({error})"
        raise ValueError(msg) from error
    if len(addresses) != 1:
        msg = f"{value!r} holds {len(addresses)} addresses, not one"
        raise ValueError(msg)
    address: Address = addresses[0]
    if not address.addr_spec.isascii():
        msg = (
            f"{value!r} is an internationalised address, which needs SMTPUTF8; "
            "this sender writes ASCII addresses only"
        )
        raise ValueError(msg)
    if defects or not address.username or not address.domain:
        msg = f"{value!r} is not an email address"
        raise ValueError(msg)
    return address


def _configured_address(name: str, value: str) -> Address:
    character = _control_character(value)
    if character is not None:
        msg = f"{name}: contains {character}"
        raise ConfigurationError(msg)
    try:
        return _parse_address(value)
    except ValueError as error:
        msg = f"{name}: {error}"
        raise ConfigurationError(msg) from error


def _recipient_of(message: Message) -> Address:
    if message.channel is not Channel.EMAIL:
        msg = f"message {message.action_id} is for the {message.channel.value} channel, not email"
        raise SendError(msg, delivered=False, permanent=True)
    if message.to is None:
        msg = f"message {message.action_id} has no email address: the customer record has none"
        raise SendError(msg, delivered=False, permanent=True)
    character = _control_character(message.to)
    if character is not None:
        msg = f"message {message.action_id}: to: contains {character}"
        raise SendError(msg, delivered=False, permanent=True)
    try:
        return _parse_address(message.to)
    except ValueError as error:
        msg = f"message {message.action_id}: the recipient {error}"
        raise SendError(msg, delivered=False, permanent=True) from error


def _set_header(email: EmailMessage, name: str, value: str, message: Message, *, what: str) -> None:
    try:
        email[name] = value
    except ValueError as error:  # a line break the header parser found after decoding
        msg = f"message {message.action_id}: the {what} cannot be an email header: {error}"
        raise SendError(msg, delivered=False, permanent=True) from error


# -- headers safe: nothing in the data can add a header or a control character ---------------

# Which argument or message field each header is written from, to name it in a refusal.
_FIELD_OF = {
    "From": "from_address",
    "To": "to",
    "Subject": "subject",
    "Reply-To": "reply_to",
    "Date": "date",
    "Message-ID": "idempotency_key",
    "X-Dunning-Key": "idempotency_key",
    "Content-Language": "locale",
}
# The headers the MIME structure adds to the top of the email, besides the written ones.
_STRUCTURE = ("MIME-Version", "Content-Type")


def _control_character(value: str, *, body: bool = False) -> str | None:
    """The first control character of *value*, described, or None if it has none.

    A control character is one of Unicode category Cc: C0 (NUL, CR, LF...), DEL and C1. A
    body may keep tabs and line ends (LF, or CR LF); a header keeps none of them, nor the
    line and paragraph separators U+2028 and U+2029 (Python's line splitting breaks on them).
    """
    for index, character in enumerate(value):
        category = unicodedata.category(character)
        if category in {"Zl", "Zp"} and not body:
            return f"a line separator (U+{ord(character):04X})"
        if category != "Cc":
            continue
        if body and (character in "\t\n" or value.startswith("\r\n", index)):
            continue
        if body and character == "\r":
            return "a carriage return that does not end a line (U+000D)"
        return f"a control character (U+{ord(character):04X})"
    return None


def _refuse_control_characters(message: Message) -> None:
    """Refuse a message whose subject, locale or body holds what `_control_character` finds."""
    fields = (
        ("subject", message.subject, False),
        ("locale", message.locale, False),
        ("text", message.text, True),
        ("html", message.html, True),
    )
    for name, value, body in fields:
        character = None if value is None else _control_character(value, body=body)
        if character is not None:
            msg = f"message {message.action_id}: {name}: contains {character}"
            raise SendError(msg, delivered=False, permanent=True)


class _UnsafeEmailError(Exception):
    """The serialised email does not read back as written: the problem, field first."""


def _check_read_back(
    email: EmailMessage,
    message: Message,
    written: dict[str, str | Address | None],
    files: tuple[Attachment, ...],
) -> None:
    """Refuse the email unless its bytes read back as exactly what was written.

    The check does not trust the email package that wrote the bytes (some versions turn an
    encoded word holding CR LF into a real line break): it serialises the email as it will be
    sent, parses the bytes again and compares. The top holds each written header (those not
    None) once, with the value written, and the MIME headers; each part holds the headers it
    was built with, and its content type; the attachments keep their names; no header holds
    a control character once decoded; no line of the whole email holds a control byte but
    the tab, or ends otherwise than CR LF.
    """
    try:
        try:
            content = email.as_bytes()
        except (MessageError, ValueError) as error:  # newer versions refuse some headers here
            msg = f"the email cannot be written: {error}"
            raise _UnsafeEmailError(msg) from error
        parsed = BytesParser(_class=EmailMessage, policy=default_policy).parsebytes(content)
        _check_top(parsed, {name: v for name, v in written.items() if v is not None})
        _check_parts(email, parsed, files)
        _check_wire(content)
    except _UnsafeEmailError as error:
        msg = f"message {message.action_id}: {error}"
        raise SendError(msg, delivered=False, permanent=True) from error


def _check_top(parsed: EmailMessage, written: dict[str, str | Address]) -> None:
    """Each written header once, reading back as written; nothing else but the MIME ones."""
    for name, value in written.items():
        field_name = _FIELD_OF[name]
        headers = parsed.get_all(name) or []
        if len(headers) != 1:
            msg = f"{field_name}: the email would hold {len(headers)} {name} headers"
            raise _UnsafeEmailError(msg)
        read = str(headers[0])
        if isinstance(value, Address):
            same = tuple(getattr(headers[0], "addresses", ())) == (value,)
        else:
            same = read == value
        if not same:
            msg = f"{field_name}: reads back as {read!r}, not as written ({str(value)!r})"
            raise _UnsafeEmailError(msg)
    expected = Counter([*written, *_STRUCTURE])
    if not parsed.is_multipart():
        expected["Content-Transfer-Encoding"] += 1
    _check_names(Counter(parsed.keys()), expected, "the email")


def _check_parts(email: EmailMessage, parsed: EmailMessage, files: tuple[Attachment, ...]) -> None:
    """Each part as built: its headers, its content type, no control character decoded."""
    built_parts = list(email.walk())
    read_parts = list(parsed.walk())
    if len(read_parts) != len(built_parts):
        msg = f"the email reads back as {len(read_parts)} parts, not {len(built_parts)}"
        raise _UnsafeEmailError(msg)
    for number, (built, read) in enumerate(zip(built_parts, read_parts, strict=True)):
        where = f"part {number} ({built.get_content_type()})" if number else "the email"
        if number:
            _check_names(Counter(read.keys()), Counter(built.keys()), where)
        if read.get_content_type() != built.get_content_type():
            msg = f"{where} reads back as {read.get_content_type()}"
            raise _UnsafeEmailError(msg)
        for name, value in read.items():
            character = _control_character(str(value))
            if character is not None:
                msg = f"{where}: the {name} header would contain {character}"
                raise _UnsafeEmailError(msg)
    names = [part.get_filename() for part in parsed.iter_attachments()]
    intended = [file.filename for file in files]
    if names != intended:
        msg = f"attachment filename: reads back as {names!r}, not as written ({intended!r})"
        raise _UnsafeEmailError(msg)


def _check_wire(content: bytes) -> None:
    """No control byte but the tab on any line, and every line ended by CR LF."""
    fault = _WIRE_FAULT.search(content)
    if fault is not None:
        line = content.count(b"\n", 0, fault.start()) + 1
        msg = f"the email would hold the byte {fault.group()!r} on its line {line}"
        raise _UnsafeEmailError(msg)


def _check_names(read: Counter[str], expected: Counter[str], where: str) -> None:
    """Refuse unless *where* holds exactly the expected header names, each as often."""
    extra = sorted((read - expected).elements())
    if extra:
        msg = f"{where} would hold headers nobody wrote: {', '.join(extra)}"
        raise _UnsafeEmailError(msg)
    missing = sorted((expected - read).elements())
    if missing:
        msg = f"{where} would lack headers it was built with: {', '.join(missing)}"
        raise _UnsafeEmailError(msg)


def _resolve(
    message: Message, resolver: Callable[[str], Attachment] | None
) -> tuple[Attachment, ...]:
    files: list[Attachment] = []
    for reference in message.attachments:
        if resolver is None:
            msg = (
                f"message {message.action_id}: attachment {reference!r} cannot be joined: "
                "no attachment resolver is configured"
            )
            raise SendError(msg, delivered=False)
        try:
            files.append(resolver(reference))
        except Exception as error:  # any resolver failure: keep the message for a later run
            msg = (
                f"message {message.action_id}: attachment {reference!r} cannot be joined: "
                f"{_describe(error)}"
            )
            raise SendError(msg, delivered=False) from error
    return tuple(files)


def _set_boundaries(email: EmailMessage) -> None:
    # Random boundaries would make two builds of one message differ. A digest of the leaves
    # cannot occur inside them (they would have to contain their own hash), so it is as safe
    # as a random boundary, and stable.
    digest = hashlib.sha256()
    for part in email.walk():
        if not part.is_multipart():
            digest.update(part.as_bytes())
    seed = digest.hexdigest()[:32]
    containers = [part for part in email.walk() if part.is_multipart()]
    for index, part in enumerate(containers):
        part.set_boundary(f"=_dunning_{seed}_{index}")


def _dot_stuffed(content: bytes) -> bytes:
    stuffed = _LEADING_DOT.sub(b"..", content)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def _refused(
    connection: smtplib.SMTP, code: int, reply: bytes, step: str, *, permanent: bool
) -> SendError:
    with suppress(OSError):  # leave politely; the refusal is what matters
        connection.quit()
    return SendError(f"{_reply(code, reply)} ({step})", delivered=False, permanent=permanent)


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}".rstrip()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
