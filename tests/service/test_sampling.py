"""Each dialect's defaults, and the server's limits on what a request may ask for."""

from __future__ import annotations

import pytest

from codefill.errors import BadRequest
from codefill.service.requests import Dialect, SamplingFields
from codefill.service.sampling import sampling_params, wanted_tokens
from codefill.settings import Settings

SETTINGS = Settings(default_max_tokens=256, max_tokens_limit=1000, max_generation_seconds=30)


def params(fields: SamplingFields, dialect: Dialect, *, chat: bool = False, room: int = 4000):
    return sampling_params(fields, dialect, chat=chat, settings=SETTINGS, room=room)


@pytest.mark.parametrize(
    ("dialect", "temperature", "top_p", "top_k", "min_p", "tokens"),
    [
        (Dialect.OLLAMA, 0.8, 0.9, 40, 0.0, 256),
        (Dialect.OPENAI, 1.0, 1.0, 0, 0.0, 16),
        (Dialect.LLAMACPP, 0.8, 0.95, 40, 0.05, 256),
    ],
)
def test_unset_knobs_take_the_dialects_defaults(
    dialect: Dialect, temperature: float, top_p: float, top_k: int, min_p: float, tokens: int
) -> None:
    got = params(SamplingFields(), dialect)
    assert (got.temperature, got.top_p, got.top_k, got.min_p) == (temperature, top_p, top_k, min_p)
    assert got.max_tokens == tokens and got.seed is None and got.repeat_last_n == 64


def test_set_knobs_win_and_zero_is_a_value() -> None:
    fields = SamplingFields(temperature=0.0, top_k=0, seed=7, stop=("\n",), max_tokens=5)
    got = params(fields, Dialect.OLLAMA)
    assert (got.temperature, got.top_k, got.seed, got.stop, got.max_tokens) == (
        0.0,
        0,
        7,
        ("\n",),
        5,
    )


def test_chat_runs_until_the_context_is_full_unless_told() -> None:
    assert params(SamplingFields(), Dialect.OPENAI, chat=True, room=300).max_tokens == 300
    assert params(SamplingFields(max_tokens=9), Dialect.OLLAMA, chat=True).max_tokens == 9
    assert wanted_tokens(SamplingFields(), Dialect.OLLAMA, chat=True, default=256) == 0


def test_negative_counts_mean_as_many_as_fit_and_the_limit_caps_the_room() -> None:
    assert params(SamplingFields(max_tokens=-1), Dialect.OLLAMA, room=120).max_tokens == 120
    assert params(SamplingFields(max_tokens=-1), Dialect.OLLAMA, room=5000).max_tokens == 1000
    assert params(SamplingFields(max_tokens=50), Dialect.OLLAMA, room=20).max_tokens == 20


def test_asking_for_more_than_the_limit_is_refused_not_clamped() -> None:
    with pytest.raises(BadRequest, match="at most 1000") as caught:
        params(SamplingFields(max_tokens=1001), Dialect.OPENAI)
    assert caught.value.param == "max_tokens"


def test_negative_seeds_are_random_and_zero_penalty_is_none() -> None:
    got = params(SamplingFields(seed=-1, repeat_penalty=0.0), Dialect.LLAMACPP)
    assert got.seed is None and got.repeat_penalty == 1.0


def test_client_budget_ends_at_a_line_server_limit_anywhere_and_stops_merge() -> None:
    fields = SamplingFields(time_budget_ms=500, stop=("x", "y"))
    got = sampling_params(
        fields, Dialect.OLLAMA, chat=False, settings=SETTINGS, room=100, stops=("y", "<|end|>")
    )
    assert got.line_budget == 0.5 and got.stop == ("x", "y", "<|end|>")
    assert got.time_budget == 30  # the server's limit ends a generation anywhere
    assert params(SamplingFields(time_budget_ms=90_000), Dialect.OLLAMA).time_budget == 30
    assert params(SamplingFields(), Dialect.OLLAMA).line_budget is None
    assert params(SamplingFields(time_budget_ms=0), Dialect.LLAMACPP).line_budget is None
