"""The answering loop: whole and streamed answers through an encoder, errors after the start."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from codefill.api.streaming import answer
from codefill.engine.base import Delta, DeltaStream, FinishReason, Usage
from codefill.errors import EngineError
from codefill.service.completion import Completion


@dataclass
class Recorder:
    """A minimal encoder that shows the frames it was asked for."""

    media_type: str = "text/plain"
    finals: list[Delta] = field(default_factory=list)

    def opening(self) -> list[str]:
        return ["<open>"]

    def piece(self, text: str) -> str:
        return f"[{text}]"

    def closing(self, completion: Completion, final: Delta) -> list[str]:
        self.finals.append(final)
        return [f"<end {final.finish.value if final.finish else ''}>", "<bye>"]

    def error(self, error: Exception) -> str:
        return f"<error {error}>"

    def whole(self, completion: Completion, text: str, final: Delta) -> str:
        return f"whole:{text}:{completion.id}"


def app(script: list[Delta]) -> Starlette:
    async def route(request: Request) -> Response:
        stream = DeltaStream(on_abandon=lambda: None)
        for delta in script:
            stream.put(delta)
        completion = Completion("m", stream).start()
        return await answer(
            request, completion, Recorder(), stream=request.query_params.get("stream") == "1"
        )

    return Starlette(routes=[Route("/", route)])


SCRIPT = [Delta("ab"), Delta("c"), Delta("", FinishReason.STOP, Usage(completion_tokens=2))]


def test_a_whole_answer_has_the_completion_id_in_body_and_header() -> None:
    response = TestClient(app(SCRIPT)).get("/")
    identifier = response.headers["x-codefill-completion-id"]
    assert identifier.startswith("cmpl-") and response.text == f"whole:abc:{identifier}"
    assert response.headers["content-type"] == "application/json"


def test_a_stream_is_opening_pieces_and_closing_frames() -> None:
    response = TestClient(app(SCRIPT)).get("/?stream=1")
    assert response.text == "<open>[abc]<end stop><bye>"  # a late reader gets it at once
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-codefill-completion-id"].startswith("cmpl-")


@pytest.mark.parametrize("streamed", [False, True])
def test_an_error_after_the_start_is_in_band(streamed: bool) -> None:
    failing = [Delta("a"), Delta("", FinishReason.STOP, Usage(), error=EngineError("boom"))]
    client = TestClient(app(failing), raise_server_exceptions=False)
    if streamed:
        assert client.get("/?stream=1").text == "<open>[a]<error boom>"
    else:
        assert client.get("/").status_code == 500
