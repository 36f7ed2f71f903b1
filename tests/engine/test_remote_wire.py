from __future__ import annotations

from codefill.engine.base import FinishReason, Job, SamplingParams
from codefill.engine.remote_wire import EventDecoder, error_message, parse_chunk, request_body


def test_completion_body_sends_the_rendered_prompt_and_stops() -> None:
    sampling = SamplingParams(max_tokens=16, temperature=0.2, top_p=0.9, seed=7, stop=("\n\n",))
    job = Job((1, 2), sampling, text="<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>")
    path, body = request_body(job, "coder")
    assert path == "/v1/completions"
    assert body["model"] == "coder" and body["prompt"] == job.text
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["seed"]) == (
        16,
        0.2,
        0.9,
        7,
    )
    assert body["stop"] == ["\n\n"] and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["skip_special_tokens"] is False
    assert "suffix" not in body and "messages" not in body


def test_extra_samplers_only_when_they_change_anything() -> None:
    neutral = SamplingParams(top_k=0, min_p=0.0, repeat_penalty=1.0, seed=None)
    _, body = request_body(Job((), neutral, text="x"), None)
    assert not {"top_k", "min_p", "repeat_penalty", "repetition_penalty", "seed"} & set(body)
    assert "model" not in body
    active = SamplingParams(top_k=40, min_p=0.05, repeat_penalty=1.1, presence_penalty=0.5)
    _, body = request_body(Job((), active, text="x"), None)
    assert (body["top_k"], body["min_p"]) == (40, 0.05)
    assert body["repeat_penalty"] == body["repetition_penalty"] == 1.1
    assert body["presence_penalty"] == 0.5 and "frequency_penalty" not in body


def test_chat_body_sends_messages_for_the_upstream_template() -> None:
    job = Job((1,), text="<|im_start|>...", messages=(("system", "be brief"), ("user", "hi")))
    path, body = request_body(job, "m")
    assert path == "/v1/chat/completions" and "prompt" not in body
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]


def test_event_decoder_joins_data_lines_and_skips_comments() -> None:
    decoder = EventDecoder()
    lines = [": ping", 'data: {"a":', "data:1}", "", "event: x", "", "data: [DONE]", ""]
    events = [event for line in lines if (event := decoder.feed(line)) is not None]
    assert events == ['{"a":\n1}', "[DONE]"]


def test_event_decoder_flushes_an_unterminated_event() -> None:
    decoder = EventDecoder()
    assert decoder.feed("data: last") is None
    assert decoder.flush() == "last" and decoder.flush() is None


def test_completion_and_chat_chunks() -> None:
    text = parse_chunk({"choices": [{"text": "de", "finish_reason": None}]})
    assert (text.text, text.finish) == ("de", None)
    chat = parse_chunk({"choices": [{"delta": {"content": "hi"}, "finish_reason": "length"}]})
    assert (chat.text, chat.finish) == ("hi", FinishReason.LENGTH)
    role_only = parse_chunk({"choices": [{"delta": {"role": "assistant"}}]})
    assert role_only.text == "" and role_only.finish is None
    stopped = parse_chunk({"choices": [{"text": "", "finish_reason": "stop"}]})
    assert stopped.finish is FinishReason.STOP


def test_usage_chunk_with_cached_tokens() -> None:
    chunk = parse_chunk(
        {
            "choices": [],
            "usage": {
                "prompt_tokens": 30,
                "completion_tokens": 5,
                "prompt_tokens_details": {"cached_tokens": 16},
            },
        }
    )
    assert (chunk.prompt_tokens, chunk.completion_tokens, chunk.cached_tokens) == (30, 5, 16)


def test_errors_in_band_and_malformed() -> None:
    assert parse_chunk({"error": {"message": "boom", "code": 500}}).error == "boom"
    assert parse_chunk([1, 2]).error is not None
    assert error_message({"detail": "nope"}) == "nope"
    assert error_message({"object": "error", "message": "bad"}) == "bad"
