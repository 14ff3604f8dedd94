"""The token service: secrets shown once, stored as digests, recognised until revoked."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User
from app.models.base import utcnow
from app.services import tokens
from app.services.errors import ServiceError


@pytest.fixture
def people(app, make):
    """Two users, loaded in an app context that lasts the test."""
    infos = [make.user(), make.user()]
    with app.app_context():
        yield [db.session.get(User, info.id) for info in infos]


@pytest.fixture
def user(people):
    return people[0]


def test_a_new_token_is_stored_only_as_its_sha256_digest(user):
    token, secret = tokens.create(user, "  Reference manager  ")
    db.session.commit()

    stored = db.session.scalar(select(ApiToken))
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (stored.digest, stored.prefix, stored.name)
    assert stored.prefix == secret[:12] and secret.startswith("pst_")
    assert stored.name == "Reference manager" and stored.user_id == user.id


def test_each_token_is_different(user):
    secrets = {tokens.create(user, f"t{n}")[1] for n in range(5)}
    assert len(secrets) == 5


def test_authenticate_recognises_live_tokens_only(user):
    token, secret = tokens.create(user, "script")
    assert tokens.authenticate(secret) is token
    for wrong in ("", "pst_", secret + "x", secret[:-1], secret.upper(), "Bearer " + secret, "x" * 500):
        assert tokens.authenticate(wrong) is None
    tokens.revoke(token)
    assert token.revoked_at is not None
    assert tokens.authenticate(secret) is None
    tokens.revoke(token)  # revoking twice is harmless


def test_a_token_needs_a_sensible_name(user):
    with pytest.raises(ServiceError, match="name"):
        tokens.create(user, "   ")
    with pytest.raises(ServiceError, match="too long"):
        tokens.create(user, "x" * 101)


def test_the_number_of_live_tokens_is_capped(user):
    created = [tokens.create(user, f"t{n}")[0] for n in range(tokens.MAX_ACTIVE_TOKENS)]
    with pytest.raises(ServiceError, match="revoke one"):
        tokens.create(user, "one too many")
    tokens.revoke(created[0])
    assert tokens.create(user, "room again")


def test_listing_shows_the_users_live_tokens_newest_first(people):
    user, other = people
    old, _ = tokens.create(user, "old")
    new, _ = tokens.create(user, "new")
    revoked, _ = tokens.create(user, "gone")
    tokens.revoke(revoked)
    tokens.create(other, "not mine")
    assert [t.name for t in tokens.active_tokens(user)] == ["new", "old"]
    assert tokens.owned_token(user, old.id) is old
    assert tokens.owned_token(other, old.id) is None
    assert tokens.owned_token(user, revoked.id) is None


def test_use_is_recorded_at_most_once_a_minute(user):
    token, _ = tokens.create(user, "script")
    assert tokens.use_is_unrecorded(token)
    tokens.record_use(token.id)
    db.session.refresh(token)
    assert token.last_used_at is not None
    assert not tokens.use_is_unrecorded(token)
    token.last_used_at = utcnow() - timedelta(minutes=2)
    assert tokens.use_is_unrecorded(token)
