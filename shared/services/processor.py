"""The processor's use cases: bring the analytics store up to date with MySQL, rebuild it, publish it."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import Engine

from shared.adapters.analytics.publish import publish_if_due, publish_snapshot
from shared.adapters.analytics.rebuild import Progress, RebuildResult, rebuild
from shared.adapters.analytics.sync import SourceChanged, SyncResult, sync

log = logging.getLogger("budget.processor")


class Processor:
    def __init__(self, *, engine: Engine, store_path: str, snapshot_dir: str = "", min_interval_s: float = 300) -> None:
        self._engine = engine
        self.store_path = store_path
        self.snapshot_dir = snapshot_dir
        self._min_interval_s = min_interval_s

    def run(self) -> SyncResult | RebuildResult:
        """One scheduled run: sync, then publish a snapshot for readers on other hosts when one is due.

        A store built from another database (or from this one before a restore took it back in time) is rebuilt
        instead: answering from it would be answering from the wrong data. A failure raises: the next run redoes
        the sync (and the publication) from where the store stands.
        """
        try:
            result: SyncResult | RebuildResult = sync(engine=self._engine, path=self.store_path)
        except SourceChanged as exc:
            log.warning("rebuilding the analytics store: %s", exc)
            result = self.rebuild(reason=str(exc))
        if not getattr(result, "skipped", False):
            self.publish(force=False)  # after the run's commit, never inside it
        return result

    def rebuild(self, progress: Progress | None = None, *, reason: str = "asked for") -> RebuildResult:
        return rebuild(engine=self._engine, path=self.store_path, progress=progress, reason=reason)

    def publish(self, *, force: bool) -> Path | None:
        """Publish a snapshot to the snapshot directory (when one is configured): when due, or now if forced."""
        if not self.snapshot_dir:
            return None
        if force:
            return publish_snapshot(self.store_path, self.snapshot_dir)
        return publish_if_due(self.store_path, self.snapshot_dir, min_interval_s=self._min_interval_s)
