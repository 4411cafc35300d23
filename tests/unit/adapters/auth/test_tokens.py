"""Bearer tokens: exactly the v2.0 access tokens Entra ID issues for this API, signed by a known key."""

import base64
import hashlib
import hmac
import time
import uuid

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from shared.adapters.auth.devissuer import ADMIN_ROLE, DEV_AUDIENCE, DEV_ISSUER, DEV_TENANT, DevIssuer
from shared.adapters.auth.jwks import SigningKeys
from shared.adapters.auth.tokens import V1_REFUSED, AuthError, TokenVerifier, bearer_token, issuer_tenant
from tests.unit.adapters.auth.fakes import FakeClock, FakeJwksSource

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
ENTRA_V2 = f"https://login.microsoftonline.com/{TENANT}/v2.0"
ENTRA_V1 = f"https://sts.windows.net/{TENANT}/"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory) -> DevIssuer:
    return DevIssuer(tmp_path_factory.mktemp("issuer")).ensure()


@pytest.fixture(scope="module")
def stranger(tmp_path_factory) -> DevIssuer:
    return DevIssuer(tmp_path_factory.mktemp("stranger")).ensure()


def verifier_for(dev: DevIssuer, **options) -> TokenVerifier:
    """A verifier of the development issuer's tokens; `options` change issuer, audience, cache, ..."""
    keys = SigningKeys(FakeJwksSource(FakeClock(), dev))
    options = {"issuer": DEV_ISSUER, "audience": DEV_AUDIENCE, "admin_role": ADMIN_ROLE, **options}
    return TokenVerifier(signing_keys=keys, **options)


@pytest.fixture
def verifier(issuer) -> TokenVerifier:
    return verifier_for(issuer)


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def reason(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthError) as info:
        verifier.verify(token)
    assert str(info.value) == info.value.reason
    return info.value.reason


def test_the_dev_issuer_mints_the_shape_of_an_entra_v2_access_token(issuer):
    claims = jwt.decode(issuer.token("alice"), options={"verify_signature": False})
    assert claims["iss"] == DEV_ISSUER == f"https://budget.local/{DEV_TENANT}/v2.0"
    assert claims["aud"] == DEV_AUDIENCE and str(uuid.UUID(DEV_AUDIENCE)) == DEV_AUDIENCE
    assert claims["tid"] == DEV_TENANT == issuer_tenant(DEV_ISSUER)
    shape = (claims["ver"], claims["scp"], claims["oid"], claims["azp"])
    assert shape == ("2.0", "access_as_user", "alice", DEV_AUDIENCE)
    assert claims["sub"] != "alice" and len(claims["sub"]) == 43  # pairwise and opaque, as Entra's
    assert "roles" not in claims  # Entra leaves roles out when none is assigned
    assert claims["nbf"] == claims["iat"] < claims["exp"]
    admin = jwt.decode(issuer.token("alice", admin=True), options={"verify_signature": False})
    assert admin["roles"] == [ADMIN_ROLE]


def test_a_valid_token_names_the_user_by_oid(issuer, verifier):
    uid = user()
    principal = verifier.verify(issuer.token(uid))
    assert principal.user_id == uid
    assert not principal.is_admin


def test_the_admin_role_makes_an_admin(issuer, verifier):
    assert verifier.verify(issuer.token(user(), admin=True)).is_admin


def test_sub_is_never_taken_for_the_user(issuer, verifier):
    assert reason(verifier, issuer.token("alice", oid=None, sub="alice")) == "token names no user (oid)"


@pytest.mark.parametrize("oid", ["", "u" * 129, 42, ["alice"]])
def test_an_oid_that_is_no_user_id_is_refused(issuer, verifier, oid):
    assert reason(verifier, issuer.token("alice", oid=oid)) == "token names no user (oid)"


@pytest.mark.parametrize("roles", ["Budget.Admin", {"Budget.Admin": True}, 1])
def test_roles_that_are_not_a_list_grant_nothing(issuer, verifier, roles):
    assert not verifier.verify(issuer.token(user(), roles=roles)).is_admin


