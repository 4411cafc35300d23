"""Issue 11, defect 5: only main deploys, with a definition no branch can edit, from an agent that
holds the only deploying identity, which can push images and update the apps and nothing more."""

from __future__ import annotations

import json
import re
import subprocess

from bicep_json import resource, variable

CASC = "infra/jenkins/casc.yaml"
ACR_PUSH = "8311e382-0749-4cb8-b61a-304f252e45ec"
WEBSITE_CONTRIBUTOR = "de139f84-1756-47ae-9be6-808fbbe84772"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"


def _casc(tool, repo) -> dict:
    code = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)"
    out = subprocess.run(
        [str(tool("python")), "-c", code, str(repo / CASC)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def _job(casc: dict, name: str) -> str:
    """One pipelineJob('<name>') { ... } block of the Job DSL script, up to the next job."""
    script = casc["jobs"][0]["script"]
    start = script.index(f"pipelineJob('{name}')")
    end = script.find("pipelineJob(", start + 1)
    return script[start : end if end > 0 else None]


def test_the_controller_runs_no_build(tool, repo):
    assert _casc(tool, repo)["jenkins"]["numExecutors"] == 0


def test_each_agent_admits_exactly_its_job(tool, repo):
    nodes = {n["permanent"]["labelString"]: n["permanent"] for n in _casc(tool, repo)["jenkins"]["nodes"]}
    assert set(nodes) == {"ci", "deploy"}
    for label, job in (("ci", "^budget$"), ("deploy", "^budget-deploy$")):
        restriction = next(
            p["jobRestrictionProperty"] for p in nodes[label]["nodeProperties"] if "jobRestrictionProperty" in p
        )
        assert restriction["jobRestriction"]["regexNameRestriction"]["regexExpression"] == job
        assert nodes[label]["launcher"]["ssh"]["credentialsId"] == "agent-ssh"
    plugins = (repo / "infra" / "jenkins" / "plugins.txt").read_text().split()
    assert "job-restrictions" in plugins and "ssh-slaves" in plugins


def test_the_deploy_job_reads_the_jenkinsfile_from_main_only(tool, repo):
    job = _job(_casc(tool, repo), "budget-deploy")
    assert "branch('refs/heads/main')" in job
    assert "refspec('+refs/heads/main:refs/remotes/origin/main')" in job
    assert "merge-requests" not in job and "gitlabSourceBranch" not in job
    assert "triggerOnMergeRequest(false)" in job
    assert "includeBranchesSpec('main')" in job and "branchFilterType('NameBasedFilter')" in job


def test_both_jobs_check_the_webhook_token_and_gitlab_sends_it(tool, repo):
    casc = _casc(tool, repo)
    for name in ("budget", "budget-deploy"):
        assert "secretToken('${GITLAB_WEBHOOK_TOKEN}')" in _job(casc, name)
    bootstrap = (repo / "infra" / "devops" / "bootstrap.sh").read_text()
    assert 'put GITLAB_WEBHOOK_TOKEN "$(secret gitlab-webhook-token)"' in bootstrap
    hooks = (repo / "infra" / "gitlab" / "configure-webhook.sh").read_text()
    assert '"token@-"' in hooks and "hook budget " in hooks and "hook budget-deploy " in hooks
    assert "protected_branches" in hooks and "push_access_level=0" in hooks


def test_the_jenkinsfile_ships_only_in_the_deploy_job_and_sets_no_triggers(repo):
    text = (repo / "Jenkinsfile").read_text()
    assert "def deploying() {\n    return env.JOB_NAME == 'budget-deploy'\n}" in text
    assert "agent { label \"${env.JOB_NAME == 'budget-deploy' ? 'deploy' : 'ci'}\" }" in text
    # Triggers belong to the controller-side job definitions, which a branch cannot edit.
    assert not re.search(r"^\s*triggers\s*\{", text, re.M)
    for stage in ("image", "migrate", "deploy staging", "smoke test", "swap"):
        body = text.split(f"stage('{stage}')", 1)[1][:200]
        assert "when { expression { deploying() } }" in body, stage


def test_builds_cannot_bind_the_gitlab_api_token_or_the_agent_key(tool, repo):
    creds = _casc(tool, repo)["credentials"]["system"]["domainCredentials"][0]["credentials"]
    scopes = {next(iter(c.values()))["id"]: next(iter(c.values()))["scope"] for c in creds}
    assert scopes["gitlab-api-token"] == "SYSTEM" and scopes["agent-ssh"] == "SYSTEM"
    clone = next(c["usernamePassword"] for c in creds if "usernamePassword" in c)
    assert clone["password"] == "${GITLAB_READ_TOKEN}"


def test_the_deploy_identity_can_push_and_deploy_and_nothing_else(bicep):
    registry = bicep("infra/modules/registry.bicep")
    push = resource(registry, "push")
    assert (push["scope"], push["properties"]["principalId"]) == ("registry", "pushPrincipalId")
    assert variable(registry, "acrPush") == ACR_PUSH
    apps = bicep("infra/modules/functionapps.bicep")
    deployer = resource(apps, "deployer")
    assert deployer["properties"]["principalId"] == "deployPrincipalId"
    assert deployer["scope"]["operator"]["operands"] == {"operand_1": "app", "operand_2": "i"}
    assert variable(apps, "websiteContributor") == WEBSITE_CONTRIBUTOR
    main = bicep("infra/main.bicep")["modules"]
    uses = [m for m in main.values() if "deployPrincipalId" in json.dumps(m["config"]["params"])]
    assert {m["detail"]["path"] for m in uses} == {"modules/registry.bicep", "modules/functionapps.bicep"}


def test_the_devops_vm_reads_its_secrets_and_cannot_deploy(repo, bicep):
    template = bicep("infra/modules/devops-vm.bicep")
    assignments = [r for r in template["resources"].values() if r["type"] == "Microsoft.Authorization/roleAssignments"]
    assert len(assignments) == 1
    assert variable(template, "secretsUser") == SECRETS_USER
    text = (repo / "infra" / "modules" / "devops-vm.bicep").read_text()
    assert ACR_PUSH not in text and WEBSITE_CONTRIBUTOR not in text


def test_only_the_deploy_agent_carries_identities(bicep):
    agents = variable(bicep("infra/modules/build-agents.bicep"), "agents")
    identities = {a["name"]: a["identity"] for a in agents}
    assert identities["ci"] == {"type": "None"}
    assert {k.strip("'") for k in identities["deploy"]["userAssignedIdentities"]} == {
        "${deployIdentityId}",
        "${migratorIdentityId}",
    }
