"""The Jenkinsfile only runs what this repo defines: make targets and scripts that exist."""

from __future__ import annotations

import re
import shlex
import subprocess

# sh 'cmd', sh "cmd", sh('cmd'), sh(script: 'cmd'), and the triple-quoted forms.
SH_STEP = re.compile(
    r"""\bsh\s*\(?\s*(?:script\s*:\s*)?('''|\"\"\"|'|")(?P<cmd>.*?)\1""",
    re.DOTALL,
)
STAGE = re.compile(r"""\bstage\s*\(\s*'([^']+)'\s*\)""")
STATUS = re.compile(r"""gitlabCommitStatus\s*\(\s*name\s*:\s*'([^']+)'""")
TARGET = re.compile(r"^([a-z][a-z0-9_.-]*):", re.MULTILINE)
BUILDS = re.compile(r"gitlabBuilds\s*\(\s*builds\s*:\s*\[(.*?)\]", re.DOTALL)
MAKE_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _jenkinsfile(repo) -> str:
    return (repo / "Jenkinsfile").read_text()


def _make_targets(repo) -> set[str]:
    # make's own database (-p) sees the Makefile and every mk/*.mk exactly as make does.
    out = subprocess.run(
        ["make", "-pRrq", ":"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return set(TARGET.findall(out))


def _commands(repo) -> list[str]:
    steps = [m.group("cmd").strip() for m in SH_STEP.finditer(_jenkinsfile(repo))]
    assert steps, "no sh steps found: has the Jenkinsfile's syntax drifted?"
    commands = []
    for step in steps:
        commands += [c.strip() for c in re.split(r"&&|\|\||;|\n", step) if c.strip()]
    return commands


def test_every_sh_step_is_a_make_target_or_a_repo_script(repo):
    targets = _make_targets(repo)
    assert "install" in targets, "could not read make's database"
    for command in _commands(repo):
        words = shlex.split(command)
        if words[0] == "make":
            named = [w for w in words[1:] if not w.startswith("-")]
            named = [w for w in named if not MAKE_ASSIGNMENT.match(w)]
            assert named, f"`{command}` names no target"
            missing = [t for t in named if t not in targets]
            assert not missing, f"`{command}`: no make target {missing}"
        else:
            script = words[1] if words[0] in {"bash", "sh", "python3"} else words[0]
            assert script.startswith("scripts/"), f"`{command}` is not a repo command"
            assert (repo / script).is_file(), f"`{command}`: {script} does not exist"


def test_each_stage_reports_its_commit_status_to_gitlab(repo):
    text = _jenkinsfile(repo)
    stages = [s for s in STAGE.findall(text) if s != "checkout"]
    assert STATUS.findall(text) == stages
    announced = BUILDS.search(text)
    assert announced is not None
    assert re.findall(r"'([^']+)'", announced.group(1)) == stages


def test_the_pipeline_has_the_stages_the_delivery_needs(repo):
    stages = STAGE.findall(_jenkinsfile(repo))
    assert stages == [
        "checkout",
        "install",
        "lint",
        "unit tests",
        "integration tests",
        "image",
        "migrate",
        "deploy staging",
        "smoke test",
        "swap",
    ]


def test_gitlab_push_and_merge_request_trigger_the_build(repo):
    # The triggers live in the controller-side job definitions (infra/jenkins/casc.yaml), where a
    # branch cannot change them; tests/delivery/test_pipeline_trust.py checks the deploy job's.
    casc = (repo / "infra" / "jenkins" / "casc.yaml").read_text()
    tests_job = casc.split("pipelineJob('budget')", 1)[1].split("pipelineJob(", 1)[0]
    assert "triggerOnPush(true)" in tests_job
    assert "triggerOnMergeRequest(true)" in tests_job


def test_success_and_failure_both_notify(repo):
    post = _jenkinsfile(repo).split("\n    post {", 1)[1]
    for outcome in ("success", "failure"):
        block = re.search(rf"\b{outcome}\s*\{{(.*?)\}}", post, re.DOTALL)
        assert block is not None and f"notify('{outcome}')" in block.group(1)
    assert "make notify STATUS=" in _jenkinsfile(repo)


def test_no_secret_is_written_into_the_jenkinsfile(repo):
    text = _jenkinsfile(repo)
    assert "credentialsId: 'notify-webhook-url'" in text
    assert not re.search(r"(?i)(password|secret|token)\s*[:=]\s*['\"][^'\"$]", text)
    assert "hooks.slack.com" not in text and "webhook.office.com" not in text
