"""Bank-file imports over HTTP (hosted by the receiver's app and by the storage app).

POST /api/imports takes the file as the body, whatever its content type (or multipart/form-data, field `file`),
and answers 202 once the broker has every row's event. A dry run's preview reads the stored rows, so only an app
hosting storage answers it; the receiver's app alone (in Azure) redirects it there with 307, which keeps the
method and makes the client send the body again. GET /api/imports/{id} is the import's outcome.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette import formparsers
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from functions.deps import Caller, RootDep
from functions.errors import JsonResponse
from functions.import_models import OUTCOME_RESPONSES, POST_RESPONSES, REQUEST_BODY, ImportAccepted, ImportOutcome
from shared.adapters.bankfiles import CsvOptions
from shared.adapters.mysql.import_reads import SqlImportReads
from shared.bootstrap import Root
from shared.problems import Problem
from shared.services.imports import MAX_FILE_BYTES, ImportOptions, Imports, read_file

router = APIRouter(prefix="/api", tags=["imports"])
_MULTIPART_OVERHEAD = 64 * 1024  # a form's boundaries and part headers around the file
_COLUMN = {"max_length": 100}


class ImportParams(BaseModel):
    """How to read the file and what to do with it; the column names map a CSV's header when it is not recognised."""

    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID = Field(description="Your account the file is a statement of.")
    format: Literal["auto", "csv", "ofx", "qfx", "qif", "camt053"] = "auto"
    dry_run: bool = Field(False, description="Answer 200 with a preview and record nothing.")
    skip_invalid: bool = Field(False, description="Record the readable rows and list the others.")
    match: bool = Field(True, description="Link rows to your hand-entered transactions of the same amount (±5 days).")
    date_format: str | None = Field(None, max_length=20, description="DD.MM.YYYY, MM/DD/YYYY, DD/MM/YYYY, YYYY-MM-DD")
    delimiter: str | None = Field(None, max_length=9, description="A CSV's delimiter: , ; | or tab")
    decimal: Literal[",", "."] | None = Field(None, description="A CSV's or QIF's decimal mark")
    date_column: str | None = Field(None, **_COLUMN)
    amount_column: str | None = Field(None, **_COLUMN)
    debit_column: str | None = Field(None, **_COLUMN)
    credit_column: str | None = Field(None, **_COLUMN)
    description_column: str | None = Field(None, **_COLUMN)
    payee_column: str | None = Field(None, **_COLUMN)
    reference_column: str | None = Field(None, **_COLUMN)
    currency_column: str | None = Field(None, **_COLUMN)

    def options(self) -> ImportOptions:
        csv = CsvOptions(**self.model_dump(exclude={"account_id", "format", "dry_run", "skip_invalid", "match"}))
        return ImportOptions(format=self.format, csv=csv, skip_invalid=self.skip_invalid, match=self.match)


def _storage_elsewhere(root: Root, request: Request) -> RedirectResponse | None:
    """307 to the storage app when this app does not host storage; None when it does."""
    if "storage" in root.settings.enabled_services:
        return None
    base = root.settings.dashboard_api_urls.get("storage")
    if not base:
        raise Problem(503, "This app does not host storage, and no storage app is configured (DashboardApiUrls).")
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(base.rstrip("/") + request.url.path + query, status_code=307)


