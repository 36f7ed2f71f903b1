"""Schema-driven fuzzing of every route on the real server: no answer may be a 5xx.

Schemathesis generates valid and invalid bodies from the OpenAPI document. The server runs
with a short generation budget so each valid request costs little model time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import ProjectConfig, ProjectsConfig, SchemathesisConfig

from tests.conftest import Server, start_server, stop_server

FUZZ_CONFIG = """
max_generation_seconds = 0.3
default_max_tokens = 8
max_tokens_limit = 64
"""
EXAMPLES = 50  # per route and mode: about 1,400 requests, a few minutes on two cores


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("fuzz"), FUZZ_CONFIG)
    yield running
    stop_server(running)


def operations(server: Server) -> list[schemathesis.APIOperation]:
    project = ProjectConfig(base_url=server.url, request_timeout=60)
    config = SchemathesisConfig(projects=ProjectsConfig(default=project))
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json", config=config)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_route_answers_with_a_server_error(fuzz_server: Server, mode: GenerationMode) -> None:
    found = operations(fuzz_server)
    assert len(found) >= 12
    failures: list[str] = []
    for operation in found:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call(timeout=60)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path} {case.body!r}: {response.text[:200]}")

        try:
            fuzz()
        except Unsatisfiable:  # nothing invalid to make of a route that takes no body
            assert mode is GenerationMode.NEGATIVE and not operation.body
    assert not failures, "\n".join(failures[:10])
