"""The app settings infra/modules/functionapps.bicep gives each app are the settings its code reads
(shared/settings.py and the bindings of its functions), plus names the platform reads; nothing stale."""

from __future__ import annotations

from urllib.parse import urlsplit

from bicep_json import expr, resource, variable
from function_apps import APPS, SLOTS, app_settings, functions, non_http, settings_named

from shared.settings import SERVICES, Settings

# Names App Service, the Functions host or its extensions read, never Settings, each with its reason.
PLATFORM = {
    "FUNCTIONS_EXTENSION_VERSION": "the host's major version",
    "FUNCTIONS_WORKER_RUNTIME": "the language worker",
    "WEBSITES_ENABLE_APP_SERVICE_STORAGE": "no /home content share for a container",
    "AzureWebJobsStorage__accountName": "host storage (timer leases, Kafka checkpoints) by identity",
    "AzureWebJobsStorage__credential": "the same",
    "AzureWebJobsStorage__clientId": "the same",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "the host's own telemetry with Entra ID",
    "AnalyticsShareKey": "the Azure Files mount's @AppSettingRef",
}
# What the review found each app must have (beyond what every app has), by the code that reads it.
READS = {
    "receiver": {"DashboardApiUrls", "AuthClientId", "AuthScope"},  # dashboard, the 202's Location
    "storage": {
        "ChangesTopic",
        "DeadLetterTopic",
        "ProcessedEventsRetentionDays",
        "RatesSchedule",
        "EcbDailyUrl",
        "Ecb90DayUrl",
    },  # fmt: skip
    "processor": {"SyncSchedule", "AnalyticsStorePath", "AnalyticsSnapshotDir", "AnalyticsSnapshotMinIntervalS"},
    "analyzer": {
        "ChangesTopic",
        "WebhooksConsumerGroup",
        "WebhooksRetrySchedule",
        "AnalyticsSnapshotDir",
        "ResultsTopic",
        "AlertsTopic",
    },  # fmt: skip
}
EVERY_APP = {
    "BudgetServices",
    "OTEL_SERVICE_NAME",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "AZURE_CLIENT_ID",
    # MySQL: storage's rows, the analyzer's alert state and webhook deliveries, and every /api/health.
    "DATABASE_URL",
    "DatabaseAuthMode",
    "DatabaseSslCa",
}


def _aliases() -> dict[str, bool]:
    """Each setting's app-setting name, and whether the code insists on it."""
    return {alias: f.is_required() for f in Settings.model_fields.values() for alias in f.validation_alias.choices}


def _named_by_bindings(service: str) -> set[str]:
    return set().union(*(settings_named(f) for f in functions(service)))


def test_the_settings_resources_compose_what_these_checks_read(bicep):
    # app_settings() in function_apps.py composes the same variables in the same order.
    template = bicep(APPS)
    for name, slot in (("settings", "productionSlot"), ("stagingSettings", "stagingSlot")):
        assert expr(resource(template, name)["properties"]) == f"union(common, perApp[i], {slot}[service])"
    per_app = template["variables"]["perApp"]["value"]["config"]
    analytics = "contains(analyticsServices, service) ? shareKeySetting : {}"
    assert expr(per_app) == f"union(identitySettings[i], serviceSettings[service], {analytics})"
    assert sorted(variable(template, "serviceSettings")) == sorted(SERVICES)


def test_every_name_is_one_the_code_or_the_platform_reads(bicep):
    template = bicep(APPS)
    known = set(_aliases()) | set(PLATFORM)
    for service in SERVICES:
        switches = {f"AzureWebJobs.{name}.Disabled" for name in non_http(service)}
        for slot in SLOTS:
            names = set(app_settings(template, service, slot))
            stale = sorted(names - known - _named_by_bindings(service) - switches)
            assert not stale, f"{service} ({slot}) sets names nothing reads: {stale}"


def test_every_setting_a_binding_names_is_set_on_its_app(bicep):
    template = bicep(APPS)
    for service in SERVICES:
        for slot in SLOTS:
            missing = sorted(_named_by_bindings(service) - set(app_settings(template, service, slot)))
            assert not missing, f"{service} ({slot}) lacks what its functions' bindings name: {missing}"


def test_every_app_has_the_required_settings_and_what_its_code_reads(bicep):
    template = bicep(APPS)
    required = {alias for alias, needed in _aliases().items() if needed}
    for service in SERVICES:
        for slot in SLOTS:
            names = set(app_settings(template, service, slot))
            missing = sorted((required | EVERY_APP | READS[service]) - names)
            assert not missing, f"{service} ({slot}) lacks {missing}"
    analyzer = app_settings(template, "analyzer")
    assert analyzer["DatabaseAuthMode"] == "entra" and analyzer["DATABASE_URL"].startswith("mysql+pymysql://")


def test_schedules_are_six_field_ncrontab(bicep):
    template = bicep(APPS)
    for service in SERVICES:
        settings = app_settings(template, service)
        for f in functions(service):
            if f.kind == "timerTrigger":
                schedule = settings[f.trigger["schedule"].strip("%")]
                assert len(schedule.split()) == 6, (f.name, schedule)


def test_the_storage_app_can_fetch_the_ecb_files(bicep):
    settings = app_settings(bicep(APPS), "storage")
    for name, field in (("EcbDailyUrl", "ecb_daily_url"), ("Ecb90DayUrl", "ecb_90day_url")):
        url = urlsplit(settings[name])
        assert (url.scheme, url.hostname) == ("https", "www.ecb.europa.eu"), name
        assert settings[name] == Settings.model_fields[field].default
    # Out through the NAT gateway: the apps' subnet has it, and its NSG closes only the virtual network.
    network = bicep("infra/modules/network.bicep")
    [apps] = [s for s in resource(network, "vnet")["properties"]["subnets"] if s["name"] == "apps"]
    assert expr(apps["properties"]["natGateway"]["id"]) == "nat.id"
    rules = [variable(network, name) for name in resource(network, "appsNsg")["properties"]["securityRules"]]
    for rule in (r["properties"] for r in rules):
        if rule["direction"] == "Outbound" and rule["access"] == "Deny":
            assert rule["destinationAddressPrefix"] == "VirtualNetwork"
