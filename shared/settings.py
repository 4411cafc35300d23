"""The one settings object, read from the environment (Azure app settings); the composition root reads it once."""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("receiver", "storage", "processor", "analyzer")


def _parse_services(value: str) -> tuple[str, ...]:
    """Comma-separated service names; empty means all four (one rule for both readers)."""
    names = tuple(s.strip() for s in (value or ",".join(SERVICES)).split(",") if s.strip())
    unknown = sorted(set(names) - set(SERVICES))
    if unknown or not names:
        raise ValueError(f"BudgetServices must name some of {', '.join(SERVICES)}; got {value!r}")
    return names


def _alias(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Every knob the four services read; the alias is the app-setting name Azure and Docker use."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    services: str = Field(",".join(SERVICES), validation_alias=_alias("BudgetServices"))

    # Kafka / Event Hubs
    kafka_broker_list: str = Field(validation_alias=_alias("KafkaBrokerList"))
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL", "SSL"] = Field(
        "PLAINTEXT", validation_alias=_alias("KafkaSecurityProtocol")
    )
    kafka_sasl_mechanism: Literal["PLAIN", "OAUTHBEARER"] = Field(
        "PLAIN", validation_alias=_alias("KafkaSaslMechanism")
    )
    kafka_username: str | None = Field(None, validation_alias=_alias("KafkaUsername"))
    kafka_password: str | None = Field(None, validation_alias=_alias("KafkaPassword"))
    kafka_delivery_timeout_ms: int = Field(10_000, ge=1_000, validation_alias=_alias("KafkaDeliveryTimeoutMs"))
    transactions_topic: str = Field("transactions", validation_alias=_alias("TransactionsTopic"))
    dead_letter_topic: str = Field("transactions.dlt", validation_alias=_alias("DeadLetterTopic"))
    queries_topic: str = Field("queries", validation_alias=_alias("QueriesTopic"))
    results_topic: str = Field("query-results", validation_alias=_alias("ResultsTopic"))
    alerts_topic: str = Field("budget-alerts", validation_alias=_alias("AlertsTopic"))
    # What storage applied, in commit order (an outbox relayed after each batch): alerts and webhooks read it.
    changes_topic: str = Field("changes", validation_alias=_alias("ChangesTopic"))
    storage_consumer_group: str = Field("storage", validation_alias=_alias("StorageConsumerGroup"))
    analyzer_consumer_group: str = Field("analyzer", validation_alias=_alias("AnalyzerConsumerGroup"))
    alerts_consumer_group: str = Field("analyzer-alerts", validation_alias=_alias("AlertsConsumerGroup"))
    webhooks_consumer_group: str = Field("webhooks", validation_alias=_alias("WebhooksConsumerGroup"))
    # Records of events already applied are kept this long: it must exceed the topics' retention (7 days on
    # Event Hubs), or a redelivery older than the records would be applied a second time.
    processed_events_retention_days: int = Field(14, ge=1, validation_alias=_alias("ProcessedEventsRetentionDays"))

    # MySQL (Azure Database for MySQL) or, for the embedded default, an SQLite file
    database_url: str = Field(validation_alias=_alias("DATABASE_URL"))
    database_ssl_ca: str | None = Field(None, validation_alias=_alias("DatabaseSslCa"))
    database_auth_mode: Literal["password", "entra"] = Field("password", validation_alias=_alias("DatabaseAuthMode"))
    azure_client_id: str | None = Field(None, validation_alias=_alias("AZURE_CLIENT_ID"))

    # Identity: Entra ID in Azure, the local development issuer otherwise
    auth_issuer: str = Field(validation_alias=_alias("AuthIssuer"))
    auth_audience: str = Field(validation_alias=_alias("AuthAudience"))
    auth_jwks_url: str = Field(validation_alias=_alias("AuthJwksUrl"))
    auth_admin_role: str = Field("Budget.Admin", validation_alias=_alias("AuthAdminRole"))
    auth_token_cache_size: int = Field(10_000, ge=0, validation_alias=_alias("AuthTokenCacheSize"))  # LRU; 0: off
    # The dashboard's Entra ID sign-in (one app registration is both the SPA and the API): its client id and the
    # delegated scope it asks for. Unset locally, where the development issuer's sign-in form is used.
    auth_client_id: str | None = Field(None, validation_alias=_alias("AuthClientId"))
    auth_scope: str | None = Field(None, validation_alias=_alias("AuthScope"))
    # Where the dashboard finds each service's API when they are separate Function Apps (JSON object, e.g.
    # {"storage": "https://budget-storage.azurewebsites.net"}); empty: every API is on the dashboard's origin.
    dashboard_api_urls: dict[str, str] = Field(default_factory=dict, validation_alias=_alias("DashboardApiUrls"))

    # Telemetry: Application Insights in Azure, an OTLP endpoint when one is configured, else the console.
    applicationinsights_connection_string: str | None = Field(
        None, validation_alias=_alias("APPLICATIONINSIGHTS_CONNECTION_STRING")
    )
    otel_service_name: str | None = Field(None, validation_alias=_alias("OTEL_SERVICE_NAME"))
    otel_exporter_otlp_endpoint: str | None = Field(None, validation_alias=_alias("OTEL_EXPORTER_OTLP_ENDPOINT"))

    # Processor / analyzer
    sync_schedule: str = Field("0 */1 * * * *", validation_alias=_alias("SyncSchedule"))
    webhooks_retry_schedule: str = Field("0 */1 * * * *", validation_alias=_alias("WebhooksRetrySchedule"))
    # Exchange rates: the ECB publishes its reference rates around 16:00 CET on working days (UTC schedule).
    rates_schedule: str = Field("0 0 16,17 * * 1-5", validation_alias=_alias("RatesSchedule"))
    ecb_daily_url: str = Field(
        "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml", validation_alias=_alias("EcbDailyUrl")
    )
    ecb_90day_url: str = Field(
        "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml", validation_alias=_alias("Ecb90DayUrl")
    )
    analytics_store_path: str = Field(".budget/analytics.db", validation_alias=_alias("AnalyticsStorePath"))
    # Where the processor publishes immutable snapshots for an analyzer on another host (docs/analytics-store.md);
    # empty: the analyzer reads AnalyticsStorePath itself, as on one machine.
    analytics_snapshot_dir: str = Field("", validation_alias=_alias("AnalyticsSnapshotDir"))
    analytics_snapshot_min_interval_s: int = Field(300, ge=0, validation_alias=_alias("AnalyticsSnapshotMinIntervalS"))
    # A full load of the store (a new instance, a rebuild) stops starting steps after this many seconds of a timer
    # run and resumes at the next: under host.json's functionTimeout (10 minutes), with room for the sync and the
    # publication that follow the load's last step.
    analytics_load_budget_s: float = Field(420, gt=0, validation_alias=_alias("AnalyticsLoadBudgetS"))

    @field_validator("services")
    @classmethod
    def _known_services(cls, value: str) -> str:
        return ",".join(_parse_services(value))

    @field_validator("dashboard_api_urls", mode="before")
    @classmethod
    def _json_object(cls, value: object) -> object:
        # From the environment pydantic-settings parses JSON itself; given as a string (a runner, a test), here.
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("mysql+pymysql://", "sqlite:///", "sqlite+pysqlite:///")):
            raise ValueError("DATABASE_URL must be mysql+pymysql://... or sqlite:///path")
        return value

    @model_validator(mode="after")
    def _secure_transport(self) -> Settings:
        plain = self.kafka_security_protocol == "SASL_SSL" and self.kafka_sasl_mechanism == "PLAIN"
        if plain and not (self.kafka_username and self.kafka_password):
            raise ValueError("KafkaUsername and KafkaPassword are required for SASL_SSL with PLAIN")
        jwks = urlsplit(self.auth_jwks_url)
        scheme = jwks.scheme.lower()
        loopback_http = scheme == "http" and jwks.hostname in ("localhost", "127.0.0.1", "::1")
        if scheme not in ("https", "file") and not loopback_http:
            raise ValueError("AuthJwksUrl must use https (file:// or loopback http only for the local issuer)")
        return self

    @property
    def enabled_services(self) -> tuple[str, ...]:
        return tuple(self.services.split(","))

    @property
    def analytics_read_path(self) -> str:
        """What the analyzer reads: the published snapshots (AnalyticsSnapshotDir) when set, else the store."""
        return self.analytics_snapshot_dir or self.analytics_store_path
