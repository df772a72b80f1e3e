"""Built messages: text then HTML alternatives, a stable Message-ID, RFC 8058 unsubscribe headers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import pytest

from cohort.mail import EmailRenderer, RenderedEmail, SubmissionReminder, build_message, message_id_for

UNSUBSCRIBE = "https://cohort.example.org/unsubscribe/v1.abc.def"
FROM = "Cohort <no-reply@mail.cohort.example.org>"


@pytest.fixture(scope="module")
def rendered(renderer: EmailRenderer) -> RenderedEmail:
    return renderer.render(SubmissionReminder.demo(), unsubscribe_url=UNSUBSCRIBE)


def test_message_has_both_parts_text_first_and_survives_the_wire(rendered: RenderedEmail) -> None:
    message = build_message(
        rendered,
        from_address=FROM,
        to_email="lena@example.org",
        to_name="Lena Schmidt",
        idempotency_key="submission_reminder:lena:url-shortener:24h",
        unsubscribe_url=UNSUBSCRIBE,
        sent_at=datetime(2025, 3, 13, 16, 0, tzinfo=UTC),
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes(policy=policy.SMTP))

    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().replace("\r\n", "\n") == rendered.text
    assert parts[1].get_content().replace("\r\n", "\n").rstrip("\n") == rendered.html.rstrip("\n")
    assert parts[0].get_content_charset() == "utf-8"  # "Foundations — Spring" is not ASCII
    assert str(parsed["Subject"]) == rendered.subject
    assert parsed["To"].addresses[0].display_name == "Lena Schmidt"
    assert parsed["To"].addresses[0].addr_spec == "lena@example.org"
    assert parsed["From"].addresses[0].addr_spec == "no-reply@mail.cohort.example.org"
    assert parsedate_to_datetime(str(parsed["Date"])) == datetime(2025, 3, 13, 16, 0, tzinfo=UTC)
    assert parsed["Auto-Submitted"] == "auto-generated"


def test_message_id_is_stable_per_idempotency_key_and_names_the_sender_domain(
    rendered: RenderedEmail,
) -> None:
    def message_id(key: str) -> str:
        message = build_message(
            rendered, from_address=FROM, to_email="lena@example.org", idempotency_key=key,
            unsubscribe_url=UNSUBSCRIBE,
        )  # fmt: skip
        return str(message["Message-ID"])

    first = message_id("digest:lena:2025-W11")
    assert first == message_id("digest:lena:2025-W11")
    assert first != message_id("digest:lena:2025-W12")
    digest = hashlib.sha256(b"digest:lena:2025-W11").hexdigest()
    assert first == f"<{digest}@mail.cohort.example.org>"
    assert first == message_id_for("digest:lena:2025-W11", "mail.cohort.example.org")
    assert "lena" not in first


def test_one_click_unsubscribe_headers(rendered: RenderedEmail) -> None:
    web_only = build_message(
        rendered, from_address=FROM, to_email="lena@example.org", idempotency_key="k",
        unsubscribe_url=UNSUBSCRIBE,
    )  # fmt: skip
    assert web_only["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert web_only["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    with_mailto = build_message(
        rendered, from_address=FROM, to_email="lena@example.org", idempotency_key="k",
        unsubscribe_url=UNSUBSCRIBE, unsubscribe_mailto="mailto:unsubscribe@cohort.example.org?subject=stop",
    )  # fmt: skip
    wire = BytesParser(policy=policy.default).parsebytes(with_mailto.as_bytes(policy=policy.SMTP))
    assert " ".join(str(wire["List-Unsubscribe"]).split()) == (
        f"<{UNSUBSCRIBE}>, <mailto:unsubscribe@cohort.example.org?subject=stop>"
    )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"unsubscribe_url": "/unsubscribe/x"}, "unsubscribe_url"),
        ({"unsubscribe_mailto": "unsubscribe@cohort.example.org"}, "mailto"),
        ({"from_address": "Cohort"}, "from_address"),
        ({"to_email": "not an address"}, "no domain"),
        ({"to_name": "Lena\r\nBcc: x@evil.example"}, "CR or LF"),
    ],
)
def test_bad_addresses_and_links_are_refused(
    rendered: RenderedEmail, changes: dict[str, str], error: str
) -> None:
    arguments = {
        "from_address": FROM,
        "to_email": "lena@example.org",
        "idempotency_key": "k",
        "unsubscribe_url": UNSUBSCRIBE,
    } | changes
    with pytest.raises(ValueError, match=error):
        build_message(rendered, **arguments)
