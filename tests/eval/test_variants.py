"""The typing benchmark's transform and the variants a run compares."""

from __future__ import annotations

import re

from codefill.eval.metrics import TaskResult, summarize
from codefill.eval.report import markdown_table
from codefill.eval.runner import EvalConfig, make_attempts, request_body_for
from codefill.eval.tasks import Task
from codefill.eval.variants import Variant, cut_mid_word, mid_word_positions, rotated, variants

TASK = Task("t/1", "f", "def f(xs):\n", "    return y\n", "    total = sum(xs)\n", "")


def test_positions_inside_words_of_the_first_line_only() -> None:
    assert mid_word_positions("    return x\n") == [5, 6, 7, 8, 9]
    assert mid_word_positions("a_b1 = 2\nlonger\n") == [1, 2, 3]
    assert mid_word_positions("    i = 2\n") == [] and mid_word_positions("    }\n") == []


def test_a_cut_moves_the_typed_part_of_the_line_into_the_prefix() -> None:
    cut = cut_mid_word(TASK, seed=0)
    assert cut is not None
    assert cut.prefix + cut.middle + cut.suffix == TASK.prefix + TASK.middle + TASK.suffix
    # the line's newline belongs to the suffix: the line being typed already ends there
    assert not cut.middle.endswith("\n") and cut.suffix == "\n" + TASK.suffix
    assert cut.test == TASK.test
    assert re.search(r"\w\Z", cut.prefix) and re.match(r"\w", cut.middle)
    assert cut_mid_word(TASK, seed=0) == cut  # seeded per task: the same cut every run
    cuts = {cut_mid_word(TASK, seed).middle for seed in range(40)}  # type: ignore[union-attr]
    assert len(cuts) > 3  # and the seed moves it
    assert cut_mid_word(Task("t/2", "f", "", "", "    i = 2\n", ""), 0) is None
    multi = cut_mid_word(Task("t/4", "f", "", "x\n", "    ab\n    cd\n", ""), 0)
    assert multi is not None and multi.middle == "b\n    cd\n" and multi.suffix == "x\n"


def test_typing_compares_three_ways_and_healing_runs_one_per_setting() -> None:
    assert [v.label for v in variants(True, (None,))] == [
        "line start",
        "mid-word, healing off",
        "mid-word, healing on",
    ]
    assert variants(False, (None,)) == (Variant(),)
    assert [v.healing for v in variants(False, (True, False))] == [True, False]
    assert [v.label for v in variants(False, (True, False))] == ["healing on", "healing off"]


def test_each_variant_goes_first_in_turn() -> None:
    kinds = variants(True, (None,))
    assert [rotated(kinds, i)[0] for i in range(4)] == [kinds[0], kinds[1], kinds[2], kinds[0]]


def test_attempts_of_a_typing_run_ask_each_task_three_ways() -> None:
    second = Task("t/3", "f", "", "", "    return 1\n", "")
    attempts = make_attempts([TASK, second], EvalConfig(postprocess=(True,), typing=True, seed=5))
    assert len(attempts) == 6
    assert [attempt.variant.label for attempt in attempts[3:]] == [
        "mid-word, healing off",
        "mid-word, healing on",
        "line start",
    ]
    by_label = {attempt.variant.label: attempt for attempt in attempts[:3]}
    assert by_label["line start"].task == TASK
    assert by_label["mid-word, healing on"].task == cut_mid_word(TASK, 5)
    assert request_body_for(by_label["mid-word, healing off"], 16)["token_healing"] is False
    assert request_body_for(by_label["mid-word, healing on"], 16)["token_healing"] is True
    assert "token_healing" not in request_body_for(make_attempts([TASK], EvalConfig())[0], 16)


def test_the_table_shows_the_setting_when_a_run_compares_variants() -> None:
    def result(setting: str, status: str) -> TaskResult:
        return TaskResult("m", True, "t", "x", status, False, 0.5, 0.1, 0.2, setting=setting)

    table = markdown_table(summarize([result("line start", "passed"), result("mid", "failed")]))
    lines = table.splitlines()
    assert lines[0].startswith("| model | postprocess | setting | tasks | pass@1 |")
    assert lines[2].startswith("| m | on | line start | 1 | 1.000 (1/1) |")
    assert lines[3].startswith("| m | on | mid | 1 | 0.000 (0/1) |")
