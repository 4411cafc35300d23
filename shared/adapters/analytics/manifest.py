"""A published snapshot's manifest, and the names of what a snapshot directory holds. No I/O here.

A snapshot is a set of immutable SQLite files and a manifest naming them; `CURRENT` names the manifest. The files:
- `shards`: the store's users cut into N ranges of a hash of their id (sharding.py), each file holding every table
  of its users' rows as of the publication that wrote it;
- `layers`: the users that changed since their shard was written, each layer the users of one publication (or of
  several, merged), at that publication's state; `users` lists those a layer still holds for readers;
- `rates`: the exchange rates, which all users share.
A user is read from the layer that lists it, else from its shard: exactly one file holds each user for a reader.
The manifest carries the watermark and the store's state: every file it names is consistent with that watermark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

import orjson

from shared.adapters.analytics.sharding import shard_of, user_hash

FORMAT = 2
POINTER = "CURRENT"
_STAMP = "%Y%m%dT%H%M%S%fZ"
_STAMP_RE = r"\d{8}T\d{12}Z"
_MANIFEST_RE = re.compile(rf"^manifest-(?P<watermark>\d+)-(?P<stamp>{_STAMP_RE})\.json$")
_LEGACY_RE = re.compile(rf"^analytics-(?P<watermark>\d+)-(?P<stamp>{_STAMP_RE})\.db$")  # one whole file, format 1
_DATA_RE = re.compile(rf"^(part|rates)-(?P<stamp>{_STAMP_RE})-[a-z0-9-]+\.db$")
_TEMP_RE = re.compile(rf"^\..*(?P<stamp>{_STAMP_RE}).*\.tmp$")  # `.{final name}.tmp`, `.CURRENT-{stamp}-{pid}.tmp`


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime(_STAMP)


def _parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Published:
    """What CURRENT may name: a manifest, or (format 1, before shards) one whole snapshot file."""

    name: str
    watermark: int
    published_at: datetime

    @property
    def legacy(self) -> bool:
        return self.name.endswith(".db")


def manifest_name(watermark: int, at: datetime) -> str:
    return f"manifest-{watermark}-{stamp(at)}.json"


def data_name(kind: str, at: datetime, tag: str) -> str:
    return f"{kind}-{stamp(at)}-{tag}.db"


def parse_name(name: str) -> Published | None:
    """The publication a file name describes; None for anything else in the directory."""
    match = _MANIFEST_RE.match(name) or _LEGACY_RE.match(name)
    return Published(name, int(match["watermark"]), _parse_stamp(match["stamp"])) if match else None


def data_stamp(name: str) -> datetime | None:
    """When a data file (a part, a rates file) was written; None for anything else."""
    match = _DATA_RE.match(name)
    return _parse_stamp(match["stamp"]) if match else None


@dataclass(frozen=True)
class Shard:
    file: str
    rows: int  # transactions it held when written: what folding it again costs


@dataclass(frozen=True)
class Layer:
    file: str
    users: tuple[str, ...]  # the users readers read from it (it may hold more, since read elsewhere)


@dataclass(frozen=True)
class Manifest:
    watermark: int
    state: dict  # synced_at, transactions, source_id, rebuilt_at, rebuild_reason: the store's sync_state
    shards: tuple[Shard, ...]
    rates: str
    layers: tuple[Layer, ...] = ()
    fold_credit: int = 0  # rows the next publications may spend folding layers back into shards
    format: int = FORMAT

    @cached_property
    def _layered(self) -> dict[str, str]:
        return {user: layer.file for layer in self.layers for user in layer.users}

    def owner(self, user_id: str) -> str:
        """The one file a reader reads this user from."""
        return self._layered.get(user_id) or self.shards[shard_of(user_hash(user_id), len(self.shards))].file

    @cached_property
    def layered_by_shard(self) -> dict[int, list[str]]:
        """Per shard, its users that readers read from a layer instead."""
        out: dict[int, list[str]] = {}
        for user in self._layered:
            out.setdefault(shard_of(user_hash(user), len(self.shards)), []).append(user)
        return out

    def files(self) -> set[str]:
        return {s.file for s in self.shards} | {layer.file for layer in self.layers} | {self.rates}

    def to_json(self) -> bytes:
        body = {
            "format": self.format,
            "watermark": self.watermark,
            "state": self.state,
            "shards": [[s.file, s.rows] for s in self.shards],
            "rates": self.rates,
            "layers": [{"file": layer.file, "users": list(layer.users)} for layer in self.layers],
            "fold_credit": self.fold_credit,
        }
        return orjson.dumps(body)

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        body = orjson.loads(raw)
        if body.get("format") != FORMAT:
            raise ValueError(f"manifest format {body.get('format')!r}; this version reads {FORMAT}")
        return cls(
            watermark=body["watermark"],
            state=body["state"],
            shards=tuple(Shard(f, r) for f, r in body["shards"]),
            rates=body["rates"],
            layers=tuple(Layer(x["file"], tuple(x["users"])) for x in body["layers"]),
            fold_credit=body["fold_credit"],
        )


@dataclass
class Listing:
    """A snapshot directory's entries, sorted into what pruning needs to know."""

    published: list[Published] = field(default_factory=list)
    data: dict[str, datetime] = field(default_factory=dict)  # part and rates files -> written at
    temps: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def of(cls, names: list[str]) -> Listing:
        listing = cls()
        for name in names:
            if found := parse_name(name):
                listing.published.append(found)
            elif written := data_stamp(name):
                listing.data[name] = written
            elif match := _TEMP_RE.match(name):
                listing.temps[name] = _parse_stamp(match["stamp"])
        listing.published.sort(key=lambda p: (p.published_at, p.name))
        return listing


def due(store_watermark: int, current: Published | None, *, min_interval_s: float, now: datetime) -> bool:
    """Publish when nothing is published yet, or the store moved on and the last one is old enough."""
    if current is None:
        return True
    return store_watermark != current.watermark and (now - current.published_at).total_seconds() >= min_interval_s


def to_prune(published: list[Published], *, current: str | None, keep: int, grace_s: float, now: datetime) -> list:
    """Publications beyond the newest `keep` whose successor has been published for at least `grace_s`.

    A reader resolves CURRENT and then opens what it names; until the next publication a name can still be
    resolved, so the grace period runs from its successor's publication, not its own.
    """
    ordered = sorted(published, key=lambda p: (p.published_at, p.name))
    old = ordered[: max(len(ordered) - keep, 0)]
    return [
        p
        for p, successor in zip(old, ordered[1:], strict=False)
        if p.name != current and (now - successor.published_at).total_seconds() >= grace_s
    ]


def unreferenced(data: dict[str, datetime], referenced: set[str], *, grace_s: float, now: datetime) -> list[str]:
    """Data files no remaining manifest names, written at least `grace_s` ago.

    A file a pruned manifest named was written no later than that manifest, whose successor is older than the grace
    period; a file no manifest ever named was left by a publisher that died before its manifest.
    """
    return sorted(n for n, at in data.items() if n not in referenced and (now - at).total_seconds() >= grace_s)


def stale_temps(temps: dict[str, datetime], *, grace_s: float, now: datetime) -> list[str]:
    """Temporary files left by a publisher that died before its rename, once older than `grace_s`."""
    return sorted(n for n, at in temps.items() if (now - at).total_seconds() >= grace_s)
