# ruff: noqa: F811  (pytest fixtures imported from svc_support are parameters here)
"""Community reports through the HTTP API on both databases: intake, follow-up, triage, limits."""

from __future__ import annotations

from sqlalchemy import Engine

from community_support import PNG, REPORTER, count_reports, post_report
from svc_support import DB, db, engine  # noqa: F401
from svc_world import LAT0, LON0, service, token


def test_report_follow_triage_into_incident(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        r = post_report(client, files={"photo": ("p.png", PNG, "image/png")})
        assert r.status_code == 201, r.text
        tok = r.json()["follow_up_token"]
        assert len(tok) >= 32
        follow = client.get(f"/api/v1/community/reports/follow/{tok}")
        assert follow.status_code == 200 and follow.json()["status"] == "received"
        assert REPORTER["phone"] not in follow.text
        page = client.get(r.json()["follow_up_url"])
        assert page.status_code == 200 and "received" in page.text
        assert client.get("/api/v1/community/reports/follow/not-a-token").status_code == 404

        station = token(client, "station")
        got = client.get(f"/api/v1/community/reports/{r.json()['id']}", headers=station).json()
        assert got["reporter"] == REPORTER and got["has_photo"]
        photo = client.get(f"/api/v1/community/reports/{got['id']}/photo", headers=station)
        assert photo.status_code == 200 and photo.content == PNG
        t = client.post(
            f"/api/v1/community/reports/{got['id']}/triage",
            json={"action": "incident", "incident_category": "theft", "priority": 2},
            headers=station,
        )
        assert t.status_code == 200, t.text
        inc_id = t.json()["incident_id"]
        assert t.json()["status"] == "incident" and inc_id
        inc = client.get(f"/api/v1/incidents/{inc_id}", headers=station).json()
        assert inc["source"] == "community_report" and inc["caller"]["phone"] == REPORTER["phone"]
        again = client.post(
            f"/api/v1/community/reports/{got['id']}/triage", json={"action": "dismiss"}, headers=station
        )
        assert again.status_code == 409
        assert client.get(f"/api/v1/community/reports/follow/{tok}").json()["status"] == "incident"


def test_triage_into_hazard_and_dismissal(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        station = token(client, "station")
        a = post_report(client, category="hazard", phone="13000000001").json()["id"]
        b = post_report(client, phone="13000000002").json()["id"]
        h = client.post(
            f"/api/v1/community/reports/{a}/triage",
            json={"action": "hazard", "hazard_category": "electrical", "deadline_days": 3},
            headers=station,
        )
        assert h.status_code == 200 and h.json()["hazard_id"], h.text
        hz = client.get("/api/v1/community/hazards", headers=station).json()["items"]
        assert [x["report_id"] for x in hz] == [a]
        d = client.post(f"/api/v1/community/reports/{b}/triage", json={"action": "dismiss"}, headers=station)
        assert d.json()["status"] == "dismissed"
        vol = token(client, "volunteer")
        denied = client.post(f"/api/v1/community/reports/{b}/triage", json={"action": "dismiss"}, headers=vol)
        assert denied.status_code == 403


def test_rate_limits_per_reporter_and_per_address(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        station = token(client, "station")
        codes = [post_report(client).status_code for _ in range(6)]
        assert codes == [201] * 5 + [429]
        burst = [post_report(client, phone=f"1350000{i:04d}").status_code for i in range(8)]
        assert burst == [201] * 5 + [429] * 3  # the same place (~100 m) caps at 10 per hour
        refused = post_report(client, phone="13599999999")
        assert refused.status_code == 429 and "place" in refused.json()["detail"]
        elsewhere = post_report(
            client, phone="13599999999", lon=f"{LON0 + 0.03:.6f}", lat=f"{LAT0 + 0.03:.6f}"
        )
        assert elsewhere.status_code == 201
        assert count_reports(client, station) + count_reports(client, token(client, "commander")) >= 11


def test_bad_reports_are_refused_and_nothing_is_stored(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        commander = token(client, "commander")
        cases = [
            ({"lon": "abc"}, None, 422),
            ({"lat": "nan"}, None, 422),
            ({"lon": "-200"}, None, 422),
            ({"lon": "-80.0", "lat": "30.0"}, None, 422),  # outside the service area
            ({"category": "ufo"}, None, 422),
            ({"text": "   "}, None, 422),
            ({"shop": "NO-SUCH-SHOP"}, None, 404),
            ({}, {"photo": ("x.gif", b"GIF89a....", "image/gif")}, 422),
            ({}, {"photo": ("x.png", b"not a png at all", "image/png")}, 422),
            ({}, {"photo": ("x.jpg", b"\xff\xd8\xff" + b"0" * 950_000, "image/jpeg")}, 422),
        ]
        for i, (over, files, code) in enumerate(cases):
            r = post_report(client, files=files, phone=f"1360000{i:04d}", **over)
            assert r.status_code == code, (over, r.text)
            assert "detail" in r.json()
        missing = client.post("/api/v1/community/reports", data={"category": "theft"})
        assert missing.status_code == 422
        assert count_reports(client, commander) == 0


def test_station_staff_see_only_their_station(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        east = post_report(client, lon=f"{LON0 + 0.035:.6f}", lat=f"{LAT0 + 0.03:.6f}").json()["id"]
        west = post_report(client, phone="13222222222").json()["id"]
        station = token(client, "station")  # a ST-W user
        ids = [r["id"] for r in client.get("/api/v1/community/reports", headers=station).json()["items"]]
        assert ids == [west]
        assert client.get(f"/api/v1/community/reports/{east}", headers=station).status_code == 404
        t = client.post(
            f"/api/v1/community/reports/{east}/triage", json={"action": "dismiss"}, headers=station
        )
        assert t.status_code == 404
        page = client.get("/community/report")
        assert (
            page.status_code == 200 and "<form" in page.text and "text/html" in page.headers["content-type"]
        )


def test_report_page_is_self_contained() -> None:
    from xunfang.community.page import report_form

    html = report_form()
    assert "<form" in html and "viewport" in html
    assert "http://" not in html and "https://" not in html  # no CDN, no external resources
