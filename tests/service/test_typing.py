from __future__ import annotations

import pytest

from codefill.service.typing import TypingBursts, same_place

BEFORE = (
    "import os\nimport sys\n\nLIMIT = 10\n\n\n"
    "def join(a, b):\n    return os.path.join(a, b)\n\n\ndef split(p):\n    "
)
AFTER = "\n\n\ndef main():\n    print(join('a', 'b'))\n"


def test_typing_and_deleting_at_the_cursor_is_the_same_place() -> None:
    assert same_place(BEFORE, AFTER, BEFORE + "ret", AFTER)
    assert same_place(BEFORE + "ret", AFTER, BEFORE + "re", AFTER)
    assert same_place(BEFORE[1:], AFTER, BEFORE[5:] + "r", AFTER)  # a sliding window


def test_another_cursor_or_file_is_not() -> None:
    assert not same_place(BEFORE, AFTER, BEFORE, "\n\nclass Other:\n    pass\n")
    assert not same_place(BEFORE, AFTER, "def main():\n    ", AFTER)
    assert not same_place(BEFORE, AFTER, BEFORE + "x" * 40, AFTER)  # typed far on


def test_a_burst_is_held_for_one_and_a_half_gaps_up_to_the_limit() -> None:
    bursts = TypingBursts(max_hold=0.25)
    assert bursts.hold("vim", BEFORE, AFTER, 10.0) == 0.0  # the first request of a place
    assert bursts.hold("vim", BEFORE + "r", AFTER, 10.08) == pytest.approx(0.12)
    assert bursts.hold("vim", BEFORE + "re", AFTER, 10.28) == 0.25
    assert bursts.hold("vim", BEFORE + "ret", AFTER, 10.6) == 0.0  # a pause: no burst


def test_other_clients_and_places_are_never_held() -> None:
    bursts = TypingBursts(max_hold=0.25)
    bursts.hold("vim", BEFORE, AFTER, 10.0)
    assert bursts.hold("emacs", BEFORE + "r", AFTER, 10.01) == 0.0
    assert bursts.hold("vim", "class A:\n    ", AFTER, 10.02) == 0.0
    assert TypingBursts(max_hold=0).hold("vim", BEFORE, AFTER, 10.03) == 0.0
