from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from analysis_fixtures import synthetic_history, write_csv
from xunfang.analysis.api import router
from xunfang.core.errors import XunfangError


def _client() -> TestClient:
    app = FastAPI()
    app.include_router(router)

    @app.exception_handler(XunfangError)
    async def _err(_: Request, exc: XunfangError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.http_status)

    return TestClient(app)


def test_analysis_routes(tmp_path: Path) -> None:
    path = tmp_path / "inc.csv"
    write_csv(synthetic_history(days=120), str(path))
    client = _client()
    src = {"source": str(path)}
    r = client.get("/api/v1/analysis/hotspots", params={**src, "method": "naive", "top": 5})
    assert r.status_code == 200 and len(r.json()["cells"]) == 5
    r = client.get("/api/v1/analysis/risk-classes", params={**src, "method": "naive"})
    assert r.status_code == 200 and r.json()["type"] == "FeatureCollection"
    r = client.get("/api/v1/analysis/stats", params={**src, "period": "week", "date": "2020-03-10"})
    assert r.status_code == 200 and "total" in r.json()
    assert client.get("/api/v1/analysis/warnings", params=src).status_code == 200
    assert client.get("/api/v1/analysis/profiles", params=src).json()["patrol_window"] is not None
    bad = client.get("/api/v1/analysis/stats", params={**src, "period": "fortnight", "date": "2020-03-10"})
    assert bad.status_code == 422 and "--period" in bad.json()["detail"]
    missing = client.get("/api/v1/analysis/profiles", params={"source": str(tmp_path / "none.csv")})
    assert missing.status_code == 404
