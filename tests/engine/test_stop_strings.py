from __future__ import annotations

from codefill.engine.stop_strings import StopMatcher


def feed_all(matcher: StopMatcher, pieces: list[str]) -> str:
    return "".join(matcher.feed(piece) for piece in pieces) + matcher.flush()


def test_no_stops_passes_text_through() -> None:
    assert feed_all(StopMatcher([]), ["a", "b"]) == "ab"


def test_stop_split_across_pieces_is_cut() -> None:
    matcher = StopMatcher(["\n\n"])
    assert feed_all(matcher, ["x = 1\n", "\ny = 2"]) == "x = 1"
    assert matcher.stopped and matcher.matched == "\n\n"


def test_partial_stop_is_held_back_then_released() -> None:
    matcher = StopMatcher(["END"])
    assert matcher.feed("abcE") == "abc"
    assert matcher.feed("N") == ""
    assert matcher.feed("x") == "ENx"
    assert not matcher.stopped


def test_earliest_stop_wins() -> None:
    matcher = StopMatcher(["b", "a"])
    assert feed_all(matcher, ["xab"]) == "x"
    assert matcher.matched == "a"


def test_text_after_a_stop_is_ignored() -> None:
    matcher = StopMatcher(["!"])
    assert matcher.feed("hi!there") == "hi"
    assert matcher.feed("more") == ""
    assert matcher.flush() == ""


def test_held_back_text_flushes_at_the_end() -> None:
    matcher = StopMatcher(["<|end|>"])
    assert matcher.feed("code<|e") == "code"
    assert matcher.flush() == "<|e"
