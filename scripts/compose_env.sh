#!/usr/bin/env bash
# Write local_kafka/.env with random passwords once, so the compose file carries no credentials and
# every developer's local database has its own. An existing file is left alone (data stays usable).
set -euo pipefail

target=${1:?usage: compose_env.sh PATH}
if [[ -f "$target" ]]; then
  exit 0
fi
umask 077
{
  echo "# Local-only passwords for local_kafka/docker-compose.yml, made by scripts/compose_env.sh."
  echo "MYSQL_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  echo "MYSQL_ROOT_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
} >"$target"
echo "wrote $target"
