"""Delivery against a real SMTP server on loopback, failure classification, and the file backend."""

from __future__ import annotations

import dataclasses
import hashlib
import socket
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from cohort.config import Settings
from cohort.mail import (
    DeliveryError,
    EmailRenderer,
    FileSender,
    LearnerDigest,
    PermanentDeliveryError,
    SmtpSecurity,
    SmtpSender,
    TemporaryDeliveryError,
    build_message,
    build_sender,
)
from tests.emails.conftest import PUBLIC_BASE_URL
from tests.support.smtp import SmtpServer, TestCertificate, free_port

UNSUBSCRIBE = f"{PUBLIC_BASE_URL}/unsubscribe/v1.test-token"
MakeMessage = Callable[..., EmailMessage]


@pytest.fixture
def make_message(renderer: EmailRenderer) -> MakeMessage:
    rendered = renderer.render(LearnerDigest.demo(), unsubscribe_url=UNSUBSCRIBE)

    def make(key: str = "learner_digest:lena:2025-W11", to: str = "lena@example.org") -> EmailMessage:
        return build_message(
            rendered,
            from_address="Cohort <no-reply@cohort.example.org>",
            to_email=to,
            to_name="Lena Schmidt",
            idempotency_key=key,
            unsubscribe_url=UNSUBSCRIBE,
        )

    return make


def sender_for(
    server: SmtpServer,
    security: SmtpSecurity = SmtpSecurity.NONE,
    *,
    password: str | None = None,
    trust: TestCertificate | None = None,
) -> SmtpSender:
    """A sender for ``server``; with ``password`` it logs in as ``mailer``; ``trust`` pins the test CA."""
    return SmtpSender(
        host=server.host,
        port=server.port,
        security=security,
        username="mailer" if password else None,
        password=password,
        tls_context=trust.client_context() if trust else None,
    )


