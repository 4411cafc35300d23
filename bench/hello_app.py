"""The baseline app: one hello-world POST endpoint on FastAPI, served by the same server and worker settings."""

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()


@app.post("/api/hello", status_code=202)
async def hello(request: Request) -> Response:
    await request.body()
    return Response(b'{"status":"accepted"}', status_code=202, media_type="application/json")


def create() -> FastAPI:
    return app
