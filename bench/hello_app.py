"""The baseline function app: one hello-world POST function, served by the same runner and server."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["POST"])
async def hello(req: func.HttpRequest) -> func.HttpResponse:
    req.get_body()
    return func.HttpResponse(b'{"status":"accepted"}', status_code=202, mimetype="application/json")


def create():
    from cli.runner.http import FunctionsAsgi

    return FunctionsAsgi(app)
