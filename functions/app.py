"""The function app for a composition root: the HTTP API as one ASGI function, and the hosted services' triggers."""

from __future__ import annotations

import azure.functions as func
from fastapi import FastAPI

from functions import analyzer, processor, rates, storage, webhooks
from functions.api import create_api
from shared.bootstrap import Root

_TRIGGERS = {
    "storage": (storage.triggers, rates.triggers),  # rates are reference data in storage's database
    "processor": (processor.triggers,),
    "analyzer": (analyzer.triggers, webhooks.triggers),  # webhook delivery runs beside the alerts it announces
}


def build(root: Root) -> tuple[FastAPI, func.AsgiFunctionApp]:
    """The FastAPI app and the Function App wrapping it; BudgetServices picks the services hosted."""
    services = root.settings.enabled_services
    api = create_api(root, services)
    app = func.AsgiFunctionApp(app=api, http_auth_level=func.AuthLevel.ANONYMOUS)
    for name in services:
        for triggers in _TRIGGERS.get(name, ()):
            app.register_functions(triggers(root))
    return api, app
