"""mount_web serves the UI at / with an index.html fallback and leaves /api alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from xunfang.core.errors import DataNotFound
from xunfang.web import DIST, mount_web


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()

    @app.get("/api/v1/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    mount_web(app, default_lang="en")
    return TestClient(app)


def test_index_and_client_routes_get_the_page_with_default_language(client: TestClient) -> None:
    for path in ["/", "/map", "/incidents/42", "/login"]:
        res = client.get(path)
        assert res.status_code == 200, path
        assert res.headers["content-type"].startswith("text/html")
        assert '<meta name="xunfang-default-lang" content="en" />' in res.text


def test_assets_are_served(client: TestClient) -> None:
    js = next((DIST / "assets").glob("*.js")).name
    res = client.get(f"/assets/{js}")
    assert res.status_code == 200
    assert "javascript" in res.headers["content-type"]
    assert client.get("/assets/missing-0000.js").status_code == 404
    assert client.get("/build-stamp.json").status_code == 200


def test_api_is_not_shadowed(client: TestClient) -> None:
    assert client.get("/api/v1/ping").json() == {"pong": "yes"}
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    assert client.post("/api/v1/ping").status_code == 405


def test_paths_outside_the_bundle_are_refused(client: TestClient) -> None:
    for path in ["/../__init__.py", "/%2e%2e/__init__.py", "/assets/../../__init__.py"]:
        assert "mount_web" not in client.get(path).text, path
    assert client.get("/nothing.png").status_code == 404


def test_missing_bundle_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataNotFound, match="npm run build"):
        mount_web(FastAPI(), dist=tmp_path)


def test_live_token_query_becomes_a_bearer_header() -> None:
    app = FastAPI()

    @app.get("/api/v1/live")
    def live(request: Request) -> dict[str, str | None]:
        return {"auth": request.headers.get("authorization"), "query": request.url.query}

    @app.get("/api/v1/other")
    def other(request: Request) -> dict[str, str | None]:
        return {"auth": request.headers.get("authorization")}

    mount_web(app)
    client = TestClient(app)
    got = client.get("/api/v1/live?token=abc.def&ping_s=1").json()
    assert got == {"auth": "Bearer abc.def", "query": "ping_s=1"}
    sent = client.get("/api/v1/live?token=x", headers={"Authorization": "Bearer real"}).json()
    assert sent["auth"] == "Bearer real"
    assert client.get("/api/v1/other?token=x").json() == {"auth": None}
