"""Strict input: wrong types, NaN/Infinity, out-of-range and outside-area points, oversized bodies,
unknown categories and units — all client mistakes answered 4xx naming the field, never 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from svc_world import incident_body, service, token


@pytest.fixture
def api(engine: Engine):  # type: ignore[no-untyped-def]
    with service(engine) as (client, _ctx):
        yield client, {**token(client, "dispatcher"), "Idempotency-Key": "x"}


def _post(client: TestClient, headers: dict[str, str], body: object, key: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post("/api/v1/incidents", json=body, headers={**headers, "Idempotency-Key": key})
    return r.status_code, r.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lon": "-87.68"}, "lon"),
        ({"priority": "2"}, "priority"),
        ({"priority": 4}, "priority"),
        ({"lat": 91.0}, "lat"),
        ({"lon": True}, "lon"),
        ({"source": "twitter"}, "source"),
        ({"reported_at": "2026-01-01T10:00:00"}, "reported_at"),
        ({"extra": 1}, "extra"),
        ({"caller": {"name": "x", "phone": "not a phone"}}, "phone"),
    ],
)
def test_bad_fields_give_422_naming_the_field(api, change: dict, field: str) -> None:  # type: ignore[no-untyped-def, type-arg]
    client, headers = api
    status, body = _post(client, headers, incident_body(**change), f"k-{field}-{len(str(change))}")
    assert status == 422, body
    assert field in body["field"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(api, literal: str) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    raw = '{"category": "theft", "source": "call_110", "lon": ' + literal + ', "lat": 41.86}'
    r = client.post("/api/v1/incidents", content=raw, headers={**headers, "content-type": "application/json"})
    assert r.status_code == 422
    assert "lon" in r.json()["field"]


def test_point_outside_service_area(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    status, body = _post(client, headers, incident_body(lon=116.4, lat=39.9), "far")
    assert status == 422 and body["field"] == "lon" and "outside the service area" in body["detail"]


def test_unknown_category_lists_valid_ones(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    status, body = _post(client, headers, incident_body(category="alien_landing"), "cat")
    assert status == 422 and body["field"] == "category" and "theft" in body["detail"]


def test_unknown_unit_is_404_with_choices(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    _, inc = _post(client, headers, incident_body(), "u1")
    r = client.post(f"/api/v1/incidents/{inc['id']}/assignments", json={"unit_id": "NOPE"}, headers=headers)
    assert r.status_code == 404 and "U-PAT-1" in r.json()["detail"]
    r = client.get("/api/v1/incidents/999999/recommendations", headers=headers)
    assert r.status_code == 404


def test_oversized_body_refused_before_reading(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    big = b'{"description": "' + b"x" * (1 << 20) + b'"}'
    r = client.post("/api/v1/incidents", content=big, headers={**headers, "content-type": "application/json"})
    assert r.status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 100_000

    r = client.post(
        "/api/v1/incidents", content=chunks(), headers={**headers, "content-type": "application/json"}
    )
    assert r.status_code == 413


def test_malformed_json_and_missing_key(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    r = client.post(
        "/api/v1/incidents", content=b"{not json", headers={**headers, "content-type": "application/json"}
    )
    assert r.status_code == 422
    no_key = {k: v for k, v in headers.items() if k != "Idempotency-Key"}
    r = client.post("/api/v1/incidents", json=incident_body(), headers=no_key)
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["field"]


def test_positions_strict_and_future_refused(api) -> None:  # type: ignore[no-untyped-def]
    client, headers = api
    r = client.post(
        "/api/v1/units/positions",
        json=[{"unit_id": "U-PAT-1", "lon": "1", "lat": 41.9, "at": "2026-01-01T00:00:00Z"}],
        headers=headers,
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/units/positions",
        json=[{"unit_id": "U-PAT-1", "lon": -87.69, "lat": 41.86, "at": "2999-01-01T00:00:00Z"}],
        headers=headers,
    )
    assert r.status_code == 422 and "at" in r.json()["field"]
    r = client.post(
        "/api/v1/units/positions",
        json=[{"unit_id": "GHOST", "lon": -87.69, "lat": 41.86, "at": "2026-01-01T00:00:00Z"}],
        headers=headers,
    )
    assert r.status_code == 404 and "GHOST" in r.json()["detail"]
