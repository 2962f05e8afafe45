"""The live feed (SSE): events arrive as they happen; a station user only gets its own area's."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from svc_world import LAT0, LON0, incident_body, service, token


def _listen(client, headers, n, out):  # type: ignore[no-untyped-def]
    with client.stream("GET", f"/api/v1/live?max_events={n}&ping_s=0.1", headers=headers) as r:
        assert r.status_code == 200
        out.extend(line for line in r.iter_lines() if line.startswith("data:"))


def test_station_stream_is_filtered(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        disp = token(client, "dispatcher")
        got_station: list[str] = []
        got_all: list[str] = []
        threads = [
            threading.Thread(target=_listen, args=(client, token(client, "station"), 1, got_station)),
            threading.Thread(target=_listen, args=(client, token(client, "commander"), 2, got_all)),
        ]
        for t in threads:
            t.start()
        deadline = time.time() + 5
        while ctx.broker.subscribers < 2 and time.time() < deadline:
            time.sleep(0.05)
        east = incident_body(lon=LON0 + 0.035, lat=LAT0 + 0.03, description="east")
        client.post("/api/v1/incidents", json=east, headers={**disp, "Idempotency-Key": "e"})
        client.post("/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "w"})
        for t in threads:
            t.join(10)
        assert len(got_all) == 2 and '"ST-E"' in got_all[0] and '"ST-W"' in got_all[1]
        assert len(got_station) == 1 and '"ST-W"' in got_station[0]


def test_patrol_may_only_report_its_own_unit(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        patrol = token(client, "patrol")  # linked to U-PAT-1
        fix = {"lon": LON0 + 0.01, "lat": LAT0 + 0.01, "at": "2026-01-01T00:00:00+08:00"}
        assert (
            client.post(
                "/api/v1/units/positions", json=[{"unit_id": "U-PAT-1", **fix}], headers=patrol
            ).status_code
            == 202
        )
        r = client.post("/api/v1/units/positions", json=[{"unit_id": "U-PAT-2", **fix}], headers=patrol)
        assert r.status_code == 403
