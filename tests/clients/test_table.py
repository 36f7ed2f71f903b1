"""docs/clients.md's table stays in step with the suite: pinned versions, existing tests,
a row for every module; and every pinned JavaScript package (tabby-agent too) installed."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from tests.clients.conftest import HERE, JS

ROOT = HERE.parent.parent
ROW = re.compile(r"^\| `(?P<name>[^`]+)` \((?P<source>PyPI|npm|git)\) \| (?P<version>[^ |]+) \|")


def _rows() -> list[tuple[str, str, str, list[str]]]:
    rows = []
    for line in (ROOT / "docs/clients.md").read_text().splitlines():
        match = ROW.match(line)
        if match:
            tests = re.findall(r"`(test_\w+\.py)`", line.rsplit("|", 2)[-2])
            rows.append((match["name"], match["source"], match["version"], tests))
    return rows


def _pypi_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [p.split("#")[0].strip() for p in project["optional-dependencies"]["clients"]]
    return dict(pin.split("==") for pin in pins)


# Pinned only because a client needs them beside it (peer dependencies), not clients.
HELPERS = {"zod", "@langchain/core"}


def _npm_pins() -> dict[str, str]:
    """The root's pins, then the ai@4 workspace's for what the root does not have."""
    pins: dict[str, str] = {}
    for manifest in (JS / "ai-sdk-v4/package.json", JS / "package.json"):
        pins.update(json.loads(manifest.read_text())["dependencies"])
    return {name: version for name, version in pins.items() if name not in HELPERS}


def test_the_table_has_every_client() -> None:
    names = {(name, source) for name, source, _, _ in _rows()}
    wanted = {(name, "PyPI") for name in _pypi_pins()} | {(name, "npm") for name in _npm_pins()}
    assert wanted <= names
    modules = {path.name for path in HERE.glob("test_*.py")}
    named = {test for *_, tests in _rows() for test in tests}
    assert named == modules


@pytest.mark.parametrize(("name", "source", "version", "tests"), _rows(), ids=lambda v: str(v))
def test_row_matches_the_pins(name: str, source: str, version: str, tests: list[str]) -> None:
    assert tests and all((HERE / test).is_file() for test in tests)
    if source == "PyPI":
        assert _pypi_pins()[name] == version
    elif source == "npm":
        assert _npm_pins()[name] == version
        folder = JS / "node_modules" / name
        if not folder.is_dir():
            folder = JS / "ai-sdk-v4/node_modules" / name
        installed = json.loads((folder / "package.json").read_text())["version"]
        assert installed == version, f"npm ci installed {name} {installed}"
    else:
        pinned = (HERE / "vendor" / name / "PINNED").read_text().split()[0]
        assert pinned.startswith(version)
