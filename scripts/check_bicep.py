"""Parse every .bicep file under the given folders with pycep-parser (run it from .venv-tools).

There is no Bicep CLI here (it downloads a binary); pycep's grammar catches syntax errors, and the
JSON it yields lets tests check what the templates declare.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lark.exceptions import LarkError
from pycep import BicepParser


def main(argv: list[str]) -> int:
    parser = BicepParser()
    failures = 0
    files = sorted(p for root in argv for p in Path(root).rglob("*.bicep"))
    for path in files:
        try:
            parser.parse(file_path=path)
        except (LarkError, ValueError) as error:  # pycep: ValueError; its grammar: LarkError
            failures += 1
            print(f"FAIL {path}: {type(error).__name__}: {error}")
        else:
            print(f"ok   {path}")
    print(json.dumps({"files": len(files), "failed": failures}))
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["infra"]))
