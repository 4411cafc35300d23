"""What a publication rewrites: shards from a stable hash, layers for the users that changed, folds paid by credit."""

from __future__ import annotations

import random

from shared.adapters.analytics.layout import FOLD_RATIO, MAX_LAYERS, Plan, StoreFacts, earned, plan
from shared.adapters.analytics.manifest import Layer, Manifest, Shard
from shared.adapters.analytics.sharding import HASH_SPACE, ROWS_PER_SHARD, hash_range, shard_count, shard_of, user_hash

STATE = {"source_id": "db-1", "rebuilt_at": None, "transactions": 1_000}


def _facts(watermark: int = 10, rates_seq: int = 0, **state) -> StoreFacts:
    return StoreFacts(watermark, {**STATE, **state}, rates_seq)


def _manifest(shards: int = 4, rows: int = 100, layers: tuple[Layer, ...] = (), credit: int = 0) -> Manifest:
    return Manifest(5, dict(STATE), tuple(Shard(f"s{k}", rows) for k in range(shards)), "rates", layers, credit)


def test_a_users_shard_never_depends_on_the_process_and_the_ranges_cover_every_hash_once():
    assert user_hash("alice") == 0x278EBC47  # CRC-32 of the UTF-8 id, not Python's salted hash()
    for n in (1, 3, 7, 256):
        ranges = [hash_range(k, n) for k in range(n)]
        assert ranges[0][0] == 0 and ranges[-1][1] == HASH_SPACE
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        for h in (0, 1, HASH_SPACE // 3, HASH_SPACE - 1):
            low, high = ranges[shard_of(h, n)]
            assert low <= h < high


def test_the_number_of_shards_follows_the_store_within_bounds():
    assert shard_count(0) == 1
    assert shard_count(10 * ROWS_PER_SHARD) == 10
    assert shard_count(10**12) == 256


def test_the_first_publication_after_a_rebuild_or_from_another_source_or_past_the_log_writes_every_shard():
    prev = _manifest()
    log_pruned = StoreFacts(10, dict(STATE), 0, log_from=6)  # the log of changed users starts after the manifest
    for facts in (_facts(rebuilt_at="2026-01-01T00:00:00+00:00"), _facts(source_id="db-2"), _facts(watermark=4),
                  log_pruned):  # fmt: skip
        decided = plan(prev, facts, ["alice"])
        assert decided.full and decided.fold == list(range(decided.shards)) and not decided.layer
    assert plan(None, _facts(), []).full


def test_the_users_that_changed_make_one_layer_and_leave_the_layers_they_were_in():
    prev = _manifest(layers=(Layer("old", ("alice", "bob")),))

    decided = plan(prev, _facts(), ["bob", "carol"])

    assert not decided.full and decided.fold == []
    assert decided.layer == ["bob", "carol"]
    assert decided.layers == [Layer("old", ("alice",))]
    assert not decided.rates  # no rate changed after the last watermark
    assert plan(prev, _facts(rates_seq=6), []).rates


def test_credit_folds_the_shards_with_the_most_layered_users_first_and_takes_their_users_back():
    rng = random.Random(3)
    users = [f"user-{rng.random()}" for _ in range(200)]
    prev = _manifest(shards=4, rows=100, layers=(Layer("old", tuple(users[:150])),), credit=250)
    waiting = {}
    for u in users[:150] + users[150:160]:
        waiting[shard_of(user_hash(u), 4)] = waiting.get(shard_of(user_hash(u), 4), 0) + 1
    busiest = sorted(waiting, key=lambda k: (-waiting[k], k))

    decided = plan(prev, _facts(), users[150:160])

    assert decided.fold == busiest[:2]  # 250 rows of credit pay for two shards of 100
    assert decided.credit == 50
    folded = set(decided.fold)
    remaining = [u for x in decided.layers for u in x.users] + decided.layer
    assert remaining and all(shard_of(user_hash(u), 4) not in folded for u in remaining)
    assert sorted(remaining) == sorted(u for u in users[:160] if shard_of(user_hash(u), 4) not in folded)


def test_a_layer_earns_credit_for_its_changed_users_rows_only():
    decided = Plan(False, 4, [], ["a", "b", "c", "d"], changed_in_layer=1)
    assert earned(decided, 400) == FOLD_RATIO * 100
    assert earned(Plan(False, 4, [], [], 0), 0) == 0


def test_past_the_layer_limit_the_smallest_layers_are_merged_into_the_new_one():
    layers = tuple(Layer(f"l{i}", tuple(f"u{i}-{j}" for j in range(i + 1))) for i in range(MAX_LAYERS))

    decided = plan(_manifest(layers=layers), _facts(), ["new"])

    assert len(decided.layers) + 1 <= MAX_LAYERS
    merged = {x.file for x in layers} - {x.file for x in decided.layers}
    assert merged == {f"l{i}" for i in range(len(merged))}  # the smallest ones
    assert sorted(decided.layer) == sorted(["new", *(u for x in layers if x.file in merged for u in x.users)])
    assert decided.changed_in_layer == 1


def test_a_publication_writes_a_bounded_multiple_of_the_changed_users_rows_whatever_the_stores_size():
    """Simulated: random users change each round and the planner folds. Over every round, rows written per changed
    user stay under (1 + FOLD_RATIO) times a user's rows for a small store and a ten times larger one (its shards
    cut for its size), and once the small one is at its steady state at most about 1 / (1 + FOLD_RATIO) of its
    users wait in layers."""

    def simulate(users: int, rounds: int, changes: int = 100, rows_per_user: int = 100) -> tuple[float, float]:
        rng = random.Random(users)
        n = shard_count(users * rows_per_user)
        shards = tuple(Shard(f"s{k}", users * rows_per_user // n) for k in range(n))
        manifest = Manifest(0, dict(STATE), shards, "rates")
        written = changed_total = 0
        for r in range(rounds):
            changed = sorted({f"user-{rng.randrange(users)}" for _ in range(changes)})
            decided = plan(manifest, _facts(watermark=r + 1), changed)
            rows = len(decided.layer) * rows_per_user
            written += rows + sum(manifest.shards[k].rows for k in decided.fold)
            changed_total += len(changed)
            layers = tuple(decided.layers) + ((Layer(f"L{r}", tuple(decided.layer)),) if decided.layer else ())
            manifest = Manifest(r + 1, dict(STATE), shards, "rates", layers, decided.credit + earned(decided, rows))
        layered = sum(len(x.users) for x in manifest.layers)
        assert len(manifest.layers) <= MAX_LAYERS
        return written / changed_total / rows_per_user, layered / users

    small, large = simulate(2_000, rounds=200), simulate(20_000, rounds=200)
    assert small[0] <= 1 + FOLD_RATIO and large[0] <= 1 + FOLD_RATIO
    assert 0.05 < small[1] < 1 / (1 + FOLD_RATIO) + 0.05
