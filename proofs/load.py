"""Load: a steady request rate against the local stack, with throughput, p50/p99 latency and error rate.

    python -m proofs.load                      # 500 req/s for 60 s: 90% POST /api/transactions, 10% GET list
    python -m proofs.load --rate 300 --seconds 30

The generator is wrk (C, two threads), paced by its Lua `delay()`: each of C connections waits C/rate
seconds between requests, so the offered rate holds as long as latency stays well under that pause. It is
closed-loop pacing, not wrk2's open loop: if the server slows down, the achieved rate drops below the
offered one and the run says so (throughput vs offered), rather than latencies growing with queueing.
Every POST is a new transaction (fresh UUID) of one of 20 users; the run ends when storage has caught up.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from proofs.common import Stack, wait_for

CONNECTIONS = 20

_LUA = """
local tokens = {%(tokens)s}
local n = 0
local pause = %(pause).3f
math.randomseed(%(seed)d + tonumber(tostring({}):sub(8), 16) %% 100000)
local function uuid()
  return string.format("%%08x-%%04x-4%%03x-%%04x-%%06x%%06x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), 0x8000 + math.random(0, 0x3fff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end
request = function()
  n = n + 1
  local hdr = {["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1], ["Content-Type"] = "application/json"}
  if n %% %(every)d == 0 then return wrk.format("GET", "/api/transactions?limit=20", hdr) end
  local body = string.format('{"id":"%%s","type":"expense","amount":"%%d.%%02d","currency":"EUR",' ..
    '"category":"load","date":"2026-11-%%02d"}', uuid(), math.random(1, 500), math.random(0, 99), math.random(1, 28))
  return wrk.format("POST", "/api/transactions", hdr, body)
end
delay = function() return pause end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%.1f %%.1f %%.1f\\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max))
end
"""


@dataclass(frozen=True)
class LoadConfig:
    rate: float = 500.0
    seconds: float = 60.0
    users: int = 20
    get_every: int = 10  # one request in ten is a GET of the user's list
    http_workers: int = 1


@dataclass(frozen=True)
class LoadResult:
    requests: int
    non_2xx: int
    socket_errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    stored: int

    @property
    def throughput(self) -> float:
        return (self.requests - self.non_2xx - self.socket_errors) / self.seconds

    @property
    def error_rate(self) -> float:
        return (self.non_2xx + self.socket_errors) / self.requests if self.requests else 0.0

    def line(self, cfg: LoadConfig) -> str:
        return (
            f"load: offered {cfg.rate:.0f} req/s for {cfg.seconds:.0f}s: {self.requests} requests, "
            f"throughput {self.throughput:.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"max {self.max_ms:.0f} ms, errors {self.non_2xx + self.socket_errors} ({self.error_rate:.2%}); "
            f"{self.stored} transactions stored once storage caught up"
        )


def _script(cfg: LoadConfig, tokens: list[str], work: Path) -> Path:
    path = work / "load.lua"
    path.write_text(
        _LUA
        % {
            "tokens": ", ".join(f'"{t}"' for t in tokens),
            "pause": CONNECTIONS * 1000 / cfg.rate,
            "seed": 7,
            "every": cfg.get_every,
        }
    )
    return path


def _parse(out: str) -> tuple[int, int, int, float, float, float, float]:
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, status, sockets, micros, p50, p99, top = m.groups()
    return int(requests), int(status), int(sockets), int(micros) / 1e6, float(p50), float(p99), float(top)


def run(cfg: LoadConfig, log=print) -> LoadResult:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `apt-get install -y wrk` (make load does it)")
    stack = Stack.start("load")
    try:
        tokens = [stack.issuer.token(f"load-{stack.run}-{i}", ttl_s=7_200) for i in range(cfg.users)]
        base_url = stack.start_http("receiver,storage", workers=cfg.http_workers)
        stack.start_triggers("storage")
        log(
            f"load: {cfg.rate:.0f} req/s for {cfg.seconds:.0f}s over {CONNECTIONS} connections against one HTTP "
            f"process ({cfg.http_workers} worker) + the storage process; 1 request in {cfg.get_every} is a GET"
        )
        with tempfile.TemporaryDirectory() as tmp:
            script = _script(cfg, tokens, Path(tmp))
            warm = ["wrk", "-t1", "-c2", "-d2s", "-s", str(script), base_url]  # connections, producer, tokens
            subprocess.run(warm, capture_output=True, text=True, check=True)
            wait_for(lambda: stack.storage_lag() == 0, timeout=60, interval=0.2, what="the warm-up rows")
            before = stack.row_count()
            cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{cfg.seconds:.0f}s", "--timeout", "30s", "-s", str(script),
                   base_url]  # fmt: skip
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        requests, non_2xx, sockets, seconds, p50, p99, top = _parse(out)
        wait_for(lambda: stack.storage_lag() == 0, timeout=180, interval=0.5, what="storage to catch up")
        result = LoadResult(requests, non_2xx, sockets, seconds, p50 / 1000, p99 / 1000, top / 1000,
                            stack.row_count() - before)  # fmt: skip
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
    return 0 if result.error_rate == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