@router.post(
    "/imports",
    summary="Import a bank file (CSV, OFX/QFX, QIF, camt.053) into an account",
    status_code=202,
    response_model=ImportAccepted,
    response_description="Accepted: the broker has every row's event; the import's outcome at its operation",
    responses=POST_RESPONSES,
    operation_id="import_file",
    openapi_extra={"requestBody": REQUEST_BODY, "x-body-limit": MAX_FILE_BYTES},
)
async def import_file(
    request: Request, caller: Caller, root: RootDep, params: Annotated[ImportParams, Query()]
) -> JsonResponse | RedirectResponse:
    if params.dry_run and (elsewhere := _storage_elsewhere(root, request)):
        return elsewhere
    data = await _file(request)
    options = params.options()
    parsed = await run_in_threadpool(read_file, data, options)
    if params.dry_run:
        reads = SqlImportReads(root.engine)
        preview = await run_in_threadpool(Imports.preview, reads, caller.user_id, params.account_id, parsed, options)
        return JsonResponse(preview)
    imports = Imports(publisher=root.publisher, topic=root.settings.transactions_topic)
    prepared = await run_in_threadpool(imports.prepare, caller.user_id, params.account_id, parsed, options)
    accepted = await imports.publish(prepared)
    op = str(accepted.import_id)
    body = {"import_id": op, "operation": op, "rows": accepted.rows, "status": "accepted"}
    if params.skip_invalid:
        body["skipped"] = accepted.skipped
    storage = root.settings.dashboard_api_urls.get("storage", "").rstrip("/")  # in Azure: another app's origin
    return JsonResponse(body, 202, {"Location": f"{storage}/api/operations/{op}"})


@router.get(
    "/imports/{id}",
    summary="An import's outcome: rows new, already there, matched and rejected",
    response_model=ImportOutcome,
    responses=OUTCOME_RESPONSES,
    operation_id="get_import",
)
async def get_import(
    id: Annotated[str, Path(json_schema_extra={"format": "uuid"})],
    request: Request,
    caller: Caller,
    root: RootDep,
    wait: Annotated[float, Query(ge=0, le=10, description="Seconds to wait for the outcome, at most 10")] = 0,
) -> JsonResponse | RedirectResponse:
    if elsewhere := _storage_elsewhere(root, request):
        return elsewhere
    storage = root.storage
    if wait:
        op = await storage.wait_for_operation(caller.user_id, id, wait_s=wait)
    else:
        op = await run_in_threadpool(storage.get_operation, caller.user_id, id)
    if op.get("type", "import") != "import":
        raise Problem(404, "No such import among yours.")
    matched = op.get("matched", 0)
    outcome = {
        "id": op["id"],
        "status": op["status"],
        "rows": op.get("expected"),
        "new": op["applied"] - matched,
        "matched": matched,
        "duplicates": op["duplicates"],
        "rejected": op["rejected"],
    }
    if "rejected_items" in op:
        outcome["rejected_items"] = op["rejected_items"]
    return JsonResponse(outcome)


async def _file(request: Request) -> bytes:
    """The file: the whole body, or a form's `file` field; 413 past the limit, read no further than that."""
    multipart = (request.headers.get("content-type") or "").lower().startswith("multipart/form-data")
    limit = MAX_FILE_BYTES + (_MULTIPART_OVERHEAD if multipart else 0)
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large()
        chunks.append(chunk)
    body = b"".join(chunks)
    if not multipart:
        return body
    data = await _form_file(request, body)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large()
    return data


async def _form_file(request: Request, body: bytes) -> bytes:
    """The `file` field of a multipart/form-data body already read (python-multipart parses it, via Starlette)."""

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    if formparsers.parse_options_header is None:  # python-multipart is not installed
        raise Problem(415, "Send the bank's file as the whole body: this server reads no multipart/form-data.")
    try:
        form = await Request(request.scope, receive).form(max_files=1, max_fields=20)
    except (formparsers.MultiPartException, HTTPException) as err:  # HTTPException: Starlette's 400 inside an app
        reason = getattr(err, "message", None) or getattr(err, "detail", "")
        raise Problem(400, f"The multipart/form-data body cannot be read: {reason}") from None
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise Problem(400, "Send the bank's file in the form field `file` (or as the whole body).")
    try:
        return await upload.read()
    finally:
        await form.close()


def _too_large() -> Problem:
    mib = MAX_FILE_BYTES // (1024 * 1024)
    return Problem(
        413,
        f"The file is over the limit: send at most {MAX_FILE_BYTES:,} bytes ({mib} MiB) at once. "
        "`budget import` splits a larger file at day boundaries by itself.",
        limit=MAX_FILE_BYTES,
    )
