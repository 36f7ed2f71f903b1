"""Replay one cross-file task as an editor session would, and score the line it asks for.

Three ways, each in its own session (``X-Codefill-Session``), the same requests otherwise:

- ``memory``: the session's FIM requests in the visited files, then one at the end of the
  line before the task's line, then the task: the server remembers the files it was sent.
- ``input_extra``: the same requests with the session memory off (``memory: false``); each
  carries, as llama.vim's ring buffer would, the chunks around the cursor of the files
  visited before it, in visiting order.
- ``none``: memory off and no extra context. The visits are left out, since they carry
  nothing this way could use: only the request at the line before and the task are sent,
  so the task's request finds the same warm cache of its own file as in the other ways.

Every request is greedy and streamed through ``/api/generate`` in the seed format, with
post-processing on. The task's request stops at the end of the line; its first line is
scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from codefill.eval.client import Answer, complete
from codefill.eval.crossfile_tasks import CrossFileTask, Visit
from codefill.eval.metrics import edit_similarity

__all__ = ["WAYS", "CrossFileResult", "replay", "score_line"]

WAYS = ("none", "memory", "input_extra")
VISIT_TOKENS = 1  # what a visit asks for; its answer is not scored


@dataclass(frozen=True)
class CrossFileResult:
    """The task's line under one way; ``cached_tokens`` and ``prompt_tokens`` are the
    task request's own, from its ``timings``."""

    task_id: str
    way: str
    name: str
    completion: str
    exact_match: bool
    edit_similarity: float
    name_right: bool
    ttft: float | None
    latency: float | None
    prompt_tokens: int | None
    cached_tokens: int | None
    error: str | None = None


def request_body(
    model: str,
    visit: Visit | CrossFileTask,
    num_predict: int,
    way: str,
    extra: list[dict[str, str]],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "prompt": f"# Path: {visit.path}\n{visit.prefix} <SUF> {visit.suffix} <MID>",
        "stream": True,
        "options": {"temperature": 0, "num_predict": num_predict},
        "memory": way == "memory",
    }
    if way == "input_extra" and extra:
        body["input_extra"] = list(extra)
    return body


def replay(
    client: httpx.Client,
    model: str,
    task: CrossFileTask,
    way: str,
    session: str,
    num_predict: int,
) -> CrossFileResult:
    """Send the task's session and score its line; a failed request is an error result."""
    headers = {"X-Codefill-Session": session}
    ring: list[dict[str, str]] = []
    for visit in () if way == "none" else task.visits:
        answer = complete(client, request_body(model, visit, VISIT_TOKENS, way, ring), headers)
        if answer.error is not None:
            return _failed(task, way, f"visit {visit.path}: {answer.error}")
        ring.append({"filename": visit.path, "text": visit.chunk})
    warmup = complete(client, request_body(model, task.warmup, VISIT_TOKENS, way, ring), headers)
    if warmup.error is not None:
        return _failed(task, way, f"line before: {warmup.error}")
    body = request_body(model, task, num_predict, way, ring)
    body["options"]["stop"] = ["\n"]
    return score_line(task, way, complete(client, body, headers))


def score_line(task: CrossFileTask, way: str, answer: Answer) -> CrossFileResult:
    if answer.error is not None:
        return _failed(task, way, answer.error)
    line = answer.text.split("\n", 1)[0].strip()
    timings = answer.timings or {}
    return CrossFileResult(
        task_id=task.task_id,
        way=way,
        name=task.name,
        completion=line,
        exact_match=line == task.middle.strip(),
        edit_similarity=edit_similarity(line, task.middle.strip()),
        name_right=re.search(rf"\b{re.escape(task.name)}\b", line) is not None,
        ttft=answer.ttft,
        latency=answer.latency,
        prompt_tokens=timings.get("prompt_tokens"),
        cached_tokens=timings.get("cached_tokens"),
    )


def _failed(task: CrossFileTask, way: str, error: str) -> CrossFileResult:
    return CrossFileResult(
        task.task_id, way, task.name, "", False, 0.0, False, None, None, None, None, error
    )
