"""Speculative decoding: the n-gram drafter, and the scheduler verifying drafts on a model
that reads its own KV cache (so a draft cell left behind or a wrong position shows)."""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from codefill.engine.base import Delta, Job, SamplingParams
from codefill.engine.drafts import Drafter, next_length
from codefill.engine.scheduler import Scheduler
from codefill.settings import Settings

from .test_scheduler import Collector, FakeSampler


def test_a_draft_is_what_followed_the_last_occurrence() -> None:
    drafter = Drafter(2, [], [1, 2, 3, 4, 9, 1, 2, 5, 6])
    drafter.push(1)
    drafter.push(2)
    assert drafter.draft(3) == [5, 6, 1]  # the latest "1 2" was followed by 5 6 1
    assert drafter.draft(0) == []


def test_no_draft_without_an_earlier_occurrence() -> None:
    drafter = Drafter(3, [], [1, 2, 3])
    assert drafter.draft(4) == []  # the context's own last n-gram does not count
    drafter.push(7)
    assert drafter.draft(4) == []


def test_history_drafts_stop_at_the_end_of_their_completion() -> None:
    drafter = Drafter(2, [[5, 6, 7, 8]], [1, 5, 6])
    assert drafter.draft(8) == [7, 8]


def test_draft_length_grows_on_success_and_shrinks_on_refusal() -> None:
    assert next_length(4, 4, 4, 16) == 8
    assert next_length(16, 16, 16, 16) == 16
    assert next_length(8, 8, 2, 16) == 3
    assert next_length(8, 8, 0, 16) == 2
    assert next_length(8, 8, 0, 16, least=1) == 1


# --- the scheduler verifying drafts ----------------------------------------------------------


@dataclass
class CacheModel:
    """A 'model' whose next token depends on the last three tokens in its KV cache.

    ``rule`` maps those three tokens to the next; anything else gives ``default`` then the
    end token 0. Decoding into a cell that is taken fails, as does reading a missing one.
    """

    rule: dict[tuple[int, int, int], int]
    n_batch: int = 64
    seq_context: int = 512
    can_shift: bool = True
    close: set[int] = field(default_factory=set)  # positions whose next token is a close call
    kv: dict[int, dict[int, int]] = field(default_factory=dict)
    decodes: int = 0
    alone: list[int] = field(default_factory=list)  # positions decoded in a batch of one
    _next: dict[int, int] = field(default_factory=dict)
    _positions: list[int] = field(default_factory=list)

    def decode(
        self, tokens: list[int], positions: list[int], seqs: list[int], logits: list[bool]
    ) -> None:
        self.decodes += 1
        for seq in set(seqs):  # llama.cpp: a sequence's new tokens follow its last cell
            first = min(p for p, s in zip(positions, seqs, strict=True) if s == seq)
            cells = self.kv.get(seq, {})
            assert first == (max(cells) + 1 if cells else first), f"seq {seq} skips to {first}"
        self._positions = list(positions)
        if len(tokens) == 1:
            self.alone.append(positions[0])
        for token, position, seq in zip(tokens, positions, seqs, strict=True):
            cells = self.kv.setdefault(seq, {})
            assert position not in cells, f"cell {position} of seq {seq} is taken"
            cells[position] = token
        self._next = {}
        for row, (position, seq, wanted) in enumerate(zip(positions, seqs, logits, strict=True)):
            if wanted:
                cells = self.kv[seq]
                key = tuple(cells[p] for p in range(position - 2, position + 1))
                self._next[row] = self.rule.get(key, 0)  # type: ignore[arg-type]

    def new_sampler(self, params: SamplingParams) -> FakeSampler:
        return FakeSampler(params)

    def sample(self, sampler: FakeSampler, index: int, retype: bytes = b"") -> int:
        return self._next[index]

    def piece(self, token: int) -> bytes:
        return chr(token).encode()

    def margin(self, index: int) -> float:
        return 0.1 if self._positions[index] in self.close else 10.0

    def is_end(self, token: int) -> bool:
        return token == 0

    def kv_remove(self, seq: int, start: int, end: int = -1) -> None:
        cells = self.kv.setdefault(seq, {})
        for position in list(cells):
            if (start < 0 or position >= start) and (end < 0 or position < end):
                del cells[position]

    def kv_copy(self, source: int, target: int, start: int, end: int) -> None:
        for position, token in list(self.kv.get(source, {}).items()):
            if start <= position < end:
                self.kv.setdefault(target, {})[position] = token

    def kv_shift(self, seq: int, start: int, end: int, delta: int) -> None:
        cells = self.kv.setdefault(seq, {})
        moved = {p: t for p, t in cells.items() if start <= p < end}
        for position in moved:
            del cells[position]
        for position, token in moved.items():
            cells[position + delta] = token


def rule_of(text: str) -> dict[tuple[int, int, int], int]:
    """Every three characters of ``text`` lead to the character after them (the last wins)."""
    codes = [ord(c) for c in text]
    return {tuple(codes[i : i + 3]): codes[i + 3] for i in range(len(codes) - 3)}  # type: ignore[misc]


