"""Files and console: reference senders for development, demos, audits and print shops.

- `FolderSender` writes each message to ``<directory>/<idempotency key>.eml`` (email: the
  MIME message of `dunning.adapters.smtp.build_email`, which any mail client opens) or
  ``.txt`` (the other channels: a letter for a print shop, an SMS for a gateway that picks up
  files). The write is atomic, and a second write of one key replaces the file with the same
  bytes, so the folder deduplicates: a message whose fate is unknown is simply written again.
- `ConsoleSender` prints each message (to try a scenario, or in a demo). It cannot take a
  print back, so it does not deduplicate.

- `FileJournal` keeps, one file per message, a send outcome the action log could not take
  (`dunning.runner.OutcomeJournal`): the runner records it at its next run.

Both senders refuse, as every sender should, a message for another channel and a message with no
recipient for a channel that needs one (`SendError`, permanent): the scenario's fallback channel
then takes over. Internal channels (staff alerts, handovers) have no recipient and need none.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from dunning.adapters.smtp import Attachment, _configured_address, build_email
from dunning.core.action_log import Receipt
from dunning.core.model import Channel
from dunning.core.render import Message
from dunning.ports import SendContext, SendError

__all__ = ["ConsoleSender", "FileJournal", "FolderSender"]

# What the recipient field holds, per channel that needs one (see `Message.to`).
_RECIPIENT = {
    Channel.EMAIL: "email address",
    Channel.SMS: "phone number",
    Channel.PHONE_TASK: "phone number",
    Channel.LETTER: "postal address",
    Channel.REGISTERED_LETTER: "postal address",
}
# A key becomes a file name: no separator, no leading dot, nothing a shell or Windows minds.
_FILE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_RULE = "=" * 72


@dataclass
class FolderSender:
    """Writes each message to a file named after its key: implements `dunning.ports.Sender`.

    Email goes to ``<key>.eml`` (the MIME message, without a Date header so that every write
    of a key gives the same bytes), every other channel to ``<key>.txt``: To, Subject, the
    attachments if any, a blank line, then the text (the SMS text for SMS). Files are written
    to a temporary file in the same directory, flushed to disk, then renamed over the target:
    a reader never sees half a message. The directory is created if missing.

    Attributes:
        channel: the channel it serves.
        directory: where the files go.
        from_address: the sender written in emails; its domain ends the Message-IDs.
        attachments: resolves the emails' attachment references (see `build_email`).
        deduplicates: True (class attribute): one key, one file.

    Raises:
        ConfigurationError: if *channel* is email and *from_address* is not one address.

    Examples:
        >>> import tempfile
        >>> message = Message(action_id="msg_1", channel="letter", template="firm",
        ...     locale="fr", subject="Relance", text="Madame, Monsieur,",
        ...     to="Boulangerie Martin, 3 rue Cler, 75007 Paris")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     sender = FolderSender(Channel.LETTER, Path(folder))
        ...     receipt = sender.send(message, idempotency_key="msg_1")
        ...     print(Path(receipt.provider_id).name)
        ...     print(Path(receipt.provider_id).read_text(encoding="utf-8"))
        msg_1.txt
        To: Boulangerie Martin, 3 rue Cler, 75007 Paris
        Subject: Relance
        <BLANKLINE>
        Madame, Monsieur,
        <BLANKLINE>
    """

    channel: Channel
    directory: Path
    from_address: str = "dunning@localhost"
    attachments: Callable[[str], Attachment] | None = None

    deduplicates = True

    def __post_init__(self) -> None:
        """Accept a string directory; check the sender address of emails."""
        self.directory = Path(self.directory)
        if self.channel is Channel.EMAIL:
            _configured_address("from_address", self.from_address)

    def send(
        self,
        message: Message,
        *,
        idempotency_key: str,
        context: SendContext | None = None,  # noqa: ARG002  (the message says it all)
    ) -> Receipt:
        """Write *message* to ``<directory>/<idempotency_key>.eml`` (or ``.txt``).

        Args:
            message: the rendered message, for this sender's channel.
            idempotency_key: its key, which names the file.
            context: not used: the message says everything a file needs.

        Returns:
            A `Receipt` whose ``provider_id`` is the file's path.

        Raises:
            SendError: ``permanent`` if the message is for another channel, has no recipient
                where one is needed, cannot be an email (see `build_email`) or its key cannot
                be a file name; not permanent (``delivered=False``) if an attachment cannot
                be resolved or the file cannot be written.
        """
        _check(message, self.channel)
        if not _FILE_STEM.fullmatch(idempotency_key):
            msg = (
                f"message {message.action_id}: the idempotency key {idempotency_key!r} cannot "
                "be a file name (letters, digits, '.', '_', '-'; 200 at most)"
            )
            raise SendError(msg, delivered=False, permanent=True)
        if self.channel is Channel.EMAIL:
            email = build_email(
                message,
                from_address=self.from_address,
                idempotency_key=idempotency_key,
                attachments=self.attachments,
            )
            path, content = self.directory / f"{idempotency_key}.eml", email.as_bytes()
        else:
            path = self.directory / f"{idempotency_key}.txt"
            content = _as_text(message).encode("utf-8")
        try:
            _write_atomically(path, content)
        except OSError as error:
            msg = f"cannot write {path}: {type(error).__name__}: {error}"
            raise SendError(msg, delivered=False) from error
        return Receipt(provider_id=str(path), detail=f"{len(content)} bytes written")


@dataclass
class ConsoleSender:
    """Prints each message, readably: implements `dunning.ports.Sender`.

    Each message is a block: a rule, the key, the channel, To, Subject, a blank line, then the
    text (the SMS text for SMS).

    Attributes:
        channel: the channel it serves.
        stream: where to print; `sys.stdout` at the time of each call when None.
        deduplicates: False (class attribute): a print cannot be taken back.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> message = Message(action_id="msg_1", channel="sms", template="friendly",
        ...     locale="fr", subject="Relance", text="Bonjour,", sms="Facture 2026-0042 echue.",
        ...     to="+33612345678")
        >>> ConsoleSender(Channel.SMS, out).send(message, idempotency_key="msg_1").provider_id
        'console:msg_1'
        >>> print(out.getvalue())
        ========================================================================
        key:     msg_1
        channel: sms
        To:      +33612345678
        Subject: Relance
        <BLANKLINE>
        Facture 2026-0042 echue.
        <BLANKLINE>
    """

    channel: Channel
    stream: TextIO | None = None

    deduplicates = False

    def send(
        self,
        message: Message,
        *,
        idempotency_key: str,
        context: SendContext | None = None,  # noqa: ARG002  (the message says it all)
    ) -> Receipt:
        """Print *message* to the stream.

        Args:
            message: the rendered message, for this sender's channel.
            idempotency_key: its key, printed with it.
            context: not used: the message says everything a console needs.

        Returns:
            A `Receipt` whose ``provider_id`` is ``console:<idempotency_key>``.

        Raises:
            SendError: ``permanent`` if the message is for another channel or has no recipient
                where one is needed.
        """
        _check(message, self.channel)
        stream = self.stream if self.stream is not None else sys.stdout
        lines = [
            _RULE,
            f"key:     {idempotency_key}",
            f"channel: {message.channel.value}",
            f"To:      {message.to or '-'}",
            f"Subject: {message.subject}",
            "",
            _body(message),
        ]
        stream.write("\n".join(lines))  # the body ends with its own line break
        stream.flush()
        return Receipt(provider_id=f"console:{idempotency_key}")


@dataclass(frozen=True)
class FileJournal:
    """Send outcomes the action log could not record, one JSON file per message, fsynced.

    Give it to `dunning.runner.Dunner` as ``journal=``: when the provider accepted a message and
    the log fails to record it even after retries, the runner writes the receipt here, and the
    next run records it in the log (if the entry is still as it was) and drops the file. Put
    the folder on another disk than the database if a full disk is the failure you fear.

    Attributes:
        directory: where the files go (created when needed).

    Examples:
        >>> import tempfile
        >>> from datetime import datetime, timezone
        >>> folder = tempfile.TemporaryDirectory()
        >>> journal = FileJournal(Path(folder.name))
        >>> at = datetime(2026, 5, 5, 8, 30, tzinfo=timezone.utc)
        >>> journal.keep("msg_1", 1, Receipt(provider_id="<msg_1@x>"), at)
        >>> [(key, attempts, receipt.provider_id) for key, attempts, receipt, _ in journal.kept()]
        [('msg_1', 1, '<msg_1@x>')]
        >>> journal.drop("msg_1")
        >>> journal.kept()
        []
        >>> folder.cleanup()
    """

    directory: Path

    def keep(self, key: str, attempts: int, receipt: Receipt, at: datetime) -> None:
        """Write the outcome of attempt *attempts* of *key*, durably.

        Raises:
            ValueError: if *key* cannot name a file.
        """
        if not _FILE_STEM.fullmatch(key):
            msg = f"journal: the key {key!r} cannot name a file"
            raise ValueError(msg)
        record = {
            "key": key,
            "attempts": attempts,
            "provider_id": receipt.provider_id,
            "detail": receipt.detail,
            "at": at.isoformat(),
        }
        _write_atomically(self.directory / f"{key}.json", json.dumps(record).encode())

    def kept(self) -> list[tuple[str, int, Receipt, datetime]]:
        """Every outcome kept, oldest key first."""
        if not self.directory.exists():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            receipt = Receipt(provider_id=record["provider_id"], detail=record["detail"])
            at = datetime.fromisoformat(record["at"])
            out.append((record["key"], int(record["attempts"]), receipt, at))
        return out

    def drop(self, key: str) -> None:
        """Forget *key*'s outcome."""
        with suppress(FileNotFoundError):
            (self.directory / f"{key}.json").unlink()


def _check(message: Message, channel: Channel) -> None:
    if message.channel is not channel:
        msg = (
            f"message {message.action_id} is for the {message.channel.value} channel; "
            f"this sender serves {channel.value}"
        )
        raise SendError(msg, delivered=False, permanent=True)
    what = _RECIPIENT.get(channel)
    if what is not None and message.to is None:
        msg = f"message {message.action_id} has no {what}: the customer record has none"
        raise SendError(msg, delivered=False, permanent=True)


def _body(message: Message) -> str:
    text = message.sms if message.channel is Channel.SMS and message.sms else message.text
    return text if text.endswith("\n") else text + "\n"


def _as_text(message: Message) -> str:
    lines = [f"To: {message.to or '-'}", f"Subject: {message.subject}"]
    if message.attachments:
        lines.append(f"Attachments: {', '.join(message.attachments)}")
    return "\n".join([*lines, "", _body(message)])


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # In the same directory, so that the rename is atomic; hidden, so that no reader picks it up.
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)  # os.replace: atomic on POSIX and Windows
    except BaseException:
        with suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the directory is: a message recorded as sent must still
    # be there after a power cut.
    if os.name != "posix":  # pragma: no cover  (Windows cannot open a directory)
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