def test_entra_v2_issuer_and_bare_client_id_audience_are_accepted(issuer):
    verifier = verifier_for(issuer, issuer=ENTRA_V2, audience=CLIENT_ID)
    token = issuer.token("alice", iss=ENTRA_V2, aud=CLIENT_ID, tid=TENANT, azp=str(uuid.uuid4()))
    assert verifier.verify(token).user_id == "alice"


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": ENTRA_V1, "ver": "1.0", "aud": f"api://{CLIENT_ID}"},  # what an unconfigured registration sends
        {"iss": ENTRA_V1, "ver": "1.0", "aud": CLIENT_ID},
        {"ver": "1.0"},
        {"iss": ENTRA_V1},
    ],
)
def test_a_v1_token_is_refused_naming_the_cause(issuer, claims):
    verifier = verifier_for(issuer, issuer=ENTRA_V2, audience=CLIENT_ID)
    token = issuer.token("alice", **{"iss": ENTRA_V2, "aud": CLIENT_ID, "tid": TENANT, **claims})
    assert reason(verifier, token) == V1_REFUSED


def test_a_v2_token_with_the_application_id_uri_as_audience_is_refused(issuer):
    verifier = verifier_for(issuer, issuer=ENTRA_V2, audience=CLIENT_ID)
    token = issuer.token("alice", iss=ENTRA_V2, aud=f"api://{CLIENT_ID}", tid=TENANT)
    assert reason(verifier, token) == "token is for another audience"


@pytest.mark.parametrize("ver", [None, "2", "3.0", 2.0])
def test_a_token_of_no_or_another_version_is_refused(issuer, verifier, ver):
    assert reason(verifier, issuer.token("alice", ver=ver)) == "token is not a v2.0 access token (ver)"


@pytest.mark.parametrize("tid", [None, TENANT, "common"])
def test_a_token_from_another_tenant_is_refused(issuer, verifier, tid):
    assert reason(verifier, issuer.token("alice", tid=tid)) == "token is from another tenant"


def test_issuer_tenant_reads_entra_v2_issuers_only():
    assert issuer_tenant(ENTRA_V2) == TENANT
    assert issuer_tenant(ENTRA_V1) is None
    assert issuer_tenant("https://accounts.example/") is None


@pytest.mark.parametrize("scp", ["access_as_user", "User.Read access_as_user", "access_as_user openid"])
def test_a_delegated_token_with_the_api_scope_is_accepted(issuer, verifier, scp):
    assert verifier.verify(issuer.token("alice", scp=scp)).user_id == "alice"


@pytest.mark.parametrize("scp", ["", "User.Read", "access_as_user_not", ["access_as_user"]])
def test_a_delegated_token_without_the_api_scope_is_refused(issuer, verifier, scp):
    assert reason(verifier, issuer.token("alice", scp=scp, admin=True)) == "token lacks the access_as_user scope"


def test_an_app_only_token_without_an_app_role_of_this_api_is_refused(issuer, verifier):
    assert reason(verifier, issuer.token("daemon", scp=None)) == "an application token needs an app role of this API"
    other = issuer.token("daemon", scp=None, roles=["Other.Api.Role"])
    assert reason(verifier, other) == "an application token needs an app role of this API"


def test_an_app_only_token_with_the_admin_role_is_an_admin(issuer, verifier):
    assert verifier.verify(issuer.token("daemon", scp=None, admin=True)).is_admin


def test_app_roles_this_api_defines_admit_app_only_tokens_without_making_them_admins(issuer):
    verifier = verifier_for(issuer, app_roles={ADMIN_ROLE, "Budget.Reader"})
    principal = verifier.verify(issuer.token("daemon", scp=None, roles=["Budget.Reader"]))
    assert principal.user_id == "daemon" and not principal.is_admin


def test_an_expired_token_is_refused(issuer, verifier):
    assert reason(verifier, issuer.token(user(), ttl_s=-3_600)) == "token expired"


def test_clock_skew_within_the_leeway_is_tolerated(issuer, verifier):
    now = int(time.time())
    assert verifier.verify(issuer.token("o", exp=now - 30, nbf=now + 30, iat=now + 30)).user_id == "o"


def test_a_token_not_yet_valid_beyond_the_leeway_is_refused(issuer, verifier):
    now = int(time.time())
    assert reason(verifier, issuer.token("o", nbf=now + 3_600, exp=now + 7_200)) == "token not yet valid"


def test_a_token_for_another_audience_is_refused(issuer, verifier):
    assert reason(verifier, issuer.token(user(), aud=str(uuid.uuid4()))) == "token is for another audience"


def test_a_token_from_another_issuer_is_refused(issuer, verifier):
    assert reason(verifier, issuer.token(user(), iss="https://evil.example/")) == "token is from another issuer"


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "iss", "aud"])
def test_tokens_missing_a_required_claim_are_refused(issuer, verifier, claim):
    assert reason(verifier, issuer.token("o", **{claim: None})) == f"token lacks the {claim} claim"


