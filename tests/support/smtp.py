"""A real SMTP server on loopback (aiosmtpd in its own thread) that records what it receives.

Delivery code is tested against the protocol, not a mock: the server speaks SMTP on 127.0.0.1, can
offer STARTTLS or implicit TLS with a throw-away certificate, can require a login, and can be told to
refuse recipients or data with any reply (``550 …`` for a permanent failure, ``451 …`` for a
temporary one).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class TestCertificate:
    """A self-signed certificate for 127.0.0.1 and a client context that trusts only it."""

    __test__ = False  # not a pytest test class

    cert_path: Path
    key_path: Path

    @classmethod
    def create(cls, folder: Path) -> TestCertificate:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cls(cert_path=cert_path, key_path=key_path)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_path))


@dataclass(frozen=True)
class Received:
    """One accepted transaction: the envelope, the parsed message, and how the client connected."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    tls: bool  # STARTTLS or implicit TLS
    login: str | None


class SmtpServer:
    """Start with :meth:`start` (or ``with``), read :attr:`messages`, stop with :meth:`stop`.

    ``rcpt_reply`` / ``data_reply``: when set, the server answers every RCPT TO / DATA with that
    reply instead of accepting it. ``data_delay_seconds`` slows every accepted message down, so a
    test can stop a sender while messages are in flight.
    """

    def __init__(
        self,
        *,
        certificate: TestCertificate | None = None,
        implicit_tls: bool = False,
        require_starttls: bool = False,
        logins: dict[str, str] | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.received: list[Received] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.data_delay_seconds = 0.0
        self._logins = logins
        smtp_options: dict[str, Any] = {}
        if certificate is not None and not implicit_tls:
            smtp_options["tls_context"] = certificate.server_context()
            smtp_options["require_starttls"] = require_starttls
        if logins is not None:
            smtp_options.update(authenticator=self._authenticate, auth_required=True)
        self._controller = Controller(
            self,
            hostname=self.host,
            port=self.port,
            ssl_context=certificate.server_context() if certificate and implicit_tls else None,
            **smtp_options,
        )

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def reset(self) -> None:
        self.received.clear()
        self.rcpt_reply = self.data_reply = None
        self.data_delay_seconds = 0.0

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # aiosmtpd handler hooks

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and self._logins is not None:
            login, password = data.login.decode(), data.password.decode()
            if self._logins.get(login) == password:
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd looks up
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd looks up
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply is not None:
            return self.data_reply
        if self.data_delay_seconds:
            await asyncio.sleep(self.data_delay_seconds)
        raw = envelope.original_content or b""
        transport = server.transport
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        self.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                message=message,
                raw=raw,
                tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
                login=session.auth_data if isinstance(session.auth_data, str) else None,
            )
        )
        return "250 Message accepted for delivery"
