"""Chat prompts fitted into the context as Ollama fits them (fake tokenizer: a character is
a token): the system messages and the latest turns stay, older turns go whole."""

from __future__ import annotations

import pytest

from codefill.engine.fake import FakeEngine
from codefill.errors import ContextOverflow
from codefill.prompt.chat import ChatMessage
from codefill.prompt.templates import parts_text
from codefill.service.models import LoadedModel, prepare
from codefill.service.prompting import chat_prompt
from codefill.settings import ModelConfig

SYSTEM = ChatMessage("system", "S" * 100)
TURNS = (
    ChatMessage("user", "first question " + "a" * 200),
    ChatMessage("assistant", "first answer " + "b" * 200),
    ChatMessage("user", "second question " + "c" * 200),
    ChatMessage("assistant", "second answer " + "d" * 200),
    ChatMessage("user", "last question"),
)


@pytest.fixture
def model() -> LoadedModel:
    return prepare(ModelConfig(name="default", path="/fake.gguf"), FakeEngine(), 0.0)


def _size(model: LoadedModel, *messages: ChatMessage) -> int:
    return len(chat_prompt(messages, model, 1_000_000).tokens)


def test_a_chat_that_fits_is_whole(model: LoadedModel) -> None:
    built = chat_prompt((SYSTEM, *TURNS), model, 4096, reserve=64)
    assert (built.dropped_messages, built.truncated_tokens) == (0, 0)


def test_older_turns_go_whole_and_the_system_stays(model: LoadedModel) -> None:
    whole = _size(model, SYSTEM, *TURNS)
    kept = _size(model, SYSTEM, *TURNS[2:])
    built = chat_prompt((SYSTEM, *TURNS), model, kept + 10, reserve=5)
    text = parts_text(built.parts)
    assert text.startswith("<|im_start|>system\n" + SYSTEM.content)
    assert "first" not in text and "second question" in text and "last question" in text
    assert built.dropped_messages == 2 and built.truncated_tokens == whole - kept


def test_only_the_system_and_the_last_message_when_nothing_else_fits(
    model: LoadedModel,
) -> None:
    smallest = _size(model, SYSTEM, TURNS[-1])
    built = chat_prompt((SYSTEM, *TURNS), model, smallest + 1)
    assert built.dropped_messages == 4 and len(built.tokens) == smallest


def test_refused_only_when_the_system_and_last_message_cannot_fit(model: LoadedModel) -> None:
    smallest = _size(model, SYSTEM, TURNS[-1])
    with pytest.raises(ContextOverflow, match=f"has {smallest} tokens"):
        chat_prompt((SYSTEM, *TURNS), model, smallest)


def test_system_messages_between_turns_are_kept(model: LoadedModel) -> None:
    late = ChatMessage("system", "be brief")
    messages = (SYSTEM, TURNS[0], TURNS[1], late, *TURNS[2:])
    kept = _size(model, SYSTEM, late, *TURNS[2:])
    built = chat_prompt(messages, model, kept + 1)
    text = parts_text(built.parts)
    assert "be brief" in text and "first" not in text and built.dropped_messages == 2
