"""Issue 11, defect 4: a staging slot never consumes production's topics nor runs the processor's timer."""

from __future__ import annotations

import json

from bicep_json import resource, variable

MODULE = "infra/modules/functionapps.bicep"
# Every non-HTTP function the four apps register (functions/*), by the name the host knows it by.
TRIGGERED = {"store_transactions", "sync_analytics", "answer_queries", "budget_alerts", "deliver_webhooks"}


def _switch(name: str) -> str:
    return f"AzureWebJobs.{name}.Disabled"


def test_staging_disables_every_non_http_trigger_and_production_enables_them(bicep):
    template = bicep(MODULE)
    staging, production = variable(template, "disabledInStaging"), variable(template, "disabledInProduction")
    assert staging == {_switch(name): "true" for name in TRIGGERED}
    assert production == {_switch(name): "false" for name in TRIGGERED}
    # The ASGI HTTP function stays on: the smoke test calls /api/health on the staging slot.
    assert _switch("http_app_func") not in staging


def test_the_switches_are_slot_settings_so_a_swap_leaves_them_with_their_slot(bicep):
    template = bicep(MODULE)
    sticky = template["resources"]["sticky"]
    assert sticky["type"] == "Microsoft.Web/sites/config"
    body = resource(template, "sticky")
    assert body["name"] == "slotConfigNames"
    assert body["properties"]["appSettingNames"] == "triggerSwitches"
    assert sorted(variable(template, "triggerSwitches")) == sorted(_switch(name) for name in TRIGGERED)


def test_each_slot_gets_its_own_values(bicep):
    template = bicep(MODULE)
    production = json.dumps(resource(template, "settings")["properties"])
    staging = json.dumps(resource(template, "stagingSettings")["properties"])
    assert "disabledInProduction" in production and "disabledInStaging" not in production
    assert "disabledInStaging" in staging and "disabledInProduction" not in staging
    assert template["resources"]["stagingSettings"]["type"] == "Microsoft.Web/sites/slots/config"


def test_only_production_publishes_snapshots(bicep):
    # Both slots mount the one share (the staging analyzer reads real snapshots for its smoke test);
    # the only writer is the processor's timer, which is off in staging.
    template = bicep(MODULE)
    assert variable(template, "disabledInStaging")[_switch("sync_analytics")] == "true"
    for name in ("mount", "stagingMount"):
        assert resource(template, name)["properties"]["analytics"]["shareName"] == "analyticsShareName"
