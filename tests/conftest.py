"""Suite-wide: connections built during the run are closed before the interpreter exits."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def _close_connections_at_the_end():
    # A producer left to interpreter shutdown keeps reconnecting to a stopped test broker and logs
    # after pytest's summary; closing it here keeps the run's last line pytest's own.
    yield
    from shared import bootstrap

    bootstrap.reset()
