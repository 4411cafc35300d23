"""The rules of snapshot publishing that need no file: names, when to publish, what to prune."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.analytics.publish import due, parse_name, snapshot_name, stale_temps, to_prune
from shared.settings import Settings

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _names(*minutes: int) -> list[str]:
    return [snapshot_name(10 + m, T0 + timedelta(minutes=m)) for m in minutes]


def test_a_snapshot_name_carries_its_watermark_and_publication_time():
    name = snapshot_name(1234, T0)

    assert name == "analytics-1234-20260301T120000123456Z.db"
    parsed = parse_name(name)
    assert parsed is not None
    assert (parsed.name, parsed.watermark, parsed.published_at) == (name, 1234, T0)


@pytest.mark.parametrize(
    "name",
    ["CURRENT", ".analytics-1-20260301T120000123456Z.db.tmp", "analytics-x-20260301T120000123456Z.db", "a/../b.db"],
)
def test_anything_else_in_the_directory_is_not_a_snapshot(name):
    assert parse_name(name) is None


def test_the_first_snapshot_is_always_due():
    assert due(0, None, min_interval_s=300, now=T0)


def test_a_snapshot_is_due_when_the_store_moved_on_and_the_last_one_is_old_enough():
    current = parse_name(snapshot_name(5, T0))

    assert due(6, current, min_interval_s=300, now=T0 + timedelta(seconds=300))
    assert not due(6, current, min_interval_s=300, now=T0 + timedelta(seconds=299))  # at most once per interval
    assert not due(5, current, min_interval_s=300, now=T0 + timedelta(days=1))  # nothing new to publish


def test_a_rebuild_below_the_published_watermark_is_published_too():
    assert due(3, parse_name(snapshot_name(5, T0)), min_interval_s=0, now=T0)


def test_pruning_keeps_the_newest_and_waits_a_grace_period_after_each_was_superseded():
    names = _names(0, 10, 20, 30, 31)
    now = T0 + timedelta(minutes=31)

    doomed = to_prune(names + ["CURRENT", "notes.txt"], current=names[-1], keep=3, grace_s=300, now=now)

    # minute 0 was superseded at minute 10 (21 min ago): gone; minute 10 was superseded at minute 20: gone.
    assert doomed == names[:2]
    # Minutes 20 and 30 were superseded a moment ago: a reader that resolved CURRENT before may still open them.
    assert to_prune(names, current=names[-1], keep=1, grace_s=300, now=now) == names[:2]


def test_pruning_never_deletes_the_current_snapshot_nor_the_newest_ones():
    names = _names(0, 10, 20)
    later = T0 + timedelta(days=1)

    assert to_prune(names, current=names[0], keep=1, grace_s=0, now=later) == [names[1]]
    assert to_prune(names, current=names[-1], keep=3, grace_s=0, now=later) == []
    assert to_prune([], current=None, keep=3, grace_s=0, now=later) == []


def test_temporary_files_of_a_dead_publisher_are_cleaned_after_the_grace_period():
    snapshot_temp = f".{snapshot_name(7, T0)}.tmp"
    pointer_temp = f".CURRENT-{T0.strftime('%Y%m%dT%H%M%S%fZ')}-4242.tmp"
    names = [snapshot_temp, pointer_temp, snapshot_name(7, T0), "CURRENT"]

    assert stale_temps(names, grace_s=300, now=T0 + timedelta(seconds=299)) == []
    assert stale_temps(names, grace_s=300, now=T0 + timedelta(seconds=300)) == [snapshot_temp, pointer_temp]


def test_the_analyzer_reads_the_store_itself_unless_snapshots_are_published():
    local = Settings.model_construct(analytics_store_path="/data/analytics.db", analytics_snapshot_dir="")
    azure = Settings.model_construct(analytics_store_path="/tmp/a.db", analytics_snapshot_dir="/mounts/a/snapshots")

    assert local.analytics_read_path == "/data/analytics.db"
    assert azure.analytics_read_path == "/mounts/a/snapshots"
