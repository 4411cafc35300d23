"""Every Dockerfile in the repo passes hadolint, and the images keep their promises."""

from __future__ import annotations

import re
import subprocess

DOCKERFILES = ("Dockerfile", "Dockerfile.runner")


def test_every_dockerfile_is_listed(repo):
    found = sorted(p.name for p in repo.glob("Dockerfile*"))
    assert found == sorted(DOCKERFILES), "a new Dockerfile must join the checks below"


def test_hadolint_passes_on_every_dockerfile(repo, tool):
    hadolint = tool("hadolint")
    result = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", *DOCKERFILES],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_function_image_is_the_pinned_functions_base(repo):
    lines = (repo / "Dockerfile").read_text().splitlines()
    last = [line for line in lines if line.startswith("FROM ")][-1]
    assert last == "FROM mcr.microsoft.com/azure-functions/python:4-python3.11"


def test_function_image_carries_the_dashboard_built_by_a_pinned_node(repo):
    lines = (repo / "Dockerfile").read_text().splitlines()
    stages = [line for line in lines if line.startswith("FROM ")]
    assert re.fullmatch(r"FROM node:20\.\d+\.\d+-bookworm-slim AS web", stages[0])
    assert "RUN npm ci --no-audit --no-fund" in lines and "RUN npm run build" in lines
    assert "COPY --from=web /web/dist /home/site/wwwroot/web/dist" in lines


def test_runner_image_runs_as_non_root(repo):
    lines = (repo / "Dockerfile.runner").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}


def test_build_context_excludes_local_state(repo):
    lines = (repo / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    # Deny-all first, then allow what the images copy: new files stay out by default.
    assert rules[0] == "**"
    assert "local.settings.json" in rules