def generate(model: CacheModel, prompt: str, speculative: bool, **sampling: object) -> Delta:
    config = Settings.model_validate({"speculative": speculative, "slots": 1})
    scheduler = Scheduler(model, config)
    sink = Collector()
    params = SamplingParams(temperature=0, **sampling)  # type: ignore[arg-type]
    scheduler.submit(Job(tuple(ord(c) for c in prompt), params), sink)
    final = sink.final
    scheduler.close()
    return Delta(sink.text, final.finish, final.usage)


def test_drafts_from_the_prompt_give_the_same_text_in_fewer_decodes() -> None:
    text = string.ascii_letters + string.digits  # every three characters say what follows
    prompt = text + "|" + text[:10]  # the model copies the text again
    plain_model = CacheModel(rule_of(prompt + text[10:]))
    plain = generate(plain_model, prompt, speculative=False, max_tokens=120)
    drafted_model = CacheModel(rule_of(prompt + text[10:]))
    drafted = generate(drafted_model, prompt, speculative=True, max_tokens=120)
    assert drafted.text == plain.text and plain.text.startswith(text[10:])
    assert drafted.usage is not None and plain.usage is not None
    assert drafted.usage.completion_tokens == plain.usage.completion_tokens == 120
    assert drafted.usage.accepted_tokens > 80 and plain.usage.draft_tokens == 0
    assert drafted_model.decodes < plain_model.decodes / 4


def test_close_calls_in_a_draft_are_decoded_again_alone() -> None:
    text = string.ascii_letters + string.digits
    prompt = text + "|" + text[:10]
    close = {len(prompt) + 5, len(prompt) + 20}
    plain = generate(CacheModel(rule_of(prompt + text[10:])), prompt, False, max_tokens=60)
    model = CacheModel(rule_of(prompt + text[10:]), close=close)
    drafted = generate(model, prompt, speculative=True, max_tokens=60)
    assert drafted.text == plain.text
    assert close <= set(model.alone)  # each close call came from a decode of its own
    assert drafted.usage is not None and drafted.usage.accepted_tokens > 40
    assert len(model.kv[0]) == len(prompt) + 59  # the last token is never decoded


def test_refused_drafts_leave_no_cells_and_change_nothing() -> None:
    # the prompt says "abc" goes on with "x", the model goes on with "y": every draft fails
    prompt = "zzabcxqqq abcxrrr -- ab"
    rule = rule_of("-- abcyyyz")
    plain = generate(CacheModel(dict(rule)), prompt, speculative=False)
    model = CacheModel(dict(rule))
    drafted = generate(model, prompt, speculative=True)
    assert drafted.text == plain.text == "cyyyz"
    assert drafted.usage is not None and drafted.usage.draft_tokens > 0
    assert drafted.usage.accepted_tokens < drafted.usage.draft_tokens
    # the cache holds the prompt and the text, nothing drafted past it
    assert len(model.kv[0]) == len(prompt) + len("cyyyz")


def test_drafts_never_run_past_max_tokens() -> None:
    text = "0123456789" * 6
    prompt = text + text[:5]
    model = CacheModel(rule_of(text * 2))
    drafted = generate(model, prompt, speculative=True, max_tokens=7)
    assert drafted.text == text[5:12]
    assert drafted.usage is not None and drafted.usage.completion_tokens == 7


def test_a_session_drafts_from_its_earlier_completions() -> None:
    answer = "return sorted(items, key=len)\n"
    rule = rule_of("x = " + answer) | rule_of("y = " + answer)
    model = CacheModel(rule)
    scheduler = Scheduler(model, Settings.model_validate({"slots": 1, "speculative": True}))
    usages = []
    for prompt in ("x = ", "y = "):
        sink = Collector()
        job = Job(tuple(ord(c) for c in prompt), SamplingParams(temperature=0), session="s")
        scheduler.submit(job, sink)
        usages.append(sink.final.usage)
        assert sink.text == answer
    scheduler.close()
    assert usages[0] is not None and usages[1] is not None
    assert usages[1].accepted_tokens > usages[0].accepted_tokens + 10


def test_two_jobs_draft_side_by_side() -> None:
    text = string.ascii_letters + string.digits
    prompts = [text + "|" + text[:10], text[::-1] + "|" + text[::-1][:10]]
    rule = rule_of(prompts[0] + text[10:]) | rule_of(prompts[1] + text[::-1][10:])
    answers = {}
    for speculative in (False, True):
        model = CacheModel(dict(rule))
        config = Settings.model_validate({"speculative": speculative, "slots": 2})
        scheduler = Scheduler(model, config)
        sinks = [Collector(), Collector()]
        for prompt, sink in zip(prompts, sinks, strict=True):
            params = SamplingParams(temperature=0, max_tokens=50)
            scheduler.submit(Job(tuple(ord(c) for c in prompt), params), sink)
        answers[speculative] = [sink.final and sink.text for sink in sinks]
        scheduler.close()
    assert answers[True] == answers[False]
    assert answers[False][0].startswith(text[10:30])
    assert answers[False][1].startswith(text[::-1][10:30])
