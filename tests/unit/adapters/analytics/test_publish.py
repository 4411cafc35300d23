"""The rules of snapshot publishing that need no file: names, manifests, when to publish, what to prune."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.analytics.manifest import (
    Layer,
    Listing,
    Manifest,
    Shard,
    data_name,
    due,
    manifest_name,
    parse_name,
    stale_temps,
    to_prune,
    unreferenced,
)
from shared.adapters.analytics.sharding import shard_of, user_hash
from shared.settings import Settings

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _published(*minutes: int):
    return [parse_name(manifest_name(10 + m, T0 + timedelta(minutes=m))) for m in minutes]


def test_a_manifest_name_carries_its_watermark_and_publication_time():
    name = manifest_name(1234, T0)

    assert name == "manifest-1234-20260301T120000123456Z.json"
    parsed = parse_name(name)
    assert (parsed.name, parsed.watermark, parsed.published_at, parsed.legacy) == (name, 1234, T0, False)


def test_a_whole_snapshot_file_from_before_shards_is_still_understood():
    parsed = parse_name("analytics-77-20260301T120000123456Z.db")

    assert parsed is not None and parsed.legacy and parsed.watermark == 77


@pytest.mark.parametrize(
    "name",
    ["CURRENT", ".manifest-1-20260301T120000123456Z.json.tmp", "manifest-x-20260301T120000123456Z.json", "a/../b"],
)
def test_anything_else_in_the_directory_is_not_a_publication(name):
    assert parse_name(name) is None


def test_the_first_snapshot_is_always_due():
    assert due(0, None, min_interval_s=300, now=T0)


def test_a_snapshot_is_due_when_the_store_moved_on_and_the_last_one_is_old_enough():
    current = parse_name(manifest_name(5, T0))

    assert due(6, current, min_interval_s=300, now=T0 + timedelta(seconds=300))
    assert not due(6, current, min_interval_s=300, now=T0 + timedelta(seconds=299))  # at most once per interval
    assert not due(5, current, min_interval_s=300, now=T0 + timedelta(days=1))  # nothing new to publish


def test_a_rebuild_below_the_published_watermark_is_published_too():
    assert due(3, parse_name(manifest_name(5, T0)), min_interval_s=0, now=T0)


def test_pruning_keeps_the_newest_and_waits_a_grace_period_after_each_was_superseded():
    published = _published(0, 10, 20, 30, 31)
    now = T0 + timedelta(minutes=31)

    doomed = to_prune(published, current=published[-1].name, keep=3, grace_s=300, now=now)

    # minute 0 was superseded at minute 10 (21 min ago): gone; minute 10 was superseded at minute 20: gone.
    assert doomed == published[:2]
    # Minutes 20 and 30 were superseded a moment ago: a reader that resolved CURRENT before may still open them.
    assert to_prune(published, current=published[-1].name, keep=1, grace_s=300, now=now) == published[:2]


def test_pruning_never_deletes_the_current_publication_nor_the_newest_ones():
    published = _published(0, 10, 20)
    later = T0 + timedelta(days=1)

    assert to_prune(published, current=published[0].name, keep=1, grace_s=0, now=later) == [published[1]]
    assert to_prune(published, current=published[-1].name, keep=3, grace_s=0, now=later) == []
    assert to_prune([], current=None, keep=3, grace_s=0, now=later) == []


def test_a_data_file_goes_once_no_remaining_manifest_names_it_and_the_grace_period_is_over():
    old, fresh, kept = (data_name("part", T0 + timedelta(minutes=m), f"ab12-s{m}") for m in (0, 9, 1))
    written = Listing.of([old, fresh, kept, "CURRENT", "notes.txt"]).data

    doomed = unreferenced(written, {kept}, grace_s=300, now=T0 + timedelta(minutes=10))

    assert doomed == [old]  # `fresh` may belong to a publication still being written; `kept` is named


def test_temporary_files_of_a_dead_publisher_are_cleaned_after_the_grace_period():
    part_temp = f".{data_name('part', T0, 'ab12-layer')}.tmp"
    pointer_temp = f".CURRENT-{T0.strftime('%Y%m%dT%H%M%S%fZ')}-4242.tmp"
    temps = Listing.of([part_temp, pointer_temp, manifest_name(7, T0), "CURRENT"]).temps

    assert stale_temps(temps, grace_s=300, now=T0 + timedelta(seconds=299)) == []
    assert stale_temps(temps, grace_s=300, now=T0 + timedelta(seconds=300)) == sorted([part_temp, pointer_temp])


def test_a_manifest_survives_its_json_and_names_one_file_for_each_user():
    shards = tuple(Shard(f"part-s{k}.db", 10 * k) for k in range(4))
    in_layer = "alice"
    layers = (Layer("layer.db", (in_layer,)),)
    manifest = Manifest(42, {"synced_at": "x", "transactions": 9}, shards, "rates.db", layers)

    again = Manifest.from_json(manifest.to_json())

    assert again == manifest
    assert again.owner(in_layer) == "layer.db"
    assert again.owner("bob") == shards[shard_of(user_hash("bob"), 4)].file
    assert again.files() == {*(s.file for s in shards), "layer.db", "rates.db"}
    assert again.layered_by_shard == {shard_of(user_hash(in_layer), 4): [in_layer]}


def test_the_analyzer_reads_the_store_itself_unless_snapshots_are_published():
    local = Settings.model_construct(analytics_store_path="/data/analytics.db", analytics_snapshot_dir="")
    azure = Settings.model_construct(analytics_store_path="/tmp/a.db", analytics_snapshot_dir="/mounts/a/snapshots")

    assert local.analytics_read_path == "/data/analytics.db"
    assert azure.analytics_read_path == "/mounts/a/snapshots"
