"""The API stays responsive while the identity provider hangs: key fetches never run on the event loop.

The proof is one of order, not of speed: while the fetch is still held (the fake source does not answer until
released), other requests on the same loop are answered, and the one that needs the keys is not.
"""

import asyncio

import httpx
import pytest

from shared.adapters.auth.devissuer import ADMIN_ROLE, DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from shared.adapters.auth.jwks import SigningKeys
from shared.adapters.auth.tokens import TokenVerifier
from shared.bootstrap import Root
from tests.unit.adapters.auth.fakes import FakeClock, FakeJwksSource
from tests.unit.fakes import FakePublisher, FakeStore


@pytest.fixture(scope="module")
def stranger(tmp_path_factory) -> DevIssuer:
    """Tokens under a kid the JWKS does not hold: each one makes the verifier re-read the keys."""
    return DevIssuer(tmp_path_factory.mktemp("stranger")).ensure()


@pytest.fixture
def source(issuer) -> FakeJwksSource:
    return FakeJwksSource(FakeClock(), issuer)


@pytest.fixture
def api(settings, source):
    from functions.app import build

    keys = SigningKeys(source, floor_s=0, wait_s=1.0)
    verifier = TokenVerifier(issuer=DEV_ISSUER, audience=DEV_AUDIENCE, admin_role=ADMIN_ROLE, signing_keys=keys)
    root = Root(settings, publisher=FakePublisher(), store=FakeStore(), verifier=verifier)
    return build(root)[0]


async def _status(client: httpx.AsyncClient, token: str) -> int:
    # An empty object: refused with 422 right after authentication, touching no service.
    response = await client.post("/api/transactions", json={}, headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 503:
        assert response.headers["Retry-After"] == "1" and "signing keys" in response.json()["detail"]
    return response.status_code


def test_a_hung_key_fetch_holds_up_neither_the_loop_nor_tokens_of_known_keys(api, issuer, stranger, source):
    cached = issuer.token("alice")

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert await _status(client, cached) == 422  # verified once, with the keys fetched then
            source.hang()
            try:
                waiting = asyncio.create_task(_status(client, stranger.token("mallory")))
                await asyncio.sleep(0.1)  # mallory's unknown kid has started a fetch, which hangs
                assert await _status(client, cached) == 422  # answered from the cache, the fetch still held
                assert await _status(client, issuer.token("carol")) == 422  # a new token under a known key
                assert not waiting.done() and source.hung  # nothing above waited for the key fetch
                return await waiting  # mallory waits in a worker thread, never on the loop
            finally:
                source.release()

    # mallory's wait is bounded (SigningKeys wait_s): told to retry, as the keys could not be read.
    assert asyncio.run(scenario()) == 503
