"""Signing keys through an identity-provider outage: last good keys kept, fetches spaced out, nothing blocks."""

import logging
import threading
import time
import uuid

import pytest

from shared.adapters.auth.devissuer import ADMIN_ROLE, DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from shared.adapters.auth.jwks import SigningKeys, SigningKeysUnavailable, UnknownKey, UrlJwksSource
from shared.adapters.auth.tokens import AuthError, TokenVerifier
from tests.unit.adapters.auth.fakes import FakeClock, FakeJwksSource

TTL, FLOOR = 3_600, 30


@pytest.fixture(scope="module")
def issuer(tmp_path_factory) -> DevIssuer:
    return DevIssuer(tmp_path_factory.mktemp("issuer")).ensure()


@pytest.fixture(scope="module")
def rotated(tmp_path_factory) -> DevIssuer:
    """The same issuer after a key rollover: a new key under a new kid."""
    return DevIssuer(tmp_path_factory.mktemp("rotated")).ensure()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def source(clock, issuer) -> FakeJwksSource:
    return FakeJwksSource(clock, issuer)


@pytest.fixture
def keys(source, clock) -> SigningKeys:
    return SigningKeys(source, ttl_s=TTL, floor_s=FLOOR, backoff_s=1, max_backoff_s=60, wait_s=2, clock=clock)


def verifier(keys: SigningKeys) -> TokenVerifier:
    return TokenVerifier(issuer=DEV_ISSUER, audience=DEV_AUDIENCE, admin_role=ADMIN_ROLE, signing_keys=keys)


def fresh_user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def test_an_outage_after_the_keys_expire_keeps_verifying_with_the_last_good_keys(issuer, source, keys, clock):
    check = verifier(keys)
    assert check.verify(issuer.token(fresh_user())).user_id
    source.down = True
    for _ in range(5):
        clock.advance(TTL * 2)
        uid = fresh_user()  # never verified before: no cache can answer for it
        assert check.verify(issuer.token(uid)).user_id == uid
        assert keys.wait_idle(5)
    assert len(source.fetched_at) > 1  # it did keep trying in the background


def test_failed_fetches_back_off_exponentially(issuer, source, keys, clock):
    source.down = True
    retry_after = []
    start = clock.now
    while clock.now - start < 40:
        with pytest.raises(SigningKeysUnavailable) as refused:
            keys.key(issuer.kid())
        retry_after.append(int(refused.value.headers["Retry-After"]))
        clock.advance(0.5)
    assert [t - start for t in source.fetched_at] == [0, 1, 3, 7, 15, 31]
    assert min(retry_after) >= 1 and max(retry_after) == 32


def test_back_off_is_capped_and_a_recovery_resets_it(issuer, source, keys, clock):
    source.down = True
    for _ in range(12):
        with pytest.raises(SigningKeysUnavailable):
            keys.key(issuer.kid())
        clock.advance(61)
    gaps = [b - a for a, b in zip(source.fetched_at, source.fetched_at[1:], strict=False)]
    assert max(gaps) <= 61
    source.down = False
    assert keys.key(issuer.kid())


def test_an_outage_of_a_known_key_is_retried_in_the_background_with_back_off(issuer, source, keys, clock):
    keys.key(issuer.kid())
    source.down = True
    clock.advance(TTL)
    for _ in range(20):  # twenty requests in the same second: one background attempt
        assert keys.key(issuer.kid())
    assert keys.wait_idle(5)
    assert len(source.fetched_at) == 2
    clock.advance(1)
    keys.key(issuer.kid())
    assert keys.wait_idle(5)
    assert len(source.fetched_at) == 3


def test_a_rotated_key_is_picked_up_at_most_once_per_floor(issuer, rotated, source, keys, clock):
    check = verifier(keys)
    check.verify(issuer.token(fresh_user()))
    source.serve(issuer, rotated)
    clock.advance(FLOOR - 1)
    with pytest.raises(AuthError, match="unknown key"):
        check.verify(rotated.token(fresh_user()))  # too soon after the last fetch: not re-read
    assert len(source.fetched_at) == 1
    clock.advance(1)
    uid = fresh_user()
    assert check.verify(rotated.token(uid)).user_id == uid
    assert len(source.fetched_at) == 2


