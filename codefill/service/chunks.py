"""Split a file into chunks and rank chunks against the code around the cursor (BM25).

Chunks follow the code's own paragraphs: a chunk ends at a blank line once it has
``min_lines`` lines, and at ``max_lines`` lines at the latest, so a short function usually
makes one chunk with its signature. Relevance is BM25 (Robertson and Zaragoza's Okapi
weighting) over identifiers, each also split into its words (``parse_header_line`` gives
``parse``, ``header``, ``line``), with a bonus for a chunk that defines a name used near
the cursor. Plain text processing, no index on disk: the candidates are one session's files.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Chunk", "bm25_scores", "split_chunks", "terms"]

K1 = 1.2
B = 0.75
DEFINITION_BONUS = 2.0  # times the name's idf, for a chunk that defines a name in the query

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_DEFINITION = re.compile(
    r"^[ \t]*(?:export\s+)?(?:async\s+)?(?:def|class|function|func|fn|struct|interface|type|"
    r"enum|const|let|var)\s+([A-Za-z_][A-Za-z0-9_]*)|^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=(?!=)",
    re.MULTILINE,
)
# words too common in code to tell chunks apart
_STOP = frozenset(
    {
        *("and", "as", "assert", "async", "await", "break", "case", "catch", "class", "const"),
        *("continue", "def", "default", "del", "do", "elif", "else", "enum", "except"),
        *("export", "false", "finally", "fn", "for", "from", "func", "function", "if"),
        *("import", "in", "is", "lambda", "let", "new", "nil", "none", "not", "null", "or"),
        *("pass", "pub", "raise", "return", "self", "static", "struct", "switch", "this"),
        *("throw", "true", "try", "type", "var", "while", "with", "yield"),
    }
)


@dataclass(frozen=True)
class Chunk:
    """Lines ``start`` (0-based) onwards of a file; ``terms`` and ``defines`` are its index."""

    path: str
    start: int
    text: str
    terms: Counter[str] = field(compare=False, repr=False)
    defines: frozenset[str] = field(compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        """Identity that survives lines inserted above it: the path and the text."""
        return (self.path, self.text)

    @property
    def length(self) -> int:
        return sum(self.terms.values())


def terms(text: str) -> Counter[str]:
    """Identifiers (lower-cased) and the words they are made of, without keywords."""
    found: Counter[str] = Counter()
    for identifier in _IDENTIFIER.findall(text):
        lowered = identifier.lower()
        if lowered in _STOP or len(lowered) < 2:
            continue
        found[lowered] += 1
        words = [w.lower() for w in _WORD.findall(identifier)]
        if len(words) > 1:
            found.update(w for w in words if len(w) > 2 and w not in _STOP)
    return found


def _defines(text: str) -> frozenset[str]:
    return frozenset(
        (match.group(1) or match.group(2)).lower() for match in _DEFINITION.finditer(text)
    )


def split_chunks(path: str, text: str, min_lines: int, max_lines: int) -> list[Chunk]:
    """The file's chunks in order; blank lines around a chunk are left out."""
    lines = text.splitlines(keepends=True)
    chunks: list[Chunk] = []
    start = 0
    for index in range(1, len(lines) + 1):
        at_end = index == len(lines)
        size = index - start
        paragraph = not lines[index - 1].strip() and size >= min_lines
        if at_end or paragraph or size >= max_lines:
            chunk = _chunk(path, lines, start, index)
            if chunk is not None:
                chunks.append(chunk)
            start = index
    return chunks


def _chunk(path: str, lines: Sequence[str], start: int, end: int) -> Chunk | None:
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    if start == end:
        return None
    text = "".join(lines[start:end])
    return Chunk(path, start, text, terms(text), _defines(text))


def bm25_scores(query: Counter[str], chunks: Sequence[Chunk]) -> list[float]:
    """Each chunk's BM25 score for the query's terms (each counted once), with idf over
    ``chunks``; a chunk that defines a query name gains ``DEFINITION_BONUS`` times its idf."""
    if not chunks:
        return []
    count = len(chunks)
    average = sum(chunk.length for chunk in chunks) / count or 1.0
    frequency = _document_frequency(query, (chunk.terms for chunk in chunks))
    idf = {t: math.log(1 + (count - n + 0.5) / (n + 0.5)) for t, n in frequency.items() if n}
    scores = []
    for chunk in chunks:
        norm = K1 * (1 - B + B * chunk.length / average)
        score = 0.0
        for term, weight in idf.items():
            tf = chunk.terms.get(term, 0)
            if tf:
                score += weight * tf * (K1 + 1) / (tf + norm)
            if term in chunk.defines:
                score += DEFINITION_BONUS * weight
        scores.append(score)
    return scores


def _document_frequency(query: Counter[str], indexes: Iterable[Counter[str]]) -> Counter[str]:
    frequency: Counter[str] = Counter()
    for index in indexes:
        frequency.update(term for term in query if term in index)
    return frequency
