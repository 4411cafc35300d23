"""Issue 11, defect 4: a staging slot never consumes production's topics nor runs a timer; the switches are the
functions the code registers, so a renamed function fails here instead of consuming from staging."""

from __future__ import annotations

import json

import azure.functions as func
from bicep_json import resource, variable
from function_apps import APPS, functions, non_http

from shared.settings import SERVICES


def _switch(name: str) -> str:
    return f"AzureWebJobs.{name}.Disabled"


def _unswitched(template: dict, service: str, names: set[str]) -> dict[str, set[str]]:
    """What the Bicep and the code disagree on, per slot: switches of no function, functions with no switch."""
    differences = {}
    for slot in ("productionSlot", "stagingSlot"):
        switches = {k for k in variable(template, slot)[service] if k.startswith("AzureWebJobs.")}
        wanted = {_switch(name) for name in names}
        if switches != wanted:
            differences[slot] = switches ^ wanted
    return differences


def test_every_non_http_function_of_every_app_has_its_switch(bicep):
    template = bicep(APPS)
    for service in SERVICES:
        assert not _unswitched(template, service, non_http(service)), service
    everything = set().union(*(non_http(s) for s in SERVICES))
    # Both kinds are there: Kafka triggers consume production's topics, timers run production's jobs.
    kinds = {f.kind for s in SERVICES for f in functions(s) if f.name in everything}
    assert kinds == {"kafkaTrigger", "timerTrigger"}


def test_staging_switches_them_off_and_production_on(bicep):
    template = bicep(APPS)
    for service in SERVICES:
        names = non_http(service)
        staging, production = variable(template, "stagingSlot")[service], variable(template, "productionSlot")[service]
        assert {_switch(n): staging[_switch(n)] for n in names} == {_switch(n): "true" for n in names}
        assert {_switch(n): production[_switch(n)] for n in names} == {_switch(n): "false" for n in names}
        # The ASGI HTTP function stays on: the smoke test calls /api/health on the staging slot.
        assert "http_app_func" in {f.name for f in functions(service)}
        assert _switch("http_app_func") not in staging


def test_a_function_renamed_in_the_code_fails_the_check(bicep):
    # The check itself, on a real index: an app that registers one more timer than the Bicep switches.
    template = bicep(APPS)
    bp = func.Blueprint()

    @bp.timer_trigger(arg_name="timer", schedule="%SyncSchedule%")
    def sync_analytics_v2(timer: func.TimerRequest) -> None:
        """A stand-in for a renamed function."""

    app = func.FunctionApp()
    app.register_functions(bp)
    renamed = {f.get_function_name() for f in app.get_functions()}
    assert _unswitched(template, "processor", renamed) == {
        "productionSlot": {_switch("sync_analytics"), _switch("sync_analytics_v2")},
        "stagingSlot": {_switch("sync_analytics"), _switch("sync_analytics_v2")},
    }


def test_what_differs_between_slots_is_a_slot_setting_so_a_swap_leaves_it_with_its_slot(bicep):
    template = bicep(APPS)
    sticky = template["resources"]["sticky"]
    assert sticky["type"] == "Microsoft.Web/sites/config"
    body = resource(template, "sticky")
    assert body["name"] == "slotConfigNames"
    assert json.dumps(body["properties"]["appSettingNames"]) == json.dumps(
        {"operator": {"type": "index_accessor", "operands": {"operand_1": "slotSettingNames", "operand_2": "service"}}}
    )
    names = variable(template, "slotSettingNames")
    for service in SERVICES:
        assert sorted(names[service]) == sorted(variable(template, "productionSlot")[service]), service
        assert sorted(names[service]) == sorted(variable(template, "stagingSlot")[service]), service


def test_each_slot_gets_its_own_values(bicep):
    template = bicep(APPS)
    production = json.dumps(resource(template, "settings")["properties"])
    staging = json.dumps(resource(template, "stagingSettings")["properties"])
    assert "productionSlot" in production and "stagingSlot" not in production
    assert "stagingSlot" in staging and "productionSlot" not in staging
    assert template["resources"]["stagingSettings"]["type"] == "Microsoft.Web/sites/slots/config"


def test_only_production_publishes_snapshots(bicep):
    # Both slots mount the one share (the staging analyzer reads real snapshots for its smoke test);
    # the only writer is the processor's timer, which is off in staging.
    template = bicep(APPS)
    assert variable(template, "stagingSlot")["processor"][_switch("sync_analytics")] == "true"
    for name in ("mount", "stagingMount"):
        assert resource(template, name)["properties"]["analytics"]["shareName"] == "analyticsShareName"
