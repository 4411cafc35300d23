"""The authorization matrix: every way a token can be wrong, and every way a right token can reach for
someone else's data, each tried over HTTP and over Kafka queries, each refused with the right status.

    python -m proofs.authz      # prints the matrix; exits 1 if any cell is not as expected
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import sys
import time
import uuid
from dataclasses import dataclass

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cli.query_client import QueryClient
from shared.adapters.auth.devissuer import DevIssuer

ADMIN_QUERIES = ("lag", "active-users", "all-users-summary")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unsigned(header: dict, claims: dict) -> str:
    return f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(claims))}"


def bad_tokens(issuer: DevIssuer, user: str) -> dict[str, str | None]:
    """Each kind of token the verifier must refuse (None: no token at all), for `user`."""
    now = int(time.time())
    claims = jwt.decode(issuer.token(user), options={"verify_signature": False})
    kid = issuer.kid()
    private = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The classic confusion attack: the public key, which anyone can read, used as an HMAC secret.
    confused = _unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, claims)
    confused += "." + _b64(hmac.new(public_pem, confused.encode(), hashlib.sha256).digest())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "no token": None,
        "malformed": "not-a-jwt",
        "expired": issuer.token(user, iat=now - 7200, nbf=now - 7200, exp=now - 3600),
        "not yet valid": issuer.token(user, iat=now, nbf=now + 3600, exp=now + 7200),
        "wrong audience": issuer.token(user, aud=str(uuid.uuid4())),
        "wrong issuer": issuer.token(user, iss="https://issuer.invalid/"),
        # What an app registration without accessTokenAcceptedVersion 2 issues, signed by a trusted key.
        "v1.0 token": issuer.token(
            user, iss=f"https://sts.windows.net/{issuer.tenant}/", ver="1.0", aud=f"api://{issuer.audience}"
        ),
        "v2.0 token for the api:// URI": issuer.token(user, aud=f"api://{issuer.audience}"),
        "no scp (app-only, no app role)": issuer.token(user, scp=None),
        "another tenant": issuer.token(user, tid=str(uuid.uuid4())),
        "alg none": _unsigned({"alg": "none", "typ": "JWT", "kid": kid}, claims) + ".",
        "HS256 with the public key": confused,
        "unknown kid": jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": f"kid-{uuid.uuid4().hex}"}),
    }


@dataclass(frozen=True)
class Cell:
    case: str
    channel: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass(frozen=True)
class World:
    """Two users with one expense each in a month of their own; alice's transaction id is the target."""

    alice: str
    bob: str
    month: str
    alice_tx: str
    bob_tx: str


def seed_world(http: httpx.Client, issuer: DevIssuer) -> World:
    """Record one expense for each of two fresh users over HTTP, then wait until storage has both."""
    run = uuid.uuid4().hex[:8]
    month = f"{2200 + int(run, 16) % 700:04d}-07"  # a year no other run uses, inside the booking range
    world = World(f"alice-{run}", f"bob-{run}", month, str(uuid.uuid4()), str(uuid.uuid4()))
    for user, tid, amount in ((world.alice, world.alice_tx, "1000.00"), (world.bob, world.bob_tx, "7.00")):
        body = {"id": tid, "type": "expense", "amount": amount, "currency": "EUR", "category": "rent"}
        r = http.post("/api/transactions", json={**body, "date": f"{month}-15"}, headers=_auth(issuer.token(user)))
        assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    for user, tid in ((world.alice, world.alice_tx), (world.bob, world.bob_tx)):
        while http.get(f"/api/transactions/{tid}", headers=_auth(issuer.token(user))).status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError(f"storage did not store {tid} within 60 s")
            time.sleep(0.1)
    return world


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token is not None else {}


def _kafka_status(kafka: QueryClient, name: str, params: dict, token: str | None) -> tuple[str, dict]:
    request_id = str(uuid.uuid4())
    request = {"request_id": request_id, "reply_to": kafka.reply_to, "query": {"name": name, "params": params}}
    if token is not None:
        request["token"] = token
    kafka.send_raw(orjson.dumps(request), key=request_id.encode())
    reply = kafka.wait(request_id, timeout_s=20)
    return ("200" if reply["ok"] else str(reply["error"]["status"])), reply


