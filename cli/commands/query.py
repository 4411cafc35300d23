"""`budget query`: ask the analyzer over Kafka or HTTP; both print the same answer.

The answer goes to stdout; an error (problem details, or no answer at all) goes to stderr with exit status 1,
so `budget query ... > answer.json` never writes an error into the answer file.
"""

from __future__ import annotations

import getpass
import socket
import sys

import orjson
import typer


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--param takes name=value, got {pair!r}")
        out[key.strip()] = value
    return out


def _print(body: object, *, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    stream.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")


def _via_kafka(name: str, params: dict[str, str], token: str, timeout: float, client_id: str) -> int:
    from cli.query_client import NoReply, QueryClient
    from cli.runner.localenv import local_settings

    settings = local_settings()
    client = QueryClient(settings, client_id=client_id, timeout_s=timeout)
    try:
        reply = client.ask(name, params, token=token, timeout_s=timeout)
    except NoReply:
        typer.echo(
            f"No reply within {timeout:g}s on {client.reply_to}: is the analyzer consuming "
            f"{settings.queries_topic} (group {settings.analyzer_consumer_group})?",
            err=True,
        )
        return 1
    finally:
        client.close()
    if reply.get("ok"):
        _print(reply["result"])
        return 0
    _print({"type": "about:blank", **reply.get("error", {})}, error=True)
    return 1


def _via_http(name: str, params: dict[str, str], token: str, timeout: float, url: str) -> int:
    import httpx

    from shared.services.queries import REGISTRY

    query = REGISTRY.get(name)
    prefix = "admin" if query is not None and query.admin_only else "reports"
    try:
        r = httpx.get(
            f"{url.rstrip('/')}/api/{prefix}/{name}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        typer.echo(f"No answer from {url}: {exc}", err=True)
        return 1
    try:
        body = r.json()
    except ValueError:
        body = {"status": r.status_code, "detail": r.text[:500]}
    _print(body, error=r.status_code != 200)
    return 0 if r.status_code == 200 else 1


def register(app: typer.Typer) -> None:
    @app.command()
    def query(
        name: str = typer.Argument(..., help="monthly-summary, category-breakdown, budget-status, trend, top, ..."),
        param: list[str] = typer.Option([], "--param", "-p", help="A parameter as name=value; repeat as needed."),
        via: str = typer.Option("kafka", help="kafka (request/reply on the queries topic) or http."),
        user: str = typer.Option("alice", help="Whose data: the user a development token is minted for."),
        admin: bool = typer.Option(False, help="Mint the development token with the admin app role."),
        token: str = typer.Option(None, help="A bearer token to use instead of minting one."),
        timeout: float = typer.Option(10.0, help="Seconds to wait for the answer."),
        url: str = typer.Option("http://127.0.0.1:7071", help="The HTTP API, for --via http."),
        client_id: str = typer.Option(None, help="Names the private reply topic (default: user and host)."),
    ) -> None:
        """Ask the analyzer a question and print its answer as JSON."""
        if via not in ("kafka", "http"):
            raise typer.BadParameter("--via must be kafka or http")
        params = _params(param)
        if token is None:
            from cli.runner.localenv import dev_issuer

            token = dev_issuer().token(user, admin=admin)
        if via == "http":
            raise typer.Exit(_via_http(name, params, token, timeout, url))
        cid = client_id or f"cli-{getpass.getuser()}-{socket.gethostname()}"
        raise typer.Exit(_via_kafka(name, params, token, timeout, cid))
