"""A real SMTP server in the test process (aiosmtpd on 127.0.0.1, a free port), and helpers to read what it got.

`SmtpServer.refuse` makes it answer every message with a temporary failure (451), and `stop()` takes
it away altogether (connections refused), so tests can prove that the outbox keeps and retries.
"""
from __future__ import annotations

import email
import email.policy
import re
import socket
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the server received it: the SMTP envelope and the parsed message."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes = b""

    def raw_header(self, name: str) -> str:
        """Return a header exactly as it was sent (unfolded), or "" when absent."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace").replace("\r\n ", " ")
        for line in head.split("\r\n"):
            if line.lower().startswith(name.lower() + ":"):
                return line.split(":", 1)[1].strip()
        return ""

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    def links(self) -> list[str]:
        """Return the http(s) links in the plain-text part, in order."""
        return re.findall(r"https?://[^\s<>\"]+", self.text)


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.server.refusing:
            return "451 4.3.0 Try again later"
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.port = free_port()
        self.received: list[Received] = []
        self.refusing = False
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.running = False

    def start(self) -> None:
        self.controller.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False

    def to(self, address: str) -> list[Received]:
        """Return the messages whose envelope names `address`."""
        return [r for r in self.received if address in r.recipients]
