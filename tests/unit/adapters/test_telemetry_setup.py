"""Where telemetry goes, from the settings alone: Application Insights, an OTLP collector, or nowhere."""

from __future__ import annotations

from shared.adapters.telemetry.setup import _credential, exporter_for, service_name


def test_application_insights_wins_then_otlp_then_nothing(settings):
    assert exporter_for(settings) == "none"
    otlp = settings.model_copy(update={"otel_exporter_otlp_endpoint": "http://127.0.0.1:4318"})
    assert exporter_for(otlp) == "otlp"
    both = otlp.model_copy(update={"applicationinsights_connection_string": "InstrumentationKey=00000000-0000"})
    assert exporter_for(both) == "azure-monitor"


def test_the_service_name_is_the_setting_or_names_the_services_hosted(settings):
    assert service_name(settings) == "budget"
    assert service_name(settings.model_copy(update={"services": "storage"})) == "budget-storage"
    assert service_name(settings.model_copy(update={"services": "receiver,storage"})) == "budget-receiver-storage"
    assert service_name(settings.model_copy(update={"otel_service_name": "budget-eu"})) == "budget-eu"


def test_application_insights_signs_in_as_the_apps_managed_identity(settings):
    from azure.identity import ManagedIdentityCredential

    assert _credential(settings) is None  # then the exporter reads APPLICATIONINSIGHTS_AUTHENTICATION_STRING itself
    credential = _credential(settings.model_copy(update={"azure_client_id": "11111111-2222-3333-4444-555555555555"}))
    assert isinstance(credential, ManagedIdentityCredential)
