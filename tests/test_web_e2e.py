"""End-to-end: the command-centre UI in Debian's Chromium against a real ``xunfang serve``.

Logs in, measures the live map's first meaningful paint, creates an incident by clicking the map,
reads the recommendations, dispatches, steps the incident and watches the unit's status change on
the map, switches language, opens every view (screenshots in out/screenshots, checked non-blank),
applies 1,000 unit-position updates per second, and shows the stale-data banner when the feed
drops. Every request the page makes must stay on the loopback origin.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from conftest import need
from web_e2e_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    E2E_PASSWORD,
    SCREENSHOTS,
    Server,
    chromium_present,
    non_blank,
    running_server,
    serve_available,
    xunfang_exe,
)

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
OFFSITE: list[str] = []
PAGE_ERRORS: list[str] = []
JS = {p.stem: p.read_text(encoding="utf-8") for p in (Path(__file__).parent / "web_e2e_js").glob("*.js")}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import os

    need(chromium_present(), f"Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    need(bool(os.environ.get("XUNFANG_E2E_URL")) or serve_available(), "`xunfang serve --demo` (the service)")
    with running_server(tmp_path_factory.mktemp("e2e")) as srv:
        yield srv


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[Any]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        origin = urlparse(server.url).netloc

        def watch(request: Any) -> None:
            url = urlparse(request.url)
            if url.scheme in {"http", "https", "ws", "wss"} and url.netloc != origin:
                OFFSITE.append(request.url)

        pg.on("request", watch)
        pg.on("pageerror", lambda err: PAGE_ERRORS.append(str(err)))
        yield pg
        browser.close()


def shot(pg: Any, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path))
    ok, colours = non_blank(path)
    assert ok, f"{path} looks blank ({colours} colours)"
    return path


def test_login_and_first_meaningful_paint(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/map")
    page.wait_for_selector("[data-testid=login-submit]", timeout=90_000)
    shot(page, "01-login")
    page.fill("[data-testid=login-user]", server.user)
    page.fill("[data-testid=login-password]", server.password)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=map]")
    # A fresh navigation (the token stays in sessionStorage) times the map from navigation start.
    page.goto(f"{server.url}/map")
    page.wait_for_function("window.__xunfangFirstPaint !== undefined", timeout=60_000)
    first = page.evaluate("({ms: window.__xunfangFirstPaint, layer: window.__xunfangFirstPaintLayer})")
    print(f"\nFIRST_MEANINGFUL_PAINT_MS={first['ms']:.0f} layer={first['layer']}")
    (SCREENSHOTS / "first_paint.json").write_text(json.dumps(first))
    page.wait_for_selector("[data-testid=live-pill].live-open")
    page.wait_for_timeout(800)
    shot(page, "02-map")


def test_incident_from_map_click_dispatch_and_unit_status(page: Any, server: Server) -> None:
    for layer in ["units", "incidents", "posts"]:
        box = page.locator(f"[data-testid=layer-{layer}]")
        if box.is_enabled() and box.is_checked():
            box.uncheck()
    canvas = page.locator("[data-testid=map] canvas")
    bb = canvas.bounding_box()
    canvas.click(position={"x": bb["width"] / 2, "y": bb["height"] / 2})
    page.click("[data-testid=map-create]")
    page.fill("[data-testid=form-description]", "e2e: 自行车被盗 / bicycle stolen")
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/incidents") and r.request.method == "POST"
    ) as resp:
        page.click("[data-testid=form-submit]")
    assert resp.value.status in (200, 201), resp.value.text()
    incident_id = resp.value.json()["id"]
    for layer in ["units", "incidents"]:
        page.locator(f"[data-testid=layer-{layer}]").check()

    page.click("[data-testid=nav-incidents]")
    page.click(f"[data-testid=incident-row]:has-text('#{incident_id}')")
    page.wait_for_selector("[data-testid=rec-row]")
    shot(page, "03-incident-recommendations")
    # A drone observes but its arrival does not count: send a unit that can take the incident over.
    page.locator("[data-testid=rec-row]:not([data-force=drone]) [data-testid=dispatch]").first.click()
    badge = page.locator("[data-testid=assigned-unit-status]").first
    badge.wait_for()
    unit_id = badge.get_attribute("data-unit")
    page.wait_for_selector(f"[data-testid=assigned-unit-status][data-unit='{unit_id}'][data-status=assigned]")
    page.click("[data-testid=step-en_route]")
    page.wait_for_selector(f"[data-testid=assigned-unit-status][data-unit='{unit_id}'][data-status=en_route]")
    page.click("[data-testid=step-arrived]")
    page.wait_for_selector(
        "[data-testid=incident-status]:has-text('到场'), [data-testid=incident-status]:has-text('On scene')"
    )
    shot(page, "04-incident-on-scene")
    events = page.locator("[data-testid=events] li").count()
    assert events >= 4, f"expected created, assign, en_route, arrived in the history; saw {events}"

    page.click("[data-testid=nav-map]")
    page.wait_for_function(
        JS["unit_status_on_map"],
        arg=unit_id,
        timeout=20_000,
    )


def test_language_switch_and_every_view(page: Any, server: Server) -> None:
    assert page.locator("[data-testid=nav-incidents]").inner_text() == "警情"
    page.click("[data-testid=lang-switch]")
    assert page.locator("[data-testid=nav-incidents]").inner_text() == "Incidents"
    assert page.evaluate("document.documentElement.lang") == "en"
    page.wait_for_timeout(500)
    shot(page, "05-map-en")
    for view, name in [
        ("analysis", "06-analysis"),
        ("planning", "07-planning"),
        ("community", "08-community"),
    ]:
        page.click(f"[data-testid=nav-{view}]")
        page.wait_for_selector(f"[data-testid={view}-body]")
        page.wait_for_function(
            f"!document.querySelector('[data-testid={view}-body]').innerText.includes('Loading')"
        )
        shot(page, name)
    page.click("[data-testid=lang-switch]")
    assert page.locator("[data-testid=nav-analysis]").inner_text() == "研判分析"
    page.click("[data-testid=nav-incidents]")
    page.wait_for_selector("[data-testid=incident-row]")
    shot(page, "09-incidents-zh")


def test_thousand_position_updates_per_second(page: Any, server: Server) -> None:
    page.click("[data-testid=nav-map]")
    page.wait_for_function("window.__xunfangMap && window.__xunfangMap.getSource('units')")
    result = page.evaluate(JS["position_flood"])
    rate = result["sent"] / result["seconds"]
    print(
        f"\nPOSITION_UPDATES sent={result['sent']} rate={rate:.0f}/s units={result['units']} "
        f"map_updates={result['flushes']} applied_lag_ms={result['lagMs']:.0f}"
    )
    assert rate >= 900, "the page could not even ingest 1,000 updates per second"
    assert result["units"] >= 1000, "the flood must move a thousand units"
    (SCREENSHOTS / "position_flood.json").write_text(json.dumps(result))
    # The lag is printed and recorded, not asserted: on a loaded CI box with software GL it
    # measures the machine. The map must show the last positions, though.
    assert result["lagMs"] >= 0, "the map never showed the last positions"

    # And one real fix through the API and the live feed.
    token = server.token()
    uid = page.evaluate("[...window.__xunfang.store.units.keys()][0]")
    lonlat = page.evaluate(
        f"(() => {{ const u = window.__xunfang.store.units.get('{uid}'); return [u.lon, u.lat]; }})()"
    )
    lon, lat = (lonlat[0] or -87.65) + 0.0005, (lonlat[1] or 41.85) + 0.0005
    fix = [
        {
            "unit_id": uid,
            "lon": lon,
            "lat": lat,
            "at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        }
    ]
    r = httpx.post(
        f"{server.url}/api/v1/units/positions", json=fix, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code in (200, 202), r.text
    page.wait_for_function(
        "([uid, lon]) => Math.abs((window.__xunfang.store.units.get(uid).lon ?? 0) - lon) < 1e-9",
        arg=[uid, lon],
    )


def test_stale_banner_and_reconnect(page: Any) -> None:
    banner = page.locator("[data-testid=stale-banner]")
    assert banner.is_hidden()
    page.evaluate("window.__xunfang.simulateDrop()")
    banner.wait_for(state="visible")
    assert "连接中断 — 数据截至" in banner.inner_text()
    shot(page, "10-stale-banner")
    banner.wait_for(state="hidden", timeout=15_000)
    page.wait_for_selector("[data-testid=live-pill].live-open")


def test_volunteer_never_sees_caller_identity(page: Any, server: Server) -> None:
    """The UI shows what the API sends: a dispatcher sees the caller, a volunteer does not."""
    admin = {"Authorization": f"Bearer {server.token()}"}
    lon, lat = page.evaluate(
        "(() => { const c = window.__xunfangMap.getCenter(); return [c.lng, c.lat]; })()"
    )
    body = {
        "category": "dispute",
        "priority": 3,
        "source": "call_110",
        "lon": lon,
        "lat": lat,
        "description": "e2e caller check",
        "caller": {"name": "王小明", "phone": "13912345678"},
        "reported_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
    }
    r = httpx.post(
        f"{server.url}/api/v1/incidents", json=body, headers={**admin, "Idempotency-Key": "e2e-caller"}
    )
    assert r.status_code in (200, 201), r.text
    incident_id = r.json()["id"]
    page.goto(f"{server.url}/incidents/{incident_id}")
    page.wait_for_selector("[data-testid=incident-status]")
    assert "13912345678" in page.inner_text("[data-testid=incident-detail]")

    units = httpx.get(f"{server.url}/api/v1/units", headers=admin).json()["items"]
    unit = next(u["id"] for u in units if u["force_type"] == "volunteer_police")
    add = [*xunfang_exe(), "users", "add", "e2e-volunteer", "--role", "volunteer", "--unit", unit]
    if server.db:
        subprocess.run([*add, "--db", server.db], input=f"{E2E_PASSWORD}\n", text=True, check=True)
    else:
        pytest.skip("volunteer account needs the server's database (set by running_server)")
    context = page.context.browser.new_context(viewport={"width": 1440, "height": 900})
    vol = context.new_page()
    vol.on("pageerror", lambda err: PAGE_ERRORS.append(str(err)))
    vol.goto(f"{server.url}/incidents/{incident_id}")
    vol.fill("[data-testid=login-user]", "e2e-volunteer")
    vol.fill("[data-testid=login-password]", E2E_PASSWORD)
    vol.click("[data-testid=login-submit]")
    vol.wait_for_selector(
        "[data-testid=incident-detail] .detail-head, [data-testid=incident-detail] .form-error"
    )
    vol.wait_for_timeout(500)
    text = vol.inner_text("body")
    assert "13912345678" not in text and "王小明" not in text
    shot(vol, "11-volunteer-incident")
    context.close()


def _open_as(page: Any, server: Server, user: str, path: str) -> Any:
    context = page.context.browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.on("pageerror", lambda err: PAGE_ERRORS.append(str(err)))
    pg.goto(f"{server.url}{path}")
    pg.fill("[data-testid=login-user]", user)
    pg.fill("[data-testid=login-password]", f"{user}-pass")
    pg.click("[data-testid=login-submit]")
    pg.wait_for_selector("[data-testid=who]:not(:empty)")
    return pg


def test_role_based_ui_volunteer_and_dispatcher(page: Any, server: Server) -> None:
    """What a role may not do is not offered: the buttons and views follow GET /auth/me."""
    admin = {"Authorization": f"Bearer {server.token()}", "Idempotency-Key": "e2e-roles"}
    body = {"category": "dispute", "priority": 2, "source": "call_110", "lon": -87.63, "lat": 41.88}
    body["reported_at"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    r = httpx.post(f"{server.url}/api/v1/incidents", json=body, headers=admin)
    assert r.status_code in (200, 201), r.text
    path = f"/incidents/{r.json()['id']}"

    vol = _open_as(page, server, "demo-volunteer", path)
    vol.wait_for_selector("[data-testid=incident-detail] .detail-head")
    vol.wait_for_timeout(500)
    assert {"demo-volunteer", "义警"} <= set(vol.inner_text("[data-testid=who]").split(" · "))
    nav = vol.locator("nav.nav a").evaluate_all("els => els.map(e => e.dataset.testid)")
    assert "nav-incidents" in nav and "nav-analysis" not in nav and "nav-planning" not in nav, nav
    for hidden in ("new-incident", "dispatch", "recommendations", "step-cancel"):
        assert vol.locator(f"[data-testid={hidden}]").count() == 0, hidden
    shot(vol, "12-volunteer-ui")
    vol.goto(f"{server.url}/analysis")
    vol.wait_for_selector("[data-testid=forbidden]")
    vol.context.close()

    # fresh fixes, so that units are eligible however long the earlier tests took (stale after 2 min)
    units = httpx.get(f"{server.url}/api/v1/units", headers=admin).json()["items"]
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    fixes = [{"unit_id": u["id"], "lon": u["lon"], "lat": u["lat"], "at": now} for u in units if u["lon"]]
    assert httpx.post(f"{server.url}/api/v1/units/positions", json=fixes, headers=admin).status_code == 202
    disp = _open_as(page, server, "demo-dispatcher", path)
    disp.wait_for_selector("[data-testid=rec-row] [data-testid=dispatch]")
    assert {"demo-dispatcher", "调度员"} <= set(disp.inner_text("[data-testid=who]").split(" · "))
    for shown in ("new-incident", "step-cancel", "nav-analysis", "nav-planning"):
        assert disp.locator(f"[data-testid={shown}]").count() >= 1, shown
    shot(disp, "13-dispatcher-ui")
    disp.context.close()

    analyst = _open_as(page, server, "demo-analyst", "/incidents")
    analyst.wait_for_selector("[data-testid=nav-analysis]")
    assert analyst.locator("[data-testid=new-incident]").count() == 0  # an analyst creates no incident
    analyst.context.close()


def test_no_request_left_the_loopback_origin() -> None:
    assert OFFSITE == []


def test_no_uncaught_script_errors() -> None:
    assert PAGE_ERRORS == []
