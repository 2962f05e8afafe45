"""Time zones: daylight-saving gaps and overlaps (America/Chicago, Asia/Shanghai), odd offsets and
client clock skew. Whatever offset a client sends, the stored instant is the right UTC instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from svc_world import LAT0, LON0, incident_body, service, token
from xunfang.store.db import session_factory
from xunfang.store.models import Incident, UnitPosition, UnitTrack

CHICAGO, SHANGHAI = ZoneInfo("America/Chicago"), ZoneInfo("Asia/Shanghai")


def _local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)  # type: ignore[misc]


# (label, the wall-clock time a client in that zone sends, with the offset its zone gives)
CASES = [
    ("chicago: last second before the spring gap", _local(CHICAGO, 2025, 3, 9, 1, 59, 59)),
    ("chicago: first second after the spring gap", _local(CHICAGO, 2025, 3, 9, 3, 0, 0)),
    ("chicago: inside the spring gap (02:30 does not exist)", _local(CHICAGO, 2025, 3, 9, 2, 30)),
    ("chicago: autumn overlap, first 01:30 (CDT)", _local(CHICAGO, 2025, 11, 2, 1, 30, fold=0)),
    ("chicago: autumn overlap, second 01:30 (CST)", _local(CHICAGO, 2025, 11, 2, 1, 30, fold=1)),
    ("shanghai: 1991 spring gap", _local(SHANGHAI, 1991, 4, 14, 2, 30)),
    ("shanghai: 1991 autumn overlap, first 01:30", _local(SHANGHAI, 1991, 9, 15, 1, 30, fold=0)),
    ("shanghai: 1991 autumn overlap, second 01:30", _local(SHANGHAI, 1991, 9, 15, 1, 30, fold=1)),
    ("shanghai: today, +08:00", datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(hours=1)),
]


def _post(client: TestClient, headers: dict[str, str], key: str, reported_at: str) -> dict[str, object]:
    r = client.post(
        "/api/v1/incidents",
        json=incident_body(reported_at=reported_at),
        headers={**headers, "Idempotency-Key": key},
    )
    assert r.status_code == 201, r.text
    out: dict[str, object] = r.json()
    return out


def _stored(engine: Engine, incident_id: object) -> datetime:
    with session_factory(engine)() as s, s.begin():
        value: datetime = s.execute(
            select(Incident.reported_at).where(Incident.id == incident_id)
        ).scalar_one()
    return value


def test_the_cases_are_real_transitions() -> None:
    """The fixtures mean what their labels say (tzdata: the overlaps differ by one hour in UTC)."""
    by_label = dict(CASES)
    first, second = (
        by_label[f"chicago: autumn overlap, {n} 01:30 ({z})"]
        for n, z in (("first", "CDT"), ("second", "CST"))
    )
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    before, after = (
        by_label["chicago: last second before the spring gap"],
        by_label["chicago: first second after the spring gap"],
    )
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(seconds=1)
    assert by_label["shanghai: 1991 autumn overlap, first 01:30"].utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(("label", "local"), CASES, ids=[c[0] for c in CASES])
def test_reported_at_stores_the_utc_instant(engine: Engine, label: str, local: datetime) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        text = local.isoformat()  # e.g. 2025-11-02T01:30:00-06:00
        inc = _post(client, disp, "tz", text)
        expected = local.astimezone(UTC)
        assert datetime.fromisoformat(str(inc["reported_at"])) == expected, label
        assert _stored(engine, inc["id"]) == expected
        assert _stored(engine, inc["id"]).utcoffset() == timedelta(0)
        read = client.get(f"/api/v1/incidents/{inc['id']}", headers=disp).json()
        assert datetime.fromisoformat(read["reported_at"]) == expected


def test_both_overlap_readings_stay_distinct_and_ordered(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        first = _post(client, disp, "a", "2025-11-02T01:30:00-05:00")
        second = _post(client, disp, "b", "2025-11-02T01:30:00-06:00")
        zulu = _post(client, disp, "c", "2025-11-02T07:30:00Z")
        assert _stored(engine, second["id"]) - _stored(engine, first["id"]) == timedelta(hours=1)
        assert _stored(engine, zulu["id"]) == _stored(engine, second["id"])


@pytest.mark.parametrize(
    "text", ["2025-03-09T02:30:00", "2025-03-09 02:30", "1741487400", 1741487400, "09/03/2025 02:30"]
)
def test_times_without_an_offset_are_refused(engine: Engine, text: str) -> None:
    with service(engine) as (client, _ctx):
        r = client.post(
            "/api/v1/incidents",
            json=incident_body(reported_at=text),
            headers={**token(client, "dispatcher"), "Idempotency-Key": "naive"},
        )
        assert r.status_code == 422 and "reported_at" in r.json()["field"]


def test_client_clock_skew(engine: Engine) -> None:
    """A fast client clock (≤ 5 min) is corrected to the receipt time; further ahead is refused;
    a slow clock (a late report) is kept as sent."""
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        ahead = datetime.now(UTC) + timedelta(minutes=4)
        inc = _post(client, disp, "fast", ahead.astimezone(SHANGHAI).isoformat())
        stored = _stored(engine, inc["id"])
        assert stored <= datetime.now(UTC) and stored == datetime.fromisoformat(str(inc["received_at"]))
        far = (datetime.now(UTC) + timedelta(minutes=10)).astimezone(CHICAGO).isoformat()
        r = client.post(
            "/api/v1/incidents",
            json=incident_body(reported_at=far),
            headers={**disp, "Idempotency-Key": "far"},
        )
        assert r.status_code == 422 and r.json()["field"] == "reported_at"
        late = (datetime.now(UTC) - timedelta(minutes=40)).replace(microsecond=0)
        inc = _post(client, disp, "slow", late.astimezone(CHICAGO).isoformat())
        assert _stored(engine, inc["id"]) == late


def test_position_times_across_offsets_and_skew(engine: Engine) -> None:
    """Positions sent in local offsets order by their UTC instant; a fix from a device clock a
    little ahead is corrected to now, so the unit's next correct fix is not dropped as older."""
    with service(engine) as (client, ctx):
        disp = token(client, "dispatcher")
        now = datetime.now(UTC).replace(microsecond=0)
        older = (now - timedelta(minutes=2)).astimezone(SHANGHAI).isoformat()
        newer = (now - timedelta(minutes=1)).astimezone(CHICAGO).isoformat()

        def fix(unit: str, at: str, dx: float) -> dict[str, object]:
            return {"unit_id": unit, "lon": LON0 + dx, "lat": LAT0 + 0.01, "at": at}

        r = client.post(
            "/api/v1/units/positions",
            json=[fix("U-PAT-1", newer, 0.02), fix("U-PAT-1", older, 0.01)],
            headers=disp,
        )
        assert r.status_code == 202
        skewed = (datetime.now(UTC) + timedelta(seconds=45)).isoformat()
        r = client.post("/api/v1/units/positions", json=[fix("U-PAT-2", skewed, 0.03)], headers=disp)
        assert r.status_code == 202
        r = client.post(
            "/api/v1/units/positions",
            json=[fix("U-PAT-2", datetime.now(UTC).isoformat(), 0.04)],
            headers=disp,
        )
        assert r.json()["newer"] == 1  # not shadowed by the skewed fix
        far = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        r = client.post("/api/v1/units/positions", json=[fix("U-PAT-2", far, 0.05)], headers=disp)
        assert r.status_code == 422
        ctx.tracks.flush()  # the tables follow the in-memory positions within a fraction of a second
        with session_factory(engine)() as s, s.begin():
            latest = {p.unit_id: p for p in s.execute(select(UnitPosition)).scalars()}
            tracks = s.execute(select(UnitTrack.at).where(UnitTrack.unit_id == "U-PAT-1")).scalars().all()
        assert latest["U-PAT-1"].at == now - timedelta(minutes=1) and latest["U-PAT-1"].lon == LON0 + 0.02
        assert sorted(tracks) == [now - timedelta(minutes=2), now - timedelta(minutes=1)]
        assert latest["U-PAT-2"].lon == LON0 + 0.04 and latest["U-PAT-2"].at <= datetime.now(UTC)
