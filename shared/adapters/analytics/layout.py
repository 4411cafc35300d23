"""What a publication rewrites, decided from the last manifest and the users that changed since. No I/O here.

A full publication writes every shard; it is needed only for the first one, after a rebuild, or once the store has
grown to four times what its shards were cut for. Otherwise a publication writes:
- one layer with the users that changed since the last publication (their whole data: a user is never split);
- shards folded back: a shard written whole again takes its users back from the layers. Each row a layer writes
  earns FOLD_RATIO rows of credit, spent on the shards with the most users in layers first. At the steady state a
  third of the users (1 / (1 + FOLD_RATIO)) are read from layers, and a publication writes about (1 + FOLD_RATIO)
  times the rows of the users it changed: the cost follows the changes, not the store;
- the rates file, only when rates changed.
Layers no user is read from any more are dropped; past MAX_LAYERS the smallest are merged into the new layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.adapters.analytics.manifest import Layer, Manifest
from shared.adapters.analytics.sharding import MAX_SHARDS, ROWS_PER_SHARD, shard_count, shard_of, user_hash

FOLD_RATIO = 2
MAX_LAYERS = 128  # above the publications a layer lives (a fold cycle) at 10M rows and 1,000 changes each
REGROW = 4  # a store this many times larger than its shards were cut for is cut again


@dataclass(frozen=True)
class StoreFacts:
    """The working store's state when it is published."""

    watermark: int
    state: dict  # sync_state: synced_at, transactions, source_id, rebuilt_at, rebuild_reason
    rates_seq: int  # the newest change_seq among the exchange rates
    log_from: int = 0  # the store's log of changed users reaches back to here

    @property
    def transactions(self) -> int:
        return int(self.state.get("transactions") or 0)


@dataclass
class Plan:
    full: bool
    shards: int  # N: shard k holds the users whose hash is in the k-th Nth of the range
    fold: list[int]  # shards written whole (all of them when full)
    layer: list[str]  # users of the new layer (empty: no layer)
    changed_in_layer: int  # of those, users that changed (the rest come from merged layers)
    layers: list[Layer] = field(default_factory=list)  # earlier layers still read from, with their users
    rates: bool = True
    credit: int = 0  # credit left after the folds, before the new layer earns its own


def full_reason(prev: Manifest | None, facts: StoreFacts, rows_per_shard: int = ROWS_PER_SHARD) -> str | None:
    """Why every shard must be written again, or None."""
    if prev is None:
        return "nothing published yet"
    if prev.state.get("source_id") != facts.state.get("source_id"):
        return "the store was built from another database"
    if prev.state.get("rebuilt_at") != facts.state.get("rebuilt_at"):
        return "the store was rebuilt"
    if facts.watermark < prev.watermark:
        return "the store is behind the published snapshot"
    if prev.watermark < facts.log_from:
        return "the store's log of changed users no longer reaches back to the published snapshot"
    if len(prev.shards) < MAX_SHARDS and facts.transactions > REGROW * len(prev.shards) * rows_per_shard:
        return "the store outgrew its shards"
    return None


def plan(prev: Manifest | None, facts: StoreFacts, changed: list[str], rows_per_shard: int = ROWS_PER_SHARD) -> Plan:
    """`rows_per_shard`: the size a full publication cuts shards to (smaller in tests, to have several)."""
    if prev is None or full_reason(prev, facts, rows_per_shard):
        n = shard_count(facts.transactions, rows_per_shard)
        return Plan(True, n, list(range(n)), [], 0)
    n = len(prev.shards)
    changed_set = set(changed)
    layers = [Layer(x.file, tuple(u for u in x.users if u not in changed_set)) for x in prev.layers]
    waiting: dict[int, int] = {}  # shard -> its users that will be read from layers
    for user in [u for x in layers for u in x.users] + changed:
        k = shard_of(user_hash(user), n)
        waiting[k] = waiting.get(k, 0) + 1
    credit, fold = min(prev.fold_credit, sum(s.rows for s in prev.shards)), []
    for k in sorted(waiting, key=lambda k: (-waiting[k], k)):
        if prev.shards[k].rows > credit:
            break  # strict order: the credit builds up for this one rather than going to smaller ones
        credit -= prev.shards[k].rows
        fold.append(k)
    folded = set(fold)

    def remains(user: str) -> bool:
        return shard_of(user_hash(user), n) not in folded

    layers = [Layer(x.file, tuple(filter(remains, x.users))) for x in layers]
    layers = [x for x in layers if x.users]
    layer = [u for u in changed if remains(u)]
    changed_in_layer = len(layer)
    if len(layers) + 1 > MAX_LAYERS:
        smallest = sorted(range(len(layers)), key=lambda i: (len(layers[i].users), i))
        merged = set(smallest[: len(layers) + 1 - MAX_LAYERS // 2])
        layer += [u for i in sorted(merged) for u in layers[i].users]
        layers = [x for i, x in enumerate(layers) if i not in merged]
    rates = facts.rates_seq > prev.watermark
    return Plan(False, n, fold, layer, changed_in_layer, layers, rates, credit)


def earned(plan_: Plan, layer_rows: int) -> int:
    """Credit the new layer earns: FOLD_RATIO per row of the changed users in it (merged users earn none)."""
    if not plan_.layer:
        return 0
    return FOLD_RATIO * layer_rows * plan_.changed_in_layer // len(plan_.layer)
