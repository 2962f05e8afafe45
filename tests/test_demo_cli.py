"""`xunfang demo --minutes 1 --speed 600` end to end: a subprocess replays the real 2019-07-04 in
Chicago through the service; the test watches units move over the live API and, after exit 0,
reads the incidents back through the API on the same database."""

from __future__ import annotations

import subprocess
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from web_e2e_support import free_port, xunfang_exe

pytestmark = pytest.mark.slow
DAY = "2019-07-04"


def _login(client: httpx.Client | TestClient) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": "demo-admin", "password": "demo-admin-pass"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _watch_positions(base: str, proc: subprocess.Popen[bytes]) -> dict[str, set[tuple[float, float]]]:
    """Every unit position seen over the live API while the demo runs."""
    seen: dict[str, set[tuple[float, float]]] = defaultdict(set)
    headers: dict[str, str] | None = None
    while proc.poll() is None:
        try:
            with httpx.Client(base_url=base, timeout=5) as c:
                headers = headers or _login(c)
                for u in c.get("/api/v1/units", headers=headers).json()["items"]:
                    if u["lon"] is not None:
                        seen[u["id"]].add((u["lon"], u["lat"]))
        except (httpx.HTTPError, KeyError):
            pass
        time.sleep(2)
    return seen


def test_demo_replays_a_real_day_dispatches_moves_and_resolves(data_dir: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    port = free_port()
    cmd = [*xunfang_exe(), "demo", "--minutes", "1", "--speed", "600", "--port", str(port), "--db", db]
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            seen = _watch_positions(f"http://127.0.0.1:{port}", proc)
            rc = proc.wait(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text(encoding="utf-8")
    print(text)
    assert rc == 0, text
    assert f"http://127.0.0.1:{port}/" in text and "demo-dispatcher / demo-dispatcher-pass" in text
    moved = [u for u, pts in seen.items() if len(pts) >= 3]
    assert moved, "no unit was seen at three or more places over the API"

    from xunfang.analysis.api import history_of
    from xunfang.api.app import create_app
    from xunfang.api.bootstrap import build_context
    from xunfang.api.cli import open_db

    history, _ = history_of("chicago")
    t = pd.to_datetime(history["time"])
    day = history[(t >= DAY) & (t < pd.Timestamp(DAY) + pd.Timedelta(days=1))]
    real_times = {f"{pd.Timestamp(x):%Y-%m-%d %H:%M}" for x in day["time"]}
    ctx = build_context(open_db(db))
    with TestClient(create_app(ctx, watch_deadlines=False, web=False)) as client:
        h = _login(client)
        items = client.get("/api/v1/incidents", params={"limit": 500}, headers=h).json()["items"]
        assert items, "the demo created no incidents"
        for inc in items:  # every incident is one of the day's real records, labelled as such
            assert inc["description"].startswith("REAL RECORD replayed"), inc["description"]
            assert any(stamp in inc["description"] for stamp in real_times), inc["description"]
        assert len(items) <= len(day)
        posts = client.get("/api/v1/map/posts", headers=h).json()
        assert posts["source"] == "plan", posts.get("source")
        kinds = [f["properties"]["kind"] for f in posts["features"]]
        assert kinds.count("post") == 40 and "patrol_point" in kinds and "patrol_line" in kinds
        details = [client.get(f"/api/v1/incidents/{i['id']}", headers=h).json() for i in items]
    kinds = {e["type"] for d in details for e in d["events"]}
    assert {"assigned", "en_route", "arrived"} <= kinds, kinds
    done = [d for d in details if d["status"] in ("resolved", "handed_over")]
    assert done, [d["status"] for d in details]
