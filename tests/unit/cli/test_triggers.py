"""Local trigger timing: the retry back-off declared at the trigger and NCRONTAB schedules."""

from datetime import UTC, datetime

import pytest

from cli.runner.index import index
from cli.runner.triggers import _backoff_s, ncrontab


def test_without_a_policy_retries_back_off_from_one_second_doubling_to_thirty():
    assert [_backoff_s(None, n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_the_storage_trigger_retries_with_its_declared_exponential_policy(function_app):
    (retry,) = [fn.retry for fn in index(function_app) if fn.name == "store_transactions"]
    assert retry["strategy"] == "exponential_backoff"
    assert _backoff_s(retry, 1) == 1
    assert _backoff_s(retry, 3) == 4
    assert _backoff_s(retry, 10_000) == 30  # never more than the maximum, however long it fails


def test_a_fixed_delay_policy_waits_its_delay_first():
    assert _backoff_s({"delay_interval": "00:00:05"}, 1) == 5


def test_intervals_may_be_minutes_and_fractions():
    policy = {"minimum_interval": "00:00:00.5", "maximum_interval": "00:02:00"}
    assert [_backoff_s(policy, n) for n in (1, 2, 9, 10)] == [0.5, 1, 120, 120]


def after(schedule: str, count: int) -> list[datetime]:
    times = ncrontab(schedule)
    return [datetime.fromtimestamp(times.get_next(float), UTC) for _ in range(count)]


def test_ncrontab_puts_seconds_first():
    for t in after("30 */5 * * * *", 4):
        assert t.second == 30
        assert t.minute % 5 == 0


def test_the_default_sync_schedule_fires_every_minute_on_the_minute():
    times = after("0 */1 * * * *", 3)
    assert all(t.second == 0 for t in times)
    assert [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)] == [60, 60]


def test_the_next_run_is_in_the_future():
    assert after("*/10 * * * * *", 1)[0] > datetime.now(UTC)


@pytest.mark.parametrize("schedule", ["*/5 * * * *", "0 0 */5 * * * *", "", "daily"])
def test_schedules_without_six_fields_are_refused_naming_the_fields(schedule):
    with pytest.raises(ValueError, match="six fields"):
        ncrontab(schedule)
