"""FolderSender and ConsoleSender: what they write, idempotent rewrites, atomicity, refusals."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from dunning.adapters.files import ConsoleSender, FolderSender
from dunning.adapters.smtp import Attachment
from dunning.core.model import Channel
from dunning.core.render import Message
from dunning.exceptions import ConfigurationError
from dunning.ports import Sender, SendError

KEY = "msg_5aeaf9071742c0f8a04c80ac"
PDF = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF"
ADDRESSES = {
    Channel.EMAIL: "compta@boulangerie-martin.example",
    Channel.SMS: "+33612345678",
    Channel.LETTER: "Boulangerie Martin, 3 rue Cler, 75007 Paris",
}


def message(channel: Channel = Channel.EMAIL, **changes: Any) -> Message:
    """A reminder for *channel*, addressed as the customer record would address it."""
    fields: dict[str, Any] = {
        "action_id": KEY,
        "channel": channel,
        "template": "friendly",
        "locale": "fr",
        "subject": "Facture 2026-0042 échue",
        "text": "Madame, Monsieur,\n\nLa facture 2026-0042 est échue.",
        "to": ADDRESSES.get(channel),
    }
    if channel is Channel.SMS:
        fields["sms"] = "Facture 2026-0042 echue."
    fields.update(changes)
    return Message.model_validate(fields)


def invoice_pdf(reference: str) -> Attachment:
    """The host's resolver for the one document these tests know."""
    assert reference == "pdf:2026-0042"
    return Attachment("facture-2026-0042.pdf", PDF)


def parse(path: Path) -> EmailMessage:
    """The .eml file, parsed back."""
    return BytesParser(_class=EmailMessage, policy=default_policy).parsebytes(path.read_bytes())


def refusal(sender: Sender, msg: Message, key: str = KEY) -> SendError:
    """The SendError *sender* raises for *msg*."""
    with pytest.raises(SendError) as caught:
        sender.send(msg, idempotency_key=key)
    return caught.value


# ------------------------------------------------------------------------------ FolderSender


def test_email_is_written_as_an_eml_file(tmp_path: Path) -> None:
    """<key>.eml holds the MIME message: headers, text and the attachment, parsed back."""
    sender = FolderSender(
        Channel.EMAIL,
        tmp_path,
        from_address="compta@atelier-durand.example",
        attachments=invoice_pdf,
    )
    receipt = sender.send(message(attachments=("pdf:2026-0042",)), idempotency_key=KEY)
    path = tmp_path / f"{KEY}.eml"
    assert receipt.provider_id == str(path)
    email = parse(path)
    assert email["From"] == "compta@atelier-durand.example"
    assert email["To"] == "compta@boulangerie-martin.example"
    assert email["Subject"] == "Facture 2026-0042 échue"
    assert email["Message-ID"] == f"<{KEY}@atelier-durand.example>"
    assert email["X-Dunning-Key"] == KEY
    assert email["Date"] is None  # so that every write of a key gives the same bytes
    [text] = [p for p in email.walk() if p.get_content_type() == "text/plain"]
    assert isinstance(text, EmailMessage)
    assert text.get_content() == "Madame, Monsieur,\r\n\r\nLa facture 2026-0042 est échue.\r\n"
    [attachment] = list(email.iter_attachments())
    assert attachment.get_filename() == "facture-2026-0042.pdf"
    assert attachment.get_content() == PDF


def test_default_sender_address_is_local(tmp_path: Path) -> None:
    """Without a from_address, emails come from dunning@localhost."""
    FolderSender(Channel.EMAIL, tmp_path).send(message(), idempotency_key=KEY)
    email = parse(tmp_path / f"{KEY}.eml")
    assert email["From"] == "dunning@localhost"
    assert email["Message-ID"] == f"<{KEY}@localhost>"


