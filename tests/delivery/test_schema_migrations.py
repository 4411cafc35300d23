"""Issue 11, defect 2: the pipeline migrates MySQL before deploying, as the one user allowed DDL."""

from __future__ import annotations

import re
import subprocess

from test_jenkinsfile_steps import STAGE

DML = {"SELECT", "INSERT", "UPDATE", "DELETE"}
DDL = {"CREATE", "ALTER", "DROP", "INDEX", "REFERENCES"}
GRANT = re.compile(
    r"^GRANT\s+(?P<privileges>[A-Z ,]+?)\s+ON\s+`budget`\.\*\s+TO\s+'\$\{PREFIX\}-(?P<user>[a-z]+)'@'%'", re.M
)


def _grants(repo) -> dict[str, set[str]]:
    text = (repo / "infra" / "mysql" / "grants.sql.tmpl").read_text()
    sql = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return {m["user"]: {p.strip() for p in m["privileges"].split(",")} for m in GRANT.finditer(sql)}


def test_migrations_run_after_the_image_and_before_any_deployment(repo):
    text = (repo / "Jenkinsfile").read_text()
    stages = STAGE.findall(text)
    assert stages.index("image") < stages.index("migrate") < stages.index("deploy staging")
    body = text.split("stage('migrate')", 1)[1].split("stage('deploy staging')", 1)[0]
    assert "when { expression { deploying() } }" in body
    assert "sh 'make migrate-azure'" in body


def test_the_migrate_target_signs_in_as_the_migrator(repo):
    out = subprocess.run(
        # --no-print-directory: run from `make test` (MAKELEVEL 1), make would announce its directory.
        [
            "make",
            "-n",
            "--no-print-directory",
            "migrate-azure",
            "MYSQL_HOST=db.example",
            "MIGRATOR_CLIENT_ID=cid",
            "APP_PREFIX=p",
        ],  # fmt: skip
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 'DATABASE_URL="mysql+pymysql://p-migrator@db.example:3306/budget"' in out
    assert "DatabaseAuthMode=entra" in out
    assert 'AZURE_CLIENT_ID="cid"' in out
    assert out.rstrip().endswith(".venv/bin/budget migrate")


def test_the_apps_may_change_rows_but_never_the_schema(repo):
    grants = _grants(repo)
    assert set(grants) == {"receiver", "storage", "processor", "analyzer", "migrator"}
    for app in ("receiver", "storage", "processor", "analyzer"):
        assert grants[app] == DML, app
    assert grants["migrator"] >= DDL
    text = (repo / "infra" / "mysql" / "grants.sql.tmpl").read_text()
    # Every user first loses what it had (the old runbook granted ALL), so the file is the whole truth.
    for user in grants:
        assert f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM '${{PREFIX}}-{user}'@'%';" in text


def test_nothing_else_grants_the_apps_more(repo):
    paths = [*(repo / "infra").rglob("*"), repo / "docs" / "deploy.md", repo / "mk" / "delivery.mk"]
    for path in (p for p in paths if p.is_file()):
        text = path.read_text(errors="ignore")
        assert not re.search(r"GRANT\s+ALL", text, re.I), path


def test_the_runbook_applies_the_grants_and_explains_expand_contract(repo):
    text = (repo / "docs" / "deploy.md").read_text()
    assert "infra/mysql/apply-grants.sh" in text
    assert "expand" in text.lower() and "contract" in text.lower()
    assert "make migrate-azure" in text
