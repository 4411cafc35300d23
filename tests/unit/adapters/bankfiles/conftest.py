from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parents[3] / "data" / "bankfiles"


@pytest.fixture
def sample() -> Callable[[str], bytes]:
    """The bytes of a sample file in tests/data/bankfiles."""
    return lambda name: (DATA / name).read_bytes()
