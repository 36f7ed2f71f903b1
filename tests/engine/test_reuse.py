from __future__ import annotations

from codefill.engine.reuse import ReusePlan, common_prefix, plan_reuse


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([], [1]) == 0


def test_identical_prompt_keeps_all_but_the_last_token() -> None:
    prompt = list(range(100))
    assert plan_reuse(prompt, prompt, min_chunk=8, can_shift=True) == ReusePlan(99)


def test_longer_cache_keeps_the_shared_prefix() -> None:
    cached = [*list(range(50)), 999, 998]
    assert plan_reuse(cached, list(range(60)), min_chunk=8, can_shift=True).keep == 50


def test_typing_before_the_suffix_moves_the_suffix_right() -> None:
    prefix, suffix = list(range(100)), list(range(1000, 1200))
    cached = prefix + suffix + [7, 7, 7]  # old prompt plus generated tokens
    prompt = [*prefix, 55, 56, *suffix]
    plan = plan_reuse(cached, prompt, min_chunk=32, can_shift=True)
    assert plan.keep == 100
    assert plan.chunks == ((100, 102, 199),)  # the last prompt token is evaluated again
    assert plan.reused == 299


def test_deleting_before_the_suffix_moves_it_left() -> None:
    prefix, suffix = list(range(100)), list(range(1000, 1100))
    cached = [*prefix, 5, 5, 5, *suffix]
    plan = plan_reuse(cached, prefix + suffix, min_chunk=16, can_shift=True)
    assert plan.keep == 100
    assert plan.chunks == ((103, 100, 99),)


def test_short_chunks_and_models_that_cannot_shift_only_keep_the_prefix() -> None:
    prefix, suffix = list(range(100)), list(range(1000, 1040))
    cached, prompt = prefix + suffix, [*prefix, 1, *suffix]
    assert plan_reuse(cached, prompt, min_chunk=64, can_shift=True) == ReusePlan(100)
    assert plan_reuse(cached, prompt, min_chunk=16, can_shift=False) == ReusePlan(100)
    assert plan_reuse(cached, prompt, min_chunk=0, can_shift=True) == ReusePlan(100)


def test_empty_cache() -> None:
    assert plan_reuse([], [1, 2, 3], min_chunk=8, can_shift=True) == ReusePlan(0)


def test_a_jump_elsewhere_in_the_file_moves_both_sides() -> None:
    """The cursor moved down: the code between the two places and the rest both move."""
    head, middle, tail = list(range(100)), list(range(1000, 1100)), list(range(2000, 2200))
    cached = [*head, 7, 7, *middle, *tail]  # typed "7 7" at the old place
    prompt = [*head, *middle, 9, *tail]  # now typing "9" further down
    plan = plan_reuse(cached, prompt, min_chunk=32, can_shift=True)
    assert plan.keep == 100
    assert plan.chunks == ((102, 100, 100), (202, 201, 199))
    assert plan.reused == 399 and plan.changed == 3


def test_chunks_never_reuse_a_cached_token_twice() -> None:
    block = list(range(500, 540))
    cached = [1, 2, 3, *block]
    prompt = [1, 2, 3, 99, *block, 98, *block, 0]
    plan = plan_reuse(cached, prompt, min_chunk=16, can_shift=True)
    assert plan.chunks == ((3, 4, 40),)


def test_a_margin_at_the_front_of_each_moved_chunk_is_computed_again() -> None:
    prefix, suffix = list(range(100)), list(range(1000, 1200))
    cached = [*prefix, *suffix]
    prompt = [*prefix, 55, *suffix]
    plan = plan_reuse(cached, prompt, min_chunk=32, can_shift=True, margin=16)
    assert plan.chunks == ((116, 117, 183),)
    assert plan.changed == 1  # the recomputed margin is not a change
