"""Token healing in the service: the switches, and which engines and prompts are healed."""

from __future__ import annotations

import pytest

from codefill.engine.base import Job
from codefill.engine.fake import FakeEngine
from codefill.engine.remote import RemoteEngine
from codefill.prompt.chat import ChatMessage
from codefill.service.models import ModelManager
from codefill.service.requests import ChatRequest, CompletionRequest, ContextSnippet
from codefill.service.serving import Serving
from codefill.settings import ModelConfig, Settings

pytestmark = pytest.mark.anyio

PROMPT = "def f():\n    r <SUF> \n <MID>"  # a cursor after `    r`; one token per character


class HealingFakeEngine(FakeEngine):
    """The fake engine, claiming to honour ``Job.retype`` as the local engine does."""

    can_heal = True


def serving(engine: type[FakeEngine] = HealingFakeEngine, **settings: object) -> Serving:
    models = [
        ModelConfig(name="m", path="/m.gguf", template="<|fim_prefix|>{code_prefix}"),
        ModelConfig(name="off", path="/off.gguf", token_healing=False),
    ]

    def loader(config: ModelConfig, _settings: Settings) -> FakeEngine:
        return engine(config.name)

    resolved = Settings.model_validate({"models": models, **settings})
    return Serving(ModelManager(resolved, loader=loader))


async def last_job(completions: Serving, request: CompletionRequest) -> Job:
    run = await completions.start(request)
    await run.collect()
    engine = (await completions.manager.get(request.model)).engine
    assert isinstance(engine, FakeEngine)
    return engine.jobs[-1]


async def test_a_mid_word_cursor_is_backed_off_and_re_typed() -> None:
    completions = serving()
    job = await last_job(completions, CompletionRequest("m", PROMPT))
    # the fake tokenizer has a token per character: " r" is two of them
    assert job.retype == b" r" and job.backed_off == 2
    assert job.tokens == (1_000_002, *map(ord, "def f():\n   "))
    assert job.text.endswith("    r")  # the text prompt is never backed off


@pytest.mark.parametrize(
    ("model", "request_switch", "server_switch", "healed"),
    [
        ("m", None, True, True),
        ("m", False, True, False),
        ("m", None, False, False),
        ("m", True, False, True),
        ("off", None, True, False),  # the model's switch
        ("off", True, True, True),  # the request's switch wins
    ],
)
async def test_switches(
    model: str, request_switch: bool | None, server_switch: bool, healed: bool
) -> None:
    completions = serving(token_healing=server_switch)
    request = CompletionRequest(model, PROMPT, token_healing=request_switch)
    job = await last_job(completions, request)
    assert (job.retype == b" r") is healed


async def test_engines_that_cannot_heal_get_the_whole_prompt() -> None:
    assert RemoteEngine.can_heal is False  # it sends Job.text upstream, as it is
    completions = serving(FakeEngine)
    job = await last_job(completions, CompletionRequest("m", PROMPT, token_healing=True))
    assert job.retype == b"" and job.tokens[-1] == ord("r")


async def test_verbatim_prompts_and_chat_are_never_healed() -> None:
    completions = serving()
    raw = await last_job(completions, CompletionRequest("m", "def f():\n    r", raw=True))
    assert raw.retype == b"" and raw.tokens[-1] == ord("r")
    run = await completions.start(ChatRequest("m", (ChatMessage("user", "wr"),)))
    await run.collect()
    engine = (await completions.manager.get("m")).engine
    assert isinstance(engine, FakeEngine) and engine.jobs[-1].retype == b""


async def test_a_cursor_at_the_start_of_a_line_is_left_alone() -> None:
    completions = serving()
    job = await last_job(completions, CompletionRequest("m", "def f():\n <SUF> x\n <MID>"))
    assert job.retype == b"" and job.tokens[-1] == ord("\n")


async def test_other_files_context_before_the_prefix_leaves_the_cursor_where_it_was() -> None:
    completions = serving()
    extra = (ContextSnippet("util.py", "def helper():\n    return 1\n"),)
    request = CompletionRequest("m", "# Path: main.py\n" + PROMPT, extra=extra)
    job = await last_job(completions, request)
    assert job.retype == b" r" and job.backed_off == 2
    assert "def helper()" in job.text and job.text.endswith("    r")
