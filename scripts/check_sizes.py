"""Fail when a module grows past the size the style guide allows (400 lines)."""

from __future__ import annotations

import sys
from pathlib import Path

LIMIT = 400


def main() -> int:
    too_long = []
    for path in sorted(Path("codefill").rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > LIMIT:
            too_long.append(f"{path}: {lines} lines (limit {LIMIT})")
    for line in too_long:
        print(line, file=sys.stderr)
    return 1 if too_long else 0


if __name__ == "__main__":
    raise SystemExit(main())
