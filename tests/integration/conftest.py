"""Integration fixtures: a real SMTP server on 127.0.0.1, a scripted one, a closed port, a store.

- ``smtp_server``: an aiosmtpd server whose `RecordingHandler` keeps every message it accepted
  (envelope and parsed email) and can be told to misbehave: refuse RCPT for one address or
  all, refuse the data, or take its time to answer the data *after* recording the message
  (accepted, but the client gave up waiting: the "maybe sent" case).
- ``start_smtp_server(**options)``: the same with aiosmtpd options (TLS, AUTH).
- ``scripted_server(replies)``: a one-connection server answering each command from a script,
  for what aiosmtpd will not do (a refused greeting, a silent DATA command, odd codes).
- ``closed_port``: a port on which nothing listens (the server is down).
- ``tls_files``: a self-signed certificate for 127.0.0.1 (made with the ``openssl`` tool).
- ``store``: the invoice source and action log the runner tests use, one param per backend.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from dunning.adapters.memory import MemoryStore
from dunning.adapters.sqlite import SqliteStore
from dunning.core.model import Event, Invoice
from dunning.ports import ActionLog, InvoiceSource

HOST = "127.0.0.1"


# ---------------------------------------------------------------------------- aiosmtpd server


@dataclass(frozen=True)
class Received:
    """One message the server accepted: its envelope and the parsed email."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    email: EmailMessage


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that records what it accepts, and misbehaves when told to.

    Attributes:
        received: every message accepted, in order.
        greetings: the name given in each EHLO (one per session, two with STARTTLS).
        refuse_rcpt: the reply to RCPT TO per address; ``"*"`` for every address.
        refuse_data: the reply to the end of data instead of accepting the message.
        delay_after_data: seconds to wait, once the message is recorded, before answering.
    """

    received: list[Received] = field(default_factory=list)
    greetings: list[str] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    refuse_data: str | None = None
    delay_after_data: float = 0.0

    async def handle_EHLO(  # noqa: N802  (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """Count the greeting; answer as aiosmtpd would."""
        session.host_name = hostname
        self.greetings.append(hostname)
        return responses

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Refuse the address if told to, else accept it."""
        reply = self.refuse_rcpt.get(address, self.refuse_rcpt.get("*"))
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Refuse the message if told to; else record it, wait if told to, then accept it."""
        if self.refuse_data is not None:
            return self.refuse_data
        content = envelope.content
        assert isinstance(content, bytes)
        assert envelope.mail_from is not None
        email = BytesParser(_class=EmailMessage, policy=default_policy).parsebytes(content)
        self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), content, email))
        if self.delay_after_data:
            await asyncio.sleep(self.delay_after_data)
        return "250 2.0.0 OK: queued"


@dataclass(frozen=True)
class SmtpServer:
    """A running aiosmtpd server and its handler."""

    host: str
    port: int
    handler: RecordingHandler

    @property
    def received(self) -> list[Received]:
        """The messages accepted so far."""
        return self.handler.received


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def start_smtp_server() -> Iterator[Callable[..., SmtpServer]]:
    """``start_smtp_server(**aiosmtpd_options)``: a running server, stopped at teardown."""
    controllers: list[Controller] = []

    def start(**options: Any) -> SmtpServer:
        handler = RecordingHandler()
        options.setdefault("server_hostname", "smtp.test")
        controller = Controller(handler, hostname=HOST, port=_free_port(), **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(HOST, controller.port, handler)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain SMTP server (no TLS, no AUTH) that accepts everything unless told otherwise."""
    return start_smtp_server()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port that refuses connections: bound, never listening, held for the whole test."""
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        port: int = holder.getsockname()[1]
        yield port


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for 127.0.0.1: server and client contexts."""

    certificate: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """What the server presents."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate (and checks the host name)."""
        return ssl.create_default_context(cafile=self.certificate)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A certificate for IP 127.0.0.1, valid one day; skips if ``openssl`` is missing."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl tool is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    files = TlsFiles(folder / "cert.pem", folder / "key.pem")
    subprocess.run(  # noqa: S603  (fixed arguments)
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(files.key),
            "-out",
            str(files.certificate),
        ],
        check=True,
        capture_output=True,
    )
    return files


