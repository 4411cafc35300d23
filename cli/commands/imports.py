"""`budget import FILE --account ID`: a bank statement through POST /api/imports, with a progress bar (rows parsed,
accepted by the broker, stored) and a summary (new, duplicates, matched, rejected).

The file is read here first, with the server's own parsers: bad lines are named before anything is sent, and a
file over the server's limit is sent in parts of whole days (import_parts.py). Progress goes to stderr; the
summary (or a dry run's preview) to stdout; a refusal or a rejected row to stderr with exit status 1.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from cli.commands.write import _TOKEN, _URL, _USER, _bearer, _call, _print

_NAMES = ("date", "amount", "debit", "credit", "description", "payee", "reference", "currency")


def _mapping(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or name.strip() not in _NAMES or not column.strip():
            raise typer.BadParameter(f"--map takes name=column with a name of {', '.join(_NAMES)}; got {pair!r}")
        out[f"{name.strip()}_column"] = column.strip()
    return out


def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The bank's export."),
    account: str = typer.Option(..., "--account", help="The id of your account the file is a statement of."),
    file_format: str = typer.Option("auto", "--format", help="auto, csv, ofx, qfx, qif or camt053"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be imported; record nothing."),
    mapping: list[str] = typer.Option([], "--map", help="A CSV column for a role, e.g. --map date=Buchungstag."),
    date_format: str = typer.Option(None, help="DD.MM.YYYY, MM/DD/YYYY, DD/MM/YYYY or YYYY-MM-DD"),
    decimal: str = typer.Option(None, help="The decimal mark of a CSV or QIF: ',' or '.'"),
    delimiter: str = typer.Option(None, help="A CSV's delimiter: ',', ';', '|' or tab"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the readable rows, list the others."),
    match: bool = typer.Option(True, "--match/--no-match", help="Link rows to your hand-entered transactions."),
    wait: bool = typer.Option(False, "--wait", help="Follow the import until every row is stored; print a summary."),
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = typer.Option(600.0, help="Seconds to wait for answers, and with --wait for the rows."),
    max_request_bytes: int = typer.Option(
        None, min=1_024, help="The largest file to send in one request (default: the server's limit, 10 MiB)."
    ),
) -> None:
    """Import a bank file (CSV, OFX/QFX, QIF, camt.053) into one of your accounts."""
    from rich.console import Console

    from cli.commands.import_progress import Tracker, summary
    from shared.adapters.bankfiles import CsvOptions, UnreadableFile, parse
    from shared.services.imports import MAX_FILE_BYTES, MAX_ROWS

    columns = _mapping(mapping)
    given = {"date_format": date_format, "decimal": decimal, "delimiter": delimiter}
    options = {k: v for k, v in given.items() if v is not None} | columns
    err = Console(stderr=True)
    data = file.read_bytes()
    with Tracker(err) as tracker:
        try:
            parsed = parse(data, format=file_format, csv=CsvOptions(**options))
        except (UnreadableFile, ValueError) as exc:
            err.print(f"The file cannot be read: {exc}")
            raise typer.Exit(1) from None
        tracker.parsed(len(parsed.rows) + len(parsed.errors))
        if parsed.errors and not skip_invalid:
            tracker.stop()
            detail = f"{len(parsed.errors)} line(s) cannot be imported; nothing was sent. Correct them, or pass "
            _print(
                {"detail": detail + "--skip-invalid to import the others.", "errors": _errors(parsed.errors)},
                error=True,
            )
            raise typer.Exit(1)
        params = {"account_id": account, "format": file_format, **options, "dry_run": dry_run,
                  "skip_invalid": skip_invalid, "match": match}  # fmt: skip
        parts = [(data, len(parsed.rows), params)]
        limit = min(max_request_bytes or MAX_FILE_BYTES, MAX_FILE_BYTES)
        if len(data) > limit or len(parsed.rows) > MAX_ROWS:
            from cli.commands.import_parts import PART_PARAMS, split_by_day

            common = {**params, **PART_PARAMS}
            try:
                parts = [(text, n, common) for text, n in split_by_day(parsed.rows, max_bytes=limit,
                                                                     max_rows=MAX_ROWS)]  # fmt: skip
            except ValueError as exc:
                err.print(f"The file cannot be split by day: {exc}")
                raise typer.Exit(1) from None
        bearer = _bearer(user, token)
        answers = []
        for text, rows, part_params in parts:
            answers.append(_call("POST", url, "/api/imports", bearer, timeout, params=part_params, content=text,
                                 follow_redirects=True))  # fmt: skip
            tracker.accepted(rows if not dry_run else 0)
        if dry_run:
            tracker.stop()
            _print(_merged(answers, parsed.format))
            return
        if not wait:
            tracker.stop()
            _print(answers[0] if len(answers) == 1 else {"imports": answers})
            return
        outcomes = _follow(answers, tracker, url=url, token=bearer, timeout=timeout)
    Console().print(summary(outcomes))
    if any(o["status"] == "pending" for o in outcomes):
        typer.echo(f"Still being stored after {timeout:g}s: is storage consuming?", err=True)
        raise typer.Exit(1)
    for outcome in outcomes:
        for item in outcome.get("rejected_items") or ():
            typer.echo(f"Rejected: {item['reason'].get('detail')}", err=True)
    if any(o["rejected"] for o in outcomes):
        raise typer.Exit(1)


def _errors(errors) -> list[dict]:
    return [{"line": e.line, "reason": e.reason} for e in errors]


def _follow(answers: list[dict], tracker, *, url: str, token: str, timeout: float) -> list[dict]:
    """Each part's outcome once every row of it is stored (or as it stands at the deadline), counting rows stored."""
    deadline = time.monotonic() + timeout
    outcomes = [{"status": "pending", "new": 0, "matched": 0, "duplicates": 0, "rejected": 0} for _ in answers]
    while True:
        for i, answer in enumerate(answers):
            if outcomes[i]["status"] == "pending":
                outcomes[i] = _call("GET", url, f"/api/imports/{answer['import_id']}", token, 30,
                                    follow_redirects=True)  # fmt: skip
        tracker.stored(sum(o["new"] + o["matched"] + o["duplicates"] + o["rejected"] for o in outcomes))
        if all(o["status"] != "pending" for o in outcomes) or time.monotonic() > deadline:
            return outcomes
        time.sleep(0.25)


def _merged(previews: list[dict], file_format: str) -> dict:
    """One preview of a file sent in parts."""
    if len(previews) == 1:
        return previews[0]
    merged = {"format": file_format, "account": previews[0]["account"]}
    for key in ("rows", "new", "duplicates", "matched", "rejected"):
        merged[key] = sum(p[key] for p in previews)
    for key in ("errors", "transactions", "matches"):
        merged[key] = [item for p in previews for item in p[key]]
    merged["transactions"] = merged["transactions"][:50]
    return merged


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)