def test_a_flood_of_unknown_kids_causes_one_fetch_per_floor(issuer, source, keys, clock):
    keys.key(issuer.kid())
    clock.advance(FLOOR)
    for _ in range(100):
        with pytest.raises(UnknownKey):
            keys.key(f"kid-{uuid.uuid4().hex}")
    assert len(source.fetched_at) == 2


def test_a_jwks_without_usable_keys_does_not_replace_the_good_ones(issuer, source, keys, clock):
    keys.key(issuer.kid())
    source.keys = [{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]
    clock.advance(TTL)
    keys.key(issuer.kid())
    assert keys.wait_idle(5)
    clock.advance(TTL * 3)
    assert keys.key(issuer.kid())


def test_a_hung_fetch_never_holds_up_a_caller_with_a_known_key(issuer, source, keys, clock):
    keys.key(issuer.kid())
    source.hang()
    try:
        clock.advance(TTL)
        started = time.perf_counter()
        for _ in range(50):
            keys.key(issuer.kid())
        assert time.perf_counter() - started < 0.1
        assert not keys.wait_idle(0.2)  # the one background fetch, still hanging
    finally:
        source.release()
    assert keys.wait_idle(5) and len(source.fetched_at) == 2


def test_a_hung_first_fetch_answers_503_within_the_wait_not_the_fetch_timeout(issuer, source, clock):
    source.hang()
    keys = SigningKeys(source, wait_s=0.2, clock=clock)
    try:
        started = time.perf_counter()
        with pytest.raises(SigningKeysUnavailable) as refused:
            keys.key(issuer.kid())
        assert time.perf_counter() - started < 1
        assert refused.value.status == 503 and refused.value.headers["Retry-After"] == "1"
    finally:
        source.release()
    assert keys.wait_idle(5)
    assert keys.key(issuer.kid())


def test_callers_waiting_for_the_first_keys_share_one_fetch(issuer, source, keys):
    source.hang()
    found: list[object] = []
    callers = [threading.Thread(target=lambda: found.append(keys.key(issuer.kid()))) for _ in range(8)]
    for caller in callers:
        caller.start()
    time.sleep(0.1)
    source.release()
    for caller in callers:
        caller.join(5)
    assert len(found) == 8 and len(source.fetched_at) == 1


def test_without_keys_the_answer_is_503_and_says_nothing_of_the_cause(issuer, source, keys, caplog):
    source.down = True
    check = verifier(keys)
    with caplog.at_level(logging.WARNING, logger="budget.auth"), pytest.raises(SigningKeysUnavailable) as refused:
        check.verify(issuer.token(fresh_user()))
    problem = refused.value.to_json()
    assert problem["status"] == 503 and "Retry-After" in refused.value.headers
    assert not any(leak in problem["detail"] for leak in ("login.example", "/srv", "Errno", "refused"))
    assert "Connection refused: https://login.example" in caplog.text  # the operator still learns why


def test_the_url_source_reads_a_file_jwks(issuer):
    document = UrlJwksSource(issuer.jwks_url).fetch()
    assert [k["kid"] for k in document["keys"]] == [issuer.kid()]


def test_a_missing_jwks_file_is_a_503_without_the_path(issuer, tmp_path):
    missing = tmp_path / "nowhere" / "jwks.json"
    check = TokenVerifier(issuer=DEV_ISSUER, audience=DEV_AUDIENCE, admin_role=ADMIN_ROLE, jwks_url=missing.as_uri())
    with pytest.raises(SigningKeysUnavailable) as refused:
        check.verify(issuer.token(fresh_user()))
    assert str(tmp_path) not in refused.value.detail and "nowhere" not in refused.value.detail
