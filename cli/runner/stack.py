"""`budget run`: the whole stack on this machine: the HTTP app and the triggers, each in its own process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from cli.runner.localenv import broker_file, home, local_defaults, start_embedded_broker
from shared.adapters.kafka.admin import ensure_topics
from shared.adapters.mysql.engine import build_engine, describe
from shared.adapters.mysql.migrate import migrate
from shared.settings import Settings

log = logging.getLogger("budget.runner")


def prepare(settings: Settings) -> None:
    """Schema at head and topics present, before any function runs."""
    if {"storage", "processor", "analyzer"} & set(settings.enabled_services):
        engine = build_engine(settings)
        migrate(engine)
        engine.dispose()
    if settings.kafka_security_protocol == "PLAINTEXT":  # Event Hubs' hubs come from infra/
        ensure_topics(settings)


def run_stack(*, host: str, port: int, http_workers: int) -> int:
    broker = start_embedded_broker()
    try:
        # The children read their settings from the environment, as the Functions host's workers do.
        env = {**os.environ, **local_defaults(broker=broker.bootstrap if broker else None)}
        settings = Settings(**{k: v for k, v in env.items() if k in _setting_names()})  # type: ignore[arg-type]
        prepare(settings)
        cli = [sys.executable, "-m", "cli.main", "serve"]
        serve = [*cli, "http", "--host", host, "--port", str(port), "--workers", str(http_workers)]
        children = [subprocess.Popen(serve, env=env), subprocess.Popen([*cli, "triggers"], env=env)]
        print(
            f"\nBudget stack running\n"
            f"  dashboard  http://{host}:{port}/\n"
            f"  API        http://{host}:{port}/api   (docs: http://{host}:{port}/api/docs)\n"
            f"  broker     {settings.kafka_broker_list}{'  (embedded Tansu)' if broker else ''}\n"
            f"  database   {describe(build_engine(settings))}\n"
            f"  token      .venv/bin/budget token --user alice\n"
            f"  state      {home()}\n"
            f"Ctrl-C stops everything.\n",
            flush=True,
        )
        return _supervise(children)
    finally:
        if broker:
            broker.stop()
            broker_file().unlink(missing_ok=True)


def _setting_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update(getattr(alias, "choices", [alias]) if alias is not None else [])
    return names


def _supervise(children: list[subprocess.Popen]) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        if any(c.poll() is not None for c in children):
            log.error("a service process exited; stopping the stack")
            break
        stop.wait(0.5)
    for c in children:
        if c.poll() is None:
            c.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for c in children:
        try:
            c.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            c.kill()
    return max((c.returncode or 0) for c in children) if not stop.is_set() else 0


def serve_http(*, host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "cli.runner.http:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
        # uvicorn's 5 s default equals httpx's keepalive expiry: a client sending on a connection the server is
        # closing that instant gets a ReadError for a POST it cannot safely retry. The server must outlive clients.
        timeout_keep_alive=65,
    )


def serve_triggers() -> None:
    from cli.runner.index import index
    from cli.runner.triggers import KafkaTriggerLoop, TimerTriggerLoop
    from function_app import app, root

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    loops: list[threading.Thread] = []
    for fn in index(app):
        if fn.kind == "kafkaTrigger":
            loops.append(KafkaTriggerLoop(fn, stop, root.settings))
        elif fn.kind == "timerTrigger":
            loops.append(TimerTriggerLoop(fn, stop, root.settings))
    for loop in loops:
        loop.start()
    log.info("triggers running: %s", ", ".join(t.name for t in loops) or "none")
    while not stop.is_set() and all(t.is_alive() for t in loops):
        stop.wait(0.5)
    stop.set()
    for loop in loops:
        loop.join(15)
    root.close()
    os._exit(0)  # librdkafka threads must not keep a stopping process alive
