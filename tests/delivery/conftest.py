"""Fixtures for the delivery checks: where the repo is and where the checking tools live."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO / ".venv-tools" / "bin"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def _require(path: Path | None, what: str) -> Path:
    # A missing checker must fail the run, never skip it: a skipped check reads as a pass.
    if path is None or not path.exists():
        pytest.fail(f"{what} is missing; run `make delivery-deps` first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def tool() -> Callable[[str], Path]:
    """Path of a command installed in .venv-tools by `make delivery-tools`."""
    return lambda name: _require(TOOLS_BIN / name, f".venv-tools/bin/{name}")


@pytest.fixture(scope="session")
def apache2() -> Path:
    found = shutil.which("apache2", path="/usr/sbin:/usr/bin")
    return _require(Path(found) if found else None, "apache2 (Debian package)")


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A free TCP port on 127.0.0.1, chosen by the kernel."""

    def pick() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    return pick


@pytest.fixture(scope="session")
def bicep(tool) -> Callable[[str], dict]:
    """A .bicep file (relative to the repo) as pycep's JSON, through scripts/check_bicep.py --json."""
    cache: dict[str, dict] = {}

    def load(path: str) -> dict:
        if path not in cache:
            out = subprocess.run(
                [str(tool("python")), "scripts/check_bicep.py", "--json", path],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            cache[path] = json.loads(out)
        return cache[path]

    return load
