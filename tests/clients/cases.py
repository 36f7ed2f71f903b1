"""The requests every client sends, from cases.json (which the node scripts read too)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Cases:
    chat: Any  # a list of messages; each client types them in its own way
    max_tokens: int
    coder: str  # the FIM model
    fim_prefix: str
    fim_suffix: str
    fim_expected: str  # what the coder model puts between prefix and suffix


CASES = Cases(**json.loads((Path(__file__).parent / "cases.json").read_text()))
