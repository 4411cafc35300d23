"""Bearer tokens: only RS256 tokens from the configured issuer, for this audience, signed by a known key."""

import base64
import hashlib
import hmac
import time
import uuid

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from shared.adapters.auth.devissuer import ADMIN_ROLE, DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from shared.adapters.auth.tokens import AuthError, TokenVerifier, bearer_token


@pytest.fixture
def issuer(tmp_path) -> DevIssuer:
    return DevIssuer(tmp_path / "issuer").ensure()


@pytest.fixture
def verifier(issuer) -> TokenVerifier:
    return TokenVerifier(issuer=DEV_ISSUER, audience=DEV_AUDIENCE, jwks_url=issuer.jwks_url, admin_role=ADMIN_ROLE)


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def signed(issuer: DevIssuer, *, drop: tuple[str, ...] = (), headers: dict | None = None, **claims) -> str:
    """A token signed with the issuer's key, with claims overridden or dropped."""
    now = int(time.time())
    payload = {"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "sub": "s", "oid": "o", "iat": now, "nbf": now, "exp": now + 600}
    payload.update(claims)
    for name in drop:
        payload.pop(name)
    key = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": issuer.kid(), **(headers or {})})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def reason(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthError) as info:
        verifier.verify(token)
    assert str(info.value) == info.value.reason
    return info.value.reason


def test_a_valid_token_names_the_user_by_oid(issuer, verifier):
    uid = user()
    principal = verifier.verify(issuer.token(uid))
    assert principal.user_id == uid
    assert not principal.is_admin


def test_the_admin_role_makes_an_admin(issuer, verifier):
    assert verifier.verify(issuer.token(user(), admin=True)).is_admin


def test_oid_wins_over_sub(issuer, verifier):
    assert verifier.verify(signed(issuer, oid="object-id", sub="pairwise-sub")).user_id == "object-id"


def test_sub_names_the_user_when_there_is_no_oid(issuer, verifier):
    assert verifier.verify(signed(issuer, drop=("oid",), sub="only-sub")).user_id == "only-sub"


def test_a_token_naming_no_user_is_refused(issuer, verifier):
    assert reason(verifier, signed(issuer, drop=("oid", "sub"))) == "token names no user (oid or sub)"


def test_a_user_id_longer_than_the_store_allows_is_refused(issuer, verifier):
    assert "names no user" in reason(verifier, signed(issuer, oid="u" * 129))


@pytest.mark.parametrize("roles", ["Budget.Admin", {"Budget.Admin": True}, 1])
def test_roles_that_are_not_a_list_grant_nothing(issuer, verifier, roles):
    assert not verifier.verify(signed(issuer, roles=roles)).is_admin


def test_an_expired_token_is_refused(issuer, verifier):
    assert reason(verifier, issuer.token(user(), ttl_s=-3_600)) == "token expired"


def test_clock_skew_within_the_leeway_is_tolerated(issuer, verifier):
    now = int(time.time())
    assert verifier.verify(signed(issuer, exp=now - 30, nbf=now + 30, iat=now + 30)).user_id == "o"


def test_a_token_not_yet_valid_beyond_the_leeway_is_refused(issuer, verifier):
    now = int(time.time())
    assert reason(verifier, signed(issuer, nbf=now + 3_600, exp=now + 7_200)) == "token not yet valid"


def test_a_token_for_another_audience_is_refused(issuer, verifier):
    assert reason(verifier, issuer.token(user(), aud="api://someone-else")) == "token is for another audience"


def test_a_token_from_another_issuer_is_refused(issuer, verifier):
    assert reason(verifier, issuer.token(user(), iss="https://evil.example/")) == "token is from another issuer"


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud"])
def test_tokens_missing_a_required_claim_are_refused(issuer, verifier, claim):
    assert claim in reason(verifier, signed(issuer, drop=(claim,)))


def test_an_unsigned_alg_none_token_is_refused(issuer, verifier):
    header = b64(orjson.dumps({"alg": "none", "typ": "JWT", "kid": issuer.kid()}))
    payload = jwt.decode(issuer.token(user()), options={"verify_signature": False})
    token = f"{header}.{b64(orjson.dumps(payload))}."
    assert "'none' is not accepted" in reason(verifier, token)


def test_hs256_signed_with_the_public_key_as_secret_is_refused(issuer, verifier):
    """The classic key-confusion attack: the public key is no secret."""
    public_pem = (
        serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    payload = jwt.decode(issuer.token(user(), admin=True), options={"verify_signature": False})
    header = orjson.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid()})
    signing_input = f"{b64(header)}.{b64(orjson.dumps(payload))}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert "'HS256' is not accepted" in reason(verifier, f"{signing_input}.{b64(signature)}")


@pytest.mark.parametrize("alg", ["RS512", "PS256", "ES256"])
def test_other_algorithms_are_refused_even_with_a_known_kid(issuer, verifier, alg):
    header = b64(orjson.dumps({"alg": alg, "typ": "JWT", "kid": issuer.kid()}))
    assert "RS256 only" in reason(verifier, f"{header}.{b64(b'{}')}.{b64(b'sig')}")


def test_a_token_from_a_key_not_in_the_jwks_is_refused(tmp_path, verifier):
    stranger = DevIssuer(tmp_path / "stranger").ensure()
    assert reason(verifier, stranger.token(user())) == "token signed by an unknown key"


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(tmp_path, issuer, verifier):
    stranger = DevIssuer(tmp_path / "stranger").ensure()
    forged = signed(stranger, headers={"kid": issuer.kid()})
    assert "Signature verification failed" in reason(verifier, forged)


def test_a_token_without_a_kid_is_refused(issuer, verifier):
    key = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
    now = int(time.time())
    token = jwt.encode({"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "oid": "o", "iat": now, "exp": now + 60}, key, "RS256")
    assert reason(verifier, token) == "token has no key id (kid)"


def test_a_tampered_payload_is_refused(issuer, verifier):
    head, _, sig = issuer.token("alice").split(".")
    payload = jwt.decode(issuer.token("alice"), options={"verify_signature": False}) | {"oid": "mallory"}
    assert "invalid token" in reason(verifier, f"{head}.{b64(orjson.dumps(payload))}.{sig}")


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "...", "eyJhbGciOiJSUzI1NiJ9"])
def test_malformed_tokens_are_refused(verifier, token):
    assert reason(verifier, token) == "malformed token"


def test_unreachable_signing_keys_refuse_the_token_saying_why(issuer, tmp_path):
    verifier = TokenVerifier(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        jwks_url=(tmp_path / "missing.json").as_uri(),
        admin_role=ADMIN_ROLE,
    )
    assert reason(verifier, issuer.token(user())).startswith("signing keys unavailable")


def test_the_dev_issuer_reuses_its_key(tmp_path):
    first = DevIssuer(tmp_path).ensure()
    kid = first.kid()
    assert DevIssuer(tmp_path).ensure().kid() == kid
    assert (first.key_path.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer  abc ", "abc"), ("BEARER x", "x")],
)
def test_bearer_token_is_read_from_the_authorization_header(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_authorization_header_says_what_to_send(header):
    with pytest.raises(AuthError, match="missing bearer token"):
        bearer_token(header)


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token abc", "abc.def.ghi"])
def test_a_malformed_authorization_header_is_refused(header):
    with pytest.raises(AuthError, match="must be 'Bearer <token>'"):
        bearer_token(header)
