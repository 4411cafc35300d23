"""The four Function Apps as the Functions host indexes them, built from the code, and the app settings
infra/modules/functionapps.bicep gives each: what the delivery checks compare."""

from __future__ import annotations

import re
import tempfile
from functools import cache
from pathlib import Path

from bicep_json import variable

from cli.runner.index import IndexedFunction, index
from functions.app import build
from shared.bootstrap import Root
from shared.settings import Settings

APPS = "infra/modules/functionapps.bicep"
SLOTS = ("productionSlot", "stagingSlot")
_REFERENCE = re.compile(r"%([^%]+)%")
# Binding properties whose value the host reads as the name of an app setting (the Kafka extension's
# [AppSetting] properties); the others (topic, consumerGroup, schedule) may hold %Name% references.
_SETTING_NAMED = ("brokerList", "username", "password")
# Nothing is written there (the database and the store are opened lazily); removed when the session ends.
_STATE = tempfile.TemporaryDirectory(prefix="delivery-apps-")


@cache
def functions(service: str) -> tuple[IndexedFunction, ...]:
    """The app's functions as the host indexes them, with Event Hubs' transport (so the triggers' sign-in shows)."""
    state = Path(_STATE.name)
    settings = Settings(
        BudgetServices=service,
        KafkaBrokerList="budget.servicebus.windows.net:9093",
        KafkaSecurityProtocol="SASL_SSL",
        KafkaSaslMechanism="OAUTHBEARER",
        DATABASE_URL=f"sqlite:///{state / 'budget.db'}",
        AuthIssuer="https://login.microsoftonline.com/tenant/v2.0",
        AuthAudience="client-id",
        AuthJwksUrl="https://login.microsoftonline.com/tenant/discovery/v2.0/keys",
        AnalyticsStorePath=str(state / "analytics.db"),
    )
    _, app = build(Root(settings))
    return tuple(index(app))


def non_http(service: str) -> set[str]:
    """Names of the app's functions that are not its HTTP function: what staging must switch off."""
    return {f.name for f in functions(service) if f.kind != "httpTrigger"}


def settings_named(function: IndexedFunction) -> set[str]:
    """Every app setting a function's trigger binding names, which the host resolves at start."""
    names = set()
    for key, value in function.trigger.items():
        if not isinstance(value, str):
            continue
        names.update(_REFERENCE.findall(value))
        sign_in = key.startswith("oAuthBearer") and key != "oAuthBearerMethod"
        if key in _SETTING_NAMED or sign_in:
            names.add(value)
    return names


def app_settings(template: dict, service: str, slot: str = "productionSlot") -> dict:
    """The app settings of one app's slot, composed as the settings resources do (test_app_settings checks how)."""
    composed = dict(variable(template, "common"))
    composed.update(template["variables"]["identitySettings"]["value"]["config"])
    composed.update(variable(template, "serviceSettings")[service])
    if service in variable(template, "analyticsServices"):
        composed.update(variable(template, "shareKeySetting"))
    composed.update(variable(template, slot)[service])
    return composed
