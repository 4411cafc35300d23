#!/usr/bin/env bash
# Point the budget project at its two Jenkins jobs over loopback, each hook carrying the secret
# token the job's trigger checks (infra/jenkins/casc.yaml), and protect main so that only a
# reviewed merge request changes the Jenkinsfile the deploy job runs. Run once on the DevOps VM
# after the project exists (docs/deploy.md, step 8), as root: the admin token never reaches a build
# (builds run on the agents). Needs, in the environment:
#   GITLAB_URL, GITLAB_ADMIN_TOKEN (admin API token), GITLAB_WEBHOOK_TOKEN (the same value Jenkins has)
#   configure-webhook.sh GROUP/PROJECT [JENKINS_LOCAL_URL]
set -euo pipefail

project=${1:?GROUP/PROJECT}
jenkins=${2:-http://127.0.0.1:8080}
: "${GITLAB_URL:?}" "${GITLAB_ADMIN_TOKEN:?}" "${GITLAB_WEBHOOK_TOKEN:?}"
api="$GITLAB_URL/api/v4"
encoded=${project//\//%2F}
# The admin token travels in a header read from a fresh file descriptor on every call, never on
# the command line (where ps would show it).
gl() { curl -fsS --header @<(printf 'PRIVATE-TOKEN: %s\n' "$GITLAB_ADMIN_TOKEN") "$@"; }

# Allow exactly Jenkins' loopback address as a webhook target, nothing else local.
gl --request PUT "$api/application/settings" \
  --data-urlencode "outbound_local_requests_allowlist_raw=127.0.0.1:8080" >/dev/null

# hook JOB EVENTS...: create or update the hook that triggers Jenkins job JOB.
hook() {
  local job=$1 events=$2 existing method=POST path
  local url="$jenkins/project/$job"
  existing=$(gl "$api/projects/$encoded/hooks" |
    python3 -c 'import json,sys; print(next((str(h["id"]) for h in json.load(sys.stdin) if h["url"] == sys.argv[1]), ""))' "$url")
  path="$api/projects/$encoded/hooks"
  if [[ -n "$existing" ]]; then
    method=PUT
    path="$path/$existing"
  fi
  # printf, not <<<: a here-string would add a newline, and GitLab would send a token Jenkins rejects.
  printf '%s' "$GITLAB_WEBHOOK_TOKEN" |
    gl --request "$method" "$path" \
      --data-urlencode "url=$url" \
      --data-urlencode "token@-" \
      --data "$events&enable_ssl_verification=false" >/dev/null
  echo "webhook for $project -> $url ($method)"
}

# Tests: pushes to any branch and merge requests.
hook budget "push_events=true&merge_requests_events=true"
# Deploys: pushes to main only (the job's own branch filter says the same).
hook budget-deploy "push_events=true&push_events_branch_filter=main&merge_requests_events=false"

# main: nobody pushes, maintainers merge, no force push. Re-created so the levels are exactly these.
gl --request DELETE "$api/projects/$encoded/protected_branches/main" >/dev/null 2>&1 || true
gl --request POST \
  "$api/projects/$encoded/protected_branches" \
  --data "name=main&push_access_level=0&merge_access_level=40&allow_force_push=false" >/dev/null
echo "main protected: no direct pushes, merges by maintainers"
