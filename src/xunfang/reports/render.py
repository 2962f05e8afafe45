"""Assemble the bulletin's view model and render it: HTML through Jinja2 (images inlined as data
URIs, so one file is the whole document) and PDF through WeasyPrint with the Noto CJK font."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from xunfang.analysis.sources import Districts
from xunfang.reports import charts
from xunfang.reports.history_part import HistoryPart
from xunfang.reports.i18n import (
    CATEGORY_NAMES,
    FORCE_NAMES,
    LEVEL_NAMES,
    PLACE_NAMES,
    RULE_NAMES,
    TITLES,
    WORDS,
    name,
)
from xunfang.reports.service_part import ServicePart


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("xunfang.reports", "templates"), autoescape=select_autoescape())
    env.filters["pct"] = _pct
    env.filters["signed"] = _signed
    return env


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _signed(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:+.1f}%"


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _key(k: str) -> tuple[int, str]:
    return (len(k), k)


def _period_label(h: HistoryPart, lang: str) -> str:
    start = pd.Timestamp(h.stats["start"])
    last = pd.Timestamp(h.stats["end"]) - pd.Timedelta(days=1)
    if lang == "zh":
        f = "%Y年%m月%d日"
        return start.strftime(f) if start == last else f"{start.strftime(f)} 至 {last.strftime(f)}"
    return start.strftime("%d %b %Y") if start == last else f"{start:%d %b %Y} – {last:%d %b %Y}"


def view_model(
    h: HistoryPart, s: ServicePart, districts: Districts, *, lang: str, source: str, horizon: int
) -> dict[str, Any]:
    w = WORDS[lang]
    period = h.stats["period"]
    warn_by_zone = {z["zone"]: z for z in h.warnings["zones"]}
    rows = []
    for d, v in sorted(h.stats["by_district"].items(), key=lambda kv: _key(kv[0])):
        z = warn_by_zone.get(d, {})
        rows.append(
            {
                "name": d,
                **v,
                "level": z.get("level"),
                "level_name": name(LEVEL_NAMES, lang, z["level"]) if z.get("level") else "",
                "colour": z.get("colour", ""),
                "rules": "；".join(name(RULE_NAMES, lang, r) for r in z.get("rules", [])),
                "mean": z.get("trailing_mean"),
                "class": h.classes_now.get(d, ""),
            }
        )
    cats = [{"name": name(CATEGORY_NAMES, lang, k), **v} for k, v in sorted(h.stats["by_category"].items())]
    places = []
    if h.by_place:
        items = sorted(h.by_place["by_category"].items(), key=lambda kv: -kv[1]["count"])
        places = [{"name": name(PLACE_NAMES, lang, k), **v} for k, v in items if v["count"] or v["previous"]]
    bars = [(r["name"], r["count"], r["previous"], r["last_year"]) for r in rows if r["name"] != "(none)"]
    legend = {
        "red_cell": "预测红色网格" if lang == "zh" else "Forecast red cell",
        "yellow_cell": "预测黄色网格" if lang == "zh" else "Forecast yellow cell",
        "red": ("红色辖区" if lang == "zh" else "Red district"),
        "yellow": ("黄色辖区" if lang == "zh" else "Yellow district"),
        "blue": ("蓝色辖区" if lang == "zh" else "Blue district"),
    }
    images = {
        "trend": _uri(charts.trend(h.trend, period=period, title=w["trend_title"])),
        "districts": _uri(
            charts.districts_bars(bars, labels=(w["count"], w["previous"], w["last_year"]), title="")
        ),
        "hours": _uri(charts.hours_bars(h.hours, h.window, title=w["hours_title"])),
        "map": _uri(
            charts.hotspot_map(districts, h.classes_now, h.cells, h.period_events, legend=legend, title="")
        ),
    }
    forces = [{**f, "name": name(FORCE_NAMES, lang, f["force_type"])} for f in s.forces or []]
    return {
        "lang": lang,
        "w": w,
        "title": TITLES[lang][period],
        "period_label": _period_label(h, lang),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "source": source,
        "stats": h.stats,
        "total": h.stats["total"],
        "narrative": narrative(h, lang),
        "issue": _issue(h, lang),
        "n_warnings": len(h.warnings["warnings"]),
        "n_red": sum(1 for c in h.classes_now.values() if c == "red"),
        "districts": rows,
        "categories": cats,
        "places": places,
        "window": h.window,
        "window_text": w["window_text"].format(**{**h.window, "share": _pct(h.window["share"])})
        if h.window
        else w["no_data"],
        "changes": [
            {
                **c,
                "before_name": name(LEVEL_NAMES, lang, c["before"]),
                "after_name": name(LEVEL_NAMES, lang, c["after"]),
            }
            for c in h.changes
        ],
        "hotspot_note": w["hotspot_note"].format(h=horizon),
        "images": images,
        "svc": s,
        "forces": forces,
        "has_db": not s.notes,
        "level_names": LEVEL_NAMES[lang],
    }


def _issue(h: HistoryPart, lang: str) -> str:
    start = pd.Timestamp(h.stats["start"])
    period = h.stats["period"]
    if lang == "zh":
        if period == "week":
            return f"{start.isocalendar().year}年 第{start.isocalendar().week}期"
        if period == "month":
            return f"{start.year}年 第{start.month}期"
        return f"{start.year}年 第{start.day_of_year}期"
    if period == "week":
        return f"{start.isocalendar().year} · No. {start.isocalendar().week}"
    if period == "month":
        return f"{start.year} · No. {start.month}"
    return f"{start.year} · No. {start.day_of_year}"


def _dir(x: float | None, lang: str) -> str:
    if x is None:
        return "无可比数据" if lang == "zh" else "no comparable figure"
    if lang == "zh":
        return "持平" if x == 0 else f"{'上升' if x > 0 else '下降'} {abs(x) * 100:.1f}%"
    return "unchanged" if x == 0 else f"{'up' if x > 0 else 'down'} {abs(x) * 100:.1f}%"


def narrative(h: HistoryPart, lang: str) -> str:
    """The opening paragraph a chief reads first: totals, changes, warnings, where to patrol when."""
    t = h.stats["total"]
    warned = [z for z in h.warnings["warnings"]]
    top = sorted(warned, key=lambda z: ({"red": 0, "orange": 1, "yellow": 2}[z["level"]], -z["count"]))[:3]
    red = sorted((d for d, c in h.classes_now.items() if c == "red"), key=lambda k: (len(k), k))
    if lang == "zh":
        parts = [
            f"本期共发生警情 {t['count']} 起，环比{_dir(t['mom'], lang)}（上期 {t['previous']} 起），"
            f"同比{_dir(t['yoy'], lang)}（去年同期 {t['last_year']} 起）。"
        ]
        if warned:
            names = "、".join(f"{z['zone']} 辖区（{z['count']} 起，{z['label_zh']}）" for z in top)
            parts.append(f"{len(warned)} 个辖区触发增长预警，需重点关注 {names}。")
        else:
            parts.append("本期无辖区触发增长预警。")
        if red:
            parts.append(f"下期预测红色辖区：{'、'.join(red)}。")
        if h.window:
            parts.append(f"重点巡防时段为 {h.window['start']}–{h.window['end']}。")
        return "".join(parts)
    parts = [
        f"{t['count']} incidents this period, {_dir(t['mom'], lang)} on the previous period "
        f"({t['previous']}) "
        f"and {_dir(t['yoy'], lang)} on the same period last year ({t['last_year']})."
    ]
    if warned:
        names = ", ".join(f"district {z['zone']} ({z['count']}, {z['level']})" for z in top)
        parts.append(f" {len(warned)} districts raised a surge warning; look first at {names}.")
    else:
        parts.append(" No district raised a surge warning.")
    if red:
        parts.append(f" Forecast red districts for the next period: {', '.join(red)}.")
    if h.window:
        parts.append(f" Key patrol window: {h.window['start']}–{h.window['end']}.")
    return "".join(parts)


def render_html(vm: dict[str, Any]) -> str:
    return _env().get_template("bulletin.html").render(**vm)


def write_pdf(html: str, path: Path) -> None:
    """WeasyPrint: the HTML is self-contained (inline CSS and images), fonts come from fontconfig."""
    from weasyprint import HTML

    HTML(string=html, base_url=str(path.parent)).write_pdf(str(path))
