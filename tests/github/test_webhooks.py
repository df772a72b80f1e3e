"""X-Hub-Signature-256 verification."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cohort.github import signature, verify_signature

# The example GitHub's documentation gives for checking an implementation.
DOCS_SECRET = "It's a Secret to Everybody"
DOCS_BODY = b"Hello, World!"
DOCS_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_documented_example_verifies() -> None:
    assert verify_signature(DOCS_SECRET, DOCS_BODY, DOCS_SIGNATURE)
    assert signature(DOCS_SECRET, DOCS_BODY) == DOCS_SIGNATURE


def test_bytes_secret_and_upper_case_hex_verify() -> None:
    assert verify_signature(
        DOCS_SECRET.encode(), DOCS_BODY, DOCS_SIGNATURE.upper().replace("SHA256=", "sha256=")
    )


def test_a_payload_signed_with_hmac_sha256_verifies() -> None:
    body = b'{"action":"opened","number":1}'
    header = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert verify_signature("s3cret", body, header)


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        pytest.param(DOCS_SECRET, b"Hello, World?", DOCS_SIGNATURE, id="body changed"),
        pytest.param("another secret", DOCS_BODY, DOCS_SIGNATURE, id="wrong secret"),
        pytest.param(DOCS_SECRET, DOCS_BODY, None, id="missing header"),
        pytest.param(DOCS_SECRET, DOCS_BODY, "", id="empty header"),
        pytest.param(DOCS_SECRET, DOCS_BODY, DOCS_SIGNATURE.removeprefix("sha256="), id="no prefix"),
        pytest.param(DOCS_SECRET, DOCS_BODY, DOCS_SIGNATURE.replace("sha256=", "sha1="), id="sha1 prefix"),
        pytest.param(
            DOCS_SECRET,
            DOCS_BODY,
            "sha1=" + hmac.new(DOCS_SECRET.encode(), DOCS_BODY, hashlib.sha1).hexdigest(),
            id="legacy sha1 signature",
        ),
        pytest.param(DOCS_SECRET, DOCS_BODY, DOCS_SIGNATURE[:-2], id="truncated"),
        pytest.param(DOCS_SECRET, DOCS_BODY, "sha256=é" + DOCS_SIGNATURE[8:], id="non-ascii"),
        pytest.param("", DOCS_BODY, signature("", DOCS_BODY), id="empty secret"),
    ],
)
def test_invalid_signatures_are_refused(secret: str, body: bytes, header: str | None) -> None:
    assert verify_signature(secret, body, header) is False
