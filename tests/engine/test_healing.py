"""Token healing in the engine: the allowed tokens, re-typing, and the scheduler's constraint."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from codefill.engine.base import FinishReason, Job, SamplingParams
from codefill.engine.healing import PieceIndex, advance
from codefill.engine.scheduler import Scheduler
from codefill.settings import Settings
from tests.engine.test_scheduler import Collector, FakeSampler, run

END = 0
VOCAB = ["", " ", " r", " re", " return", "r", "return", "e", "et", "eturn", "t", "type"]
VOCAB += [" x", "\n"]


def allowed(remaining: bytes, vocab: list[str] = VOCAB) -> set[str]:
    index = PieceIndex((token, text.encode()) for token, text in enumerate(vocab))
    return {vocab[token] for token in index.allowed(remaining)}


def test_allowed_tokens_start_with_the_rest_or_are_a_prefix_of_it() -> None:
    assert allowed(b" r") == {" ", " r", " re", " return"}
    assert allowed(b" ret") == {" ", " r", " re", " return"}
    assert allowed(b"et") == {"e", "et", "eturn"}
    assert allowed(b"zz") == set()


def test_control_tokens_never_re_type_anything() -> None:
    assert "" not in allowed(b"r") and allowed(b"r") == {"r", "return"}


def test_allowed_handles_bytes_at_the_top_of_the_range() -> None:
    # byte-level vocabularies split characters, so pieces need not be UTF-8
    index = PieceIndex([(0, b"\xff\xff"), (1, b"\xff"), (2, b"a"), (3, b"\xfe\xff")])
    assert set(index.allowed(b"\xff").tolist()) == {0, 1}
    assert set(index.allowed(b"\xfe").tolist()) == {3}


@pytest.mark.parametrize(
    ("remaining", "piece", "after"),
    [
        (b" r", b" return", (b"", b"eturn")),
        (b" r", b" r", (b"", b"")),
        (b" ret", b" r", (b"et", b"")),
        (b"et", b"eturn", (b"", b"urn")),
        (b" r", b"x", (b"", b"x")),  # not allowed: the constraint ends, nothing is lost
    ],
)
def test_advance(remaining: bytes, piece: bytes, after: tuple[bytes, bytes]) -> None:
    assert advance(remaining, piece) == after


@dataclass
class WantingBackend:
    """A 'model' that wants to write ``want`` after any prompt: each step it samples the
    longest allowed token that continues it, as greedy decoding would."""

    want: bytes = b" return x\n"
    n_batch: int = 64
    seq_context: int = 512
    can_shift: bool = True
    constraints: list[bytes] = field(default_factory=list)
    _written: dict[int, bytes] = field(default_factory=dict)
    _seqs: list[int] = field(default_factory=list)
    _index: PieceIndex = field(
        default_factory=lambda: PieceIndex((t, text.encode()) for t, text in enumerate(VOCAB))
    )

    def decode(
        self, tokens: list[int], positions: list[int], seqs: list[int], logits: list[bool]
    ) -> None:
        self._seqs = list(seqs)

    def new_sampler(self, params: SamplingParams) -> FakeSampler:
        return FakeSampler(params)

    def sample(self, sampler: FakeSampler, index: int, retype: bytes = b"") -> int:
        seq = self._seqs[index]
        written = self._written.get(seq, b"")
        rest = self.want[len(written) :]
        if retype:
            self.constraints.append(retype)
            candidates = [int(t) for t in self._index.allowed(retype)]
        else:
            candidates = list(range(1, len(VOCAB)))
        fitting = [t for t in candidates if rest.startswith(VOCAB[t].encode())]
        if not fitting:
            return candidates[0] if retype else END
        token = max(fitting, key=lambda t: len(VOCAB[t]))
        self._written[seq] = written + VOCAB[token].encode()
        return token

    def piece(self, token: int) -> bytes:
        return VOCAB[token].encode()

    def is_end(self, token: int) -> bool:
        return token == END

    def kv_remove(self, seq: int, start: int, end: int = -1) -> None:
        if start <= 0:
            self._written.pop(seq, None)

    def kv_copy(self, source: int, target: int, start: int, end: int) -> None:
        pass

    def kv_shift(self, seq: int, start: int, end: int, delta: int) -> None:
        pass


def scheduler_on(backend: WantingBackend, slots: int = 2) -> Scheduler:
    return Scheduler(backend, Settings.model_validate({"slots": slots}))  # type: ignore[arg-type]


def test_the_re_typed_bytes_are_written_but_not_shown() -> None:
    backend = WantingBackend()
    scheduler = scheduler_on(backend)
    (healed,) = run(scheduler, Job((1, 2), retype=b" r"))
    scheduler.close()
    assert healed.text == "eturn x\n"
    assert backend.constraints == [b" r"]  # only the first step was constrained
    usage = healed.final.usage
    assert usage is not None and usage.completion_tokens == 4  # " return", " x", "\n", end


def test_re_typing_may_take_several_tokens() -> None:
    backend = WantingBackend(want=b" retype")
    scheduler = scheduler_on(backend)
    (healed,) = run(scheduler, Job((1,), retype=b" ret"))
    scheduler.close()
    # " re" re-types part of " ret"; then only tokens starting with "t" may follow
    assert backend.constraints == [b" ret", b"t"]
    assert healed.text == "ype" and healed.final.error is None


def test_tokens_that_only_re_type_count_as_neither_prompt_nor_completion() -> None:
    backend = WantingBackend(want=b" retype")
    scheduler = scheduler_on(backend)
    job = Job((1,), SamplingParams(max_tokens=1), retype=b" ret", backed_off=2)
    (healed,) = run(scheduler, job)
    scheduler.close()
    # " re" only re-typed; "type" is the one token of new text max_tokens allows
    assert healed.text == "ype" and healed.final.finish is FinishReason.LENGTH
    usage = healed.final.usage
    # the backed-off tokens are still the prompt's, as the client sent it
    assert usage is not None and usage.prompt_tokens == 3 and usage.completion_tokens == 1


def test_stop_strings_are_not_matched_inside_the_re_typed_bytes() -> None:
    backend = WantingBackend()
    scheduler = scheduler_on(backend)
    (healed,) = run(scheduler, Job((1,), SamplingParams(stop=(" r",)), retype=b" r"))
    scheduler.close()
    assert healed.text == "eturn x\n" and healed.final.finish is FinishReason.STOP


def test_each_slot_has_its_own_constraint() -> None:
    backend = WantingBackend()
    scheduler = scheduler_on(backend)
    plain, healed = Collector(), Collector()
    scheduler.submit(Job((1, 2, 3)), plain)
    scheduler.submit(Job((4, 5), retype=b" r"), healed)
    plain.final, healed.final  # noqa: B018 - waits
    scheduler.close()
    assert plain.text == " return x\n" and healed.text == "eturn x\n"
    assert backend.constraints == [b" r"]
