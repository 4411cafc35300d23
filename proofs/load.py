"""Load: a steady request rate against the local stack, with throughput, p50/p99 latency and error rate.

    python -m proofs.load                      # 500 req/s for 60 s: 90% POST /api/transactions, 10% GET list
    python -m proofs.load --rate 300 --seconds 30

Open loop: request i is due at i/rate whatever happened to the earlier ones, and latency counts from when it
was due, so a slow server (or a late generator) shows in the figures instead of lowering the rate.
The generator is Python (asyncio + httpx) on the same machine as the stack: its CPU is taken from the stack's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from dataclasses import dataclass

import httpx

from proofs.common import Stack, percentile, wait_for
from proofs.traffic import Request, Sample, open_loop, transactions


@dataclass(frozen=True)
class LoadConfig:
    rate: float = 500.0
    seconds: float = 60.0
    users: int = 20
    get_share: float = 0.1
    http_workers: int = 1


@dataclass
class LoadResult:
    requests: int
    ok: int
    errors: int
    throughput: float  # answered 2xx per second of the run
    p50_ms: float
    p99_ms: float
    max_ms: float
    late_p99_ms: float  # how late the generator sent, p99: high means the generator, not the server, lagged
    stored: int
    accepted: int

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def line(self, cfg: LoadConfig) -> str:
        return (
            f"load: {cfg.rate:.0f} req/s offered for {cfg.seconds:.0f}s: {self.requests} requests, "
            f"throughput {self.throughput:.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"max {self.max_ms:.0f} ms, errors {self.errors} ({self.error_rate:.2%}); "
            f"generator late p99 {self.late_p99_ms:.1f} ms; {self.stored}/{self.accepted} accepted POSTs stored"
        )


async def _drive(base_url: str, cfg: LoadConfig, tokens: dict[str, str]) -> list[Sample]:
    users = list(tokens)
    every = round(1 / cfg.get_share) if cfg.get_share else 0

    def build(i: int) -> Request:
        user = users[i % len(users)]
        auth = {"Authorization": f"Bearer {tokens[user]}"}
        if every and i % every == every - 1:
            return ("get", None, "GET", "/api/transactions?limit=20", None, auth)
        body = transactions(1, [user], seed=i)[0].body
        body["id"] = str(uuid.uuid4())
        return ("post", body["id"], "POST", "/api/transactions", body, auth)

    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=httpx.Timeout(30, pool=60)) as client:
        for i in range(50):  # warm up: connections, the producer, the token cache
            kind, _, method, url, body, headers = build(i)
            await client.request(method, url, json=body, headers=headers)
        return await open_loop(client, rate=cfg.rate, duration_s=cfg.seconds, build=build, start=time.monotonic())


def run(cfg: LoadConfig, log=print) -> LoadResult:
    stack = Stack.start("load")
    try:
        users = [f"load-{stack.run}-{i}" for i in range(cfg.users)]
        tokens = {u: stack.issuer.token(u, ttl_s=7_200) for u in users}
        base_url = stack.start_http("receiver,storage", workers=cfg.http_workers)
        stack.start_triggers("storage")
        log(
            f"load: {cfg.rate:.0f} req/s for {cfg.seconds:.0f}s against one HTTP process ({cfg.http_workers} "
            f"worker) + the storage process, {1 - cfg.get_share:.0%} POST /api/transactions, "
            f"{cfg.get_share:.0%} GET /api/transactions"
        )
        samples = asyncio.run(_drive(base_url, cfg, tokens))
        latencies = sorted(s.latency * 1000 for s in samples)
        late = sorted((s.sent - s.scheduled) * 1000 for s in samples)
        good = [s for s in samples if 200 <= s.status < 300]
        span = max(s.done for s in samples) - min(s.scheduled for s in samples)
        accepted = {s.key for s in samples if s.kind == "post" and s.status == 202}
        wait_for(lambda: stack.storage_lag() == 0, timeout=180, interval=0.5, what="storage to catch up")
        rows = stack.rows()
        result = LoadResult(
            requests=len(samples),
            ok=len(good),
            errors=len(samples) - len(good),
            throughput=len(good) / span,
            p50_ms=percentile(latencies, 50),
            p99_ms=percentile(latencies, 99),
            max_ms=latencies[-1],
            late_p99_ms=percentile(late, 99),
            stored=sum(1 for k in accepted if k in rows),
            accepted=len(accepted),
        )
        log(result.line(cfg))
        return result
    finally:
        stack.close()


def main(argv: list[str] | None = None) -> int:
    defaults = LoadConfig()
    parser = argparse.ArgumentParser(prog="python -m proofs.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=defaults.rate, help="requests/s offered")
    parser.add_argument("--seconds", type=float, default=defaults.seconds)
    parser.add_argument("--workers", type=int, default=defaults.http_workers, help="uvicorn workers")
    args = parser.parse_args(argv)
    cfg = LoadConfig(rate=args.rate, seconds=args.seconds, http_workers=args.workers)
    result = run(cfg, log=lambda s: print(s, flush=True))
    return 0 if result.stored == result.accepted else 1


if __name__ == "__main__":
    sys.exit(main())