async def test_smtp_delivers_one_message_with_headers_and_both_parts(
    smtp_server: SmtpServer, make_message: MakeMessage
) -> None:
    message = make_message()
    await sender_for(smtp_server).send(message)

    [received] = smtp_server.received
    assert received.mail_from == "no-reply@cohort.example.org"
    assert received.rcpt_tos == ["lena@example.org"]
    assert received.tls is False
    got = received.message
    for header in ("Message-ID", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post", "Date"):
        assert str(got[header]) == str(message[header]), header
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert got["To"].addresses[0].display_name == "Lena Schmidt"
    text, html = got.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert "NEXT STEPS FROM MAYA CHEN" in text.get_content()
    assert f'href="{PUBLIC_BASE_URL}/cohorts/spring/lessons/5"' in html.get_content()


@pytest.mark.parametrize(
    ("rcpt_reply", "data_reply", "error", "code"),
    [
        ("550 5.1.1 No such user here", None, PermanentDeliveryError, 550),
        ("553 5.1.3 Bad recipient address syntax", None, PermanentDeliveryError, 553),
        (None, "554 5.7.1 Message rejected as spam", PermanentDeliveryError, 554),
        ("451 4.3.0 Try again later", None, TemporaryDeliveryError, 451),
        ("452 4.2.2 Mailbox full", None, TemporaryDeliveryError, 452),
        (None, "451 4.3.0 Local error in processing", TemporaryDeliveryError, 451),
    ],
)
async def test_server_refusals_are_classified_by_reply_code(
    smtp_server: SmtpServer,
    make_message: MakeMessage,
    rcpt_reply: str | None,
    data_reply: str | None,
    error: type[DeliveryError],
    code: int,
) -> None:
    smtp_server.rcpt_reply, smtp_server.data_reply = rcpt_reply, data_reply
    with pytest.raises(error) as caught:
        await sender_for(smtp_server).send(make_message())
    assert caught.value.code == code
    assert smtp_server.received == []


async def test_nothing_listening_is_temporary(make_message: MakeMessage) -> None:
    sender = SmtpSender(host="127.0.0.1", port=free_port(), security=SmtpSecurity.NONE, timeout_seconds=5)
    with pytest.raises(TemporaryDeliveryError) as caught:
        await sender.send(make_message())
    assert caught.value.code is None


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections (the kernel's backlog) but never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield int(listener.getsockname()[1])


async def test_a_server_that_never_answers_times_out_as_temporary(
    silent_server: int, make_message: MakeMessage
) -> None:
    sender = SmtpSender(host="127.0.0.1", port=silent_server, security=SmtpSecurity.NONE, timeout_seconds=0.5)
    with pytest.raises(TemporaryDeliveryError, match="SMTP delivery failed"):
        await sender.send(make_message())


async def test_starttls_and_login(certificate: TestCertificate, make_message: MakeMessage) -> None:
    with SmtpServer(certificate=certificate, require_starttls=True, logins={"mailer": "s3cret"}) as server:
        await sender_for(server, SmtpSecurity.STARTTLS, password="s3cret", trust=certificate).send(
            make_message()
        )
        [received] = server.received
        assert received.tls is True
        assert received.login == "mailer"

        wrong = sender_for(server, SmtpSecurity.STARTTLS, password="wrong", trust=certificate)
        with pytest.raises(TemporaryDeliveryError) as caught:  # our set-up is wrong, not the message
            await wrong.send(make_message())
        assert caught.value.code == 535

        with pytest.raises(TemporaryDeliveryError) as caught:
            await sender_for(server, SmtpSecurity.NONE).send(make_message())
        assert caught.value.code == 530  # "must issue STARTTLS first": set-up again, kept for retry

        untrusting = sender_for(server, SmtpSecurity.STARTTLS, password="s3cret")  # system CAs only
        with pytest.raises(TemporaryDeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusting.send(make_message())
        assert len(server.received) == 1


async def test_implicit_tls(certificate: TestCertificate, make_message: MakeMessage) -> None:
    with SmtpServer(certificate=certificate, implicit_tls=True) as server:
        await sender_for(server, SmtpSecurity.TLS, trust=certificate).send(make_message())
        [received] = server.received
        assert received.tls is True


async def test_security_none_never_upgrades_even_when_offered(
    certificate: TestCertificate, make_message: MakeMessage
) -> None:
    with SmtpServer(certificate=certificate) as server:
        await sender_for(server).send(make_message())
        assert [r.tls for r in server.received] == [False]


async def test_file_sender_writes_one_parseable_eml_per_message_id(
    tmp_path: Path, make_message: MakeMessage
) -> None:
    folder = tmp_path / "var" / "mail"  # created on first send
    sender = FileSender(folder)
    first = make_message("key-1")
    await sender.send(first)
    await sender.send(make_message("key-1"))  # a retry of the same notification
    await sender.send(make_message("key-2", to="kofi@example.org"))

    files = sorted(folder.iterdir())
    assert len(files) == 2, "same Message-ID, same file; no temporary files left behind"
    expected = folder / f"{hashlib.sha256(str(first['Message-ID']).encode()).hexdigest()}.eml"
    assert expected in files
    parsed = BytesParser(policy=policy.default).parsebytes(expected.read_bytes())
    assert parsed["Message-ID"] == first["Message-ID"]
    assert parsed["To"].addresses[0].addr_spec == "lena@example.org"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


async def test_file_sender_failure_is_temporary(tmp_path: Path, make_message: MakeMessage) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(TemporaryDeliveryError, match="could not write"):
        await FileSender(blocked).send(make_message())


def test_build_sender_defaults_to_files_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sender = build_sender(Settings())
    assert isinstance(sender, FileSender)
    assert sender.directory == tmp_path / "var" / "mail"


async def test_build_sender_smtp_from_environment(
    smtp_server: SmtpServer, make_message: MakeMessage, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "EMAIL_BACKEND": "SMTP",
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT_SECONDS": "2.5",
        "EMAIL_FROM": "Cohort Staging <staging@cohort.example.org>",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert settings.email_from == "Cohort Staging <staging@cohort.example.org>"
    sender = build_sender(settings)
    assert isinstance(sender, SmtpSender)
    assert (sender.security, sender.timeout_seconds, sender.username) == (SmtpSecurity.NONE, 2.5, None)
    await sender.send(make_message())
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"email_backend": "sendmail"}, "EMAIL_BACKEND"),
        ({"email_backend": "smtp", "smtp_security": "ssl"}, "SMTP_SECURITY"),
    ],
)
def test_build_sender_refuses_unknown_choices(changes: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        build_sender(dataclasses.replace(Settings(), **changes))
