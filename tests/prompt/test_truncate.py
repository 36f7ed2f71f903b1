from __future__ import annotations

from codefill.prompt.truncate import fit


def test_fits_untouched() -> None:
    assert fit(100, 50, 200) == (100, 50)


def test_prefix_gets_most_of_the_budget() -> None:
    assert fit(1000, 1000, 400) == (300, 100)


def test_short_suffix_kept_whole() -> None:
    assert fit(1000, 20, 400) == (380, 20)


def test_short_prefix_leaves_room_to_the_suffix() -> None:
    assert fit(50, 1000, 400) == (50, 350)


def test_no_budget() -> None:
    assert fit(10, 10, 0) == (0, 0)
    assert fit(10, 10, -5) == (0, 0)
