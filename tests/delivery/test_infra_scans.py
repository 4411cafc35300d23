"""Every .bicep parses, and checkov finds nothing unfixed or unexplained in infra/ and the images."""

from __future__ import annotations

import json
import os
import re
import subprocess

SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+)(:?)\s*(.*)")
# checkov reads Bicep with pycep, which predates `extension` statements and reports the Graph modules
# as parsing errors; checkov has no check for Microsoft.Graph resources anyway. Those files are
# parsed by scripts/check_bicep.py instead, and must stay Graph-only so nothing else hides there.
GRAPH_ONLY = ("infra/modules/appregistration.bicep", "infra/modules/triggerregistrations.bicep")


def _checkov(tool, repo, *target: str) -> list[dict]:
    result = subprocess.run(
        [
            str(tool("checkov")),
            *target,
            "--framework",
            "bicep",
            "dockerfile",
            "secrets",
            "--quiet",
            "--compact",
            "--skip-download",
            "--output",
            "json",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        # No call home for guideline mappings: the machine may be offline.
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.stdout.strip(), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{c['check_id']} {c['resource']} {c['file_path']}" for r in reports for c in r["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert all(r["summary"]["parsing_errors"] == 0 for r in reports)
    return reports


def test_every_bicep_file_parses(tool, repo):
    result = subprocess.run(
        [str(tool("python")), "scripts/check_bicep.py", "infra"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["files"] == len(list((repo / "infra").rglob("*.bicep")))


def test_checkov_passes_on_infra(tool, repo):
    skips = [arg for path in GRAPH_ONLY for arg in ("--skip-path", path)]
    reports = _checkov(tool, repo, "--directory", "infra", *skips)
    kinds = {r["check_type"] for r in reports}
    assert "bicep" in kinds
    bicep = next(r for r in reports if r["check_type"] == "bicep")
    assert bicep["summary"]["passed"] > 0


def test_the_files_checkov_cannot_read_hold_only_graph_resources(repo, bicep):
    for path in GRAPH_ONLY:
        resources = bicep(path)["resources"].values()
        assert resources and all(r["type"].startswith("Microsoft.Graph/") for r in resources), path
    # And every file with an extension statement is one of them: checkov reads all the others.
    extended = {
        str(p.relative_to(repo))
        for p in (repo / "infra").rglob("*.bicep")
        if any(line.startswith("extension ") for line in p.read_text().splitlines())
    }
    assert extended == set(GRAPH_ONLY)


def test_the_parse_check_refuses_an_undeclared_extension(tool, repo, tmp_path):
    # Proves the offline extension check is applied, not skipped.
    (tmp_path / "bicepconfig.json").write_text('{"extensions": {}}')
    (tmp_path / "t.bicep").write_text("extension microsoftGraphV1\n\nparam p string\n")
    result = subprocess.run(
        [str(tool("python")), "scripts/check_bicep.py", str(tmp_path)],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "not declared in bicepconfig.json" in result.stdout


def test_checkov_passes_on_the_dockerfiles(tool, repo):
    reports = _checkov(tool, repo, "--file", "Dockerfile", "--file", "Dockerfile.runner")
    docker = next(r for r in reports if r["check_type"] == "dockerfile")
    assert docker["summary"]["passed"] > 0


def test_every_skip_gives_its_reason(repo):
    files = [
        *(repo / "infra").rglob("*"),
        repo / "Dockerfile",
        repo / "Dockerfile.runner",
    ]
    for path in (p for p in files if p.is_file() and p.suffix != ".json"):
        for line in path.read_text(errors="ignore").splitlines():
            match = SKIP.search(line)
            if match:
                reason = match.group(3)
                assert match.group(2) == ":" and len(reason) > 15, f"{path}: {line}"