def test_writing_a_key_again_replaces_the_file_with_the_same_bytes(tmp_path: Path) -> None:
    """A second send of one key: one file, byte for byte the first (the folder deduplicates)."""
    sender = FolderSender(Channel.EMAIL, tmp_path, attachments=invoice_pdf)
    msg = message(html="<p>Madame, Monsieur,</p>", attachments=("pdf:2026-0042",))
    sender.send(msg, idempotency_key=KEY)
    first = (tmp_path / f"{KEY}.eml").read_bytes()
    sender.send(msg, idempotency_key=KEY)
    assert (tmp_path / f"{KEY}.eml").read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == [f"{KEY}.eml"]
    assert sender.deduplicates is True


def test_the_directory_is_created_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    """A missing folder is made; after the write only the message is there."""
    folder = tmp_path / "outbox" / "letters"
    FolderSender(Channel.LETTER, folder).send(message(Channel.LETTER), idempotency_key=KEY)
    assert [p.name for p in folder.iterdir()] == [f"{KEY}.txt"]


def test_a_failed_write_leaves_nothing_and_can_be_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rename fails: not delivered, not permanent, no file and no temporary file left."""

    def full_disk(self: Path, target: Path) -> Path:
        msg = "No space left on device"
        raise OSError(28, msg)

    monkeypatch.setattr(Path, "replace", full_disk)
    error = refusal(FolderSender(Channel.LETTER, tmp_path), message(Channel.LETTER))
    assert (error.delivered, error.permanent) == (False, False)
    assert error.reason == (
        f"cannot write {tmp_path / (KEY + '.txt')}: OSError: [Errno 28] No space left on device"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_letter_is_a_readable_text_file(tmp_path: Path) -> None:
    """To, Subject, the attachments, a blank line, then the text."""
    msg = message(Channel.LETTER, attachments=("pdf:2026-0042",))
    receipt = FolderSender(Channel.LETTER, tmp_path).send(msg, idempotency_key=KEY)
    assert receipt.provider_id == str(tmp_path / f"{KEY}.txt")
    assert Path(receipt.provider_id).read_text(encoding="utf-8") == (
        "To: Boulangerie Martin, 3 rue Cler, 75007 Paris\n"
        "Subject: Facture 2026-0042 échue\n"
        "Attachments: pdf:2026-0042\n"
        "\n"
        "Madame, Monsieur,\n\nLa facture 2026-0042 est échue.\n"
    )


def test_an_sms_file_holds_the_sms_text(tmp_path: Path) -> None:
    """For SMS the body is the GSM-7 SMS text, not the email text."""
    FolderSender(Channel.SMS, tmp_path).send(message(Channel.SMS), idempotency_key=KEY)
    assert (tmp_path / f"{KEY}.txt").read_text(encoding="utf-8") == (
        "To: +33612345678\nSubject: Facture 2026-0042 échue\n\nFacture 2026-0042 echue.\n"
    )


def test_an_internal_alert_needs_no_recipient(tmp_path: Path) -> None:
    """Internal channels have no recipient: written with To: -."""
    FolderSender(Channel.INTERNAL_ALERT, tmp_path).send(
        message(Channel.INTERNAL_ALERT, text="Appeler le client.\n"), idempotency_key=KEY
    )
    assert (tmp_path / f"{KEY}.txt").read_text(encoding="utf-8") == (
        "To: -\nSubject: Facture 2026-0042 échue\n\nAppeler le client.\n"
    )


@pytest.mark.parametrize(
    ("channel", "msg", "reason"),
    [
        (
            Channel.EMAIL,
            message(Channel.SMS),
            f"message {KEY} is for the sms channel; this sender serves email",
        ),
        (
            Channel.SMS,
            message(Channel.SMS, to=None),
            f"message {KEY} has no phone number: the customer record has none",
        ),
        (
            Channel.REGISTERED_LETTER,
            message(Channel.REGISTERED_LETTER, to=None),
            f"message {KEY} has no postal address: the customer record has none",
        ),
        (
            Channel.EMAIL,
            message(to=None),
            f"message {KEY} has no email address: the customer record has none",
        ),
    ],
)
def test_folder_refuses_what_cannot_be_sent(
    tmp_path: Path, channel: Channel, msg: Message, reason: str
) -> None:
    """Another channel's message, or no recipient: permanent, nothing written."""
    error = refusal(FolderSender(channel, tmp_path), msg)
    assert (error.delivered, error.permanent) == (False, True)
    assert error.reason == reason
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", ["../escape", ".hidden", "a/b", "", "x" * 201])
def test_a_key_that_is_not_a_file_name_is_refused(tmp_path: Path, key: str) -> None:
    """A key with a separator, a leading dot, or too long: permanent, nothing written."""
    error = refusal(FolderSender(Channel.LETTER, tmp_path / "out"), message(Channel.LETTER), key)
    assert (error.delivered, error.permanent) == (False, True)
    assert error.reason.startswith(f"message {KEY}: the idempotency key {key!r} cannot be")
    assert list(tmp_path.iterdir()) == []