def _http_status(http: httpx.Client, path: str, token: str | None, params: dict | None = None) -> tuple[str, dict]:
    r = http.get(path, params=params, headers=_auth(token))
    if r.status_code >= 400 and r.headers.get("content-type") != "application/problem+json":
        return f"{r.status_code} (not problem+json)", {}
    if r.status_code == 401 and "bearer" not in r.headers.get("www-authenticate", "").lower():
        return "401 (no WWW-Authenticate)", {}
    return str(r.status_code), r.json()


def _own_only(status: str, body: dict, world: World) -> str:
    """'200 own data' when bob's answer holds bob's expense and nothing of alice's, else what is wrong."""
    if status != "200":
        return status
    text = orjson.dumps(body).decode()
    if world.alice_tx in text or world.alice in text or "1000.00" in text:
        return "200 LEAKS alice's data"
    return "200 own data" if "7.00" in text else "200 without bob's own data"


def run_matrix(http: httpx.Client, kafka: QueryClient, issuer: DevIssuer, world: World) -> list[Cell]:
    cells: list[Cell] = []
    month = {"month": world.month}
    for case, token in bad_tokens(issuer, world.alice).items():
        cells.append(Cell(case, "HTTP", "401", _http_status(http, "/api/reports/monthly-summary", token, month)[0]))
        cells.append(Cell(case, "Kafka", "401", _kafka_status(kafka, "monthly-summary", month, token)[0]))

    bob = issuer.token(world.bob)
    status, body = _http_status(http, f"/api/transactions/{world.alice_tx}", bob)
    cells.append(Cell("another user's transaction", "HTTP", "404", status))
    search = {"category": "rent", "from": f"{world.month}-01", "to": f"{world.month}-28"}
    status, reply = _kafka_status(kafka, "search", search, bob)
    cells.append(Cell("another user's transaction", "Kafka", "200 own data", _own_only(status, reply, world)))

    status, body = _http_status(http, "/api/reports/monthly-summary", bob, month)
    cells.append(Cell("another user's report", "HTTP", "200 own data", _own_only(status, body, world)))
    status, reply = _kafka_status(kafka, "monthly-summary", month, bob)
    cells.append(Cell("another user's report", "Kafka", "200 own data", _own_only(status, reply, world)))

    # Naming the other user in a query's params: no params model has a user field, so it is refused.
    named = {**month, "user_id": world.alice}
    status, _ = _http_status(http, "/api/reports/monthly-summary", bob, named)
    cells.append(Cell("another user's query (user_id=alice)", "HTTP", "422", status))
    status, _ = _kafka_status(kafka, "monthly-summary", named, bob)
    cells.append(Cell("another user's query (user_id=alice)", "Kafka", "422", status))

    for name in ADMIN_QUERIES:
        params = month if name == "all-users-summary" else {}
        cells.append(
            Cell(f"non-admin on admin {name}", "HTTP", "403", _http_status(http, f"/api/admin/{name}", bob, params)[0])
        )
        cells.append(Cell(f"non-admin on admin {name}", "Kafka", "403", _kafka_status(kafka, name, params, bob)[0]))
    return cells


def render(cells: list[Cell]) -> str:
    """A table: one row per case, expected/actual per channel."""
    cases = list(dict.fromkeys(c.case for c in cells))
    by = {(c.case, c.channel): c for c in cells}
    width = max(len(c) for c in cases)
    lines = [f"{'case':{width}}  {'HTTP expected/actual':34}  {'Kafka expected/actual':34}", "-" * (width + 72)]
    for case in cases:
        row = []
        for channel in ("HTTP", "Kafka"):
            c = by[(case, channel)]
            row.append(f"{'ok ' if c.ok else 'BAD'} {c.expected} / {c.actual}")
        lines.append(f"{case:{width}}  {row[0]:34}  {row[1]:34}")
    bad = sum(not c.ok for c in cells)
    lines.append(f"authz: cells={len(cells)} refused_as_expected={len(cells) - bad} wrong={bad}")
    return "\n".join(lines)


def main() -> int:
    from proofs.stack import local_stack, sync_analytics

    functions = ("store_transactions", "answer_queries")
    with local_stack(kafka_functions=functions) as (infra, server), httpx.Client(base_url=server.base_url) as http:
        world = seed_world(http, infra.issuer)
        sync_analytics(server)
        kafka = QueryClient(server.root.settings, client_id=f"authz-{uuid.uuid4().hex[:8]}")
        try:
            cells = run_matrix(http, kafka, infra.issuer, world)
        finally:
            kafka.close()
    print(render(cells))
    return 0 if all(c.ok for c in cells) else 1


if __name__ == "__main__":
    sys.exit(main())
