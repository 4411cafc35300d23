"""Settings come from the environment (Azure app settings) and refuse unsafe or incomplete values."""

import pytest
from pydantic import ValidationError

from shared.bootstrap import Root
from shared.settings import SERVICES, Settings

REQUIRED = {
    "KafkaBrokerList": "127.0.0.1:9092",
    "DATABASE_URL": "sqlite:///budget.db",
    "AuthIssuer": "https://login.example/tenant/v2.0",
    "AuthAudience": "api://budget",
    "AuthJwksUrl": "https://login.example/tenant/discovery/v2.0/keys",
}
# Every app setting the code reads: cleared first, so nothing set by an earlier test session leaks in.
OPTIONAL = [alias for f in Settings.model_fields.values() for alias in f.validation_alias.choices]


@pytest.fixture
def env(monkeypatch):
    """A complete, valid environment; tests change one thing at a time."""
    for name in OPTIONAL:
        monkeypatch.delenv(name, raising=False)
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def refusal(env) -> str:
    with pytest.raises(ValidationError) as info:
        Settings()
    return str(info.value)


def test_a_complete_environment_gives_settings_with_defaults(env):
    s = Settings()
    assert s.kafka_broker_list == "127.0.0.1:9092"
    assert s.transactions_topic == "transactions"
    assert s.kafka_security_protocol == "PLAINTEXT"
    assert s.enabled_services == SERVICES


def test_the_composition_root_reads_the_settings_once(env):
    root = Root()
    first = root.settings
    env.setenv("KafkaBrokerList", "elsewhere:9092")
    assert root.settings is first
    assert Root().settings.kafka_broker_list == "elsewhere:9092"


def test_every_missing_required_setting_is_named(env):
    for name in REQUIRED:
        env.delenv(name)
    message = refusal(env)
    for name in REQUIRED:
        assert name in message


@pytest.mark.parametrize("missing", list(REQUIRED))
def test_a_single_missing_setting_is_named(env, missing):
    env.delenv(missing)
    assert missing in refusal(env)


@pytest.mark.parametrize("url", ["postgresql://h/db", "mysql://h/db", "sqlite://relative.db", "budget.db"])
def test_unsupported_database_urls_are_refused(env, url):
    env.setenv("DATABASE_URL", url)
    assert "DATABASE_URL must be mysql+pymysql://... or sqlite:///path" in refusal(env)


def test_mysql_urls_are_accepted(env):
    env.setenv("DATABASE_URL", "mysql+pymysql://budget@db.example:3306/budget")
    assert Settings().database_url.startswith("mysql+pymysql://")


@pytest.mark.parametrize("missing", ["KafkaUsername", "KafkaPassword"])
def test_sasl_ssl_with_plain_needs_username_and_password(env, missing):
    env.setenv("KafkaSecurityProtocol", "SASL_SSL")
    env.setenv("KafkaSaslMechanism", "PLAIN")
    env.setenv("KafkaUsername", "$ConnectionString")
    env.setenv("KafkaPassword", "Endpoint=sb://x/;SharedAccessKey=y")
    env.delenv(missing)
    assert "KafkaUsername and KafkaPassword are required" in refusal(env)


def test_sasl_ssl_with_plain_and_credentials_is_accepted(env):
    env.setenv("KafkaSecurityProtocol", "SASL_SSL")
    env.setenv("KafkaUsername", "$ConnectionString")
    env.setenv("KafkaPassword", "Endpoint=sb://x/;SharedAccessKey=y")
    assert Settings().kafka_sasl_mechanism == "PLAIN"


def test_sasl_ssl_with_oauthbearer_needs_no_password(env):
    env.setenv("KafkaSecurityProtocol", "SASL_SSL")
    env.setenv("KafkaSaslMechanism", "OAUTHBEARER")
    assert Settings().kafka_password is None


@pytest.mark.parametrize(
    ("name", "value"), [("KafkaSecurityProtocol", "SASL_PLAINTEXT"), ("KafkaSaslMechanism", "GSSAPI")]
)
def test_unknown_transport_values_are_refused(env, name, value):
    env.setenv(name, value)
    assert name in refusal(env)


def test_a_delivery_timeout_below_one_second_is_refused(env):
    env.setenv("KafkaDeliveryTimeoutMs", "500")
    assert "KafkaDeliveryTimeoutMs" in refusal(env)


@pytest.mark.parametrize(
    "url",
    [
        "https://login.example/keys",
        "file:///srv/issuer/jwks.json",
        "http://127.0.0.1:8080/jwks.json",
        "http://localhost:8080/jwks.json",
    ],
)
def test_jwks_over_https_file_or_loopback_http_is_accepted(env, url):
    env.setenv("AuthJwksUrl", url)
    assert Settings().auth_jwks_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://login.example/keys",
        "http://10.0.0.5/keys",
        # A host name that merely starts like a loopback name is not loopback.
        "http://localhost.attacker.example/keys",
        "http://127.0.0.1.attacker.example/keys",
        # Schemes compare case-insensitively; urlopen fetches these over plain HTTP or FTP.
        "HTTP://login.example/keys",
        "ftp://login.example/keys",
    ],
)
def test_jwks_over_an_insecure_transport_is_refused(env, url):
    env.setenv("AuthJwksUrl", url)
    assert "AuthJwksUrl must use https" in refusal(env)


@pytest.mark.parametrize("value", ["receiver,nope", "Receiver", "all", ",", "receiver;storage"])
def test_unknown_service_names_are_refused_naming_the_known_ones(env, value):
    env.setenv("BudgetServices", value)
    message = refusal(env)
    assert "BudgetServices must name some of receiver, storage, processor, analyzer" in message


def test_services_are_named_with_spaces_allowed(env):
    env.setenv("BudgetServices", " receiver , storage ")
    assert Settings().enabled_services == ("receiver", "storage")


def test_all_services_are_enabled_by_default(env):
    assert Settings().enabled_services == SERVICES


def test_an_empty_budget_services_setting_means_all_four(env):
    env.setenv("BudgetServices", "")
    assert Settings().enabled_services == SERVICES


def test_settings_are_immutable(env):
    with pytest.raises(ValidationError):
        Settings().transactions_topic = "other"  # type: ignore[misc]


def test_settings_can_be_built_from_keyword_names_in_tests():
    s = Settings(
        kafka_broker_list="b:9092",
        database_url="sqlite:///x.db",
        auth_issuer="i",
        auth_audience="a",
        auth_jwks_url="file:///k.json",
    )
    assert s.kafka_broker_list == "b:9092"