# ---------------------------------------------------------------------------- scripted server

DEFAULT_SCRIPT: Mapping[str, str | None] = {
    "greeting": "220 scripted ESMTP",
    "EHLO": "250 scripted",
    "HELO": "250 scripted",
    "MAIL": "250 2.1.0 OK",
    "RCPT": "250 2.1.5 OK",
    "DATA": "354 go ahead",
    ".": "250 2.0.0 OK: queued",
    "QUIT": "221 bye",
}
"""The replies of a well-behaved server: ``"."`` is the reply to the end of data."""
CLOSE = "<close>"
"""A reply that closes the connection instead; None answers nothing (until the client leaves)."""


@dataclass
class ScriptedServer:
    """A server for one connection, answering each command from its script.

    Attributes:
        port: where it listens.
        commands: the command lines received, in order (``"."`` for the end of data).
        data: the message content received (dot-stuffed, as on the wire).
    """

    port: int
    commands: list[str] = field(default_factory=list)
    data: bytes = b""


@pytest.fixture
def scripted_server() -> Iterator[Callable[[Mapping[str, str | None]], ScriptedServer]]:
    """``scripted_server({"MAIL": "553 no"})``: a server for one connection, in a thread."""
    threads: list[tuple[threading.Thread, socket.socket]] = []

    def start(changes: Mapping[str, str | None]) -> ScriptedServer:
        script = {**DEFAULT_SCRIPT, **changes}
        listener = socket.socket()
        listener.bind((HOST, 0))
        listener.listen(1)
        listener.settimeout(5)
        server = ScriptedServer(listener.getsockname()[1])
        thread = threading.Thread(target=_serve, args=(listener, script, server), daemon=True)
        thread.start()
        threads.append((thread, listener))
        return server

    yield start
    for thread, listener in threads:
        thread.join(timeout=10)
        listener.close()


def _serve(
    listener: socket.socket, script: Mapping[str, str | None], server: ScriptedServer
) -> None:
    try:
        connection, _ = listener.accept()
    except TimeoutError:  # the test never connected (it refused the message first)
        return
    with connection, connection.makefile("rb") as lines:
        _Conversation(connection, lines, script, server).run()


@dataclass
class _Conversation:
    """One SMTP session, answered from the script."""

    connection: socket.socket
    lines: BinaryIO
    script: Mapping[str, str | None]
    server: ScriptedServer

    def run(self) -> None:
        """Greet, then answer each command until the script or the client ends the session."""
        if not self.answer("greeting"):
            return
        while line := self.lines.readline():
            command = line.decode().strip()
            self.server.commands.append(command)
            verb = command.split(" ", 1)[0].split(":", 1)[0].upper()
            if not self.answer(verb):
                return
            if verb == "DATA" and (self.script["DATA"] or "").startswith("354"):
                while (chunk := self.lines.readline()) not in {b".\r\n", b""}:
                    self.server.data += chunk
                self.server.commands.append(".")
                if not self.answer("."):
                    return

    def answer(self, key: str) -> bool:
        """Send the scripted reply; False once the session is over."""
        reply = self.script.get(key, "502 5.5.2 command not recognised")
        if reply == CLOSE:
            return False
        if reply is None:
            self.lines.read()  # silent until the client gives up and closes
            return False
        self.connection.sendall(reply.encode() + b"\r\n")
        return not (key == "QUIT" or (key == "greeting" and not reply.startswith("220")))


# ------------------------------------------------------------------------------------- store


class Store(InvoiceSource, ActionLog, Protocol):
    """What the runner tests need of a backend: the ports, and a way to add invoices."""

    def add_invoice(self, invoice: Invoice, events: Iterable[Event] = ()) -> None:
        """Add (or replace) *invoice* with its events."""
        ...

    def add_event(self, invoice_id: str, event: Event) -> None:
        """Record *event* on an invoice."""
        ...


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | SqliteStore]:
    """An empty store that is both the invoice source and the action log, per backend."""
    if request.param == "memory":
        yield MemoryStore()
        return
    with SqliteStore(tmp_path / "dunning.db") as sqlite_store:
        yield sqlite_store
