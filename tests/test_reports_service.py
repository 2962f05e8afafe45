# ruff: noqa: F811  (pytest fixtures imported from svc_support are parameters here)
"""The service sections of a bulletin on both databases, rendered with a small synthetic history,
and the bulletin schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine

from community_support import post_report
from svc_support import DB, db, engine  # noqa: F401
from svc_world import LAT0, LON0, STEP, N, incident_body, post_positions, service, token
from xunfang.analysis.sources import Districts
from xunfang.reports import history_part, service_part
from xunfang.reports.i18n import WORDS
from xunfang.reports.render import render_html, view_model
from xunfang.reports.schedule import due


def _synthetic_history() -> tuple[pd.DataFrame, Districts]:
    rng = np.random.default_rng(7)
    n = 3000
    w, e, s, nn = LON0, LON0 + STEP * (N - 1), LAT0, LAT0 + STEP * (N - 1)
    mid = (w + e) / 2
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 400 * 86400, n), unit="s")
    lon, lat = rng.uniform(w, e, n), rng.uniform(s, nn, n)
    frame = pd.DataFrame(
        {
            "time": times.astype("datetime64[ns]"),
            "lon": lon,
            "lat": lat,
            "category": "theft",
            "district": np.where(lon < mid, "W", "E"),
            "id": "",
        }
    ).sort_values("time", ignore_index=True)
    return frame, Districts(["W", "E"], [shapely.box(w, s, mid, nn), shapely.box(mid, s, e, nn)])


def test_service_sections_count_what_was_recorded(engine: Engine, tmp_path: Path) -> None:
    with service(engine) as (client, _ctx):
        disp, st = token(client, "dispatcher"), token(client, "station")
        post_positions(client, disp)
        inc = client.post(
            "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "r1"}
        ).json()
        client.post(f"/api/v1/incidents/{inc['id']}/assignments", json={"unit_id": "U-PAT-1"}, headers=disp)
        for kind in ("en_route", "arrived"):
            assert (
                client.post(
                    f"/api/v1/incidents/{inc['id']}/events", json={"type": kind}, headers=disp
                ).status_code
                == 201
            )
        client.post(
            "/api/v1/community/volunteers", json={"code": "V1", "name": "赵六", "station": "ST-W"}, headers=st
        )
        now = datetime.now(UTC)
        act = {"kind": "patrol", "hours": 2.0, "at": (now - timedelta(minutes=5)).isoformat()}
        assert (
            client.post("/api/v1/community/volunteers/V1/activities", json=act, headers=st).status_code == 201
        )
        client.post(
            "/api/v1/community/mediators", json={"code": "M1", "name": "老李", "station": "ST-W"}, headers=st
        )
        d = {
            "category": "neighbour",
            "lon": LON0 + 0.01,
            "lat": LAT0 + 0.01,
            "parties": [{"name": "甲"}],
            "mediator": "M1",
            "opened_on": now.date().isoformat(),
            "closed_on": now.date().isoformat(),
            "outcome": "resolved",
        }
        assert client.post("/api/v1/community/disputes", json=d, headers=st).status_code == 201
        hz = {"category": "fire", "description": "消防通道堵塞", "lon": LON0 + 0.01, "lat": LAT0 + 0.01}
        assert client.post("/api/v1/community/hazards", json=hz, headers=st).status_code == 201
        assert post_report(client).status_code == 201
    # Two days from the midnight before the activity (5 min before now), so that a run just after
    # midnight UTC still finds everything in the window.
    lo = datetime.combine((now - timedelta(minutes=5)).date(), datetime.min.time(), UTC)
    part = service_part.collect(engine, lo, lo + timedelta(days=2))
    assert part.response is not None and part.response["incidents"] == 1 and part.response["arrived"] == 1
    assert part.response["tiers"][3]["within"] == 1  # arrived at once: within its 3-minute tier
    assert part.patrol is not None and 0 < part.patrol["compliance"] <= 1
    assert part.forces is not None and {f["force_type"] for f in part.forces} >= {"patrol_police", "drone"}
    assert part.volunteers is not None and part.volunteers[0]["code"] == "V1"
    assert part.disputes is not None and part.disputes["total"]["resolution_rate"] == 1.0
    assert part.hazards == {"found": 1, "rectified": 0, "verified": 0, "overdue_at_end": 0}
    assert part.reports == {"total": 1, "by_status": {"received": 1}}
    empty = service_part.collect(engine, lo - timedelta(days=30), lo - timedelta(days=29))
    assert empty.response is None and empty.forces is None and empty.disputes is None

    history, districts = _synthetic_history()
    hist = history_part.collect(
        history, districts, period="week", date=pd.Timestamp("2024-12-11"), method="naive"
    )
    for lang in ("zh", "en"):
        html = render_html(view_model(hist, part, districts, lang=lang, source="synthetic", horizon=7))
        assert "赵六" in html and "100.0%" in html
        assert WORDS[lang]["no_data"] not in html  # every service section had records


def test_schedule_due_dates() -> None:
    assert due(date(2026, 11, 24)) == [("day", date(2026, 11, 23))]  # a Tuesday
    assert due(date(2026, 11, 23)) == [("day", date(2026, 11, 22)), ("week", date(2026, 11, 22))]
    assert due(date(2026, 12, 1)) == [("day", date(2026, 11, 30)), ("month", date(2026, 11, 30))]
