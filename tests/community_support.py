"""Helpers for the community API tests (built on the service's tiny synthetic city)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from svc_world import LAT0, LON0

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
REPORTER = {"name": "王小明", "phone": "13912345678"}
PARTY = {"name": "张三丰", "phone": "13700001111"}


def report_form(**over: Any) -> dict[str, str]:
    form = {
        "category": "suspicious",
        "lon": f"{LON0 + 0.011:.6f}",
        "lat": f"{LAT0 + 0.011:.6f}",
        "text": "有人在撬自行车锁",
        "address": "幸福路 12 号",
        **REPORTER,
    }
    form.update({k: str(v) for k, v in over.items()})
    return form


def post_report(client: TestClient, files: dict[str, Any] | None = None, **over: Any) -> Any:
    return client.post("/api/v1/community/reports", data=report_form(**over), files=files)


def count_reports(client: TestClient, headers: dict[str, str]) -> int:
    r = client.get("/api/v1/community/reports", params={"limit": 500}, headers=headers)
    assert r.status_code == 200, r.text
    return len(r.json()["items"])
