"""CI-sized proofs under faults: `make chaos` and `make outage` at a size CI can afford.

Each brings up its own stack in separate processes (private Tansu, scratch MariaDB database), so the storage
process can be SIGKILLed and the broker stopped. MariaDB is never restarted here: other tests share it.
"""

from __future__ import annotations

import pytest

from proofs.chaos import ChaosConfig
from proofs.chaos import run as run_chaos
from proofs.outage import OutageConfig
from proofs.outage import run as run_outage

pytestmark = pytest.mark.slow


def test_chaos_ingest_with_the_storage_process_killed_keeps_every_accepted_transaction_once():
    cfg = ChaosConfig(transactions=2_000, users=4, concurrency=8, rate=80, kills=2, restart_mariadb=False)
    result = run_chaos(cfg, log=print)
    assert result.kills == 2
    assert result.accepted == cfg.transactions  # 503s are retried with the same id until accepted
    assert result.lost == 0
    assert result.duplicated == 0
    assert result.extra == 0 and result.wrong == 0
    assert result.stored == result.accepted + result.unconfirmed_stored
    assert result.dead_letters == 0
    assert result.analytics_groups > 0
    assert result.analytics_mismatches == 0  # analytics store == GROUP BY over MySQL
    assert result.client_mismatches == 0  # MySQL == what the client was told was accepted
    assert result.line() == f"chaos: accepted={cfg.transactions} stored={cfg.transactions} lost=0 duplicated=0"


def test_broker_stopped_under_load_the_receiver_answers_503_never_a_202_without_a_row_and_recovers():
    cfg = OutageConfig(rate=100, before_s=5, down_s=5, after_s=10)
    result = run_outage(cfg, log=print)
    assert result.down_statuses[503] > 0  # refused while no broker had the topics
    assert result.unexpected == 0  # every request answered, 202 or 503
    assert result.first_202_after_s is not None and result.steady_after_s is not None  # recovered by itself
    assert result.accepted_after_stop > 0
    assert result.accepted_after_stop_missing == 0  # every 202 the new broker acknowledged is a row
    assert result.retried == result.retried_accepted  # each 503'd id, posted again, was accepted
    assert result.retried_missing == 0
    assert result.duplicated == 0 and result.extra == 0
