#!/usr/bin/env bash
# Look up the server, its Entra admin and the five identities, then run apply_grants.py with the
# repo's .venv (`make install`). Run from the repo root on the deploy agent (inside the virtual
# network), signed in with `az login` as a member of the MySQL admin group (docs/deploy.md, step 9).
#   bash infra/mysql/apply-grants.sh RESOURCE_GROUP PREFIX
set -euo pipefail

rg=${1:?resource group}
prefix=${2:?prefix}
server="$prefix-mysql"
host=$(az mysql flexible-server show -g "$rg" -n "$server" --query fullyQualifiedDomainName -o tsv)
admin=$(az mysql flexible-server ad-admin show -g "$rg" -s "$server" --query login -o tsv)
pairs=()
for name in receiver storage processor analyzer migrator; do
  pairs+=("$name=$(az identity show -g "$rg" -n "$prefix-$name" --query clientId -o tsv)")
done
exec .venv/bin/python infra/mysql/apply_grants.py --host "$host" --admin "$admin" --prefix "$prefix" "${pairs[@]}"
