"""The web pages' routes on a fake engine: files, headers, relative URLs, and API keys."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

PAGES = {"/ui": "playground", "/ui/dashboard": "dashboard"}


@pytest.fixture
def client(fake_app: Callable[..., Any]) -> TestClient:
    with TestClient(fake_app()) as test_client:
        yield test_client


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_are_html_with_only_relative_urls(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    links = re.findall(r'(?:src|href)="([^"]*)"', response.text)
    assert links
    for link in links:  # never an absolute path or another host: a path prefix must work
        assert not link.startswith(("/", "http:", "https:", "//")), link
    script = next(link for link in links if link.endswith(".js"))
    assert script.endswith(f"static/{PAGES[path]}.js")
    # each page's relative links land on the static files from where it is served
    base = path.rsplit("/", 1)[0] + "/"
    assert client.get(base + script).status_code == 200


def test_static_files_have_their_types_and_nothing_else_is_served(client: TestClient) -> None:
    for name, kind in [("playground.js", "text/javascript"), ("ui.css", "text/css")]:
        response = client.get(f"/ui/static/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(kind)
    for name in ("nope.js", "..%2F..%2Fapi%2Fapp.py", ".hidden", "ui.css.map"):
        assert client.get(f"/ui/static/{name}").status_code == 404


def test_a_trailing_slash_redirects_relatively(client: TestClient) -> None:
    response = client.get("/ui/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "../ui"


def test_pages_are_open_behind_api_keys_but_the_api_is_not(
    fake_app: Callable[..., Any],
) -> None:
    with TestClient(fake_app(api_keys=("k",))) as locked:
        for path in ("/ui", "/ui/dashboard", "/ui/static/dashboard.js"):
            assert locked.get(path).status_code == 200
        for path in ("/api/tags", "/metrics", "/api/ps"):
            assert locked.get(path).status_code == 401
        assert locked.post("/api/render", json={"prompt": "x"}).status_code == 401


def test_pages_stay_out_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/ui")]
    assert "/api/render" in paths
