"""local_kafka/docker-compose.yml is valid Compose and speaks the settings the code reads."""

from __future__ import annotations

import json
import re
import subprocess

from function_apps import functions, settings_named

from shared.settings import SERVICES, Settings

COMPOSE = "local_kafka/docker-compose.yml"
SCHEMA = "infra/schemas/compose-spec.json"
# Names the Azure Functions host or its SDKs read, not our Settings.
AZURE_NAMES = {
    "FUNCTIONS_WORKER_RUNTIME",
    "AzureWebJobsStorage",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _validate(tool, repo, path):
    return subprocess.run(
        [str(tool("check-jsonschema")), "--schemafile", str(repo / SCHEMA), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def _load(tool, repo) -> dict:
    # PyYAML lives in the tools venv (checkov brings it); it resolves the `<<` merge keys.
    code = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)"
    out = subprocess.run(
        [str(tool("python")), "-c", code, str(repo / COMPOSE)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _app_services(compose: dict) -> dict[str, dict[str, str]]:
    return {
        name: service["environment"]
        for name, service in compose["services"].items()
        if "BudgetServices" in service.get("environment", {})
    }


def _aliases() -> dict[str, bool]:
    """Each setting's app-setting name, and whether the code insists on it."""
    names = {}
    for field in Settings.model_fields.values():
        for alias in field.validation_alias.choices:
            names[alias] = field.is_required()
    return names


def _interpolate(match: re.Match) -> str:
    """${VAR:-default} gives its default, ${VAR:?message} (a secret) a stand-in value."""
    return "local-test" if ":?" in match.group(0) else match.group(2) or ""


def test_compose_file_matches_the_compose_specification(tool, repo):
    result = _validate(tool, repo, repo / COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_an_invalid_file(tool, repo, tmp_path):
    # Proves the validator is really applying the schema, not accepting anything.
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  kafka:\n    restart_policy: 3\n")
    assert _validate(tool, repo, broken).returncode != 0


def test_each_service_runs_once_with_its_own_budget_services(tool, repo):
    apps = _app_services(_load(tool, repo))
    assert sorted(env["BudgetServices"] for env in apps.values()) == sorted(SERVICES)
    assert all(name == env["BudgetServices"] for name, env in apps.items())


def test_environment_names_are_the_settings_the_code_reads(tool, repo):
    known = set(_aliases()) | AZURE_NAMES
    for name, env in _app_services(_load(tool, repo)).items():
        unknown = sorted(set(env) - known)
        assert not unknown, f"{name} sets names no code reads: {unknown}"


def test_every_required_setting_is_given(tool, repo):
    required = {alias for alias, needed in _aliases().items() if needed}
    for name, env in _app_services(_load(tool, repo)).items():
        missing = sorted(required - set(env))
        assert not missing, f"{name} lacks required settings: {missing}"


def test_each_service_sets_what_its_functions_bindings_name(tool, repo):
    # The runner resolves a binding's %Name% through Settings: a name missing here silently takes its default.
    aliases = set(_aliases())
    for name, env in _app_services(_load(tool, repo)).items():
        named = set().union(*(settings_named(f) for f in functions(name))) & aliases
        assert named or name == "receiver", name  # every other service has a trigger
        missing = sorted(named - set(env))
        assert not missing, f"{name} lacks what its functions' bindings name: {missing}"
    receiver = _app_services(_load(tool, repo))["receiver"]
    assert set(json.loads(receiver["DashboardApiUrls"])) == {"storage", "analyzer"}


def test_the_settings_accept_the_compose_values(tool, repo):
    for env in _app_services(_load(tool, repo)).values():
        values = {k: INTERPOLATION.sub(_interpolate, str(v)) for k, v in env.items()}
        settings = Settings(**values)
        assert settings.enabled_services == (env["BudgetServices"],)
