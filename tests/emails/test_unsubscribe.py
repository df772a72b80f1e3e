"""Unsubscribe tokens: round trip, and every alteration, other key or unknown version refused."""

from __future__ import annotations

import string
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cohort.mail import InvalidUnsubscribeToken, UnsubscribeRequest, UnsubscribeTokens, unsubscribe_url

SECRET = "unsubscribe-test-secret-" + "s" * 32
tokens = UnsubscribeTokens(SECRET)
URL_SAFE = set(string.ascii_letters + string.digits + "-_.")


@given(user_id=st.uuids(), kind=st.text(min_size=1, max_size=40))
def test_round_trip_is_url_safe(user_id: UUID, kind: str) -> None:
    token = tokens.sign(user_id, kind)
    assert set(token) <= URL_SAFE
    assert token.startswith("v1.")
    assert tokens.verify(token) == UnsubscribeRequest(user_id, kind)


def test_same_input_same_token_and_different_inputs_differ() -> None:
    user = uuid4()
    assert tokens.sign(user, "learner_digest") == tokens.sign(user, "learner_digest")
    assert tokens.sign(user, "learner_digest") != tokens.sign(user, "mentor_digest")
    assert tokens.sign(user, "learner_digest") != tokens.sign(uuid4(), "learner_digest")


@given(position=st.integers(min_value=0), replacement=st.sampled_from(sorted(URL_SAFE)))
def test_any_single_character_change_is_refused(position: int, replacement: str) -> None:
    token = tokens.sign(UUID(int=42), "submission_reminder")
    position %= len(token)
    if token[position] == replacement:
        return
    tampered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(InvalidUnsubscribeToken):
        tokens.verify(tampered)


def test_swapping_in_another_users_payload_is_refused() -> None:
    mine = tokens.sign(uuid4(), "learner_digest").split(".")
    theirs = tokens.sign(uuid4(), "learner_digest").split(".")
    with pytest.raises(InvalidUnsubscribeToken):
        tokens.verify(".".join([mine[0], theirs[1], mine[2]]))


@pytest.mark.parametrize(
    "token",
    ["", "v1", "v1..", "v1.abc", "v2.abc.def", "garbage", "v1.é.x", "v1.a.b.c"],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidUnsubscribeToken):
        tokens.verify(token)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    foreign = UnsubscribeTokens("another-secret-" + "o" * 32).sign(uuid4(), "learner_digest")
    with pytest.raises(InvalidUnsubscribeToken):
        tokens.verify(foreign)


def test_changing_the_version_prefix_is_refused() -> None:
    token = tokens.sign(uuid4(), "learner_digest")
    with pytest.raises(InvalidUnsubscribeToken):
        tokens.verify("v2" + token[2:])


def test_empty_kind_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="kind"):
        tokens.sign(uuid4(), "")


def test_unsubscribe_url_joins_base_and_token() -> None:
    assert unsubscribe_url("https://cohort.example.org/", "v1.a.b") == (
        "https://cohort.example.org/unsubscribe/v1.a.b"
    )
