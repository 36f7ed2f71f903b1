"""The messages between the server and a worker survive the pipe unchanged."""

from __future__ import annotations

import os
from multiprocessing.connection import Connection

import pytest

from codefill.engine.base import Delta, FinishReason, Usage
from codefill.engine.ipc import Channel, decode_delta, decode_error, encode_delta, encode_error
from codefill.errors import (
    BadRequest,
    CodefillError,
    ContextOverflow,
    EngineError,
    ModelLoadError,
    Overloaded,
)


@pytest.mark.parametrize(
    "delta",
    [
        Delta(" text"),
        Delta("", FinishReason.STOP, Usage(10, 4, 3, 0.1, 0.2, 0.3)),
        Delta("tail", FinishReason.CANCELLED, Usage()),
        Delta("", FinishReason.STOP, Usage(), EngineError("llama_decode failed")),
    ],
)
def test_a_delta_crosses_a_real_pipe_unchanged(delta: Delta) -> None:
    read, write = os.pipe()
    sender = Channel(Connection(write, readable=False))
    receiver = Channel(Connection(read, writable=False))
    sender.send(*encode_delta("job-7", delta))
    job_id, received = decode_delta(receiver.recv())
    sender.close()
    receiver.close()
    assert job_id == "job-7"
    assert (received.text, received.finish, received.usage) == (
        delta.text,
        delta.finish,
        delta.usage,
    )
    if delta.error is None:
        assert received.error is None
    else:
        assert type(received.error) is EngineError
        assert received.error.message == delta.error.message


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("bad", param="prompt"),
        ContextOverflow("too long", param="prompt"),
        Overloaded("full"),
        ModelLoadError("cannot load"),
        EngineError("failed"),
        CodefillError("anything else"),
    ],
)
def test_errors_keep_their_class_message_and_param(error: CodefillError) -> None:
    back = decode_error(*encode_error(error))
    expected = EngineError if type(error) is CodefillError else type(error)
    assert type(back) is expected and back.message == error.message
    assert getattr(back, "param", None) == getattr(error, "param", None)
