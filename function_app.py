"""The Azure Functions app: one blueprint per service; BudgetServices picks the ones this app hosts."""

import azure.functions as func

from functions import analyzer, platform, processor, receiver, storage
from shared.settings import enabled_services

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(platform.bp)
for name, service in {"receiver": receiver, "storage": storage, "processor": processor, "analyzer": analyzer}.items():
    if name in enabled_services():
        app.register_functions(service.bp)
