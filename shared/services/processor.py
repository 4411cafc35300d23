"""The processor's use cases: bring the analytics store up to date with MySQL, rebuild it, publish it."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import Engine

from shared.adapters.analytics.load import LoadResult, in_progress, load
from shared.adapters.analytics.publish import publish_if_due, publish_snapshot
from shared.adapters.analytics.rebuild import Progress, RebuildResult, rebuild
from shared.adapters.analytics.sync import SourceChanged, SyncResult, sync

log = logging.getLogger("budget.processor")


class Processor:
    def __init__(
        self,
        *,
        engine: Engine,
        store_path: str,
        snapshot_dir: str = "",
        min_interval_s: float = 300,
        load_budget_s: float = 420,
    ) -> None:
        self._engine = engine
        self.store_path = store_path
        self.snapshot_dir = snapshot_dir
        self._min_interval_s = min_interval_s
        self._load_budget_s = load_budget_s

    def run(self) -> SyncResult | LoadResult:
        """One scheduled run: sync, then publish a snapshot for readers on other hosts when one is due.

        Without a store (a new instance), or with a store built from another database (or from this one before a
        restore took it back in time), the run carries a full load on instead, for at most the load budget; the
        next run resumes it. The run that finishes it goes on to sync and publish (every shard, the first time)
        only if the load took less than half the budget; otherwise the next run does, within a function timeout
        of its own. Until then readers keep the store or the snapshot they had. A failure raises: the next run
        redoes the sync (and the publication), or the step of the load, from where the store stands.
        """
        if not Path(self.store_path).exists() or in_progress(self.store_path):
            loaded = self._load("no analytics store on this instance yet", restart=False)
            if not loaded.done or loaded.duration_s > self._load_budget_s / 2:
                return loaded
        try:
            result = sync(engine=self._engine, path=self.store_path)
        except SourceChanged as exc:
            log.warning("rebuilding the analytics store: %s", exc)
            loaded = self._load(str(exc), restart=True)
            if not loaded.done or loaded.duration_s > self._load_budget_s / 2:
                return loaded
            result = sync(engine=self._engine, path=self.store_path)
        if not result.skipped:
            self.publish(force=False)  # after the run's commit, never inside it
        return result

    def _load(self, reason: str, *, restart: bool) -> LoadResult:
        return load(
            engine=self._engine, path=self.store_path, budget_s=self._load_budget_s, reason=reason, restart=restart
        )

    def rebuild(self, progress: Progress | None = None, *, reason: str = "asked for") -> RebuildResult:
        return rebuild(engine=self._engine, path=self.store_path, progress=progress, reason=reason)

    def publish(self, *, force: bool) -> Path | None:
        """Publish a snapshot to the snapshot directory (when one is configured): when due, or now if forced."""
        if not self.snapshot_dir:
            return None
        if force:
            return publish_snapshot(self.store_path, self.snapshot_dir)
        return publish_if_due(self.store_path, self.snapshot_dir, min_interval_s=self._min_interval_s)
