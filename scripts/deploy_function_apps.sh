#!/usr/bin/env bash
# Blue/green for the four Function Apps: new image into each staging slot, smoke-test, swap.
# A swap keeps the previous image in the staging slot, so swapping again is the rollback.
# The staging slot's non-HTTP functions are off by slot settings (AzureWebJobs.<function>.Disabled,
# infra/modules/functionapps.bicep): the new image serves /api/health there without consuming
# production's topics or running the timers; the swap gives it production's settings (functions
# on) and the old image, now in staging, stops consuming.
# Runs on the deploy agent as its deploy identity (Website Contributor on the four apps only).
#   deploy_function_apps.sh staging RESOURCE_GROUP APP_PREFIX IMAGE
#   deploy_function_apps.sh smoke   RESOURCE_GROUP APP_PREFIX staging|production
#   deploy_function_apps.sh swap    RESOURCE_GROUP APP_PREFIX
set -euo pipefail

SERVICES=(receiver storage processor analyzer)
action=${1:?action: staging|smoke|swap}
rg=${2:?resource group}
prefix=${3:?app prefix}
here=$(cd "$(dirname "$0")" && pwd)

case "$action" in
  staging)
    image=${4:?image}
    for svc in "${SERVICES[@]}"; do
      app="$prefix-$svc"
      echo "==> $app/staging <- $image"
      az functionapp config container set --name "$app" --resource-group "$rg" --slot staging \
        --image "$image" --output none
      az functionapp restart --name "$app" --resource-group "$rg" --slot staging --output none
    done
    ;;
  smoke)
    slot=${4:?slot: staging|production}
    slot_args=()
    if [[ "$slot" != production ]]; then
      slot_args=(--slot "$slot")
    fi
    for svc in "${SERVICES[@]}"; do
      app="$prefix-$svc"
      host=$(az functionapp show --name "$app" --resource-group "$rg" "${slot_args[@]}" \
        --query defaultHostName --output tsv)
      python3 "$here/smoke_health.py" "https://$host/api/health"
    done
    ;;
  swap)
    # One app at a time and storage before its producers would not help: topics decouple them,
    # and each image reads the same settings, so the order is only for readable logs. Each swap
    # first restarts the staging instances with production's slot settings (triggers on), then
    # exchanges the slots; the schema was migrated before any of this (Jenkinsfile, stage migrate).
    for svc in "${SERVICES[@]}"; do
      app="$prefix-$svc"
      echo "==> swap $app staging <-> production"
      az functionapp deployment slot swap --name "$app" --resource-group "$rg" \
        --slot staging --target-slot production --output none
    done
    ;;
  *)
    echo "unknown action: $action" >&2
    exit 2
    ;;
esac
