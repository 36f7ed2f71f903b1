"""Chunking files and ranking chunks against the code near the cursor."""

from __future__ import annotations

from codefill.service.chunks import bm25_scores, split_chunks, terms

FILE = "import os\n\n\n" + "".join(
    f"def function_{n}(value):\n    total = value * {n}\n    return total\n\n\n" for n in range(6)
)


def test_terms_are_identifiers_and_their_words_without_keywords() -> None:
    found = terms("def parse_header_line(self, rawLine): return None")
    assert found["parse_header_line"] == 1
    assert {"parse", "header", "line", "rawline", "raw"} <= set(found)
    assert "def" not in found and "return" not in found and "self" not in found


def test_chunks_end_at_blank_lines_and_keep_line_numbers() -> None:
    chunks = split_chunks("m.py", FILE, min_lines=3, max_lines=24)
    assert all(not c.text.startswith("\n") and not c.text.endswith("\n\n") for c in chunks)
    lines = FILE.splitlines(keepends=True)
    for chunk in chunks:
        count = chunk.text.count("\n") + (0 if chunk.text.endswith("\n") else 1)
        assert "".join(lines[chunk.start : chunk.start + count]) == chunk.text
    assert any(c.text.startswith("def function_3(") for c in chunks)


def test_chunks_never_pass_max_lines() -> None:
    text = "".join(f"x{n} = {n}\n" for n in range(100))
    chunks = split_chunks("m.py", text, min_lines=3, max_lines=10)
    assert len(chunks) == 10 and all(c.text.count("\n") == 10 for c in chunks)
    assert split_chunks("m.py", "\n\n   \n", 3, 10) == []


def test_a_chunk_that_defines_a_name_near_the_cursor_ranks_first() -> None:
    chunks = split_chunks("m.py", FILE, min_lines=3, max_lines=24)
    scores = bm25_scores(terms("result = function_4(value) + offset"), chunks)
    best = max(range(len(chunks)), key=scores.__getitem__)
    assert chunks[best].text.startswith("def function_4(")
    assert "function_4" in chunks[best].defines


def test_nothing_in_common_scores_zero() -> None:
    chunks = split_chunks("m.py", FILE, min_lines=3, max_lines=24)
    assert set(bm25_scores(terms("unrelated_words here"), chunks)) == {0.0}
    assert bm25_scores(terms("anything"), []) == []
