#!/usr/bin/env bash
# Point the budget project's push and merge-request events at the Jenkins job, over loopback.
# Run once on the DevOps VM after the project exists (docs/deploy.md). Needs, in the environment:
#   GITLAB_URL, GITLAB_ADMIN_TOKEN (admin API token), GITLAB_WEBHOOK_TOKEN (shared with nobody else)
#   configure-webhook.sh GROUP/PROJECT [JENKINS_LOCAL_URL]
set -euo pipefail

project=${1:?GROUP/PROJECT}
jenkins=${2:-http://127.0.0.1:8080}
: "${GITLAB_URL:?}" "${GITLAB_ADMIN_TOKEN:?}" "${GITLAB_WEBHOOK_TOKEN:?}"
api="$GITLAB_URL/api/v4"
encoded=${project//\//%2F}
# The token travels in a header read from stdin-free curl config, never on the command line.
auth=(--header @<(printf 'PRIVATE-TOKEN: %s\n' "$GITLAB_ADMIN_TOKEN"))

# Allow exactly Jenkins' loopback address as a webhook target, nothing else local.
curl -fsS "${auth[@]}" --request PUT "$api/application/settings" \
  --data-urlencode "outbound_local_requests_allowlist_raw=127.0.0.1:8080" >/dev/null

hook_url="$jenkins/project/budget"
existing=$(curl -fsS "${auth[@]}" "$api/projects/$encoded/hooks" |
  python3 -c 'import json,sys; print(next((str(h["id"]) for h in json.load(sys.stdin) if h["url"] == sys.argv[1]), ""))' "$hook_url")
method=POST
path="$api/projects/$encoded/hooks"
if [[ -n "$existing" ]]; then
  method=PUT
  path="$path/$existing"
fi
curl -fsS "${auth[@]}" --request "$method" "$path" \
  --data-urlencode "url=$hook_url" \
  --data-urlencode "token@/dev/stdin" \
  --data "push_events=true&merge_requests_events=true&enable_ssl_verification=false" \
  <<<"$GITLAB_WEBHOOK_TOKEN" >/dev/null
echo "webhook for $project -> $hook_url ($method)"
