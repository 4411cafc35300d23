"""Parse every .bicep file under the given folders with pycep-parser (run it from .venv-tools).

There is no Bicep CLI here (it downloads a binary, and `az bicep build` needs the registry for
extensions): pycep's grammar catches syntax errors, and the JSON it yields lets tests check what
the templates declare. pycep predates Bicep extensions, so an `extension <alias>` statement is
checked here instead: the alias must be declared in the nearest bicepconfig.json as a pinned
registry reference (br:<registry>/<path>:<version>). The statement is then blanked (line numbers
kept) and the rest parsed as usual. The extension's own resource types are not checked offline.

    check_bicep.py [DIR_OR_FILE ...]      ok/FAIL per file, then a JSON summary line
    check_bicep.py --json FILE            the parsed template as JSON (for tests/delivery)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from lark.exceptions import LarkError
from pycep import BicepParser

EXTENSION = re.compile(r"^extension\s+(?P<name>[A-Za-z_]\w*)\s*$", re.MULTILINE)
ANY_EXTENSION = re.compile(r"^(?:extension|provider|import)\s.*$", re.MULTILINE)
PINNED = re.compile(r"^br:[a-z0-9.-]+/[a-z0-9./_-]+:\d+\.\d+\.\d+$")


def _bicepconfig(path: Path) -> dict:
    """The bicepconfig.json Bicep would use for path: the nearest one in its folder or above."""
    for folder in path.resolve().parents:
        config = folder / "bicepconfig.json"
        if config.is_file():
            return json.loads(config.read_text())
    return {}


def _without_extensions(path: Path) -> str:
    """The file's text with its extension statements checked and blanked; ValueError if one is wrong."""
    text = path.read_text()
    declared = _bicepconfig(path).get("extensions", {})
    for match in EXTENSION.finditer(text):
        reference = declared.get(match.group("name"))
        if reference is None:
            raise ValueError(f"extension {match.group('name')} is not declared in bicepconfig.json")
        if not PINNED.match(reference):
            raise ValueError(f"extension {match.group('name')} is not pinned to a version: {reference}")
    text = EXTENSION.sub("", text)
    stray = ANY_EXTENSION.search(text)
    if stray:
        raise ValueError(f"unsupported statement (use a bicepconfig.json alias): {stray.group(0).strip()}")
    return text


def parse(path: Path) -> dict:
    """The template as pycep's JSON; raises LarkError or ValueError when it does not parse."""
    return BicepParser().parse(text=_without_extensions(path))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--json"]:
        json.dump(parse(Path(argv[1])), sys.stdout, default=str)
        return 0
    failures = 0
    roots = [Path(a) for a in argv]
    files = sorted(p for root in roots for p in ([root] if root.suffix == ".bicep" else root.rglob("*.bicep")))
    for path in files:
        try:
            parse(path)
        except (LarkError, ValueError) as error:  # pycep: ValueError; its grammar: LarkError
            failures += 1
            print(f"FAIL {path}: {type(error).__name__}: {error}")
        else:
            print(f"ok   {path}")
    print(json.dumps({"files": len(files), "failed": failures}))
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["infra"]))