def test_an_unsigned_alg_none_token_is_refused(issuer, verifier):
    header = b64(orjson.dumps({"alg": "none", "typ": "JWT", "kid": issuer.kid()}))
    payload = jwt.decode(issuer.token(user()), options={"verify_signature": False})
    token = f"{header}.{b64(orjson.dumps(payload))}."
    assert reason(verifier, token) == "token algorithm 'none' is not accepted; RS256 only"


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


@pytest.mark.parametrize("alg", ["RS512", "PS256", "ES256", {"x": "/etc/passwd"}, "A" * 100])
def test_other_algorithms_are_refused_even_with_a_known_kid(issuer, verifier, alg):
    header = b64(orjson.dumps({"alg": alg, "typ": "JWT", "kid": issuer.kid()}))
    refusal = reason(verifier, f"{header}.{b64(b'{}')}.{b64(b'sig')}")
    assert "RS256 only" in refusal and "/etc" not in refusal and len(refusal) < 60


def test_a_token_from_a_key_not_in_the_jwks_is_refused(stranger, verifier):
    assert reason(verifier, stranger.token(user())) == "token signed by an unknown key"


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(issuer, stranger, verifier):
    claims = jwt.decode(issuer.token("mallory"), options={"verify_signature": False})
    key = serialization.load_pem_private_key(stranger.key_path.read_bytes(), password=None)
    forged = jwt.encode(claims, key, algorithm="RS256", headers={"kid": issuer.kid()})
    assert reason(verifier, forged) == "token signature does not verify"


def test_a_token_without_a_kid_is_refused(issuer, verifier):
    claims = jwt.decode(issuer.token("o"), options={"verify_signature": False})
    key = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
    assert reason(verifier, jwt.encode(claims, key, "RS256")) == "token has no key id (kid)"


def test_a_tampered_payload_is_refused(issuer, verifier):
    head, _, sig = issuer.token("alice").split(".")
    payload = jwt.decode(issuer.token("alice"), options={"verify_signature": False}) | {"oid": "mallory"}
    assert reason(verifier, f"{head}.{b64(orjson.dumps(payload))}.{sig}") == "token signature does not verify"


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "...", "eyJhbGciOiJSUzI1NiJ9", "e30.W10.e30"])
def test_malformed_tokens_are_refused(verifier, token):
    assert reason(verifier, token) == "malformed token"


def test_a_verified_token_is_answered_from_the_cache_until_its_expiry(issuer):
    clock = FakeClock(time.time())
    verifier = verifier_for(issuer, clock=clock)
    token = issuer.token("alice", ttl_s=120)
    assert verifier.cached(token) is None
    assert verifier.verify(token).user_id == "alice"
    assert verifier.cached(token).user_id == "alice"
    clock.advance(121)
    assert verifier.cached(token) is None


def test_a_cached_token_is_re_verified_after_five_minutes_at_most(issuer):
    clock = FakeClock(time.time())
    verifier = verifier_for(issuer, clock=clock)
    token = issuer.token("alice", ttl_s=3_600)
    verifier.verify(token)
    clock.advance(299)
    assert verifier.cached(token) is not None
    clock.advance(2)
    assert verifier.cached(token) is None


def test_the_cache_drops_the_least_recently_used_token(issuer):
    verifier = verifier_for(issuer, cache_size=2)
    first, second, third = (issuer.token(name) for name in ("first", "second", "third"))
    verifier.verify(first)
    verifier.verify(second)
    assert verifier.cached(first) is not None  # first is now the most recently used
    verifier.verify(third)
    assert verifier.cached(second) is None
    assert verifier.cached(first) is not None and verifier.cached(third) is not None


def test_a_cache_of_size_zero_keeps_nothing(issuer):
    verifier = verifier_for(issuer, cache_size=0)
    token = issuer.token("alice")
    assert verifier.verify(token).user_id == "alice"
    assert verifier.cached(token) is None


def test_the_dev_issuer_reuses_its_key(tmp_path):
    first = DevIssuer(tmp_path).ensure()
    kid = first.kid()
    assert DevIssuer(tmp_path).ensure().kid() == kid
    assert (first.key_path.stat().st_mode & 0o777) == 0o600


def test_the_dev_issuer_wants_a_v2_issuer_url(tmp_path):
    with pytest.raises(ValueError, match="v2.0 issuer URL"):
        DevIssuer(tmp_path, issuer="https://budget.local/dev-issuer")


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