def test_an_email_attachment_without_resolver_is_kept_for_later(tmp_path: Path) -> None:
    """Never an email without its invoice: not permanent, nothing written."""
    error = refusal(FolderSender(Channel.EMAIL, tmp_path), message(attachments=("pdf:2026-0042",)))
    assert (error.delivered, error.permanent) == (False, False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        (
            "Facture 2026-=?utf-8?q?=0D=0ABcc:_x@y?= : petit rappel",
            "subject: reads back as ",
        ),
        ("Facture 2026-\x000042", "subject: contains a control character (U+0000)"),
    ],
)
def test_an_email_whose_headers_would_not_read_back_is_refused(
    tmp_path: Path, subject: str, reason: str
) -> None:
    """The .eml goes through build_email's check: an injected Bcc or a NUL, nothing written."""
    error = refusal(FolderSender(Channel.EMAIL, tmp_path), message(subject=subject))
    assert (error.delivered, error.permanent) == (False, True)
    assert error.reason.startswith(f"message {KEY}: {reason}")
    assert list(tmp_path.iterdir()) == []


def test_a_bad_email_sender_address_is_refused_at_construction(tmp_path: Path) -> None:
    """from_address matters for email only; a bad one fails when the sender is made."""
    with pytest.raises(ConfigurationError, match=r"^from_address: 'dunning' is not an email"):
        FolderSender(Channel.EMAIL, tmp_path, from_address="dunning")
    FolderSender(Channel.LETTER, tmp_path, from_address="dunning")


def test_folder_sender_is_a_sender() -> None:
    """It implements the port."""
    assert isinstance(FolderSender(Channel.EMAIL, Path("out")), Sender)


# ----------------------------------------------------------------------------- ConsoleSender


def test_console_prints_a_readable_block() -> None:
    """A rule, the key, the channel, To, Subject, a blank line, then the text."""
    out = io.StringIO()
    sender = ConsoleSender(Channel.EMAIL, out)
    receipt = sender.send(message(), idempotency_key=KEY)
    assert receipt.provider_id == f"console:{KEY}"
    assert out.getvalue() == (
        "=" * 72 + "\n"
        f"key:     {KEY}\n"
        "channel: email\n"
        "To:      compta@boulangerie-martin.example\n"
        "Subject: Facture 2026-0042 échue\n"
        "\n"
        "Madame, Monsieur,\n\nLa facture 2026-0042 est échue.\n"
    )
    assert sender.deduplicates is False
    assert isinstance(sender, Sender)


def test_console_writes_to_stdout_at_call_time(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a stream, the block goes to sys.stdout as it is when send is called."""
    ConsoleSender(Channel.SMS).send(message(Channel.SMS), idempotency_key=KEY)
    printed = capsys.readouterr().out
    assert printed.startswith("=" * 72 + "\n")
    assert printed.endswith("\nFacture 2026-0042 echue.\n")


def test_console_refuses_a_message_without_recipient() -> None:
    """Like any sender: no address, permanent refusal, nothing printed."""
    out = io.StringIO()
    error = refusal(ConsoleSender(Channel.EMAIL, out), message(to=None))
    assert (error.delivered, error.permanent) == (False, True)
    assert out.getvalue() == ""
